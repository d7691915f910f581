//! No privilege escalation: a token that manages tokens may hand out, edit,
//! refresh or delete only what it holds itself.

use keyward_tests::spawn_app;
use serde_json::json;

#[tokio::test]
async fn a_manager_cannot_mint_or_widen_beyond_itself() {
    let app = spawn_app().await;
    let (_, manager) = app
        .create_token(
            "manager",
            json!([
                {"service": "tokens", "permission": "manage"},
                {"service": "storage", "permission": "read", "resource": "*"}
            ]),
        )
        .await;
    let r = app
        .post(
            "/api/v1/tokens",
            &manager,
            json!({"name": "sneaky", "grants": [{"service": "storage", "permission": "write", "resource": "x"}]}),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.code(), "privilege_escalation");
    assert!(r.json()["detail"]
        .as_str()
        .unwrap()
        .contains("storage:write@x"));
    assert_eq!(
        app.get("/api/v1/tokens?name=sneaky", &app.admin_secret)
            .await
            .json()["total"],
        0,
        "nothing created"
    );

    // Within its own grants it may.
    let (child, _) = app
        .create_token_as(
            &manager,
            "reader",
            json!([{"service": "storage", "permission": "read", "resource": "x"}]),
        )
        .await;
    let child_id = child["id"].as_str().unwrap();
    let widen = app
        .patch(
            &format!("/api/v1/tokens/{child_id}"),
            &manager,
            json!({"grants": [{"service": "audit", "permission": "read"}]}),
        )
        .await;
    assert_eq!(widen.status, 403);
    assert_eq!(widen.code(), "privilege_escalation");

    // A stronger token is out of its reach: no refresh (which would hand
    // over its secret), no delete.
    let (strong, strong_secret) = app
        .create_token(
            "strong",
            json!([{"service": "storage", "permission": "write", "resource": "*"}]),
        )
        .await;
    let strong_id = strong["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/tokens/{strong_id}/refresh"),
            &manager,
            json!({}),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.code(), "privilege_escalation");
    assert!(!r.text.contains("kw_s_"));
    assert_eq!(
        app.delete(&format!("/api/v1/tokens/{strong_id}"), &manager)
            .await
            .status,
        403
    );
    assert_eq!(
        app.get("/api/v1/whoami", &strong_secret).await.status,
        200,
        "untouched"
    );
}

#[tokio::test]
async fn only_master_tokens_manage_admins() {
    let app = spawn_app().await;
    let (_, manager) = app
        .create_token(
            "manager",
            json!([{"service": "tokens", "permission": "manage"}]),
        )
        .await;
    let r = app
        .post(
            "/api/v1/admins",
            &manager,
            json!({"email": "x@example.com", "name": "X"}),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.code(), "insufficient_permission");
    assert_eq!(app.get("/api/v1/admins", &manager).await.status, 403);
}
