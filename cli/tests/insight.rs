//! `keyward explain` and `keyward usage` (issue 18).

mod common;

use common::{create_token, spawn_app, Kw};
use std::time::{Duration, Instant};

#[tokio::test]
async fn explain_answers_with_the_derivation_and_exits_1_on_deny() {
    let app = spawn_app().await;
    let kw = Kw::admin(&app);
    let (id, secret) = create_token(&kw, "loader", &["storage:write@in.c-main"]).await;

    let ok = kw
        .run(&["explain", &id, "storage", "read", "--resource", "in.c-main"])
        .await
        .ok();
    assert!(ok.stdout.contains("storage:write@in.c-main"), "{ok}");
    assert!(ok.stdout.contains("write implies read"), "{ok}");
    assert!(ok.stdout.contains("the token's own grants"), "{ok}");
    assert!(ok.stderr.contains("ALLOW (granted)"), "{ok}");

    let json = kw
        .run(&[
            "explain",
            &id,
            "storage",
            "read",
            "--resource",
            "in.c-main",
            "--json",
        ])
        .await
        .ok()
        .json();
    assert_eq!(json["decision"], "allow");
    assert_eq!(json["via"][0]["implied"], true);

    // A token may ask about itself.
    let denied = kw
        .as_token(&secret)
        .run(&["explain", &id, "storage", "write", "--resource", "out.c-x"])
        .await
        .fails(1, "DENY (no_grant): missing storage:write@out.c-x");
    assert!(denied.stdout.contains("no grant admits"), "{denied}");

    let routes = kw.run(&["explain", &id, "--routes"]).await.ok();
    assert!(routes.stdout.contains("component.run"), "{routes}");
    assert!(routes.stdout.contains("components:run@*"), "{routes}");
    assert!(
        routes.stdout.contains("/gw/reports/{bucket}/{path*}"),
        "{routes}"
    );

    // Refused by the API, and usage errors before any request.
    kw.run(&["explain", &id, "storage", "fly", "--resource", "x"])
        .await
        .fails(1, "unknown_permission");
    kw.run(&[
        "explain",
        "tok_missing",
        "storage",
        "read",
        "--resource",
        "x",
    ])
    .await
    .fails(1, "not_found");
    kw.run(&["explain", &id, "storage"])
        .await
        .fails(2, "<PERMISSION>");
    kw.run(&["explain", &id, "storage", "read", "--project", "../x"])
        .await
        .fails(2, "project");
}

#[tokio::test]
async fn usage_lists_what_was_used_and_proposes_a_narrower_set() {
    let app = spawn_app().await;
    let kw = Kw::admin(&app);
    app.create_bucket("in.c-main").await;
    let (id, secret) = create_token(&kw, "ci", &["storage:read@*", "tokens:read"]).await;
    let listed = app.get("/api/v1/buckets/in.c-main/objects", &secret).await;
    assert_eq!(listed.status, 200, "{}", listed.text);

    // The audit store is written after the answer.
    let started = Instant::now();
    let quiet = loop {
        let out = kw.run(&["usage", &id, "--quiet"]).await.ok();
        if out.stdout.contains("storage:read@in.c-main")
            || started.elapsed() > Duration::from_secs(10)
        {
            break out;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(quiet.stdout, "storage:read@in.c-main\n", "{quiet}");
    let human = kw.run(&["usage", &id, "--days", "7"]).await.ok();
    assert!(human.stdout.contains("tokens:read"), "{human}");
    assert!(human.stdout.contains("never"), "{human}");
    assert!(human.stdout.contains("1 in the last 7 days"), "{human}");
    let json = kw.run(&["usage", &id, "--json"]).await.ok().json();
    assert_eq!(json["days"], 30);
    assert_eq!(json["calls"], 1);

    kw.run(&["usage", &id, "--days", "0"])
        .await
        .fails(2, "days");
    kw.run(&["usage", &id, "--days", "366"])
        .await
        .fails(2, "days");
}
