//! Blast-radius preview (issue 18): a change that touches several tokens
//! accepts `?dry_run=true` on the same request and answers what it would
//! do — which tokens gain or lose which effective permissions, which
//! gateway routes flip, which tokens keep an expiry a new policy would not
//! admit — and changes nothing. The story: a team's "Pipeline operators"
//! persona is linked by three tokens; an admin previews an edit, applies
//! it, and every token then holds exactly what the preview said.

use keyward_tests::{spawn_app, TestApp};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Effective permissions as whoami lists them, `service:permission@resource`.
async fn holds(app: &TestApp, secret: &str) -> BTreeSet<String> {
    let r = app.get("/api/v1/whoami", secret).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut out = BTreeSet::new();
    for service in r.json()["permissions"].as_array().unwrap() {
        for p in service["permissions"].as_array().unwrap() {
            let base = format!(
                "{}:{}",
                service["service"].as_str().unwrap(),
                p["permission"].as_str().unwrap()
            );
            let resources = p["resources"].as_array().unwrap();
            if resources.is_empty() {
                out.insert(base.clone());
            }
            for r in resources {
                out.insert(format!("{base}@{}", r.as_str().unwrap()));
            }
        }
    }
    out
}

/// A grant of the answer as `service:permission@resource`.
fn compact(g: &Value) -> String {
    let mut s = format!(
        "{}:{}",
        g["service"].as_str().unwrap(),
        g["permission"].as_str().unwrap()
    );
    if let Some(r) = g["resource"].as_str() {
        s.push('@');
        s.push_str(r);
    }
    s
}

fn grants_of(v: &Value) -> BTreeSet<String> {
    v.as_array().unwrap().iter().map(compact).collect()
}

fn g(service: &str, permission: &str, resource: &str) -> Value {
    json!({"service": service, "permission": permission, "resource": resource})
}

/// The preview's entry for one token.
fn entry<'a>(preview: &'a Value, id: &str) -> &'a Value {
    preview["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in the preview: {preview}"))
}

/// `callable` of one gateway route in the token's routes report.
async fn callable(app: &TestApp, token_id: &str, route: &str) -> String {
    let r = app
        .get(
            &format!("/api/v1/tokens/{token_id}/routes"),
            &app.admin_secret,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == route)
        .unwrap()["callable"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_persona_edit_is_previewed_then_applied_and_the_preview_is_what_happens() {
    let app = spawn_app().await;
    let admin = app.admin_secret.clone();
    let r = app
        .post(
            "/api/v1/personas",
            &admin,
            json!({"name": "Pipeline operators", "grants": [g("storage", "read", "*"), g("storage", "write", "*")]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let persona = r.json()["id"].as_str().unwrap().to_string();
    let mut linked = vec![];
    for (name, own) in [
        ("ingest", json!([])),
        ("transform", json!([g("components", "run", "y")])),
        (
            "publish",
            json!([{"service": "audit", "permission": "read"}]),
        ),
    ] {
        let r = app
            .post(
                "/api/v1/tokens",
                &admin,
                json!({"name": name, "grants": own, "personas": [persona]}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let v = r.json();
        linked.push((
            v["token"]["id"].as_str().unwrap().to_string(),
            v["secret"].as_str().unwrap().to_string(),
        ));
    }
    // A token that does not link the persona is not in the blast radius.
    let (bystander, _) = app
        .create_token("bystander", json!([g("storage", "write", "*")]))
        .await;
    let bystander = bystander["id"].as_str().unwrap().to_string();

    let mut before = vec![];
    for (_, secret) in &linked {
        before.push(holds(&app, secret).await);
    }
    let edit = json!({"grants": [g("storage", "read", "*"), g("components", "run", "x")]});
    let path = format!("/api/v1/personas/{persona}");
    let r = app
        .patch(&format!("{path}?dry_run=true"), &admin, edit.clone())
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let preview = r.json();
    assert_eq!(preview["dry_run"], true);
    assert_eq!(preview["action"], "persona.update");
    let ids: BTreeSet<&str> = preview["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    let expected: BTreeSet<&str> = linked.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, expected, "exactly the three linked tokens");
    assert!(!ids.contains(bystander.as_str()));
    for (id, _) in &linked {
        let e = entry(&preview, id);
        assert_eq!(e["deleted"], false);
        let projects = e["projects"].as_array().unwrap();
        assert_eq!(projects.len(), 1, "{e}");
        assert_eq!(projects[0]["project"], "default");
        assert_eq!(
            grants_of(&projects[0]["lost"]),
            BTreeSet::from(["storage:write@*".to_string()])
        );
        assert_eq!(
            grants_of(&projects[0]["gained"]),
            BTreeSet::from(["components:run@x".to_string()])
        );
        let run = projects[0]["routes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "component.run")
            .unwrap_or_else(|| panic!("component.run flips for {id}: {e}"));
        // "transform" could already run y: its route stays `some`, on
        // more components.
        if e["name"] == "transform" {
            assert_eq!(run["before"], "some");
            assert_eq!(run["resources_before"], json!(["y"]));
            assert_eq!(run["resources_after"], json!(["x", "y"]));
        } else {
            assert_eq!(run["before"], "none");
            assert_eq!(run["resources_after"], json!(["x"]));
        }
        assert_eq!(run["after"], "some");
    }

    // Nothing changed: the persona, the tokens, the audit log.
    assert_eq!(
        grants_of(&app.get(&path, &admin).await.json()["grants"]),
        BTreeSet::from(["storage:read@*".to_string(), "storage:write@*".to_string()])
    );
    for ((_, secret), was) in linked.iter().zip(&before) {
        assert_eq!(&holds(&app, secret).await, was);
    }
    let previewed = app
        .audit_until("action=persona.update.preview", &admin, |items| {
            !items.is_empty()
        })
        .await;
    assert_eq!(previewed["items"][0]["target"], json!(persona));
    let updates = app
        .get("/api/v1/audit?action=persona.update", &admin)
        .await
        .json();
    assert_eq!(updates["total"], 0, "a preview writes no change: {updates}");

    // Applied: each token's observed change is the preview's.
    let r = app.patch(&path, &admin, edit).await;
    assert_eq!(r.status, 200, "{}", r.text);
    for ((id, secret), was) in linked.iter().zip(&before) {
        let now = holds(&app, secret).await;
        let gained: BTreeSet<String> = now.difference(was).cloned().collect();
        let lost: BTreeSet<String> = was.difference(&now).cloned().collect();
        let e = &entry(&preview, id)["projects"][0];
        assert_eq!(gained, grants_of(&e["gained"]), "{id}");
        assert_eq!(lost, grants_of(&e["lost"]), "{id}");
        assert_eq!(callable(&app, id, "component.run").await, "some");
    }
    // Previewing the same edit again: nothing left to change, and the
    // three tokens are named as reached but unchanged.
    let again = app
        .patch(
            &format!("{path}?dry_run=true"),
            &admin,
            json!({"grants": [g("storage", "read", "*"), g("components", "run", "x")]}),
        )
        .await
        .json();
    assert_eq!(again["tokens"], json!([]), "{again}");
    assert_eq!(again["unchanged"].as_array().unwrap().len(), 3, "{again}");
}

#[tokio::test]
async fn a_dry_run_delete_changes_nothing_and_a_misspelt_dry_run_is_refused() {
    let app = spawn_app().await;
    let admin = app.admin_secret.clone();
    app.create_bucket("raw").await;
    let r = app
        .post(
            "/api/v1/personas",
            &admin,
            json!({"name": "Readers", "grants": [g("storage", "read", "*")]}),
        )
        .await;
    let persona = r.json()["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            "/api/v1/tokens",
            &admin,
            json!({"name": "reader", "personas": [persona]}),
        )
        .await;
    let v = r.json();
    let (id, secret) = (
        v["token"]["id"].as_str().unwrap().to_string(),
        v["secret"].as_str().unwrap().to_string(),
    );
    let path = format!("/api/v1/personas/{persona}");

    // Without unlink the delete itself would be refused, and so is its
    // preview: the same request, the same answer.
    let r = app.delete(&format!("{path}?dry_run=true"), &admin).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.code(), "persona_in_use");

    let r = app
        .delete(&format!("{path}?unlink=true&dry_run=true"), &admin)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let preview = r.json();
    assert_eq!(preview["action"], "persona.delete");
    let e = entry(&preview, &id);
    assert_eq!(
        grants_of(&e["projects"][0]["lost"]),
        BTreeSet::from(["storage:read@*".to_string()])
    );
    let report = e["projects"][0]["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "report.read")
        .expect("report.read stops being callable");
    assert_eq!(
        (&report["before"], &report["after"]),
        (&json!("all"), &json!("none"))
    );

    // The persona is still there and the token still works.
    assert_eq!(app.get(&path, &admin).await.status, 200);
    let r = app.get("/api/v1/buckets/raw/objects", &secret).await;
    assert_eq!(r.status, 200, "{}", r.text);

    // A misspelt parameter is refused, never taken for the change.
    let r = app
        .delete(&format!("{path}?unlink=true&dryrun=true"), &admin)
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = app
        .patch(
            &format!("{path}?dry_run=yes"),
            &admin,
            json!({"grants": []}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json()["errors"][0]["field"], "dry_run");
    assert_eq!(
        app.get(&path, &admin).await.json()["grants"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // The real delete then does what the preview said.
    let r = app.delete(&format!("{path}?unlink=true"), &admin).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = app.get("/api/v1/buckets/raw/objects", &secret).await;
    assert_eq!(r.status, 403, "{}", r.text);
}

#[tokio::test]
async fn an_expiry_policy_preview_names_the_tokens_it_would_not_admit() {
    let app = spawn_app().await;
    let admin = app.admin_secret.clone();
    app.create_project("ops").await;
    let mut ids = std::collections::BTreeMap::new();
    for (name, expiry) in [
        ("nightly", json!({"expires_in": 86_400})),
        ("quarterly", json!({"expires_in": 90 * 86_400})),
        ("forever", json!({})),
    ] {
        let mut body = json!({"name": name, "project": "ops"});
        for (k, v) in expiry.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = app.post("/api/v1/tokens", &admin, body).await;
        assert_eq!(r.status, 201, "{}", r.text);
        ids.insert(name, r.json()["token"]["id"].as_str().unwrap().to_string());
    }
    // A token of another project is never named.
    let (_, _) = app.create_token("elsewhere", json!([])).await;

    let policy =
        json!({"expiry_policy": {"max_lifetime_seconds": 30 * 86_400, "allow_never": false}});
    let r = app
        .patch("/api/v1/projects/ops?dry_run=true", &admin, policy.clone())
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let preview = r.json();
    assert_eq!(preview["action"], "project.update");
    let named: BTreeSet<&str> = preview["expiry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(named, BTreeSet::from(["forever", "quarterly"]), "{preview}");
    for t in preview["expiry"].as_array().unwrap() {
        assert_eq!(t["kept"], true, "{t}");
        assert!(!t["reason"].as_str().unwrap().is_empty());
    }
    // Nothing changed: the project's policy is as it was.
    let projects = app.get("/api/v1/projects", &admin).await.json();
    let ops = projects["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "ops")
        .unwrap()
        .clone();
    assert_eq!(ops["expiry_policy"]["max_lifetime_seconds"], Value::Null);

    // Applied: the named tokens keep their expiry, as the preview said.
    let before = app
        .get(&format!("/api/v1/tokens/{}", ids["quarterly"]), &admin)
        .await
        .json();
    let r = app.patch("/api/v1/projects/ops", &admin, policy).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let after = app
        .get(&format!("/api/v1/tokens/{}", ids["quarterly"]), &admin)
        .await
        .json();
    assert_eq!(before["expires_at"], after["expires_at"]);
    let forever = app
        .get(&format!("/api/v1/tokens/{}", ids["forever"]), &admin)
        .await
        .json();
    assert_eq!(forever["expires_at"], Value::Null);
}

#[tokio::test]
async fn a_member_edit_and_removal_are_previewed_without_changing_anything() {
    let app = spawn_app().await;
    let admin = app.admin_secret.clone();
    let r = app
        .post(
            "/api/v1/members",
            &admin,
            json!({"email": "dana@example.com", "name": "Dana", "grants": [g("storage", "read", "*")]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let member = r.json()["member"].clone();
    let id = member["id"].as_str().unwrap().to_string();
    let user_token = member["user_token_id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/members/{id}");

    let r = app
        .patch(
            &format!("{path}?dry_run=true"),
            &admin,
            json!({"name": "Dana R.", "grants": []}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let preview = r.json();
    assert_eq!(preview["action"], "member.update");
    let e = entry(&preview, &user_token);
    assert_eq!(e["kind"], "user");
    assert_eq!(
        grants_of(&e["projects"][0]["lost"]),
        BTreeSet::from(["storage:read@*".to_string()])
    );
    let now = app.get(&path, &admin).await.json();
    assert_eq!(now["name"], "Dana", "a preview renames no one");
    assert_eq!(grants_of(&now["grants"]).len(), 1);

    let r = app.delete(&format!("{path}?dry_run=true"), &admin).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let preview = r.json();
    assert_eq!(preview["action"], "member.delete");
    assert_eq!(entry(&preview, &user_token)["deleted"], true);
    assert_eq!(app.get(&path, &admin).await.status, 200, "still a member");
    let r = app.delete(&path, &admin).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(app.get(&path, &admin).await.status, 404);
}
