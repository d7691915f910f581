//! Secrets are stored only as hashes and never logged: after a busy run,
//! no issued secret appears anywhere under the persisted state or in the
//! runtime's log.

use keyward_tests::spawn_app;
use serde_json::json;

#[tokio::test]
async fn no_issued_secret_is_persisted_or_logged() {
    let mut app = spawn_app().await;
    let mut secrets = vec![app.admin_secret.clone()];
    app.create_bucket("b").await;
    for i in 0..5 {
        let (t, s) = app
            .create_token(
                &format!("t{i}"),
                json!([{"service": "storage", "permission": "read", "resource": "b"}]),
            )
            .await;
        secrets.push(s.clone());
        assert_eq!(app.get("/api/v1/whoami", &s).await.status, 200);
        let r = app
            .post(
                &format!("/api/v1/tokens/{}/refresh", t["id"].as_str().unwrap()),
                &app.admin_secret,
                json!({"overlap_seconds": 60}),
            )
            .await;
        secrets.push(r.json()["secret"].as_str().unwrap().to_string());
    }
    let r = app
        .post(
            "/api/v1/admins",
            &app.admin_secret,
            json!({"email": "a2@example.com", "name": "A2"}),
        )
        .await;
    secrets.push(r.json()["secret"].as_str().unwrap().to_string());
    // Let after-response writes (audit, last use) land, then stop cleanly so
    // everything is flushed to disk.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    app.stop();

    let files = app.persisted_bytes();
    assert!(files.len() > 2, "state was persisted: {files:?}");
    let log = app.log();
    assert!(log.contains("GET /api/v1/whoami"), "the log is captured");
    for secret in &secrets {
        let needle = secret.as_bytes();
        for (path, bytes) in &files {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "secret found in {}",
                path.display()
            );
        }
        assert!(!log.contains(secret.as_str()), "secret found in the log");
    }
    // The hashes, on the other hand, are what is stored.
    let hash = keyward_domain::secret::hash_str(&secrets[1]).0;
    assert!(files
        .iter()
        .any(|(_, b)| b.windows(hash.len()).any(|w| w == hash.as_bytes())));
}
