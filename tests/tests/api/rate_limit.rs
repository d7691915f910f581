//! Per-token rate limits (issue 6): a token's own `rate_limit`, else the
//! deployment's `DEFAULT_RATE_LIMIT`, counted per token across the API and
//! the gateway; the excess is 429 `rate_limited` with `Retry-After`.

use keyward_tests::upstream::Upstream;
use keyward_tests::{spawn_app_with, Answer, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

async fn token(
    app: &TestApp,
    name: &str,
    grants: Value,
    rate_limit: Option<u32>,
) -> (String, String) {
    let mut body = json!({"name": name, "grants": grants});
    if let Some(n) = rate_limit {
        body["rate_limit"] = json!(n);
    }
    let r = app.post("/api/v1/tokens", &app.admin_secret, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let v = r.json();
    (
        v["token"]["id"].as_str().unwrap().to_string(),
        v["secret"].as_str().unwrap().to_string(),
    )
}

fn assert_limited(a: &Answer) {
    assert_eq!(a.status, 429, "{}", a.text);
    assert_eq!(a.code(), "rate_limited");
    let retry: u64 = a
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
}

#[tokio::test]
async fn own_limit_and_default_limit_per_token() {
    // The admin's own setup calls count against the default too.
    let app = spawn_app_with(&[("DEFAULT_RATE_LIMIT", "12")]).await;
    let (_, limited) = token(&app, "limited", json!([]), Some(3)).await;
    let (_, neighbour) = token(&app, "neighbour", json!([]), Some(3)).await;
    let (_, defaulted) = token(&app, "defaulted", json!([]), None).await;

    for i in 0..3 {
        let r = app.get("/api/v1/whoami", &limited).await;
        assert_eq!(r.status, 200, "call {i}: {}", r.text);
    }
    let fourth = app.get("/api/v1/whoami", &limited).await;
    assert_limited(&fourth);
    // Refused calls are not counted in anyone else's window.
    assert_eq!(app.get("/api/v1/whoami", &neighbour).await.status, 200);

    for i in 0..12 {
        let r = app.get("/api/v1/whoami", &defaulted).await;
        assert_eq!(r.status, 200, "call {i}: {}", r.text);
    }
    assert_limited(&app.get("/api/v1/whoami", &defaulted).await);

    // Unauthenticated and malformed calls are not counted against anyone.
    let anon = app.send(Method::GET, "/api/v1/whoami", None, None).await;
    assert_eq!(anon.status, 401);
}

#[tokio::test]
async fn gateway_calls_share_the_token_window() {
    let upstream = Upstream::start().await;
    let app = spawn_app_with(&[
        ("UPSTREAM_URL", &upstream.url),
        ("GATEWAY_SIGNING_KEY", "k"),
        ("DEFAULT_RATE_LIMIT", "100"),
    ])
    .await;
    let grants = json!([{"service": "components", "permission": "run", "resource": "c"}]);
    let (id, secret) = token(&app, "runner", grants, Some(3)).await;
    assert_eq!(app.get("/api/v1/whoami", &secret).await.status, 200);
    for _ in 0..2 {
        let r = app
            .send(Method::POST, "/gw/components/c/run", Some(&secret), None)
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let over = app
        .send(Method::POST, "/gw/components/c/run", Some(&secret), None)
        .await;
    assert_limited(&over);
    assert_eq!(
        upstream.calls().len(),
        2,
        "a limited call reached the upstream"
    );
    assert_limited(&app.get("/api/v1/whoami", &secret).await);

    // Raising the limit takes effect on the next call.
    let patched = app
        .patch(
            &format!("/api/v1/tokens/{id}"),
            &app.admin_secret,
            json!({"rate_limit": 10}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(app.get("/api/v1/whoami", &secret).await.status, 200);
}

/// The promise under concurrency: many connections, several tokens, each
/// token admitted exactly its limit within the window (isolates spend
/// leased slices of the budget, never more), the rest refused with a
/// `Retry-After` that the window bears out.
#[tokio::test]
async fn exactly_the_limit_is_admitted_under_concurrent_load() {
    let app = spawn_app_with(&[("DEFAULT_RATE_LIMIT", "100000")]).await;
    const LIMIT: usize = 60;
    const CALLS: usize = 90;
    let mut secrets = vec![];
    for n in 0..3 {
        let (_, s) = token(&app, &format!("busy {n}"), json!([]), Some(LIMIT as u32)).await;
        secrets.push(s);
    }
    // 3 tokens × 90 calls over 16 connections at once.
    let jobs: Vec<(usize, String)> = (0..CALLS)
        .flat_map(|_| secrets.iter().cloned().enumerate())
        .collect();
    let jobs = std::sync::Arc::new(tokio::sync::Mutex::new(jobs));
    let mut workers = vec![];
    for _ in 0..16 {
        let jobs = jobs.clone();
        let client = app.client.clone();
        let url = app.url("/api/v1/whoami");
        workers.push(tokio::spawn(async move {
            let mut seen = vec![];
            loop {
                let Some((n, secret)) = jobs.lock().await.pop() else {
                    break;
                };
                let r = client
                    .get(&url)
                    .bearer_auth(&secret)
                    .send()
                    .await
                    .expect("answer");
                let retry = r
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok());
                seen.push((n, r.status().as_u16(), retry));
                let _ = r.bytes().await;
            }
            seen
        }));
    }
    let started = std::time::Instant::now();
    let mut admitted = [0usize; 3];
    let mut refused = [0usize; 3];
    for w in workers {
        for (n, status, retry) in w.await.expect("worker") {
            match status {
                200 => admitted[n] += 1,
                429 => {
                    refused[n] += 1;
                    let retry = retry.expect("429 carries Retry-After");
                    assert!((1..=60).contains(&retry), "Retry-After {retry}");
                }
                other => panic!("unexpected status {other}"),
            }
        }
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(50),
        "the burst must fit in one window for the count to mean anything"
    );
    assert_eq!(
        admitted, [LIMIT; 3],
        "admitted per token (refused {refused:?})"
    );
    assert_eq!(refused, [CALLS - LIMIT; 3]);
    println!("rate limit: {LIMIT} of {CALLS} admitted for each of 3 tokens over 16 connections");
}
