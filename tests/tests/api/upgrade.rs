//! "Existing single-project data keeps working as the default project":
//! today's worker started on state written by the version before projects,
//! personas and members (`tests/fixtures/state-before-projects`).

use keyward_tests::{spawn_app_on_state, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

async fn upgraded() -> (TestApp, Value) {
    let dir = keyward_tests::repo_root().join("tests/fixtures/state-before-projects");
    let secrets: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("secrets.json")).unwrap()).unwrap();
    let app = spawn_app_on_state("state-before-projects", secrets["admin"].as_str().unwrap()).await;
    (app, secrets)
}

#[tokio::test]
async fn tokens_buckets_and_objects_from_before_projects_keep_working() {
    let (app, secrets) = upgraded().await;
    let reader = secrets["reader"].as_str().unwrap();
    let writer = secrets["writer"].as_str().unwrap();

    // The old tokens authenticate, hold what they held, and are the
    // default project's.
    let who = app.get("/api/v1/whoami", reader).await;
    assert_eq!(who.status, 200, "{}", who.text);
    let who = who.json();
    assert_eq!(who["project"], "default");
    assert_eq!(who["token"]["project"], "default");
    assert_eq!(who["token"]["personas"], json!([]));
    let admin = app.get("/api/v1/whoami", &app.admin_secret).await.json();
    assert_eq!(admin["token"]["kind"], "master");

    // The old bucket and object, by the old path and the project path.
    let obj = app
        .get("/api/v1/buckets/in.c-legacy/objects/report.json", reader)
        .await;
    assert_eq!(obj.status, 200, "{}", obj.text);
    assert_eq!(obj.json(), json!({"rows": 42}));
    let listed = app
        .get("/api/v1/projects/default/buckets", reader)
        .await
        .json();
    assert_eq!(listed["items"][0]["id"], "in.c-legacy");
    assert_eq!(
        app.get(
            "/api/v1/projects/default/buckets/in.c-legacy/objects",
            reader
        )
        .await
        .json()["items"][0]["key"],
        "report.json"
    );
    // Still only what it was given.
    let denied = app
        .send(
            Method::PUT,
            "/api/v1/buckets/in.c-legacy/objects/x.json",
            Some(reader),
            Some(json!({})),
        )
        .await;
    assert_eq!(denied.status, 403);
    let wrote = app
        .send(
            Method::PUT,
            "/api/v1/buckets/in.c-legacy/objects/new.json",
            Some(writer),
            Some(json!({"after": "upgrade"})),
        )
        .await;
    assert_eq!(wrote.status, 200, "{}", wrote.text);

    // A bucket id from before projects stays taken in the default project.
    let again = app
        .post(
            "/api/v1/buckets",
            &app.admin_secret,
            json!({"id": "in.c-legacy"}),
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.text);
    // The old tokens are listed in the default project and can link personas.
    let page = app
        .get(
            "/api/v1/tokens?project=default&sort=name",
            &app.admin_secret,
        )
        .await
        .json();
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"legacy reader") && names.contains(&"legacy writer"),
        "{names:?}"
    );
    let persona = app
        .post(
            "/api/v1/personas",
            &app.admin_secret,
            json!({"name": "Writers", "grants": [{"service": "storage", "permission": "write", "resource": "in.c-legacy"}]}),
        )
        .await
        .json();
    let id = secrets["reader_id"].as_str().unwrap();
    let r = app
        .patch(
            &format!("/api/v1/tokens/{id}"),
            &app.admin_secret,
            json!({"personas": [persona["id"]]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let now_writes = app
        .send(
            Method::PUT,
            "/api/v1/buckets/in.c-legacy/objects/x.json",
            Some(reader),
            Some(json!({})),
        )
        .await;
    assert_eq!(now_writes.status, 200, "{}", now_writes.text);
}
