//! The peer controls from the command line (issue 17): disable and enable,
//! not-before, allowed networks, metadata, usage limits, the list filters
//! and `verify --ip`, and a project's expiry policy.

use crate::common::{spawn_app, Kw};

#[tokio::test]
async fn token_controls_are_set_shown_and_enforced() {
    let app = spawn_app().await;
    let kw = Kw::admin(&app);
    let created = kw
        .run(&[
            "tokens",
            "create",
            "billing-ci",
            "--allow-ip",
            "127.0.0.1",
            "--allow-ip",
            "2001:db8::/32",
            "--meta",
            "team=payments",
            "--meta",
            "tier=2",
            "--uses",
            "100",
            "--refill",
            "daily",
            "--json",
        ])
        .await
        .ok()
        .json();
    let id = created["token"]["id"].as_str().unwrap().to_string();
    let secret = created["secret"].as_str().unwrap().to_string();
    assert_eq!(created["token"]["allowed_ips"][1], "2001:db8::/32");
    assert_eq!(created["token"]["meta"]["tier"], 2, "JSON values stay JSON");
    assert_eq!(created["token"]["usage_limit"]["refill"], "daily");

    let shown = kw.run(&["tokens", "get", &id]).await.ok();
    assert!(
        shown.stdout.contains("127.0.0.1/32, 2001:db8::/32"),
        "{shown}"
    );
    assert!(
        shown.stdout.contains("100 left of 100, refilled daily"),
        "{shown}"
    );
    assert!(
        shown.stdout.contains(r#"{"team":"payments","tier":2}"#),
        "{shown}"
    );

    let found = kw
        .run(&["tokens", "list", "--meta", "team=payments", "--quiet"])
        .await
        .ok();
    assert_eq!(found.stdout.trim(), id);

    kw.run(&["tokens", "update", &id, "--disable"]).await.ok();
    let disabled = kw
        .run(&["tokens", "list", "--disabled", "--quiet"])
        .await
        .ok();
    assert_eq!(disabled.stdout.trim(), id);
    kw.as_token(&secret)
        .run(&["whoami"])
        .await
        .fails(1, "token_disabled");
    kw.run(&[
        "tokens",
        "update",
        &id,
        "--enable",
        "--any-ip",
        "--clear-meta",
        "--unlimited-uses",
    ])
    .await
    .ok();
    let me = kw
        .as_token(&secret)
        .run(&["whoami", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(me["token"]["enabled"], true);
    assert_eq!(me["token"]["allowed_ips"].as_array().map(Vec::len), Some(0));
    assert!(me["token"].get("usage_limit").is_none(), "{me}");

    // A bad network is named, and nothing is created.
    kw.run(&["tokens", "create", "typo", "--allow-ip", "10.1.2.3/8"])
        .await
        .fails(1, "allowed_ips[0]");
}

#[tokio::test]
async fn a_project_expiry_policy_from_the_command_line() {
    let app = spawn_app().await;
    let kw = Kw::admin(&app);
    let out = kw
        .run(&[
            "projects",
            "update",
            "default",
            "--max-lifetime",
            "90d",
            "--require-expiry",
        ])
        .await
        .ok();
    assert!(out.stdout.contains("at most 90 days"), "{out}");
    kw.run(&["tokens", "create", "forever"])
        .await
        .fails(1, "requires an expiry within 90 days");
    kw.run(&["tokens", "create", "quarterly", "--expires-in", "30d"])
        .await
        .ok();
}

/// Idle tokens (issue 18): `tokens list --unused-for` lists the tokens
/// with no call for that long, one id a line with `--quiet` for a bulk
/// `tokens update --disable`.
#[tokio::test]
async fn idle_tokens_are_listed_for_a_bulk_disable() {
    let app = spawn_app().await;
    let kw = Kw::admin(&app);
    let created = kw
        .run(&["tokens", "create", "forgotten", "--json"])
        .await
        .ok()
        .json();
    let id = created["token"]["id"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let idle = kw
        .run(&["tokens", "list", "--unused-for", "2s", "--quiet"])
        .await
        .ok();
    assert!(idle.stdout.lines().any(|l| l == id), "{idle}");
    let recent = kw
        .run(&["tokens", "list", "--unused-for", "1h", "--quiet"])
        .await
        .ok();
    assert!(!recent.stdout.lines().any(|l| l == id), "{recent}");
    kw.run(&["tokens", "list", "--unused-for", "soon"])
        .await
        .fails(2, "not a duration");
}
