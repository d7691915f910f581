//! `keyward admins list|create|delete` (apinode-admin's admin-keys-list,
//! admin-key-create, admin-key-delete).

use crate::common::{create_token, spawn_app, Kw};
use keyward_domain::api::{AdminCreated, AdminList};

#[tokio::test]
async fn create_list_and_delete_admins() {
    let app = spawn_app().await;
    let kw = Kw::admin(&app);

    let list: AdminList =
        serde_json::from_str(&kw.run(&["admins", "list", "--json"]).await.ok().stdout)
            .expect("AdminList");
    assert_eq!(list.items.len(), 1);
    let first = list.items[0].id.clone();

    // --quiet: the new master secret alone, and it works.
    let out = kw
        .run(&[
            "admins",
            "create",
            "--email",
            "Ops@Example.com",
            "--name",
            "Ops",
            "--quiet",
        ])
        .await
        .ok();
    let secret = out.secret();
    assert_eq!(out.stdout, format!("{secret}\n"), "{out}");
    assert!(secret.starts_with("kw_m_"), "{out}");
    let me = kw
        .as_token(&secret)
        .run(&["whoami", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(me["token"]["kind"], "master");

    // --json parses into the shared type; human output shows the secret once.
    let created: AdminCreated = serde_json::from_str(
        &kw.run(&[
            "admins",
            "create",
            "--email",
            "ci@example.com",
            "--name",
            "CI",
            "--json",
        ])
        .await
        .ok()
        .stdout,
    )
    .expect("AdminCreated");
    assert_eq!(created.admin.email, "ci@example.com");
    let human = kw
        .run(&[
            "admins",
            "create",
            "--email",
            "h@example.com",
            "--name",
            "H",
        ])
        .await
        .ok();
    assert!(human.stdout.contains("secret: kw_m_"), "{human}");
    assert!(human.stdout.contains("h@example.com"), "{human}");

    let table = kw.run(&["admins", "list"]).await.ok();
    assert_eq!(
        table.stdout.lines().count(),
        5,
        "header + 4 admins: {table}"
    );
    assert!(table.stdout.contains("ops@example.com"), "{table}");
    let ids = kw.run(&["admins", "list", "-q"]).await.ok();
    assert_eq!(ids.stdout.lines().count(), 4, "{ids}");

    // Refusals: a taken email, bad input, an unknown id.
    kw.run(&[
        "admins",
        "create",
        "--email",
        "ops@example.com",
        "--name",
        "Again",
    ])
    .await
    .fails(1, "conflict");
    kw.run(&["admins", "create", "--email", "not-an-email", "--name", "X"])
        .await
        .fails(1, "invalid_request");
    kw.run(&["admins", "delete", "adm_nope", "--yes"])
        .await
        .fails(1, "not_found");

    // delete: --yes required without a terminal; removes the master token.
    let ops_id = created_id(&kw, "ops@example.com").await;
    kw.run(&["admins", "delete", &ops_id])
        .await
        .fails(2, "--yes");
    let del = kw.run(&["admins", "delete", &ops_id, "--yes"]).await.ok();
    assert!(del.stdout.contains("Removed admin"), "{del}");
    kw.as_token(&secret)
        .run(&["whoami"])
        .await
        .fails(1, "invalid_token");

    // Removing the others leaves one admin, who cannot be removed.
    for email in ["ci@example.com", "h@example.com"] {
        let id = created_id(&kw, email).await;
        kw.run(&["admins", "delete", &id, "--yes", "--json"])
            .await
            .ok()
            .json();
    }
    kw.run(&["admins", "delete", &first, "--yes"])
        .await
        .fails(1, "conflict");
}

async fn created_id(kw: &Kw, email: &str) -> String {
    let list = kw.run(&["admins", "list", "--json"]).await.ok().json();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == email)
        .and_then(|a| a["id"].as_str())
        .unwrap_or_else(|| panic!("no admin {email}: {list}"))
        .to_string()
}

#[tokio::test]
async fn only_master_tokens_manage_admins() {
    let app = spawn_app().await;
    let kw = Kw::admin(&app);
    let (_, manager) = create_token(&kw, "manager", &["tokens:manage"]).await;
    let weak = kw.as_token(&manager);
    for args in [
        vec!["admins", "list"],
        vec![
            "admins",
            "create",
            "--email",
            "x@example.com",
            "--name",
            "X",
        ],
    ] {
        let out = weak.run(&args).await.fails(1, "insufficient_permission");
        assert!(out.stdout.is_empty(), "{out}");
    }
}

/// `keyward tokens recover`: another admin's master token gets a new
/// secret, emailed to its admin (here the dev outbox); the CLI prints
/// where it went and never the secret.
#[tokio::test]
async fn an_admin_recovers_another_admins_master_token() {
    let app = spawn_app().await;
    let kw = Kw::admin(&app);
    let created: AdminCreated = serde_json::from_str(
        &kw.run(&[
            "admins",
            "create",
            "--email",
            "ops@example.com",
            "--name",
            "Ops",
            "--json",
        ])
        .await
        .ok()
        .stdout,
    )
    .expect("AdminCreated");
    let out = kw
        .run(&["tokens", "recover", &created.master_token.id])
        .await
        .ok();
    assert!(out.stdout.contains("ops@example.com"), "{out}");
    assert!(!out.stdout.contains("kw_m_"), "no secret printed: {out}");
    // The old secret stopped; the one in the admin's email works.
    let secret = created.secret.expect("the CLI asks for the master secret");
    let old = kw.as_token(&secret).run(&["whoami"]).await;
    assert_ne!(old.code, 0, "{old}");
    let mail = app.newest_mail_to("ops@example.com").await;
    let at = mail.find("kw_m_").expect("the new secret in the email");
    let fresh: String = mail[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    kw.as_token(&fresh).run(&["whoami"]).await.ok();
    // Their own master token is refreshed, not recovered.
    kw.run(&["tokens", "recover", &admin_token_id(&kw).await])
        .await
        .fails(1, "conflict");
}

async fn admin_token_id(kw: &Kw) -> String {
    kw.run(&["whoami", "--json"]).await.ok().json()["token"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}
