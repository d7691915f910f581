//! `keyward invitations send|list|resend|revoke` (the worker without an
//! email provider keeps messages in its dev outbox).

use crate::common::{create_token, spawn_app, Kw};
use keyward_domain::api::{InvitationCreated, InvitationList};

#[tokio::test]
async fn send_list_resend_and_revoke() {
    let app = spawn_app().await;
    let kw = Kw::admin(&app);
    let (token_id, _) = create_token(&kw, "for-dana", &["storage:read@in.c-x"]).await;
    let (other_id, _) = create_token(&kw, "for-eli", &[]).await;

    let sent: InvitationCreated = serde_json::from_str(
        &kw.run(&[
            "invitations",
            "send",
            &token_id,
            "--email",
            "dana@example.com",
            "--message",
            "for the EU pipeline",
            "--expires-in",
            "3d",
            "--json",
        ])
        .await
        .ok()
        .stdout,
    )
    .expect("InvitationCreated");
    assert_eq!(sent.invitation.email, "dana@example.com");
    assert_eq!(sent.invitation.token_id, token_id);
    let left = sent.invitation.expires_at - time::OffsetDateTime::now_utc();
    assert!(
        left > time::Duration::days(2) && left <= time::Duration::days(3),
        "{left}"
    );

    let human = kw
        .run(&[
            "invitations",
            "send",
            &other_id,
            "--email",
            "eli@example.com",
        ])
        .await
        .ok();
    assert!(human.stdout.contains("eli@example.com"), "{human}");
    assert!(human.stdout.contains("for-eli"), "{human}");
    let quiet = kw
        .run(&[
            "invitations",
            "send",
            &other_id,
            "--email",
            "fay@example.com",
            "-q",
        ])
        .await
        .ok();
    let fay = quiet.secret();
    assert!(
        !fay.is_empty() && !fay.contains(char::is_whitespace),
        "{quiet}"
    );

    let list: InvitationList =
        serde_json::from_str(&kw.run(&["invitations", "list", "--json"]).await.ok().stdout)
            .expect("InvitationList");
    assert_eq!(list.items.len(), 3);
    let for_token = kw
        .run(&["invitations", "list", "--token-id", &token_id, "--json"])
        .await
        .ok()
        .json();
    assert_eq!(
        for_token["items"].as_array().unwrap().len(),
        1,
        "{for_token}"
    );
    let table = kw.run(&["invitations", "list"]).await.ok();
    assert_eq!(table.stdout.lines().count(), 4, "{table}");
    assert!(table.stdout.contains("dana@example.com"), "{table}");

    kw.run(&["invitations", "resend", &fay]).await.ok();

    let revoked = kw.run(&["invitations", "revoke", &fay]).await.ok();
    assert!(revoked.stdout.contains("Revoked"), "{revoked}");
    let after = kw.run(&["invitations", "list", "--json"]).await.ok().json();
    let status = after["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == fay.as_str())
        .map(|i| i["status"].clone());
    assert_eq!(status, Some(serde_json::json!("revoked")), "{after}");
    // Revoking twice is refused; so is an unknown id or token.
    kw.run(&["invitations", "revoke", &fay])
        .await
        .fails(1, "conflict");
    kw.run(&["invitations", "revoke", "inv_nope"])
        .await
        .fails(1, "not_found");
    kw.run(&[
        "invitations",
        "send",
        "tok_nope",
        "--email",
        "x@example.com",
    ])
    .await
    .fails(1, "not_found");
    kw.run(&["invitations", "send", &token_id, "--email", "not-an-email"])
        .await
        .fails(1, "invalid_request");
}

#[tokio::test]
async fn invitations_need_token_permissions() {
    let app = spawn_app().await;
    let kw = Kw::admin(&app);
    let (token_id, _) = create_token(&kw, "target", &[]).await;
    let (_, reader) = create_token(&kw, "reader", &["tokens:read"]).await;
    let (_, nobody) = create_token(&kw, "nobody", &[]).await;
    let r = kw.as_token(&reader);
    r.run(&["invitations", "list"]).await.ok();
    r.run(&["invitations", "send", &token_id, "--email", "x@example.com"])
        .await
        .fails(1, "insufficient_permission");
    kw.as_token(&nobody)
        .run(&["invitations", "list"])
        .await
        .fails(1, "insufficient_permission");
}
