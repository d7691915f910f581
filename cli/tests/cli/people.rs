//! `keyward personas|members|projects` and the token options that use them,
//! against the real worker.

use crate::common::{spawn_app, Kw};
use serde_json::json;

#[tokio::test]
async fn personas_are_created_linked_as_a_set_and_deleted_with_unlink() {
    let app = spawn_app().await;
    let kw = Kw::admin(&app);
    let id = kw
        .run(&[
            "personas",
            "create",
            "Finance readers",
            "-g",
            "storage:read@finance",
            "--quiet",
        ])
        .await
        .ok()
        .stdout
        .trim()
        .to_string();
    assert!(id.starts_with("per_"), "{id}");
    let other = kw
        .run(&[
            "personas",
            "create",
            "Auditors",
            "-g",
            "audit:read",
            "--quiet",
        ])
        .await
        .ok()
        .stdout
        .trim()
        .to_string();
    let token = kw
        .run(&[
            "tokens",
            "create",
            "analyst",
            "--persona",
            &id,
            "--persona",
            &other,
            "--json",
        ])
        .await
        .ok()
        .json();
    assert_eq!(token["token"]["personas"], json!([id, other]));
    let token_id = token["token"]["id"].as_str().unwrap().to_string();
    let secret = token["secret"].as_str().unwrap().to_string();
    let me = kw
        .as_token(&secret)
        .run(&["whoami", "--json"])
        .await
        .ok()
        .json();
    assert!(me["permissions"].to_string().contains("finance"), "{me}");

    // --persona on update is the complete set.
    let updated = kw
        .run(&["tokens", "update", &token_id, "--persona", &other, "--json"])
        .await
        .ok()
        .json();
    assert_eq!(updated["personas"], json!([other]));
    let human = kw.run(&["tokens", "get", &token_id]).await.ok();
    assert!(human.stdout.contains(&other), "{human}");

    let list = kw.run(&["personas", "list"]).await.ok();
    assert!(
        list.stdout.contains("Finance readers") && list.stdout.contains("Auditors"),
        "{list}"
    );
    kw.run(&["personas", "delete", &other, "--yes"])
        .await
        .fails(1, "persona_in_use");
    kw.run(&["personas", "delete", &other, "--unlink", "--yes"])
        .await
        .ok();
    let after = kw
        .run(&["tokens", "get", &token_id, "--json"])
        .await
        .ok()
        .json();
    assert_eq!(after["personas"], json!([]));
}

#[tokio::test]
async fn project_tokens_and_global_keys() {
    let app = spawn_app().await;
    let kw = Kw::admin(&app);
    kw.run(&["projects", "create", "beta", "--name", "Project Beta"])
        .await
        .ok();
    let list = kw.run(&["projects", "list", "--quiet"]).await.ok();
    assert_eq!(list.stdout, "beta\ndefault\n");
    let t = kw
        .run(&[
            "tokens",
            "create",
            "beta-writer",
            "--project",
            "beta",
            "-g",
            "storage:write@*",
            "--json",
        ])
        .await
        .ok()
        .json();
    assert_eq!(t["token"]["project"], "beta");
    let listed = kw
        .run(&["tokens", "list", "--project", "beta", "--quiet"])
        .await
        .ok();
    assert_eq!(listed.stdout.lines().count(), 1, "{listed}");

    let g = kw
        .run(&[
            "tokens",
            "create",
            "deployer",
            "--global",
            "--project-grant",
            "beta=storage:write@*",
            "--project-grant",
            "default=storage:read@*",
            "--json",
        ])
        .await
        .ok()
        .json();
    assert_eq!(g["token"]["kind"], "global");
    assert_eq!(
        g["token"]["project_grants"]["beta"][0]["permission"],
        "write"
    );
    assert!(g["secret"].as_str().unwrap().starts_with("kw_g_"));
    // Malformed project grants are usage errors, before any request.
    kw.run(&[
        "tokens",
        "create",
        "x",
        "--global",
        "--project-grant",
        "Beta=storage:read",
    ])
    .await
    .fails(2, "");
    kw.run(&[
        "tokens",
        "create",
        "x",
        "--project-grant",
        "beta=storage:read",
    ])
    .await
    .fails(2, "");
}

#[tokio::test]
async fn members_are_invited_and_create_their_own_keys() {
    let app = spawn_app().await;
    let kw = Kw::admin(&app);
    let member = kw
        .run(&[
            "members",
            "invite",
            "--email",
            "dana@example.com",
            "--name",
            "Dana",
            "-g",
            "storage:read@*",
            "--json",
        ])
        .await
        .ok()
        .json();
    let member_id = member["member"]["id"].as_str().unwrap().to_string();
    assert_eq!(member["member"]["status"], "invited");
    // Dana accepts the emailed link (the dev outbox holds it).
    let dana = app.user_token_for("dana@example.com").await;

    // The admin cannot create Dana's key; Dana can.
    kw.run(&["members", "keys", "create", &member_id, "laptop"])
        .await
        .fails(1, "insufficient_permission");
    let key = kw
        .as_token(&dana)
        .run(&[
            "members",
            "keys",
            "create",
            &member_id,
            "laptop",
            "--expires-in",
            "90d",
            "--quiet",
        ])
        .await
        .ok()
        .secret();
    assert!(key.starts_with("kw_p_"));
    let keys = kw.run(&["members", "keys", "list", &member_id]).await.ok();
    assert!(keys.stdout.contains("dana@example.com · laptop"), "{keys}");
    let members = kw.run(&["members", "list"]).await.ok();
    assert!(members.stdout.contains("active"), "{members}");

    kw.run(&["members", "update", &member_id, "--clear-grants"])
        .await
        .ok();
    let who = kw
        .as_token(&key)
        .run(&["whoami", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(who["permissions"], json!([]), "the key follows its user");
    kw.run(&["members", "delete", &member_id, "--yes"])
        .await
        .ok();
    kw.as_token(&key)
        .run(&["whoami"])
        .await
        .fails(1, "invalid_token");
}

/// `--dry-run` previews a persona edit or delete, a member's edit or
/// removal and a project's expiry policy: the tokens it would reach, and
/// nothing changed.
#[tokio::test]
async fn dry_run_previews_a_change_and_changes_nothing() {
    let app = spawn_app().await;
    let kw = Kw::admin(&app);
    let persona = kw
        .run(&[
            "personas",
            "create",
            "Writers",
            "-g",
            "storage:write@*",
            "--quiet",
        ])
        .await
        .ok()
        .stdout
        .trim()
        .to_string();
    let token = kw
        .run(&[
            "tokens",
            "create",
            "loader",
            "--persona",
            &persona,
            "--json",
        ])
        .await
        .ok()
        .json();
    let token_id = token["token"]["id"].as_str().unwrap().to_string();

    let preview = kw
        .run(&[
            "personas",
            "update",
            &persona,
            "-g",
            "storage:read@*",
            "--dry-run",
            "--json",
        ])
        .await
        .ok()
        .json();
    assert_eq!(preview["dry_run"], true);
    assert_eq!(preview["tokens"][0]["id"], json!(token_id));
    let lost = preview["tokens"][0]["projects"][0]["lost"].to_string();
    assert!(lost.contains("write"), "{preview}");
    let human = kw
        .run(&[
            "personas",
            "update",
            &persona,
            "-g",
            "storage:read@*",
            "--dry-run",
        ])
        .await
        .ok()
        .stdout;
    assert!(human.contains("nothing was changed"), "{human}");
    assert!(human.contains("-storage:write@*"), "{human}");
    assert!(human.contains("loader"), "{human}");

    // A dry-run delete asks nothing and deletes nothing.
    let ids = kw
        .run(&[
            "personas",
            "delete",
            &persona,
            "--unlink",
            "--dry-run",
            "--quiet",
        ])
        .await
        .ok()
        .stdout;
    assert_eq!(ids.trim(), token_id);
    let listed = kw.run(&["personas", "list", "--json"]).await.ok().json();
    assert!(listed.to_string().contains("storage"), "{listed}");
    assert!(listed.to_string().contains("write"), "{listed}");

    // A project's expiry policy names the token that never expires.
    kw.run(&["projects", "create", "ops", "--name", "Ops"])
        .await
        .ok();
    let forever = kw
        .run(&["tokens", "create", "forever", "--project", "ops", "--json"])
        .await
        .ok()
        .json();
    let out = kw
        .run(&[
            "projects",
            "update",
            "ops",
            "--max-lifetime",
            "30d",
            "--require-expiry",
            "--dry-run",
        ])
        .await
        .ok()
        .stdout;
    assert!(out.contains("forever"), "{out}");
    assert!(out.contains("keeps its expiry"), "{out}");
    let projects = kw.run(&["projects", "list", "--json"]).await.ok().json();
    assert!(!projects.to_string().contains("2592000"), "{projects}");
    let _ = forever;

    // A member's edit and removal.
    let invited = kw
        .run(&[
            "members",
            "invite",
            "--email",
            "dana@example.com",
            "--name",
            "Dana",
            "-g",
            "storage:read@*",
            "--json",
        ])
        .await
        .ok()
        .json();
    let member = invited["member"]["id"].as_str().unwrap().to_string();
    let edit = kw
        .run(&[
            "members",
            "update",
            &member,
            "--clear-grants",
            "--dry-run",
            "--json",
        ])
        .await
        .ok()
        .json();
    assert_eq!(edit["tokens"][0]["kind"], "user", "{edit}");
    let removal = kw
        .run(&["members", "delete", &member, "--dry-run", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(removal["tokens"][0]["deleted"], true, "{removal}");
    let still = kw.run(&["members", "list", "--json"]).await.ok().json();
    assert!(still.to_string().contains("storage"), "{still}");
}
