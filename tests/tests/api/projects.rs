//! Dataiku project-level and global keys, Keboola projects: storage and
//! tokens belong to projects; a project key never reaches another project;
//! a global key carries grants per project and may be a global admin; only
//! admins create global keys; single-project data is the default project.

use keyward_tests::{spawn_app, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

async fn bucket_in(app: &TestApp, project: &str, id: &str) {
    let r = app
        .post(
            &format!("/api/v1/projects/{project}/buckets"),
            &app.admin_secret,
            json!({"id": id}),
        )
        .await;
    assert_eq!(r.status, 201, "create bucket {project}/{id}: {}", r.text);
}

async fn put(app: &TestApp, secret: &str, path: &str) -> u16 {
    app.send(Method::PUT, path, Some(secret), Some(json!({"n": 1})))
        .await
        .status
}

fn storage(permission: &str) -> Value {
    json!({"service": "storage", "permission": permission, "resource": "*"})
}

async fn token(app: &TestApp, secret: &str, body: Value) -> (Value, String) {
    let r = app.post("/api/v1/tokens", secret, body).await;
    assert_eq!(r.status, 201, "create token: {}", r.text);
    let v = r.json();
    (
        v["token"].clone(),
        v["secret"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn a_project_key_cannot_cross_projects() {
    let app = spawn_app().await;
    app.create_project("beta").await;
    // The same bucket id in two projects: two different buckets.
    app.create_bucket("data").await;
    bucket_in(&app, "beta", "data").await;
    let (t, beta_key) = token(
        &app,
        &app.admin_secret,
        json!({"name": "beta writer", "project": "beta", "grants": [storage("write"), {"service": "storage", "permission": "create_bucket"}]}),
    )
    .await;
    assert_eq!(t["project"], "beta");
    assert!(beta_key.starts_with("kw_s_"));
    let who = app.get("/api/v1/whoami", &beta_key).await.json();
    assert_eq!(who["project"], "beta");

    // Its own project, by the short path and the project path.
    assert_eq!(
        put(&app, &beta_key, "/api/v1/buckets/data/objects/one.json").await,
        200
    );
    assert_eq!(
        put(
            &app,
            &beta_key,
            "/api/v1/projects/beta/buckets/data/objects/two.json"
        )
        .await,
        200
    );
    // The default project's bucket of the same name is out of reach,
    // whatever its grants say ("storage:write@*").
    for path in [
        "/api/v1/projects/default/buckets/data/objects/x.json",
        "/api/v1/projects/default/buckets",
    ] {
        let r = app.send(Method::GET, path, Some(&beta_key), None).await;
        assert_eq!(r.status, 403, "{path}: {}", r.text);
        assert_eq!(r.code(), "insufficient_permission");
        assert!(
            r.json()["detail"]
                .as_str()
                .unwrap()
                .contains("project 'beta'"),
            "{}",
            r.text
        );
    }
    assert_eq!(
        put(
            &app,
            &beta_key,
            "/api/v1/projects/default/buckets/data/objects/x.json"
        )
        .await,
        403
    );
    // Nor can it create buckets elsewhere.
    let r = app
        .post(
            "/api/v1/projects/default/buckets",
            &beta_key,
            json!({"id": "sneaky"}),
        )
        .await;
    assert_eq!(r.status, 403);

    // The objects went to beta's bucket, not the default one.
    let default_objects = app
        .get("/api/v1/buckets/data/objects", &app.admin_secret)
        .await
        .json();
    assert_eq!(default_objects["items"], json!([]));
    let beta_objects = app
        .get(
            "/api/v1/projects/beta/buckets/data/objects",
            &app.admin_secret,
        )
        .await
        .json();
    assert_eq!(beta_objects["items"].as_array().unwrap().len(), 2);

    // It sees only its project, and only its project's tokens.
    let projects = app.get("/api/v1/projects", &beta_key).await.json();
    let ids: Vec<&str> = projects["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["beta"]);
    let admin_sees: Vec<String> = app.get("/api/v1/projects", &app.admin_secret).await.json()
        ["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(admin_sees, ["beta", "default"]);
}

#[tokio::test]
async fn project_token_managers_stay_in_their_project() {
    let app = spawn_app().await;
    app.create_project("beta").await;
    let (other, _) = app.create_token("default token", json!([])).await;
    let (_, manager) = token(
        &app,
        &app.admin_secret,
        json!({"name": "beta manager", "project": "beta", "grants": [{"service": "tokens", "permission": "manage"}, storage("read")]}),
    )
    .await;
    // Tokens it creates are beta's.
    let (sub, _) = token(
        &app,
        &manager,
        json!({"name": "beta reader", "grants": [storage("read")]}),
    )
    .await;
    assert_eq!(sub["project"], "beta");
    // It cannot put one into another project.
    let r = app
        .post(
            "/api/v1/tokens",
            &manager,
            json!({"name": "elsewhere", "project": "default"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    // Other projects' tokens do not exist for it.
    let id = other["id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/tokens/{id}"), &manager)
            .await
            .status,
        404
    );
    assert_eq!(
        app.delete(&format!("/api/v1/tokens/{id}"), &manager)
            .await
            .status,
        404
    );
    let list = app.get("/api/v1/tokens?sort=name", &manager).await.json();
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["beta manager", "beta reader"]);
    // The admin filters by project.
    let beta = app
        .get("/api/v1/tokens?project=beta", &app.admin_secret)
        .await
        .json();
    assert_eq!(beta["total"], 2);
}

#[tokio::test]
async fn a_global_key_has_different_grants_per_project() {
    let app = spawn_app().await;
    for p in ["alpha", "beta", "gamma"] {
        app.create_project(p).await;
        bucket_in(&app, p, "conf").await;
    }
    let (t, key) = token(
        &app,
        &app.admin_secret,
        json!({
            "name": "deployer",
            "kind": "global",
            "project_grants": {"alpha": [storage("read")], "beta": [storage("write")]}
        }),
    )
    .await;
    assert!(key.starts_with("kw_g_"), "{key}");
    assert_eq!(t["kind"], "global");
    assert_eq!(t["project"], Value::Null);
    assert_eq!(
        put(
            &app,
            &key,
            "/api/v1/projects/alpha/buckets/conf/objects/a.json"
        )
        .await,
        403
    );
    assert_eq!(
        put(
            &app,
            &key,
            "/api/v1/projects/beta/buckets/conf/objects/b.json"
        )
        .await,
        200
    );
    let read = app
        .get("/api/v1/projects/alpha/buckets/conf/objects", &key)
        .await;
    assert_eq!(read.status, 200, "{}", read.text);
    let read = app
        .get("/api/v1/projects/beta/buckets/conf/objects/b.json", &key)
        .await;
    assert_eq!(read.status, 200, "write implies read in beta");
    let none = app
        .get("/api/v1/projects/gamma/buckets/conf/objects", &key)
        .await;
    assert_eq!(none.status, 403, "{}", none.text);

    let who = app.get("/api/v1/whoami", &key).await.json();
    let projects: Vec<&str> = who["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["project"].as_str().unwrap())
        .collect();
    assert_eq!(projects, ["alpha", "beta"]);
    let reachable = app.get("/api/v1/projects", &key).await.json();
    assert_eq!(reachable["items"].as_array().unwrap().len(), 2);
    // Not an admin.
    assert_eq!(app.get("/api/v1/admins", &key).await.status, 403);

    // Grants per project are edited as a complete set.
    let id = t["id"].as_str().unwrap();
    let r = app
        .patch(
            &format!("/api/v1/tokens/{id}"),
            &app.admin_secret,
            json!({"project_grants": {"gamma": [storage("read")]}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        app.get("/api/v1/projects/gamma/buckets/conf/objects", &key)
            .await
            .status,
        200
    );
    assert_eq!(
        app.get("/api/v1/projects/beta/buckets/conf/objects", &key)
            .await
            .status,
        403
    );
    // Unknown projects are refused precisely.
    let r = app
        .patch(
            &format!("/api/v1/tokens/{id}"),
            &app.admin_secret,
            json!({"project_grants": {"nowhere": []}}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["errors"][0]["field"], "project_grants.nowhere");
}

#[tokio::test]
async fn a_global_admin_key_holds_everything_everywhere() {
    let app = spawn_app().await;
    app.create_project("alpha").await;
    let (_, key) = token(
        &app,
        &app.admin_secret,
        json!({"name": "ops", "kind": "global", "global_admin": true}),
    )
    .await;
    for p in ["alpha", "default"] {
        let r = app
            .post(
                &format!("/api/v1/projects/{p}/buckets"),
                &key,
                json!({"id": "ops"}),
            )
            .await;
        assert_eq!(r.status, 201, "{p}: {}", r.text);
        assert_eq!(
            put(
                &app,
                &key,
                &format!("/api/v1/projects/{p}/buckets/ops/objects/o.json")
            )
            .await,
            200
        );
    }
    // Global administration: admins and projects.
    let r = app
        .post(
            "/api/v1/admins",
            &key,
            json!({"email": "ivy@example.com", "name": "Ivy"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = app
        .post(
            "/api/v1/projects",
            &key,
            json!({"id": "delta", "name": "Delta"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let (global, _) = token(&app, &key, json!({"name": "made by ops", "kind": "global"})).await;
    assert_eq!(global["kind"], "global");
}

#[tokio::test]
async fn only_admins_create_global_keys() {
    let app = spawn_app().await;
    let (_, manager) = app
        .create_token(
            "manager",
            json!([{"service": "tokens", "permission": "manage"}]),
        )
        .await;
    for body in [
        json!({"name": "g1", "kind": "global"}),
        json!({"name": "g2", "kind": "global", "project_grants": {"default": []}}),
    ] {
        let r = app.post("/api/v1/tokens", &manager, body).await;
        assert_eq!(r.status, 403, "{}", r.text);
        assert_eq!(r.code(), "insufficient_permission");
    }
    let all = app
        .get("/api/v1/tokens?kind=global", &app.admin_secret)
        .await
        .json();
    assert_eq!(all["total"], 0);
    // Per-project grants belong to global keys only; user and personal
    // kinds are not made here.
    for (body, field) in [
        (
            json!({"name": "s", "project_grants": {"default": []}}),
            "project_grants",
        ),
        (json!({"name": "s", "global_admin": true}), "global_admin"),
        (
            json!({"name": "s", "kind": "global", "project": "default"}),
            "project",
        ),
        (json!({"name": "s", "kind": "personal"}), "kind"),
        (json!({"name": "s", "project": "Not A Slug"}), "project"),
        (json!({"name": "s", "project": "nowhere"}), "project"),
    ] {
        let r = app
            .post("/api/v1/tokens", &app.admin_secret, body.clone())
            .await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert_eq!(r.json()["errors"][0]["field"], field, "{body}: {}", r.text);
    }
}

#[tokio::test]
async fn single_project_data_is_the_default_project() {
    let app = spawn_app().await;
    app.create_bucket("legacy").await;
    let (t, key) = app
        .create_token("old style", json!([storage("write")]))
        .await;
    assert_eq!(t["project"], "default");
    assert_eq!(
        put(&app, &key, "/api/v1/buckets/legacy/objects/a.json").await,
        200
    );
    // The same object through the default project's path.
    let r = app
        .get(
            "/api/v1/projects/default/buckets/legacy/objects/a.json",
            &key,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let listed = app
        .get("/api/v1/projects/default/buckets", &key)
        .await
        .json();
    assert_eq!(listed["items"][0]["id"], "legacy");
    // Bad project ids in paths are not found, not errors.
    let r = app
        .get("/api/v1/projects/Bad:Id/buckets", &app.admin_secret)
        .await;
    assert_eq!(r.status, 404);
}

/// `GET /projects/{project}`: one project, with the version its edit's
/// `If-Match` takes; a project out of the caller's reach is not there.
#[tokio::test]
async fn one_project_is_read_with_the_version_its_edit_needs() {
    let app = spawn_app().await;
    app.create_project("beta").await;
    app.create_project("gamma").await;
    let admin = app.admin_secret.clone();

    let read = app.get("/api/v1/projects/beta", &admin).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.json()["id"], "beta");
    assert_eq!(read.json()["name"], "Project beta");
    let version = read
        .header("etag")
        .expect("a project answer has its version");
    let edit = app
        .send_with(
            Method::PATCH,
            "/api/v1/projects/beta",
            &admin,
            Some(json!({"name": "Beta"})),
            &[("if-match", &version)],
        )
        .await;
    assert_eq!(edit.status, 200, "{}", edit.text);
    // The version read before the edit is stale now; the read after it is not.
    let stale = app
        .send_with(
            Method::PATCH,
            "/api/v1/projects/beta",
            &admin,
            Some(json!({"name": "Beta 2"})),
            &[("if-match", &version)],
        )
        .await;
    assert_eq!(stale.status, 412, "{}", stale.text);
    let reread = app.get("/api/v1/projects/beta", &admin).await;
    assert_eq!(reread.json()["name"], "Beta");
    assert_eq!(reread.header("etag"), edit.header("etag"));

    // A project key sees its own project, and no other.
    let (_, beta_key) = token(
        &app,
        &admin,
        json!({"name": "beta reader", "project": "beta", "grants": [storage("read")]}),
    )
    .await;
    assert_eq!(
        app.get("/api/v1/projects/beta", &beta_key).await.status,
        200
    );
    for hidden in ["gamma", "nowhere"] {
        let r = app
            .get(&format!("/api/v1/projects/{hidden}"), &beta_key)
            .await;
        assert_eq!(r.status, 404, "{hidden}: {}", r.text);
        assert_eq!(r.code(), "not_found");
    }
    assert_eq!(
        app.get("/api/v1/projects/nowhere", &admin).await.status,
        404
    );
}
