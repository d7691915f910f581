//! `keyward login`/`logout` and where the URL and token come from:
//! flag > env > config file.

use crate::common::{create_token, spawn_app, Kw};
use std::os::unix::fs::PermissionsExt;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn login_writes_a_private_file_and_never_prints_the_secret() {
    let app = spawn_app().await;
    let secret = app.admin_secret.clone();
    // No token in the environment: login reads it from stdin.
    let kw = Kw::with(Some(&app.base_url), None);
    let out = kw
        .run_with_stdin(&["login"], Some(&format!("{secret}\n")))
        .await
        .ok();
    assert!(!out.stdout.contains(&secret), "{out}");
    assert!(!out.stderr.contains(&secret), "{out}");
    assert!(out.stdout.contains("Logged in"), "{out}");

    let path = kw.default_config_path();
    assert_eq!(mode(&path), 0o600, "the file is private");
    assert_eq!(mode(path.parent().unwrap()), 0o700, "so is its directory");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains(&secret) && text.contains(&app.base_url),
        "{text}"
    );

    // The file alone now serves every command.
    let me = kw.bare().run(&["whoami", "--json"]).await.ok().json();
    assert_eq!(me["token"]["kind"], "master");

    // --json login does not print the secret either, and a second login
    // over an existing file keeps it private.
    let again = kw
        .run_with_stdin(&["login", "--json"], Some(&secret))
        .await
        .ok();
    assert!(!again.stdout.contains(&secret), "{again}");
    assert_eq!(again.json()["token"]["kind"], "master");
    assert_eq!(mode(&path), 0o600);

    // logout removes the file; then nothing is configured (usage, exit 2).
    kw.bare().run(&["logout"]).await.ok();
    assert!(!path.exists());
    kw.bare().run(&["whoami"]).await.fails(2, "no Keyward URL");
    kw.bare()
        .run(&["whoami", "--url", &app.base_url])
        .await
        .fails(2, "no token");
}

#[tokio::test]
async fn login_honours_keyward_config_and_xdg_and_refuses_bad_tokens() {
    let app = spawn_app().await;
    let kw = Kw::admin(&app);

    // KEYWARD_CONFIG as a file path; the token from the environment.
    let file = kw.home().join("elsewhere/keyward.toml");
    let custom = kw.with_env("KEYWARD_CONFIG", file.to_str().unwrap());
    let out = custom.run(&["login"]).await.ok();
    assert!(!out.stdout.contains(&app.admin_secret), "{out}");
    assert_eq!(mode(&file), 0o600);
    assert!(!kw.default_config_path().exists());
    custom.bare().run(&["whoami"]).await.ok();

    // KEYWARD_CONFIG as a directory holds config.toml.
    let dir = kw.home().join("confdir");
    std::fs::create_dir_all(&dir).unwrap();
    let in_dir = kw.with_env("KEYWARD_CONFIG", dir.to_str().unwrap());
    in_dir.run(&["login", "--quiet"]).await.ok();
    assert_eq!(mode(&dir.join("config.toml")), 0o600);

    // XDG_CONFIG_HOME.
    let xdg = kw.home().join("xdg");
    let via_xdg = kw.with_env("XDG_CONFIG_HOME", xdg.to_str().unwrap());
    via_xdg.run(&["login"]).await.ok();
    assert_eq!(mode(&xdg.join("keyward/config.toml")), 0o600);
    via_xdg.bare().run(&["whoami"]).await.ok();

    // A token the deployment refuses is never saved.
    let fresh = Kw::with(Some(&app.base_url), None);
    fresh
        .run(&["login", "--token", "kw_s_notavalidtoken"])
        .await
        .fails(1, "malformed_token");
    let unknown = keyward_tests::mint(keyward_domain::TokenKind::Scoped);
    fresh
        .run_with_stdin(&["login"], Some(unknown.expose()))
        .await
        .fails(1, "invalid_token");
    fresh
        .run_with_stdin(&["login"], Some("\n"))
        .await
        .fails(2, "no token");
    assert!(!fresh.default_config_path().exists());

    // A broken config file is reported, not silently ignored.
    let broken = kw.home().join("broken.toml");
    std::fs::write(&broken, "url = [oops").unwrap();
    kw.bare()
        .with_env("KEYWARD_CONFIG", broken.to_str().unwrap())
        .run(&["whoami"])
        .await
        .fails(1, "not a valid config file");
}

#[tokio::test]
async fn flags_beat_the_environment_which_beats_the_file() {
    let app = spawn_app().await;
    let admin = Kw::admin(&app);
    let (_, scoped) = create_token(&admin, "scoped-one", &["tokens:read"]).await;
    let client_id = |out: crate::common::Out| out.ok().json()["token"]["client_id"].clone();
    let admin_id = client_id(admin.run(&["whoami", "--json"]).await);
    let scoped_id = client_id(admin.as_token(&scoped).run(&["whoami", "--json"]).await);
    assert_ne!(admin_id, scoped_id);

    // The file: the admin.
    admin.run(&["login"]).await.ok();
    let file_only = admin.bare();
    assert_eq!(
        client_id(file_only.run(&["whoami", "--json"]).await),
        admin_id
    );

    // env > file (token).
    let env_token = file_only.with_env("KEYWARD_TOKEN", &scoped);
    assert_eq!(
        client_id(env_token.run(&["whoami", "--json"]).await),
        scoped_id
    );
    // flag > env (token).
    assert_eq!(
        client_id(
            env_token
                .run(&["whoami", "--json", "--token", &app.admin_secret])
                .await
        ),
        admin_id
    );

    // env > file (URL): a dead URL in the environment is the one tried,
    // and the network error names it (exit 1).
    let dead = "http://127.0.0.1:9";
    let env_url = file_only.with_env("KEYWARD_URL", dead);
    let out = env_url
        .run(&["whoami", "--token", &app.admin_secret])
        .await
        .fails(1, "could not reach http://127.0.0.1:9/api/v1/whoami");
    assert!(out.stderr.contains("network error"), "{out}");
    // flag > env (URL).
    env_url
        .run(&[
            "whoami",
            "--url",
            &app.base_url,
            "--token",
            &app.admin_secret,
        ])
        .await
        .ok();

    // The file's token is only ever sent to the file's URL.
    file_only
        .run(&["whoami", "--url", dead])
        .await
        .fails(2, "no token");
    // Trailing slashes name the same deployment.
    file_only
        .run(&["whoami", "--url", &format!("{}/", app.base_url)])
        .await
        .ok();
    file_only
        .run(&["whoami", "--url", "ftp://example.com"])
        .await
        .fails(2, "not a Keyward URL");
}
