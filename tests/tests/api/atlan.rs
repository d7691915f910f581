//! Atlan API tokens: the secret is shown once; tokens are found by name and
//! client id; lists page and sort; description and grants are edited (grants
//! as a complete set); deletion is final.

use keyward_tests::spawn_app;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn secret_appears_in_the_create_response_and_nowhere_after() {
    let app = spawn_app().await;
    let (token, secret) = app
        .create_token(
            "atlan-bot",
            json!([{"service": "storage", "permission": "read", "resource": "*"}]),
        )
        .await;
    let id = token["id"].as_str().unwrap().to_string();
    let client_id = token["client_id"].as_str().unwrap().to_string();
    assert!(secret.starts_with("kw_s_"));
    assert_eq!(
        token["secret_hint"],
        format!("kw_s_…{}", &secret[secret.len() - 4..])
    );

    let mut later = vec![
        app.get(&format!("/api/v1/tokens/{id}"), &app.admin_secret)
            .await,
        app.get("/api/v1/tokens", &app.admin_secret).await,
        app.get(
            &format!("/api/v1/tokens?client_id={client_id}"),
            &app.admin_secret,
        )
        .await,
        app.get("/api/v1/whoami", &secret).await,
        app.get("/api/v1/audit?limit=100", &app.admin_secret).await,
        app.patch(
            &format!("/api/v1/tokens/{id}"),
            &app.admin_secret,
            json!({"description": "d"}),
        )
        .await,
        app.post("/api/v1/verify", &app.admin_secret, json!({"key": secret}))
            .await,
        app.get("/api/v1/buckets", &secret).await,
    ];
    later.push(
        app.send(Method::GET, "/api/v1/openapi.json", None, None)
            .await,
    );
    for r in &later {
        assert!(r.status < 500, "{}", r.text);
        assert!(
            !r.text.contains(&secret),
            "secret leaked in a later response: {}",
            r.text
        );
    }
}

#[tokio::test]
async fn find_by_name_and_client_id_page_sort_and_search() {
    let app = spawn_app().await;
    let mut client_ids = vec![];
    for name in ["delta", "alpha", "charlie", "bravo", "echo"] {
        let r = app
            .post(
                "/api/v1/tokens",
                &app.admin_secret,
                json!({"name": name, "description": format!("the {name} pipeline")}),
            )
            .await;
        assert_eq!(r.status, 201);
        client_ids.push(r.json()["token"]["client_id"].as_str().unwrap().to_string());
    }
    let by_name = app
        .get("/api/v1/tokens?name=charlie", &app.admin_secret)
        .await
        .json();
    assert_eq!(by_name["total"], 1);
    assert_eq!(by_name["items"][0]["name"], "charlie");
    let by_client = app
        .get(
            &format!("/api/v1/tokens?client_id={}", client_ids[0]),
            &app.admin_secret,
        )
        .await
        .json();
    assert_eq!(by_client["items"][0]["name"], "delta");

    let names = |v: &serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect()
    };
    let page1 = app
        .get(
            "/api/v1/tokens?kind=scoped&sort=name&limit=2",
            &app.admin_secret,
        )
        .await
        .json();
    assert_eq!(page1["total"], 5);
    assert_eq!(names(&page1), ["alpha", "bravo"]);
    let page2 = app
        .get(
            "/api/v1/tokens?kind=scoped&sort=name&limit=2&offset=2",
            &app.admin_secret,
        )
        .await
        .json();
    assert_eq!(names(&page2), ["charlie", "delta"]);
    let desc = app
        .get(
            "/api/v1/tokens?kind=scoped&sort=-name&limit=1",
            &app.admin_secret,
        )
        .await
        .json();
    assert_eq!(names(&desc), ["echo"]);
    let q = app
        .get("/api/v1/tokens?q=bravo%20pipe", &app.admin_secret)
        .await
        .json();
    assert_eq!(names(&q), ["bravo"]);
    let kinds = app
        .get("/api/v1/tokens?kind=master", &app.admin_secret)
        .await
        .json();
    assert_eq!(kinds["total"], 1);
}

#[tokio::test]
async fn update_description_and_replace_grants_then_delete_for_good() {
    let app = spawn_app().await;
    let (token, secret) = app
        .create_token(
            "editable",
            json!([
                {"service": "storage", "permission": "read", "resource": "a"},
                {"service": "storage", "permission": "read", "resource": "b"}
            ]),
        )
        .await;
    let id = token["id"].as_str().unwrap().to_string();
    let r = app
        .patch(
            &format!("/api/v1/tokens/{id}"),
            &app.admin_secret,
            json!({"description": "nightly export"}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["description"], "nightly export");
    assert_eq!(
        r.json()["grants"].as_array().unwrap().len(),
        2,
        "grants untouched"
    );

    let r = app
        .patch(
            &format!("/api/v1/tokens/{id}"),
            &app.admin_secret,
            json!({"grants": [{"service": "storage", "permission": "read", "resource": "b"}]}),
        )
        .await;
    assert_eq!(
        r.json()["grants"],
        json!([{"service": "storage", "permission": "read", "resource": "b"}])
    );
    assert_eq!(
        app.get("/api/v1/buckets/a/objects", &secret).await.status,
        403,
        "left out = removed"
    );

    assert_eq!(
        app.delete(&format!("/api/v1/tokens/{id}"), &app.admin_secret)
            .await
            .status,
        204
    );
    assert_eq!(
        app.get(&format!("/api/v1/tokens/{id}"), &app.admin_secret)
            .await
            .status,
        404
    );
    assert_eq!(
        app.delete(&format!("/api/v1/tokens/{id}"), &app.admin_secret)
            .await
            .status,
        404
    );
    assert_eq!(app.get("/api/v1/whoami", &secret).await.status, 401);
}

#[tokio::test]
async fn rate_limit_is_set_changed_and_reset() {
    let app = spawn_app().await;
    let r = app
        .post(
            "/api/v1/tokens",
            &app.admin_secret,
            json!({"name": "limited", "rate_limit": 30}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["token"]["rate_limit"], 30);
    let id = r.json()["token"]["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/tokens/{id}");
    assert_eq!(
        app.patch(&path, &app.admin_secret, json!({"rate_limit": 5}))
            .await
            .json()["rate_limit"],
        5
    );
    assert_eq!(
        app.patch(&path, &app.admin_secret, json!({"description": "x"}))
            .await
            .json()["rate_limit"],
        5
    );
    assert_eq!(
        app.patch(&path, &app.admin_secret, json!({"rate_limit": null}))
            .await
            .json()["rate_limit"],
        serde_json::Value::Null
    );
    let bad = app
        .patch(&path, &app.admin_secret, json!({"rate_limit": 0}))
        .await;
    assert_eq!(
        (bad.status, bad.json()["errors"][0]["field"].as_str()),
        (400, Some("rate_limit"))
    );
}

/// Atlan's API reads a validity of 409968000 seconds as "never expires";
/// an Atlan-style client sends exactly that.
#[tokio::test]
async fn a_validity_of_409968000_seconds_means_never() {
    let app = spawn_app().await;
    let r = app
        .post(
            "/api/v1/tokens",
            &app.admin_secret,
            json!({"name": "atlan-style", "expires_in": 409968000u64}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let token = r.json()["token"].clone();
    assert!(token["expires_at"].is_null(), "{token}");
    // One second either side is an ordinary (too long) validity: refused.
    for seconds in [409967999u64, 409968001] {
        let r = app
            .post(
                "/api/v1/tokens",
                &app.admin_secret,
                json!({"name": format!("near-{seconds}"), "expires_in": seconds}),
            )
            .await;
        assert_eq!(r.status, 400, "{seconds}: {}", r.text);
        assert_eq!(r.json()["errors"][0]["field"], "expires_in");
    }
}

/// A token is its own actor: removing the admin who made it leaves it
/// working, and it stays attributed to that admin.
#[tokio::test]
async fn a_token_outlives_the_admin_who_created_it() {
    let app = spawn_app().await;
    let r = app
        .post(
            "/api/v1/admins",
            &app.admin_secret,
            json!({"email": "leaver@example.com", "name": "Leaver"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let created = r.json();
    let admin_id = created["admin"]["id"].as_str().unwrap().to_string();
    let leaver_secret = created["secret"].as_str().unwrap().to_string();
    let leaver_client = created["master_token"]["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    app.create_bucket("in.c-main").await;
    let (token, secret) = app
        .create_token_as(
            &leaver_secret,
            "pipeline",
            json!([{"service": "storage", "permission": "read", "resource": "in.c-main"}]),
        )
        .await;
    let id = token["id"].as_str().unwrap().to_string();
    assert_eq!(token["created_by"], leaver_client.as_str());

    let gone = app
        .delete(&format!("/api/v1/admins/{admin_id}"), &app.admin_secret)
        .await;
    assert_eq!(gone.status, 204, "{}", gone.text);
    // The admin's own secret is dead…
    assert_eq!(app.get("/api/v1/whoami", &leaver_secret).await.status, 401);
    // …the token it made still works, with exactly its grant…
    let me = app.get("/api/v1/whoami", &secret).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(
        app.get("/api/v1/buckets/in.c-main/objects", &secret)
            .await
            .status,
        200
    );
    assert_eq!(app.get("/api/v1/tokens", &secret).await.status, 403);
    // …and is still attributed to the admin who made it.
    let read = app
        .get(&format!("/api/v1/tokens/{id}"), &app.admin_secret)
        .await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.json()["created_by"], leaver_client.as_str());
    let log = app
        .audit_until("action=token.create", &app.admin_secret, |items| {
            items.iter().any(|e| e["target"] == id.as_str())
        })
        .await;
    let entry = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["target"] == id.as_str())
        .cloned()
        .unwrap_or_default();
    assert_eq!(entry["actor"], leaver_client.as_str(), "{log}");
}
