//! Issue 18, features 1 and 2: explain a decision (`POST
//! /tokens/{id}/explain`, `GET /tokens/{id}/routes`) and least privilege
//! from use (`GET /tokens/{id}/usage`). Each story checks the explanation
//! against what the edge really does with the same token.

use keyward_tests::upstream::Upstream;
use keyward_tests::{spawn_app, spawn_app_with, Answer, TestApp, AUDIT_DELAY};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn g(compact: &[&str]) -> Value {
    compact
        .iter()
        .map(|c| serde_json::to_value(keyward_domain::Grant::parse_compact(c).unwrap()).unwrap())
        .collect()
}

async fn explain(app: &TestApp, secret: &str, id: &str, body: Value) -> Answer {
    app.post(&format!("/api/v1/tokens/{id}/explain"), secret, body)
        .await
}

fn id(token: &Value) -> String {
    token["id"].as_str().expect("an id").to_string()
}

#[tokio::test]
async fn a_persona_grant_is_explained_as_via_that_persona_and_a_write_grant_as_implying_read() {
    let app = spawn_app().await;
    let admin = app.admin_secret.clone();
    app.create_bucket("in.c-main").await;
    let persona = app
        .post(
            "/api/v1/personas",
            &admin,
            json!({"name": "Data readers", "grants": g(&["storage:read@*"])}),
        )
        .await;
    assert_eq!(persona.status, 201, "{}", persona.text);
    let persona_id = persona.json()["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            "/api/v1/tokens",
            &admin,
            json!({"name": "analyst", "grants": g(&["storage:write@in.c-loader"]), "personas": [persona_id]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let analyst = r.json();
    let analyst_secret = analyst["secret"].as_str().unwrap().to_string();
    let analyst_id = id(&analyst["token"]);

    // The analyst reads in.c-main through the persona, and the token
    // itself may ask why (it sees itself; no tokens:read needed).
    let e = explain(
        &app,
        &analyst_secret,
        &analyst_id,
        json!({"service": "storage", "permission": "read", "resource": "in.c-main"}),
    )
    .await;
    assert_eq!(e.status, 200, "{}", e.text);
    let e = e.json();
    assert_eq!(e["decision"], "allow");
    assert_eq!(e["code"], "granted");
    assert_eq!(e["project"], "default");
    assert_eq!(e["admitted_by"], g(&["storage:read@*"])[0]);
    assert_eq!(
        e["via"][0]["source"],
        json!({"kind": "persona", "id": persona_id, "name": "Data readers"})
    );
    assert_eq!(e["via"][0]["wildcard"], true);
    assert_eq!(e["via"][0]["implied"], false);
    assert!(e["reason"]
        .as_str()
        .unwrap()
        .contains("persona 'Data readers'"));
    // ... and the edge agrees.
    let real = app
        .get("/api/v1/buckets/in.c-main/objects", &analyst_secret)
        .await;
    assert_eq!(real.status, 200, "{}", real.text);

    // Its own write grant on the loader bucket implies read there.
    let e = explain(
        &app,
        &admin,
        &analyst_id,
        json!({"service": "storage", "permission": "read", "resource": "in.c-loader"}),
    )
    .await
    .json();
    assert_eq!(e["decision"], "allow");
    // Both the persona's `*` and the token's own write yield read there;
    // after `*` absorbs per-resource grants, the edge admits through the
    // `*`, so that is what is named.
    assert_eq!(e["admitted_by"], g(&["storage:read@*"])[0]);
    let e = explain(
        &app,
        &admin,
        &analyst_id,
        json!({"service": "storage", "permission": "write", "resource": "in.c-loader"}),
    )
    .await
    .json();
    assert_eq!(e["decision"], "allow");
    assert_eq!(e["via"][0]["source"], json!({"kind": "own"}));

    let (writer, writer_secret) = app
        .create_token("loader", g(&["storage:write@in.c-main"]))
        .await;
    let e = explain(
        &app,
        &admin,
        &id(&writer),
        json!({"service": "storage", "permission": "read", "resource": "in.c-main"}),
    )
    .await
    .json();
    assert_eq!(e["decision"], "allow");
    assert_eq!(e["admitted_by"], g(&["storage:read@in.c-main"])[0]);
    assert_eq!(e["via"][0]["grant"], g(&["storage:write@in.c-main"])[0]);
    assert_eq!(e["via"][0]["implied"], true);
    assert!(
        e["reason"].as_str().unwrap().contains("write implies read"),
        "{e}"
    );
    let real = app
        .get("/api/v1/buckets/in.c-main/objects", &writer_secret)
        .await;
    assert_eq!(real.status, 200, "{}", real.text);
}

#[tokio::test]
async fn a_refusal_names_the_missing_grant_and_hidden_tokens_are_not_found() {
    let app = spawn_app().await;
    let admin = app.admin_secret.clone();
    app.create_bucket("in.c-main").await;
    app.create_project("beta").await;
    let (reader, reader_secret) = app
        .create_token("reader", g(&["storage:read@in.c-main"]))
        .await;
    let reader_id = id(&reader);

    let e = explain(
        &app,
        &admin,
        &reader_id,
        json!({"service": "storage", "permission": "write", "resource": "in.c-main"}),
    )
    .await;
    assert_eq!(e.status, 200, "{}", e.text);
    let e = e.json();
    assert_eq!(e["decision"], "deny");
    assert_eq!(e["code"], "no_grant");
    assert_eq!(e["missing"], g(&["storage:write@in.c-main"])[0]);
    // The edge refuses the same call naming the same grant.
    let real = app
        .send_raw(
            Method::PUT,
            "/api/v1/buckets/in.c-main/objects/x.csv",
            Some(&reader_secret),
            "text/csv",
            b"a,b\n".to_vec(),
        )
        .await;
    assert_eq!(real.status, 403, "{}", real.text);
    assert!(real.json()["detail"]
        .as_str()
        .unwrap()
        .contains("storage:write@in.c-main"));

    // Another project is out of reach, whatever the grants say.
    let e = explain(
        &app,
        &admin,
        &reader_id,
        json!({"service": "storage", "permission": "read", "resource": "in.c-main", "project": "beta"}),
    )
    .await
    .json();
    assert_eq!(
        (e["decision"].clone(), e["code"].clone()),
        (json!("deny"), json!("out_of_reach"))
    );
    assert!(e["reason"].as_str().unwrap().contains("'beta'"), "{e}");

    // Questions outside the catalog, and malformed ones, are 400.
    let bad = explain(
        &app,
        &admin,
        &reader_id,
        json!({"service": "storage", "permission": "fly", "resource": "x"}),
    )
    .await;
    assert_eq!(
        (bad.status, bad.code()),
        (400, "unknown_permission".into()),
        "{}",
        bad.text
    );
    assert_eq!(bad.json()["errors"][0]["field"], "permission");
    let bad = explain(&app, &admin, &reader_id, json!({"service": "storage"})).await;
    assert_eq!(
        (bad.status, bad.code()),
        (400, "invalid_request".into()),
        "{}",
        bad.text
    );

    // Unknown tokens, and tokens the caller may not see, are 404.
    let missing = explain(
        &app,
        &admin,
        "tok_nope",
        json!({"service": "storage", "permission": "read", "resource": "a"}),
    )
    .await;
    assert_eq!(missing.status, 404, "{}", missing.text);
    let (other, _) = app.create_token("other", g(&[])).await;
    let hidden = explain(
        &app,
        &reader_secret,
        &id(&other),
        json!({"service": "storage", "permission": "read", "resource": "a"}),
    )
    .await;
    assert_eq!(
        (hidden.status, hidden.code()),
        (404, "not_found".into()),
        "{}",
        hidden.text
    );

    // The gateway's routes: which it can call, and what is missing.
    let (runner, _) = app
        .create_token(
            "runner",
            g(&["components:run@*", "api_services:deploy@churn"]),
        )
        .await;
    let r = app
        .get(&format!("/api/v1/tokens/{}/routes", id(&runner)), &admin)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = r.json();
    let route = |name: &str| {
        r["routes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(route("component.run")["callable"], "all");
    let deploy = route("deployment.create");
    assert_eq!(deploy["callable"], "none");
    assert_eq!(deploy["requires"][0]["held"], "some");
    assert_eq!(deploy["requires"][0]["resources"], json!(["churn"]));
    assert_eq!(deploy["requires"][1]["held"], "none");
    assert_eq!(
        deploy["requires"][1]["missing"],
        g(&["infrastructures:deploy@*"])[0]
    );
    let bad = app
        .get(
            &format!("/api/v1/tokens/{}/routes?project=..", id(&runner)),
            &admin,
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
}

/// Polls the usage summary until its calls reach `calls` (the audit store
/// is written after the answers, within the bound in docs/operations.md,
/// "Audit").
async fn usage_until(app: &TestApp, token_id: &str, calls: u64) -> Value {
    let started = Instant::now();
    loop {
        let u = app
            .get(
                &format!("/api/v1/tokens/{token_id}/usage?days=30"),
                &app.admin_secret,
            )
            .await;
        assert_eq!(u.status, 200, "{}", u.text);
        let u = u.json();
        if u["calls"].as_u64() >= Some(calls) || started.elapsed() > AUDIT_DELAY * 2 {
            return u;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn an_over_granted_ci_token_is_narrowed_to_what_its_calls_used() {
    let upstream = Upstream::start().await;
    let app = spawn_app_with(&[
        ("UPSTREAM_URL", upstream.url.as_str()),
        ("GATEWAY_SIGNING_KEY", "test-gateway-signing-key"),
    ])
    .await;
    let admin = app.admin_secret.clone();
    app.create_bucket("in.c-main").await;
    app.create_bucket("out.c-other").await;
    // Given everything "to be safe".
    let (ci, ci_secret) = app
        .create_token(
            "ci",
            g(&["components:run@*", "storage:write@*", "tokens:read"]),
        )
        .await;
    let ci_id = id(&ci);

    // A month of CI, compressed: it runs one component and loads one bucket.
    for _ in 0..3 {
        let run = app
            .send(
                Method::POST,
                "/gw/components/keboola.ex-db/run",
                Some(&ci_secret),
                None,
            )
            .await;
        assert_eq!(run.status, 200, "{}", run.text);
    }
    let put = app
        .send_raw(
            Method::PUT,
            "/api/v1/buckets/in.c-main/objects/load.csv",
            Some(&ci_secret),
            "text/csv",
            b"id\n1\n".to_vec(),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    let get = app
        .get("/api/v1/buckets/in.c-main/objects/load.csv", &ci_secret)
        .await;
    assert_eq!(get.status, 200, "{}", get.text);
    // A refused call uses nothing.
    let refused = app.get("/api/v1/audit", &ci_secret).await;
    assert_eq!(refused.status, 403, "{}", refused.text);

    let u = usage_until(&app, &ci_id, 5).await;
    assert_eq!(u["days"], 30);
    assert_eq!(u["calls"], 5, "{u}");
    let exercised: Vec<(String, u64)> = u["exercised"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            let grant: keyward_domain::Grant = serde_json::from_value(x["grant"].clone()).unwrap();
            (grant.to_string(), x["count"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(
        exercised,
        vec![
            ("components:run@keboola.ex-db".to_string(), 3),
            ("storage:read@in.c-main".to_string(), 1),
            ("storage:write@in.c-main".to_string(), 1),
        ]
    );
    assert_eq!(
        u["unused"],
        json!([{"grant": g(&["tokens:read"])[0], "source": {"kind": "own"}}])
    );
    let proposed = u["proposed_grants"].clone();
    assert_eq!(
        proposed,
        g(&["components:run@keboola.ex-db", "storage:write@in.c-main"])
    );
    assert_eq!(
        u["removed"],
        g(&["components:run@*", "storage:write@*", "tokens:read"])
    );

    // Applied as an ordinary edit of the complete grant set.
    let patched = app
        .patch(
            &format!("/api/v1/tokens/{ci_id}"),
            &admin,
            json!({"grants": proposed}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);

    // Everything it used still works ...
    let run = app
        .send(
            Method::POST,
            "/gw/components/keboola.ex-db/run",
            Some(&ci_secret),
            None,
        )
        .await;
    assert_eq!(run.status, 200, "{}", run.text);
    let put = app
        .send_raw(
            Method::PUT,
            "/api/v1/buckets/in.c-main/objects/load.csv",
            Some(&ci_secret),
            "text/csv",
            b"id\n2\n".to_vec(),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    let get = app
        .get("/api/v1/buckets/in.c-main/objects/load.csv", &ci_secret)
        .await;
    assert_eq!(get.status, 200, "{}", get.text);
    // ... and what it held but never used is gone.
    let other_component = app
        .send(
            Method::POST,
            "/gw/components/keboola.wr-db/run",
            Some(&ci_secret),
            None,
        )
        .await;
    assert_eq!(other_component.status, 403, "{}", other_component.text);
    let other_bucket = app
        .send_raw(
            Method::PUT,
            "/api/v1/buckets/out.c-other/objects/x.csv",
            Some(&ci_secret),
            "text/csv",
            b"x\n".to_vec(),
        )
        .await;
    assert_eq!(other_bucket.status, 403, "{}", other_bucket.text);
    let tokens = app.get("/api/v1/tokens", &ci_secret).await;
    assert_eq!(tokens.status, 403, "{}", tokens.text);

    // The window is checked.
    for bad in ["0", "366", "x"] {
        let r = app
            .get(&format!("/api/v1/tokens/{ci_id}/usage?days={bad}"), &admin)
            .await;
        assert_eq!(
            (r.status, r.code()),
            (400, "invalid_request".into()),
            "{}",
            r.text
        );
        assert_eq!(r.json()["errors"][0]["field"], "days");
    }
    // Usage comes from the audit log: seeing the token is not enough.
    let (viewer, viewer_secret) = app.create_token("viewer", g(&["tokens:read"])).await;
    let denied = app
        .get(&format!("/api/v1/tokens/{ci_id}/usage"), &viewer_secret)
        .await;
    assert_eq!(
        (denied.status, denied.code()),
        (403, "insufficient_permission".into()),
        "{}",
        denied.text
    );
    let _ = viewer;
}

#[tokio::test]
async fn a_reviewed_proposal_is_applied_in_one_step_and_audited_as_a_narrowing() {
    let app = spawn_app().await;
    let admin = app.admin_secret.clone();
    app.create_bucket("in.c-main").await;
    let (nightly, nightly_secret) = app
        .create_token("nightly", g(&["storage:read@*", "tokens:read"]))
        .await;
    let nightly_id = id(&nightly);
    let listed = app
        .get("/api/v1/buckets/in.c-main/objects", &nightly_secret)
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let u = usage_until(&app, &nightly_id, 1).await;
    assert_eq!(u["proposed_grants"], g(&["storage:read@in.c-main"]));

    // A proposal other than what the audit log gives is not applied.
    let stale = app
        .post(
            &format!("/api/v1/tokens/{nightly_id}/narrow"),
            &admin,
            json!({"grants": g(&["storage:read@*"])}),
        )
        .await;
    assert_eq!(
        (stale.status, stale.code()),
        (409, "conflict".into()),
        "{}",
        stale.text
    );
    let bad = app
        .post(
            &format!("/api/v1/tokens/{nightly_id}/narrow"),
            &admin,
            json!({"days": 0, "grants": []}),
        )
        .await;
    assert_eq!(
        (bad.status, bad.code()),
        (400, "invalid_request".into()),
        "{}",
        bad.text
    );

    let done = app
        .post(
            &format!("/api/v1/tokens/{nightly_id}/narrow"),
            &admin,
            json!({"days": 30, "grants": u["proposed_grants"]}),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(done.json()["grants"], g(&["storage:read@in.c-main"]));
    let still = app
        .get("/api/v1/buckets/in.c-main/objects", &nightly_secret)
        .await;
    assert_eq!(still.status, 200, "{}", still.text);
    let gone = app.get("/api/v1/tokens", &nightly_secret).await;
    assert_eq!(gone.status, 403, "{}", gone.text);

    // The log says what changed and why.
    let page = app
        .audit_until(&format!("target={nightly_id}"), &admin, |items| {
            items.iter().any(|e| e["action"] == "token.narrow")
                && items.iter().any(|e| e["action"] == "token.update")
        })
        .await;
    let narrow = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "token.narrow")
        .cloned()
        .expect("a token.narrow entry");
    assert_eq!(narrow["outcome"], "success");
    let detail = narrow["detail"].as_str().unwrap();
    assert!(detail.contains("storage:read@*, tokens:read"), "{detail}");
}

#[tokio::test]
async fn a_personal_key_is_explained_through_its_member_and_the_members_persona() {
    let app = spawn_app().await;
    let admin = app.admin_secret.clone();
    let persona = app
        .post(
            "/api/v1/personas",
            &admin,
            json!({"name": "Loaders", "grants": g(&["storage:write@out.c-x"])}),
        )
        .await;
    assert_eq!(persona.status, 201, "{}", persona.text);
    let persona_id = persona.json()["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            "/api/v1/members",
            &admin,
            json!({"email": "dana@example.com", "name": "Dana", "grants": g(&["storage:read@in.c-main"]), "personas": [persona_id]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let member_id = r.json()["member"]["id"].as_str().unwrap().to_string();
    let outbox = app.get("/api/v1/outbox", &admin).await.json();
    let text = outbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| {
            m["to"] == "dana@example.com" && m["text"].as_str().unwrap_or("").contains("/invite/")
        })
        .expect("an invitation email to the member")["text"]
        .as_str()
        .unwrap()
        .to_string();
    let at = text.find("/invite/").expect("an invite link");
    let code: String = text[at + 8..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let accepted = app.accept_invitation(&code).await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    let user_secret = accepted.json()["secret"].as_str().unwrap().to_string();
    let key = app
        .post(
            &format!("/api/v1/members/{member_id}/keys"),
            &user_secret,
            json!({"name": "laptop"}),
        )
        .await;
    assert_eq!(key.status, 201, "{}", key.text);
    let key_id = id(&key.json()["token"]);

    // The member asks about their own key.
    let e = explain(
        &app,
        &user_secret,
        &key_id,
        json!({"service": "storage", "permission": "read", "resource": "in.c-main"}),
    )
    .await;
    assert_eq!(e.status, 200, "{}", e.text);
    let e = e.json();
    assert_eq!(e["decision"], "allow");
    assert_eq!(
        e["via"][0]["source"],
        json!({"kind": "member", "id": member_id})
    );
    let e = explain(
        &app,
        &admin,
        &key_id,
        json!({"service": "storage", "permission": "write", "resource": "out.c-x"}),
    )
    .await
    .json();
    assert_eq!(e["decision"], "allow");
    assert_eq!(
        e["via"][0]["source"],
        json!({"kind": "member_persona", "member": member_id, "id": persona_id, "name": "Loaders"})
    );
}

fn retry_after_of(e: &Value) -> u64 {
    e["retry_after"]
        .as_u64()
        .unwrap_or_else(|| panic!("a retry_after: {e}"))
}

#[tokio::test]
async fn a_token_that_spent_its_minute_is_explained_as_rate_limited_as_the_edge_refuses_it() {
    let app = spawn_app().await;
    let admin = app.admin_secret.clone();
    app.create_bucket("in.c-main").await;
    let r = app
        .post(
            "/api/v1/tokens",
            &admin,
            json!({"name": "twice", "grants": g(&["storage:read@*"]), "rate_limit": 2}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let secret = r.json()["secret"].as_str().unwrap().to_string();
    let twice = id(&r.json()["token"]);
    let read = json!({"service": "storage", "permission": "read", "resource": "in.c-main"});

    // Asking, however often, takes nothing from the token's budget.
    for _ in 0..8 {
        let e = explain(&app, &admin, &twice, read.clone()).await;
        assert_eq!(e.status, 200, "{}", e.text);
        let e = e.json();
        assert_eq!(
            (e["decision"].clone(), e["code"].clone()),
            (json!("allow"), json!("granted")),
            "{e}"
        );
        assert!(e.get("retry_after").is_none(), "{e}");
    }
    for i in 0..2 {
        let r = app.get("/api/v1/buckets/in.c-main/objects", &secret).await;
        assert_eq!(r.status, 200, "call {i}: {}", r.text);
    }

    // Its two calls spent: refused now, whatever it asks, and for how long.
    let e = explain(&app, &admin, &twice, read.clone()).await;
    assert_eq!(e.status, 200, "{}", e.text);
    let e = e.json();
    assert_eq!(
        (e["decision"].clone(), e["code"].clone()),
        (json!("deny"), json!("rate_limited")),
        "{e}"
    );
    let wait = retry_after_of(&e);
    assert!((1..=60).contains(&wait), "{e}");
    let reason = e["reason"].as_str().unwrap();
    assert!(
        reason.contains("2 calls") && reason.contains("429"),
        "{reason}"
    );
    let write = explain(
        &app,
        &admin,
        &twice,
        json!({"service": "storage", "permission": "write", "resource": "in.c-main"}),
    )
    .await
    .json();
    assert_eq!(write["code"], "rate_limited", "{write}");
    // ... and the edge agrees: the next real call is 429.
    let real = app.get("/api/v1/buckets/in.c-main/objects", &secret).await;
    assert_eq!(
        (real.status, real.code()),
        (429, "rate_limited".into()),
        "{}",
        real.text
    );
    let header: u64 = real.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&header), "{header}");
    let write = app
        .send_raw(
            Method::PUT,
            "/api/v1/buckets/in.c-main/objects/x.csv",
            Some(&secret),
            "text/csv",
            b"a\n".to_vec(),
        )
        .await;
    assert_eq!(write.status, 429, "{}", write.text);

    // A token with uses: exhausted, never refilled, and refused at the edge.
    let r = app
        .post(
            "/api/v1/tokens",
            &admin,
            json!({"name": "two-uses", "grants": g(&["storage:read@*"]), "usage_limit": {"uses": 2}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let uses_secret = r.json()["secret"].as_str().unwrap().to_string();
    let uses_id = id(&r.json()["token"]);
    for _ in 0..3 {
        assert_eq!(
            explain(&app, &admin, &uses_id, read.clone()).await.json()["code"],
            "granted"
        );
    }
    for i in 0..2 {
        let r = app
            .get("/api/v1/buckets/in.c-main/objects", &uses_secret)
            .await;
        assert_eq!(r.status, 200, "use {i}: {}", r.text);
    }
    let e = explain(&app, &admin, &uses_id, read.clone()).await.json();
    assert_eq!(
        (e["decision"].clone(), e["code"].clone()),
        (json!("deny"), json!("usage_exhausted")),
        "{e}"
    );
    assert!(e.get("retry_after").is_none(), "{e}");
    let real = app
        .get("/api/v1/buckets/in.c-main/objects", &uses_secret)
        .await;
    assert_eq!(
        (real.status, real.code()),
        (429, "usage_exhausted".into()),
        "{}",
        real.text
    );
}

#[tokio::test]
async fn a_replaced_secret_is_explained_by_its_hint_until_its_overlap_ends() {
    let app = spawn_app().await;
    let admin = app.admin_secret.clone();
    app.create_bucket("in.c-main").await;
    let (token, old) = app
        .create_token("rotating", g(&["tokens:manage", "storage:read@*"]))
        .await;
    let rotating = id(&token);
    let old_hint = token["secret_hint"].as_str().unwrap().to_string();
    let r = app
        .post(
            &format!("/api/v1/tokens/{rotating}/refresh"),
            &admin,
            json!({"overlap_seconds": 4}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let refreshed_at = time::OffsetDateTime::now_utc();
    let new = r.json()["secret"].as_str().unwrap().to_string();
    let new_hint = r.json()["token"]["secret_hint"]
        .as_str()
        .unwrap()
        .to_string();
    let ask = |service: &str, permission: &str, resource: Option<&str>, hint: &str| {
        let mut body = json!({"service": service, "permission": permission, "secret_hint": hint});
        if let Some(r) = resource {
            body["resource"] = json!(r);
        }
        body
    };

    // The old secret still reads, and explain says until when ...
    let e = explain(
        &app,
        &admin,
        &rotating,
        ask("storage", "read", Some("in.c-main"), &old_hint),
    )
    .await;
    assert_eq!(e.status, 200, "{}", e.text);
    let e = e.json();
    assert_eq!(
        (e["decision"].clone(), e["code"].clone()),
        (json!("allow"), json!("granted")),
        "{e}"
    );
    let until = time::OffsetDateTime::parse(
        e["secret_until"].as_str().expect("secret_until"),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let overlap = until - refreshed_at;
    assert!(
        overlap > time::Duration::ZERO && overlap <= time::Duration::seconds(5),
        "{e}"
    );
    assert!(
        e["reason"].as_str().unwrap().contains("works only until"),
        "{e}"
    );
    assert_eq!(
        app.get("/api/v1/buckets/in.c-main/objects", &old)
            .await
            .status,
        200
    );
    // ... but may not manage tokens, though its token holds tokens:manage
    // (the hint as typed with three dots is the same hint).
    let e = explain(
        &app,
        &admin,
        &rotating,
        ask("tokens", "manage", None, &old_hint.replace('…', "...")),
    )
    .await
    .json();
    assert_eq!(
        (e["decision"].clone(), e["code"].clone()),
        (json!("deny"), json!("retired_secret")),
        "{e}"
    );
    assert_eq!(
        e["secret_until"].as_str(),
        Some(
            until
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap()
                .as_str()
        ),
        "{e}"
    );
    let real = app
        .patch(
            &format!("/api/v1/tokens/{rotating}"),
            &old,
            json!({"name": "hijacked"}),
        )
        .await;
    assert_eq!(
        (real.status, real.code()),
        (403, "retired_secret".into()),
        "{}",
        real.text
    );
    // The new secret may.
    let e = explain(
        &app,
        &admin,
        &rotating,
        ask("tokens", "manage", None, &new_hint),
    )
    .await
    .json();
    assert_eq!(
        (e["decision"].clone(), e["code"].clone()),
        (json!("allow"), json!("granted")),
        "{e}"
    );
    assert!(e.get("secret_until").is_none(), "{e}");

    // A hint that no secret could have is a field error.
    let bad = explain(
        &app,
        &admin,
        &rotating,
        ask("tokens", "manage", None, "1234"),
    )
    .await;
    assert_eq!(
        (bad.status, bad.code()),
        (400, "invalid_request".into()),
        "{}",
        bad.text
    );
    assert_eq!(bad.json()["errors"][0]["field"], "secret_hint");

    // Once the overlap is over, the old hint names no working secret, and
    // the old secret is 401.
    let left = until - time::OffsetDateTime::now_utc();
    if left > time::Duration::ZERO {
        tokio::time::sleep(Duration::from_millis(
            left.whole_milliseconds() as u64 + 300,
        ))
        .await;
    }
    let e = explain(
        &app,
        &admin,
        &rotating,
        ask("storage", "read", Some("in.c-main"), &old_hint),
    )
    .await
    .json();
    assert_eq!(
        (e["decision"].clone(), e["code"].clone()),
        (json!("deny"), json!("secret_unknown")),
        "{e}"
    );
    assert!(e["reason"].as_str().unwrap().contains(&old_hint), "{e}");
    let real = app.get("/api/v1/buckets/in.c-main/objects", &old).await;
    assert_eq!(
        (real.status, real.code()),
        (401, "invalid_token".into()),
        "{}",
        real.text
    );

    // A refresh without overlap: the secret it replaces is unknown at once.
    let r = app
        .post(
            &format!("/api/v1/tokens/{rotating}/refresh"),
            &admin,
            json!({"overlap_seconds": 0}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let e = explain(
        &app,
        &admin,
        &rotating,
        ask("storage", "read", Some("in.c-main"), &new_hint),
    )
    .await
    .json();
    assert_eq!(e["code"], "secret_unknown", "{e}");
    let real = app.get("/api/v1/buckets/in.c-main/objects", &new).await;
    assert_eq!(
        (real.status, real.code()),
        (401, "invalid_token".into()),
        "{}",
        real.text
    );
}

/// Names on one page of `GET /tokens` with this query.
async fn listed(app: &TestApp, query: &str) -> Vec<String> {
    let r = app
        .get(
            &format!("/api/v1/tokens?limit=100&{query}"),
            &app.admin_secret,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

/// Feature 2's idle tokens: `?unused_for=` lists the tokens with no call
/// for that long, a never-used one counting from its creation, so they can
/// be disabled together; a span that is not one is 400 naming the field.
#[tokio::test]
async fn tokens_not_used_for_a_while_are_listed_and_go_once_disabled() {
    let app = spawn_app().await;
    let admin = app.admin_secret.clone();
    let (idle, _) = app.create_token("idle", json!([])).await;
    let (busy, busy_secret) = app.create_token("busy", json!([])).await;
    // Spans of seconds: "idle" is 8 s old when listed for 6 s unused;
    // "busy" calls then, and is listed within the audit delay (5 s).
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert_eq!(app.get("/api/v1/whoami", &busy_secret).await.status, 200);
    let called = Instant::now();
    while app
        .get(&format!("/api/v1/tokens/{}", id(&busy)), &admin)
        .await
        .json()["last_used_at"]
        .is_null()
    {
        assert!(
            called.elapsed() < AUDIT_DELAY,
            "busy's use not noted within the audit delay"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.create_token("fresh", json!([])).await;

    let names = listed(&app, "unused_for=6s").await;
    assert!(names.contains(&"idle".to_string()), "{names:?}");
    assert!(
        !names.contains(&"busy".to_string()),
        "used within the span: {names:?}"
    );
    assert!(
        !names.contains(&"fresh".to_string()),
        "made within the span: {names:?}"
    );
    assert!(!listed(&app, "unused_for=1h")
        .await
        .contains(&"idle".to_string()));

    let r = app
        .patch(
            &format!("/api/v1/tokens/{}", id(&idle)),
            &admin,
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let names = listed(&app, "unused_for=6s&enabled=true").await;
    assert!(!names.contains(&"idle".to_string()), "{names:?}");

    for bad in ["0d", "soon", "30"] {
        let r = app
            .get(&format!("/api/v1/tokens?unused_for={bad}"), &admin)
            .await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
        assert_eq!(r.json()["code"], "invalid_request");
        assert_eq!(r.json()["errors"][0]["field"], "unused_for", "{}", r.text);
    }
}
