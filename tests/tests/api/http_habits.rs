//! The HTTP habits clients of Stripe's and GitHub's APIs rely on: a
//! request id on every answer, its problem body and its audit entry;
//! versions (`ETag`) that make a stale edit fail instead of silently
//! winning; creates that can be retried (`Idempotency-Key`); and the
//! rate limit stated on every answer it governs.

use keyward_tests::spawn_app;
use reqwest::Method;
use serde_json::{json, Value};

fn entry_with<'a>(items: &'a [Value], request_id: &str) -> Option<&'a Value> {
    items.iter().find(|e| e["request_id"] == request_id)
}

#[tokio::test]
async fn every_answer_names_its_request_and_the_audit_log_keeps_the_name() {
    let app = spawn_app().await;
    let admin = app.admin_secret.clone();

    // A success, from the edge and from the control plane.
    let a = app.get("/api/v1/whoami", &admin).await;
    let b = app.get("/api/v1/whoami", &admin).await;
    let (a, b) = (
        a.header("x-request-id").expect("whoami names its request"),
        b.header("x-request-id").expect("whoami names its request"),
    );
    assert_ne!(a, b, "each request its own id");
    let health = app.send(Method::GET, "/api/v1/health", None, None).await;
    assert!(health.header("x-request-id").is_some());

    // A problem names it in its body too.
    let refused = app.get("/api/v1/whoami", "kw_s_nonsense").await;
    let id = refused
        .header("x-request-id")
        .expect("a problem names its request");
    assert_eq!(
        refused.json()["request_id"],
        id.as_str(),
        "{}",
        refused.text
    );

    // A change the registry records, and a refusal the front records,
    // are found in the log by the id their answers carried.
    let created = app
        .post("/api/v1/tokens", &admin, json!({"name": "traced"}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let create_id = created.header("x-request-id").unwrap();
    let secret = created.json()["secret"].as_str().unwrap().to_string();
    let denied = app.get("/api/v1/tokens", &secret).await;
    assert_eq!(denied.status, 403);
    let denied_id = denied.header("x-request-id").unwrap();
    assert_eq!(denied.json()["request_id"], denied_id.as_str());
    let page = app
        .audit_until("limit=100", &admin, |items| {
            entry_with(items, &create_id).is_some() && entry_with(items, &denied_id).is_some()
        })
        .await;
    let items = page["items"].as_array().unwrap();
    let create = entry_with(items, &create_id).unwrap_or_else(|| panic!("{page}"));
    assert_eq!(create["action"], "token.create", "{create}");
    let deny = entry_with(items, &denied_id).unwrap_or_else(|| panic!("{page}"));
    assert_eq!(deny["outcome"], "denied", "{deny}");
}
