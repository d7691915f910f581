//! The first slice: health really uses KV, unknown API paths are problem
//! 404s from the worker, deep links get the SPA, the OpenAPI document is
//! served.

use keyward_tests::spawn_app;
use reqwest::Method;

#[tokio::test]
async fn health_reports_kv_and_version() {
    let app = spawn_app().await;
    let r = app.send(Method::GET, "/api/v1/health", None, None).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["kv"], "ok");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn unknown_api_paths_are_problem_404s_and_deep_links_get_the_spa() {
    let app = spawn_app().await;
    let r = app
        .send(Method::GET, "/api/v1/no-such-thing", None, None)
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/problem+json")
    );
    assert_eq!(r.code(), "not_found");

    let page = app
        .client
        .get(app.url("/tokens/abc"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("answer");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("body");
    assert!(html.contains("<title>Keyward</title>"), "{html}");
}

#[tokio::test]
async fn wrong_method_is_405_with_a_code() {
    let app = spawn_app().await;
    let r = app
        .send(Method::PUT, "/api/v1/tokens", Some(&app.admin_secret), None)
        .await;
    assert_eq!(r.status, 405);
    assert_eq!(r.code(), "method_not_allowed");
    assert_eq!(r.header("allow").as_deref(), Some("GET, POST"));
    // An unknown method is not mistaken for GET.
    let query = app
        .send(
            Method::from_bytes(b"QUERY").unwrap(),
            "/api/v1/tokens",
            Some(&app.admin_secret),
            None,
        )
        .await;
    assert_eq!(query.status, 405);
    assert!(!query.text.contains("items"));
}

#[tokio::test]
async fn openapi_document_is_served_and_names_every_contract_path() {
    let app = spawn_app().await;
    let r = app
        .send(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(r.status, 200);
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap_or("").starts_with("3."));
    // What is served is what the API types and the shipped catalog generate.
    let catalog = keyward_domain::catalog::Catalog::from_json(
        &std::fs::read_to_string(keyward_tests::repo_root().join("worker/catalog.json")).unwrap(),
    )
    .unwrap();
    assert!(
        doc == keyward_domain::contract::document(&catalog),
        "the served document is not the generated one"
    );
    for path in [
        "/api/v1/health",
        "/api/v1/catalog",
        "/api/v1/whoami",
        "/api/v1/tokens",
        "/api/v1/tokens/{id}",
        "/api/v1/tokens/{id}/refresh",
        "/api/v1/verify",
        "/api/v1/audit",
        "/api/v1/admins",
        "/api/v1/admins/{id}",
        "/api/v1/buckets",
        "/api/v1/buckets/{bucket}/objects",
        "/api/v1/buckets/{bucket}/objects/{key}",
        "/api/v1/tokens/{id}/invitations",
        "/api/v1/invitations",
        "/api/v1/invitations/{id}",
        "/api/v1/invitations/{id}/resend",
        "/api/v1/invitations/open/{code}",
        "/api/v1/invitations/open/{code}/accept",
        "/api/v1/outbox",
        "/api/v1/personas",
        "/api/v1/personas/{id}",
        "/api/v1/members",
        "/api/v1/members/{id}",
        "/api/v1/members/{id}/keys",
        "/api/v1/members/{id}/keys/{key}",
        "/api/v1/projects",
        "/api/v1/projects/{project}/buckets",
        "/api/v1/projects/{project}/buckets/{bucket}/objects",
        "/api/v1/projects/{project}/buckets/{bucket}/objects/{key}",
    ] {
        assert!(doc["paths"][path].is_object(), "missing {path}");
    }
    // Every problem code the worker can answer is documented: `code` is
    // an `ErrorCode`, whose alternatives list the codes.
    assert_eq!(
        doc["components"]["schemas"]["Problem"]["properties"]["code"]["$ref"],
        "#/components/schemas/ErrorCode"
    );
    let error_code = doc["components"]["schemas"]["ErrorCode"].to_string();
    let codes: Vec<String> = error_code
        .split('"')
        .filter(|s| s.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .map(str::to_string)
        .collect();
    for code in [
        "invalid_request",
        "unknown_permission",
        "missing_token",
        "malformed_token",
        "invalid_token",
        "token_expired",
        "insufficient_permission",
        "privilege_escalation",
        "not_found",
        "conflict",
        "persona_in_use",
        "invitation_used",
        "invitation_expired",
        "payload_too_large",
        "rate_limited",
        "unavailable",
        "email_failed",
        "method_not_allowed",
        "upstream_unavailable",
        "upstream_timeout",
    ] {
        assert!(codes.iter().any(|c| c == code), "{code} is not documented");
    }
}

#[tokio::test]
async fn catalog_is_served_from_the_shipped_file() {
    let app = spawn_app().await;
    let r = app.get("/api/v1/catalog", &app.admin_secret).await;
    assert_eq!(r.status, 200);
    let served = r.json();
    let shipped: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(keyward_tests::repo_root().join("worker/catalog.json")).unwrap(),
    )
    .unwrap();
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&served), ids(&shipped));
    assert_eq!(
        ids(&served),
        [
            "storage",
            "components",
            "tokens",
            "audit",
            "api_services",
            "infrastructures",
            "projects",
            "datasets"
        ]
    );
}
