//! The data plane's audit: calls reach the audit store through a queue
//! after their answer, in batches; none is lost, none is written twice,
//! each appears within the bound of docs/operations.md ("Audit"), and `last_used_at` rides the
//! same batches.

use keyward_tests::{spawn_app_with, TestApp, AUDIT_DELAY};
use serde_json::json;
use std::time::Instant;

/// One `whoami` call, then the audit page of its client's `whoami` entries
/// once one is there (or the bound has passed).
async fn whoami_until_logged(app: &TestApp, secret: &str, client: &str) -> serde_json::Value {
    assert_eq!(app.get("/api/v1/whoami", secret).await.status, 200);
    app.audit_until(
        &format!("actor={client}&action=whoami"),
        &app.admin_secret,
        |items| !items.is_empty(),
    )
    .await
}

#[tokio::test]
async fn a_call_is_in_the_audit_log_and_last_used_within_the_bound() {
    let app = spawn_app_with(&[("DEFAULT_RATE_LIMIT", "100000")]).await;
    let r = app
        .post(
            "/api/v1/tokens",
            &app.admin_secret,
            json!({"name": "probe"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let v = r.json();
    let (id, client, secret) = (
        v["token"]["id"].as_str().unwrap().to_string(),
        v["token"]["client_id"].as_str().unwrap().to_string(),
        v["secret"].as_str().unwrap().to_string(),
    );
    assert!(v["token"]["last_used_at"].is_null());

    let called = Instant::now();
    let page = whoami_until_logged(&app, &secret, &client).await;
    let seen_after = called.elapsed();
    assert_eq!(page["total"], 1, "{page}");
    assert!(seen_after <= AUDIT_DELAY, "appeared after {seen_after:?}");
    println!(
        "audit delay: a call appeared after {} ms",
        seen_after.as_millis()
    );

    // The same batch moved last_used_at.
    let mut used = serde_json::Value::Null;
    while called.elapsed() <= AUDIT_DELAY {
        used = app
            .get(&format!("/api/v1/tokens/{id}"), &app.admin_secret)
            .await
            .json()["last_used_at"]
            .clone();
        if used.is_string() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(used.is_string(), "last_used_at not set: {used}");
}

#[tokio::test]
async fn under_concurrent_load_no_entry_is_lost_or_duplicated() {
    let app = spawn_app_with(&[("DEFAULT_RATE_LIMIT", "100000")]).await;
    let mut tokens = vec![];
    for n in 0..2 {
        let r = app
            .post(
                "/api/v1/tokens",
                &app.admin_secret,
                json!({"name": format!("busy {n}")}),
            )
            .await;
        let v = r.json();
        tokens.push((
            v["token"]["client_id"].as_str().unwrap().to_string(),
            v["secret"].as_str().unwrap().to_string(),
        ));
    }
    const PER_TOKEN: usize = 150;
    let mut tasks = vec![];
    for worker in 0..12 {
        let client = app.client.clone();
        let url = app.url("/api/v1/whoami");
        let secret = tokens[worker % 2].1.clone();
        tasks.push(tokio::spawn(async move {
            let mut ok = 0;
            for _ in 0..(PER_TOKEN / 6) {
                let r = client
                    .get(&url)
                    .bearer_auth(&secret)
                    .send()
                    .await
                    .expect("answer");
                if r.status() == 200 {
                    ok += 1;
                }
                let _ = r.bytes().await;
            }
            ok
        }));
    }
    let mut answered = 0;
    for t in tasks {
        answered += t.await.expect("task");
    }
    assert_eq!(answered, 2 * PER_TOKEN);
    let done = Instant::now();
    for (client, _) in &tokens {
        let page = app
            .audit_until(
                &format!("actor={client}&action=whoami&limit=1"),
                &app.admin_secret,
                |_| false,
            )
            .await;
        // audit_until waited the whole bound: everything has landed.
        assert_eq!(
            page["total"].as_u64(),
            Some(PER_TOKEN as u64),
            "entries for {client} (none lost, none twice)"
        );
    }
    println!(
        "audit under load: {} calls, {} entries, checked {} ms after the last answer",
        2 * PER_TOKEN,
        2 * PER_TOKEN,
        done.elapsed().as_millis()
    );
}

/// The audit queue and then the audit store go away (their bindings
/// removed, as if the services were down): no call is decided otherwise,
/// the log answers 503 rather than a partial page, a call's entry still
/// reaches the store while only the queue is gone, and a change made while
/// the store is gone waits in the registry and is in the log once the store
/// is back, once.
#[tokio::test]
async fn a_failing_queue_or_store_changes_no_decision_and_loses_no_change() {
    const QUEUE: [&str; 2] = ["[[queues.producers]]", "[[queues.consumers]]"];
    let mut app = spawn_app_with(&[("DEFAULT_RATE_LIMIT", "100000")]).await;
    let (token, secret) = app.create_token("plain", json!([])).await;
    let client = token["client_id"].as_str().unwrap().to_string();

    // The queue is gone: the call's entry goes to the store directly.
    app.restart_without(&QUEUE).await;
    let page = whoami_until_logged(&app, &secret, &client).await;
    assert_eq!(page["total"], 1, "{page}");

    // The store is gone too.
    let mut both = QUEUE.to_vec();
    both.push("[[d1_databases]]");
    app.restart_without(&both).await;
    let refused = app.get("/api/v1/tokens", &secret).await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert_eq!(refused.code(), "insufficient_permission");
    assert_eq!(app.get("/api/v1/whoami", &secret).await.status, 200);
    let unknown = keyward_tests::mint(keyward_domain::TokenKind::Scoped);
    assert_eq!(
        app.get("/api/v1/whoami", unknown.expose()).await.status,
        401
    );
    let (made, _) = app
        .create_token("made while the store is down", json!([]))
        .await;
    let made_id = made["id"].as_str().unwrap().to_string();
    let log = app.get("/api/v1/audit", &app.admin_secret).await;
    assert_eq!(log.status, 503, "{}", log.text);
    assert_eq!(log.code(), "unavailable");

    // Back: the next command hands the held entry over.
    app.restart_without(&[]).await;
    assert_eq!(
        app.get("/api/v1/tokens", &app.admin_secret).await.status,
        200
    );
    let page = app
        .audit_until("action=token.create", &app.admin_secret, |items| {
            items
                .iter()
                .any(|e| e["target"].as_str() == Some(made_id.as_str()))
        })
        .await;
    let held: Vec<_> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target"].as_str() == Some(made_id.as_str()))
        .collect();
    assert_eq!(
        held.len(),
        1,
        "the change made while the store was down: {page}"
    );
}

/// `whoami` at the edge writes its answer once per record and puts each
/// call's instant in: two calls differ only in `last_used_at`, which is
/// the call's own time, and an edit of the token shows at once.
#[tokio::test]
async fn whoami_answers_each_call_with_its_own_instant_and_the_record_as_it_is() {
    let app = spawn_app_with(&[("DEFAULT_RATE_LIMIT", "100000")]).await;
    let (token, secret) = app.create_token("steady", json!([])).await;
    let id = token["id"].as_str().unwrap().to_string();
    let instant = |v: &serde_json::Value| {
        let text = v["token"]["last_used_at"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|e| panic!("last_used_at {text:?}: {e}"))
    };
    let first = app.get("/api/v1/whoami", &secret).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(
        first.header("content-type").as_deref(),
        Some("application/json")
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let second = app.get("/api/v1/whoami", &secret).await;
    let (mut a, mut b) = (first.json(), second.json());
    let (at_a, at_b) = (instant(&a), instant(&b));
    assert!(at_b > at_a, "each call's own instant: {at_a} then {at_b}");
    let drift = (time::OffsetDateTime::now_utc() - at_b).abs();
    assert!(
        drift < time::Duration::seconds(5),
        "not the call's time: {at_b}"
    );
    a["token"]["last_used_at"] = serde_json::Value::Null;
    b["token"]["last_used_at"] = serde_json::Value::Null;
    assert_eq!(
        a, b,
        "two calls on one record answer the same but for the instant"
    );

    let r = app
        .patch(
            &format!("/api/v1/tokens/{id}"),
            &app.admin_secret,
            json!({"name": "renamed", "grants": [{"service": "tokens", "permission": "read"}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let after = app.get("/api/v1/whoami", &secret).await.json();
    assert_eq!(after["token"]["name"], "renamed", "{after}");
    assert_ne!(after["permissions"], b["permissions"], "{after}");
}
