//! Keboola's "Send token", done securely: the email (captured from the
//! provider's API) links to a welcome page; accepting issues the secret
//! exactly once; failures leave nothing usable.

use keyward_tests::email::{Behaviour, EmailProvider};
use keyward_tests::{spawn_app, spawn_app_with, TestApp};
use reqwest::Method;
use serde_json::json;

async fn app_with_provider() -> (TestApp, EmailProvider) {
    let provider = EmailProvider::start().await;
    let app = spawn_app_with(&[
        ("EMAIL_API_URL", provider.url.as_str()),
        ("EMAIL_API_KEY", "re_test_key"),
        ("EMAIL_FROM", "Keyward <noreply@keyward.test>"),
        ("EMAIL_TIMEOUT_MS", "1500"),
    ])
    .await;
    (app, provider)
}

/// The invitation code at the end of an `/invite/<code>` link.
fn code_of(link: &str) -> String {
    path_of(link).trim_start_matches("/invite/").to_string()
}

fn path_of(link: &str) -> String {
    let i = link.find("/invite/").expect("an invite link");
    link[i..].to_string()
}

#[tokio::test]
async fn send_open_accept_once_and_use_the_token() {
    let (app, provider) = app_with_provider().await;
    app.create_bucket("in.c-tutorial").await;
    let (token, old_secret) = app
        .create_token(
            "tutorial",
            json!([{"service": "storage", "permission": "read", "resource": "in.c-tutorial"}]),
        )
        .await;
    let id = token["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/tokens/{id}/invitations"),
            &app.admin_secret,
            json!({"email": "Bob@Example.com", "message": "Here is the tutorial data <3"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let inv = r.json()["invitation"].clone();
    assert_eq!(inv["status"], "pending");
    assert_eq!(inv["email"], "bob@example.com");

    let mails = provider.captured();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.authorization.as_deref(), Some("Bearer re_test_key"));
    assert_eq!(mail.body["to"], json!(["bob@example.com"]));
    assert_eq!(mail.body["from"], "Keyward <noreply@keyward.test>");
    assert!(mail.text().contains("Here is the tutorial data <3"));
    assert!(mail.html().contains("Here is the tutorial data &lt;3"));
    assert!(mail.text().contains("tutorial"));
    assert!(
        mail.text().contains("in.c-tutorial"),
        "grants in plain words: {}",
        mail.text()
    );
    assert!(
        !mail.body.to_string().contains("kw_"),
        "no secret in the email"
    );
    let link = mail.invite_link().expect("link");
    assert!(link.starts_with(&app.base_url), "{link}");
    let code = code_of(&link);

    // The link is an SPA route.
    let page = app
        .client
        .get(&link)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);

    let welcome = app.open_invitation(&code).await;
    assert_eq!(welcome.status, 200, "{}", welcome.text);
    let w = welcome.json();
    assert_eq!(w["token_name"], "tutorial");
    assert_eq!(w["message"], "Here is the tutorial data <3");
    assert!(w["inviter"].as_str().unwrap().contains("First admin"));
    assert!(w["summary"].as_str().unwrap().contains("in.c-tutorial"));
    assert!(!welcome.text.contains("kw_"));

    let accepted = app.accept_invitation(&code).await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    let secret = accepted.json()["secret"].as_str().unwrap().to_string();
    assert_eq!(accepted.json()["token"]["id"], token["id"]);
    assert_eq!(
        app.get("/api/v1/buckets/in.c-tutorial/objects", &secret)
            .await
            .status,
        200
    );
    assert_eq!(
        app.get("/api/v1/buckets/other/objects", &secret)
            .await
            .status,
        403
    );
    assert_eq!(
        app.get("/api/v1/whoami", &old_secret).await.status,
        401,
        "earlier secret replaced"
    );

    let again = app.accept_invitation(&code).await;
    assert_eq!(
        (again.status, again.code().as_str()),
        (410, "invitation_used")
    );
    assert!(!again.text.contains(&secret));
    let reopen = app.open_invitation(&code).await;
    assert_eq!(
        (reopen.status, reopen.code().as_str()),
        (410, "invitation_used")
    );

    let list = app
        .get("/api/v1/invitations", &app.admin_secret)
        .await
        .json();
    assert_eq!(list["items"][0]["status"], "accepted");
}

#[tokio::test]
async fn concurrent_accepts_issue_exactly_one_secret() {
    let (app, provider) = app_with_provider().await;
    let (token, _) = app.create_token("raced", json!([])).await;
    let r = app
        .post(
            &format!(
                "/api/v1/tokens/{}/invitations",
                token["id"].as_str().unwrap()
            ),
            &app.admin_secret,
            json!({"email": "r@example.com"}),
        )
        .await;
    assert_eq!(r.status, 201);
    let link = provider.captured()[0].invite_link().unwrap();
    let code = code_of(&link);
    let path = format!("/api/v1/invitations/open/{code}/accept");
    let attempts = futures_join(&app, &path, 6).await;
    let ok: Vec<_> = attempts.iter().filter(|(s, _)| *s == 200).collect();
    assert_eq!(ok.len(), 1, "{attempts:?}");
    assert!(attempts
        .iter()
        .filter(|(s, _)| *s != 200)
        .all(|(s, c)| *s == 410 && c == "invitation_used"));
}

async fn futures_join(app: &TestApp, path: &str, n: usize) -> Vec<(u16, String)> {
    let mut handles = vec![];
    for _ in 0..n {
        let client = app.client.clone();
        let url = app.url(path);
        handles.push(tokio::spawn(async move {
            let r = client.post(url).send().await.unwrap();
            let status = r.status().as_u16();
            let v: serde_json::Value = r.json().await.unwrap_or_default();
            (status, v["code"].as_str().unwrap_or("").to_string())
        }));
    }
    let mut out = vec![];
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test]
async fn provider_failure_or_timeout_leaves_a_failed_invitation_that_can_be_resent() {
    let (app, provider) = app_with_provider().await;
    let (token, _) = app.create_token("flaky", json!([])).await;
    let path = format!(
        "/api/v1/tokens/{}/invitations",
        token["id"].as_str().unwrap()
    );
    for behaviour in [Behaviour::Refuse, Behaviour::Hang] {
        provider.behave(behaviour);
        let started = std::time::Instant::now();
        let r = app
            .post(&path, &app.admin_secret, json!({"email": "c@example.com"}))
            .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (502, "email_failed"),
            "{behaviour:?}: {}",
            r.text
        );
        assert!(started.elapsed().as_secs() < 10, "bounded by the timeout");
    }
    let list = app
        .get("/api/v1/invitations", &app.admin_secret)
        .await
        .json();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items
        .iter()
        .all(|i| i["status"] == "failed" && i["delivery_error"].is_string()));
    assert!(provider.captured().is_empty());

    provider.behave(Behaviour::Accept);
    let id = items[0]["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/invitations/{id}/resend"),
            &app.admin_secret,
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["invitation"]["status"], "pending");
    let link = provider.captured()[0].invite_link().unwrap();
    let code = code_of(&link);
    let accepted = app.accept_invitation(&code).await;
    assert_eq!(accepted.status, 200);
}

#[tokio::test]
async fn revoked_and_expired_invitations_cannot_be_used() {
    let (app, provider) = app_with_provider().await;
    let (token, _) = app.create_token("short-lived", json!([])).await;
    let path = format!(
        "/api/v1/tokens/{}/invitations",
        token["id"].as_str().unwrap()
    );
    let r = app
        .post(&path, &app.admin_secret, json!({"email": "d@example.com"}))
        .await;
    let inv_id = r.json()["invitation"]["id"].as_str().unwrap().to_string();
    let code1 = code_of(&provider.captured()[0].invite_link().unwrap());
    assert_eq!(
        app.delete(&format!("/api/v1/invitations/{inv_id}"), &app.admin_secret)
            .await
            .status,
        204
    );
    let r = app.accept_invitation(&code1).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        app.delete(&format!("/api/v1/invitations/{inv_id}"), &app.admin_secret)
            .await
            .status,
        409
    );

    let r = app
        .post(
            &path,
            &app.admin_secret,
            json!({"email": "e@example.com", "expires_in": 1}),
        )
        .await;
    assert_eq!(r.status, 201);
    let code2 = code_of(&provider.captured()[1].invite_link().unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let r = app.open_invitation(&code2).await;
    assert_eq!((r.status, r.code().as_str()), (410, "invitation_expired"));
    let r = app.accept_invitation(&code2).await;
    assert_eq!((r.status, r.code().as_str()), (410, "invitation_expired"));

    let bad = app
        .send(
            Method::GET,
            "/api/v1/invitations/open/not-a-code",
            None,
            None,
        )
        .await;
    assert_eq!(bad.status, 404);
}

#[tokio::test]
async fn invitation_input_is_checked_and_master_tokens_cannot_be_sent() {
    let app = spawn_app().await;
    let (token, _) = app.create_token("t", json!([])).await;
    let path = format!(
        "/api/v1/tokens/{}/invitations",
        token["id"].as_str().unwrap()
    );
    for (body, field) in [
        (json!({"email": "nope"}), "email"),
        (
            json!({"email": "a@example.com", "expires_in": 40 * 86400}),
            "expires_in",
        ),
        (
            json!({"email": "a@example.com", "message": "m".repeat(2001)}),
            "message",
        ),
    ] {
        let r = app.post(&path, &app.admin_secret, body).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.json()["errors"][0]["field"], field);
    }
    let me = app.get("/api/v1/whoami", &app.admin_secret).await.json();
    let master_id = me["token"]["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/tokens/{master_id}/invitations"),
            &app.admin_secret,
            json!({"email": "a@example.com"}),
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(
        app.post(
            "/api/v1/tokens/tok_nope/invitations",
            &app.admin_secret,
            json!({"email": "a@example.com"})
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn without_a_provider_the_dev_outbox_keeps_the_message() {
    let app = spawn_app().await;
    let (token, _) = app.create_token("outboxed", json!([])).await;
    let r = app
        .post(
            &format!(
                "/api/v1/tokens/{}/invitations",
                token["id"].as_str().unwrap()
            ),
            &app.admin_secret,
            json!({"email": "f@example.com", "message": "hello"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let outbox = app.get("/api/v1/outbox", &app.admin_secret).await;
    assert_eq!(outbox.status, 200);
    let items = outbox.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["to"], "f@example.com");
    let text = items[0]["text"].as_str().unwrap();
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/invite/"))
        .unwrap();
    let code = code_of(link);
    let accepted = app.accept_invitation(&code).await;
    assert_eq!(accepted.status, 200);
    assert!(app.log().contains("[dev outbox] to f@example.com"));
    let (_, scoped) = app
        .create_token(
            "reader",
            json!([{"service": "tokens", "permission": "read"}]),
        )
        .await;
    assert_eq!(app.get("/api/v1/outbox", &scoped).await.status, 403);
}
