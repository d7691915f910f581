//! GitHub's secret scanning partner program: a scanner posts Keyward
//! secrets it found in public to `POST /leaks`, authenticated by a shared
//! partner key. Only well-formed secrets with a valid checksum are looked
//! up; each live one is stopped as its project chose (disabled by
//! default, or revoked), audited as `token.leak`, and the admins are told.

use keyward_domain::TokenKind;
use keyward_tests::{mint, spawn_app, spawn_app_with};
use reqwest::Method;
use serde_json::{json, Value};

const PARTNER_KEY: &str = "partner-key-for-tests";

fn sighting(secret: &str) -> Value {
    json!({"token": secret, "type": "keyward_token", "url": "https://github.com/acme/app/blob/main/.env", "source": "content"})
}

#[tokio::test]
async fn secrets_found_in_public_are_stopped_as_each_project_chose() {
    let hash = keyward_domain::secret::hash_str(PARTNER_KEY).0;
    let app = spawn_app_with(&[("LEAK_PARTNER_KEY_HASH", hash.as_str())]).await;
    let admin = app.admin_secret.clone();

    // Project "strict" revokes leaked tokens; the default project disables.
    app.create_project("strict").await;
    let r = app
        .patch(
            "/api/v1/projects/strict",
            &admin,
            json!({"leak_response": "revoke"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["leak_response"], "revoke");
    let (ci, ci_secret) = app.create_token("ci", json!([])).await;
    let r = app
        .post(
            "/api/v1/tokens",
            &admin,
            json!({"name": "deploy", "project": "strict"}),
        )
        .await;
    let deploy_secret = r.json()["secret"].as_str().unwrap().to_string();
    let deploy_id = r.json()["token"]["id"].as_str().unwrap().to_string();
    // A token rotated with an overlap: its old secret leaks.
    let (rotated, old_secret) = app.create_token("rotated", json!([])).await;
    let rotated_id = rotated["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/tokens/{rotated_id}/refresh"),
            &admin,
            json!({"overlap_seconds": 3600}),
        )
        .await;
    let new_secret = r.json()["secret"].as_str().unwrap().to_string();
    assert_eq!(app.get("/api/v1/whoami", &old_secret).await.status, 200);

    // The partner key is required and checked.
    let body = json!([sighting(&ci_secret)]);
    let none = app.report_leaks(None, body.clone()).await;
    assert_eq!((none.status, none.code().as_str()), (401, "missing_token"));
    let wrong = app.report_leaks(Some("guess"), body).await;
    assert_eq!(
        (wrong.status, wrong.code().as_str()),
        (401, "invalid_token")
    );
    assert_eq!(
        app.get("/api/v1/whoami", &ci_secret).await.status,
        200,
        "nothing changed"
    );

    let mut broken = ci_secret.clone();
    let last = broken.pop().unwrap();
    broken.push(if last == 'A' { 'B' } else { 'A' });
    let unknown = mint(TokenKind::Scoped);
    let r = app
        .report_leaks(
            Some(PARTNER_KEY),
            json!([
                sighting(&ci_secret),
                sighting(&deploy_secret),
                sighting(&old_secret),
                sighting(&broken),
                sighting(unknown.expose()),
                sighting("ghp_not_ours"),
            ]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let verdicts = r.json();
    let labels: Vec<&str> = verdicts
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "true_positive",
            "true_positive",
            "true_positive",
            "false_positive",
            "false_positive",
            "false_positive"
        ]
    );
    let actions: Vec<&str> = verdicts
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "disabled",
            "revoked",
            "retired_secret_ended",
            "none",
            "none",
            "none"
        ]
    );
    assert_eq!(verdicts[0]["token_type"], "keyward_token");

    // Disabled in the default project: it stays, and an admin can turn it
    // back on after rotating.
    let who = app.get("/api/v1/whoami", &ci_secret).await;
    assert_eq!((who.status, who.code().as_str()), (401, "token_disabled"));
    let ci_id = ci["id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/tokens/{ci_id}"), &admin)
            .await
            .json()["enabled"],
        false
    );
    // Revoked in "strict": gone.
    assert_eq!(app.get("/api/v1/whoami", &deploy_secret).await.status, 401);
    assert_eq!(
        app.get(&format!("/api/v1/tokens/{deploy_id}"), &admin)
            .await
            .status,
        404
    );
    // Only the old secret of the rotated token stopped.
    assert_eq!(app.get("/api/v1/whoami", &old_secret).await.status, 401);
    assert_eq!(app.get("/api/v1/whoami", &new_secret).await.status, 200);

    // Audited, and the admins were told.
    let page = app
        .audit_until("action=token.leak", &admin, |items| items.len() >= 3)
        .await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{page}");
    assert!(items.iter().all(|e| e["actor"] == "system"), "{page}");
    assert!(
        items.iter().any(|e| e["detail"]
            .as_str()
            .unwrap()
            .contains("github.com/acme/app")),
        "{page}"
    );
    let outbox = app.get("/api/v1/outbox", &admin).await.json();
    let notice = outbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["subject"] == "Keyward stopped 3 leaked tokens")
        .unwrap_or_else(|| panic!("a notice to the admins: {outbox}"));
    assert!(
        notice["text"].as_str().unwrap().contains("'ci'"),
        "{notice}"
    );
    assert!(
        !notice["text"].as_str().unwrap().contains(&ci_secret),
        "no secret in the email"
    );

    // Found again: still a true positive, nothing more to do.
    let again = app
        .report_leaks(Some(PARTNER_KEY), json!([sighting(&ci_secret)]))
        .await;
    assert_eq!(again.json()[0]["action"], "already_stopped");
    assert_eq!(again.json()[0]["label"], "true_positive");

    // At most 100 per report; a bad body changes nothing.
    let many: Vec<Value> = (0..101).map(|_| sighting("x")).collect();
    let r = app
        .report_leaks(Some(PARTNER_KEY), Value::Array(many))
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_request"));
    let r = app
        .report_leaks(Some(PARTNER_KEY), json!({"token": "x"}))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
}

#[tokio::test]
async fn without_a_partner_key_configured_reporting_is_off() {
    let app = spawn_app().await;
    let (_, secret) = app.create_token("ci", json!([])).await;
    let r = app
        .send(
            Method::POST,
            "/api/v1/leaks",
            None,
            Some(json!([sighting(&secret)])),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (404, "not_found"));
    assert!(r.text.contains("LEAK_PARTNER_KEY_HASH"), "{}", r.text);
    assert_eq!(app.get("/api/v1/whoami", &secret).await.status, 200);
}
