//! Admins and their master tokens (Keboola master tokens, Dataiku admin
//! keys): added with a master secret shown once; removing an admin removes
//! their tokens; the last admin stays.

use keyward_tests::spawn_app;
use serde_json::json;

#[tokio::test]
async fn add_admin_then_remove_them_and_their_tokens() {
    let app = spawn_app().await;
    let r = app
        .post(
            "/api/v1/admins",
            &app.admin_secret,
            json!({"email": "Ops@Example.com", "name": "Ops"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let v = r.json();
    let admin_id = v["admin"]["id"].as_str().unwrap().to_string();
    assert_eq!(v["admin"]["email"], "ops@example.com");
    assert_eq!(v["master_token"]["kind"], "master");
    let secret = v["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("kw_m_"));
    assert_eq!(
        app.get("/api/v1/whoami", &secret).await.json()["token"]["kind"],
        "master"
    );

    let dup = app
        .post(
            "/api/v1/admins",
            &app.admin_secret,
            json!({"email": "ops@example.com", "name": "Again"}),
        )
        .await;
    assert_eq!(dup.status, 409);

    let list = app.get("/api/v1/admins", &app.admin_secret).await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);

    assert_eq!(
        app.delete(&format!("/api/v1/admins/{admin_id}"), &app.admin_secret)
            .await
            .status,
        204
    );
    assert_eq!(app.get("/api/v1/whoami", &secret).await.status, 401);
    assert_eq!(
        app.get("/api/v1/admins", &app.admin_secret).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn the_last_admin_cannot_be_removed() {
    let app = spawn_app().await;
    let list = app.get("/api/v1/admins", &app.admin_secret).await.json();
    let id = list["items"][0]["id"].as_str().unwrap().to_string();
    let r = app
        .delete(&format!("/api/v1/admins/{id}"), &app.admin_secret)
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.code(), "conflict");
    assert_eq!(
        app.get("/api/v1/whoami", &app.admin_secret).await.status,
        200
    );
    assert_eq!(
        app.delete("/api/v1/admins/adm_nope", &app.admin_secret)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn bootstrap_happens_once() {
    let app = spawn_app().await;
    // The bootstrap hash is configured, but an admin exists: a second,
    // different master secret is just unknown.
    let other = keyward_tests::mint(keyward_domain::TokenKind::Master);
    let r = app.get("/api/v1/whoami", other.expose()).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.code(), "invalid_token");
}
