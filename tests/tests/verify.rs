//! `/verify` (Unkey's verifyKey) for other backends.

use keyward_tests::spawn_app;
use serde_json::json;

#[tokio::test]
async fn verify_answers_each_case() {
    let app = spawn_app().await;
    let (_, backend) = app
        .create_token(
            "backend",
            json!([{"service": "tokens", "permission": "verify"}]),
        )
        .await;
    let (token, key) = app
        .create_token(
            "client",
            json!([{"service": "storage", "permission": "read", "resource": "in.c-x"}]),
        )
        .await;
    let verify = |body: serde_json::Value| {
        let app = &app;
        let backend = backend.clone();
        async move { app.post("/api/v1/verify", &backend, body).await }
    };
    let ok = verify(json!({"key": key, "require": [{"service": "storage", "permission": "read", "resource": "in.c-x"}]})).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.json()["valid"], true);
    assert_eq!(ok.json()["code"], "VALID");
    assert_eq!(ok.json()["token"]["id"], token["id"]);

    let short = verify(json!({"key": key, "require": [{"service": "storage", "permission": "write", "resource": "in.c-x"}]})).await;
    assert_eq!(short.json()["code"], "INSUFFICIENT_PERMISSIONS");
    assert_eq!(short.json()["valid"], false);

    assert_eq!(
        verify(json!({"key": "kw_s_nope"})).await.json()["code"],
        "MALFORMED"
    );
    let unknown = keyward_tests::mint(keyward_domain::TokenKind::Scoped);
    assert_eq!(
        verify(json!({"key": unknown.expose()})).await.json()["code"],
        "NOT_FOUND"
    );

    let r = app
        .post(
            "/api/v1/tokens",
            &app.admin_secret,
            json!({"name": "brief", "expires_in": 1}),
        )
        .await;
    let brief = r.json()["secret"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        verify(json!({"key": brief})).await.json()["code"],
        "EXPIRED"
    );

    let bad =
        verify(json!({"key": key, "require": [{"service": "nope", "permission": "x"}]})).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.code(), "unknown_permission");

    // Verifying needs tokens:verify.
    let r = app.post("/api/v1/verify", &key, json!({"key": key})).await;
    assert_eq!(r.status, 403);
}
