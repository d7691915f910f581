//! Durability: the runtime is SIGKILLed in the middle of a burst of token
//! creations and refreshes, then restarted on the same state. Every token
//! that was answered 201 works, every secret that a refresh replaced does
//! not, and no token is half-made (working secret but unknown token).

use keyward_tests::spawn_app_with;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct Seen {
    /// (token id, current secret) as last answered.
    live: Vec<(String, String)>,
    /// Secrets replaced by an answered refresh.
    replaced: Vec<String>,
    /// Tokens whose refresh was in flight at the crash: it may or may not
    /// have happened, so either their old secret works or it was replaced.
    in_flight: Vec<String>,
    answered: usize,
}

#[tokio::test]
async fn crash_mid_burst_loses_nothing_answered() {
    // The burst is far above the default rate limit, which has its own tests.
    let mut app = spawn_app_with(&[("DEFAULT_RATE_LIMIT", "1000000")]).await;
    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut workers = vec![];
    for w in 0..4 {
        let client = app.client.clone();
        let base = app.base_url.clone();
        let admin = app.admin_secret.clone();
        let seen = seen.clone();
        workers.push(tokio::spawn(async move {
            for i in 0.. {
                let created = client
                    .post(format!("{base}/api/v1/tokens"))
                    .bearer_auth(&admin)
                    .json(&json!({"name": format!("burst-{w}-{i}")}))
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await;
                let Ok(r) = created else { return };
                if r.status() != 201 {
                    return;
                }
                let Ok(v) = r.json::<serde_json::Value>().await else {
                    return;
                };
                let id = v["token"]["id"].as_str().unwrap_or_default().to_string();
                let secret = v["secret"].as_str().unwrap_or_default().to_string();
                {
                    let mut s = seen.lock().unwrap();
                    s.live.push((id.clone(), secret.clone()));
                    s.answered += 1;
                }
                if i % 2 == 0 {
                    let refreshed = client
                        .post(format!("{base}/api/v1/tokens/{id}/refresh"))
                        .bearer_auth(&admin)
                        .json(&json!({}))
                        .timeout(Duration::from_secs(5))
                        .send()
                        .await;
                    let answer = match refreshed {
                        Ok(r) if r.status() == 200 => r.json::<serde_json::Value>().await.ok(),
                        _ => None,
                    };
                    let Some(v) = answer else {
                        seen.lock().unwrap().in_flight.push(id);
                        return;
                    };
                    let new = v["secret"].as_str().unwrap_or_default().to_string();
                    let mut s = seen.lock().unwrap();
                    if let Some(entry) = s.live.iter_mut().find(|(t, _)| *t == id) {
                        entry.1 = new;
                    }
                    s.replaced.push(secret);
                    s.answered += 1;
                }
            }
        }));
    }
    // Let the burst run, then crash the runtime under it.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    app.crash_and_restart().await;
    for w in workers {
        let _ = w.await;
    }
    let seen = Arc::try_unwrap(seen).ok().unwrap().into_inner().unwrap();
    assert!(
        seen.answered > 10,
        "the burst was under way: {} answers",
        seen.answered
    );
    println!(
        "durability: {} answered writes before the crash ({} tokens, {} refreshes)",
        seen.answered,
        seen.live.len(),
        seen.replaced.len()
    );
    // The first registry call after the restart heals what the crash left
    // half-done (an old secret whose refresh had not deleted it yet).
    assert_eq!(
        app.get("/api/v1/tokens?limit=1", &app.admin_secret)
            .await
            .status,
        200
    );
    for (id, secret) in &seen.live {
        let me = app.get("/api/v1/whoami", secret).await;
        if me.status == 401 && seen.in_flight.contains(id) {
            // The refresh landed but its answer was lost with the crash:
            // then the registry holds another secret, and this one is dead.
            let held = app
                .get(&format!("/api/v1/tokens/{id}"), &app.admin_secret)
                .await;
            assert_eq!(held.status, 200);
            assert_ne!(
                held.json()["secret_hint"].as_str().unwrap_or(""),
                format!("kw_s_…{}", &secret[secret.len() - 4..]),
                "token {id}: its only secret stopped working without a refresh"
            );
            continue;
        }
        assert_eq!(me.status, 200, "answered token {id} lost: {}", me.text);
        assert_eq!(me.json()["token"]["id"], id.as_str());
        // Known to the registry too, with the secret it answered last.
        let held = app
            .get(&format!("/api/v1/tokens/{id}"), &app.admin_secret)
            .await;
        assert_eq!(
            held.status, 200,
            "token {id} works but the registry lost it"
        );
        assert_eq!(
            held.json()["secret_hint"],
            me.json()["token"]["secret_hint"]
        );
    }
    for old in &seen.replaced {
        assert_eq!(
            app.get("/api/v1/whoami", old).await.status,
            401,
            "a replaced secret works again"
        );
    }
    // Every token the registry knows is whole: it can be read, and no
    // answered token is missing from it.
    let list = app
        .get("/api/v1/tokens?kind=scoped&limit=100", &app.admin_secret)
        .await
        .json();
    let total = list["total"].as_u64().unwrap() as usize;
    assert!(
        total >= seen.live.len(),
        "{total} listed < {} answered",
        seen.live.len()
    );
    let mut offset = 0;
    while offset < total {
        let page = app
            .get(
                &format!("/api/v1/tokens?kind=scoped&limit=100&offset={offset}"),
                &app.admin_secret,
            )
            .await
            .json();
        for t in page["items"].as_array().unwrap() {
            let one = app
                .get(
                    &format!("/api/v1/tokens/{}", t["id"].as_str().unwrap()),
                    &app.admin_secret,
                )
                .await;
            assert_eq!(one.status, 200);
        }
        offset += 100;
    }
    // And the service is healthy after the crash.
    let fresh = app
        .post(
            "/api/v1/tokens",
            &app.admin_secret,
            json!({"name": "after-crash"}),
        )
        .await;
    assert_eq!(fresh.status, 201);
}
