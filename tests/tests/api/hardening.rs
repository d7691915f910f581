//! The public surface, hardened: unauthenticated requests cannot load the
//! registry or write storage; repeated failures from one address are slowed
//! and then refused; browsers get a strict policy for the app and downloads
//! for stored objects; bodies are capped while they stream; invitations
//! need a configured email; names carry no invisible controls.

use base64::Engine;
use keyward_tests::{spawn_app, spawn_app_with, Answer, TestApp};
use reqwest::Method;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends a token by invitation through the dev outbox; returns the code.
async fn invite(app: &TestApp, name: &str, email: &str) -> String {
    let (token, _) = app.create_token(name, json!([])).await;
    let r = app
        .post(
            &format!(
                "/api/v1/tokens/{}/invitations",
                token["id"].as_str().unwrap()
            ),
            &app.admin_secret,
            json!({ "email": email }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let outbox = app.get("/api/v1/outbox", &app.admin_secret).await.json();
    let text = outbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["to"] == email)
        .expect("the email")["text"]
        .as_str()
        .unwrap()
        .to_string();
    let at = text.find("/invite/").expect("a link");
    text[at + 8..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect()
}

fn find_dir(root: &Path, name_part: &str) -> Option<PathBuf> {
    for entry in std::fs::read_dir(root).ok()?.flatten() {
        let p = entry.path();
        if p.is_dir() {
            if p.file_name()?.to_string_lossy().contains(name_part) {
                return Some(p);
            }
            if let Some(found) = find_dir(&p, name_part) {
                return Some(found);
            }
        }
    }
    None
}

/// With the registry's storage destroyed, whatever still answers correctly
/// did not ask the registry.
#[tokio::test]
async fn public_invitation_answers_and_health_never_reach_the_registry() {
    let mut app = spawn_app().await;
    let pending = invite(&app, "pending", "p@example.com").await;
    let used = invite(&app, "used", "u@example.com").await;
    assert_eq!(
        pending.len(),
        keyward_domain::invitation::CODE_LEN,
        "codes carry a checksum"
    );
    assert!(keyward_domain::invitation::is_code(&pending));
    assert_eq!(app.accept_invitation(&used).await.status, 200);

    app.stop();
    let registry = find_dir(&app.persist_dir, "RegistryObject").expect("the registry's storage");
    // The object's own database (not workerd's metadata of the class).
    for entry in std::fs::read_dir(&registry).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with("metadata.") {
            continue;
        }
        if name.ends_with(".sqlite") {
            let len = std::fs::metadata(entry.path()).unwrap().len().max(4096) as usize;
            std::fs::write(entry.path(), vec![0x5a; len]).unwrap();
        } else {
            std::fs::remove_file(entry.path()).unwrap();
        }
    }
    app.restart().await;
    // The registry is gone for good: anything that needs it fails closed.
    let r = app.get("/api/v1/tokens", &app.admin_secret).await;
    assert!(
        r.status >= 500,
        "registry still works? {} {}",
        r.status,
        r.text
    );

    assert_eq!(
        app.send(Method::GET, "/api/v1/health", None, None)
            .await
            .status,
        200
    );
    let r = app.open_invitation(&pending).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app.open_invitation(&used).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (410, "invitation_used"),
        "{}",
        r.text
    );
    // Unknown codes: one shaped like the codes of before (32 characters,
    // no checksum), one damaged, and one with a valid checksum that was
    // never issued. None of them reaches the registry.
    let never_issued =
        keyward_domain::invitation::new_code(|b| getrandom::getrandom(b).expect("rng"));
    let mut damaged = pending.clone().into_bytes();
    damaged[3] = if damaged[3] == b'a' { b'b' } else { b'a' };
    let damaged = String::from_utf8(damaged).unwrap();
    for code in [&pending[..32], damaged.as_str(), never_issued.as_str()] {
        let r = app.open_invitation(code).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (404, "not_found"),
            "{code}: {}",
            r.text
        );
        let r = app.accept_invitation(code).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (404, "not_found"),
            "{code}: {}",
            r.text
        );
    }
    let r = app.accept_invitation(&used).await;
    assert_eq!((r.status, r.code().as_str()), (410, "invitation_used"));
}

#[tokio::test]
async fn health_only_reads() {
    let app = spawn_app().await;
    for _ in 0..5 {
        let r = app.send(Method::GET, "/api/v1/health", None, None).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["kv"], "ok");
    }
    let written = app
        .persisted_bytes()
        .into_iter()
        .filter(|(_, b)| b.windows(12).any(|w| w == b"health:probe"))
        .map(|(p, _)| p)
        .collect::<Vec<_>>();
    assert!(written.is_empty(), "health wrote to KV: {written:?}");
}

/// A client bound to its own loopback address: workerd reports it as the
/// client's address (`CF-Connecting-IP`), as Cloudflare would.
fn client_from(last_octet: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last_octet)))
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn call(client: &reqwest::Client, app: &TestApp, path: &str, secret: Option<&str>) -> Answer {
    let mut req = client.get(app.url(path));
    if let Some(s) = secret {
        req = req.bearer_auth(s);
    }
    let resp = req.send().await.expect("an answer");
    Answer {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        text: resp.text().await.unwrap_or_default(),
    }
}

#[tokio::test]
async fn repeated_failures_from_one_address_are_slowed_then_refused() {
    let app = spawn_app_with(&[("FAILURE_LIMIT", "6"), ("FAILURE_WINDOW_SECONDS", "600")]).await;
    let attacker = client_from(2);
    let neighbour = client_from(3);
    let (_, valid) = app.create_token("valid", json!([])).await;

    // Garbage costs the worker CPU only (shape and checksum): answered at
    // once, never counted, never slowed.
    for _ in 0..10 {
        let started = Instant::now();
        let r = call(&attacker, &app, "/api/v1/whoami", Some("kw_s_nope")).await;
        assert_eq!((r.status, r.code().as_str()), (401, "malformed_token"));
        assert!(started.elapsed() < Duration::from_millis(900));
    }
    // Unknown secrets (valid checksum, so each costs a KV read): six
    // failures are answered as failures...
    let mut slow = Duration::ZERO;
    for i in 0..6 {
        let guess = keyward_tests::mint(keyward_domain::TokenKind::Scoped);
        let raw = guess.expose().to_string();
        let started = Instant::now();
        let r = call(&attacker, &app, "/api/v1/whoami", Some(&raw)).await;
        assert_eq!(r.status, 401, "attempt {i}: {}", r.text);
        if i >= 3 {
            slow = slow.max(started.elapsed());
        }
    }
    // ... the later ones slowly ...
    assert!(
        slow >= Duration::from_millis(900),
        "failures past half the limit are slowed: {slow:?}"
    );
    // ... and then the address is refused, whatever it presents.
    for (path, secret) in [
        ("/api/v1/whoami", Some("kw_s_nope")),
        ("/api/v1/whoami", Some(valid.as_str())),
        ("/api/v1/invitations/open/abc", None),
    ] {
        let r = call(&attacker, &app, path, secret).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (429, "rate_limited"),
            "{path}: {}",
            r.text
        );
        let retry: u64 = r
            .header("retry-after")
            .expect("Retry-After")
            .parse()
            .unwrap();
        assert!((1..=600).contains(&retry), "retry after {retry}");
    }
    // Health stays reachable for it.
    assert_eq!(
        call(&attacker, &app, "/api/v1/health", None).await.status,
        200
    );

    // Another address is not affected: its valid token works, its own
    // failures are its own.
    let r = call(&neighbour, &app, "/api/v1/whoami", Some(&valid)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = call(&neighbour, &app, "/api/v1/whoami", Some("kw_s_nope")).await;
    assert_eq!((r.status, r.code().as_str()), (401, "malformed_token"));

    // Unknown invitation codes count too.
    let scanner = client_from(4);
    for i in 0..6 {
        let code = keyward_domain::invitation::new_code(|b| getrandom::getrandom(b).expect("rng"));
        let r = call(
            &scanner,
            &app,
            &format!("/api/v1/invitations/open/{code}"),
            None,
        )
        .await;
        assert_eq!(r.status, 404, "attempt {i}: {}", r.text);
    }
    let r = call(&scanner, &app, "/api/v1/invitations/open/whatever", None).await;
    assert_eq!(r.status, 429, "{}", r.text);
}

#[tokio::test]
async fn valid_calls_are_not_counted_as_failures() {
    let app = spawn_app_with(&[("FAILURE_LIMIT", "3")]).await;
    let me = client_from(5);
    for _ in 0..10 {
        let r = call(&me, &app, "/api/v1/whoami", Some(&app.admin_secret)).await;
        assert_eq!(r.status, 200);
        // Missing credentials and permission refusals are no guesses.
        assert_eq!(call(&me, &app, "/api/v1/whoami", None).await.status, 401);
    }
    let (_, none) = app.create_token("nothing", json!([])).await;
    for _ in 0..5 {
        assert_eq!(
            call(&me, &app, "/api/v1/tokens", Some(&none)).await.status,
            403
        );
    }
    assert_eq!(
        call(&me, &app, "/api/v1/whoami", Some(&app.admin_secret))
            .await
            .status,
        200
    );
}

const EXPECTED_PAGE_HEADERS: &[(&str, &str)] = &[
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("x-content-type-options", "nosniff"),
];

fn directive<'a>(csp: &'a str, name: &str) -> Option<&'a str> {
    csp.split(';')
        .map(str::trim)
        .find(|d| d.split_whitespace().next() == Some(name))
}

#[tokio::test]
async fn every_page_of_the_app_carries_a_strict_policy() {
    let app = spawn_app().await;
    for path in ["/", "/tokens", "/tokens/abc", "/invite/xyz", "/index.html"] {
        let resp = app
            .client
            .get(app.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let h = resp.headers().clone();
        let get = |n: &str| {
            h.get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        assert!(get("content-type").starts_with("text/html"), "{path}");
        for (name, value) in EXPECTED_PAGE_HEADERS {
            assert_eq!(get(name), *value, "{path}: {name}");
        }
        let permissions = get("permissions-policy");
        for feature in [
            "camera=()",
            "microphone=()",
            "geolocation=()",
            "payment=()",
            "usb=()",
        ] {
            assert!(permissions.contains(feature), "{path}: {permissions}");
        }
        let csp = get("content-security-policy");
        assert_eq!(
            directive(&csp, "default-src"),
            Some("default-src 'none'"),
            "{csp}"
        );
        assert_eq!(
            directive(&csp, "frame-ancestors"),
            Some("frame-ancestors 'none'")
        );
        assert_eq!(directive(&csp, "base-uri"), Some("base-uri 'none'"));
        assert_eq!(directive(&csp, "object-src"), None, "default-src covers it");
        let script = directive(&csp, "script-src").expect("script-src");
        for loose in [
            "'unsafe-inline'",
            "'unsafe-eval'",
            "*",
            "data:",
            "http:",
            "https:",
        ] {
            assert!(!script.split_whitespace().any(|s| s == loose), "{script}");
        }
        let style = directive(&csp, "style-src").expect("style-src");
        assert!(!style.contains("unsafe-inline"), "{style}");

        // Exactly the page's own inline bootstrap is allowed, by hash.
        let html = resp.text().await.unwrap();
        let mut rest = html.as_str();
        let mut inline = 0;
        while let Some(start) = rest.find("<script") {
            let open_end = start + rest[start..].find('>').unwrap() + 1;
            let close = open_end + rest[open_end..].find("</script>").unwrap();
            let tag = &rest[start..open_end];
            if !tag.contains("src=") {
                inline += 1;
                let hash = base64::engine::general_purpose::STANDARD
                    .encode(Sha256::digest(&rest.as_bytes()[open_end..close]));
                assert!(
                    script.contains(&format!("'sha256-{hash}'")),
                    "{path}: inline script not allowed by {script}"
                );
            }
            rest = &rest[close..];
        }
        let hashes = script.matches("'sha256-").count();
        assert_eq!(hashes, inline, "{script}");
    }
}

#[tokio::test]
async fn answers_that_carry_secrets_are_never_cached() {
    let app = spawn_app().await;
    let r = app
        .post(
            "/api/v1/tokens",
            &app.admin_secret,
            json!({"name": "t", "grants": []}),
        )
        .await;
    let id = r.json()["token"]["id"].as_str().unwrap().to_string();
    let refreshed = app
        .post(
            &format!("/api/v1/tokens/{id}/refresh"),
            &app.admin_secret,
            json!({}),
        )
        .await;
    let admin = app
        .post(
            "/api/v1/admins",
            &app.admin_secret,
            json!({"email": "ops@example.com", "name": "Ops"}),
        )
        .await;
    let code = invite(&app, "sent", "s@example.com").await;
    let accepted = app.accept_invitation(&code).await;
    let member = app
        .post(
            "/api/v1/members",
            &app.admin_secret,
            json!({"email": "m@example.com", "name": "M"}),
        )
        .await;
    for (what, r) in [
        ("token create", &r),
        ("refresh", &refreshed),
        ("admin create", &admin),
        ("invitation accept", &accepted),
        ("member create", &member),
    ] {
        assert!(r.status < 300, "{what}: {} {}", r.status, r.text);
        assert_eq!(
            r.header("cache-control").as_deref(),
            Some("no-store"),
            "{what}"
        );
        assert_eq!(
            r.header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{what}"
        );
    }
    assert!(refreshed.json()["secret"].is_string());
    assert!(admin.json()["secret"].is_string());
    assert!(accepted.json()["secret"].is_string());
}

#[tokio::test]
async fn stored_objects_download_and_never_render_on_the_apps_origin() {
    let app = spawn_app().await;
    app.create_bucket("files").await;
    let put = |key: &'static str, ct: &'static str, body: &'static [u8]| {
        let app = &app;
        async move {
            let r = app
                .send_raw(
                    Method::PUT,
                    &format!("/api/v1/buckets/files/objects/{key}"),
                    Some(&app.admin_secret),
                    ct,
                    body.to_vec(),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
    };
    put("page.html", "text/html", b"<script>alert(1)</script>").await;
    put(
        "logo.svg",
        "image/svg+xml",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
    )
    .await;
    put("notes.txt", "text/plain", b"hello").await;
    put("data.json", "application/json", b"{\"a\":1}").await;

    for (key, ct) in [
        ("page.html", "text/html"),
        ("logo.svg", "image/svg+xml"),
        ("notes.txt", "text/plain"),
    ] {
        let r = app
            .get(
                &format!("/api/v1/buckets/files/objects/{key}"),
                &app.admin_secret,
            )
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type").as_deref(), Some(ct));
        assert_eq!(
            r.header("content-disposition"),
            Some(format!("attachment; filename=\"{key}\"")),
            "{key}"
        );
        assert_eq!(
            r.header("x-content-type-options").as_deref(),
            Some("nosniff")
        );
        let csp = r.header("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("sandbox"),
            "{csp}"
        );
    }
    // Inline only when asked for, and only for types that run nothing.
    for (key, ct) in [
        ("notes.txt", "text/plain; charset=utf-8"),
        ("data.json", "application/json"),
    ] {
        let r = app
            .get(
                &format!("/api/v1/buckets/files/objects/{key}?inline=true"),
                &app.admin_secret,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.header("content-type").as_deref(), Some(ct));
        assert_eq!(r.header("content-disposition").as_deref(), Some("inline"));
        assert_eq!(
            r.header("x-content-type-options").as_deref(),
            Some("nosniff")
        );
    }
    for key in ["page.html", "logo.svg"] {
        let r = app
            .get(
                &format!("/api/v1/buckets/files/objects/{key}?inline=true"),
                &app.admin_secret,
            )
            .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "invalid_request"),
            "{key}"
        );
        assert_eq!(r.json()["errors"][0]["field"], "inline");
    }
    let r = app
        .get(
            "/api/v1/buckets/files/objects/notes.txt?inline=yes",
            &app.admin_secret,
        )
        .await;
    assert_eq!(r.status, 400);
}

/// A chunked upload (no Content-Length) that passes the limit and then
/// stalls: the worker must refuse it as soon as the limit is passed,
/// without waiting for a body that may never end.
async fn chunked_over_the_limit(app: &TestApp, path: &str, limit: usize) -> (String, Duration) {
    // JSON bodies (64 KiB) go through the same reader as objects (1 MiB).
    let addr = app.base_url.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
        app.admin_secret
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b'x'; 64 * 1024];
    let started = Instant::now();
    let mut sent = 0;
    while sent <= limit + chunk.len() {
        let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if stream.write_all(&frame).await.is_err() {
            break;
        }
        sent += chunk.len();
    }
    // No terminating chunk: the body never ends.
    let mut answer = vec![];
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(15), stream.read(&mut buf))
        .await
        .expect("an answer before the body ends")
        .unwrap();
    let took = started.elapsed();
    answer.extend_from_slice(&buf[..n]);
    // The head and the problem body may come in separate reads: read on
    // until the body is complete (its Content-Length) or the peer is idle.
    let complete = |a: &[u8]| {
        let text = String::from_utf8_lossy(a);
        let Some(end) = text.find("\r\n\r\n") else {
            return false;
        };
        if text[..end]
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            return text.ends_with("0\r\n\r\n");
        }
        let length = text[..end]
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .and_then(|v| v.trim().parse::<usize>().ok())
            })
            .unwrap_or(0);
        a.len() >= end + 4 + length
    };
    while !complete(&answer) {
        match tokio::time::timeout(Duration::from_secs(3), stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => answer.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    let n = answer.len();
    drop(stream);
    // wrangler's local dev proxy holds the next request back behind the
    // abandoned one until that request gives up (Cloudflare's edge does
    // not): spend that on a throwaway request.
    let _ = reqwest::Client::new()
        .get(app.url("/api/v1/health"))
        .timeout(Duration::from_secs(3))
        .send()
        .await;
    (String::from_utf8_lossy(&answer[..n]).to_string(), took)
}

#[tokio::test]
async fn a_chunked_body_is_capped_while_it_streams() {
    let app = spawn_app().await;
    app.create_bucket("big").await;
    let (answer, took) =
        chunked_over_the_limit(&app, "/api/v1/buckets/big/objects/huge.bin", 1024 * 1024).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");
    assert!(took < Duration::from_secs(15));
    // Nothing was stored.
    let list = app
        .get("/api/v1/buckets/big/objects", &app.admin_secret)
        .await
        .json();
    assert_eq!(list["items"], json!([]));
}

#[tokio::test]
async fn without_email_or_the_dev_outbox_invitations_are_refused_and_nothing_is_made() {
    let app = spawn_app_with(&[("DEV_OUTBOX", "false")]).await;
    let (token, _) = app.create_token("unsendable", json!([])).await;
    let id = token["id"].as_str().unwrap();
    let tries = [
        app.post(
            &format!("/api/v1/tokens/{id}/invitations"),
            &app.admin_secret,
            json!({"email": "a@example.com"}),
        )
        .await,
        app.post(
            "/api/v1/members",
            &app.admin_secret,
            json!({"email": "m@example.com", "name": "M"}),
        )
        .await,
        app.post(
            "/api/v1/invitations/inv_any/resend",
            &app.admin_secret,
            json!({}),
        )
        .await,
    ];
    for r in &tries {
        assert_eq!(
            (r.status, r.code().as_str()),
            (503, "email_not_configured"),
            "{}",
            r.text
        );
        assert!(r.json()["detail"].as_str().unwrap().contains("DEV_OUTBOX"));
    }
    let invitations = app
        .get("/api/v1/invitations", &app.admin_secret)
        .await
        .json();
    assert_eq!(invitations["items"], json!([]));
    let members = app.get("/api/v1/members", &app.admin_secret).await.json();
    assert_eq!(members["items"], json!([]));
    let outbox = app.get("/api/v1/outbox", &app.admin_secret).await.json();
    assert_eq!(outbox["items"], json!([]));
    // Scoped callers still get their 403 first.
    let (_, reader) = app
        .create_token(
            "reader",
            json!([{"service": "tokens", "permission": "read"}]),
        )
        .await;
    let r = app
        .post(
            &format!("/api/v1/tokens/{id}/invitations"),
            &reader,
            json!({"email": "a@example.com"}),
        )
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn names_refuse_bidi_controls_and_zero_width_characters() {
    let app = spawn_app().await;
    for c in [
        '\u{202E}', '\u{2066}', '\u{200F}', '\u{061C}', '\u{200B}', '\u{2060}', '\u{FEFF}',
    ] {
        let name = format!("ci{c}deploy");
        let codepoint = format!("U+{:04X}", c as u32);
        let tries = [
            ("/api/v1/tokens", json!({"name": name, "grants": []})),
            (
                "/api/v1/personas",
                json!({"name": name, "description": "", "grants": []}),
            ),
            ("/api/v1/projects", json!({"id": "proj", "name": name})),
            (
                "/api/v1/admins",
                json!({"email": "x@example.com", "name": name}),
            ),
            (
                "/api/v1/members",
                json!({"email": "y@example.com", "name": name}),
            ),
        ];
        for (path, body) in tries {
            let r = app.post(path, &app.admin_secret, body).await;
            assert_eq!(
                (r.status, r.code().as_str()),
                (400, "invalid_request"),
                "{path} {codepoint}: {}",
                r.text
            );
            let e = &r.json()["errors"][0];
            assert_eq!(e["field"], "name", "{path}");
            assert!(
                e["message"].as_str().unwrap().contains(&codepoint),
                "{path}: {e}"
            );
        }
    }
    // Nothing was made.
    let tokens = app
        .get("/api/v1/tokens?q=deploy", &app.admin_secret)
        .await
        .json();
    assert_eq!(tokens["items"], json!([]));
    let r = app
        .patch(
            &format!(
                "/api/v1/tokens/{}",
                app.create_token("plain", json!([])).await.0["id"]
                    .as_str()
                    .unwrap()
            ),
            &app.admin_secret,
            json!({"name": "plain\u{202E}txt.exe"}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["errors"][0]["field"], "name");
}
