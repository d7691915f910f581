//! Celonis application keys: a new key has no permissions ("No permissions
//! found"), permissions are ticked per pool or for all pools, "View
//! Permissions" lists them, and a deleted key stops working.

use keyward_tests::spawn_app;
use serde_json::json;

#[tokio::test]
async fn new_token_has_no_permissions_until_granted_and_star_covers_all() {
    let app = spawn_app().await;
    app.create_bucket("pool-a").await;
    app.create_bucket("pool-b").await;
    let (token, secret) = app.create_token("jupyter", json!([])).await;
    let id = token["id"].as_str().unwrap().to_string();

    let me = app.get("/api/v1/whoami", &secret).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["permissions"], json!([]), "no permissions found");
    for path in [
        "/api/v1/buckets/pool-a/objects",
        "/api/v1/tokens",
        "/api/v1/audit",
    ] {
        let r = app.get(path, &secret).await;
        assert_eq!(r.status, 403, "{path}: {}", r.text);
        assert_eq!(r.code(), "insufficient_permission");
    }
    assert_eq!(
        app.get("/api/v1/buckets", &secret).await.json()["items"],
        json!([])
    );

    // One pool.
    let r = app
        .patch(
            &format!("/api/v1/tokens/{id}"),
            &app.admin_secret,
            json!({"grants": [{"service": "storage", "permission": "read", "resource": "pool-a"}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        app.get("/api/v1/buckets/pool-a/objects", &secret)
            .await
            .status,
        200
    );
    let denied = app.get("/api/v1/buckets/pool-b/objects", &secret).await;
    assert_eq!(denied.status, 403);
    assert!(denied.json()["detail"]
        .as_str()
        .unwrap()
        .contains("storage:read@pool-b"));

    // All pools, now and future.
    app.patch(
        &format!("/api/v1/tokens/{id}"),
        &app.admin_secret,
        json!({"grants": [{"service": "storage", "permission": "read", "resource": "*"}]}),
    )
    .await;
    app.create_bucket("pool-c").await;
    for b in ["pool-a", "pool-b", "pool-c"] {
        assert_eq!(
            app.get(&format!("/api/v1/buckets/{b}/objects"), &secret)
                .await
                .status,
            200,
            "{b}"
        );
    }

    // View permissions.
    let me = app.get("/api/v1/whoami", &secret).await.json();
    assert_eq!(
        me["permissions"],
        json!([{"service": "storage", "permissions": [{"permission": "read", "resources": ["*"]}]}])
    );

    // Delete: the key is not used anymore.
    assert_eq!(
        app.delete(&format!("/api/v1/tokens/{id}"), &app.admin_secret)
            .await
            .status,
        204
    );
    let gone = app.get("/api/v1/whoami", &secret).await;
    assert_eq!(gone.status, 401);
    assert_eq!(gone.code(), "invalid_token");
}

/// Celonis lets a key hold "all pools" and one pool at once; all wins. The
/// token keeps both grants as given, every pool answers, whoami shows the
/// effective `*`, and dropping the `*` leaves exactly the one pool.
#[tokio::test]
async fn all_pools_and_one_pool_held_together_all_wins() {
    let app = spawn_app().await;
    app.create_bucket("pool-a").await;
    app.create_bucket("pool-b").await;
    let one = json!({"service": "storage", "permission": "read", "resource": "pool-a"});
    let all = json!({"service": "storage", "permission": "read", "resource": "*"});
    let (token, secret) = app.create_token("both", json!([one, all])).await;
    let id = token["id"].as_str().unwrap().to_string();
    let stored = app
        .get(&format!("/api/v1/tokens/{id}"), &app.admin_secret)
        .await
        .json();
    let grants = stored["grants"].as_array().cloned().unwrap_or_default();
    assert!(grants.contains(&one) && grants.contains(&all), "{stored}");

    app.create_bucket("pool-later").await;
    for b in ["pool-a", "pool-b", "pool-later"] {
        let r = app
            .get(&format!("/api/v1/buckets/{b}/objects"), &secret)
            .await;
        assert_eq!(r.status, 200, "{b}: {}", r.text);
    }
    let me = app.get("/api/v1/whoami", &secret).await.json();
    assert_eq!(
        me["permissions"],
        json!([{"service": "storage", "permissions": [{"permission": "read", "resources": ["*"]}]}])
    );
    let verify = app
        .post(
            "/api/v1/verify",
            &app.admin_secret,
            json!({"key": secret, "require": [{"service": "storage", "permission": "read", "resource": "pool-b"}]}),
        )
        .await;
    assert_eq!(verify.json()["code"], "VALID", "{}", verify.text);

    // Without the `*`, the one pool is all that is left.
    let r = app
        .patch(
            &format!("/api/v1/tokens/{id}"),
            &app.admin_secret,
            json!({"grants": [one]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        app.get("/api/v1/buckets/pool-a/objects", &secret)
            .await
            .status,
        200
    );
    assert_eq!(
        app.get("/api/v1/buckets/pool-b/objects", &secret)
            .await
            .status,
        403
    );
    let me = app.get("/api/v1/whoami", &secret).await.json();
    assert_eq!(
        me["permissions"][0]["permissions"][0]["resources"],
        json!(["pool-a"])
    );
}
