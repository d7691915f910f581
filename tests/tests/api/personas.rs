//! Atlan personas: named sets of grants that tokens link. Linking is a
//! complete set (what is left out is unlinked); a token holds its own
//! grants plus its personas'; editing a persona changes every linked token
//! at once; deleting a linked persona needs confirmation and unlinks it.

use keyward_tests::{spawn_app, Answer, TestApp};
use serde_json::{json, Value};

async fn persona(app: &TestApp, name: &str, grants: Value) -> String {
    let r = app
        .post(
            "/api/v1/personas",
            &app.admin_secret,
            json!({"name": name, "description": format!("{name} persona"), "grants": grants}),
        )
        .await;
    assert_eq!(r.status, 201, "create persona: {}", r.text);
    r.json()["id"].as_str().unwrap().to_string()
}

async fn token_with_personas(app: &TestApp, name: &str, personas: &[&str]) -> (String, String) {
    let r = app
        .post(
            "/api/v1/tokens",
            &app.admin_secret,
            json!({"name": name, "personas": personas}),
        )
        .await;
    assert_eq!(r.status, 201, "create token: {}", r.text);
    let v = r.json();
    (
        v["token"]["id"].as_str().unwrap().to_string(),
        v["secret"].as_str().unwrap().to_string(),
    )
}

/// `service:permission@resource` strings of whoami's effective permissions.
async fn holds(app: &TestApp, secret: &str) -> Vec<String> {
    let r = app.get("/api/v1/whoami", secret).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut out = vec![];
    for service in r.json()["permissions"].as_array().unwrap() {
        for p in service["permissions"].as_array().unwrap() {
            let base = format!(
                "{}:{}",
                service["service"].as_str().unwrap(),
                p["permission"].as_str().unwrap()
            );
            let resources = p["resources"].as_array().unwrap();
            if resources.is_empty() {
                out.push(base);
            } else {
                for r in resources {
                    out.push(format!("{base}@{}", r.as_str().unwrap()));
                }
            }
        }
    }
    out
}

async fn read_objects(app: &TestApp, secret: &str, bucket: &str) -> Answer {
    app.get(&format!("/api/v1/buckets/{bucket}/objects"), secret)
        .await
}

#[tokio::test]
async fn linking_personas_is_a_complete_set() {
    let app = spawn_app().await;
    app.create_bucket("finance").await;
    app.create_bucket("marketing").await;
    let finance = persona(
        &app,
        "Finance readers",
        json!([{"service": "storage", "permission": "read", "resource": "finance"}]),
    )
    .await;
    let marketing = persona(
        &app,
        "Marketing writers",
        json!([{"service": "storage", "permission": "write", "resource": "marketing"}]),
    )
    .await;

    let (id, secret) = token_with_personas(&app, "analyst", &[&finance, &marketing]).await;
    let token = app
        .get(&format!("/api/v1/tokens/{id}"), &app.admin_secret)
        .await
        .json();
    assert_eq!(token["personas"], json!([finance, marketing]));
    assert_eq!(
        token["grants"],
        json!([]),
        "persona grants are not copied into the token's own"
    );
    let held = holds(&app, &secret).await;
    assert!(
        held.contains(&"storage:read@finance".to_string()),
        "{held:?}"
    );
    assert!(
        held.contains(&"storage:write@marketing".to_string()),
        "{held:?}"
    );
    // Implication applies to persona grants too: write ⇒ read.
    assert!(
        held.contains(&"storage:read@marketing".to_string()),
        "{held:?}"
    );
    assert_eq!(read_objects(&app, &secret, "finance").await.status, 200);

    // The update names only the marketing persona: finance is unlinked.
    let r = app
        .patch(
            &format!("/api/v1/tokens/{id}"),
            &app.admin_secret,
            json!({"personas": [marketing]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["personas"], json!([marketing]));
    let held = holds(&app, &secret).await;
    assert!(!held.iter().any(|g| g.contains("finance")), "{held:?}");
    let denied = read_objects(&app, &secret, "finance").await;
    assert_eq!(denied.status, 403);
    assert_eq!(denied.code(), "insufficient_permission");
    assert_eq!(read_objects(&app, &secret, "marketing").await.status, 200);

    // An empty set unlinks everything.
    let r = app
        .patch(
            &format!("/api/v1/tokens/{id}"),
            &app.admin_secret,
            json!({"personas": []}),
        )
        .await;
    assert_eq!(r.json()["personas"], json!([]));
    assert!(holds(&app, &secret).await.is_empty());
    // Leaving `personas` out of an update keeps the links.
    let (id2, secret2) = token_with_personas(&app, "kept", &[&finance]).await;
    app.patch(
        &format!("/api/v1/tokens/{id2}"),
        &app.admin_secret,
        json!({"description": "still finance"}),
    )
    .await;
    assert_eq!(read_objects(&app, &secret2, "finance").await.status, 200);

    // The persona filter finds linking tokens.
    let r = app
        .get(
            &format!("/api/v1/tokens?persona={finance}"),
            &app.admin_secret,
        )
        .await;
    let names: Vec<String> = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["kept"]);
}

#[tokio::test]
async fn editing_a_persona_changes_every_linked_token_at_once() {
    let app = spawn_app().await;
    app.create_bucket("alpha").await;
    app.create_bucket("beta").await;
    let p = persona(
        &app,
        "Readers",
        json!([{"service": "storage", "permission": "read", "resource": "alpha"}]),
    )
    .await;
    let (_, one) = token_with_personas(&app, "one", &[&p]).await;
    let (_, two) = token_with_personas(&app, "two", &[&p]).await;
    for s in [&one, &two] {
        assert_eq!(read_objects(&app, s, "beta").await.status, 403);
    }
    let r = app
        .patch(
            &format!("/api/v1/personas/{p}"),
            &app.admin_secret,
            json!({"grants": [{"service": "storage", "permission": "read", "resource": "*"}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["linked_tokens"], 2);
    // Immediately, for both tokens, in whoami, verify and real calls.
    for s in [&one, &two] {
        assert_eq!(read_objects(&app, s, "beta").await.status, 200);
        assert!(holds(&app, s).await.contains(&"storage:read@*".to_string()));
        let v = app
            .post(
                "/api/v1/verify",
                &app.admin_secret,
                json!({"key": s, "require": [{"service": "storage", "permission": "read", "resource": "beta"}]}),
            )
            .await
            .json();
        assert_eq!(v["code"], "VALID", "{v}");
    }
    // Taking the grant back takes it from both.
    app.patch(
        &format!("/api/v1/personas/{p}"),
        &app.admin_secret,
        json!({"grants": []}),
    )
    .await;
    for s in [&one, &two] {
        assert_eq!(read_objects(&app, s, "alpha").await.status, 403);
        let v = app
            .post(
                "/api/v1/verify",
                &app.admin_secret,
                json!({"key": s, "require": [{"service": "storage", "permission": "read", "resource": "alpha"}]}),
            )
            .await
            .json();
        assert_eq!(v["code"], "INSUFFICIENT_PERMISSIONS", "{v}");
    }
}

#[tokio::test]
async fn deleting_a_linked_persona_asks_first_then_unlinks_it() {
    let app = spawn_app().await;
    app.create_bucket("shared").await;
    let p = persona(
        &app,
        "Shared readers",
        json!([{"service": "storage", "permission": "read", "resource": "shared"}]),
    )
    .await;
    let (id, secret) = token_with_personas(&app, "reader", &[&p]).await;

    let refused = app
        .delete(&format!("/api/v1/personas/{p}"), &app.admin_secret)
        .await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert_eq!(refused.code(), "persona_in_use");
    assert!(
        refused.json()["detail"]
            .as_str()
            .unwrap()
            .contains("1 token"),
        "{}",
        refused.text
    );
    // Nothing changed.
    assert_eq!(read_objects(&app, &secret, "shared").await.status, 200);
    assert_eq!(
        app.get(&format!("/api/v1/personas/{p}"), &app.admin_secret)
            .await
            .status,
        200
    );

    let r = app
        .delete(
            &format!("/api/v1/personas/{p}?unlink=true"),
            &app.admin_secret,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(
        app.get(&format!("/api/v1/personas/{p}"), &app.admin_secret)
            .await
            .status,
        404
    );
    let token = app
        .get(&format!("/api/v1/tokens/{id}"), &app.admin_secret)
        .await
        .json();
    assert_eq!(token["personas"], json!([]));
    assert_eq!(read_objects(&app, &secret, "shared").await.status, 403);
    // The token itself lives on.
    assert_eq!(app.get("/api/v1/whoami", &secret).await.status, 200);

    // An unlinked persona goes without asking.
    let q = persona(&app, "Unused", json!([])).await;
    assert_eq!(
        app.delete(&format!("/api/v1/personas/{q}"), &app.admin_secret)
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn only_admins_manage_personas_and_linking_cannot_escalate() {
    let app = spawn_app().await;
    app.create_bucket("x").await;
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
        .post("/api/v1/personas", &manager, json!({"name": "mine"}))
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.code(), "insufficient_permission");

    let readers = persona(
        &app,
        "Readers",
        json!([{"service": "storage", "permission": "read", "resource": "x"}]),
    )
    .await;
    let writers = persona(
        &app,
        "Writers",
        json!([{"service": "storage", "permission": "write", "resource": "*"}]),
    )
    .await;
    // Listing is allowed: linking needs to know what a persona grants.
    let list = app.get("/api/v1/personas", &manager).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.json()["items"].as_array().unwrap().len(), 2);

    // Linking a persona whose grants the manager holds is fine...
    let ok = app
        .post(
            "/api/v1/tokens",
            &manager,
            json!({"name": "sub", "personas": [readers]}),
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    // ...linking one with more is escalation, and creates nothing.
    let r = app
        .post(
            "/api/v1/tokens",
            &manager,
            json!({"name": "stronger", "personas": [writers]}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.code(), "privilege_escalation");
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap()
            .contains("storage:write@*"),
        "{}",
        r.text
    );
    let found = app
        .get("/api/v1/tokens?name=stronger", &app.admin_secret)
        .await
        .json();
    assert_eq!(found["total"], 0);
    // Nor can the manager add it to an existing token.
    let sub = ok.json()["token"]["id"].as_str().unwrap().to_string();
    let r = app
        .patch(
            &format!("/api/v1/tokens/{sub}"),
            &manager,
            json!({"personas": [readers, writers]}),
        )
        .await;
    assert_eq!(r.code(), "privilege_escalation", "{}", r.text);
    let token = app
        .get(&format!("/api/v1/tokens/{sub}"), &app.admin_secret)
        .await
        .json();
    assert_eq!(token["personas"], json!([readers]));
}

#[tokio::test]
async fn bad_persona_input_is_refused_precisely() {
    let app = spawn_app().await;
    let r = app
        .post(
            "/api/v1/tokens",
            &app.admin_secret,
            json!({"name": "t", "personas": ["per_nosuchthing"]}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json()["errors"][0]["field"], "personas[0]");
    assert_eq!(
        app.get("/api/v1/tokens?name=t", &app.admin_secret)
            .await
            .json()["total"],
        0
    );

    let r = app
        .post(
            "/api/v1/personas",
            &app.admin_secret,
            json!({"name": "odd", "grants": [{"service": "storage", "permission": "fly"}]}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "unknown_permission");

    persona(&app, "Twice", json!([])).await;
    let r = app
        .post(
            "/api/v1/personas",
            &app.admin_secret,
            json!({"name": "Twice"}),
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.code(), "conflict");
    let r = app
        .post("/api/v1/personas", &app.admin_secret, json!({"name": ""}))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["errors"][0]["field"], "name");
    let r = app
        .delete("/api/v1/personas/per_x?unlink=maybe", &app.admin_secret)
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["errors"][0]["field"], "unlink");
}
