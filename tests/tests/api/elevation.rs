//! Issue 18, feature 4: time-boxed access. A token's grants are raised
//! until an instant, for a stated reason; the edge stops counting the
//! elevation at that instant by itself (the tests wait seconds, never
//! minutes); an admin can end it early; a project can require a second
//! admin's approval before it starts.

use keyward_tests::upstream::Upstream;
use keyward_tests::{spawn_app, spawn_app_with, Answer, TestApp};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use keyward_tests::{grants as g, in_seconds};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

fn assert_problem(a: &Answer, status: u16, code: &str) {
    assert_eq!(a.status, status, "{}", a.text);
    assert_eq!(a.code(), code, "{}", a.text);
}

async fn elevate(app: &TestApp, secret: &str, token: &str, body: Value) -> Answer {
    app.post(&format!("/api/v1/tokens/{token}/elevations"), secret, body)
        .await
}

async fn client_id(app: &TestApp, secret: &str) -> String {
    let me = app.get("/api/v1/whoami", secret).await;
    assert_eq!(me.status, 200, "{}", me.text);
    me.json()["token"]["client_id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn gateway_app(upstream: &Upstream) -> TestApp {
    spawn_app_with(&[
        ("UPSTREAM_URL", upstream.url.as_str()),
        ("GATEWAY_SIGNING_KEY", "test-elevation-key"),
    ])
    .await
}

const DEPLOY: &str = "/gw/deployments/churn/prod-k8s";

/// An elevation request for what `DEPLOY` needs.
fn deploy_rights(until: String, reason: &str) -> Value {
    json!({
        "grants": g(&["api_services:deploy@churn", "infrastructures:deploy@prod-k8s"]),
        "until": until,
        "reason": reason,
    })
}

async fn deploy(app: &TestApp, secret: &str) -> u16 {
    app.send(Method::POST, DEPLOY, Some(secret), None)
        .await
        .status
}

/// A contractor reads the churn deployment every day and needs to deploy
/// it this afternoon only: the admin raises the token until a few seconds
/// from now, the deploy goes through, the audit says who, why and until
/// when, and when the instant passes the edge refuses again with no write
/// by anyone.
#[tokio::test]
async fn a_contractor_deploys_for_an_afternoon_and_the_edge_ends_it_by_itself() {
    let upstream = Upstream::start().await;
    let app = gateway_app(&upstream).await;
    let admin = app.admin_secret.clone();
    let (token, contractor) = app
        .create_token(
            "contractor",
            g(&["api_services:read@churn", "infrastructures:view@prod-k8s"]),
        )
        .await;
    let token_id = id(&token);
    assert_eq!(deploy(&app, &contractor).await, 403);
    let read = app.send(Method::GET, DEPLOY, Some(&contractor), None).await;
    assert_eq!(read.status, 200, "{}", read.text);

    let until = in_seconds(6);
    let reason = "Deploy churn model v2 (ticket OPS-42)";
    let r = elevate(
        &app,
        &admin,
        &token_id,
        deploy_rights(until.clone(), reason),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let elevation = r.json();
    assert_eq!(elevation["status"], "active");
    assert_eq!(elevation["reason"], reason);
    assert_eq!(elevation["requested_by"], client_id(&app, &admin).await);
    assert_eq!(deploy(&app, &contractor).await, 200, "raised: it deploys");

    // The token shows its elevation; whoami shows the raised permissions;
    // explain names the elevation as the grant's source.
    let shown = app
        .get(&format!("/api/v1/tokens/{token_id}"), &admin)
        .await
        .json();
    assert_eq!(shown["elevations"][0]["id"], elevation["id"]);
    assert_eq!(shown["grants"].as_array().map(Vec::len), Some(2));
    let why = app
        .post(
            &format!("/api/v1/tokens/{token_id}/explain"),
            &admin,
            json!({"service": "api_services", "permission": "deploy", "resource": "churn"}),
        )
        .await;
    assert_eq!(why.status, 200, "{}", why.text);
    let why = why.json();
    assert_eq!(why["decision"], "allow", "{why}");
    assert_eq!(why["via"][0]["source"]["kind"], "elevation", "{why}");
    assert_eq!(why["via"][0]["source"]["reason"], reason, "{why}");

    // Who, why and until when.
    let page = app
        .audit_until("action=token.elevate", &admin, |items| !items.is_empty())
        .await;
    let entry = &page["items"][0];
    assert_eq!(entry["actor"], client_id(&app, &admin).await);
    assert_eq!(entry["target"], token_id.as_str());
    let detail = entry["detail"].as_str().unwrap();
    assert!(detail.contains(reason), "{detail}");
    assert!(detail.contains("api_services:deploy@churn"), "{detail}");
    let until_in_log = OffsetDateTime::parse(&until, &Rfc3339).unwrap();
    assert!(
        detail.contains(
            &until_in_log
                .replace_nanosecond(0)
                .unwrap()
                .format(&Rfc3339)
                .unwrap()
        ),
        "{detail}"
    );

    // The instant passes: nobody writes anything, and the edge refuses.
    let left = OffsetDateTime::parse(&until, &Rfc3339).unwrap() - OffsetDateTime::now_utc();
    tokio::time::sleep(Duration::from_millis(
        u64::try_from(left.whole_milliseconds()).unwrap_or(0) + 1_000,
    ))
    .await;
    let after = app
        .send(Method::POST, DEPLOY, Some(&contractor), None)
        .await;
    assert_problem(&after, 403, "insufficient_permission");
    let read = app.send(Method::GET, DEPLOY, Some(&contractor), None).await;
    assert_eq!(read.status, 200, "its own grants are untouched");
    let why = app
        .post(
            &format!("/api/v1/tokens/{token_id}/explain"),
            &admin,
            json!({"service": "api_services", "permission": "deploy", "resource": "churn"}),
        )
        .await
        .json();
    assert_eq!(why["decision"], "deny", "{why}");
}

/// "End now": an elevation stops at once where it was ended, and the
/// audit says who ended it.
#[tokio::test]
async fn an_elevation_ended_now_stops_at_once() {
    let upstream = Upstream::start().await;
    let app = gateway_app(&upstream).await;
    let admin = app.admin_secret.clone();
    let (token, contractor) = app.create_token("contractor", g(&[])).await;
    let token_id = id(&token);
    let r = elevate(
        &app,
        &admin,
        &token_id,
        deploy_rights(in_seconds(3_600), "hotfix"),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let elevation_id = id(&r.json());
    assert_eq!(deploy(&app, &contractor).await, 200);
    let ended = app
        .delete(
            &format!("/api/v1/tokens/{token_id}/elevations/{elevation_id}"),
            &admin,
        )
        .await;
    assert_eq!(ended.status, 204, "{}", ended.text);
    assert_eq!(deploy(&app, &contractor).await, 403);
    let shown = app
        .get(&format!("/api/v1/tokens/{token_id}"), &admin)
        .await
        .json();
    assert!(shown.get("elevations").is_none(), "{shown}");
    let again = app
        .delete(
            &format!("/api/v1/tokens/{token_id}/elevations/{elevation_id}"),
            &admin,
        )
        .await;
    assert_problem(&again, 404, "not_found");
    let page = app
        .audit_until("action=token.elevation.end", &admin, |items| {
            !items.is_empty()
        })
        .await;
    assert_eq!(page["items"][0]["target"], token_id.as_str());
}

/// A project that requires approval: the elevation waits (the token holds
/// nothing more), its requester cannot approve it, a non-admin cannot
/// either, and a second admin's approval starts it.
#[tokio::test]
async fn a_second_admin_must_approve_when_the_project_says_so() {
    let upstream = Upstream::start().await;
    let app = gateway_app(&upstream).await;
    let first = app.admin_secret.clone();
    let policy = app
        .patch(
            "/api/v1/projects/default",
            &first,
            json!({"elevation_approval": true}),
        )
        .await;
    assert_eq!(policy.status, 200, "{}", policy.text);
    assert_eq!(policy.json()["elevation_approval"], true);
    let (token, contractor) = app.create_token("contractor", g(&[])).await;
    let token_id = id(&token);
    let r = elevate(
        &app,
        &first,
        &token_id,
        deploy_rights(in_seconds(3_600), "release day"),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let pending = r.json();
    assert_eq!(pending["status"], "pending");
    assert_eq!(
        deploy(&app, &contractor).await,
        403,
        "pending holds nothing"
    );
    let approve = format!(
        "/api/v1/tokens/{token_id}/elevations/{}/approve",
        id(&pending)
    );

    let own = app.post(&approve, &first, json!({})).await;
    assert_problem(&own, 403, "self_approval");
    let (_, manager) = app
        .create_token(
            "release-manager",
            g(&[
                "tokens:manage",
                "api_services:deploy@*",
                "infrastructures:deploy@*",
            ]),
        )
        .await;
    let not_admin = app.post(&approve, &manager, json!({})).await;
    assert_problem(&not_admin, 403, "insufficient_permission");
    assert_eq!(deploy(&app, &contractor).await, 403);

    let second = app
        .post(
            "/api/v1/admins",
            &first,
            json!({"email": "second@example.com", "name": "Second Admin"}),
        )
        .await;
    assert_eq!(second.status, 201, "{}", second.text);
    let second = second.json()["secret"].as_str().unwrap().to_string();
    let approved = app.post(&approve, &second, json!({})).await;
    assert_eq!(approved.status, 200, "{}", approved.text);
    let approved = approved.json();
    assert_eq!(approved["status"], "active");
    assert_eq!(approved["approved_by"], client_id(&app, &second).await);
    assert_eq!(deploy(&app, &contractor).await, 200);
    let twice = app.post(&approve, &second, json!({})).await;
    assert_problem(&twice, 409, "conflict");
    let page = app
        .audit_until("action=token.elevation.approve", &first, |items| {
            !items.is_empty()
        })
        .await;
    assert_eq!(page["items"][0]["actor"], client_id(&app, &second).await);
}

/// Nobody hands out for an afternoon what they could not hand out for
/// good; a token cannot raise itself; the request is checked field by
/// field; a persona's grants are copied when asked.
#[tokio::test]
async fn elevations_are_held_to_the_policy_and_checked() {
    let app = spawn_app().await;
    let admin = app.admin_secret.clone();
    let (manager_token, manager) = app
        .create_token("manager", g(&["tokens:manage", "storage:read@*"]))
        .await;
    let (token, _) = app.create_token("loader", g(&[])).await;
    let token_id = id(&token);
    let body = |grants: &[&str]| json!({"grants": g(grants), "until": in_seconds(600), "reason": "backfill"});

    let beyond = elevate(
        &app,
        &manager,
        &token_id,
        body(&["storage:write@in.c-main"]),
    )
    .await;
    assert_problem(&beyond, 403, "privilege_escalation");
    let within = elevate(&app, &manager, &token_id, body(&["storage:read@in.c-main"])).await;
    assert_eq!(within.status, 201, "{}", within.text);
    let itself = elevate(
        &app,
        &manager,
        &id(&manager_token),
        body(&["storage:write@x"]),
    )
    .await;
    assert_problem(&itself, 403, "privilege_escalation");

    for (bad, field) in [
        (
            json!({"grants": g(&["storage:read@b"]), "until": in_seconds(-5), "reason": "r"}),
            "until",
        ),
        (
            json!({"grants": g(&["storage:read@b"]), "until": in_seconds(40 * 86_400), "reason": "r"}),
            "until",
        ),
        (
            json!({"grants": g(&["storage:read@b"]), "until": in_seconds(60)}),
            "reason",
        ),
        (json!({"until": in_seconds(60), "reason": "r"}), "grants"),
        (
            json!({"grants": g(&["storage:read@b"]), "persona": "prs_x", "until": in_seconds(60), "reason": "r"}),
            "persona",
        ),
        (
            json!({"persona": "prs_nobody", "until": in_seconds(60), "reason": "r"}),
            "persona",
        ),
    ] {
        let r = elevate(&app, &admin, &token_id, bad.clone()).await;
        assert_problem(&r, 400, "invalid_request");
        assert_eq!(r.json()["errors"][0]["field"], field, "{bad}: {}", r.text);
    }
    let unknown = elevate(&app, &admin, &token_id, body(&["storage:fly@b"])).await;
    assert_problem(&unknown, 400, "unknown_permission");

    // Not beyond the token's own expiry.
    let r = app
        .post(
            "/api/v1/tokens",
            &admin,
            json!({"name": "brief", "grants": [], "expires_at": in_seconds(120)}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let brief = id(&r.json()["token"]);
    let past_expiry = elevate(&app, &admin, &brief, body(&["storage:read@b"])).await;
    assert_problem(&past_expiry, 400, "invalid_request");
    assert_eq!(past_expiry.json()["errors"][0]["field"], "until");

    // A persona's grants are copied: what was approved stays what it is.
    let persona = app
        .post(
            "/api/v1/personas",
            &admin,
            json!({"name": "Loaders", "grants": g(&["storage:write@in.c-loader"])}),
        )
        .await;
    assert_eq!(persona.status, 201, "{}", persona.text);
    let persona_id = id(&persona.json());
    let r = elevate(
        &app,
        &admin,
        &token_id,
        json!({"persona": persona_id, "until": in_seconds(600), "reason": "monthly load"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["persona"], persona_id.as_str());
    assert_eq!(r.json()["grants"], g(&["storage:write@in.c-loader"]));
    let edited = app
        .patch(
            &format!("/api/v1/personas/{persona_id}"),
            &admin,
            json!({"grants": g(&["storage:write@*"])}),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.text);
    let shown = app
        .get(&format!("/api/v1/tokens/{token_id}"), &admin)
        .await
        .json();
    let held: Vec<&Value> = shown["elevations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["persona"] == persona_id.as_str())
        .collect();
    assert_eq!(held[0]["grants"], g(&["storage:write@in.c-loader"]));

    // Keys that hold per project are not elevated.
    let global = app
        .post(
            "/api/v1/tokens",
            &admin,
            json!({"name": "global", "kind": "global", "project_grants": {}}),
        )
        .await;
    assert_eq!(global.status, 201, "{}", global.text);
    let r = elevate(
        &app,
        &admin,
        &id(&global.json()["token"]),
        body(&["storage:read@b"]),
    )
    .await;
    assert_problem(&r, 409, "conflict");
}
