//! The holes one authorization policy closed, tried as an attacker would:
//! each of these answered 200 (or leaked) before `domain::policy`.

use keyward_tests::{spawn_app, TestApp};
use serde_json::{json, Value};

fn grant(service: &str, permission: &str, resource: Option<&str>) -> Value {
    match resource {
        Some(r) => json!({"service": service, "permission": permission, "resource": r}),
        None => json!({"service": service, "permission": permission}),
    }
}

async fn issued(app: &TestApp, secret: &str, body: Value) -> (Value, String) {
    let r = app.post("/api/v1/tokens", secret, body).await;
    assert_eq!(r.status, 201, "create token: {}", r.text);
    let v = r.json();
    (
        v["token"].clone(),
        v["secret"].as_str().expect("secret").to_string(),
    )
}

#[tokio::test]
async fn a_global_key_holding_tokens_manage_cannot_make_itself_an_admin() {
    let app = spawn_app().await;
    app.create_project("alpha").await;
    let (key, secret) = issued(
        &app,
        &app.admin_secret,
        json!({"name": "ops key", "kind": "global", "grants": [grant("tokens", "manage", None)]}),
    )
    .await;
    let me = format!("/api/v1/tokens/{}", key["id"].as_str().unwrap());

    let r = app.patch(&me, &secret, json!({"global_admin": true})).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "privilege_escalation"),
        "{}",
        r.text
    );
    assert!(r.json()["detail"]
        .as_str()
        .unwrap()
        .contains("global_admin"));

    let r = app
        .patch(
            &me,
            &secret,
            json!({"project_grants": {"alpha": [grant("storage", "write", Some("*"))]}}),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "privilege_escalation"),
        "{}",
        r.text
    );
    assert!(r.json()["detail"].as_str().unwrap().contains("alpha"));

    // Nothing changed, and it cannot mint an admin either.
    let now = app.get(&me, &app.admin_secret).await.json();
    assert_eq!(now["global_admin"], false);
    assert_eq!(now["project_grants"], json!({}));
    let r = app
        .post(
            "/api/v1/admins",
            &secret,
            json!({"email": "mallory@example.com", "name": "Mallory"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);

    // A narrowing self-edit is still fine.
    let r = app
        .patch(&me, &secret, json!({"name": "ops key (renamed)"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn a_retired_secret_may_use_the_api_but_never_change_tokens() {
    let app = spawn_app().await;
    let (token, old) = issued(
        &app,
        &app.admin_secret,
        json!({"name": "rotating", "grants": [grant("tokens", "manage", None), grant("storage", "read", Some("*"))]}),
    )
    .await;
    let id = token["id"].as_str().unwrap().to_string();
    let me = format!("/api/v1/tokens/{id}");
    let r = app
        .post(
            &format!("{me}/refresh"),
            &old,
            json!({"overlap_seconds": 3600}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let new = r.json()["secret"].as_str().unwrap().to_string();

    // Inside its overlap the old secret still calls APIs ...
    assert_eq!(app.get("/api/v1/whoami", &old).await.status, 200);
    assert_eq!(app.get("/api/v1/tokens", &old).await.status, 200);

    // ... but cannot take the token over, edit, delete, mint or invite.
    let takeover = app
        .post(
            &format!("{me}/refresh"),
            &old,
            json!({"overlap_seconds": 0}),
        )
        .await;
    assert_eq!(
        (takeover.status, takeover.code().as_str()),
        (403, "retired_secret"),
        "{}",
        takeover.text
    );
    assert!(takeover.json()["detail"]
        .as_str()
        .unwrap()
        .contains("new secret"));
    for r in [
        app.patch(&me, &old, json!({"name": "hijacked"})).await,
        app.post("/api/v1/tokens", &old, json!({"name": "child"}))
            .await,
        app.post(
            &format!("{me}/invitations"),
            &old,
            json!({"email": "eve@example.com", "message": "here"}),
        )
        .await,
        app.delete(&me, &old).await,
    ] {
        assert_eq!(
            (r.status, r.code().as_str()),
            (403, "retired_secret"),
            "{}",
            r.text
        );
    }

    // The owner's new secret is untouched and nothing was changed.
    let now = app.get(&me, &new).await;
    assert_eq!(now.status, 200, "{}", now.text);
    assert_eq!(now.json()["name"], "rotating");
    assert_eq!(
        app.get("/api/v1/tokens?name=child", &app.admin_secret)
            .await
            .json()["total"],
        0
    );
}

#[tokio::test]
async fn a_short_lived_manager_cannot_outlive_or_outrun_itself() {
    let app = spawn_app().await;
    let (manager, secret) = issued(
        &app,
        &app.admin_secret,
        json!({
            "name": "one-hour manager",
            "expires_in": 3600,
            "rate_limit": 100,
            "grants": [grant("tokens", "manage", None), grant("storage", "read", Some("*"))]
        }),
    )
    .await;
    let me = format!("/api/v1/tokens/{}", manager["id"].as_str().unwrap());

    for (body, names) in [
        (json!({"expires_at": null}), "expiry"),
        (json!({"rate_limit": 1000}), "rate limit"),
    ] {
        let r = app.patch(&me, &secret, body).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (403, "privilege_escalation"),
            "{}",
            r.text
        );
        assert!(r.json()["detail"].as_str().unwrap().contains(names));
    }

    let read = json!([grant("storage", "read", Some("x"))]);
    for body in [
        json!({"name": "forever", "grants": read}),
        json!({"name": "longer", "grants": read, "expires_in": 7200}),
        json!({"name": "faster", "grants": read, "expires_in": 600, "rate_limit": 101}),
        json!({"name": "default-limit", "grants": read, "expires_in": 600}),
    ] {
        let r = app.post("/api/v1/tokens", &secret, body).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (403, "privilege_escalation"),
            "{}",
            r.text
        );
    }
    // Within its own bounds it delegates.
    let r = app
        .post(
            "/api/v1/tokens",
            &secret,
            json!({"name": "brief", "grants": read, "expires_in": 600, "rate_limit": 50}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let now = app.get(&me, &app.admin_secret).await.json();
    assert!(now["expires_at"].is_string(), "its own expiry still holds");
    assert_eq!(now["rate_limit"], 100);
}

#[tokio::test]
async fn projects_bound_invitations_audit_and_names() {
    let app = spawn_app().await;
    app.create_project("alpha").await;
    app.create_project("beta").await;
    let (alpha_token, _) = issued(
        &app,
        &app.admin_secret,
        json!({"name": "alpha reports", "project": "alpha", "grants": [grant("storage", "read", Some("*"))]}),
    )
    .await;
    let alpha_id = alpha_token["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/tokens/{alpha_id}/invitations"),
            &app.admin_secret,
            json!({"email": "alice@alpha.example", "message": "for alpha only"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    let (_, beta) = issued(
        &app,
        &app.admin_secret,
        json!({
            "name": "beta auditor",
            "project": "beta",
            "grants": [grant("tokens", "manage", None), grant("audit", "read", None)]
        }),
    )
    .await;
    // Beta's own call, so that its audit log is not empty.
    assert_eq!(app.get("/api/v1/whoami", &beta).await.status, 200);

    let invitations = app.get("/api/v1/invitations", &beta).await;
    assert_eq!(invitations.status, 200, "{}", invitations.text);
    assert!(
        !invitations.text.contains("alice@alpha.example") && !invitations.text.contains(alpha_id),
        "beta sees alpha's invitations: {}",
        invitations.text
    );
    let admin_sees = app.get("/api/v1/invitations", &app.admin_secret).await;
    assert!(admin_sees.text.contains("alice@alpha.example"));

    // The audit log: beta's entries only, never alpha's nor the admins'.
    let mut seen = 0;
    for _ in 0..50 {
        let audit = app.get("/api/v1/audit?limit=100", &beta).await;
        assert_eq!(audit.status, 200, "{}", audit.text);
        let items = audit.json()["items"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for e in &items {
            let target = e["target"].as_str().unwrap_or_default();
            assert!(
                !target.contains(alpha_id) && e["action"] != "invitation.create",
                "beta reads alpha's entry {e}"
            );
            assert!(
                !e["action"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("project."),
                "beta reads the deployment's entry {e}"
            );
        }
        seen = items.len();
        if seen > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(seen > 0, "beta's own calls are in its audit log");

    // Names are unique per project: beta can neither probe alpha's names
    // nor block them.
    let r = app
        .post(
            "/api/v1/tokens",
            &beta,
            json!({"name": "alpha reports", "project": "beta"}),
        )
        .await;
    assert_eq!(r.status, 201, "same name in another project: {}", r.text);
    let r = app
        .post(
            "/api/v1/tokens",
            &app.admin_secret,
            json!({"name": "alpha reports", "project": "alpha"}),
        )
        .await;
    assert_eq!(r.status, 409, "still unique inside a project: {}", r.text);
    // Keyward's own names cannot be taken first.
    for name in [
        "User token of bob@example.com",
        "Master token of root@example.com",
    ] {
        let r = app
            .post("/api/v1/tokens", &beta, json!({"name": name}))
            .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "invalid_request"),
            "{}",
            r.text
        );
    }
}

/// The token list (SQL) shows exactly the tokens the policy lets each
/// actor see (`GET /tokens/{id}` asks `may_see` directly), for actors of
/// every kind across three projects.
#[tokio::test]
async fn the_token_list_is_exactly_what_may_see_admits() {
    let app = spawn_app().await;
    app.create_project("alpha").await;
    app.create_project("beta").await;
    let read = grant("tokens", "read", None);
    let mut ids = vec![];
    for (n, (p, grants)) in [
        ("default", json!([])),
        ("alpha", json!([grant("storage", "read", Some("*"))])),
        ("alpha", json!([read])),
        ("beta", json!([grant("tokens", "manage", None)])),
        ("beta", json!([])),
    ]
    .into_iter()
    .enumerate()
    {
        let (t, _) = issued(
            &app,
            &app.admin_secret,
            json!({"name": format!("t{n}"), "project": p, "grants": grants}),
        )
        .await;
        ids.push(t["id"].as_str().unwrap().to_string());
    }
    let mut actors = vec![];
    for body in [
        json!({"name": "alpha reader", "project": "alpha", "grants": [read]}),
        json!({"name": "beta storage", "project": "beta", "grants": [grant("storage", "read", Some("*"))]}),
        json!({"name": "global alpha reader", "kind": "global", "grants": [read], "project_grants": {"alpha": [read]}}),
        json!({"name": "global plain", "kind": "global", "grants": [read]}),
    ] {
        let (t, s) = issued(&app, &app.admin_secret, body).await;
        ids.push(t["id"].as_str().unwrap().to_string());
        actors.push(s);
    }
    let all: Vec<Value> = app
        .get("/api/v1/tokens?limit=100", &app.admin_secret)
        .await
        .json()["items"]
        .as_array()
        .unwrap()
        .clone();
    let every_id: Vec<String> = all
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    for secret in &actors {
        let listed = app.get("/api/v1/tokens?limit=100", secret).await;
        let listed: Vec<String> = match listed.status {
            200 => listed.json()["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap().to_string())
                .collect(),
            _ => vec![],
        };
        for id in &every_id {
            let one = app.get(&format!("/api/v1/tokens/{id}"), secret).await;
            let in_list = listed.contains(id);
            assert!(matches!(one.status, 200 | 403 | 404), "{}", one.text);
            if one.status != 403 {
                assert_eq!(
                    one.status == 200,
                    in_list,
                    "list and may_see disagree on {id}: {}",
                    one.text
                );
            }
        }
    }
}
