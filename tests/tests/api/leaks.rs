//! GitHub's secret scanning partner program: a scanner posts Keyward
//! secrets it found in public to `POST /leaks`, authenticated by a shared
//! partner key. Only well-formed secrets with a valid checksum are looked
//! up; each live one is stopped as its project chose (disabled by
//! default, or revoked), audited as `token.leak`, and the admins are told.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use keyward_domain::TokenKind;
use keyward_tests::email::{Behaviour, EmailProvider};
use keyward_tests::upstream::Upstream;
use keyward_tests::{mint, spawn_app, spawn_app_with, TestApp};
use p256::ecdsa::signature::Signer;
use p256::pkcs8::EncodePublicKey;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const PARTNER_KEY: &str = "partner-key-for-tests";

/// The dev outbox's message with this subject, once it is there.
async fn notice_in_outbox(app: &TestApp, subject: &str) -> Value {
    let started = Instant::now();
    loop {
        let outbox = app.get("/api/v1/outbox", &app.admin_secret).await.json();
        let found = outbox["items"]
            .as_array()
            .and_then(|items| items.iter().find(|m| m["subject"] == subject).cloned());
        match found {
            Some(m) => return m,
            None if started.elapsed() > Duration::from_secs(10) => {
                panic!("a notice to the admins: {outbox}")
            }
            None => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

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
    // The notice goes out after the answer (`wait_until`).
    let notice = notice_in_outbox(&app, "Keyward stopped 3 leaked tokens").await;
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

    // At most 1000 per report; a bad body changes nothing.
    let many: Vec<Value> = (0..1001).map(|_| sighting("x")).collect();
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

// GitHub's secret scanning partner protocol: reports signed with ECDSA
// P-256 by keys GitHub publishes, answered in GitHub's format.

fn scanning_key() -> p256::ecdsa::SigningKey {
    loop {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes).unwrap();
        if let Ok(k) = p256::ecdsa::SigningKey::from_slice(&bytes) {
            return k;
        }
    }
}

/// A key set as GitHub's `/meta/public_keys/secret_scanning` serves it.
fn published(keys: &[(&str, &p256::ecdsa::SigningKey)]) -> Value {
    let public_keys: Vec<Value> = keys
        .iter()
        .map(|(id, key)| {
            let pem = key
                .verifying_key()
                .to_public_key_pem(p256::pkcs8::LineEnding::LF)
                .unwrap();
            json!({"key_identifier": id, "key": pem, "is_current": true})
        })
        .collect();
    json!({ "public_keys": public_keys })
}

/// GitHub's signature header: base64 of the DER signature over the body.
fn sign(key: &p256::ecdsa::SigningKey, body: &[u8]) -> String {
    let signature: p256::ecdsa::Signature = key.sign(body);
    STANDARD.encode(signature.to_der().as_bytes())
}

async fn spawn_with_github(upstream: &Upstream, extra: &[(&str, &str)]) -> TestApp {
    let url = upstream.scanning_keys_url();
    let mut vars = vec![
        ("SECRET_SCANNING_KEYS_URL", url.as_str()),
        ("SECRET_SCANNING_KEYS_REFRESH_SECONDS", "0"),
    ];
    vars.extend_from_slice(extra);
    spawn_app_with(&vars).await
}

#[tokio::test]
async fn github_signed_reports_stop_leaked_secrets_and_are_answered_in_githubs_format() {
    let upstream = Upstream::start().await;
    let key = scanning_key();
    upstream.set_scanning_keys(published(&[("github-key-1", &key)]));
    // No partner key configured: GitHub's signed reports need none.
    let app = spawn_with_github(&upstream, &[]).await;
    let (token, secret) = app.create_token("ci", json!([])).await;
    let unknown = mint(TokenKind::Scoped);

    let body = serde_json::to_vec(&json!([
        sighting(&secret),
        sighting(unknown.expose()),
        sighting("ghp_not_ours"),
    ]))
    .unwrap();
    let r = app
        .report_signed("github-key-1", &sign(&key, &body), &body)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Exactly GitHub's answer: token_raw, token_type, label — nothing else.
    assert_eq!(
        r.json(),
        json!([
            {"token_raw": secret, "token_type": "keyward_token", "label": "true_positive"},
            {"token_raw": unknown.expose(), "token_type": "keyward_token", "label": "false_positive"},
            {"token_raw": "ghp_not_ours", "token_type": "keyward_token", "label": "false_positive"},
        ])
    );
    assert_eq!(app.get("/api/v1/whoami", &secret).await.status, 401);
    let id = token["id"].as_str().unwrap();
    let t = app
        .get(&format!("/api/v1/tokens/{id}"), &app.admin_secret)
        .await;
    assert_eq!(t.json()["enabled"], false, "{}", t.text);
    let page = app
        .audit_until("action=token.leak", &app.admin_secret, |i| !i.is_empty())
        .await;
    assert_eq!(page["items"][0]["target"], id, "{page}");
    notice_in_outbox(&app, "Keyward stopped 1 leaked token").await;
}

#[tokio::test]
async fn a_github_report_that_does_not_verify_changes_nothing() {
    let upstream = Upstream::start().await;
    let key = scanning_key();
    let stranger = scanning_key();
    upstream.set_scanning_keys(published(&[("github-key-1", &key)]));
    let app = spawn_with_github(&upstream, &[]).await;
    let (_, secret) = app.create_token("ci", json!([])).await;
    let body = serde_json::to_vec(&json!([sighting(&secret)])).unwrap();

    // A body changed after signing.
    let signature = sign(&key, &body);
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    let r = app
        .report_signed("github-key-1", &signature, &tampered)
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (401, "invalid_signature"),
        "{}",
        r.text
    );
    // Signed by a key nobody published, under a published key's id.
    let r = app
        .report_signed("github-key-1", &sign(&stranger, &body), &body)
        .await;
    assert_eq!((r.status, r.code().as_str()), (401, "invalid_signature"));
    // A key id GitHub never published.
    let r = app
        .report_signed("github-key-9", &sign(&stranger, &body), &body)
        .await;
    assert_eq!((r.status, r.code().as_str()), (401, "invalid_signature"));
    assert!(r.text.contains("github-key-9"), "{}", r.text);
    // No signature, or one that is not base64 DER.
    let r = app.report_signed("github-key-1", "", &body).await;
    assert_eq!((r.status, r.code().as_str()), (401, "invalid_signature"));
    let r = app
        .report_signed("github-key-1", "bm90IGRlcg==", &body)
        .await;
    assert_eq!((r.status, r.code().as_str()), (401, "invalid_signature"));
    assert_eq!(
        app.get("/api/v1/whoami", &secret).await.status,
        200,
        "nothing was stopped"
    );

    // When the keys cannot be fetched, the report is refused, never taken.
    let down = spawn_app_with(&[("SECRET_SCANNING_KEYS_URL", "http://127.0.0.1:9/keys")]).await;
    let (_, other) = down.create_token("ci", json!([])).await;
    let body = serde_json::to_vec(&json!([sighting(&other)])).unwrap();
    let r = down
        .report_signed("github-key-1", &sign(&key, &body), &body)
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (503, "unavailable"),
        "{}",
        r.text
    );
    assert_eq!(down.get("/api/v1/whoami", &other).await.status, 200);
}

#[tokio::test]
async fn a_rotated_github_key_is_fetched_again_and_a_withdrawn_one_stops_verifying() {
    let upstream = Upstream::start().await;
    let old = scanning_key();
    let new = scanning_key();
    upstream.set_scanning_keys(published(&[("old", &old)]));
    let app = spawn_with_github(&upstream, &[]).await;
    let report = |secret: &str| serde_json::to_vec(&json!([sighting(secret)])).unwrap();

    let (_, first) = app.create_token("first", json!([])).await;
    let body = report(&first);
    let r = app.report_signed("old", &sign(&old, &body), &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let fetched = upstream.scanning_key_fetches();
    assert!(fetched >= 1);
    // The kept key set answers the next report without a fetch.
    let (_, second) = app.create_token("second", json!([])).await;
    let body = report(&second);
    let r = app.report_signed("old", &sign(&old, &body), &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        upstream.scanning_key_fetches(),
        fetched,
        "served from the kept set"
    );

    // GitHub rotates: the kept set is stale, and the unknown id fetches it again.
    upstream.set_scanning_keys(published(&[("new", &new)]));
    let (_, third) = app.create_token("third", json!([])).await;
    let body = report(&third);
    let r = app.report_signed("new", &sign(&new, &body), &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()[0]["label"], "true_positive");
    assert_eq!(app.get("/api/v1/whoami", &third).await.status, 401);
    // The withdrawn key is gone with the fresh set.
    let (_, fourth) = app.create_token("fourth", json!([])).await;
    let body = report(&fourth);
    let r = app.report_signed("old", &sign(&old, &body), &body).await;
    assert_eq!((r.status, r.code().as_str()), (401, "invalid_signature"));
    assert_eq!(app.get("/api/v1/whoami", &fourth).await.status, 200);
}

#[tokio::test]
async fn a_large_batch_is_answered_at_once_whatever_the_email_provider_does() {
    let upstream = Upstream::start().await;
    let key = scanning_key();
    upstream.set_scanning_keys(published(&[("k", &key)]));
    let provider = EmailProvider::start().await;
    provider.behave(Behaviour::Hang);
    let app = spawn_with_github(
        &upstream,
        &[
            ("EMAIL_API_URL", provider.url.as_str()),
            ("EMAIL_API_KEY", "re_test_key"),
            ("EMAIL_FROM", "Keyward <noreply@keyward.test>"),
            ("EMAIL_TIMEOUT_MS", "20000"),
        ],
    )
    .await;
    let (_, secret) = app.create_token("ci", json!([])).await;
    // 400 sightings: the live secret among scanners' noise.
    let mut sightings: Vec<Value> = (0..399)
        .map(|i| sighting(&format!("kw_s_noise{i}")))
        .collect();
    sightings.insert(200, sighting(&secret));
    let body = serde_json::to_vec(&Value::Array(sightings)).unwrap();
    let started = Instant::now();
    let r = app.report_signed("k", &sign(&key, &body), &body).await;
    let took = started.elapsed();
    assert_eq!(r.status, 200, "{}", r.text);
    let verdicts = r.json();
    assert_eq!(verdicts.as_array().unwrap().len(), 400);
    assert_eq!(verdicts[200]["label"], "true_positive");
    assert_eq!(verdicts[0]["label"], "false_positive");
    assert_eq!(app.get("/api/v1/whoami", &secret).await.status, 401);
    // The provider holds each email for 20 s; the answer did not wait for it.
    assert!(
        took < Duration::from_secs(15),
        "answered after {took:?}: the emails held the answer"
    );
}
