//! Keboola storage tokens: master tokens do everything and are not managed
//! through /tokens; limited tokens reach only their buckets; expiry;
//! refresh, with and without an overlap.

use keyward_tests::spawn_app;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test]
async fn master_token_does_everything_and_cannot_be_deleted_via_tokens() {
    let app = spawn_app().await;
    let me = app.get("/api/v1/whoami", &app.admin_secret).await.json();
    assert_eq!(me["token"]["kind"], "master");
    let id = me["token"]["id"].as_str().unwrap().to_string();
    app.create_bucket("in.c-main").await;
    let put = app
        .send_raw(
            Method::PUT,
            "/api/v1/buckets/in.c-main/objects/a.csv",
            Some(&app.admin_secret),
            "text/csv",
            b"a,b\n".to_vec(),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(
        app.get("/api/v1/audit", &app.admin_secret).await.status,
        200
    );
    assert_eq!(
        app.get("/api/v1/admins", &app.admin_secret).await.status,
        200
    );

    let del = app
        .delete(&format!("/api/v1/tokens/{id}"), &app.admin_secret)
        .await;
    assert_eq!(del.status, 409);
    assert_eq!(del.code(), "conflict");
    let edit = app
        .patch(
            &format!("/api/v1/tokens/{id}"),
            &app.admin_secret,
            json!({"description": "x"}),
        )
        .await;
    assert_eq!(edit.status, 409);
    assert_eq!(
        app.get("/api/v1/whoami", &app.admin_secret).await.status,
        200
    );
}

#[tokio::test]
async fn limited_token_writes_only_its_bucket_and_sees_no_other() {
    let app = spawn_app().await;
    app.create_bucket("in.c-tutorial").await;
    app.create_bucket("in.c-secret").await;
    let (_, secret) = app
        .create_token(
            "tutorial writer",
            json!([{"service": "storage", "permission": "write", "resource": "in.c-tutorial"}]),
        )
        .await;
    let put = |bucket: &'static str| {
        let app = &app;
        let secret = secret.clone();
        async move {
            app.send_raw(
                Method::PUT,
                &format!("/api/v1/buckets/{bucket}/objects/data.json"),
                Some(&secret),
                "application/json",
                br#"{"rows":3}"#.to_vec(),
            )
            .await
        }
    };
    assert_eq!(put("in.c-tutorial").await.status, 200);
    let denied = put("in.c-secret").await;
    assert_eq!(denied.status, 403);
    assert_eq!(denied.code(), "insufficient_permission");

    let read = app
        .get("/api/v1/buckets/in.c-tutorial/objects/data.json", &secret)
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(read.text, r#"{"rows":3}"#);
    assert_eq!(
        read.header("content-type").as_deref(),
        Some("application/json")
    );

    let listed = app.get("/api/v1/buckets", &secret).await.json();
    let ids: Vec<_> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].clone())
        .collect();
    assert_eq!(ids, [json!("in.c-tutorial")]);
    assert_eq!(
        app.get("/api/v1/buckets/in.c-secret/objects", &secret)
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn expired_token_is_refused_with_token_expired() {
    let app = spawn_app().await;
    let r = app
        .post(
            "/api/v1/tokens",
            &app.admin_secret,
            json!({"name": "short", "expires_in": 2}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let secret = r.json()["secret"].as_str().unwrap().to_string();
    assert_eq!(app.get("/api/v1/whoami", &secret).await.status, 200);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let after = app.get("/api/v1/whoami", &secret).await;
    assert_eq!(after.status, 401);
    assert_eq!(after.code(), "token_expired");
    assert!(after
        .header("www-authenticate")
        .unwrap()
        .starts_with("Bearer realm=\"keyward\""));
    // And it leaves the list.
    let list = app
        .get("/api/v1/tokens?name=short", &app.admin_secret)
        .await
        .json();
    assert_eq!(list["total"], 0);
}

#[tokio::test]
async fn refresh_replaces_the_secret_at_once() {
    let app = spawn_app().await;
    let (token, old) = app.create_token("rotating", json!([])).await;
    let id = token["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/tokens/{id}/refresh"),
            &app.admin_secret,
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    let new = v["secret"].as_str().unwrap();
    assert!(
        new.starts_with("kw_s_"),
        "a scoped token keeps its kind letter: {new}"
    );
    assert_eq!(v["token"]["id"], token["id"]);
    assert_eq!(v["token"]["name"], "rotating");
    assert_ne!(v["token"]["secret_hint"], token["secret_hint"]);
    let old_answer = app.get("/api/v1/whoami", &old).await;
    assert_eq!(old_answer.status, 401);
    assert_eq!(old_answer.code(), "invalid_token");
    assert_eq!(app.get("/api/v1/whoami", new).await.status, 200);
}

#[tokio::test]
async fn refresh_with_overlap_keeps_both_during_the_overlap_only() {
    let app = spawn_app().await;
    let (token, old) = app
        .create_token(
            "overlapping",
            json!([{"service": "storage", "permission": "read", "resource": "*"}]),
        )
        .await;
    let id = token["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/tokens/{id}/refresh"),
            &app.admin_secret,
            json!({"overlap_seconds": 3}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let new = r.json()["secret"].as_str().unwrap().to_string();
    assert_eq!(app.get("/api/v1/whoami", &old).await.status, 200);
    assert_eq!(app.get("/api/v1/whoami", &new).await.status, 200);
    // Both carry the token's current grants.
    app.patch(
        &format!("/api/v1/tokens/{id}"),
        &app.admin_secret,
        json!({"grants": []}),
    )
    .await;
    assert_eq!(app.get("/api/v1/buckets/x/objects", &old).await.status, 403);
    tokio::time::sleep(Duration::from_millis(3200)).await;
    assert_eq!(app.get("/api/v1/whoami", &old).await.status, 401);
    assert_eq!(app.get("/api/v1/whoami", &new).await.status, 200);
}

#[tokio::test]
async fn any_token_may_refresh_itself() {
    let app = spawn_app().await;
    let (token, secret) = app.create_token("self-rotating", json!([])).await;
    let id = token["id"].as_str().unwrap();
    let r = app
        .post(&format!("/api/v1/tokens/{id}/refresh"), &secret, json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let new = r.json()["secret"].as_str().unwrap().to_string();
    assert_eq!(app.get("/api/v1/whoami", &secret).await.status, 401);
    assert_eq!(app.get("/api/v1/whoami", &new).await.status, 200);
    // But not another token.
    let (other, _) = app.create_token("other", json!([])).await;
    let r = app
        .post(
            &format!("/api/v1/tokens/{}/refresh", other["id"].as_str().unwrap()),
            &new,
            json!({}),
        )
        .await;
    assert_eq!(r.status, 403);
}

/// Keboola: expired tokens are "deleted automatically". The Cron Trigger
/// deletes them from the registry, which frees their names, and the audit
/// log says so — before the sweep, nothing has said it.
#[tokio::test]
async fn the_scheduled_sweep_deletes_expired_tokens_and_says_so() {
    let app = spawn_app().await;
    let r = app
        .post(
            "/api/v1/tokens",
            &app.admin_secret,
            json!({"name": "nightly", "expires_in": 1}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["token"]["id"].as_str().unwrap().to_string();
    let (kept, _) = app.create_token("kept", json!([])).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let expiries = |page: &serde_json::Value| -> Vec<serde_json::Value> {
        page["items"].as_array().cloned().unwrap_or_default()
    };
    let before = app
        .get("/api/v1/audit?action=token.expire", &app.admin_secret)
        .await
        .json();
    assert_eq!(
        expiries(&before),
        Vec::<serde_json::Value>::new(),
        "{before}"
    );

    app.run_scheduled().await;
    let after = app
        .audit_until("action=token.expire", &app.admin_secret, |items| {
            !items.is_empty()
        })
        .await;
    let entries = expiries(&after);
    assert_eq!(entries.len(), 1, "{after}");
    assert_eq!(entries[0]["target"], id.as_str());
    assert_eq!(entries[0]["actor"], "system");
    assert!(entries[0]["detail"]
        .as_str()
        .unwrap_or("")
        .contains("'nightly' expired and was deleted"));
    // Gone from the registry, not only hidden; the name is free again.
    assert_eq!(
        app.get(&format!("/api/v1/tokens/{id}"), &app.admin_secret)
            .await
            .status,
        404
    );
    let again = app
        .post(
            "/api/v1/tokens",
            &app.admin_secret,
            json!({"name": "nightly"}),
        )
        .await;
    assert_eq!(again.status, 201, "{}", again.text);
    // A token that has not expired is untouched; a second sweep finds nothing.
    let kept_id = kept["id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/tokens/{kept_id}"), &app.admin_secret)
            .await
            .status,
        200
    );
    app.run_scheduled().await;
    let twice = app
        .get("/api/v1/audit?action=token.expire", &app.admin_secret)
        .await
        .json();
    assert_eq!(expiries(&twice).len(), 1, "{twice}");
}

/// The bucket list searches ids (`q`, case-insensitive) and caps its
/// length (`limit`), for pickers over thousands of buckets; a token still
/// sees only the buckets it can read.
#[tokio::test]
async fn the_bucket_list_searches_and_limits() {
    let app = spawn_app().await;
    for id in [
        "in.c-sales-eu",
        "in.c-sales-us",
        "in.c-main",
        "out.c-Sales-report",
    ] {
        app.create_bucket(id).await;
    }
    let ids = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["id"].as_str().unwrap().to_string())
            .collect()
    };
    let all = app.get("/api/v1/buckets", &app.admin_secret).await;
    assert_eq!(all.status, 200);
    assert_eq!(
        ids(all.json()).len(),
        4,
        "no query: every bucket, as before"
    );
    let sales = app.get("/api/v1/buckets?q=SALES", &app.admin_secret).await;
    assert_eq!(
        ids(sales.json()),
        ["in.c-sales-eu", "in.c-sales-us", "out.c-Sales-report"]
    );
    let first = app
        .get("/api/v1/buckets?q=sales&limit=2", &app.admin_secret)
        .await;
    assert_eq!(ids(first.json()), ["in.c-sales-eu", "in.c-sales-us"]);
    for bad in ["0", "1001", "x"] {
        let r = app
            .get(&format!("/api/v1/buckets?limit={bad}"), &app.admin_secret)
            .await;
        assert_eq!(r.status, 400, "limit={bad}");
        assert_eq!(r.json()["errors"][0]["field"], "limit");
    }
    // A token reading one bucket finds only that one, whatever it searches.
    let (_, secret) = app
        .create_token(
            "eu reader",
            json!([{"service": "storage", "permission": "read", "resource": "in.c-sales-eu"}]),
        )
        .await;
    let mine = app.get("/api/v1/buckets?q=sales", &secret).await;
    assert_eq!(ids(mine.json()), ["in.c-sales-eu"]);
}

/// Keboola shares a single table of a bucket: a grant may name one table
/// (`in.c-main/orders`), a grant on the bucket covers all its tables, and
/// an object whose key starts with `<table>/` lives in that table (others
/// at bucket level).
#[tokio::test]
async fn a_token_shares_one_table_of_a_bucket() {
    let app = spawn_app().await;
    app.create_bucket("in.c-main").await;
    let admin = app.admin_secret.clone();
    let put = |secret: String, key: &'static str| {
        let app = &app;
        async move {
            app.send_raw(
                Method::PUT,
                &format!(
                    "/api/v1/buckets/in.c-main/objects/{}",
                    key.replace('/', "%2F")
                ),
                Some(&secret),
                "text/csv",
                b"id,total\n1,10\n".to_vec(),
            )
            .await
        }
    };
    for key in ["orders/2024.csv", "customers/all.csv", "readme.csv"] {
        assert_eq!(put(admin.clone(), key).await.status, 200);
    }
    let (_, orders) = app
        .create_token(
            "orders-share",
            json!([{"service": "storage", "permission": "write", "resource": "in.c-main/orders"}]),
        )
        .await;

    // It sees the bucket, and in it only its table's objects.
    let buckets = app.get("/api/v1/buckets", &orders).await;
    assert_eq!(
        buckets.json()["items"][0]["id"],
        "in.c-main",
        "{}",
        buckets.text
    );
    let listed = app.get("/api/v1/buckets/in.c-main/objects", &orders).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let listed = listed.json();
    let keys: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["orders/2024.csv"]);
    assert_eq!(
        app.get(
            "/api/v1/buckets/in.c-main/objects/orders%2F2024.csv",
            &orders
        )
        .await
        .status,
        200
    );
    assert_eq!(
        put(orders.clone(), "orders/2025.csv").await.status,
        200,
        "its own table"
    );
    let other = app
        .get(
            "/api/v1/buckets/in.c-main/objects/customers%2Fall.csv",
            &orders,
        )
        .await;
    assert_eq!(other.status, 403);
    assert!(
        other.text.contains("storage:read@in.c-main/customers"),
        "{}",
        other.text
    );
    assert_eq!(
        app.get("/api/v1/buckets/in.c-main/objects/readme.csv", &orders)
            .await
            .status,
        403
    );
    assert_eq!(put(orders.clone(), "customers/x.csv").await.status, 403);

    // A bucket grant covers every table; the table's holder can hand on
    // the table, never the bucket.
    let (_, whole) = app
        .create_token(
            "main-reader",
            json!([{"service": "storage", "permission": "read", "resource": "in.c-main"}]),
        )
        .await;
    let all = app.get("/api/v1/buckets/in.c-main/objects", &whole).await;
    assert_eq!(
        all.json()["items"].as_array().map(Vec::len),
        Some(4),
        "{}",
        all.text
    );
    assert_eq!(
        app.get(
            "/api/v1/buckets/in.c-main/objects/orders%2F2024.csv",
            &whole
        )
        .await
        .status,
        200
    );
    let (_, manager) = app
        .create_token(
            "orders-manager",
            json!([
                {"service": "storage", "permission": "read", "resource": "in.c-main/orders"},
                {"service": "tokens", "permission": "manage"}
            ]),
        )
        .await;
    let narrower = app
        .post(
            "/api/v1/tokens",
            &manager,
            json!({"name": "orders-only", "grants": [{"service": "storage", "permission": "read", "resource": "in.c-main/orders"}]}),
        )
        .await;
    assert_eq!(narrower.status, 201, "{}", narrower.text);
    let wider = app
        .post(
            "/api/v1/tokens",
            &manager,
            json!({"name": "whole-bucket", "grants": [{"service": "storage", "permission": "read", "resource": "in.c-main"}]}),
        )
        .await;
    assert_eq!(
        (wider.status, wider.code().as_str()),
        (403, "privilege_escalation")
    );

    // A table id is checked like a bucket id.
    let bad = app
        .post(
            "/api/v1/tokens",
            &admin,
            json!({"name": "deep", "grants": [{"service": "storage", "permission": "read", "resource": "in.c-main/orders/2024"}]}),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
}
