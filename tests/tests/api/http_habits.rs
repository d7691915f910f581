//! The HTTP habits clients of Stripe's and GitHub's APIs rely on: a
//! request id on every answer, its problem body and its audit entry;
//! versions (`ETag`) that make a stale edit fail instead of silently
//! winning; creates that can be retried (`Idempotency-Key`); and the
//! rate limit stated on every answer it governs.

use keyward_tests::spawn_app;
use reqwest::Method;
use serde_json::{json, Value};

fn entry_with<'a>(items: &'a [Value], request_id: &str) -> Option<&'a Value> {
    items.iter().find(|e| e["request_id"] == request_id)
}

#[tokio::test]
async fn every_answer_names_its_request_and_the_audit_log_keeps_the_name() {
    let app = spawn_app().await;
    let admin = app.admin_secret.clone();

    // A success, from the edge and from the control plane.
    let a = app.get("/api/v1/whoami", &admin).await;
    let b = app.get("/api/v1/whoami", &admin).await;
    let (a, b) = (
        a.header("x-request-id").expect("whoami names its request"),
        b.header("x-request-id").expect("whoami names its request"),
    );
    assert_ne!(a, b, "each request its own id");
    let health = app.send(Method::GET, "/api/v1/health", None, None).await;
    assert!(health.header("x-request-id").is_some());

    // A problem names it in its body too.
    let refused = app.get("/api/v1/whoami", "kw_s_nonsense").await;
    let id = refused
        .header("x-request-id")
        .expect("a problem names its request");
    assert_eq!(
        refused.json()["request_id"],
        id.as_str(),
        "{}",
        refused.text
    );

    // A change the registry records, and a refusal the front records,
    // are found in the log by the id their answers carried.
    let created = app
        .post("/api/v1/tokens", &admin, json!({"name": "traced"}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let create_id = created.header("x-request-id").unwrap();
    let secret = created.json()["secret"].as_str().unwrap().to_string();
    let denied = app.get("/api/v1/tokens", &secret).await;
    assert_eq!(denied.status, 403);
    let denied_id = denied.header("x-request-id").unwrap();
    assert_eq!(denied.json()["request_id"], denied_id.as_str());
    let page = app
        .audit_until("limit=100", &admin, |items| {
            entry_with(items, &create_id).is_some() && entry_with(items, &denied_id).is_some()
        })
        .await;
    let items = page["items"].as_array().unwrap();
    let create = entry_with(items, &create_id).unwrap_or_else(|| panic!("{page}"));
    assert_eq!(create["action"], "token.create", "{create}");
    let deny = entry_with(items, &denied_id).unwrap_or_else(|| panic!("{page}"));
    assert_eq!(deny["outcome"], "denied", "{deny}");
}

#[tokio::test]
async fn a_stale_edit_is_refused_instead_of_silently_winning() {
    let app = spawn_app().await;
    let admin = app.admin_secret.clone();
    let (token, secret) = app.create_token("shared", json!([])).await;
    let path = format!("/api/v1/tokens/{}", token["id"].as_str().unwrap());

    let read = app.get(&path, &admin).await;
    let v1 = read
        .header("etag")
        .expect("a token answer carries its version");
    // Using the token is not editing it: the version stays.
    assert_eq!(app.get("/api/v1/whoami", &secret).await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        app.get(&path, &admin).await.header("etag"),
        Some(v1.clone())
    );

    // Two admins read v1; the first edit wins and says its new version.
    let first = app
        .send_with(
            Method::PATCH,
            &path,
            &admin,
            Some(json!({"name": "alice's"})),
            &[("if-match", &v1)],
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    let v2 = first.header("etag").unwrap();
    assert_ne!(v1, v2);
    assert_eq!(
        app.get(&path, &admin).await.header("etag"),
        Some(v2.clone())
    );
    // The second, from the same stale read, is refused and changes nothing.
    let second = app
        .send_with(
            Method::PATCH,
            &path,
            &admin,
            Some(json!({"name": "bob's"})),
            &[("if-match", &v1)],
        )
        .await;
    assert_eq!(
        (second.status, second.code().as_str()),
        (412, "precondition_failed"),
        "{}",
        second.text
    );
    assert!(
        second.text.contains(&v2.replace('"', "\\\"")),
        "names the current version: {}",
        second.text
    );
    assert_eq!(app.get(&path, &admin).await.json()["name"], "alice's");
    let stale_delete = app
        .send_with(Method::DELETE, &path, &admin, None, &[("if-match", &v1)])
        .await;
    assert_eq!(stale_delete.status, 412, "{}", stale_delete.text);
    assert_eq!(app.get(&path, &admin).await.status, 200, "not deleted");

    // A weak tag never matches a change; a header naming no version is a
    // mistake (400), not an unguarded change; `*` and no header still work.
    let weak = app
        .send_with(
            Method::PATCH,
            &path,
            &admin,
            Some(json!({"name": "weak"})),
            &[("if-match", &format!("W/{v2}"))],
        )
        .await;
    assert_eq!(weak.status, 412, "{}", weak.text);
    let garbage = app
        .send_with(
            Method::PATCH,
            &path,
            &admin,
            Some(json!({"name": "x"})),
            &[("if-match", "v2")],
        )
        .await;
    assert_eq!(
        (garbage.status, garbage.code().as_str()),
        (400, "invalid_request")
    );
    assert_eq!(app.get(&path, &admin).await.json()["name"], "alice's");
    let any = app
        .send_with(
            Method::PATCH,
            &path,
            &admin,
            Some(json!({"name": "carol's"})),
            &[("if-match", "*")],
        )
        .await;
    assert_eq!(any.status, 200, "{}", any.text);
    let v3 = any.header("etag").unwrap();
    let current = app
        .send_with(Method::DELETE, &path, &admin, None, &[("if-match", &v3)])
        .await;
    assert_eq!(current.status, 204, "{}", current.text);

    // Personas and projects the same way.
    let persona = app
        .post("/api/v1/personas", &admin, json!({"name": "Analyst"}))
        .await;
    assert_eq!(persona.status, 201, "{}", persona.text);
    let p1 = persona
        .header("etag")
        .expect("a persona answer carries its version");
    let ppath = format!(
        "/api/v1/personas/{}",
        persona.json()["id"].as_str().unwrap()
    );
    let edit = app
        .send_with(
            Method::PATCH,
            &ppath,
            &admin,
            Some(json!({"description": "reads"})),
            &[("if-match", &p1)],
        )
        .await;
    assert_eq!(edit.status, 200, "{}", edit.text);
    let stale = app
        .send_with(
            Method::PATCH,
            &ppath,
            &admin,
            Some(json!({"description": "writes"})),
            &[("if-match", &p1)],
        )
        .await;
    assert_eq!(stale.status, 412, "{}", stale.text);
    app.create_project("sales").await;
    let listed = app.get("/api/v1/projects", &admin).await;
    assert_eq!(listed.status, 200);
    let renamed = app
        .send_with(
            Method::PATCH,
            "/api/v1/projects/sales",
            &admin,
            Some(json!({"name": "Sales"})),
            &[],
        )
        .await;
    let s1 = renamed
        .header("etag")
        .expect("a project answer carries its version");
    let again = app
        .send_with(
            Method::PATCH,
            "/api/v1/projects/sales",
            &admin,
            Some(json!({"name": "Sales EU"})),
            &[("if-match", &s1)],
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.text);
    let stale = app
        .send_with(
            Method::PATCH,
            "/api/v1/projects/sales",
            &admin,
            Some(json!({"name": "Sales US"})),
            &[("if-match", &s1)],
        )
        .await;
    assert_eq!(stale.status, 412, "{}", stale.text);
}

/// `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers)
/// on every answer the limit governs, so a client slows down before 429.
#[tokio::test]
async fn every_rate_limited_answer_states_the_limit_and_what_is_left() {
    let app = spawn_app().await;
    let admin = app.admin_secret.clone();
    let r = app
        .post(
            "/api/v1/tokens",
            &admin,
            json!({"name": "metered", "rate_limit": 5}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let secret = r.json()["secret"].as_str().unwrap().to_string();
    let mut left = vec![];
    for _ in 0..5 {
        let a = app.get("/api/v1/whoami", &secret).await;
        assert_eq!(a.status, 200, "{}", a.text);
        assert_eq!(
            a.header("ratelimit-policy").as_deref(),
            Some("\"per-minute\";q=5;w=60")
        );
        let field = a.header("ratelimit").expect("RateLimit on a success");
        let r: u32 = field
            .split(';')
            .find_map(|p| p.strip_prefix("r="))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{field}"));
        left.push(r);
    }
    assert_eq!(left, vec![4, 3, 2, 1, 0]);
    let refused = app.get("/api/v1/whoami", &secret).await;
    assert_eq!(refused.status, 429, "{}", refused.text);
    let retry: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert_eq!(
        refused.header("ratelimit").as_deref(),
        Some(format!("\"per-minute\";r=0;t={retry}").as_str())
    );
    // The control plane's answers count against the same limit and say so.
    let list = app.get("/api/v1/tokens", &admin).await;
    let policy = list
        .header("ratelimit-policy")
        .expect("on control-plane answers too");
    assert!(policy.starts_with("\"per-minute\";q="), "{policy}");
    // Calls without a credential are not rate limited by token.
    let health = app.send(Method::GET, "/api/v1/health", None, None).await;
    assert!(health.header("ratelimit").is_none());
}

/// Everything after `cursor`, page by page, until a page comes back empty;
/// the cursor to poll with next.
async fn follow_all(
    app: &keyward_tests::TestApp,
    admin: &str,
    mut cursor: String,
    seen: &mut Vec<Value>,
) -> String {
    loop {
        let page = app
            .get(&format!("/api/v1/audit?after={cursor}&limit=3"), admin)
            .await;
        assert_eq!(page.status, 200, "{}", page.text);
        let page = page.json();
        let items = page["items"].as_array().unwrap().clone();
        let next = page["next_cursor"]
            .as_str()
            .expect("a cursor to go on from")
            .to_string();
        if items.is_empty() {
            assert_eq!(next, cursor, "nothing new: the same cursor");
            return cursor;
        }
        seen.extend(items);
        cursor = next;
    }
}

/// A SIEM follows the log with a cursor: oldest first, nothing twice,
/// nothing missed, and what arrives later is found from where it stopped.
#[tokio::test]
async fn the_audit_log_can_be_followed_with_a_cursor_and_read_since_an_instant() {
    let app = spawn_app().await;
    let admin = app.admin_secret.clone();
    for name in ["one", "two", "three", "four"] {
        app.create_token(name, json!([])).await;
    }
    let settled = |items: &[Value]| items.len() >= 5;
    let listed = app.audit_until("limit=100", &admin, settled).await;
    let listed: Vec<String> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    // Entries reach followers a moment after the store has them.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let mut seen = vec![];
    let cursor = follow_all(&app, &admin, "0".into(), &mut seen).await;
    let ids: Vec<String> = seen
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "nothing twice: {ids:?}");
    for id in &listed {
        assert!(ids.contains(id), "{id} missed by the follower: {ids:?}");
    }
    let creates: Vec<&str> = seen
        .iter()
        .filter(|e| e["action"] == "token.create")
        .map(|e| e["target"].as_str().unwrap())
        .collect();
    assert_eq!(creates.len(), 4, "{seen:?}");

    // What happens next is found from the cursor, and only that.
    let (late, _) = app.create_token("five", json!([])).await;
    let late_id = late["id"].as_str().unwrap();
    let started = std::time::Instant::now();
    let mut more = vec![];
    let mut at = cursor;
    while !more.iter().any(|e: &Value| e["target"] == late_id) {
        assert!(
            started.elapsed().as_secs() < 20,
            "the new entry never came: {more:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        at = follow_all(&app, &admin, at, &mut more).await;
    }
    assert!(more
        .iter()
        .all(|e| !ids.contains(&e["id"].as_str().unwrap().to_string())));

    // since= bounds either reading; a bad cursor is named.
    let future = app
        .get("/api/v1/audit?since=2999-01-01T00:00:00Z", &admin)
        .await;
    assert_eq!(future.json()["total"], 0, "{}", future.text);
    let past = app
        .get("/api/v1/audit?since=2000-01-01T00:00:00Z&limit=100", &admin)
        .await;
    assert!(past.json()["total"].as_u64().unwrap() >= 6, "{}", past.text);
    let bad = app.get("/api/v1/audit?after=nonsense", &admin).await;
    assert_eq!(bad.status, 400);
    assert!(bad.text.contains("after"), "{}", bad.text);
}

/// An automation that timed out retries its create: with the same
/// `Idempotency-Key` it gets the first answer again, not a second token
/// or a 409 on the name.
#[tokio::test]
async fn a_create_retried_with_its_idempotency_key_makes_one_token() {
    let app = spawn_app().await;
    let admin = app.admin_secret.clone();
    let body = json!({"name": "deploy-bot", "grants": [{"service": "storage", "permission": "read", "resource": "*"}]});
    let key = [("idempotency-key", "create-deploy-bot-1")];
    let first = app
        .send_with(
            Method::POST,
            "/api/v1/tokens",
            &admin,
            Some(body.clone()),
            &key,
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert!(first.header("idempotent-replayed").is_none());
    let id = first.json()["token"]["id"].as_str().unwrap().to_string();
    let lost_secret = first.json()["secret"].as_str().unwrap().to_string();

    let retry = app
        .send_with(
            Method::POST,
            "/api/v1/tokens",
            &admin,
            Some(body.clone()),
            &key,
        )
        .await;
    assert_eq!(retry.status, 201, "{}", retry.text);
    assert_eq!(retry.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(retry.json()["token"]["id"], id.as_str(), "the same token");
    assert_eq!(retry.json()["token"]["name"], "deploy-bot");
    // Secrets are kept only as hashes: the replay issues the token's
    // secret anew, and the one the lost answer carried stops.
    let secret = retry.json()["secret"].as_str().unwrap().to_string();
    assert_ne!(secret, lost_secret);
    assert_eq!(app.get("/api/v1/whoami", &secret).await.status, 200);
    assert_eq!(app.get("/api/v1/whoami", &lost_secret).await.status, 401);
    let list = app.get("/api/v1/tokens?limit=100", &admin).await;
    let named = list.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"] == "deploy-bot")
        .count();
    assert_eq!(named, 1, "one token: {}", list.text);

    // The key with another request is a mistake, and changes nothing.
    let other = app
        .send_with(
            Method::POST,
            "/api/v1/tokens",
            &admin,
            Some(json!({"name": "other-bot"})),
            &key,
        )
        .await;
    assert_eq!(
        (other.status, other.code().as_str()),
        (422, "idempotency_key_reused"),
        "{}",
        other.text
    );
    assert!(!app
        .get("/api/v1/tokens?limit=100", &admin)
        .await
        .text
        .contains("other-bot"));
    // Without a key, the same request is a second create (the name is taken).
    let unkeyed = app.post("/api/v1/tokens", &admin, body.clone()).await;
    assert_eq!(unkeyed.status, 409, "{}", unkeyed.text);
    // A refused create is kept as refused: its retry is answered the same.
    let bad = json!({"name": ""});
    let bad_key = [("idempotency-key", "bad-1")];
    let a = app
        .send_with(
            Method::POST,
            "/api/v1/tokens",
            &admin,
            Some(bad.clone()),
            &bad_key,
        )
        .await;
    let b = app
        .send_with(Method::POST, "/api/v1/tokens", &admin, Some(bad), &bad_key)
        .await;
    assert_eq!((a.status, b.status), (400, 400));
    assert_eq!(a.json()["errors"], b.json()["errors"]);
    // Keys are visible ASCII, at most 255 characters.
    let long = "k".repeat(256);
    let r = app
        .send_with(
            Method::POST,
            "/api/v1/tokens",
            &admin,
            Some(json!({"name": "x"})),
            &[("idempotency-key", &long)],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);

    // Personas the same way: one persona, the same answer.
    let persona = json!({"name": "Loader"});
    let pkey = [("idempotency-key", "persona-loader")];
    let p1 = app
        .send_with(
            Method::POST,
            "/api/v1/personas",
            &admin,
            Some(persona.clone()),
            &pkey,
        )
        .await;
    let p2 = app
        .send_with(
            Method::POST,
            "/api/v1/personas",
            &admin,
            Some(persona),
            &pkey,
        )
        .await;
    assert_eq!((p1.status, p2.status), (201, 201), "{}", p2.text);
    assert_eq!(p1.json()["id"], p2.json()["id"]);
}
