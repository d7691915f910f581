//! Bad input of every kind gets the contract's precise 4xx and changes
//! nothing; authentication failures carry their codes and WWW-Authenticate.

use keyward_tests::{spawn_app, Answer};
use reqwest::Method;
use serde_json::json;

fn fields(r: &Answer) -> Vec<String> {
    r.json()["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn authentication_failures_have_exact_codes() {
    let app = spawn_app().await;
    let none = app.send(Method::GET, "/api/v1/whoami", None, None).await;
    assert_eq!((none.status, none.code().as_str()), (401, "missing_token"));
    assert!(none
        .header("www-authenticate")
        .unwrap()
        .contains("error=\"invalid_token\""));
    assert_eq!(
        none.header("content-type").as_deref(),
        Some("application/problem+json")
    );

    let basic = app
        .client
        .get(app.url("/api/v1/whoami"))
        .basic_auth("a", Some("b"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);

    let malformed = app.get("/api/v1/whoami", "hello").await;
    assert_eq!(
        (malformed.status, malformed.code().as_str()),
        (401, "malformed_token")
    );

    // A real secret with one character changed fails its checksum.
    let (_, secret) = app.create_token("victim", json!([])).await;
    let mut chars: Vec<char> = secret.chars().collect();
    chars[10] = if chars[10] == 'a' { 'b' } else { 'a' };
    let damaged: String = chars.into_iter().collect();
    let r = app.get("/api/v1/whoami", &damaged).await;
    assert_eq!((r.status, r.code().as_str()), (401, "malformed_token"));

    let unknown = keyward_tests::mint(keyward_domain::TokenKind::Scoped);
    let r = app.get("/api/v1/whoami", unknown.expose()).await;
    assert_eq!((r.status, r.code().as_str()), (401, "invalid_token"));
}

#[tokio::test]
async fn token_bodies_are_checked_field_by_field_and_change_nothing() {
    let app = spawn_app().await;
    let a = &app.admin_secret;
    let cases = [
        (json!({}), 400, "invalid_request", vec!["name"]),
        (json!({"name": 5}), 400, "invalid_request", vec!["name"]),
        (json!({"name": ""}), 400, "invalid_request", vec!["name"]),
        (
            json!({"name": "x".repeat(101)}),
            400,
            "invalid_request",
            vec!["name"],
        ),
        (
            json!({"name": "ok", "description": "d".repeat(1001)}),
            400,
            "invalid_request",
            vec!["description"],
        ),
        (
            json!({"name": "ok", "expires_at": "2001-01-01T00:00:00Z"}),
            400,
            "invalid_request",
            vec!["expires_at"],
        ),
        (
            json!({"name": "ok", "expires_at": "soon"}),
            400,
            "invalid_request",
            vec!["expires_at"],
        ),
        (
            json!({"name": "ok", "expires_in": -5}),
            400,
            "invalid_request",
            vec!["expires_in"],
        ),
        (
            json!({"name": "ok", "expires_in": 0}),
            400,
            "invalid_request",
            vec!["expires_in"],
        ),
        (
            json!({"name": "ok", "expires_in": 60, "expires_at": "2099-01-01T00:00:00Z"}),
            400,
            "invalid_request",
            vec!["expires_in"],
        ),
        (
            json!({"name": "ok", "grants": "all"}),
            400,
            "invalid_request",
            vec!["grants"],
        ),
        (
            json!({"name": "ok", "colour": "red"}),
            400,
            "invalid_request",
            vec!["colour"],
        ),
        (
            json!({"name": "ok", "grants": [{"service": "storage", "permission": "fly", "resource": "*"}]}),
            400,
            "unknown_permission",
            vec!["grants[0]"],
        ),
        (
            json!({"name": "ok", "grants": [{"service": "nope", "permission": "read"}]}),
            400,
            "unknown_permission",
            vec!["grants[0]"],
        ),
        (
            json!({"name": "ok", "grants": [{"service": "storage", "permission": "read"}]}),
            400,
            "unknown_permission",
            vec!["grants[0]"],
        ),
        (
            json!({"name": "ok", "grants": [{"service": "storage", "permission": "create_bucket", "resource": "*"}]}),
            400,
            "unknown_permission",
            vec!["grants[0]"],
        ),
        (
            json!({"name": "ok", "grants": [{"service": "tokens", "permission": "read"}, {"service": "storage", "permission": "read", "resource": "bad id!"}]}),
            400,
            "unknown_permission",
            vec!["grants[1]"],
        ),
    ];
    for (body, status, code, expected_fields) in cases {
        let r = app.post("/api/v1/tokens", a, body.clone()).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (status, code),
            "{body}: {}",
            r.text
        );
        assert_eq!(fields(&r), expected_fields, "{body}");
    }
    let raw = app
        .send_raw(
            Method::POST,
            "/api/v1/tokens",
            Some(a),
            "application/json",
            b"{\"name\":".to_vec(),
        )
        .await;
    assert_eq!((raw.status, raw.code().as_str()), (400, "invalid_request"));
    let huge = app
        .send_raw(
            Method::POST,
            "/api/v1/tokens",
            Some(a),
            "application/json",
            vec![b' '; 70 * 1024],
        )
        .await;
    assert_eq!(
        (huge.status, huge.code().as_str()),
        (413, "payload_too_large")
    );

    // Nothing was created by any of it.
    assert_eq!(
        app.get("/api/v1/tokens?kind=scoped", a).await.json()["total"],
        0
    );

    app.create_token("taken", json!([])).await;
    let dup = app
        .post("/api/v1/tokens", a, json!({"name": "taken"}))
        .await;
    assert_eq!((dup.status, dup.code().as_str()), (409, "conflict"));
}

#[tokio::test]
async fn update_and_list_inputs_are_checked_too() {
    let app = spawn_app().await;
    let a = &app.admin_secret;
    let (t, _) = app
        .create_token(
            "one",
            json!([{"service": "storage", "permission": "read", "resource": "x"}]),
        )
        .await;
    app.create_token("two", json!([])).await;
    let path = format!("/api/v1/tokens/{}", t["id"].as_str().unwrap());
    let r = app.patch(&path, a, json!({"name": "two"})).await;
    assert_eq!(r.status, 409);
    let r = app
        .patch(&path, a, json!({"expires_at": "1999-01-01T00:00:00Z"}))
        .await;
    assert_eq!(
        (r.status, fields(&r)),
        (400, vec!["expires_at".to_string()])
    );
    let r = app
        .patch(
            &path,
            a,
            json!({"grants": [{"service": "x", "permission": "y"}]}),
        )
        .await;
    assert_eq!(r.code(), "unknown_permission");
    // Unchanged.
    let now = app.get(&path, a).await.json();
    assert_eq!(now["name"], "one");
    assert_eq!(
        now["grants"],
        json!([{"service": "storage", "permission": "read", "resource": "x"}])
    );

    let r = app
        .patch(&path, a, json!({"expires_at": "2030-01-01T00:00:00Z"}))
        .await;
    assert_eq!(r.json()["expires_at"], "2030-01-01T00:00:00Z");
    let r = app
        .patch(&path, a, json!({"expires_at": "2099-01-01T00:00:00Z"}))
        .await;
    assert_eq!(
        fields(&r),
        vec!["expires_at".to_string()],
        "more than ten years ahead"
    );
    let r = app.patch(&path, a, json!({"expires_at": null})).await;
    assert_eq!(r.json()["expires_at"], serde_json::Value::Null);

    for q in [
        "limit=0",
        "limit=101",
        "limit=x",
        "offset=-1",
        "sort=colour",
        "kind=root",
        "bogus=1",
    ] {
        let r = app.get(&format!("/api/v1/tokens?{q}"), a).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "invalid_request"),
            "{q}"
        );
    }
    let r = app
        .post(
            &format!("{path}/refresh"),
            a,
            json!({"overlap_seconds": 10_000_000}),
        )
        .await;
    assert_eq!(fields(&r), vec!["overlap_seconds".to_string()]);
    assert_eq!(app.get("/api/v1/tokens/tok_missing", a).await.status, 404);
}

#[tokio::test]
async fn storage_limits_and_names() {
    let app = spawn_app().await;
    let a = app.admin_secret.clone();
    app.create_bucket("blobs").await;
    let dup = app
        .post("/api/v1/buckets", &a, json!({"id": "blobs"}))
        .await;
    assert_eq!((dup.status, dup.code().as_str()), (409, "conflict"));
    let bad = app
        .post("/api/v1/buckets", &a, json!({"id": "no spaces"}))
        .await;
    assert_eq!((bad.status, fields(&bad)), (400, vec!["id".to_string()]));

    let big = app
        .send_raw(
            Method::PUT,
            "/api/v1/buckets/blobs/objects/big",
            Some(&a),
            "application/octet-stream",
            vec![7u8; 1024 * 1024 + 1],
        )
        .await;
    assert_eq!(
        (big.status, big.code().as_str()),
        (413, "payload_too_large")
    );
    let exact = app
        .send_raw(
            Method::PUT,
            "/api/v1/buckets/blobs/objects/exact",
            Some(&a),
            "image/png",
            vec![7u8; 1024 * 1024],
        )
        .await;
    assert_eq!(exact.status, 200, "{}", exact.text);
    let list = app.get("/api/v1/buckets/blobs/objects", &a).await.json();
    assert_eq!(
        list["items"],
        json!([{"key": "exact", "size": 1048576, "content_type": "image/png", "updated_at": list["items"][0]["updated_at"]}])
    );
    assert_eq!(
        app.get("/api/v1/buckets/blobs/objects/big", &a)
            .await
            .status,
        404
    );
    assert_eq!(
        app.get("/api/v1/buckets/nothere/objects", &a).await.status,
        404
    );
    let put_missing = app
        .send_raw(
            Method::PUT,
            "/api/v1/buckets/nothere/objects/k",
            Some(&a),
            "text/plain",
            b"x".to_vec(),
        )
        .await;
    assert_eq!(put_missing.status, 404);
    assert_eq!(
        app.delete("/api/v1/buckets/blobs/objects/exact", &a)
            .await
            .status,
        204
    );
    assert_eq!(
        app.delete("/api/v1/buckets/blobs/objects/exact", &a)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn objects_must_be_what_their_content_type_says() {
    let app = spawn_app().await;
    let a = app.admin_secret.clone();
    app.create_bucket("typed").await;
    let put = |ct: &'static str, body: &'static [u8]| {
        let app = &app;
        let a = a.clone();
        async move {
            app.send_raw(
                Method::PUT,
                "/api/v1/buckets/typed/objects/o",
                Some(&a),
                ct,
                body.to_vec(),
            )
            .await
        }
    };
    for (ct, body) in [
        ("text/plain", &b"\xff\xfe"[..]),
        ("application/json", &b"{not json"[..]),
        ("application/yaml", &b"\x97\x00"[..]),
        ("application/problem+xml", &b"\xc3"[..]),
    ] {
        let r = put(ct, body).await;
        assert_eq!(
            (r.status, fields(&r)),
            (400, vec!["body".to_string()]),
            "{ct}"
        );
    }
    assert_eq!(
        put("application/octet-stream", b"\xff\xfe").await.status,
        200
    );
    assert_eq!(
        put("text/plain; charset=utf-8", "héllo".as_bytes())
            .await
            .status,
        200
    );
}

/// A `%` must start exactly two hex digits: `%+5` once decoded to the
/// control character 0x05 (a radix parser accepts the sign) and reached a
/// handler as a token id.
#[tokio::test]
async fn a_percent_sign_without_two_hex_digits_is_refused_in_every_path() {
    let app = spawn_app().await;
    for path in [
        "/api/v1/tokens/%+5",
        "/api/v1/tokens/%-1",
        "/api/v1/tokens/%4",
        "/api/v1/personas/a%zz",
    ] {
        let r = app.get(path, &app.admin_secret).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "invalid_request"),
            "{path}: {}",
            r.text
        );
    }
    let fine = app
        .get("/api/v1/tokens/%74ok_none", &app.admin_secret)
        .await;
    assert_eq!(fine.status, 404, "{}", fine.text);
}

/// A page on another site can post a form or text without a preflight;
/// a JSON endpoint that took those would be a cross-site request forgery
/// the moment a cookie authenticates anything.
#[tokio::test]
async fn json_endpoints_refuse_bodies_that_are_not_json_and_change_nothing() {
    let app = spawn_app().await;
    let admin = app.admin_secret.clone();
    let body = br#"{"name": "sneaky"}"#.to_vec();
    for content_type in [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "",
    ] {
        let r = app
            .send_raw(
                Method::POST,
                "/api/v1/tokens",
                Some(&admin),
                content_type,
                body.clone(),
            )
            .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (415, "unsupported_media_type"),
            "{content_type:?}: {}",
            r.text
        );
    }
    let list = app.get("/api/v1/tokens", &admin).await;
    assert!(!list.text.contains("sneaky"), "{}", list.text);
    // A change to an existing token is refused the same way.
    let (token, _) = app.create_token("kept", json!([])).await;
    let id = token["id"].as_str().unwrap();
    let r = app
        .send_raw(
            Method::PATCH,
            &format!("/api/v1/tokens/{id}"),
            Some(&admin),
            "text/plain",
            br#"{"name": "renamed"}"#.to_vec(),
        )
        .await;
    assert_eq!(r.status, 415, "{}", r.text);
    let t = app.get(&format!("/api/v1/tokens/{id}"), &admin).await;
    assert_eq!(t.json()["name"], "kept");
    // JSON with a charset, or a +json type, is JSON.
    for content_type in [
        "application/json; charset=utf-8",
        "application/merge-patch+json",
    ] {
        let r = app
            .send_raw(
                Method::PATCH,
                &format!("/api/v1/tokens/{id}"),
                Some(&admin),
                content_type,
                br#"{"name": "renamed"}"#.to_vec(),
            )
            .await;
        assert_eq!(r.status, 200, "{content_type}: {}", r.text);
    }
}
