//! Issue 25: attenuation by construction. Each test is one hole an
//! attacker found in the last release, replayed against the real worker;
//! each failed before the one capability order and `policy::may_issue`.

use keyward_domain::TokenKind;
use keyward_tests::{mint, spawn_app, spawn_app_with, Answer, TestApp};
use serde_json::{json, Value};
use std::time::Duration;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use keyward_tests::{grants as g, in_seconds};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

#[track_caller]
fn assert_problem(a: &Answer, status: u16, code: &str) {
    assert_eq!(a.status, status, "{}", a.text);
    assert_eq!(a.code(), code, "{}", a.text);
}

/// A token made by the admin from a full create body.
async fn token(app: &TestApp, body: Value) -> (Value, String) {
    let r = app.post("/api/v1/tokens", &app.admin_secret, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let v = r.json();
    (
        v["token"].clone(),
        v["secret"].as_str().unwrap().to_string(),
    )
}

/// Whether `secret` may write into `bucket` (2xx), or is refused (403).
async fn put(app: &TestApp, secret: &str, bucket: &str) -> u16 {
    let status = app
        .client
        .put(app.url(&format!("/api/v1/buckets/{bucket}/objects/k.txt")))
        .bearer_auth(secret)
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    if (200..300).contains(&status) {
        201
    } else {
        status
    }
}

/// Hole 1: a token elevated with write for an hour used the elevation to
/// make it its own, hand it to a child for good, and extend it by 29 days.
#[tokio::test]
async fn an_elevation_is_used_never_given_kept_or_extended() {
    let app = spawn_app().await;
    let admin = app.admin_secret.clone();
    app.create_bucket("b").await;
    let (t, secret) = token(
        &app,
        json!({"name": "raised", "grants": g(&["tokens:manage", "storage:read@b"])}),
    )
    .await;
    let t_id = id(&t);
    let r = app
        .post(
            &format!("/api/v1/tokens/{t_id}/elevations"),
            &admin,
            json!({"grants": g(&["storage:write@b"]), "until": in_seconds(3600), "reason": "load the data"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let elevation = id(&r.json());
    // The elevation works…
    assert_eq!(put(&app, &secret, "b").await, 201);

    // …but is not the token's to keep,
    let keep = app
        .patch(
            &format!("/api/v1/tokens/{t_id}"),
            &secret,
            json!({"grants": g(&["tokens:manage", "storage:read@b", "storage:write@b"])}),
        )
        .await;
    assert_problem(&keep, 403, "privilege_escalation");
    assert!(keep.text.contains("storage:write@b"), "{}", keep.text);
    // to give,
    let child = app
        .post(
            "/api/v1/tokens",
            &secret,
            json!({"name": "child", "grants": g(&["storage:write@b"]), "expires_at": in_seconds(3000)}),
        )
        .await;
    assert_problem(&child, 403, "privilege_escalation");
    // or to extend.
    let extend = app
        .post(
            &format!("/api/v1/tokens/{t_id}/elevations"),
            &secret,
            json!({"grants": g(&["storage:write@b"]), "until": in_seconds(29 * 86_400 - 60), "reason": "more"}),
        )
        .await;
    assert_problem(&extend, 403, "privilege_escalation");
    // Its own grants it still gives, and edits of itself that keep them go
    // through while it is raised.
    let reader = app
        .post(
            "/api/v1/tokens",
            &secret,
            json!({"name": "reader", "grants": g(&["storage:read@b"]), "expires_at": in_seconds(3000)}),
        )
        .await;
    assert_eq!(reader.status, 201, "{}", reader.text);
    let renamed = app
        .patch(
            &format!("/api/v1/tokens/{t_id}"),
            &secret,
            json!({"description": "still raised"}),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);

    // Once the admin ends it, nothing of it is left anywhere.
    let end = app
        .delete(
            &format!("/api/v1/tokens/{t_id}/elevations/{elevation}"),
            &admin,
        )
        .await;
    assert_eq!(end.status, 204, "{}", end.text);
    assert_eq!(put(&app, &secret, "b").await, 403);
    let reader_secret = reader.json()["secret"].as_str().unwrap().to_string();
    assert_eq!(put(&app, &reader_secret, "b").await, 403);
    let listed = app.get("/api/v1/tokens?name=child", &admin).await.json();
    assert_eq!(listed["total"], 0, "no child was made");
}

/// Hole 2: a usage-limited manager lifted its own limit, reset its count
/// with a refill, and minted unlimited children.
#[tokio::test]
async fn a_usage_limited_token_never_loosens_its_limit() {
    let app = spawn_app().await;
    let (t, secret) = token(
        &app,
        json!({"name": "metered", "grants": g(&["tokens:manage", "storage:read@*"]), "usage_limit": {"uses": 8}}),
    )
    .await;
    let path = format!("/api/v1/tokens/{}", id(&t));
    for looser in [
        json!({"usage_limit": {"uses": 1_000_000}}),
        json!({"usage_limit": null}),
        json!({"usage_limit": {"uses": 8, "refill": "daily"}}),
    ] {
        let r = app.patch(&path, &secret, looser.clone()).await;
        assert_problem(&r, 403, "privilege_escalation");
        assert!(r.text.contains("usage limit"), "{looser}: {}", r.text);
    }
    let unlimited = app
        .post(
            "/api/v1/tokens",
            &secret,
            json!({"name": "free", "grants": g(&["storage:read@x"])}),
        )
        .await;
    assert_problem(&unlimited, 403, "privilege_escalation");
    // Tighter is fine, for itself and its children.
    let child = app
        .post(
            "/api/v1/tokens",
            &secret,
            json!({"name": "trial", "grants": g(&["storage:read@x"]), "usage_limit": {"uses": 3}}),
        )
        .await;
    assert_eq!(child.status, 201, "{}", child.text);
    let tighter = app
        .patch(&path, &secret, json!({"usage_limit": {"uses": 5}}))
        .await;
    assert_eq!(tighter.status, 200, "{}", tighter.text);
    assert_eq!(tighter.json()["usage_limit"], json!({"uses": 5}));
    // An admin may still lift it.
    let lifted = app
        .patch(&path, &app.admin_secret, json!({"usage_limit": null}))
        .await;
    assert_eq!(lifted.status, 200, "{}", lifted.text);
}

/// A backend's verifying key, and a key made from `body` for it to verify.
async fn verifier_and_key(app: &TestApp, body: Value) -> (String, String) {
    let (_, verifier) = token(
        app,
        json!({"name": "backend", "grants": g(&["tokens:verify"])}),
    )
    .await;
    let (_, key) = token(app, body).await;
    (verifier, key)
}

/// Hole 3: `/verify` said VALID for a key whose uses were spent, and
/// spent none.
#[tokio::test]
async fn verifying_a_key_is_using_it() {
    let app = spawn_app().await;
    let (verifier, key) = verifier_and_key(
        &app,
        json!({"name": "two-uses", "grants": g(&["storage:read@*"]), "usage_limit": {"uses": 2}}),
    )
    .await;
    let verify = |dry: bool| {
        let body = if dry {
            json!({"key": key, "dry_run": true})
        } else {
            json!({"key": key})
        };
        app.post("/api/v1/verify", &verifier, body)
    };
    // Looking spends nothing.
    for _ in 0..3 {
        let r = verify(true).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["code"], "VALID", "{}", r.text);
        assert_eq!(r.json()["remaining"], 2, "{}", r.text);
    }
    for n in 0..2 {
        let r = verify(false).await.json();
        assert_eq!(r["code"], "VALID", "use {n}: {r}");
        assert!(r["remaining"].as_u64().unwrap() <= 1 - n, "{r}");
    }
    let spent = verify(false).await;
    assert_eq!(spent.status, 200, "{}", spent.text);
    assert_eq!(spent.json()["valid"], false);
    assert_eq!(spent.json()["code"], "USAGE_EXHAUSTED", "{}", spent.text);
    assert_eq!(spent.json()["remaining"], 0);
    // The edge agrees: the key is spent.
    let at_edge = app.get("/api/v1/whoami", &key).await;
    assert_problem(&at_edge, 429, "usage_exhausted");
}

/// Verifying counts against the key's rate limit too.
#[tokio::test]
async fn verifying_a_key_counts_against_its_rate_limit() {
    let app = spawn_app().await;
    let (verifier, key) = verifier_and_key(
        &app,
        json!({"name": "slow", "grants": g(&["storage:read@*"]), "rate_limit": 2}),
    )
    .await;
    let mut codes = vec![];
    for _ in 0..4 {
        let r = app
            .post("/api/v1/verify", &verifier, json!({"key": key}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        codes.push(r.json()["code"].as_str().unwrap().to_string());
        if r.json()["code"] == "RATE_LIMITED" {
            assert!(r.json()["retry_after"].as_u64().unwrap() >= 1, "{}", r.text);
        }
    }
    assert_eq!(codes[..2], ["VALID", "VALID"], "{codes:?}");
    assert!(codes[2..].iter().all(|c| c == "RATE_LIMITED"), "{codes:?}");
}

/// Hole 4: deep metadata was stored, then broke the project's token list.
#[tokio::test]
async fn metadata_nests_at_most_eight_deep() {
    let app = spawn_app().await;
    let nest = |depth: usize| {
        let mut v = json!(1);
        for _ in 0..depth {
            v = json!({ "k": v });
        }
        v
    };
    let ok = app
        .post(
            "/api/v1/tokens",
            &app.admin_secret,
            json!({"name": "eight", "meta": nest(8)}),
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    for depth in [9, 126, 127, 300] {
        let r = app
            .post(
                "/api/v1/tokens",
                &app.admin_secret,
                json!({"name": format!("deep{depth}"), "meta": nest(depth)}),
            )
            .await;
        assert_eq!(r.status, 400, "{depth}: {}", r.text);
        assert_eq!(r.code(), "invalid_request", "{}", r.text);
        assert!(!r.text.contains("recursion"), "{depth}: {}", r.text);
        if depth < 120 {
            assert_eq!(r.code(), "invalid_request", "{}", r.text);
            assert_eq!(r.json()["errors"][0]["field"], "meta", "{}", r.text);
        }
    }
    let list = app
        .get("/api/v1/tokens?project=default", &app.admin_secret)
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
}

/// A project "strict" whose tokens live at most `max_lifetime` seconds and
/// never "never", and a member invited into it (the invitation's answer).
async fn member_in_strict_project(app: &TestApp, max_lifetime: u64, email: &str) -> Answer {
    let admin = &app.admin_secret;
    app.create_project("strict").await;
    let r = app
        .patch(
            "/api/v1/projects/strict",
            admin,
            json!({"expiry_policy": {"max_lifetime_seconds": max_lifetime, "allow_never": false}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app
        .post(
            "/api/v1/members",
            admin,
            json!({"email": email, "name": email.split('@').next(), "project": "strict", "grants": g(&["storage:read@*"])}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r
}

/// Hole 5: a policy project's member got a never-expiring user token, and
/// a global key held grants there for ever.
#[tokio::test]
async fn a_projects_expiry_policy_binds_every_credential_acting_in_it() {
    let app = spawn_app().await;
    let admin = app.admin_secret.clone();
    member_in_strict_project(&app, 86_400, "pat@example.com").await;
    let users = app
        .get("/api/v1/tokens?kind=user&project=strict", &admin)
        .await
        .json();
    assert_eq!(users["total"], 1, "{users}");
    let t = users["items"][0].clone();
    let expires =
        OffsetDateTime::parse(t["expires_at"].as_str().expect("an expiry"), &Rfc3339).unwrap();
    assert!(expires <= OffsetDateTime::now_utc() + time::Duration::seconds(86_400 + 5));

    let global = app
        .post(
            "/api/v1/tokens",
            &admin,
            json!({"name": "everywhere", "kind": "global", "project_grants": {"strict": g(&["storage:read@*"])}}),
        )
        .await;
    assert_problem(&global, 400, "invalid_request");
    assert!(global.text.contains("strict"), "{}", global.text);
    let brief = app
        .post(
            "/api/v1/tokens",
            &admin,
            json!({"name": "everywhere", "kind": "global", "project_grants": {"strict": g(&["storage:read@*"])}, "expires_at": in_seconds(3600)}),
        )
        .await;
    assert_eq!(brief.status, 201, "{}", brief.text);
    // Nor does an edit move a never-expiring key into the project.
    let (k, _) = token(&app, json!({"name": "k", "kind": "global"})).await;
    let moved = app
        .patch(
            &format!("/api/v1/tokens/{}", id(&k)),
            &admin,
            json!({"project_grants": {"strict": g(&["storage:read@*"])}}),
        )
        .await;
    assert_problem(&moved, 400, "invalid_request");
}

/// Hole 6: the requester approved their own elevation with another key
/// of theirs.
#[tokio::test]
async fn four_eyes_compares_people_not_keys() {
    let app = spawn_app().await;
    let a = app.admin_secret.clone();
    let r = app
        .patch(
            "/api/v1/projects/default",
            &a,
            json!({"elevation_approval": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (t, _) = token(&app, json!({"name": "t", "grants": g(&["storage:read@b"])})).await;
    let t_id = id(&t);
    let asked = app
        .post(
            &format!("/api/v1/tokens/{t_id}/elevations"),
            &a,
            json!({"grants": g(&["storage:write@b"]), "until": in_seconds(3600), "reason": "import"}),
        )
        .await;
    assert_eq!(asked.status, 201, "{}", asked.text);
    assert_eq!(asked.json()["status"], "pending");
    let approve = format!(
        "/api/v1/tokens/{t_id}/elevations/{}/approve",
        id(&asked.json())
    );
    assert_problem(
        &app.post(&approve, &a, json!({})).await,
        403,
        "self_approval",
    );
    // A's global admin key, and a key that key made, are still A.
    let (_, a_key) = token(
        &app,
        json!({"name": "a-automation", "kind": "global", "global_admin": true}),
    )
    .await;
    assert_problem(
        &app.post(&approve, &a_key, json!({})).await,
        403,
        "self_approval",
    );
    let r = app
        .post(
            "/api/v1/tokens",
            &a_key,
            json!({"name": "a-second", "kind": "global", "global_admin": true}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let a_second = r.json()["secret"].as_str().unwrap().to_string();
    assert_problem(
        &app.post(&approve, &a_second, json!({})).await,
        403,
        "self_approval",
    );
    // Another admin approves.
    let b = app
        .post(
            "/api/v1/admins",
            &a,
            json!({"email": "b@example.com", "name": "B"}),
        )
        .await;
    assert_eq!(b.status, 201, "{}", b.text);
    let b_secret = b.json()["secret"].as_str().unwrap().to_string();
    let ok = app.post(&approve, &b_secret, json!({})).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.json()["status"], "active");

    // The audit log names the people, whichever keys they used.
    let b_person = format!("admin:{}", b.json()["admin"]["id"].as_str().unwrap());
    let admins = app.get("/api/v1/admins", &a).await.json();
    let a_id = admins["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["email"] != "b@example.com")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let approved = app
        .audit_until("action=token.elevation.approve", &a, |items| {
            !items.is_empty()
        })
        .await;
    assert_eq!(
        approved["items"][0]["person"],
        b_person.as_str(),
        "{approved}"
    );
    let made = app
        .audit_until("action=token.create", &a, |items| {
            items
                .iter()
                .any(|e| e["detail"].as_str().unwrap_or("").contains("a-second"))
        })
        .await;
    let by_key = made["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["detail"].as_str().unwrap_or("").contains("a-second"))
        .expect("the key's creation is audited")
        .clone();
    assert_eq!(
        by_key["person"],
        format!("admin:{a_id}").as_str(),
        "{by_key}"
    );
    assert_ne!(by_key["actor"], by_key["person"]);
}

const PARTNER_KEY: &str = "partner-key-for-tests";

async fn report_leak(app: &TestApp, secret: &str) -> Answer {
    app.report_leaks(
        Some(PARTNER_KEY),
        json!([{"token": secret, "type": "keyward_token", "url": "https://github.com/acme/app", "source": "content"}]),
    )
    .await
}

/// Hole 7: a leaked master token could be recovered by nobody.
#[tokio::test]
async fn another_admin_recovers_a_leaked_master_token() {
    let hash = keyward_domain::secret::hash_str(PARTNER_KEY).0;
    let app = spawn_app_with(&[("LEAK_PARTNER_KEY_HASH", hash.as_str())]).await;
    let a = app.admin_secret.clone();
    let b = app
        .post(
            "/api/v1/admins",
            &a,
            json!({"email": "b@example.com", "name": "B"}),
        )
        .await;
    assert_eq!(b.status, 201, "{}", b.text);
    let b_secret = b.json()["secret"].as_str().unwrap().to_string();
    let b_master = b.json()["master_token"]["id"].as_str().unwrap().to_string();
    let leak = report_leak(&app, &b_secret).await;
    assert_eq!(leak.status, 200, "{}", leak.text);
    assert_problem(
        &app.get("/api/v1/whoami", &b_secret).await,
        401,
        "token_disabled",
    );
    let notice = app.newest_mail_to("admin@localhost").await;
    assert!(notice.contains("another admin recovers it"), "{notice}");

    // Refreshing it is still its own business…
    let r = app
        .post(&format!("/api/v1/tokens/{b_master}/refresh"), &a, json!({}))
        .await;
    assert_problem(&r, 403, "privilege_escalation");
    assert!(r.text.contains("/recover"), "{}", r.text);
    // …recovering it is another admin's.
    let r = app
        .post(&format!("/api/v1/tokens/{b_master}/recover"), &a, json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["delivered_to"], "b@example.com");
    assert!(r.json().get("secret").is_none(), "{}", r.text);
    let answered = r.text.clone();
    assert_eq!(r.json()["token"]["enabled"], true);
    let mail = app.newest_mail_to("b@example.com").await;
    let at = mail.find("kw_m_").expect("the new secret in B's email");
    let new_secret: String = mail[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    assert!(
        !answered.contains(&new_secret),
        "the secret is its admin's only"
    );
    let me = app.get("/api/v1/whoami", &new_secret).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json()["token"]["id"], b_master.as_str());
    assert_eq!(app.get("/api/v1/whoami", &b_secret).await.status, 401);
    // Nobody else's key recovers a master token.
    let (_, manager) = token(
        &app,
        json!({"name": "m", "grants": g(&["tokens:manage", "tokens:read"])}),
    )
    .await;
    let r = app
        .post(
            &format!("/api/v1/tokens/{b_master}/recover"),
            &manager,
            json!({}),
        )
        .await;
    assert_problem(&r, 403, "insufficient_permission");
    // Nor does an admin recover their own: that is a refresh.
    let r = app
        .post(
            &format!("/api/v1/tokens/{b_master}/recover"),
            &new_secret,
            json!({}),
        )
        .await;
    assert_problem(&r, 409, "conflict");
}

/// Hole 7, the rest: a revoking project kept an already-disabled leaked
/// token, which could then be enabled again.
#[tokio::test]
async fn a_revoking_project_deletes_a_leaked_token_even_if_disabled() {
    let hash = keyward_domain::secret::hash_str(PARTNER_KEY).0;
    let app = spawn_app_with(&[("LEAK_PARTNER_KEY_HASH", hash.as_str())]).await;
    let a = app.admin_secret.clone();
    app.create_project("strict").await;
    let r = app
        .patch(
            "/api/v1/projects/strict",
            &a,
            json!({"leak_response": "revoke"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (t, secret) = token(
        &app,
        json!({"name": "off", "project": "strict", "enabled": false}),
    )
    .await;
    let leak = report_leak(&app, &secret).await;
    assert_eq!(leak.status, 200, "{}", leak.text);
    assert_eq!(leak.json()[0]["action"], "revoked", "{}", leak.text);
    let gone = app.get(&format!("/api/v1/tokens/{}", id(&t)), &a).await;
    assert_eq!(gone.status, 404, "{}", gone.text);
}

/// The operator recovers a deployment whose only admin's master token
/// leaked: through KV and the Cron Trigger, with the recovery key.
#[tokio::test]
async fn the_operator_recovers_a_locked_out_deployment() {
    let partner = keyward_domain::secret::hash_str(PARTNER_KEY).0;
    let recovery_key = "operator-recovery-key-for-tests";
    let recovery = keyward_domain::secret::hash_str(recovery_key).0;
    let app = spawn_app_with(&[
        ("LEAK_PARTNER_KEY_HASH", partner.as_str()),
        ("RECOVERY_KEY_HASH", recovery.as_str()),
    ])
    .await;
    let old = app.admin_secret.clone();
    assert_eq!(report_leak(&app, &old).await.status, 200);
    assert_eq!(app.get("/api/v1/whoami", &old).await.status, 401);

    let put_request = |key: &str, secret: &keyward_domain::Secret| {
        let request = json!({"email": "admin@localhost", "key": key, "hash": secret.hash().0, "hint": secret.hint()});
        let root = keyward_tests::repo_root();
        let status = std::process::Command::new("node")
            .arg(root.join("node_modules/wrangler/bin/wrangler.js"))
            .args([
                "kv",
                "key",
                "put",
                "--binding",
                "KEYWARD",
                "operator:recover",
            ])
            .arg(request.to_string())
            .args(["--local", "--persist-to"])
            .arg(&app.persist_dir)
            .current_dir(&root)
            .env("WRANGLER_SEND_METRICS", "false")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("wrangler runs");
        assert!(status.success());
    };
    // A wrong recovery key changes nothing.
    let wrong = mint(TokenKind::Master);
    put_request("not-the-key", &wrong);
    app.run_scheduled().await;
    assert_eq!(app.get("/api/v1/whoami", wrong.expose()).await.status, 401);

    let fresh = mint(TokenKind::Master);
    put_request(recovery_key, &fresh);
    app.run_scheduled().await;
    let mut me = app.get("/api/v1/whoami", fresh.expose()).await;
    for _ in 0..20 {
        if me.status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        me = app.get("/api/v1/whoami", fresh.expose()).await;
    }
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json()["token"]["kind"], "master");
    assert_eq!(app.get("/api/v1/whoami", &old).await.status, 401);
    let audit = app
        .audit_until("action=admin.recover", fresh.expose(), |items| {
            !items.is_empty()
        })
        .await;
    assert_eq!(audit["items"][0]["actor"], "operator", "{audit}");
}

/// Hole 8: an ended elevation was listed as active until the next write.
#[tokio::test]
async fn an_ended_elevation_is_not_listed() {
    let app = spawn_app().await;
    let admin = app.admin_secret.clone();
    let (t, secret) = token(&app, json!({"name": "t", "grants": g(&["storage:read@b"])})).await;
    let t_id = id(&t);
    let until = OffsetDateTime::now_utc() + time::Duration::seconds(4);
    let r = app
        .post(
            &format!("/api/v1/tokens/{t_id}/elevations"),
            &admin,
            json!({"grants": g(&["storage:write@b"]), "until": until.format(&Rfc3339).unwrap(), "reason": "brief"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let listed = |v: &Value| v["elevations"].as_array().map_or(0, Vec::len);
    assert_eq!(
        listed(
            &app.get(&format!("/api/v1/tokens/{t_id}"), &admin)
                .await
                .json()
        ),
        1
    );
    let wait = until - OffsetDateTime::now_utc() + time::Duration::seconds(1);
    tokio::time::sleep(Duration::from_millis(
        wait.whole_milliseconds().max(0) as u64
    ))
    .await;
    assert_eq!(
        listed(
            &app.get(&format!("/api/v1/tokens/{t_id}"), &admin)
                .await
                .json()
        ),
        0
    );
    let page = app.get("/api/v1/tokens?name=t", &admin).await.json();
    assert_eq!(listed(&page["items"][0]), 0, "{page}");
    let me = app.get("/api/v1/whoami", &secret).await.json();
    assert_eq!(listed(&me["token"]), 0, "{me}");
}

/// Hole 9: `persona=%` matched every token with a persona.
#[tokio::test]
async fn the_persona_filter_takes_no_wildcards() {
    let app = spawn_app().await;
    let admin = app.admin_secret.clone();
    let p = app
        .post(
            "/api/v1/personas",
            &admin,
            json!({"name": "readers", "grants": g(&["storage:read@*"])}),
        )
        .await;
    assert_eq!(p.status, 201, "{}", p.text);
    let persona = id(&p.json());
    token(&app, json!({"name": "t", "personas": [persona]})).await;
    let found = app
        .get(&format!("/api/v1/tokens?persona={persona}"), &admin)
        .await
        .json();
    assert_eq!(found["total"], 1, "{found}");
    // A long search is a search, not a pattern SQLite refuses (it was 503
    // past 50 bytes).
    let long = "x".repeat(200);
    let r = app.get(&format!("/api/v1/tokens?q={long}"), &admin).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["total"], 0);
    let r = app.get("/api/v1/tokens?q=%25", &admin).await;
    assert_eq!(r.json()["total"], 0, "% is a character: {}", r.text);
    for wildcard in ["%25", "_", "%25_%25"] {
        let r = app
            .get(&format!("/api/v1/tokens?persona={wildcard}"), &admin)
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["total"], 0, "{wildcard}: {}", r.text);
    }
}

/// Hole 10: another project's manager learned an invitation's state.
#[tokio::test]
async fn an_invitation_is_hidden_before_its_state_is_told() {
    let app = spawn_app().await;
    let admin = app.admin_secret.clone();
    app.create_project("beta").await;
    let (t, _) = token(&app, json!({"name": "shared"})).await;
    let r = app
        .post(
            &format!("/api/v1/tokens/{}/invitations", id(&t)),
            &admin,
            json!({"email": "bob@example.com"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let invitation = id(&r.json()["invitation"]);
    let code = app.invitation_code_for("bob@example.com").await;
    assert_eq!(app.accept_invitation(&code).await.status, 200);
    let (_, stranger) = token(
        &app,
        json!({"name": "beta-manager", "project": "beta", "grants": g(&["tokens:manage", "tokens:read"])}),
    )
    .await;
    let r = app
        .delete(&format!("/api/v1/invitations/{invitation}"), &stranger)
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert!(!r.text.contains("accepted"), "{}", r.text);
    // The admin is told why.
    let r = app
        .delete(&format!("/api/v1/invitations/{invitation}"), &admin)
        .await;
    assert_problem(&r, 409, "conflict");
}

/// A personal key is held to the one order too: it acts as its user, so
/// it never outlives the user token (here one a project's policy made
/// expire), even by the seconds between the two.
#[tokio::test]
async fn a_personal_key_never_outlives_its_user() {
    let app = spawn_app().await;
    let r = member_in_strict_project(&app, 30 * 86_400, "kim@example.com").await;
    let member = r.json()["member"]["id"].as_str().unwrap().to_string();
    let code = app.invitation_code_for("kim@example.com").await;
    let accepted = app.accept_invitation(&code).await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    let user = accepted.json()["secret"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // The longest the policy allows now is a second past the user token.
    let r = app
        .post(
            &format!("/api/v1/members/{member}/keys"),
            &user,
            json!({"name": "laptop", "expires_in": 30 * 86_400}),
        )
        .await;
    assert_problem(&r, 403, "privilege_escalation");
    assert!(r.text.contains("expiry"), "{}", r.text);
    let r = app
        .post(
            &format!("/api/v1/members/{member}/keys"),
            &user,
            json!({"name": "laptop", "expires_in": 86_400}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}
