//! The authorization matrix: every endpoint called with every kind of
//! credential, asserting the exact status and problem code. The `ROUTES`
//! table below is the documentation of who may do what; the test prints the
//! whole matrix and its size.

use keyward_domain::TokenKind;
use keyward_tests::upstream::Upstream;
use keyward_tests::{mint, spawn_app_with, Answer, TestApp};
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};

/// What a route requires.
#[derive(Clone, Copy)]
enum Need {
    /// No credential at all.
    Public,
    /// Any valid token.
    Token,
    /// One permission, optionally on the `matrix` bucket.
    Perm(&'static str, &'static str, bool),
    /// A master token (an admin).
    Master,
    /// A person: a session, an admin's master token or a member's user
    /// token (the sign-ins under `/me`).
    Person,
}

struct Route {
    method: &'static str,
    path: &'static str,
    body: fn(usize) -> Option<Value>,
    need: Need,
    /// Status when allowed (the fixtures make it deterministic).
    ok: u16,
}

fn none(_: usize) -> Option<Value> {
    None
}

const BUCKET: &str = "matrix";
const MISSING_TOKEN: &str = "tok_doesnotexist000000";

/// Who may do what. Targets that do not exist give 404 once authorized,
/// so authorization is observable without side effects.
const ROUTES: &[Route] = &[
    // People's sign-ins (issue 26).
    Route {
        method: "POST",
        path: "/api/v1/auth/passkeys/options",
        body: none,
        need: Need::Public,
        ok: 200,
    },
    Route {
        method: "GET",
        path: "/api/v1/enrolments/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        body: none,
        need: Need::Public,
        ok: 404,
    },
    Route {
        method: "POST",
        path: "/api/v1/auth/device/token",
        body: |_| Some(json!({"device_code": "unknown"})),
        need: Need::Public,
        ok: 400,
    },
    Route {
        method: "GET",
        path: "/api/v1/me/sessions",
        body: none,
        need: Need::Person,
        ok: 200,
    },
    Route {
        method: "GET",
        path: "/api/v1/me/passkeys",
        body: none,
        need: Need::Person,
        ok: 200,
    },
    Route {
        method: "DELETE",
        path: "/api/v1/me/passkeys/pk_missing",
        body: none,
        need: Need::Person,
        ok: 404,
    },
    Route {
        method: "DELETE",
        path: "/api/v1/me/sessions/ses_missing",
        body: none,
        need: Need::Person,
        ok: 404,
    },
    Route {
        method: "POST",
        path: "/api/v1/auth/device/approve",
        body: |_| Some(json!({"user_code": "BCDF-GHJK"})),
        need: Need::Person,
        ok: 404,
    },
    Route {
        method: "POST",
        path: "/api/v1/enrolments",
        body: |_| Some(json!({"person": "admin:adm_missing"})),
        need: Need::Master,
        ok: 400,
    },
    Route {
        method: "GET",
        path: "/api/v1/health",
        body: none,
        need: Need::Public,
        ok: 200,
    },
    Route {
        method: "GET",
        path: "/api/v1/openapi.json",
        body: none,
        need: Need::Public,
        ok: 200,
    },
    // Scanning partners authenticate with the partner key alone: no bearer
    // credential, not even an admin's, opens it.
    Route {
        method: "POST",
        path: "/api/v1/leaks",
        body: |_| Some(json!([])),
        need: Need::Public,
        ok: 401,
    },
    Route {
        method: "GET",
        path: "/api/v1/catalog",
        body: none,
        need: Need::Token,
        ok: 200,
    },
    Route {
        method: "GET",
        path: "/api/v1/whoami",
        body: none,
        need: Need::Token,
        ok: 200,
    },
    Route {
        method: "GET",
        path: "/api/v1/buckets",
        body: none,
        need: Need::Token,
        ok: 200,
    },
    Route {
        method: "POST",
        path: "/api/v1/verify",
        body: |_| Some(json!({"key": "kw_s_x"})),
        need: Need::Perm("tokens", "verify", false),
        ok: 200,
    },
    Route {
        method: "GET",
        path: "/api/v1/audit",
        body: none,
        need: Need::Perm("audit", "read", false),
        ok: 200,
    },
    Route {
        method: "GET",
        path: "/api/v1/tokens",
        body: none,
        need: Need::Perm("tokens", "read", false),
        ok: 200,
    },
    Route {
        method: "POST",
        path: "/api/v1/tokens",
        body: |n| Some(json!({"name": format!("matrix-{n}")})),
        need: Need::Perm("tokens", "manage", false),
        ok: 201,
    },
    Route {
        method: "GET",
        path: "/api/v1/tokens/tok_doesnotexist000000",
        body: none,
        need: Need::Perm("tokens", "read", false),
        ok: 404,
    },
    Route {
        method: "PATCH",
        path: "/api/v1/tokens/tok_doesnotexist000000",
        body: |_| Some(json!({"description": "x"})),
        need: Need::Perm("tokens", "manage", false),
        ok: 404,
    },
    Route {
        method: "DELETE",
        path: "/api/v1/tokens/tok_doesnotexist000000",
        body: none,
        need: Need::Perm("tokens", "manage", false),
        ok: 404,
    },
    Route {
        method: "POST",
        path: "/api/v1/tokens/tok_doesnotexist000000/refresh",
        body: |_| Some(json!({})),
        need: Need::Perm("tokens", "manage", false),
        ok: 404,
    },
    Route {
        method: "POST",
        path: "/api/v1/tokens/tok_doesnotexist000000/invitations",
        body: |_| Some(json!({"email": "m@example.com"})),
        need: Need::Perm("tokens", "manage", false),
        ok: 404,
    },
    // Questions about a token: whoever may see it may ask (unknown and
    // hidden tokens are 404, like every token route); usage also needs
    // audit:read in the token's project, checked once the token is found.
    Route {
        method: "POST",
        path: "/api/v1/tokens/tok_doesnotexist000000/explain",
        body: |_| Some(json!({"service": "storage", "permission": "read", "resource": "matrix"})),
        need: Need::Token,
        ok: 404,
    },
    Route {
        method: "GET",
        path: "/api/v1/tokens/tok_doesnotexist000000/routes",
        body: none,
        need: Need::Token,
        ok: 404,
    },
    Route {
        method: "GET",
        path: "/api/v1/tokens/tok_doesnotexist000000/usage",
        body: none,
        need: Need::Token,
        ok: 404,
    },
    Route {
        method: "POST",
        path: "/api/v1/tokens/tok_doesnotexist000000/narrow",
        body: |_| Some(json!({"grants": []})),
        need: Need::Perm("tokens", "manage", false),
        ok: 404,
    },
    Route {
        method: "POST",
        path: "/api/v1/tokens/tok_doesnotexist000000/elevations",
        body: |_| {
            let until = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
            let until = until
                .format(&time::format_description::well_known::Rfc3339)
                .ok()?;
            Some(json!({
                "grants": [{"service": "storage", "permission": "read", "resource": BUCKET}],
                "until": until,
                "reason": "the matrix",
            }))
        },
        need: Need::Perm("tokens", "manage", false),
        ok: 404,
    },
    Route {
        method: "POST",
        path: "/api/v1/tokens/tok_doesnotexist000000/elevations/elv_none/approve",
        body: none,
        need: Need::Perm("tokens", "manage", false),
        ok: 404,
    },
    Route {
        method: "DELETE",
        path: "/api/v1/tokens/tok_doesnotexist000000/elevations/elv_none",
        body: none,
        need: Need::Perm("tokens", "manage", false),
        ok: 404,
    },
    Route {
        method: "GET",
        path: "/api/v1/invitations",
        body: none,
        need: Need::Perm("tokens", "read", false),
        ok: 200,
    },
    Route {
        method: "DELETE",
        path: "/api/v1/invitations/inv_doesnotexist",
        body: none,
        need: Need::Perm("tokens", "manage", false),
        ok: 404,
    },
    Route {
        method: "POST",
        path: "/api/v1/invitations/inv_doesnotexist/resend",
        body: |_| Some(json!({})),
        need: Need::Perm("tokens", "manage", false),
        ok: 404,
    },
    Route {
        method: "GET",
        path: "/api/v1/admins",
        body: none,
        need: Need::Master,
        ok: 200,
    },
    Route {
        method: "POST",
        path: "/api/v1/admins",
        body: |n| Some(json!({"email": format!("m{n}@example.com"), "name": "M"})),
        need: Need::Master,
        ok: 201,
    },
    Route {
        method: "DELETE",
        path: "/api/v1/admins/adm_doesnotexist",
        body: none,
        need: Need::Master,
        ok: 404,
    },
    Route {
        method: "GET",
        path: "/api/v1/outbox",
        body: none,
        need: Need::Master,
        ok: 200,
    },
    Route {
        method: "POST",
        path: "/api/v1/buckets",
        body: |n| Some(json!({"id": format!("matrix-{n}")})),
        need: Need::Perm("storage", "create_bucket", false),
        ok: 201,
    },
    Route {
        method: "GET",
        path: "/api/v1/buckets/matrix/objects",
        body: none,
        need: Need::Perm("storage", "read", true),
        ok: 200,
    },
    Route {
        method: "PUT",
        path: "/api/v1/buckets/matrix/objects/fixed",
        body: |_| Some(json!({"v": 1})),
        need: Need::Perm("storage", "write", true),
        ok: 200,
    },
    Route {
        method: "GET",
        path: "/api/v1/buckets/matrix/objects/fixed",
        body: none,
        need: Need::Perm("storage", "read", true),
        ok: 200,
    },
    Route {
        method: "DELETE",
        path: "/api/v1/buckets/matrix/objects/missing",
        body: none,
        need: Need::Perm("storage", "write", true),
        ok: 404,
    },
    // The gateway's example routes, to a local upstream that answers 200.
    Route {
        method: "POST",
        path: "/gw/components/matrix/run",
        body: |_| Some(json!({"job": 1})),
        need: Need::Perm("components", "run", true),
        ok: 200,
    },
    Route {
        method: "POST",
        path: "/gw/deployments/matrix/matrix",
        body: |_| Some(json!({})),
        need: Need::Perm("api_services", "deploy", true),
        ok: 200,
    },
    Route {
        method: "GET",
        path: "/gw/deployments/matrix/matrix",
        body: none,
        need: Need::Perm("api_services", "read", true),
        ok: 200,
    },
    Route {
        method: "GET",
        path: "/gw/reports/matrix/2026/q4.csv",
        body: none,
        need: Need::Perm("storage", "read", true),
        ok: 200,
    },
    Route {
        method: "GET",
        path: "/api/v1/personas",
        body: none,
        // Without tokens:read, the personas the token holds through.
        need: Need::Token,
        ok: 200,
    },
    Route {
        method: "POST",
        path: "/api/v1/personas",
        body: |n| Some(json!({"name": format!("persona {n}")})),
        need: Need::Master,
        ok: 201,
    },
    Route {
        method: "GET",
        path: "/api/v1/personas/per_missing",
        body: none,
        need: Need::Perm("tokens", "read", false),
        ok: 404,
    },
    Route {
        method: "PATCH",
        path: "/api/v1/personas/per_missing",
        body: |_| Some(json!({"description": "d"})),
        need: Need::Master,
        ok: 404,
    },
    Route {
        method: "DELETE",
        path: "/api/v1/personas/per_missing",
        body: none,
        need: Need::Master,
        ok: 404,
    },
    Route {
        method: "GET",
        path: "/api/v1/members",
        body: none,
        need: Need::Master,
        ok: 200,
    },
    Route {
        method: "POST",
        path: "/api/v1/members",
        body: |n| Some(json!({"email": format!("member{n}@example.com"), "name": "M"})),
        need: Need::Master,
        ok: 201,
    },
    Route {
        method: "GET",
        path: "/api/v1/members/mem_missing",
        body: none,
        need: Need::Master,
        ok: 404,
    },
    Route {
        method: "PATCH",
        path: "/api/v1/members/mem_missing",
        body: |_| Some(json!({"name": "N"})),
        need: Need::Master,
        ok: 404,
    },
    Route {
        method: "DELETE",
        path: "/api/v1/members/mem_missing",
        body: none,
        need: Need::Master,
        ok: 404,
    },
    Route {
        method: "GET",
        path: "/api/v1/members/mem_missing/keys",
        body: none,
        need: Need::Master,
        ok: 404,
    },
    Route {
        method: "POST",
        path: "/api/v1/members/mem_missing/keys",
        body: |_| Some(json!({"name": "k"})),
        need: Need::Master,
        ok: 403,
    },
    Route {
        method: "DELETE",
        path: "/api/v1/members/mem_missing/keys/tok_missing",
        body: none,
        need: Need::Master,
        ok: 404,
    },
    Route {
        method: "GET",
        path: "/api/v1/projects",
        body: none,
        need: Need::Token,
        ok: 200,
    },
    Route {
        method: "POST",
        path: "/api/v1/projects",
        body: |n| Some(json!({"id": format!("p{n}"), "name": "P"})),
        need: Need::Master,
        ok: 201,
    },
    Route {
        method: "PATCH",
        path: "/api/v1/projects/default",
        body: |_| Some(json!({"description": "Everything from before projects"})),
        need: Need::Master,
        ok: 200,
    },
    Route {
        method: "GET",
        path: "/api/v1/projects/default/buckets",
        body: none,
        need: Need::Token,
        ok: 200,
    },
    Route {
        method: "POST",
        path: "/api/v1/projects/default/buckets",
        body: |n| Some(json!({"id": format!("pb{n}")})),
        need: Need::Perm("storage", "create_bucket", false),
        ok: 201,
    },
    Route {
        method: "GET",
        path: "/api/v1/projects/default/buckets/matrix/objects",
        body: none,
        need: Need::Perm("storage", "read", true),
        ok: 200,
    },
    Route {
        method: "GET",
        path: "/api/v1/projects/default/buckets/matrix/objects/fixed",
        body: none,
        need: Need::Perm("storage", "read", true),
        ok: 200,
    },
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Credential {
    None,
    Malformed,
    BadChecksum,
    Unknown,
    Expired,
    Deleted,
    Replaced,
    /// A valid scoped token without the permission (no grants at all).
    Without,
    /// The permission, but on another bucket (and nothing else).
    OtherResource,
    /// Every permission in the catalog on `*`, but not a master token.
    Star,
    Master,
    /// A global key with global admin: an admin like a master token.
    GlobalAdmin,
    /// The Star token's old secret after a refresh with an overlap: it may
    /// use the API, never change tokens, admins or the directory.
    Retired,
    /// A global key (not an admin) holding `tokens:manage` in every project.
    GlobalManager,
    /// Every permission, in project beta: the default project's routes are
    /// out of its reach, and its own project has no `matrix` bucket.
    OtherProject,
    /// `tokens:manage` and `storage:read@*`, expiring within the hour: it
    /// cannot mint a token that outlives it.
    ShortLivedManager,
    /// The first admin signed in: a session cookie, sent from the app's
    /// origin with its header. It is the admin.
    AdminSession,
    /// A member without grants signed in: the member, nothing more.
    MemberSession,
}

const CREDENTIALS: [Credential; 18] = [
    Credential::None,
    Credential::Malformed,
    Credential::BadChecksum,
    Credential::Unknown,
    Credential::Expired,
    Credential::Deleted,
    Credential::Replaced,
    Credential::Without,
    Credential::OtherResource,
    Credential::Star,
    Credential::Master,
    Credential::GlobalAdmin,
    Credential::Retired,
    Credential::GlobalManager,
    Credential::OtherProject,
    Credential::ShortLivedManager,
    Credential::AdminSession,
    Credential::MemberSession,
];

/// Changes to tokens, invitations, admins, personas, members, personal keys
/// and projects: what a retired secret may never do.
fn changes_control_plane(route: &Route) -> bool {
    route.method != "GET"
        && route.path.starts_with("/api/v1/")
        && !route.path.contains("/buckets")
        && !route.path.ends_with("/verify")
        // Explaining a decision reads; it changes nothing.
        && !route.path.ends_with("/explain")
}

/// Whether a token holding exactly `held` (and what it implies) passes.
fn holds(route: &Route, held: &[(&str, &str)]) -> bool {
    match route.need {
        Need::Public | Need::Token => true,
        Need::Master | Need::Person => false,
        Need::Perm(service, permission, _) => held.contains(&(service, permission)),
    }
}

/// The rule the table encodes: the answer a credential gets on a route.
fn expected(route: &Route, cred: Credential) -> (u16, &'static str) {
    use Credential::*;
    if let Need::Public = route.need {
        return (route.ok, "");
    }
    match cred {
        None => return (401, "missing_token"),
        Malformed | BadChecksum => return (401, "malformed_token"),
        Unknown | Deleted | Replaced => return (401, "invalid_token"),
        Expired => return (401, "token_expired"),
        _ => {}
    }
    if cred == Retired && changes_control_plane(route) {
        return (403, "retired_secret");
    }
    if cred == OtherProject {
        if route.path.starts_with("/api/v1/projects/default/") {
            return (403, "insufficient_permission");
        }
        if route.path.starts_with("/api/v1/buckets/matrix/") {
            return (404, "not_found");
        }
    }
    // Sessions are the app's: the gateway serves API clients, which
    // present bearer tokens only.
    if matches!(cred, AdminSession | MemberSession) && route.path.starts_with("/gw/") {
        return (401, "missing_token");
    }
    // A member reading members (and their keys) is answered 404 for one
    // that does not exist, as with their user token: the registry finds
    // the member before it asks whether the caller is them.
    if cred == MemberSession
        && route.path.starts_with("/api/v1/members/mem_missing")
        && (route.path.contains("/keys") || route.method == "GET")
    {
        return (404, "not_found");
    }
    let manager = [("tokens", "manage"), ("tokens", "read")];
    if cred == ShortLivedManager && route.method == "POST" && route.path == "/api/v1/tokens" {
        // Its child would never expire.
        return (403, "privilege_escalation");
    }
    let allowed = match (route.need, cred) {
        (Need::Person, Master | AdminSession | MemberSession) => true,
        (Need::Person, _) => false,
        (_, Master | GlobalAdmin | AdminSession) => true,
        (Need::Perm(..), MemberSession) => false,
        (Need::Token, _) => true,
        (Need::Master, _) => false,
        (Need::Perm(..), Star | Retired | OtherProject) => true,
        (Need::Perm(..), Without | OtherResource) => false,
        (_, GlobalManager) => holds(route, &manager),
        (_, ShortLivedManager) => {
            holds(route, &manager) || matches!(route.need, Need::Perm("storage", "read", _))
        }
        _ => unreachable!(),
    };
    if allowed {
        (route.ok, "")
    } else {
        (403, "insufficient_permission")
    }
}

struct Secrets {
    by_kind: Vec<(Credential, Option<String>)>,
}

impl Secrets {
    fn get(&self, c: Credential) -> Option<&str> {
        self.by_kind
            .iter()
            .find(|(k, _)| *k == c)
            .and_then(|(_, s)| s.as_deref())
    }
}

async fn credentials(app: &TestApp) -> Secrets {
    let admin = app.admin_secret.clone();
    let mut by_kind = vec![
        (Credential::None, None),
        (Credential::Malformed, Some("not-a-token".to_string())),
    ];
    let valid = mint(TokenKind::Scoped);
    let raw = valid.expose();
    let last = raw.chars().last().unwrap();
    let damaged = format!(
        "{}{}",
        &raw[..raw.len() - 1],
        if last == 'A' { 'B' } else { 'A' }
    );
    by_kind.push((Credential::BadChecksum, Some(damaged)));
    by_kind.push((
        Credential::Unknown,
        Some(mint(TokenKind::Scoped).expose().to_string()),
    ));

    let r = app
        .post(
            "/api/v1/tokens",
            &admin,
            json!({"name": "expired", "expires_in": 1}),
        )
        .await;
    by_kind.push((
        Credential::Expired,
        Some(r.json()["secret"].as_str().unwrap().to_string()),
    ));
    let (deleted, deleted_secret) = app.create_token("deleted", json!([])).await;
    app.delete(
        &format!("/api/v1/tokens/{}", deleted["id"].as_str().unwrap()),
        &admin,
    )
    .await;
    by_kind.push((Credential::Deleted, Some(deleted_secret)));
    let (replaced, replaced_secret) = app.create_token("replaced", json!([])).await;
    app.post(
        &format!(
            "/api/v1/tokens/{}/refresh",
            replaced["id"].as_str().unwrap()
        ),
        &admin,
        json!({}),
    )
    .await;
    by_kind.push((Credential::Replaced, Some(replaced_secret)));

    let (_, without) = app.create_token("without", json!([])).await;
    by_kind.push((Credential::Without, Some(without)));
    let (_, other) = app
        .create_token(
            "other-resource",
            json!([
                {"service": "storage", "permission": "write", "resource": "elsewhere"},
            ]),
        )
        .await;
    by_kind.push((Credential::OtherResource, Some(other)));
    let catalog: Value = app.get("/api/v1/catalog", &admin).await.json();
    let mut everything = vec![];
    for s in catalog["services"].as_array().unwrap() {
        for p in s["permissions"].as_array().unwrap() {
            let mut g = json!({"service": s["id"], "permission": p["id"]});
            if p.get("resource_type").is_some() {
                g["resource"] = json!("*");
            }
            everything.push(g);
        }
    }
    let (_, star) = app
        .create_token("star", Value::Array(everything.clone()))
        .await;
    // The star token's secret, replaced with an hour of overlap.
    let r = app
        .post(
            "/api/v1/tokens",
            &admin,
            json!({"name": "star (retired)", "grants": everything.clone()}),
        )
        .await;
    let v = r.json();
    let refreshed = app
        .post(
            &format!(
                "/api/v1/tokens/{}/refresh",
                v["token"]["id"].as_str().unwrap()
            ),
            &admin,
            json!({"overlap_seconds": 3600}),
        )
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    by_kind.push((
        Credential::Retired,
        Some(v["secret"].as_str().unwrap().to_string()),
    ));
    let r = app
        .post(
            "/api/v1/projects",
            &admin,
            json!({"id": "beta", "name": "Beta"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = app
        .post(
            "/api/v1/tokens",
            &admin,
            json!({"name": "beta star", "project": "beta", "grants": everything.clone()}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    by_kind.push((
        Credential::OtherProject,
        Some(r.json()["secret"].as_str().unwrap().to_string()),
    ));
    by_kind.push((Credential::Star, Some(star)));
    let r = app
        .post(
            "/api/v1/tokens",
            &admin,
            json!({"name": "global manager", "kind": "global", "grants": [{"service": "tokens", "permission": "manage"}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    by_kind.push((
        Credential::GlobalManager,
        Some(r.json()["secret"].as_str().unwrap().to_string()),
    ));
    let r = app
        .post(
            "/api/v1/tokens",
            &admin,
            json!({
                "name": "short-lived manager",
                "expires_in": 3600,
                "grants": [
                    {"service": "tokens", "permission": "manage"},
                    {"service": "storage", "permission": "read", "resource": "*"}
                ]
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    by_kind.push((
        Credential::ShortLivedManager,
        Some(r.json()["secret"].as_str().unwrap().to_string()),
    ));
    let r = app
        .post(
            "/api/v1/tokens",
            &admin,
            json!({"name": "global admin", "kind": "global", "global_admin": true}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    by_kind.push((
        Credential::GlobalAdmin,
        Some(r.json()["secret"].as_str().unwrap().to_string()),
    ));
    by_kind.push((Credential::Master, Some(admin.clone())));
    by_kind.push((
        Credential::AdminSession,
        Some(app.open_session(&admin).await),
    ));
    let member = app
        .post(
            "/api/v1/members",
            &admin,
            json!({"email": "matrix@example.com", "name": "Matrix member"}),
        )
        .await;
    assert_eq!(member.status, 201, "{}", member.text);
    let user = app.user_token_for("matrix@example.com").await;
    by_kind.push((
        Credential::MemberSession,
        Some(app.open_session(&user).await),
    ));
    // Let the short-lived token expire.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    Secrets { by_kind }
}

#[tokio::test]
async fn every_endpoint_with_every_credential() {
    let upstream = Upstream::start_quiet().await;
    // Rate limits have their own tests; 300 calls would otherwise hit them.
    let app = spawn_app_with(&[
        ("LEAK_PARTNER_KEY_HASH", &"0".repeat(64)),
        ("UPSTREAM_URL", upstream.url.as_str()),
        ("GATEWAY_SIGNING_KEY", "matrix-signing-key"),
        ("DEFAULT_RATE_LIMIT", "1000000"),
    ])
    .await;
    app.create_bucket(BUCKET).await;
    let put = app
        .send_raw(
            Method::PUT,
            "/api/v1/buckets/matrix/objects/fixed",
            Some(&app.admin_secret),
            "text/plain",
            b"x".to_vec(),
        )
        .await;
    assert_eq!(put.status, 200);
    let secrets = credentials(&app).await;
    let counter = AtomicUsize::new(0);
    let mut failures = vec![];
    let mut printed = String::from("\nroute                                                    ");
    for c in CREDENTIALS {
        printed.push_str(&format!(
            " {:>5}",
            format!("{c:?}").chars().take(5).collect::<String>()
        ));
    }
    printed.push('\n');
    let mut cases = 0;
    for route in ROUTES {
        printed.push_str(&format!(
            "{:<56} ",
            format!(
                "{} {}",
                route.method,
                route.path.replace(MISSING_TOKEN, "{missing}")
            )
        ));
        for cred in CREDENTIALS {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let method = Method::from_bytes(route.method.as_bytes()).unwrap();
            let answer: Answer = match cred {
                Credential::AdminSession | Credential::MemberSession => {
                    let cookie = secrets.get(cred).unwrap_or_default();
                    app.send_with_session(method, route.path, cookie, (route.body)(n))
                        .await
                }
                _ => {
                    app.send(method, route.path, secrets.get(cred), (route.body)(n))
                        .await
                }
            };
            let (status, code) = expected(route, cred);
            cases += 1;
            let got_code = if answer.status >= 400 {
                answer.code()
            } else {
                String::new()
            };
            if answer.status != status || (!code.is_empty() && got_code != code) {
                failures.push(format!(
                    "{} {} as {cred:?}: expected {status} {code}, got {} {}",
                    route.method, route.path, answer.status, answer.text
                ));
            }
            if answer.status == 401 {
                assert!(
                    answer.header("www-authenticate").is_some(),
                    "401 without WWW-Authenticate"
                );
            }
            // A denial names the missing permission as service:permission@resource.
            let names_the_permission = answer.status == 403
                && answer.code() == "insufficient_permission"
                && !(cred == Credential::OtherProject && route.path.contains("/projects/"));
            if let (403, Need::Perm(service, permission, on_bucket), true) =
                (answer.status, route.need, names_the_permission)
            {
                let named = if on_bucket {
                    format!("{service}:{permission}@{BUCKET}")
                } else {
                    format!("{service}:{permission}")
                };
                let detail = answer.json()["detail"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                if !detail.contains(&named) {
                    failures.push(format!(
                        "{} {} as {cred:?}: detail {detail:?} does not name {named}",
                        route.method, route.path
                    ));
                }
            }
            printed.push_str(&format!(" {:>5}", answer.status));
        }
        printed.push('\n');
    }
    println!("{printed}");
    println!(
        "authorization matrix: {} routes × {} credentials = {cases} cases",
        ROUTES.len(),
        CREDENTIALS.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {cases} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(cases, ROUTES.len() * CREDENTIALS.len());
}
