//! Dataiku users and personal API keys: members are invited by email and
//! accept into their user token; a member creates personal keys, which act
//! as the member — always with the member's current permissions, gone when
//! the member goes — and which admins may list and delete but not create.

use keyward_tests::{spawn_app, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

struct Member {
    id: String,
    user_secret: String,
    user_client_id: String,
}

/// Invites a member (dev outbox), follows the link and accepts.
async fn invite_and_accept(app: &TestApp, email: &str, body: Value) -> Member {
    let mut body = body;
    body["email"] = json!(email);
    if body.get("name").is_none() {
        body["name"] = json!(email.split('@').next().unwrap());
    }
    let r = app.post("/api/v1/members", &app.admin_secret, body).await;
    assert_eq!(r.status, 201, "invite member: {}", r.text);
    let created = r.json();
    assert_eq!(created["member"]["status"], "invited");
    assert_eq!(created["invitation"]["status"], "pending");
    let id = created["member"]["id"].as_str().unwrap().to_string();

    let outbox = app.get("/api/v1/outbox", &app.admin_secret).await.json();
    let text = outbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["to"] == email && m["text"].as_str().unwrap_or("").contains("/invite/"))
        .expect("an invitation email to the member")["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!text.contains("kw_"), "no secret in the email");
    let at = text.find("/invite/").expect("an invite link");
    let code: String = text[at + 8..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let accepted = app
        .send(
            Method::POST,
            &format!("/api/v1/invitations/open/{code}/accept"),
            None,
            None,
        )
        .await;
    assert_eq!(accepted.status, 200, "accept: {}", accepted.text);
    let v = accepted.json();
    let secret = v["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("kw_u_"), "{secret}");
    assert_eq!(v["token"]["kind"], "user");
    assert_eq!(v["token"]["member_id"], json!(id));
    Member {
        id,
        user_secret: secret,
        user_client_id: v["token"]["client_id"].as_str().unwrap().to_string(),
    }
}

async fn personal_key(app: &TestApp, m: &Member, name: &str) -> (String, String) {
    let r = app
        .post(
            &format!("/api/v1/members/{}/keys", m.id),
            &m.user_secret,
            json!({"name": name}),
        )
        .await;
    assert_eq!(r.status, 201, "create personal key: {}", r.text);
    let v = r.json();
    assert_eq!(v["token"]["kind"], "personal");
    assert_eq!(
        v["token"]["grants"],
        json!([]),
        "a personal key has no grants of its own"
    );
    (
        v["token"]["id"].as_str().unwrap().to_string(),
        v["secret"].as_str().unwrap().to_string(),
    )
}

fn write_grants() -> Value {
    json!([{"service": "storage", "permission": "write", "resource": "*"}])
}

async fn put(app: &TestApp, secret: &str, bucket: &str, key: &str) -> u16 {
    app.send(
        Method::PUT,
        &format!("/api/v1/buckets/{bucket}/objects/{key}"),
        Some(secret),
        Some(json!({"v": 1})),
    )
    .await
    .status
}

#[tokio::test]
async fn a_member_is_invited_accepts_and_signs_in_as_themself() {
    let app = spawn_app().await;
    let m = invite_and_accept(
        &app,
        "dana@example.com",
        json!({"name": "Dana", "grants": write_grants()}),
    )
    .await;
    let who = app.get("/api/v1/whoami", &m.user_secret).await.json();
    assert_eq!(who["token"]["kind"], "user");
    assert_eq!(who["project"], "default");
    // Their profile: themself, active now.
    let me = app
        .get(&format!("/api/v1/members/{}", m.id), &m.user_secret)
        .await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json()["status"], "active");
    assert_eq!(me.json()["name"], "Dana");
    // But not the member list, which is the admins'.
    assert_eq!(app.get("/api/v1/members", &m.user_secret).await.status, 403);
    let list = app.get("/api/v1/members", &app.admin_secret).await.json();
    assert_eq!(list["items"][0]["email"], "dana@example.com");
    // A second invitation to the same address is a conflict.
    let again = app
        .post(
            "/api/v1/members",
            &app.admin_secret,
            json!({"email": "dana@example.com", "name": "D"}),
        )
        .await;
    assert_eq!(again.status, 409);
    // The user token is edited through the member, not /tokens.
    let user_token = me.json()["user_token_id"].as_str().unwrap().to_string();
    let r = app
        .patch(
            &format!("/api/v1/tokens/{user_token}"),
            &app.admin_secret,
            json!({"grants": []}),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
}

#[tokio::test]
async fn a_personal_key_follows_its_user() {
    let app = spawn_app().await;
    app.create_bucket("notebooks").await;
    let m = invite_and_accept(&app, "erin@example.com", json!({"grants": write_grants()})).await;
    let (_, key) = personal_key(&app, &m, "laptop").await;
    assert!(key.starts_with("kw_p_"));

    // Exactly the user's permissions.
    let user_perms = app.get("/api/v1/whoami", &m.user_secret).await.json()["permissions"].clone();
    let key_who = app.get("/api/v1/whoami", &key).await.json();
    assert_eq!(key_who["permissions"], user_perms);
    assert_eq!(key_who["acting_as"], json!(m.user_client_id));
    assert_eq!(put(&app, &key, "notebooks", "a.json").await, 200);

    // Taking write from the user takes it from the key, at once.
    let r = app
        .patch(
            &format!("/api/v1/members/{}", m.id),
            &app.admin_secret,
            json!({"grants": [{"service": "storage", "permission": "read", "resource": "*"}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(put(&app, &key, "notebooks", "b.json").await, 403);
    assert_eq!(put(&app, &m.user_secret, "notebooks", "b.json").await, 403);
    let reads = app
        .get("/api/v1/buckets/notebooks/objects/a.json", &key)
        .await;
    assert_eq!(reads.status, 200);

    // Personas of the user count for the key too, and follow persona edits.
    let p = app
        .post(
            "/api/v1/personas",
            &app.admin_secret,
            json!({"name": "Writers", "grants": write_grants()}),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.patch(
        &format!("/api/v1/members/{}", m.id),
        &app.admin_secret,
        json!({"personas": [p]}),
    )
    .await;
    assert_eq!(put(&app, &key, "notebooks", "c.json").await, 200);
    // The member and their key see the personas they hold through, and no
    // other.
    app.post(
        "/api/v1/personas",
        &app.admin_secret,
        json!({"name": "Unrelated"}),
    )
    .await;
    for s in [&m.user_secret, &key] {
        let seen = app.get("/api/v1/personas", s).await;
        assert_eq!(seen.status, 200, "{}", seen.text);
        let names: Vec<String> = seen.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(names, ["Writers"]);
    }
    app.patch(
        &format!("/api/v1/personas/{p}"),
        &app.admin_secret,
        json!({"grants": []}),
    )
    .await;
    assert_eq!(put(&app, &key, "notebooks", "d.json").await, 403);

    // Removing the user kills the key.
    assert_eq!(
        app.delete(&format!("/api/v1/members/{}", m.id), &app.admin_secret)
            .await
            .status,
        204
    );
    for s in [&key, &m.user_secret] {
        let r = app.get("/api/v1/whoami", s).await;
        assert_eq!(r.status, 401);
        assert_eq!(r.code(), "invalid_token");
    }
}

#[tokio::test]
async fn admins_list_and_delete_personal_keys_but_cannot_create_them() {
    let app = spawn_app().await;
    let m = invite_and_accept(&app, "fay@example.com", json!({})).await;
    let other = invite_and_accept(&app, "gus@example.com", json!({})).await;
    let (key_id, key) = personal_key(&app, &m, "ci").await;

    let r = app
        .post(
            &format!("/api/v1/members/{}/keys", m.id),
            &app.admin_secret,
            json!({"name": "sneaky"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.code(), "insufficient_permission");
    // Another member cannot create one for them either, nor see theirs.
    let r = app
        .post(
            &format!("/api/v1/members/{}/keys", m.id),
            &other.user_secret,
            json!({"name": "sneaky"}),
        )
        .await;
    assert!(r.status == 403 || r.status == 404, "{}", r.text);
    assert_eq!(
        app.get(
            &format!("/api/v1/members/{}/keys", m.id),
            &other.user_secret
        )
        .await
        .status,
        404
    );
    // A personal key cannot mint more keys: only the signed-in user can.
    let r = app
        .post(
            &format!("/api/v1/members/{}/keys", m.id),
            &key,
            json!({"name": "child"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);

    let list = app
        .get(&format!("/api/v1/members/{}/keys", m.id), &app.admin_secret)
        .await;
    assert_eq!(list.status, 200);
    let items = list.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], json!(key_id));
    assert_eq!(items[0]["name"], "fay@example.com · ci");
    assert_eq!(
        app.get(&format!("/api/v1/members/{}", m.id), &app.admin_secret)
            .await
            .json()["personal_keys"],
        1
    );

    let r = app
        .delete(
            &format!("/api/v1/members/{}/keys/{key_id}", m.id),
            &app.admin_secret,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(app.get("/api/v1/whoami", &key).await.status, 401);
    // The member deletes their own.
    let (id2, key2) = personal_key(&app, &m, "ci").await;
    assert_eq!(
        app.delete(
            &format!("/api/v1/members/{}/keys/{id2}", m.id),
            &m.user_secret
        )
        .await
        .status,
        204
    );
    assert_eq!(app.get("/api/v1/whoami", &key2).await.status, 401);
    // The log names both deletions for what they were, by whom.
    let page = app
        .audit_until("action=personal_key.delete", &app.admin_secret, |items| {
            items.len() >= 2
        })
        .await;
    let deleted: Vec<(&str, &str)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["target"].as_str().unwrap(),
                e["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        deleted,
        vec![(id2.as_str(), "success"), (key_id.as_str(), "success")],
        "{page}"
    );
    // Nobody else's key through someone's path.
    let (id3, _) = personal_key(&app, &m, "third").await;
    assert_eq!(
        app.delete(
            &format!("/api/v1/members/{}/keys/{id3}", other.id),
            &app.admin_secret
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn calls_by_a_personal_key_appear_as_the_user_via_the_key() {
    let app = spawn_app().await;
    app.create_bucket("audit-me").await;
    let m = invite_and_accept(&app, "hal@example.com", json!({"grants": write_grants()})).await;
    let r = app
        .post(
            &format!("/api/v1/members/{}/keys", m.id),
            &m.user_secret,
            json!({"name": "script"}),
        )
        .await
        .json();
    let key = r["secret"].as_str().unwrap().to_string();
    let key_client = r["token"]["client_id"].as_str().unwrap().to_string();
    assert_eq!(put(&app, &key, "audit-me", "x.json").await, 200);

    // The audit write happens after the answer; give it a moment.
    let mut found = None;
    for _ in 0..40 {
        let page = app
            .get(
                &format!("/api/v1/audit?actor={}&action=object.put", m.user_client_id),
                &app.admin_secret,
            )
            .await
            .json();
        if let Some(e) = page["items"].as_array().unwrap().first() {
            found = Some(e.clone());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let entry = found.expect("the call is in the audit log under the user");
    assert_eq!(entry["actor"], json!(m.user_client_id));
    assert_eq!(entry["via"], json!(key_client));
    assert_eq!(entry["target"], "audit-me/x.json");
    // Nothing is logged under the key's own id.
    let by_key = app
        .get(
            &format!("/api/v1/audit?actor={key_client}"),
            &app.admin_secret,
        )
        .await
        .json();
    assert_eq!(by_key["total"], 0, "{by_key}");
}

#[tokio::test]
async fn token_managers_do_not_see_members_keys() {
    let app = spawn_app().await;
    let m = invite_and_accept(&app, "ida@example.com", json!({})).await;
    let (key_id, _) = personal_key(&app, &m, "desk").await;
    let (_, manager) = app
        .create_token(
            "manager",
            json!([{"service": "tokens", "permission": "manage"}]),
        )
        .await;
    let listed = app.get("/api/v1/tokens?limit=100", &manager).await.json();
    let kinds: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert!(
        !kinds.contains(&"personal") && !kinds.contains(&"user"),
        "{kinds:?}"
    );
    for r in [
        app.get(&format!("/api/v1/tokens/{key_id}"), &manager).await,
        app.delete(&format!("/api/v1/tokens/{key_id}"), &manager)
            .await,
    ] {
        assert_eq!(r.status, 404, "{}", r.text);
    }
    // The admin sees them, with whose they are.
    let all = app
        .get("/api/v1/tokens?kind=personal", &app.admin_secret)
        .await
        .json();
    assert_eq!(all["items"][0]["member_id"], json!(m.id));
}
