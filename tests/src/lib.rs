//! Black-box test support: `spawn_app()` starts the real worker under
//! `wrangler dev` (workerd, local KV and Durable Objects) on a free port with
//! its own fresh state, bootstraps the first admin, and stops the whole
//! process group when dropped. It builds nothing: the test command builds
//! the worker once, before.

pub mod email;
pub mod upstream;

use keyward_domain::{Secret, TokenKind};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives in the repo")
        .to_path_buf()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// How soon a data-plane call is in the audit log (docs/operations.md, "Audit"): the
/// queue hands batches over after at most 1 s; the rest is margin for a
/// loaded 2-core machine.
pub const AUDIT_DELAY: Duration = Duration::from_secs(5);

/// Grants as the API writes them, from their compact forms
/// (`storage:read@b`).
pub fn grants(compact: &[&str]) -> Value {
    compact
        .iter()
        .map(|c| {
            serde_json::to_value(keyward_domain::Grant::parse_compact(c).expect("a grant"))
                .expect("a grant as JSON")
        })
        .collect()
}

/// An instant `secs` seconds from now, as the API writes instants.
pub fn in_seconds(secs: i64) -> String {
    (time::OffsetDateTime::now_utc() + time::Duration::seconds(secs))
        .format(&time::format_description::well_known::Rfc3339)
        .expect("an RFC 3339 instant")
}

pub fn mint(kind: TokenKind) -> Secret {
    Secret::generate(kind, |buf| getrandom::getrandom(buf).expect("OS CSPRNG"))
}

pub struct TestApp {
    pub base_url: String,
    /// The bootstrap admin's master secret.
    pub admin_secret: String,
    pub persist_dir: PathBuf,
    pub log_path: PathBuf,
    pub client: reqwest::Client,
    child: Option<Child>,
    port: u16,
    /// workerd's inspector (DevTools protocol), for `scripts/bench`'s profile.
    pub inspector_port: u16,
    extra_vars: Vec<(String, String)>,
    /// Binding blocks left out of both workers' configurations
    /// (`restart_without`).
    without: Vec<String>,
    /// `/__scheduled` runs the Cron Trigger's handler (`run_scheduled`).
    test_scheduled: bool,
}

/// Settings every test app gets unless the test names them itself: the
/// dev outbox stands in for email, as under the run command; and the suites
/// that send many malformed tokens on purpose (bad input, the authorization
/// matrix, contract fuzzing), all from one address, are not cut off by the
/// failure limiter, whose own tests set `FAILURE_LIMIT`.
const TEST_DEFAULTS: &[(&str, &str)] = &[("DEV_OUTBOX", "true"), ("FAILURE_LIMIT", "1000000")];

/// Starts a fresh app with a bootstrapped admin.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Like [`spawn_app`], with extra `--var NAME:VALUE` settings.
pub async fn spawn_app_with(vars: &[(&str, &str)]) -> TestApp {
    spawn(vars, true).await
}

/// Like [`spawn_app_with`], as deployed: without `/__scheduled`, whose
/// dev middleware wrangler would put in front of every call (scripts/bench
/// measures what a deployment runs).
pub async fn spawn_app_as_deployed(vars: &[(&str, &str)]) -> TestApp {
    spawn(vars, false).await
}

async fn spawn(vars: &[(&str, &str)], test_scheduled: bool) -> TestApp {
    let root = repo_root();
    assert!(
        root.join("worker/build/index.js").exists(),
        "the worker is not built: run the README's test command (it builds first)"
    );
    let admin = mint(TokenKind::Master);
    let mut app = TestApp::unstarted(
        admin.expose(),
        vars.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    );
    app.extra_vars
        .push(("BOOTSTRAP_TOKEN_HASH".into(), admin.hash().0));
    app.test_scheduled = test_scheduled;
    app.start().await;
    let me = app.get("/api/v1/whoami", &app.admin_secret.clone()).await;
    assert_eq!(me.status, 200, "bootstrap failed: {}", me.text);
    app
}

/// Starts today's worker on a copy of persisted state written earlier
/// (`tests/fixtures/<name>/v3`), whose admin secret is `admin_secret`.
pub async fn spawn_app_on_state(fixture: &str, admin_secret: &str) -> TestApp {
    let mut app = TestApp::unstarted(admin_secret, vec![]);
    copy_dir(
        &repo_root().join("tests/fixtures").join(fixture).join("v3"),
        &app.persist_dir.join("v3"),
    );
    app.start().await;
    app
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("state dir");
    for entry in std::fs::read_dir(from).expect("fixture dir") {
        let entry = entry.expect("fixture entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy fixture file");
        }
    }
}

pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    pub fn parse<T: DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("unexpected shape ({e}): {}", self.text))
    }
    /// The problem `code` of an error answer.
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_string()
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

impl TestApp {
    /// A test app with its own fresh state directory, not yet running.
    fn unstarted(admin_secret: &str, mut extra_vars: Vec<(String, String)>) -> TestApp {
        for (name, value) in TEST_DEFAULTS {
            if !extra_vars.iter().any(|(k, _)| k == name) {
                extra_vars.push((name.to_string(), value.to_string()));
            }
        }
        let unique = format!(
            "{}-{}",
            std::process::id(),
            keyward_domain::secret::random_id(10, |b| getrandom::getrandom(b).expect("rng"))
        );
        let state = repo_root().join("target/test-state").join(unique);
        std::fs::create_dir_all(&state).expect("state dir");
        TestApp {
            base_url: String::new(),
            admin_secret: admin_secret.to_string(),
            persist_dir: state.join("persist"),
            log_path: state.join("wrangler.log"),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            child: None,
            port: 0,
            inspector_port: 0,
            extra_vars,
            without: vec![],
            test_scheduled: true,
        }
    }

    /// Starts wrangler on free ports. A port found free can be taken by
    /// another test's runtime before wrangler binds it (workerd opens
    /// loopback sockets of its own); then it starts again on new ports.
    async fn start(&mut self) {
        for attempt in 1..=5 {
            let logged = std::fs::metadata(&self.log_path)
                .map(|m| m.len())
                .unwrap_or(0);
            match self.try_start().await {
                Ok(()) => return,
                Err(status) => {
                    let log = std::fs::read_to_string(&self.log_path).unwrap_or_default();
                    let this_try = log.get(logged as usize..).unwrap_or(&log);
                    if attempt < 5 && this_try.contains("Address already in use") {
                        continue;
                    }
                    panic!("wrangler exited ({status}): {log}");
                }
            }
        }
    }

    async fn try_start(&mut self) -> Result<(), std::process::ExitStatus> {
        let root = repo_root();
        self.port = free_port();
        let inspector = free_port();
        self.inspector_port = inspector;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .expect("log file");
        // Both workers, the edge on `--port` (scripts/dev.mjs).
        let mut cmd = Command::new("node");
        cmd.arg(root.join("scripts/dev.mjs"))
            .args(["--local", "--ip", "127.0.0.1"])
            .args(["--port", &self.port.to_string()])
            .args(["--inspector-port", &inspector.to_string()])
            .arg("--persist-to")
            .arg(&self.persist_dir)
            .current_dir(&root)
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
            // In CI mode wrangler drops the worker's console output from its log.
            .env_remove("CI")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().expect("log")))
            .stderr(Stdio::from(log))
            .process_group(0);
        if self.test_scheduled {
            // Exposes /__scheduled, which runs the Cron Trigger's handler.
            cmd.arg("--test-scheduled");
        }
        for block in &self.without {
            cmd.arg("--without").arg(block);
        }
        for (k, v) in &self.extra_vars {
            cmd.arg("--var").arg(format!("{k}:{v}"));
        }
        cmd.arg("--var")
            .arg(format!("PUBLIC_BASE_URL:http://127.0.0.1:{}", self.port));
        self.child = Some(cmd.spawn().expect("wrangler starts"));
        self.base_url = format!("http://127.0.0.1:{}", self.port);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            // Only once our own runtime says it listens on this port: a
            // port taken meanwhile by another test's runtime answers too.
            let ours = std::fs::read_to_string(&self.log_path)
                .is_ok_and(|log| log.contains(&format!("Ready on {}", self.base_url)));
            if ours {
                if let Ok(r) = self
                    .client
                    .get(format!("{}/api/v1/health", self.base_url))
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await
                {
                    if r.status() == StatusCode::OK {
                        return Ok(());
                    }
                }
            }
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    // Whatever of its group is left goes with it.
                    self.kill();
                    return Err(status);
                }
            }
            assert!(
                Instant::now() < deadline,
                "wrangler not ready in 60 s: {}",
                std::fs::read_to_string(&self.log_path).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Stops the runtime: SIGINT to the group (workerd shuts down cleanly),
    /// SIGKILL if it lingers.
    pub fn stop(&mut self) {
        self.signal_stop(libc::SIGINT);
    }

    /// Kills the runtime outright, as a crash would.
    pub fn kill(&mut self) {
        self.signal_stop(libc::SIGKILL);
    }

    fn signal_stop(&mut self, signal: i32) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pgid = child.id() as i32;
        unsafe {
            libc::kill(-pgid, signal);
        }
        let deadline = Instant::now() + Duration::from_secs(8);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
        let _ = child.wait();
    }

    /// Restarts on the same persisted state with the binding blocks named
    /// (`"[[d1_databases]]"`, …) left out of both workers' configurations,
    /// as if those services were gone; `&[]` restores the real ones.
    pub async fn restart_without(&mut self, blocks: &[&str]) {
        self.stop();
        self.without = blocks.iter().map(|b| b.to_string()).collect();
        self.start().await;
    }

    /// Restarts on the same persisted state.
    pub async fn restart(&mut self) {
        self.stop();
        self.start().await;
    }

    /// SIGKILLs the runtime, as a crash would, and starts it again on the
    /// same persisted state.
    pub async fn crash_and_restart(&mut self) {
        self.kill();
        self.start().await;
    }

    /// The process group of the running runtime (wrangler and workerd).
    pub fn process_group(&self) -> Option<i32> {
        self.child.as_ref().map(|c| c.id() as i32)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// Reads the audit log (`query` is the part after `?`) until `wanted`
    /// holds of its items, within the bound of docs/operations.md for a data-plane
    /// call to appear ([`AUDIT_DELAY`]); returns the last page read.
    pub async fn audit_until(
        &self,
        query: &str,
        secret: &str,
        wanted: impl Fn(&[Value]) -> bool,
    ) -> Value {
        let started = Instant::now();
        loop {
            let page = self.get(&format!("/api/v1/audit?{query}"), secret).await;
            assert_eq!(page.status, 200, "{}", page.text);
            let page = page.json();
            let items = page["items"].as_array().cloned().unwrap_or_default();
            if wanted(&items) || started.elapsed() > AUDIT_DELAY {
                return page;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        secret: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut req = self.client.request(method, self.url(path));
        if let Some(s) = secret {
            req = req.bearer_auth(s);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("the worker answers");
        Answer {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            text: resp.text().await.expect("a body"),
        }
    }

    /// A JSON request with extra headers (`If-Match`, `Idempotency-Key` …).
    pub async fn send_with(
        &self,
        method: Method,
        path: &str,
        secret: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut req = self
            .client
            .request(method, self.url(path))
            .bearer_auth(secret);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("the worker answers");
        Answer {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            text: resp.text().await.unwrap_or_default(),
        }
    }

    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        secret: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Answer {
        let mut req = self
            .client
            .request(method, self.url(path))
            .header("content-type", content_type)
            .body(body);
        if let Some(s) = secret {
            req = req.bearer_auth(s);
        }
        let resp = req.send().await.expect("the worker answers");
        Answer {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            text: resp.text().await.unwrap_or_default(),
        }
    }

    pub async fn get(&self, path: &str, secret: &str) -> Answer {
        self.send(Method::GET, path, Some(secret), None).await
    }
    pub async fn post(&self, path: &str, secret: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(secret), Some(body))
            .await
    }
    pub async fn patch(&self, path: &str, secret: &str, body: Value) -> Answer {
        self.send(Method::PATCH, path, Some(secret), Some(body))
            .await
    }
    pub async fn delete(&self, path: &str, secret: &str) -> Answer {
        self.send(Method::DELETE, path, Some(secret), None).await
    }

    /// Creates a scoped token with the admin; returns (token JSON, secret).
    pub async fn create_token(&self, name: &str, grants: Value) -> (Value, String) {
        self.create_token_as(&self.admin_secret, name, grants).await
    }

    pub async fn create_token_as(
        &self,
        secret: &str,
        name: &str,
        grants: Value,
    ) -> (Value, String) {
        let r = self
            .post(
                "/api/v1/tokens",
                secret,
                serde_json::json!({"name": name, "grants": grants}),
            )
            .await;
        assert_eq!(r.status, 201, "create token: {}", r.text);
        let v = r.json();
        (
            v["token"].clone(),
            v["secret"].as_str().expect("secret").to_string(),
        )
    }

    /// Runs the worker's Cron Trigger (`#[event(scheduled)]`) once, as the
    /// platform would every five minutes.
    pub async fn run_scheduled(&self) {
        let r = self
            .client
            .get(self.url("/__scheduled?cron=*/5+*+*+*+*"))
            .send()
            .await
            .expect("the scheduled handler answers");
        assert_eq!(r.status(), 200, "scheduled event: {:?}", r.text().await);
    }

    /// Opens an invitation's public welcome page data (no credential).
    pub async fn open_invitation(&self, code: &str) -> Answer {
        self.send(
            Method::GET,
            &format!("/api/v1/invitations/open/{code}"),
            None,
            None,
        )
        .await
    }

    /// Accepts an invitation, as its recipient (no credential).
    pub async fn accept_invitation(&self, code: &str) -> Answer {
        self.send(
            Method::POST,
            &format!("/api/v1/invitations/open/{code}/accept"),
            None,
            None,
        )
        .await
    }

    /// A secret scanning partner's report (`POST /leaks`), with the partner
    /// key when given.
    pub async fn report_leaks(&self, partner_key: Option<&str>, body: Value) -> Answer {
        let mut req = self.client.post(self.url("/api/v1/leaks")).json(&body);
        if let Some(k) = partner_key {
            req = req.header("x-keyward-partner-key", k);
        }
        let r = req.send().await.expect("the worker answers");
        Answer {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            text: r.text().await.unwrap_or_default(),
        }
    }

    /// A report as GitHub's secret scanning sends it: the raw body, the key
    /// id and the signature headers as given.
    pub async fn report_signed(&self, key_id: &str, signature: &str, body: &[u8]) -> Answer {
        let r = self
            .client
            .post(self.url("/api/v1/leaks"))
            .header("content-type", "application/json")
            .header("github-public-key-identifier", key_id)
            .header("github-public-key-signature", signature)
            .body(body.to_vec())
            .send()
            .await
            .expect("the worker answers");
        Answer {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            text: r.text().await.unwrap_or_default(),
        }
    }

    /// The text of the newest dev-outbox message to `to` (the outbox lists
    /// newest first), or an empty string.
    pub async fn newest_mail_to(&self, to: &str) -> String {
        let outbox = self.get("/api/v1/outbox", &self.admin_secret).await.json();
        outbox["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["to"] == to)
            .and_then(|m| m["text"].as_str())
            .unwrap_or_default()
            .to_string()
    }

    /// The invitation code of the newest outbox message to `to` (the end of
    /// its `/invite/<code>` link).
    /// (A member is also emailed an enrolment link: the newest message
    /// that carries an invitation counts.)
    pub async fn invitation_code_for(&self, to: &str) -> String {
        let outbox = self.get("/api/v1/outbox", &self.admin_secret).await.json();
        let text = outbox["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["to"] == to)
            .filter_map(|m| m["text"].as_str())
            .find(|t| t.contains("/invite/"))
            .unwrap_or_default()
            .to_string();
        let at = text.find("/invite/").expect("an invite link");
        text[at + 8..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect()
    }

    /// A member's user token: their invitation (in the dev outbox) accepted.
    pub async fn user_token_for(&self, email: &str) -> String {
        let code = self.invitation_code_for(email).await;
        let accepted = self.accept_invitation(&code).await;
        assert_eq!(accepted.status, 200, "{}", accepted.text);
        accepted.json()["secret"]
            .as_str()
            .expect("the user token's secret")
            .to_string()
    }

    /// Opens a session for the person whose master or user token `secret`
    /// is, as the app's "use a master token instead" does; the session
    /// cookie's value (`kw_session` over plain HTTP).
    pub async fn open_session(&self, secret: &str) -> String {
        let resp = self
            .client
            .post(self.url("/api/v1/auth/sessions"))
            .bearer_auth(secret)
            .header("origin", &self.base_url)
            .header("x-keyward-app", "1")
            .send()
            .await
            .expect("the worker answers");
        let status = resp.status().as_u16();
        let cookie = resp
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = resp.text().await.unwrap_or_default();
        assert_eq!(status, 201, "POST /auth/sessions: {text}");
        let cookie = cookie.unwrap_or_else(|| panic!("no Set-Cookie: {text}"));
        cookie
            .split(';')
            .next()
            .and_then(|c| c.trim().strip_prefix("kw_session="))
            .unwrap_or_else(|| panic!("not a kw_session cookie: {cookie}"))
            .to_string()
    }

    /// A request with the session cookie, as the app sends it: from the
    /// deployment's own origin, with the app's header.
    pub async fn send_with_session(
        &self,
        method: Method,
        path: &str,
        session: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut req = self
            .client
            .request(method, self.url(path))
            .header("cookie", format!("kw_session={session}"))
            .header("origin", &self.base_url)
            .header("x-keyward-app", "1");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("the worker answers");
        Answer {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            text: resp.text().await.unwrap_or_default(),
        }
    }

    /// Creates project `id` with the admin.
    pub async fn create_project(&self, id: &str) {
        let r = self
            .post(
                "/api/v1/projects",
                &self.admin_secret.clone(),
                serde_json::json!({"id": id, "name": format!("Project {id}")}),
            )
            .await;
        assert_eq!(r.status, 201, "create project: {}", r.text);
    }

    pub async fn create_bucket(&self, id: &str) {
        let r = self
            .post(
                "/api/v1/buckets",
                &self.admin_secret.clone(),
                serde_json::json!({"id": id}),
            )
            .await;
        assert_eq!(r.status, 201, "create bucket: {}", r.text);
    }

    /// Every file under the persisted state, as bytes (for leak scans).
    pub fn persisted_bytes(&self) -> Vec<(PathBuf, Vec<u8>)> {
        fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
            if let Ok(entries) = std::fs::read_dir(dir) {
                for e in entries.flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        walk(&p, out);
                    } else if let Ok(b) = std::fs::read(&p) {
                        out.push((p, b));
                    }
                }
            }
        }
        let mut out = vec![];
        walk(&self.persist_dir, &mut out);
        out
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(self.persist_dir.parent().unwrap_or(&self.persist_dir));
        }
    }
}
