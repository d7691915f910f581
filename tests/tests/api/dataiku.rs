//! Dataiku DSS: permissions imply others (write ⇒ read), and calls made
//! with a key appear in the audit log as performed by that key.

use keyward_tests::upstream::Upstream;
use keyward_tests::{spawn_app, spawn_app_with, TestApp};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn write_implies_read() {
    let app = spawn_app().await;
    app.create_bucket("models").await;
    let (_, secret) = app
        .create_token(
            "writer",
            json!([{"service": "storage", "permission": "write", "resource": "models"}]),
        )
        .await;
    assert_eq!(
        app.get("/api/v1/buckets/models/objects", &secret)
            .await
            .status,
        200
    );
    let me = app.get("/api/v1/whoami", &secret).await.json();
    assert_eq!(
        me["permissions"],
        json!([{"service": "storage", "permissions": [
            {"permission": "read", "resources": ["models"]},
            {"permission": "write", "resources": ["models"]}
        ]}])
    );
}

#[tokio::test]
async fn audit_log_shows_the_keys_client_id_for_its_calls() {
    let app = spawn_app().await;
    app.create_bucket("scores").await;
    let (token, secret) = app
        .create_token(
            "scoring",
            json!([
                {"service": "storage", "permission": "write", "resource": "scores"},
                {"service": "tokens", "permission": "manage"}
            ]),
        )
        .await;
    let client_id = token["client_id"].as_str().unwrap().to_string();
    let put = app
        .send_raw(
            Method::PUT,
            "/api/v1/buckets/scores/objects/run-1",
            Some(&secret),
            "text/plain",
            b"0.93".to_vec(),
        )
        .await;
    assert_eq!(put.status, 200);
    let denied = app.get("/api/v1/buckets/other/objects", &secret).await;
    assert_eq!(denied.status, 403);
    let created = app
        .post("/api/v1/tokens", &secret, json!({"name": "child"}))
        .await;
    assert_eq!(created.status, 201);

    // Audit writes complete after the response; poll briefly.
    let mut entries = serde_json::Value::Null;
    for _ in 0..40 {
        entries = app
            .get(
                &format!("/api/v1/audit?actor={client_id}&limit=100"),
                &app.admin_secret,
            )
            .await
            .json();
        if entries["total"].as_u64().unwrap_or(0) >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let items = entries["items"].as_array().unwrap().clone();
    assert!(items.iter().all(|e| e["actor"] == client_id.as_str()));
    let has = |action: &str, outcome: &str| {
        items
            .iter()
            .any(|e| e["action"] == action && e["outcome"] == outcome)
    };
    assert!(has("object.put", "success"), "{items:?}");
    assert!(has("object.list", "denied"), "{items:?}");
    assert!(has("token.create", "success"), "{items:?}");
    let text = serde_json::to_string(&entries).unwrap();
    assert!(!text.contains(&secret));

    let filtered = app
        .get("/api/v1/audit?action=token.create", &app.admin_secret)
        .await
        .json();
    assert!(filtered["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["action"] == "token.create"));
}

fn grant(service: &str, permission: &str, resource: &str) -> serde_json::Value {
    json!({"service": service, "permission": permission, "resource": resource})
}

async fn status(app: &TestApp, method: Method, path: &str, secret: &str) -> u16 {
    app.send(method, path, Some(secret), None).await.status
}

/// A DSS project key: project-wide permissions (admin ⇒ everything in the
/// project) and per-dataset ones (write ⇒ read), used through the
/// gateway's example routes; neither reaches another project or dataset.
#[tokio::test]
async fn project_keys_carry_project_wide_and_per_dataset_permissions() {
    let upstream = Upstream::start().await;
    let app = spawn_app_with(&[
        ("UPSTREAM_URL", upstream.url.as_str()),
        ("GATEWAY_SIGNING_KEY", "test-gateway-signing-key"),
    ])
    .await;
    let (_, admin) = app
        .create_token("churn-admin", json!([grant("projects", "admin", "CHURN")]))
        .await;
    let (_, conf) = app
        .create_token(
            "churn-conf",
            json!([grant("projects", "write_conf", "CHURN")]),
        )
        .await;
    let (_, webapp) = app
        .create_token(
            "webapp",
            json!([
                grant("datasets", "read_data", "CHURN.customers"),
                grant("datasets", "write_schema", "CHURN.customers")
            ]),
        )
        .await;
    let config = "/gw/dss/projects/CHURN/config";
    let run = "/gw/dss/projects/CHURN/scenarios/nightly/run";
    let data = "/gw/dss/datasets/CHURN.customers/data";
    let other_data = "/gw/dss/datasets/CHURN.orders/data";

    // admin ⇒ run scenarios and (through write ⇒ read) read configuration.
    assert_eq!(status(&app, Method::GET, config, &admin).await, 200);
    assert_eq!(status(&app, Method::POST, run, &admin).await, 200);
    assert_eq!(
        status(&app, Method::GET, "/gw/dss/projects/FRAUD/config", &admin).await,
        403
    );
    // write configuration ⇒ read configuration, but not running scenarios.
    assert_eq!(status(&app, Method::GET, config, &conf).await, 200);
    assert_eq!(status(&app, Method::POST, run, &conf).await, 403);
    // Project-wide permissions are not per-dataset ones, and back.
    assert_eq!(status(&app, Method::GET, data, &admin).await, 403);
    assert_eq!(status(&app, Method::GET, data, &webapp).await, 200);
    assert_eq!(status(&app, Method::GET, other_data, &webapp).await, 403);
    assert_eq!(status(&app, Method::GET, config, &webapp).await, 403);

    // whoami shows the implied permissions per service.
    let me = app.get("/api/v1/whoami", &admin).await.json();
    let projects = me["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "projects")
        .cloned()
        .unwrap_or_default();
    let held: Vec<&str> = projects["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["permission"].as_str())
        .collect();
    assert_eq!(
        held,
        [
            "admin",
            "read_conf",
            "read_data",
            "run_scenarios",
            "write_conf",
            "write_data"
        ]
    );
    let me = app.get("/api/v1/whoami", &webapp).await.json();
    assert_eq!(
        me["permissions"],
        json!([{"service": "datasets", "permissions": [
            {"permission": "read_data", "resources": ["CHURN.customers"]},
            {"permission": "read_schema", "resources": ["CHURN.customers"]},
            {"permission": "write_schema", "resources": ["CHURN.customers"]}
        ]}])
    );
}
