//! Issue 26: people sign in as people. A software authenticator (P-256 or
//! RSA, CBOR as an authenticator writes it) runs each ceremony against the
//! real worker; sessions travel only in the HttpOnly cookie.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciborium::value::Value as Cbor;
use keyward_tests::{repo_root, spawn_app, spawn_app_with, TestApp};
use p256::ecdsa::signature::Signer as _;
use reqwest::Method;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::SignatureEncoding;
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn cbor(v: &Cbor) -> Vec<u8> {
    let mut out = vec![];
    ciborium::ser::into_writer(v, &mut out).unwrap();
    out
}

fn int(i: i64) -> Cbor {
    Cbor::Integer(i.into())
}

enum Key {
    Ec(p256::ecdsa::SigningKey),
    Rsa(Box<rsa::RsaPrivateKey>),
}

/// A software authenticator holding one passkey.
struct Authenticator {
    key: Key,
    credential_id: Vec<u8>,
    count: u32,
    rp_id: String,
    origin: String,
}

impl Authenticator {
    fn es256(app: &TestApp) -> Authenticator {
        let key = loop {
            let mut bytes = [0u8; 32];
            getrandom::getrandom(&mut bytes).unwrap();
            if let Ok(k) = p256::ecdsa::SigningKey::from_slice(&bytes) {
                break k;
            }
        };
        Authenticator::with(app, Key::Ec(key))
    }

    fn rs256(app: &TestApp) -> Authenticator {
        let pem =
            std::fs::read_to_string(repo_root().join("tests/fixtures/jwt-rs256-test-only.pem"))
                .expect("the RSA test fixture");
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(&pem).expect("a PKCS#8 RSA key");
        Authenticator::with(app, Key::Rsa(Box::new(key)))
    }

    fn with(app: &TestApp, key: Key) -> Authenticator {
        let mut credential_id = vec![0u8; 16];
        getrandom::getrandom(&mut credential_id).unwrap();
        let origin = app.base_url.clone();
        let rp_id = origin
            .trim_start_matches("http://")
            .split(':')
            .next()
            .unwrap()
            .to_string();
        Authenticator {
            key,
            credential_id,
            count: 0,
            rp_id,
            origin,
        }
    }

    fn cose(&self) -> Cbor {
        match &self.key {
            Key::Ec(k) => {
                let point = k.verifying_key().to_encoded_point(false);
                Cbor::Map(vec![
                    (int(1), int(2)),
                    (int(3), int(-7)),
                    (int(-1), int(1)),
                    (int(-2), Cbor::Bytes(point.x().unwrap().to_vec())),
                    (int(-3), Cbor::Bytes(point.y().unwrap().to_vec())),
                ])
            }
            Key::Rsa(k) => Cbor::Map(vec![
                (int(1), int(3)),
                (int(3), int(-257)),
                (int(-1), Cbor::Bytes(k.n().to_bytes_be())),
                (int(-2), Cbor::Bytes(k.e().to_bytes_be())),
            ]),
        }
    }

    fn client_data(&self, type_: &str, challenge: &str) -> Vec<u8> {
        json!({"type": type_, "challenge": challenge, "origin": self.origin, "crossOrigin": false})
            .to_string()
            .into_bytes()
    }

    fn auth_data(&self, flags: u8, attested: bool) -> Vec<u8> {
        let mut out = Sha256::digest(self.rp_id.as_bytes()).to_vec();
        out.push(flags | if attested { 0x40 } else { 0 });
        out.extend_from_slice(&self.count.to_be_bytes());
        if attested {
            out.extend_from_slice(&[0; 16]);
            out.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
            out.extend_from_slice(&self.credential_id);
            out.extend_from_slice(&cbor(&self.cose()));
        }
        out
    }

    /// The browser's `navigator.credentials.create` answer, as the app
    /// sends it.
    fn register(&self, options: &Value, name: &str) -> Value {
        let challenge = options["challenge"].as_str().expect("a challenge");
        let att = Cbor::Map(vec![
            (Cbor::Text("fmt".into()), Cbor::Text("none".into())),
            (Cbor::Text("attStmt".into()), Cbor::Map(vec![])),
            (
                Cbor::Text("authData".into()),
                Cbor::Bytes(self.auth_data(0x05, true)),
            ),
        ]);
        json!({
            "name": name,
            "credential_id": b64(&self.credential_id),
            "client_data_json": b64(&self.client_data("webauthn.create", challenge)),
            "attestation_object": b64(&cbor(&att)),
        })
    }

    fn sign(&self, data: &[u8]) -> Vec<u8> {
        match &self.key {
            Key::Ec(k) => {
                let sig: p256::ecdsa::Signature = k.sign(data);
                sig.to_der().as_bytes().to_vec()
            }
            Key::Rsa(k) => {
                let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new((**k).clone());
                rsa::signature::Signer::sign(&signer, data).to_vec()
            }
        }
    }

    /// The browser's `navigator.credentials.get` answer; the counter moves
    /// on as an authenticator's does.
    fn assert(&mut self, challenge: &str) -> Value {
        self.count += 1;
        let cd = self.client_data("webauthn.get", challenge);
        let ad = self.auth_data(0x05, false);
        let mut signed = ad.clone();
        signed.extend_from_slice(&Sha256::digest(&cd));
        json!({
            "credential_id": b64(&self.credential_id),
            "client_data_json": b64(&cd),
            "authenticator_data": b64(&ad),
            "signature": b64(&self.sign(&signed)),
        })
    }
}

/// A browser speaking to the app: its cookie, and the app's headers.
struct Browser<'a> {
    app: &'a TestApp,
    cookie: Option<String>,
    origin: String,
}

struct Reply {
    status: u16,
    body: Value,
    set_cookie: Option<String>,
}

impl Reply {
    fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Browser<'a> {
        Browser {
            app,
            cookie: None,
            origin: app.base_url.clone(),
        }
    }

    async fn send(&mut self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.send_with(method, path, body, None, true).await
    }

    async fn send_with(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Value>,
        bearer: Option<&str>,
        app_header: bool,
    ) -> Reply {
        let mut req = self
            .app
            .client
            .request(method, self.app.url(path))
            .header("origin", &self.origin)
            .header("user-agent", "Passkey test browser");
        if app_header {
            req = req.header("x-keyward-app", "1");
        }
        if let Some(c) = &self.cookie {
            req = req.header("cookie", format!("kw_session={c}"));
        }
        if let Some(b) = bearer {
            req = req.bearer_auth(b);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("the worker answers");
        let status = resp.status().as_u16();
        let set_cookie = resp
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().to_string());
        if let Some(sc) = &set_cookie {
            let value = sc
                .split(';')
                .next()
                .and_then(|kv| kv.split_once('='))
                .map(|(_, v)| v.to_string())
                .unwrap_or_default();
            self.cookie = (!value.is_empty()).then_some(value);
        }
        let text = resp.text().await.unwrap_or_default();
        Reply {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            set_cookie,
        }
    }

    /// Signs in with the admin's master token, as "use a master token
    /// instead" does: the token is exchanged for a session.
    async fn sign_in_with_token(&mut self, secret: &str) -> Reply {
        self.send_with(
            Method::POST,
            "/api/v1/auth/sessions",
            None,
            Some(secret),
            true,
        )
        .await
    }

    async fn add_passkey(&mut self, auth: &Authenticator, name: &str) -> Reply {
        let options = self
            .send(Method::POST, "/api/v1/me/passkeys/options", None)
            .await;
        assert_eq!(options.status, 200, "{}", options.body);
        self.send(
            Method::POST,
            "/api/v1/me/passkeys",
            Some(auth.register(&options.body, name)),
        )
        .await
    }

    async fn challenge(&mut self) -> String {
        let options = self
            .send(Method::POST, "/api/v1/auth/passkeys/options", None)
            .await;
        assert_eq!(options.status, 200, "{}", options.body);
        assert_eq!(options.body["user_verification"], "required");
        options.body["challenge"].as_str().unwrap().to_string()
    }

    async fn sign_in(&mut self, assertion: Value) -> Reply {
        self.send(
            Method::POST,
            "/api/v1/auth/passkeys/sign-in",
            Some(assertion),
        )
        .await
    }

    async fn whoami(&mut self) -> Reply {
        self.send(Method::GET, "/api/v1/whoami", None).await
    }
}

/// An admin signed in with the master token who registered `auth`.
async fn admin_with_passkey<'a>(app: &'a TestApp, auth: &Authenticator) -> Browser<'a> {
    let mut browser = Browser::new(app);
    let opened = browser.sign_in_with_token(&app.admin_secret).await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    let added = browser.add_passkey(auth, "Laptop").await;
    assert_eq!(added.status, 201, "{}", added.body);
    browser
}

#[tokio::test]
async fn an_admin_registers_a_passkey_and_signs_in_with_it_alone() {
    let app = spawn_app().await;
    let mut auth = Authenticator::es256(&app);
    let mut admin = Browser::new(&app);
    let opened = admin.sign_in_with_token(&app.admin_secret).await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    // The session's secret is only in the cookie, with every flag.
    let cookie = opened.set_cookie.clone().expect("a session cookie");
    assert!(cookie.starts_with("kw_session="), "{cookie}");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(cookie.contains(flag), "{flag} missing from {cookie}");
    }
    assert!(!opened
        .body
        .to_string()
        .contains(admin.cookie.as_deref().unwrap()));
    assert_eq!(opened.body["session"]["method"], "master_token");
    let added = admin.add_passkey(&auth, "Laptop").await;
    assert_eq!(added.status, 201, "{}", added.body);
    assert_eq!(added.body["algorithm"], "ES256");
    assert_eq!(added.body["name"], "Laptop");

    // A new browser: no secret anywhere, only the authenticator.
    let mut fresh = Browser::new(&app);
    assert_eq!(fresh.whoami().await.status, 401);
    let challenge = fresh.challenge().await;
    let signed = fresh.sign_in(auth.assert(&challenge)).await;
    assert_eq!(signed.status, 200, "{}", signed.body);
    assert_eq!(signed.body["person"]["kind"], "admin");
    assert_eq!(signed.body["session"]["method"], "passkey");
    let me = fresh.whoami().await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["token"]["kind"], "master");
    assert_eq!(me.body["person"]["kind"], "admin");
    // The session acts as the admin, and the audit log says how.
    let created = fresh
        .send(
            Method::POST,
            "/api/v1/tokens",
            Some(json!({"name": "made in a passkey session", "grants": []})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let entry = app
        .audit_until("action=token.create", &app.admin_secret, |items| {
            !items.is_empty()
        })
        .await;
    let entry = &entry["items"][0];
    assert_eq!(entry["via"], "passkey session", "{entry}");
    assert_eq!(
        entry["person"],
        format!("admin:{}", me.body["person"]["id"].as_str().unwrap()),
        "{entry}"
    );
    // A call the edge records itself (not the registry) names the person too.
    let person = entry["person"].clone();
    let reads = app
        .audit_until("action=whoami", &app.admin_secret, |items| {
            items
                .iter()
                .any(|e| e["via"] == "passkey session" && e["person"] == person)
        })
        .await;
    assert!(
        reads["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["via"] == "passkey session" && e["person"] == person),
        "{reads}"
    );
    let sessions = fresh.send(Method::GET, "/api/v1/me/sessions", None).await;
    let items = sessions.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", sessions.body);
    assert_eq!(items.iter().filter(|s| s["current"] == true).count(), 1);
}

#[tokio::test]
async fn rs256_passkeys_work_too() {
    let app = spawn_app().await;
    let mut auth = Authenticator::rs256(&app);
    let mut admin = Browser::new(&app);
    admin.sign_in_with_token(&app.admin_secret).await;
    let added = admin.add_passkey(&auth, "Windows Hello").await;
    assert_eq!(added.status, 201, "{}", added.body);
    assert_eq!(added.body["algorithm"], "RS256");
    let mut fresh = Browser::new(&app);
    let challenge = fresh.challenge().await;
    let signed = fresh.sign_in(auth.assert(&challenge)).await;
    assert_eq!(signed.status, 200, "{}", signed.body);
}

#[tokio::test]
async fn every_broken_ceremony_is_refused() {
    let app = spawn_app_with(&[("PASSKEY_CHALLENGE_SECONDS", "2")]).await;
    let mut auth = Authenticator::es256(&app);
    admin_with_passkey(&app, &auth).await;
    let mut b = Browser::new(&app);
    let refused = |r: &Reply, why: &str| {
        assert_eq!(r.status, 401, "{why}: {}", r.body);
        assert_eq!(r.code(), "passkey_rejected", "{why}");
        assert!(r.set_cookie.is_none(), "{why}");
    };

    // A replayed assertion: its challenge is used up.
    let challenge = b.challenge().await;
    let assertion = auth.assert(&challenge);
    assert_eq!(b.sign_in(assertion.clone()).await.status, 200);
    b.cookie = None;
    refused(&b.sign_in(assertion).await, "replayed");
    // A challenge never handed out.
    refused(&b.sign_in(auth.assert("bm90LWlzc3VlZA")).await, "unissued");
    // An expired challenge.
    let challenge = b.challenge().await;
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    refused(&b.sign_in(auth.assert(&challenge)).await, "expired");
    // Another origin, and another relying party.
    let challenge = b.challenge().await;
    auth.origin = "https://evil.example".into();
    let r = b.sign_in(auth.assert(&challenge)).await;
    refused(&r, "origin");
    assert!(r.body["detail"].as_str().unwrap().contains("evil.example"));
    auth.origin = app.base_url.clone();
    let challenge = b.challenge().await;
    let rp = std::mem::replace(&mut auth.rp_id, "evil.example".into());
    refused(&b.sign_in(auth.assert(&challenge)).await, "relying party");
    auth.rp_id = rp;
    // A signature over other data.
    let challenge = b.challenge().await;
    let mut forged = auth.assert(&challenge);
    let other = auth.assert(&challenge);
    forged["signature"] = other["signature"].clone();
    refused(&b.sign_in(forged).await, "signature over other data");
    // A counter that goes backwards (a cloned authenticator).
    let challenge = b.challenge().await;
    auth.count = 0;
    let r = b.sign_in(auth.assert(&challenge)).await;
    refused(&r, "counter");
    assert!(r.body["detail"].as_str().unwrap().contains("counter"));
    auth.count = 100;
    // An unknown credential.
    let stranger = {
        let mut s = Authenticator::es256(&app);
        s.count = 5;
        s
    };
    let mut stranger = stranger;
    let challenge = b.challenge().await;
    refused(
        &b.sign_in(stranger.assert(&challenge)).await,
        "unknown credential",
    );
    // And after all that, the real one still signs in.
    let challenge = b.challenge().await;
    assert_eq!(b.sign_in(auth.assert(&challenge)).await.status, 200);
}

#[tokio::test]
async fn cookie_sessions_refuse_cross_site_changes_and_end_when_revoked() {
    let app = spawn_app().await;
    let auth = Authenticator::es256(&app);
    let mut admin = admin_with_passkey(&app, &auth).await;
    let new_token = json!({"name": "cross-site", "grants": []});
    // Another site's page posting with the cookie.
    admin.origin = "https://evil.example".into();
    let r = admin
        .send(Method::POST, "/api/v1/tokens", Some(new_token.clone()))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (403, "cross_site_request"),
        "{}",
        r.body
    );
    admin.origin = app.base_url.clone();
    // The app's own origin without the app's header (a plain form post).
    let r = admin
        .send_with(
            Method::POST,
            "/api/v1/tokens",
            Some(new_token.clone()),
            None,
            false,
        )
        .await;
    assert_eq!((r.status, r.code()), (403, "cross_site_request"));
    // No Origin at all.
    let cookie = admin.cookie.clone().unwrap();
    let r = app
        .client
        .post(app.url("/api/v1/tokens"))
        .header("cookie", format!("kw_session={cookie}"))
        .header("x-keyward-app", "1")
        .json(&new_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    // Nothing was created by any of them.
    let list = app
        .get("/api/v1/tokens?name=cross-site", &app.admin_secret)
        .await
        .json();
    assert_eq!(list["total"], 0, "{list}");
    // Reads need no Origin; the app's own change goes through.
    assert_eq!(admin.whoami().await.status, 200);
    let r = admin
        .send(Method::POST, "/api/v1/tokens", Some(new_token))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // A bearer token beside the cookie is what counts.
    let session = admin.cookie.clone().unwrap();
    let both = app
        .client
        .get(app.url("/api/v1/whoami"))
        .bearer_auth(&app.admin_secret)
        .header("cookie", format!("kw_session={session}"))
        .send()
        .await
        .unwrap();
    let both: Value = both.json().await.unwrap();
    assert!(both["session"].is_null(), "{both}");
    // Over plain HTTP only `kw_session` is read: the same value under the
    // HTTPS name is no session at all.
    let renamed = app
        .client
        .get(app.url("/api/v1/whoami"))
        .header("cookie", format!("__Host-kw_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status().as_u16(), 401);

    // A revoked session is 401 at once.
    let sessions = admin.send(Method::GET, "/api/v1/me/sessions", None).await;
    let current = sessions.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut other = Browser::new(&app);
    other.sign_in_with_token(&app.admin_secret).await;
    let ended = other
        .send(
            Method::DELETE,
            &format!("/api/v1/me/sessions/{current}"),
            None,
        )
        .await;
    assert_eq!(ended.status, 204, "{}", ended.body);
    let r = admin.whoami().await;
    assert_eq!((r.status, r.code()), (401, "session_expired"));
    // Signing out everywhere ends the other one too.
    let all = other
        .send(Method::DELETE, "/api/v1/me/sessions", None)
        .await;
    assert_eq!(all.status, 204);
    assert!(all.set_cookie.unwrap().contains("Max-Age=0"));
    other.cookie = Some(cookie);
    assert_eq!(other.whoami().await.status, 401);
}

#[tokio::test]
async fn sessions_end_when_idle_and_at_their_absolute_lifetime() {
    let app = spawn_app_with(&[
        ("SESSION_IDLE_SECONDS", "3"),
        ("SESSION_ABSOLUTE_SECONDS", "6"),
    ])
    .await;
    // The registry counts whole seconds, so every wait keeps a second of
    // room on each side of a boundary.
    let mut idle = Browser::new(&app);
    assert_eq!(idle.sign_in_with_token(&app.admin_secret).await.status, 201);
    let mut busy = Browser::new(&app);
    let opened = busy.sign_in_with_token(&app.admin_secret).await;
    assert!(opened.set_cookie.unwrap().contains("Max-Age=6"));
    for _ in 0..3 {
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        assert_eq!(busy.whoami().await.status, 200, "a busy session lives on");
    }
    let r = idle.whoami().await;
    assert_eq!((r.status, r.code()), (401, "session_expired"), "idle");
    tokio::time::sleep(std::time::Duration::from_millis(2000)).await;
    let r = busy.whoami().await;
    assert_eq!((r.status, r.code()), (401, "session_expired"), "absolute");
}

#[tokio::test]
async fn a_removed_passkey_no_longer_signs_in() {
    let app = spawn_app().await;
    let mut auth = Authenticator::es256(&app);
    let mut admin = admin_with_passkey(&app, &auth).await;
    let keys = admin.send(Method::GET, "/api/v1/me/passkeys", None).await;
    let id = keys.body["items"][0]["id"].as_str().unwrap().to_string();
    let renamed = admin
        .send(
            Method::PATCH,
            &format!("/api/v1/me/passkeys/{id}"),
            Some(json!({"name": "Old laptop"})),
        )
        .await;
    assert_eq!(renamed.body["name"], "Old laptop");
    let removed = admin
        .send(Method::DELETE, &format!("/api/v1/me/passkeys/{id}"), None)
        .await;
    assert_eq!(removed.status, 204);
    let mut b = Browser::new(&app);
    let challenge = b.challenge().await;
    let r = b.sign_in(auth.assert(&challenge)).await;
    assert_eq!((r.status, r.code()), (401, "passkey_rejected"));
    // A token that is not a person's has no sign-ins.
    let (_, scoped) = app.create_token("no person", json!([])).await;
    let r = app.get("/api/v1/me/passkeys", &scoped).await;
    assert_eq!(r.status, 403, "{}", r.text);
}

fn enrolment_code(outbox: &Value, to: &str) -> String {
    outbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["to"] == to)
        .filter_map(|m| m["text"].as_str())
        .find_map(|t| t.split("/enrol/").nth(1))
        .map(|rest| rest.split_whitespace().next().unwrap().to_string())
        .expect("an enrolment email")
}

#[tokio::test]
async fn a_member_enrols_with_the_emailed_link_once() {
    let app = spawn_app().await;
    let created = app
        .post(
            "/api/v1/members",
            &app.admin_secret,
            json!({"email": "mia@example.com", "name": "Mia", "grants": []}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.json()["enrolment"]["email"], "mia@example.com");
    let outbox = app.get("/api/v1/outbox", &app.admin_secret).await.json();
    let code = enrolment_code(&outbox, "mia@example.com");
    let mut mia = Browser::new(&app);
    let welcome = mia
        .send(Method::GET, &format!("/api/v1/enrolments/{code}"), None)
        .await;
    assert_eq!(welcome.status, 200, "{}", welcome.body);
    assert_eq!(welcome.body["person"]["name"], "Mia");
    let options = mia
        .send(
            Method::POST,
            &format!("/api/v1/enrolments/{code}/options"),
            None,
        )
        .await;
    assert_eq!(options.body["user"]["name"], "mia@example.com");
    assert_eq!(options.body["resident_key"], "required");
    assert_eq!(options.body["algorithms"], json!([-7, -257]));
    let mut auth = Authenticator::es256(&app);
    let enrolled = mia
        .send(
            Method::POST,
            &format!("/api/v1/enrolments/{code}/passkeys"),
            Some(auth.register(&options.body, "Phone")),
        )
        .await;
    assert_eq!(enrolled.status, 201, "{}", enrolled.body);
    assert_eq!(enrolled.body["person"]["kind"], "member");
    let me = mia.whoami().await;
    assert_eq!(me.body["token"]["kind"], "user", "{}", me.body);
    // A member's session is the member: not an admin.
    let r = mia.send(Method::GET, "/api/v1/admins", None).await;
    assert_eq!(r.status, 403);
    // The link is used up.
    let again = Browser::new(&app)
        .send(Method::GET, &format!("/api/v1/enrolments/{code}"), None)
        .await;
    assert_eq!((again.status, again.code()), (410, "enrolment_used"));
    // And the passkey signs the member in later.
    let mut later = Browser::new(&app);
    let challenge = later.challenge().await;
    let signed = later.sign_in(auth.assert(&challenge)).await;
    assert_eq!(signed.body["person"]["name"], "Mia");
    // An unknown code.
    let r = Browser::new(&app)
        .send(
            Method::GET,
            &format!("/api/v1/enrolments/{}", "x".repeat(43)),
            None,
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn a_new_admin_gets_an_enrolment_link_and_no_secret_unless_asked() {
    let app = spawn_app().await;
    let created = app
        .post(
            "/api/v1/admins",
            &app.admin_secret,
            json!({"email": "ada@example.com", "name": "Ada", "master_secret": false}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let v = created.json();
    assert!(v.get("secret").is_none(), "{v}");
    assert_eq!(v["enrolment"]["email"], "ada@example.com");
    let outbox = app.get("/api/v1/outbox", &app.admin_secret).await.json();
    let code = enrolment_code(&outbox, "ada@example.com");
    let mut ada = Browser::new(&app);
    let options = ada
        .send(
            Method::POST,
            &format!("/api/v1/enrolments/{code}/options"),
            None,
        )
        .await;
    let auth = Authenticator::es256(&app);
    let enrolled = ada
        .send(
            Method::POST,
            &format!("/api/v1/enrolments/{code}/passkeys"),
            Some(auth.register(&options.body, "Laptop")),
        )
        .await;
    assert_eq!(enrolled.status, 201, "{}", enrolled.body);
    let admins = ada.send(Method::GET, "/api/v1/admins", None).await;
    assert_eq!(admins.status, 200, "an admin's session administers");
    // Without the field, the secret is shown as before.
    let legacy = app
        .post(
            "/api/v1/admins",
            &app.admin_secret,
            json!({"email": "bob@example.com", "name": "Bob"}),
        )
        .await
        .json();
    assert!(legacy["secret"].as_str().unwrap().starts_with("kw_m_"));
}

#[tokio::test]
async fn the_cli_logs_in_through_a_device_code_a_person_approves() {
    let app = spawn_app().await;
    let start = app
        .send(
            Method::POST,
            "/api/v1/auth/device",
            None,
            Some(json!({"client_name": "laptop"})),
        )
        .await
        .json();
    let device_code = start["device_code"].as_str().unwrap().to_string();
    let user_code = start["user_code"].as_str().unwrap().to_string();
    assert!(start["verification_uri_complete"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/device?code={user_code}")));
    let poll = || {
        app.send(
            Method::POST,
            "/api/v1/auth/device/token",
            None,
            Some(json!({"device_code": device_code})),
        )
    };
    let pending = poll().await;
    assert_eq!(
        (pending.status, pending.code().as_str()),
        (400, "authorization_pending")
    );
    let mut admin = Browser::new(&app);
    admin.sign_in_with_token(&app.admin_secret).await;
    let approved = admin
        .send(
            Method::POST,
            "/api/v1/auth/device/approve",
            Some(json!({"user_code": user_code.to_lowercase()})),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(approved.body["client_name"], "laptop");
    let issued = poll().await;
    assert_eq!(issued.status, 200, "{}", issued.text);
    let issued = issued.json();
    assert_eq!(issued["token"]["kind"], "global");
    assert!(issued["token"]["expires_at"].is_string());
    let secret = issued["secret"].as_str().unwrap();
    assert_eq!(app.get("/api/v1/tokens", secret).await.status, 200);
    let again = poll().await;
    assert_eq!(
        (again.status, again.code().as_str()),
        (400, "device_code_expired")
    );
    // An unknown user code.
    let r = admin
        .send(
            Method::POST,
            "/api/v1/auth/device/approve",
            Some(json!({"user_code": "BCDF-GHJK"})),
        )
        .await;
    assert_eq!(r.status, 404);
}
