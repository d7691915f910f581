//! What users of the best peers expect (issue 17): disable without
//! deleting (Unkey, Cloudflare), not-before (Cloudflare), an IP allow-list
//! per token (Cloudflare, Unkey, Stripe) and metadata (Unkey `meta`).
//! Each is enforced at the edge from the token's KV record, through the
//! API, the gateway and `/verify` alike.

use keyward_tests::upstream::Upstream;
use keyward_tests::{spawn_app, spawn_app_with, Answer, TestApp};
use reqwest::Method;
use serde_json::{json, Value};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

fn read_bucket() -> Value {
    json!([{"service": "storage", "permission": "read", "resource": "in.c-main"}])
}

async fn create(app: &TestApp, body: Value) -> (Value, String) {
    let r = app.post("/api/v1/tokens", &app.admin_secret, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let j = r.json();
    (
        j["token"].clone(),
        j["secret"].as_str().unwrap().to_string(),
    )
}

/// An admin's `PATCH /tokens/{id}`.
async fn edit(app: &TestApp, id: &str, body: Value) -> Answer {
    app.patch(&format!("/api/v1/tokens/{id}"), &app.admin_secret, body)
        .await
}

/// A backend's token, allowed to call `/verify`.
async fn verifier(app: &TestApp) -> String {
    app.create_token(
        "backend",
        json!([{"service": "tokens", "permission": "verify"}]),
    )
    .await
    .1
}

async fn verify(app: &TestApp, backend: &str, body: Value) -> Value {
    let r = app.post("/api/v1/verify", backend, body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

fn assert_problem(a: &Answer, status: u16, code: &str) {
    assert_eq!(a.status, status, "{}", a.text);
    assert_eq!(a.code(), code, "{}", a.text);
}

/// Unkey and Cloudflare: an admin turns a token off without deleting it;
/// every use answers 401 `token_disabled` (the API, the gateway and
/// `/verify`'s `DISABLED`), the token keeps its grants and secret, cannot
/// turn itself back on, and works again once an admin enables it.
#[tokio::test]
async fn a_disabled_token_is_refused_everywhere_until_enabled() {
    let upstream = Upstream::start().await;
    let app = spawn_app_with(&[
        ("UPSTREAM_URL", upstream.url.as_str()),
        ("GATEWAY_SIGNING_KEY", "test-gateway-signing-key"),
    ])
    .await;
    let backend = verifier(&app).await;
    let (token, secret) = create(
        &app,
        json!({"name": "ci", "grants": [
            {"service": "storage", "permission": "read", "resource": "in.c-main"},
            {"service": "tokens", "permission": "manage"}
        ]}),
    )
    .await;
    assert_eq!(token["enabled"], true, "tokens start enabled");
    let id = token["id"].as_str().unwrap();
    let report = "/gw/reports/in.c-main/2024/q1.csv";
    assert_eq!(app.get("/api/v1/whoami", &secret).await.status, 200);
    assert_eq!(
        app.send(Method::GET, report, Some(&secret), None)
            .await
            .status,
        200
    );

    let off = edit(&app, id, json!({"enabled": false})).await;
    assert_eq!(off.status, 200, "{}", off.text);
    assert_eq!(off.json()["enabled"], false);
    assert_eq!(off.json()["grants"], token["grants"], "grants are kept");

    assert_problem(
        &app.get("/api/v1/whoami", &secret).await,
        401,
        "token_disabled",
    );
    let calls_before = upstream.calls().len();
    let gw = app.send(Method::GET, report, Some(&secret), None).await;
    assert_eq!(gw.status, 401, "{}", gw.text);
    assert_eq!(
        upstream.calls().len(),
        calls_before,
        "nothing reached the upstream"
    );
    assert_eq!(
        verify(&app, &backend, json!({"key": secret})).await["code"],
        "DISABLED"
    );
    // Its own secret cannot turn it back on: it cannot authenticate.
    let itself = app
        .patch(
            &format!("/api/v1/tokens/{id}"),
            &secret,
            json!({"enabled": true}),
        )
        .await;
    assert_problem(&itself, 401, "token_disabled");

    // The list finds it among the disabled ones; the audit names who did it.
    let listed = app
        .get("/api/v1/tokens?enabled=false", &app.admin_secret)
        .await;
    let listed = listed.json();
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id]);
    let page = app
        .audit_until(
            &format!("action=token.disable&target={id}"),
            &app.admin_secret,
            |items| !items.is_empty(),
        )
        .await;
    assert_eq!(page["items"][0]["outcome"], "success", "{page}");

    let on = edit(&app, id, json!({"enabled": true})).await;
    assert_eq!(on.json()["enabled"], true);
    assert_eq!(app.get("/api/v1/whoami", &secret).await.status, 200);
    assert_eq!(
        app.send(Method::GET, report, Some(&secret), None)
            .await
            .status,
        200
    );
    assert_eq!(
        verify(&app, &backend, json!({"key": secret})).await["code"],
        "VALID"
    );
    let page = app
        .audit_until(
            &format!("action=token.enable&target={id}"),
            &app.admin_secret,
            |items| !items.is_empty(),
        )
        .await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1), "{page}");

    // Created disabled: it exists, and works only once enabled.
    let (parked, parked_secret) = create(
        &app,
        json!({"name": "parked", "enabled": false, "grants": read_bucket()}),
    )
    .await;
    assert_eq!(parked["enabled"], false);
    assert_problem(
        &app.get("/api/v1/whoami", &parked_secret).await,
        401,
        "token_disabled",
    );
}

/// Cloudflare's `not_before`: valid only from an instant.
#[tokio::test]
async fn a_token_is_refused_before_its_not_before() {
    let app = spawn_app().await;
    let backend = verifier(&app).await;
    let soon = time::OffsetDateTime::now_utc() + time::Duration::seconds(3);
    let soon = soon
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let (token, secret) = create(
        &app,
        json!({"name": "from-soon", "not_before": soon, "grants": read_bucket()}),
    )
    .await;
    assert!(token["not_before"].is_string());
    assert_problem(
        &app.get("/api/v1/whoami", &secret).await,
        401,
        "token_not_yet_valid",
    );
    assert_eq!(
        verify(&app, &backend, json!({"key": secret})).await["code"],
        "NOT_YET_VALID"
    );
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(app.get("/api/v1/whoami", &secret).await.status, 200);
    assert_eq!(
        verify(&app, &backend, json!({"key": secret})).await["code"],
        "VALID"
    );

    // A window that closes before it opens is refused, naming the field.
    let r = app
        .post(
            "/api/v1/tokens",
            &app.admin_secret,
            json!({"name": "never-open", "not_before": "2031-01-01T00:00:00Z", "expires_at": "2030-01-01T00:00:00Z"}),
        )
        .await;
    assert_problem(&r, 400, "invalid_request");
    assert_eq!(r.json()["errors"][0]["field"], "not_before");
    // Removing it by PATCH makes a future one usable at once.
    let (t, s) = create(
        &app,
        json!({"name": "later", "not_before": "2030-01-01T00:00:00Z"}),
    )
    .await;
    assert_problem(
        &app.get("/api/v1/whoami", &s).await,
        401,
        "token_not_yet_valid",
    );
    let id = t["id"].as_str().unwrap();
    let r = edit(&app, id, json!({"not_before": null})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(app.get("/api/v1/whoami", &s).await.status, 200);
}

/// A client bound to its own loopback address: workerd reports it as the
/// client's address (`CF-Connecting-IP`), as Cloudflare would.
fn client_from(last_octet: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last_octet)))
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn whoami_from(client: &reqwest::Client, app: &TestApp, secret: &str) -> Answer {
    let resp = client
        .get(app.url("/api/v1/whoami"))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    Answer {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        text: resp.text().await.unwrap(),
    }
}

/// Cloudflare, Unkey and Stripe: a token used only from listed networks.
/// A miss is 403 `ip_not_allowed` and says nothing about the list; a token
/// confined to some networks cannot mint one that works from elsewhere.
#[tokio::test]
async fn an_allow_listed_token_works_only_from_its_networks() {
    let app = spawn_app().await;
    let backend = verifier(&app).await;
    let (token, secret) = create(
        &app,
        json!({"name": "office", "allowed_ips": ["127.0.0.7", "2001:db8::/32"], "grants": [
            {"service": "storage", "permission": "read", "resource": "*"},
            {"service": "tokens", "permission": "manage"}
        ]}),
    )
    .await;
    assert_eq!(
        token["allowed_ips"],
        json!(["127.0.0.7/32", "2001:db8::/32"])
    );

    let inside = whoami_from(&client_from(7), &app, &secret).await;
    assert_eq!(inside.status, 200, "{}", inside.text);
    let outside = whoami_from(&client_from(8), &app, &secret).await;
    assert_problem(&outside, 403, "ip_not_allowed");
    assert!(
        !outside.text.contains("127.0.0.7"),
        "the list is not revealed: {}",
        outside.text
    );

    // /verify judges the address the backend says the key came from.
    let v = |ip: Option<&str>| {
        let mut body = json!({"key": secret});
        if let Some(ip) = ip {
            body["ip"] = json!(ip);
        }
        body
    };
    assert_eq!(
        verify(&app, &backend, v(Some("127.0.0.7"))).await["code"],
        "VALID"
    );
    assert_eq!(
        verify(&app, &backend, v(Some("2001:db8:5::1"))).await["code"],
        "VALID"
    );
    assert_eq!(
        verify(&app, &backend, v(Some("10.0.0.1"))).await["code"],
        "IP_NOT_ALLOWED"
    );
    assert_eq!(
        verify(&app, &backend, v(None)).await["code"],
        "IP_NOT_ALLOWED",
        "no address: refused"
    );
    let bad = app
        .post("/api/v1/verify", &backend, v(Some("not-an-ip")))
        .await;
    assert_problem(&bad, 400, "invalid_request");

    // Delegation: from inside its network, it may create a token confined
    // to part of it, never one that works from anywhere.
    let office = client_from(7);
    let mint = |body: Value| {
        let office = office.clone();
        let url = app.url("/api/v1/tokens");
        let secret = secret.clone();
        async move {
            let resp = office
                .post(url)
                .bearer_auth(secret)
                .json(&body)
                .send()
                .await
                .unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = mint(json!({"name": "anywhere"})).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "privilege_escalation");
    let (status, body) =
        mint(json!({"name": "narrower", "allowed_ips": ["2001:db8:1::/48"]})).await;
    assert_eq!(status, 201, "{body}");

    // Bad networks are named one by one and change nothing.
    let r = app
        .post(
            "/api/v1/tokens",
            &app.admin_secret,
            json!({"name": "typo", "allowed_ips": ["10.0.0.0/8", "10.1.2.3/8", "example.com"]}),
        )
        .await;
    assert_problem(&r, 400, "invalid_request");
    let problem = r.json();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["allowed_ips[1]", "allowed_ips[2]"]);
    assert!(
        r.text.contains("10.0.0.0/8"),
        "the fix is suggested: {}",
        r.text
    );
    let listed = app.get("/api/v1/tokens?name=typo", &app.admin_secret).await;
    assert_eq!(listed.json()["total"], 0);

    // `[]` lifts the list.
    let id = token["id"].as_str().unwrap();
    let r = edit(&app, id, json!({"allowed_ips": []})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        whoami_from(&client_from(8), &app, &secret).await.status,
        200
    );
}

/// Unkey's `meta`: a small JSON object per token, returned by verify and
/// whoami, editable, and searchable by key in the list.
#[tokio::test]
async fn metadata_travels_with_the_token_and_finds_it() {
    let app = spawn_app().await;
    let backend = verifier(&app).await;
    let (token, secret) = create(
        &app,
        json!({"name": "billing-ci", "grants": read_bucket(), "meta": {"team": "payments", "tier": 2, "oncall": true}}),
    )
    .await;
    create(
        &app,
        json!({"name": "search-ci", "meta": {"team": "search"}}),
    )
    .await;
    let id = token["id"].as_str().unwrap();
    assert_eq!(token["meta"]["team"], "payments");

    let who = app.get("/api/v1/whoami", &secret).await;
    assert_eq!(who.json()["token"]["meta"]["tier"], 2);
    let v = verify(&app, &backend, json!({"key": secret})).await;
    assert_eq!(
        v["token"]["meta"],
        json!({"team": "payments", "tier": 2, "oncall": true})
    );

    let names = |a: Answer| -> Vec<String> {
        a.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect()
    };
    let admin = &app.admin_secret;
    assert_eq!(
        names(app.get("/api/v1/tokens?meta.team=payments", admin).await),
        ["billing-ci"]
    );
    assert_eq!(
        names(app.get("/api/v1/tokens?meta.tier=2", admin).await),
        ["billing-ci"]
    );
    assert_eq!(
        names(app.get("/api/v1/tokens?meta.oncall=true", admin).await),
        ["billing-ci"]
    );
    assert!(names(app.get("/api/v1/tokens?meta.team=Payments", admin).await).is_empty());
    let bad = app.get("/api/v1/tokens?meta.a%20b=1", admin).await;
    assert_problem(&bad, 400, "invalid_request");

    // Editing replaces the object; `{}` clears it.
    let r = app
        .patch(
            &format!("/api/v1/tokens/{id}"),
            admin,
            json!({"meta": {"team": "search"}}),
        )
        .await;
    assert_eq!(r.json()["meta"], json!({"team": "search"}));
    assert_eq!(
        names(
            app.get("/api/v1/tokens?meta.team=search&sort=name", admin)
                .await
        ),
        ["billing-ci", "search-ci"]
    );
    let r = app
        .patch(&format!("/api/v1/tokens/{id}"), admin, json!({"meta": {}}))
        .await;
    assert_eq!(r.json()["meta"], json!({}));

    // Capped: over 1024 bytes is refused and changes nothing.
    let big = "x".repeat(1100);
    let r = app
        .patch(
            &format!("/api/v1/tokens/{id}"),
            admin,
            json!({"meta": {"note": big}}),
        )
        .await;
    assert_problem(&r, 400, "invalid_request");
    assert_eq!(r.json()["errors"][0]["field"], "meta");
    let now = app.get(&format!("/api/v1/tokens/{id}"), admin).await;
    assert_eq!(now.json()["meta"], json!({}));
}

/// Unkey's `remaining`: a token with N uses. The count is exact across
/// concurrent calls (the token's limiter leases uses as it leases rate
/// slots), a spent token answers 429 `usage_exhausted` on the API and the
/// gateway, and the token shows what is left.
#[tokio::test]
async fn a_usage_limited_token_is_used_exactly_n_times() {
    let upstream = Upstream::start().await;
    let app = spawn_app_with(&[
        ("UPSTREAM_URL", upstream.url.as_str()),
        ("GATEWAY_SIGNING_KEY", "test-gateway-signing-key"),
    ])
    .await;
    let (token, secret) = create(
        &app,
        json!({"name": "trial", "grants": read_bucket(), "usage_limit": {"uses": 25}}),
    )
    .await;
    assert_eq!(token["usage_limit"], json!({"uses": 25}));
    let id = token["id"].as_str().unwrap().to_string();
    let fresh = app
        .get(&format!("/api/v1/tokens/{id}"), &app.admin_secret)
        .await;
    assert_eq!(fresh.json()["remaining_uses"], 25);

    // 40 calls at once, over the API and the gateway: exactly 25 get in.
    let report = "/gw/reports/in.c-main/2024/q1.csv";
    let mut handles = vec![];
    for n in 0..40 {
        let client = app.client.clone();
        let url = app.url(if n % 2 == 0 { "/api/v1/whoami" } else { report });
        let secret = secret.clone();
        handles.push(tokio::spawn(async move {
            let r = client.get(url).bearer_auth(secret).send().await.unwrap();
            Answer {
                status: r.status().as_u16(),
                headers: r.headers().clone(),
                text: r.text().await.unwrap_or_default(),
            }
        }));
    }
    let mut answers = vec![];
    for h in handles {
        answers.push(h.await.unwrap());
    }
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        25,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        15,
        "{statuses:?}"
    );
    for a in answers.iter().filter(|a| a.status == 429) {
        if a.header("content-type").as_deref() == Some("application/problem+json") {
            assert_eq!(a.code(), "usage_exhausted", "{}", a.text);
        }
        assert_eq!(
            a.header("retry-after"),
            None,
            "no refill: waiting does not help"
        );
    }
    let after = app
        .get(&format!("/api/v1/tokens/{id}"), &app.admin_secret)
        .await;
    assert_eq!(after.json()["remaining_uses"], 0);

    // Raising the limit gives the difference.
    let r = edit(&app, &id, json!({"usage_limit": {"uses": 27}})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(app.get("/api/v1/whoami", &secret).await.status, 200);
    let who = app.get("/api/v1/whoami", &secret).await;
    assert_eq!(who.status, 200, "{}", who.text);
    assert_eq!(who.json()["token"]["remaining_uses"], 0);
    assert_problem(
        &app.get("/api/v1/whoami", &secret).await,
        429,
        "usage_exhausted",
    );

    // A daily refill counts afresh, and a spent token is told when to
    // come back (00:00 UTC).
    let r = edit(
        &app,
        &id,
        json!({"usage_limit": {"uses": 1, "refill": "daily"}}),
    )
    .await;
    assert_eq!(
        r.json()["usage_limit"],
        json!({"uses": 1, "refill": "daily"})
    );
    assert_eq!(app.get("/api/v1/whoami", &secret).await.status, 200);
    let over = app.get("/api/v1/whoami", &secret).await;
    assert_problem(&over, 429, "usage_exhausted");
    let wait: u64 = over.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&wait), "until 00:00 UTC: {wait}");

    // Lifting the limit ends counting.
    let r = edit(&app, &id, json!({"usage_limit": null})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(app.get("/api/v1/whoami", &secret).await.status, 200);

    let bad = app
        .post(
            "/api/v1/tokens",
            &app.admin_secret,
            json!({"name": "zero", "usage_limit": {"uses": 0}}),
        )
        .await;
    assert_problem(&bad, 400, "invalid_request");
    assert_eq!(bad.json()["errors"][0]["field"], "usage_limit.uses");
}

/// GitHub organisations' maximum lifetime for fine-grained tokens: an
/// admin sets how long a project's tokens may live and whether "never" is
/// allowed; creation and expiry changes are held to it, tokens from before
/// keep theirs.
#[tokio::test]
async fn a_project_expiry_policy_holds_creation_and_edits() {
    let app = spawn_app().await;
    let admin = &app.admin_secret;
    let (old, _) = create(&app, json!({"name": "from-before"})).await;
    let (_, manager) = app
        .create_token(
            "manager",
            json!([{"service": "tokens", "permission": "manage"}]),
        )
        .await;

    let policy =
        json!({"expiry_policy": {"max_lifetime_seconds": 90 * 86_400, "allow_never": false}});
    let refused = app
        .patch("/api/v1/projects/default", &manager, policy.clone())
        .await;
    assert_problem(&refused, 403, "insufficient_permission");
    let set = app.patch("/api/v1/projects/default", admin, policy).await;
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!(
        set.json()["expiry_policy"]["max_lifetime_seconds"],
        90 * 86_400
    );
    let listed = app.get("/api/v1/projects", admin).await;
    assert_eq!(
        listed.json()["items"][0]["expiry_policy"]["allow_never"],
        false
    );

    let never = app
        .post("/api/v1/tokens", admin, json!({"name": "forever"}))
        .await;
    assert_problem(&never, 400, "invalid_request");
    assert_eq!(never.json()["errors"][0]["field"], "expires_at");
    assert!(
        never.text.contains("requires an expiry within 90 days"),
        "{}",
        never.text
    );
    let long = app
        .post(
            "/api/v1/tokens",
            admin,
            json!({"name": "long", "expires_in": 91 * 86_400}),
        )
        .await;
    assert_problem(&long, 400, "invalid_request");
    assert!(long.text.contains("at most 90 days"), "{}", long.text);
    let (ok, _) = create(
        &app,
        json!({"name": "quarterly", "expires_in": 30 * 86_400}),
    )
    .await;

    // Edits: a changed expiry is held to the policy; other edits of a
    // token from before are not.
    let id = ok["id"].as_str().unwrap();
    let r = app
        .patch(
            &format!("/api/v1/tokens/{id}"),
            admin,
            json!({"expires_at": null}),
        )
        .await;
    assert_problem(&r, 400, "invalid_request");
    let old_id = old["id"].as_str().unwrap();
    let r = app
        .patch(
            &format!("/api/v1/tokens/{old_id}"),
            admin,
            json!({"description": "kept"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["expires_at"], Value::Null);

    // Other projects are not bound by it; a bad policy is refused.
    app.create_project("lab").await;
    let r = app
        .post(
            "/api/v1/tokens",
            admin,
            json!({"name": "forever", "project": "lab"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let bad = app
        .patch(
            "/api/v1/projects/lab",
            admin,
            json!({"expiry_policy": {"max_lifetime_seconds": 5}}),
        )
        .await;
    assert_problem(&bad, 400, "invalid_request");
    assert_eq!(
        bad.json()["errors"][0]["field"],
        "expiry_policy.max_lifetime_seconds"
    );
    let missing = app
        .patch("/api/v1/projects/nope", admin, json!({"description": "x"}))
        .await;
    assert_problem(&missing, 404, "not_found");
}
