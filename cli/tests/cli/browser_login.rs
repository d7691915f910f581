//! `keyward login --web` (the device flow of issue 26): the CLI prints a
//! one-time code, the person approves it in the app (here: through the API,
//! as the app does, with a session cookie), and the CLI saves the key it
//! receives; `keyward logout` revokes that key.

use crate::common::{finish, spawn_app, Kw, Out};
use keyward_tests::TestApp;
use reqwest::Method;
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::Child;
use tokio::task::JoinHandle;

const CODE_LINE: &str = "First copy your one-time code: ";

/// A `keyward login --web` waiting for its approval.
struct Waiting {
    child: Child,
    user_code: String,
    /// What it printed on stderr so far, and then the rest of it.
    stderr: JoinHandle<String>,
    printed: String,
}

impl Waiting {
    async fn start(kw: &Kw, args: &[&str]) -> Waiting {
        let mut child = kw.spawn(args);
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let mut printed = String::new();
        let user_code = loop {
            let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
                .await
                .expect("a one-time code within 30 s")
                .expect("stderr is readable");
            let Some(line) = line else {
                let out = finish(child).await;
                panic!("keyward ended without a code:\n{printed}\n{out}");
            };
            printed.push_str(&line);
            printed.push('\n');
            if let Some(code) = line.strip_prefix(CODE_LINE) {
                break code.trim().to_string();
            }
        };
        // The line after the code names the link to open.
        let link = lines.next_line().await.unwrap().unwrap_or_default();
        printed.push_str(&link);
        printed.push('\n');
        let so_far = printed.clone();
        let stderr = tokio::spawn(async move {
            let mut all = so_far;
            while let Ok(Some(line)) = lines.next_line().await {
                all.push_str(&line);
                all.push('\n');
            }
            all
        });
        Waiting {
            child,
            user_code,
            stderr,
            printed,
        }
    }

    async fn finish(self) -> Out {
        let mut out = finish(self.child).await;
        out.stderr = self.stderr.await.expect("stderr collected");
        out
    }
}

/// Approves a user code with the session, as the app does.
async fn approve(app: &TestApp, session: &str, user_code: &str) -> (u16, Value) {
    let answer = app
        .send_with_session(
            Method::POST,
            "/api/v1/auth/device/approve",
            session,
            Some(json!({ "user_code": user_code })),
        )
        .await;
    let body = serde_json::from_str(&answer.text).unwrap_or(json!(answer.text));
    (answer.status, body)
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// The token line of the config file.
fn saved_token(kw: &Kw) -> String {
    let path = kw.default_config_path();
    assert_eq!(mode(&path), 0o600, "the config file is private");
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("token = \""))
        .and_then(|l| l.strip_suffix('"'))
        .unwrap_or_else(|| panic!("no token in the config file:\n{text}"))
        .to_string()
}

#[tokio::test]
async fn an_admin_approves_in_the_browser_and_logout_revokes_the_key() {
    let app = spawn_app().await;
    // Neither token nor config: only the URL.
    let kw = Kw::with(Some(&app.base_url), None);
    let waiting = Waiting::start(&kw, &["login", "--web"]).await;
    let code = waiting.user_code.clone();
    assert_eq!(code.len(), 9, "{}", waiting.printed);
    assert!(
        waiting
            .printed
            .contains(&format!("/device?code={code} and approve it")),
        "{}",
        waiting.printed
    );
    assert!(
        waiting.printed.contains("it expires in 10 minutes"),
        "{}",
        waiting.printed
    );

    let session = app.open_session(&app.admin_secret).await;
    let (status, approved) = approve(&app, &session, &code).await;
    assert_eq!(status, 200, "{approved}");
    assert!(
        approved["client_name"]
            .as_str()
            .unwrap_or_default()
            .starts_with("keyward CLI on "),
        "{approved}"
    );

    let out = waiting.finish().await.ok();
    assert!(
        out.stdout
            .contains(&format!("Logged in to {} as ", app.base_url)),
        "{out}"
    );
    assert!(out.stdout.contains("the token expires 20"), "{out}");
    let secret = saved_token(&kw);
    assert!(secret.starts_with("kw_g_"), "an admin gets a global key");
    assert!(!out.stdout.contains(&secret) && !out.stderr.contains(&secret));

    // The file alone serves every command: the key is the admin's, it
    // expires (in 30 days), and it is named after this computer.
    let me = kw.bare().run(&["whoami", "--json"]).await.ok().json();
    assert_eq!(me["token"]["kind"], "global", "{me}");
    let name = me["token"]["name"].as_str().unwrap().to_string();
    assert!(name.starts_with("CLI: keyward CLI on "), "{me}");
    assert!(me["token"]["expires_at"].is_string(), "{me}");
    let list = kw.bare().run(&["tokens", "list", "--json"]).await.ok();
    assert!(list.stdout.contains(&name), "{list}");

    // Logout revokes it on the deployment, then forgets it.
    let out = kw.bare().run(&["logout"]).await.ok();
    assert!(out.stderr.contains("Revoked"), "{out}");
    assert!(!kw.default_config_path().exists());
    let after = app.get("/api/v1/whoami", &secret).await;
    assert_eq!(after.status, 401, "{}", after.text);
    // A second logout has nothing left to do.
    let out = kw.bare().run(&["logout"]).await.ok();
    assert!(out.stderr.contains("Not logged in"), "{out}");

    // A token given to `keyward login` (here the master token) is only
    // forgotten by logout: it keeps working.
    kw.run_with_stdin(&["login"], Some(&app.admin_secret))
        .await
        .ok();
    let out = kw.bare().run(&["logout"]).await.ok();
    assert!(out.stderr.contains("Did not revoke"), "{out}");
    assert!(!kw.default_config_path().exists());
    assert_eq!(
        app.get("/api/v1/whoami", &app.admin_secret).await.status,
        200
    );
}

#[tokio::test]
async fn a_member_waits_for_the_approval_and_gets_a_personal_key() {
    let app = spawn_app().await;
    let admin = Kw::admin(&app);
    let member = admin
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
    let user_token = app.user_token_for("dana@example.com").await;

    // --json still prints the code on stderr, and nothing but JSON on stdout.
    let kw = Kw::with(Some(&app.base_url), None);
    let waiting = Waiting::start(&kw, &["login", "--web", "--json"]).await;
    // Past the first poll (5 s): "authorization_pending" keeps it waiting.
    tokio::time::sleep(Duration::from_secs(7)).await;
    let session = app.open_session(&user_token).await;
    let (status, approved) = approve(&app, &session, &waiting.user_code).await;
    assert_eq!(status, 200, "{approved}");
    let out = waiting.finish().await.ok();
    let v = out.json();
    assert_eq!(v["token"]["kind"], "personal", "{out}");
    assert_eq!(v["token"]["member_id"], member_id.as_str(), "{out}");
    let secret = saved_token(&kw);
    assert!(secret.starts_with("kw_p_"), "a member gets a personal key");
    assert!(!out.stdout.contains(&secret) && !out.stderr.contains(&secret));
    kw.bare().run(&["whoami"]).await.ok();

    let out = kw.bare().run(&["logout"]).await.ok();
    assert!(out.stderr.contains("Revoked"), "{out}");
    assert_eq!(app.get("/api/v1/whoami", &secret).await.status, 401);
    // The member's own user token is untouched.
    assert_eq!(app.get("/api/v1/whoami", &user_token).await.status, 200);
}

/// A front for the worker that hands out a device code the worker never
/// issued (`/auth/device`), and passes every other request through: the CLI
/// then polls the worker with an unknown code.
async fn front_with_unknown_code(app: &TestApp) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let front = format!("http://{}", listener.local_addr().unwrap());
    let client = app.client.clone();
    let upstream = app.base_url.clone();
    let base = front.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let (client, upstream, base) = (client.clone(), upstream.clone(), base.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let head_end = loop {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                while buf.len() < head_end + length {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let body = buf[head_end..head_end + length].to_vec();
                let mut first = head.lines().next().unwrap_or_default().split(' ');
                let method = first.next().unwrap_or_default().to_string();
                let path = first.next().unwrap_or_default().to_string();
                let (status, text) = if method == "POST" && path == "/api/v1/auth/device" {
                    let made_up = json!({
                        "device_code": "kw_dc_thiswasneverissuedbytheworker0000000",
                        "user_code": "BCDF-GHJK",
                        "verification_uri": format!("{base}/device"),
                        "verification_uri_complete": format!("{base}/device?code=BCDF-GHJK"),
                        "expires_in": 600,
                        "interval": 1,
                    });
                    (200, made_up.to_string())
                } else {
                    let resp = client
                        .request(
                            Method::from_bytes(method.as_bytes()).unwrap(),
                            format!("{upstream}{path}"),
                        )
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .expect("the worker answers");
                    (
                        resp.status().as_u16(),
                        resp.text().await.unwrap_or_default(),
                    )
                };
                let reply = format!(
                    "HTTP/1.1 {status} Answer\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                    text.len()
                );
                let _ = sock.write_all(reply.as_bytes()).await;
            });
        }
    });
    front
}

#[tokio::test]
async fn an_unknown_or_expired_device_code_is_a_clear_error() {
    let app = spawn_app().await;
    // The worker itself: an unknown code is "expired", with the contract's
    // problem (what the CLI reads).
    let unknown = app
        .send(
            Method::POST,
            "/api/v1/auth/device/token",
            None,
            Some(json!({"device_code": "kw_dc_nosuchcode"})),
        )
        .await;
    assert_eq!(unknown.status, 400, "{}", unknown.text);
    assert_eq!(unknown.code(), "device_code_expired");

    // The CLI polling the worker with a code it never issued gives up at
    // once, says what to do, and saves nothing.
    let front = front_with_unknown_code(&app).await;
    let kw = Kw::with(Some(&front), None);
    let out = finish(kw.spawn(&["login", "--web"]))
        .await
        .fails(1, "device_code_expired");
    assert!(out.stderr.contains("keyward login --web` again"), "{out}");
    assert!(
        out.stderr.contains("BCDF-GHJK"),
        "the code was shown: {out}"
    );
    assert!(!kw.default_config_path().exists());
}

#[tokio::test]
async fn logout_forgets_the_token_even_when_it_cannot_revoke_it() {
    // No deployment answers there: the revocation fails, the file goes
    // all the same, and the exit code says something is left to do.
    let kw = Kw::with(None, None);
    let path = kw.default_config_path();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "url = \"http://127.0.0.1:9\"\ntoken = \"kw_g_x\"\n").unwrap();
    let out = kw.run(&["logout"]).await.fails(1, "could not reach");
    assert!(out.stderr.contains("could not be revoked"), "{out}");
    assert!(out.stderr.contains("keyward tokens delete"), "{out}");
    assert!(!path.exists());
}
