//! Dataiku DSS: permissions imply others (write ⇒ read), and calls made
//! with a key appear in the audit log as performed by that key.

use keyward_tests::spawn_app;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn write_implies_read() {
    let app = spawn_app().await;
    app.create_bucket("models").await;
    let (_, secret) = app
        .create_token(
            "writer",
            json!([{"service": "storage", "permission": "write", "resource": "models"}]),
        )
        .await;
    assert_eq!(
        app.get("/api/v1/buckets/models/objects", &secret)
            .await
            .status,
        200
    );
    let me = app.get("/api/v1/whoami", &secret).await.json();
    assert_eq!(
        me["permissions"],
        json!([{"service": "storage", "permissions": [
            {"permission": "read", "resources": ["models"]},
            {"permission": "write", "resources": ["models"]}
        ]}])
    );
}

#[tokio::test]
async fn audit_log_shows_the_keys_client_id_for_its_calls() {
    let app = spawn_app().await;
    app.create_bucket("scores").await;
    let (token, secret) = app
        .create_token(
            "scoring",
            json!([
                {"service": "storage", "permission": "write", "resource": "scores"},
                {"service": "tokens", "permission": "manage"}
            ]),
        )
        .await;
    let client_id = token["client_id"].as_str().unwrap().to_string();
    let put = app
        .send_raw(
            Method::PUT,
            "/api/v1/buckets/scores/objects/run-1",
            Some(&secret),
            "text/plain",
            b"0.93".to_vec(),
        )
        .await;
    assert_eq!(put.status, 200);
    let denied = app.get("/api/v1/buckets/other/objects", &secret).await;
    assert_eq!(denied.status, 403);
    let created = app
        .post("/api/v1/tokens", &secret, json!({"name": "child"}))
        .await;
    assert_eq!(created.status, 201);

    // Audit writes complete after the response; poll briefly.
    let mut entries = serde_json::Value::Null;
    for _ in 0..40 {
        entries = app
            .get(
                &format!("/api/v1/audit?actor={client_id}&limit=100"),
                &app.admin_secret,
            )
            .await
            .json();
        if entries["total"].as_u64().unwrap_or(0) >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let items = entries["items"].as_array().unwrap().clone();
    assert!(items.iter().all(|e| e["actor"] == client_id.as_str()));
    let has = |action: &str, outcome: &str| {
        items
            .iter()
            .any(|e| e["action"] == action && e["outcome"] == outcome)
    };
    assert!(has("object.put", "success"), "{items:?}");
    assert!(has("object.list", "denied"), "{items:?}");
    assert!(has("token.create", "success"), "{items:?}");
    let text = serde_json::to_string(&entries).unwrap();
    assert!(!text.contains(&secret));

    let filtered = app
        .get("/api/v1/audit?action=token.create", &app.admin_secret)
        .await
        .json();
    assert!(filtered["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["action"] == "token.create"));
}
