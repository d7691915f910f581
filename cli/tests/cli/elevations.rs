//! `keyward elevations` (issue 18): a contractor's token raised for a
//! while, listed, ended; a project that needs a second admin's approval.

use crate::common::{create_token, spawn_app, Kw, Out};

/// `keyward explain` as the token itself: may it write to in.c-main now?
async fn may_write(kw: &Kw, secret: &str, id: &str) -> Out {
    kw.as_token(secret)
        .run(&["explain", id, "storage", "write", "--resource", "in.c-main"])
        .await
}

#[tokio::test]
async fn an_elevation_is_added_listed_and_ended() {
    let app = spawn_app().await;
    let kw = Kw::admin(&app);
    let (id, secret) = create_token(&kw, "contractor", &[]).await;
    let denied = may_write(&kw, &secret, &id).await;
    denied.fails(1, "DENY");

    let added = kw
        .run(&[
            "elevations",
            "add",
            &id,
            "-g",
            "storage:write@in.c-main",
            "--for",
            "1h",
            "--reason",
            "Backfill March (OPS-7)",
            "--json",
        ])
        .await
        .ok()
        .json();
    assert_eq!(added["status"], "active");
    let elevation = added["id"].as_str().unwrap().to_string();
    let allowed = may_write(&kw, &secret, &id).await.ok();
    assert!(
        allowed.stdout.contains("Backfill March (OPS-7)"),
        "{allowed}"
    );

    let list = kw.run(&["elevations", "list", &id]).await.ok();
    assert!(list.stdout.contains(&elevation), "{list}");
    assert!(list.stdout.contains("storage:write@in.c-main"), "{list}");
    assert!(list.stdout.contains("Backfill March (OPS-7)"), "{list}");

    kw.run(&["elevations", "end", &id, &elevation, "--yes"])
        .await
        .ok();
    let list = kw.run(&["elevations", "list", &id, "--quiet"]).await.ok();
    assert_eq!(list.stdout.trim(), "", "{list}");
    may_write(&kw, &secret, &id).await.fails(1, "DENY");

    // Usage errors before any request.
    kw.run(&["elevations", "add", &id, "--for", "1h", "--reason", "x"])
        .await
        .fails(2, "--grant");
    kw.run(&[
        "elevations",
        "add",
        &id,
        "-g",
        "storage:read@b",
        "--reason",
        "x",
    ])
    .await
    .fails(2, "--for");
}

#[tokio::test]
async fn a_pending_elevation_needs_another_admin() {
    let app = spawn_app().await;
    let kw = Kw::admin(&app);
    kw.run(&["projects", "update", "default", "--elevation-approval"])
        .await
        .ok();
    let (id, _) = create_token(&kw, "contractor", &[]).await;
    let added = kw
        .run(&[
            "elevations",
            "add",
            &id,
            "-g",
            "storage:read@in.c-main",
            "--for",
            "2h",
            "--reason",
            "audit week",
        ])
        .await
        .ok();
    assert!(added.stdout.contains("pending approval"), "{added}");
    assert!(
        added.stderr.contains("keyward elevations approve"),
        "{added}"
    );
    let elevation = kw
        .run(&["elevations", "list", &id, "--quiet"])
        .await
        .ok()
        .stdout
        .trim()
        .to_string();
    kw.run(&["elevations", "approve", &id, &elevation])
        .await
        .fails(1, "self_approval");
    let second = kw
        .run(&[
            "admins",
            "create",
            "--email",
            "second@example.com",
            "--name",
            "Second",
            "--quiet",
        ])
        .await
        .ok()
        .secret();
    let approved = kw
        .as_token(&second)
        .run(&["elevations", "approve", &id, &elevation])
        .await
        .ok();
    assert!(approved.stdout.contains("active"), "{approved}");
}
