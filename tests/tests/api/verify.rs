//! `/verify` (Unkey's verifyKey) for other backends.

use keyward_tests::spawn_app;
use serde_json::json;

#[tokio::test]
async fn verify_answers_each_case() {
    let app = spawn_app().await;
    let (_, backend) = app
        .create_token(
            "backend",
            json!([{"service": "tokens", "permission": "verify"}]),
        )
        .await;
    let (token, key) = app
        .create_token(
            "client",
            json!([{"service": "storage", "permission": "read", "resource": "in.c-x"}]),
        )
        .await;
    let verify = |body: serde_json::Value| {
        let app = &app;
        let backend = backend.clone();
        async move { app.post("/api/v1/verify", &backend, body).await }
    };
    let ok = verify(json!({"key": key, "require": [{"service": "storage", "permission": "read", "resource": "in.c-x"}]})).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.json()["valid"], true);
    assert_eq!(ok.json()["code"], "VALID");
    assert_eq!(ok.json()["token"]["id"], token["id"]);

    let short = verify(json!({"key": key, "require": [{"service": "storage", "permission": "write", "resource": "in.c-x"}]})).await;
    assert_eq!(short.json()["code"], "INSUFFICIENT_PERMISSIONS");
    assert_eq!(short.json()["valid"], false);

    assert_eq!(
        verify(json!({"key": "kw_s_nope"})).await.json()["code"],
        "MALFORMED"
    );
    let unknown = keyward_tests::mint(keyward_domain::TokenKind::Scoped);
    assert_eq!(
        verify(json!({"key": unknown.expose()})).await.json()["code"],
        "NOT_FOUND"
    );

    let r = app
        .post(
            "/api/v1/tokens",
            &app.admin_secret,
            json!({"name": "brief", "expires_in": 1}),
        )
        .await;
    let brief = r.json()["secret"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        verify(json!({"key": brief})).await.json()["code"],
        "EXPIRED"
    );

    let bad =
        verify(json!({"key": key, "require": [{"service": "nope", "permission": "x"}]})).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.code(), "unknown_permission");

    // Verifying needs tokens:verify.
    let r = app.post("/api/v1/verify", &key, json!({"key": key})).await;
    assert_eq!(r.status, 403);
}

/// The answer says which project it holds for, and a backend can ask
/// about another: a key of project beta holds nothing in `default`.
#[tokio::test]
async fn verify_answers_in_a_project() {
    let app = spawn_app().await;
    for p in ["alpha", "beta"] {
        let r = app
            .post(
                "/api/v1/projects",
                &app.admin_secret,
                json!({"id": p, "name": p}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let (_, backend) = app
        .create_token(
            "backend",
            json!([{"service": "tokens", "permission": "verify"}]),
        )
        .await;
    let read_any = json!([{"service": "storage", "permission": "read", "resource": "*"}]);
    let r = app
        .post(
            "/api/v1/tokens",
            &app.admin_secret,
            json!({"name": "beta reader", "project": "beta", "grants": read_any}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let beta_key = r.json()["secret"].as_str().unwrap().to_string();
    let r = app
        .post(
            "/api/v1/tokens",
            &app.admin_secret,
            json!({"name": "alpha deployer", "kind": "global",
                   "project_grants": {"alpha": read_any}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let global_key = r.json()["secret"].as_str().unwrap().to_string();
    let (_, default_key) = app.create_token("default reader", read_any.clone()).await;

    let verify = |body: serde_json::Value| {
        let app = &app;
        let backend = backend.clone();
        async move {
            let a = app.post("/api/v1/verify", &backend, body).await;
            assert_eq!(a.status, 200, "{}", a.text);
            a.json()
        }
    };
    let need = json!([{"service": "storage", "permission": "read", "resource": "in.c-main"}]);

    // Without a project: the key's own, and the answer says which.
    let own = verify(json!({"key": beta_key, "require": need})).await;
    assert_eq!(own["code"], "VALID", "{own}");
    assert_eq!(own["project"], "beta", "{own}");
    let own = verify(json!({"key": default_key, "require": need})).await;
    assert_eq!(own["project"], "default", "{own}");

    // A project the key cannot reach: not valid, naming the project, even
    // with nothing required.
    for require in [need.clone(), json!([])] {
        let other =
            verify(json!({"key": beta_key, "require": require, "project": "default"})).await;
        assert_eq!(other["valid"], false, "{other}");
        assert_eq!(other["code"], "INSUFFICIENT_PERMISSIONS", "{other}");
        assert_eq!(other["missing"], "project 'default'", "{other}");
        assert_eq!(other["project"], "default", "{other}");
    }
    let other = verify(json!({"key": default_key, "require": need, "project": "alpha"})).await;
    assert_eq!(other["code"], "INSUFFICIENT_PERMISSIONS", "{other}");

    // A global key: its grants hold where they were given.
    let alpha = verify(json!({"key": global_key, "require": need, "project": "alpha"})).await;
    assert_eq!(alpha["code"], "VALID", "{alpha}");
    assert_eq!(alpha["project"], "alpha");
    let beta = verify(json!({"key": global_key, "require": need, "project": "beta"})).await;
    assert_eq!(beta["code"], "INSUFFICIENT_PERMISSIONS", "{beta}");
    // Its home is `default`, where it holds nothing.
    let home = verify(json!({"key": global_key, "require": need})).await;
    assert_eq!(home["project"], "default", "{home}");
    assert_eq!(home["valid"], false, "{home}");

    // Keys that are not found say nothing about projects.
    let gone = verify(json!({"key": "kw_s_nope", "project": "beta"})).await;
    assert_eq!(gone["code"], "MALFORMED");
    assert!(gone.get("project").is_none(), "{gone}");

    // Not a project id: a 400, nothing looked up.
    let bad = app
        .post(
            "/api/v1/verify",
            &backend,
            json!({"key": beta_key, "project": "Not A Project"}),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert_eq!(bad.code(), "invalid_request");
}

/// Unkey's permission queries: `require` also takes `{"all": [...]}` and
/// `{"any": [...]}`, nested; the plain list keeps meaning "all of these".
#[tokio::test]
async fn require_takes_nested_all_and_any() {
    let app = spawn_app().await;
    let (_, backend) = app
        .create_token(
            "backend",
            json!([{"service": "tokens", "permission": "verify"}]),
        )
        .await;
    let (_, key) = app
        .create_token(
            "client",
            json!([
                {"service": "storage", "permission": "write", "resource": "in.c-a"},
                {"service": "audit", "permission": "read"}
            ]),
        )
        .await;
    let read =
        |bucket: &str| json!({"service": "storage", "permission": "read", "resource": bucket});
    let verify = |require: serde_json::Value| {
        let app = &app;
        let backend = backend.clone();
        let key = key.clone();
        async move {
            let r = app
                .post(
                    "/api/v1/verify",
                    &backend,
                    json!({"key": key, "require": require}),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
            r.json()
        }
    };
    // any: one alternative is enough (write on in.c-a implies read there).
    let any = verify(json!({"any": [read("in.c-b"), read("in.c-a")]})).await;
    assert_eq!(any["code"], "VALID", "{any}");
    // all of (audit:read, any of (...)), nested.
    let nested = verify(json!({"all": [
        {"service": "audit", "permission": "read"},
        {"any": [read("in.c-z"), {"all": [read("in.c-a")]}]}
    ]}))
    .await;
    assert_eq!(nested["code"], "VALID", "{nested}");
    // No alternative holds: refused, naming the alternatives.
    let none =
        verify(json!({"any": [read("in.c-b"), {"service": "tokens", "permission": "manage"}]}))
            .await;
    assert_eq!(none["code"], "INSUFFICIENT_PERMISSIONS");
    assert_eq!(
        none["missing"],
        "any of (storage:read@in.c-b, tokens:manage)"
    );
    // all: the first missing grant, as for the plain list.
    let all = verify(json!({"all": [read("in.c-a"), read("in.c-b")]})).await;
    assert_eq!(all["missing"], "storage:read@in.c-b");
    let list = verify(json!([read("in.c-a"), read("in.c-b")])).await;
    assert_eq!(list["missing"], "storage:read@in.c-b");

    // Bad shapes are a 400 naming the place; a grant outside the catalog
    // inside an `any` is still unknown.
    let bad = app
        .post(
            "/api/v1/verify",
            &backend,
            json!({"key": key, "require": {"any": {"service": "audit"}}}),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert!(
        bad.text.contains("require.any: must be an array"),
        "{}",
        bad.text
    );
    let unknown = app
        .post(
            "/api/v1/verify",
            &backend,
            json!({"key": key, "require": {"any": [{"service": "billing", "permission": "pay"}]}}),
        )
        .await;
    assert_eq!(unknown.status, 400, "{}", unknown.text);
    assert_eq!(unknown.code(), "unknown_permission");
}
