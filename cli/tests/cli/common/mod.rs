//! Runs the real `keyward` binary against a fresh worker (`spawn_app`),
//! with its own temporary HOME so no test reads or writes a real config.

#![allow(dead_code)] // helpers for tests that may be filtered out of a run

use keyward_tests::TestApp;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

pub use keyward_tests::spawn_app;

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// Asserts exit 0 and returns self, showing both streams otherwise.
    #[track_caller]
    pub fn ok(self) -> Out {
        assert_eq!(self.code, 0, "expected success:\n{self}");
        self
    }

    /// Asserts the exit code, and that stderr names `code` when given.
    #[track_caller]
    pub fn fails(self, exit: i32, code: &str) -> Out {
        assert_eq!(self.code, exit, "expected exit {exit}:\n{self}");
        assert!(
            self.stderr.contains(code),
            "expected {code:?} on stderr:\n{self}"
        );
        self
    }

    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self}"))
    }

    pub fn secret(&self) -> String {
        self.stdout.trim().to_string()
    }
}

impl std::fmt::Display for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// The binary with a clean environment: a temp HOME and XDG dir, no
/// KEYWARD_* from the developer's shell, and by default the test app's URL
/// and admin secret in KEYWARD_URL/KEYWARD_TOKEN.
#[derive(Clone)]
pub struct Kw {
    home: Arc<tempfile::TempDir>,
    pub url: Option<String>,
    pub token: Option<String>,
    pub env: Vec<(String, String)>,
}

impl Kw {
    pub fn admin(app: &TestApp) -> Kw {
        Kw::with(Some(&app.base_url), Some(&app.admin_secret))
    }

    pub fn with(url: Option<&str>, token: Option<&str>) -> Kw {
        Kw {
            home: Arc::new(tempfile::tempdir().expect("temp HOME")),
            url: url.map(str::to_string),
            token: token.map(str::to_string),
            env: vec![],
        }
    }

    /// The same HOME, URL and extra env; another token.
    pub fn as_token(&self, token: &str) -> Kw {
        Kw {
            token: Some(token.to_string()),
            ..self.clone()
        }
    }

    /// The same HOME, with neither KEYWARD_URL nor KEYWARD_TOKEN: only
    /// flags and the config file count.
    pub fn bare(&self) -> Kw {
        Kw {
            url: None,
            token: None,
            ..self.clone()
        }
    }

    pub fn with_env(&self, name: &str, value: &str) -> Kw {
        let mut kw = self.clone();
        kw.env.push((name.to_string(), value.to_string()));
        kw
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// Where `keyward login` writes without KEYWARD_CONFIG.
    pub fn default_config_path(&self) -> PathBuf {
        self.home.path().join(".config/keyward/config.toml")
    }

    pub async fn run(&self, args: &[&str]) -> Out {
        self.run_with_stdin(args, None).await
    }

    /// The binary started, stdout and stderr piped, stdin closed, for a
    /// test that talks to it while it runs (`keyward login --web`).
    pub fn spawn(&self, args: &[&str]) -> tokio::process::Child {
        self.command(args, false)
            .spawn()
            .expect("the keyward binary starts")
    }

    pub async fn run_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Out {
        let mut child = self
            .command(args, stdin.is_some())
            .spawn()
            .expect("the keyward binary starts");
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().expect("stdin");
            pipe.write_all(input.as_bytes()).await.expect("write stdin");
            drop(pipe);
        }
        finish(child).await
    }

    fn command(&self, args: &[&str], piped_stdin: bool) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_keyward"));
        cmd.args(args)
            .env_remove("KEYWARD_URL")
            .env_remove("KEYWARD_TOKEN")
            .env_remove("KEYWARD_CONFIG")
            .env_remove("XDG_CONFIG_HOME")
            .env("HOME", self.home.path())
            .env("NO_COLOR", "1")
            .stdin(if piped_stdin {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(u) = &self.url {
            cmd.env("KEYWARD_URL", u);
        }
        if let Some(t) = &self.token {
            cmd.env("KEYWARD_TOKEN", t);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }
}

/// Waits (at most 60 s) for a started binary and collects what it printed.
pub async fn finish(child: tokio::process::Child) -> Out {
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("keyward finishes within 60 s")
        .expect("keyward runs");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Creates a scoped token through the CLI; returns (id, secret).
pub async fn create_token(kw: &Kw, name: &str, grants: &[&str]) -> (String, String) {
    let mut args = vec!["tokens", "create", name, "--json"];
    for g in grants {
        args.push("--grant");
        args.push(g);
    }
    let v = kw.run(&args).await.ok().json();
    (
        v["token"]["id"].as_str().expect("id").to_string(),
        v["secret"].as_str().expect("secret").to_string(),
    )
}

/// A JSON grant array in the compact form, via the shared `Grant` type.
pub fn grant_strings(v: &Value) -> Vec<String> {
    serde_json::from_value::<Vec<keyward_domain::Grant>>(v.clone())
        .expect("a grant array")
        .iter()
        .map(ToString::to_string)
        .collect()
}
