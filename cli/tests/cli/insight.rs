//! `keyward explain` and `keyward usage` (issue 18).

use crate::common::{create_token, spawn_app, Kw};
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

#[tokio::test]
async fn explain_asks_about_a_secret_by_its_hint_and_says_when_to_retry() {
    let app = spawn_app().await;
    let kw = Kw::admin(&app);
    let (id, _) = create_token(&kw, "rotating", &["tokens:manage", "storage:read@*"]).await;
    let shown = kw.run(&["tokens", "get", &id, "--json"]).await.ok().json();
    let old_hint = shown["secret_hint"].as_str().expect("a hint").to_string();
    kw.run(&["tokens", "refresh", &id, "--overlap", "1h", "--quiet"])
        .await
        .ok();

    // The old secret, typed with three dots: it reads until its overlap
    // ends, and never manages tokens.
    let typed = old_hint.replace('…', "...");
    let read = kw
        .run(&[
            "explain",
            &id,
            "storage",
            "read",
            "--resource",
            "in.c-main",
            "--secret-hint",
            &typed,
        ])
        .await
        .ok();
    assert!(
        read.stderr
            .contains("ALLOW (granted): this secret works until 20"),
        "{read}"
    );
    assert!(read.stdout.contains("secret works until"), "{read}");
    let manage = kw
        .run(&[
            "explain",
            &id,
            "tokens",
            "manage",
            "--secret-hint",
            &old_hint,
        ])
        .await
        .fails(1, "DENY (retired_secret): this secret works until 20");
    assert!(manage.stdout.contains("replaced by a refresh"), "{manage}");
    let json = kw
        .run(&[
            "explain",
            &id,
            "tokens",
            "manage",
            "--secret-hint",
            &old_hint,
            "--json",
        ])
        .await;
    assert_eq!(json.code, 1, "{json}");
    let json = json.json();
    assert_eq!(json["code"], "retired_secret");
    assert!(json["secret_until"].is_string(), "{json}");
    // The new secret manages; a hint no working secret has is refused as
    // the edge would refuse that secret.
    let now = kw.run(&["tokens", "get", &id, "--json"]).await.ok().json();
    kw.run(&[
        "explain",
        &id,
        "tokens",
        "manage",
        "--secret-hint",
        now["secret_hint"].as_str().unwrap(),
    ])
    .await
    .ok();
    kw.run(&[
        "explain",
        &id,
        "tokens",
        "manage",
        "--secret-hint",
        "kw_m_…zzzz",
    ])
    .await
    .fails(1, "DENY (secret_unknown)");
    // Not a hint at all: a usage error before any request.
    kw.run(&["explain", &id, "tokens", "manage", "--secret-hint", "zzzz"])
        .await
        .fails(2, "not a secret's hint");

    // A token allowed one call a minute, spent: how long until the next.
    let v = kw
        .run(&[
            "tokens",
            "create",
            "once",
            "--grant",
            "storage:read@*",
            "--rate-limit",
            "1",
            "--json",
        ])
        .await
        .ok()
        .json();
    let once = v["token"]["id"].as_str().unwrap().to_string();
    let once_secret = v["secret"].as_str().unwrap().to_string();
    kw.run(&["explain", &once, "storage", "read", "--resource", "b"])
        .await
        .ok();
    kw.as_token(&once_secret).run(&["whoami"]).await.ok();
    let limited = kw
        .run(&["explain", &once, "storage", "read", "--resource", "b"])
        .await
        .fails(1, "DENY (rate_limited): retry after ");
    assert!(limited.stdout.contains("retry after"), "{limited}");
    kw.as_token(&once_secret)
        .run(&["whoami"])
        .await
        .fails(1, "rate_limited");
}
