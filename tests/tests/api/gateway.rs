//! The edge gateway in front of an upstream origin (issue 6): routes from
//! `worker/gateway.json`, every required grant checked, the call forwarded
//! with signed identity headers and the upstream's answer passed back.

use hmac::{Hmac, Mac};
use keyward_tests::upstream::Upstream;
use keyward_tests::{spawn_app_with, Answer, TestApp};
use reqwest::Method;
use sha2::Sha256;
use std::time::{Duration, Instant};

/// Grants in the compact `service:permission@resource` form, as JSON.
fn g(compact: &[&str]) -> serde_json::Value {
    compact
        .iter()
        .map(|c| serde_json::to_value(keyward_domain::Grant::parse_compact(c).unwrap()).unwrap())
        .collect()
}

const KEY: &str = "test-gateway-signing-key";

async fn gateway_app(upstream_url: &str, extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![("UPSTREAM_URL", upstream_url), ("GATEWAY_SIGNING_KEY", KEY)];
    vars.extend_from_slice(extra);
    spawn_app_with(&vars).await
}

async fn call(app: &TestApp, method: Method, path: &str, secret: Option<&str>) -> Answer {
    app.send(method, path, secret, None).await
}

fn assert_problem(a: &Answer, status: u16, code: &str) {
    assert_eq!(a.status, status, "{}", a.text);
    assert_eq!(a.code(), code, "{}", a.text);
    assert_eq!(
        a.header("content-type").as_deref(),
        Some("application/problem+json")
    );
}

#[tokio::test]
async fn every_required_grant_is_checked_and_denials_never_reach_the_upstream() {
    let upstream = Upstream::start().await;
    let app = gateway_app(&upstream.url, &[]).await;

    // Keboola: a token limited to one component.
    let (_, component) = app
        .create_token("ex-db", g(&["components:run@keboola.ex-db"]))
        .await;
    let ok = call(
        &app,
        Method::POST,
        "/gw/components/keboola.ex-db/run",
        Some(&component),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let other = call(
        &app,
        Method::POST,
        "/gw/components/keboola.wr-db/run",
        Some(&component),
    )
    .await;
    assert_problem(&other, 403, "insufficient_permission");
    assert!(other.json()["detail"]
        .as_str()
        .unwrap()
        .contains("components:run@keboola.wr-db"));

    // Dataiku API Deployer: deploy on the service AND on the infrastructure.
    let (_, service_only) = app
        .create_token("svc", g(&["api_services:deploy@churn"]))
        .await;
    let (_, infra_only) = app
        .create_token("infra", g(&["infrastructures:deploy@prod"]))
        .await;
    let (_, both) = app
        .create_token(
            "both",
            g(&["api_services:deploy@churn", "infrastructures:deploy@prod"]),
        )
        .await;
    let (_, admins) = app
        .create_token(
            "admins",
            g(&["api_services:admin@*", "infrastructures:admin@prod"]),
        )
        .await;
    let path = "/gw/deployments/churn/prod";
    let a = call(&app, Method::POST, path, Some(&service_only)).await;
    assert_problem(&a, 403, "insufficient_permission");
    assert!(a.text.contains("infrastructures:deploy@prod"), "{}", a.text);
    let b = call(&app, Method::POST, path, Some(&infra_only)).await;
    assert_problem(&b, 403, "insufficient_permission");
    assert!(b.text.contains("api_services:deploy@churn"), "{}", b.text);
    assert_eq!(
        call(&app, Method::POST, path, Some(&both)).await.status,
        200
    );
    // admin ⇒ deploy, on both sides.
    assert_eq!(
        call(&app, Method::POST, path, Some(&admins)).await.status,
        200
    );
    // ... but deploy on prod says nothing about staging.
    let staging = call(
        &app,
        Method::POST,
        "/gw/deployments/churn/staging",
        Some(&both),
    )
    .await;
    assert_problem(&staging, 403, "insufficient_permission");
    // Reading a deployment: deploy ⇒ read and deploy ⇒ view.
    assert_eq!(call(&app, Method::GET, path, Some(&both)).await.status, 200);

    // A read-only route.
    let (_, reader) = app
        .create_token("reader", g(&["storage:read@in.c-main"]))
        .await;
    let (_, writer) = app
        .create_token("writer", g(&["storage:write@in.c-main"]))
        .await;
    let report = "/gw/reports/in.c-main/2024/q1.csv";
    assert_eq!(
        call(&app, Method::GET, report, Some(&reader)).await.status,
        200
    );
    assert_eq!(
        call(&app, Method::GET, report, Some(&writer)).await.status,
        200
    );
    let post = call(&app, Method::POST, report, Some(&reader)).await;
    assert_problem(&post, 405, "method_not_allowed");
    assert_eq!(post.header("allow").as_deref(), Some("GET, HEAD"));
    let elsewhere = call(
        &app,
        Method::GET,
        "/gw/reports/out.c-secret/x.csv",
        Some(&reader),
    )
    .await;
    assert_problem(&elsewhere, 403, "insufficient_permission");

    // Unknown routes are 404, with or without a token.
    assert_problem(
        &call(&app, Method::GET, "/gw/nothing/here", Some(&reader)).await,
        404,
        "not_found",
    );
    assert_problem(
        &call(&app, Method::GET, "/gw/nothing/here", None).await,
        404,
        "not_found",
    );

    // Credentials: missing, malformed, garbage Keyward secret, deleted token.
    let missing = call(&app, Method::POST, "/gw/components/keboola.ex-db/run", None).await;
    assert_problem(&missing, 401, "missing_token");
    assert!(missing
        .header("www-authenticate")
        .unwrap()
        .starts_with("Bearer"));
    let malformed = call(
        &app,
        Method::POST,
        "/gw/components/keboola.ex-db/run",
        Some("hello"),
    )
    .await;
    assert_problem(&malformed, 401, "malformed_token");
    let bad_sum = call(
        &app,
        Method::POST,
        "/gw/components/keboola.ex-db/run",
        Some("kw_s_0000000000000000000000000000000000000"),
    )
    .await;
    assert_problem(&bad_sum, 401, "malformed_token");
    let (victim, victim_secret) = app.create_token("victim", g(&["components:run@*"])).await;
    assert_eq!(
        app.delete(
            &format!("/api/v1/tokens/{}", victim["id"].as_str().unwrap()),
            &app.admin_secret
        )
        .await
        .status,
        204
    );
    let gone = call(
        &app,
        Method::POST,
        "/gw/components/keboola.ex-db/run",
        Some(&victim_secret),
    )
    .await;
    assert_problem(&gone, 401, "invalid_token");

    // Only the six allowed calls got through.
    assert_eq!(upstream.calls().len(), 6, "{:#?}", upstream.calls());

    // Gateway calls are audited under the token's client id.
    let both = |items: &[serde_json::Value]| {
        items.iter().any(|i| i["outcome"] == "denied")
            && items.iter().any(|i| i["outcome"] == "success")
    };
    let audit = app
        .audit_until("action=gateway.deployment.create", &app.admin_secret, both)
        .await;
    assert!(both(audit["items"].as_array().unwrap()), "{audit}");
}

fn hmac_hex(key: &[u8], msg: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
    mac.update(msg.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Keboola shares single tables: a report in a table (`/reports/<bucket>/
/// <table>/…`) is read with a grant on that table or on its bucket; a
/// table's holder reaches no other table and nothing at bucket level.
#[tokio::test]
async fn a_table_holder_reads_its_tables_reports_only() {
    let upstream = Upstream::start().await;
    let app = gateway_app(&upstream.url, &[]).await;
    let (_, orders) = app
        .create_token("orders-share", g(&["storage:read@in.c-main/orders"]))
        .await;
    let (_, bucket) = app
        .create_token("main-reader", g(&["storage:read@in.c-main"]))
        .await;
    let own = "/gw/reports/in.c-main/orders/2024/q1.csv";
    let ok = call(&app, Method::GET, own, Some(&orders)).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let reached = upstream.calls().len();
    for path in [
        "/gw/reports/in.c-main/customers/all.csv",
        "/gw/reports/in.c-main/readme.csv",
        "/gw/reports/in.c-mainx/orders/q1.csv",
    ] {
        let refused = call(&app, Method::GET, path, Some(&orders)).await;
        assert_problem(&refused, 403, "insufficient_permission");
    }
    assert_eq!(
        upstream.calls().len(),
        reached,
        "a refusal reached the upstream"
    );
    for path in [
        own,
        "/gw/reports/in.c-main/customers/all.csv",
        "/gw/reports/in.c-main/readme.csv",
    ] {
        assert_eq!(
            call(&app, Method::GET, path, Some(&bucket)).await.status,
            200,
            "{path}"
        );
    }
    // The table in the path is checked like any resource id.
    let star = call(
        &app,
        Method::GET,
        "/gw/reports/in.c-main/*/q1.csv",
        Some(&bucket),
    )
    .await;
    assert_eq!(star.status, 400, "{}", star.text);
}

#[tokio::test]
async fn the_upstream_gets_a_signed_identity_and_its_answer_comes_back_unchanged() {
    let upstream = Upstream::start().await;
    let app = gateway_app(&upstream.url, &[("GATEWAY_TIMEOUT_MS", "1500")]).await;
    let (token, secret) = app
        .create_token("runner", g(&["components:run@keboola.ex-db"]))
        .await;

    let body = b"{\"config\": 42, \"rows\": [1,2,3]}".to_vec();
    let resp = app
        .client
        .post(app.url("/gw/components/keboola.ex-db/run?async=true&tag=a%20b&status=201"))
        .bearer_auth(&secret)
        .header("content-type", "application/vnd.keboola+json")
        .header("x-request-id", "req-123")
        // Spoofed identity headers must never reach the upstream.
        .header("x-keyward-token-id", "tok_evil")
        .header("x-keyward-signature", "v1=forged")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    assert_eq!(status, 201, "{text}");
    assert_eq!(headers.get("x-upstream").unwrap(), "echo");
    assert_eq!(headers.get("set-cookie").unwrap(), "upstream=1; Path=/");
    assert_eq!(headers.get("content-type").unwrap(), "application/json");

    let seen = upstream.last().expect("the upstream was called");
    // The echo is the upstream's own body, passed through byte for byte.
    let echo: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(echo["target"], seen.target);
    assert_eq!(seen.method, "POST");
    assert_eq!(
        seen.target,
        "/components/keboola.ex-db/run?async=true&tag=a%20b&status=201"
    );
    assert_eq!(seen.body, body);
    assert_eq!(
        seen.header("content-type").as_deref(),
        Some("application/vnd.keboola+json")
    );
    assert_eq!(seen.header("x-request-id").as_deref(), Some("req-123"));
    assert!(seen.header("authorization").is_none(), "{seen:#?}");
    assert!(
        !format!("{seen:?}").contains(&secret),
        "the secret leaked upstream"
    );

    let token_id = seen.header("x-keyward-token-id").unwrap();
    let client_id = seen.header("x-keyward-client-id").unwrap();
    let kind = seen.header("x-keyward-kind").unwrap();
    let timestamp = seen.header("x-keyward-timestamp").unwrap();
    assert_eq!(token_id, token["id"].as_str().unwrap());
    assert_eq!(client_id, token["client_id"].as_str().unwrap());
    assert_eq!(kind, "scoped");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((timestamp.parse::<i64>().unwrap() - now).abs() < 30);
    let signed = format!(
        "KEYWARD-HMAC-SHA256\n{timestamp}\nPOST\n{}\n{token_id}\n{client_id}\n{kind}",
        seen.target
    );
    assert_eq!(
        seen.header("x-keyward-signature").unwrap(),
        format!("v1={}", hmac_hex(KEY.as_bytes(), &signed))
    );
    assert_ne!(
        seen.header("x-keyward-signature").unwrap(),
        format!("v1={}", hmac_hex(b"another key", &signed))
    );

    // Error statuses of the upstream are its answer, not ours.
    let teapot = app
        .send(
            Method::POST,
            "/gw/components/keboola.ex-db/run?status=418",
            Some(&secret),
            None,
        )
        .await;
    assert_eq!(teapot.status, 418);
    assert_eq!(teapot.header("x-upstream").as_deref(), Some("echo"));

    // A slow upstream: 504 within the configured 1.5 s, not a hang.
    let started = Instant::now();
    let slow = app
        .send(
            Method::POST,
            "/gw/components/keboola.ex-db/run?delay_ms=8000",
            Some(&secret),
            None,
        )
        .await;
    let took = started.elapsed();
    assert_problem(&slow, 504, "upstream_timeout");
    assert!(took < Duration::from_secs(4), "took {took:?}");
    assert!(took >= Duration::from_millis(1400), "took {took:?}");
}

#[tokio::test]
async fn an_upstream_that_is_down_is_a_502() {
    // A port that was free a moment ago and has no listener now.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let app = gateway_app(&closed, &[]).await;
    let (_, secret) = app.create_token("runner", g(&["components:run@c"])).await;
    let started = Instant::now();
    let down = call(&app, Method::POST, "/gw/components/c/run", Some(&secret)).await;
    assert_problem(&down, 502, "upstream_unavailable");
    assert!(started.elapsed() < Duration::from_secs(10));
    // Authorization still comes first: a denied call never tries the upstream.
    let denied = call(&app, Method::POST, "/gw/components/d/run", Some(&secret)).await;
    assert_problem(&denied, 403, "insufficient_permission");
}

async fn new_project(app: &TestApp, id: &str) {
    let r = app
        .post(
            "/api/v1/projects",
            &app.admin_secret,
            serde_json::json!({"id": id, "name": id}),
        )
        .await;
    assert_eq!(r.status, 201, "create project: {}", r.text);
}

async fn token_with(app: &TestApp, body: serde_json::Value) -> String {
    let r = app.post("/api/v1/tokens", &app.admin_secret, body).await;
    assert_eq!(r.status, 201, "create token: {}", r.text);
    r.json()["secret"].as_str().unwrap().to_string()
}

async fn get_in(app: &TestApp, path: &str, secret: &str, project: Option<&str>) -> Answer {
    let mut req = app.client.get(app.url(path)).bearer_auth(secret);
    if let Some(p) = project {
        req = req.header("x-keyward-project", p);
    }
    let resp = req.send().await.unwrap();
    Answer {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        text: resp.text().await.unwrap(),
    }
}

/// Checks both signatures on what the upstream received and returns the
/// project it was told.
fn signed_project(seen: &keyward_tests::upstream::Received) -> String {
    let h = |n: &str| {
        seen.header(n)
            .unwrap_or_else(|| panic!("no {n}: {seen:#?}"))
    };
    let (ts, method, token, client, kind, project) = (
        h("x-keyward-timestamp"),
        seen.method.clone(),
        h("x-keyward-token-id"),
        h("x-keyward-client-id"),
        h("x-keyward-kind"),
        h("x-keyward-project"),
    );
    let v1 = format!(
        "KEYWARD-HMAC-SHA256\n{ts}\n{method}\n{}\n{token}\n{client}\n{kind}",
        seen.target
    );
    assert_eq!(
        h("x-keyward-signature"),
        format!("v1={}", hmac_hex(KEY.as_bytes(), &v1))
    );
    let v2 = format!(
        "KEYWARD-HMAC-SHA256-V2\n{ts}\n{method}\n{}\n{token}\n{client}\n{kind}\n{project}",
        seen.target
    );
    assert_eq!(
        h("x-keyward-signature-v2"),
        format!("v2={}", hmac_hex(KEY.as_bytes(), &v2))
    );
    project
}

#[tokio::test]
async fn gateway_calls_act_in_a_project_that_the_upstream_is_told_and_that_is_signed() {
    let upstream = Upstream::start().await;
    let app = gateway_app(&upstream.url, &[]).await;
    new_project(&app, "alpha").await;
    new_project(&app, "beta").await;
    let read_any = g(&["storage:read@*"]);
    let report = "/gw/reports/in.c-main/2024/q1.csv";

    // A token of another project: beta's reader reads "in.c-main" in
    // beta, and the upstream is told so; it cannot act in alpha.
    let beta = token_with(
        &app,
        serde_json::json!({"name": "beta reader", "project": "beta", "grants": read_any}),
    )
    .await;
    let a = get_in(&app, report, &beta, None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(signed_project(&upstream.last().unwrap()), "beta");
    let a = get_in(&app, report, &beta, Some("beta")).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let calls = upstream.calls().len();
    for other in ["alpha", "default"] {
        let a = get_in(&app, report, &beta, Some(other)).await;
        assert_problem(&a, 403, "insufficient_permission");
        let detail = a.json()["detail"].as_str().unwrap().to_string();
        assert!(
            detail.contains("'beta'") && detail.contains(&format!("'{other}'")),
            "{detail}"
        );
    }
    assert_eq!(upstream.calls().len(), calls, "denied calls were forwarded");

    // A default-project token is told as such.
    let (_, default_reader) = app.create_token("reader", read_any.clone()).await;
    assert_eq!(
        get_in(&app, report, &default_reader, None).await.status,
        200
    );
    assert_eq!(signed_project(&upstream.last().unwrap()), "default");
    assert_problem(
        &get_in(&app, report, &default_reader, Some("alpha")).await,
        403,
        "insufficient_permission",
    );

    // A global key holds its grants where they were given.
    let global = token_with(
        &app,
        serde_json::json!({"name": "alpha global", "kind": "global",
                           "project_grants": {"alpha": read_any}}),
    )
    .await;
    assert_eq!(
        get_in(&app, report, &global, Some("alpha")).await.status,
        200
    );
    assert_eq!(signed_project(&upstream.last().unwrap()), "alpha");
    assert_problem(
        &get_in(&app, report, &global, Some("beta")).await,
        403,
        "insufficient_permission",
    );
    assert_problem(
        &get_in(&app, report, &global, None).await,
        403,
        "insufficient_permission",
    );

    // An admin acts anywhere it names.
    assert_eq!(
        get_in(&app, report, &app.admin_secret, Some("beta"))
            .await
            .status,
        200
    );
    assert_eq!(signed_project(&upstream.last().unwrap()), "beta");

    // A header that is no project id is a 400, not "no project named".
    let calls = upstream.calls().len();
    for bad in ["Beta", "../alpha", "", "a b"] {
        assert_problem(
            &get_in(&app, report, &beta, Some(bad)).await,
            400,
            "invalid_request",
        );
    }
    assert_eq!(upstream.calls().len(), calls);
}

#[tokio::test]
async fn smuggled_paths_are_400_and_never_forwarded() {
    let upstream = Upstream::start().await;
    let app = gateway_app(&upstream.url, &[]).await;
    let (_, reader) = app.create_token("reader", g(&["storage:read@pub"])).await;
    let (_, runner) = app.create_token("runner", g(&["components:run@*"])).await;
    for path in [
        "/gw/reports/pub/..%2F..%2Fprivate%2Fx",
        "/gw/reports/pub/..;/private/x",
        "/gw/reports/pub/x;jsessionid=1",
        "/gw/reports/pub/a%5Cb.csv",
        "/gw/reports/pub/a%2fb.csv",
        "/gw/reports/pub/q1..csv",
        "/gw/reports/pub/%252e%252e/private",
        "/gw/reports/..%2Fprivate/x",
    ] {
        let a = call(&app, Method::GET, path, Some(&reader)).await;
        assert_problem(&a, 400, "invalid_request");
    }
    let a = call(
        &app,
        Method::POST,
        "/gw/components/x..%2F..%2Fadmin/run",
        Some(&runner),
    )
    .await;
    assert_problem(&a, 400, "invalid_request");
    assert!(
        upstream.calls().is_empty(),
        "forwarded: {:#?}",
        upstream.calls()
    );
    // Ordinary names still go through.
    let ok = call(
        &app,
        Method::GET,
        "/gw/reports/pub/2024/q1.v2%20final.csv",
        Some(&reader),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(
        upstream.last().unwrap().target,
        "/reports/pub/2024/q1.v2%20final.csv"
    );
}

#[tokio::test]
async fn the_upstream_sees_what_the_edge_saw_not_what_the_client_claims() {
    let upstream = Upstream::start().await;
    let app = gateway_app(&upstream.url, &[]).await;
    let (_, reader) = app.create_token("reader", g(&["storage:read@pub"])).await;
    let resp = app
        .client
        .get(app.url("/gw/reports/pub/x.csv"))
        .bearer_auth(&reader)
        .header("x-original-url", "/reports/private/x.csv")
        .header("x-rewrite-url", "/reports/private/x.csv")
        .header("forwarded", "for=6.6.6.6;proto=https;host=evil.test")
        .header("x-forwarded-for", "6.6.6.6")
        .header("x-forwarded-host", "evil.test")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-prefix", "/admin")
        .header("x-real-ip", "6.6.6.6")
        .header("x-keyward-project", "default")
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        200,
        "{}",
        resp.text().await.unwrap()
    );
    let seen = upstream.last().unwrap();
    for name in [
        "x-original-url",
        "x-rewrite-url",
        "forwarded",
        "x-forwarded-host",
        "x-forwarded-prefix",
        "x-real-ip",
    ] {
        assert!(seen.header(name).is_none(), "{name} arrived: {seen:#?}");
    }
    // What the edge saw: the connecting address, the scheme it was called on.
    let xff = seen.header("x-forwarded-for").expect("X-Forwarded-For");
    // The test client connects from 127.0.0.1.
    assert_eq!(xff, "127.0.0.1");
    assert_eq!(seen.header("x-forwarded-proto").as_deref(), Some("http"));
    assert!(
        !format!("{:?}", seen.headers).contains("6.6.6.6")
            && !format!("{:?}", seen.headers).contains("evil.test"),
        "{seen:#?}"
    );
    // Exactly one of each of the gateway's own.
    for name in ["x-forwarded-for", "x-forwarded-proto", "x-keyward-project"] {
        assert_eq!(
            seen.headers.iter().filter(|(k, _)| k == name).count(),
            1,
            "{name}: {seen:#?}"
        );
    }
}

/// Dataiku's API node: reading a deployment needs read on the service AND
/// view on the infrastructure; either side alone is refused, naming what
/// is missing, and never reaches the upstream.
#[tokio::test]
async fn reading_a_deployment_needs_both_sides() {
    let upstream = Upstream::start().await;
    let app = gateway_app(&upstream.url, &[]).await;
    let (_, service_only) = app
        .create_token("svc-read", g(&["api_services:read@churn"]))
        .await;
    let (_, infra_only) = app
        .create_token("infra-view", g(&["infrastructures:view@prod"]))
        .await;
    let (_, both) = app
        .create_token(
            "both-read",
            g(&["api_services:read@churn", "infrastructures:view@prod"]),
        )
        .await;
    let path = "/gw/deployments/churn/prod";
    let before = upstream.calls().len();
    let a = call(&app, Method::GET, path, Some(&service_only)).await;
    assert_problem(&a, 403, "insufficient_permission");
    assert!(a.text.contains("infrastructures:view@prod"), "{}", a.text);
    let b = call(&app, Method::GET, path, Some(&infra_only)).await;
    assert_problem(&b, 403, "insufficient_permission");
    assert!(b.text.contains("api_services:read@churn"), "{}", b.text);
    assert_eq!(
        upstream.calls().len(),
        before,
        "a refusal reached the upstream"
    );
    assert_eq!(call(&app, Method::GET, path, Some(&both)).await.status, 200);
    assert_eq!(upstream.calls().len(), before + 1);
    // Reading is not deploying.
    let deploy = call(&app, Method::POST, path, Some(&both)).await;
    assert_problem(&deploy, 403, "insufficient_permission");
}
