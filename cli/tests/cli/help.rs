//! `--help` everywhere (with examples), `--version`, completions, and
//! usage errors: none of these needs a deployment.

use crate::common::Kw;

const COMMANDS: &[&[&str]] = &[
    &[],
    &["login"],
    &["logout"],
    &["whoami"],
    &["catalog"],
    &["tokens"],
    &["tokens", "list"],
    &["tokens", "get"],
    &["tokens", "create"],
    &["tokens", "update"],
    &["tokens", "refresh"],
    &["tokens", "delete"],
    &["admins"],
    &["admins", "list"],
    &["admins", "create"],
    &["admins", "delete"],
    &["invitations"],
    &["invitations", "send"],
    &["invitations", "list"],
    &["invitations", "resend"],
    &["invitations", "revoke"],
    &["audit"],
    &["verify"],
    &["completions"],
];

#[tokio::test]
async fn every_command_has_help_with_examples() {
    let kw = Kw::with(None, None);
    for path in COMMANDS {
        let mut args = path.to_vec();
        args.push("--help");
        let out = kw.run(&args).await.ok();
        assert!(
            out.stdout.contains("Example"),
            "keyward {} --help has no examples:\n{out}",
            path.join(" ")
        );
    }
    let main = kw.run(&["--help"]).await.ok();
    for needle in [
        "Exit codes",
        "network errors name the URL",
        "KEYWARD_CONFIG",
        "--json",
    ] {
        assert!(main.stdout.contains(needle), "{needle}: {main}");
    }
    // The token's value from the environment is never echoed by --help.
    let with_token = Kw::with(None, Some("kw_s_shouldnotappearanywhere"));
    let help = with_token.run(&["tokens", "list", "--help"]).await.ok();
    assert!(!help.stdout.contains("shouldnotappear"), "{help}");
    let version = kw.run(&["--version"]).await.ok();
    assert!(version.stdout.starts_with("keyward "), "{version}");
}

#[tokio::test]
async fn completions_for_each_shell() {
    let kw = Kw::with(None, None);
    for shell in ["bash", "zsh", "fish"] {
        let out = kw.run(&["completions", shell]).await.ok();
        assert!(out.stdout.contains("keyward"), "{shell}: {out}");
        assert!(out.stdout.contains("invitations"), "{shell}: {out}");
        assert!(out.stdout.len() > 1000, "{shell}: {out}");
    }
    kw.run(&["completions", "tcsh"])
        .await
        .fails(2, "invalid value");
}

#[tokio::test]
async fn usage_errors_exit_2_before_any_request() {
    // The URL points nowhere: a usage error must not even try it.
    let kw = Kw::with(Some("http://127.0.0.1:9"), Some("kw_s_x"));
    kw.run(&[]).await.fails(2, "Usage");
    kw.run(&["nope"]).await.fails(2, "unrecognized subcommand");
    kw.run(&["tokens", "create"]).await.fails(2, "<NAME>");
    kw.run(&["tokens", "create", "x", "-g", "a:b@"])
        .await
        .fails(2, "is not a grant");
    kw.run(&["tokens", "refresh", "tok_1", "--overlap", "1w"])
        .await
        .fails(2, "not a duration");
    kw.run(&["tokens", "update", "tok_1", "--expires-at", "tomorrow"])
        .await
        .fails(2, "RFC 3339");
    kw.run(&[
        "tokens",
        "update",
        "tok_1",
        "-g",
        "a:b",
        "--add-grant",
        "c:d",
    ])
    .await
    .fails(2, "cannot be used with");
    kw.run(&["audit", "--limit", "0"])
        .await
        .fails(2, "not a limit");
    kw.run(&["verify", "k", "--require", "nope"])
        .await
        .fails(2, "is not a grant");
    kw.run(&["invitations", "send", "tok_1"])
        .await
        .fails(2, "--email");
    kw.run(&["admins", "delete", "adm_1"])
        .await
        .fails(2, "--yes");
}
