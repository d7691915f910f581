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
