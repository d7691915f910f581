//! `keyward login` (a token given, or the browser's device flow) and
//! `keyward logout` (revoke what the browser flow made, forget the file).

use super::Ctx;
use crate::cli::LoginArgs;
use crate::client::Client;
use crate::config::{self, ConfigFile, Settings};
use crate::error::CliError;
use crate::output::{self, Mode};
use keyward_domain::api::{
    DeviceAuthorization, DeviceTokenRequest, IssuedToken, StartDeviceAuthorization, Token, WhoAmI,
};
use keyward_domain::paths as P;
use keyward_domain::{ErrorCode, TokenKind};
use std::io::{BufRead, IsTerminal};
use std::path::Path;
use std::time::{Duration, Instant};

/// What the deployment names the keys the browser flow issues
/// (`CLI: <client_name>`; a personal key's name starts with its member's
/// email and ` · `); `logout` revokes only those.
const CLI_KEY_PREFIX: &str = "CLI: ";

fn made_by_login_web(t: &Token) -> bool {
    let own_name = match t.kind {
        TokenKind::Personal => t.name.split_once(" · ").map_or(t.name.as_str(), |(_, n)| n),
        _ => t.name.as_str(),
    };
    own_name.starts_with(CLI_KEY_PREFIX)
}

pub fn login(ctx: &Ctx, args: LoginArgs) -> Result<(), CliError> {
    let path = config::config_path()?;
    let existing = ConfigFile::load(&path)?;
    let url =
        ctx.url.clone().or(existing.url).ok_or_else(|| {
            CliError::Usage("no Keyward URL: pass --url or set KEYWARD_URL".into())
        })?;
    let url = config::normalize_url(&url)?;
    let web =
        args.web || (!args.with_token && ctx.token.is_none() && std::io::stdin().is_terminal());
    if web {
        return login_web(ctx, &path, url);
    }
    let token = match ctx.token.clone() {
        Some(t) if !args.with_token => t,
        _ => read_token()?,
    };
    // Check before saving, so the file never holds a token that does not
    // work against that URL.
    let client = Client::new(Settings {
        url: url.clone(),
        token: Some(token.clone()),
    })?;
    let me: WhoAmI = client.get(P::WHOAMI.template(), &[])?;
    ConfigFile {
        url: Some(url.clone()),
        token: Some(token),
    }
    .save(&path)?;
    match ctx.mode {
        Mode::Json => output::json(&serde_json::json!({
            "url": url,
            "config_path": path,
            "token": me.token,
        })),
        Mode::Quiet => Ok(()),
        Mode::Human => {
            output::out(&format!(
                "Logged in to {url} as {} ({} token, client id {}).\nSaved to {} (mode 0600).\n",
                me.token.name,
                me.token.kind,
                me.token.client_id,
                path.display()
            ));
            Ok(())
        }
    }
}

/// The secret from stdin: hidden on a terminal, one line from a pipe.
fn read_token() -> Result<String, CliError> {
    let stdin = std::io::stdin();
    let token = if stdin.is_terminal() {
        rpassword::prompt_password("Token (input hidden): ")
            .map_err(|e| CliError::Usage(format!("cannot read the token: {e}")))?
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .map_err(|e| CliError::Usage(format!("cannot read the token from stdin: {e}")))?;
        line
    };
    let token = token.trim().to_string();
    if token.is_empty() {
        return Err(CliError::Usage(
            "no token: pass --token, set KEYWARD_TOKEN, or give it on stdin".into(),
        ));
    }
    Ok(token)
}

/// RFC 8628: ask for a code, show it, poll until the person approved it in
/// the app, then save the key the deployment issued.
fn login_web(ctx: &Ctx, path: &Path, url: String) -> Result<(), CliError> {
    let client = Client::new(Settings {
        url: url.clone(),
        token: None,
    })?;
    let start: DeviceAuthorization = client.post_public(
        P::DEVICE.template(),
        &StartDeviceAuthorization {
            client_name: Some(client_name()),
        },
    )?;
    // Always on stderr, even with --quiet or --json: without the code
    // nobody can approve.
    output::note(&format!(
        "First copy your one-time code: {}\nThen open {} and approve it (it expires in {}).\nWaiting for the approval... (Ctrl-C to cancel)",
        start.user_code,
        start.verification_uri_complete,
        lifetime(start.expires_in),
    ));
    let issued = poll(&client, &start)?;
    ConfigFile {
        url: Some(url.clone()),
        token: Some(issued.secret.clone()),
    }
    .save(path)?;
    // Only for the name to greet with: the key came from the deployment
    // itself and is saved already.
    let me: Option<WhoAmI> = Client::new(Settings {
        url: url.clone(),
        token: Some(issued.secret.clone()),
    })
    .and_then(|c| c.get(P::WHOAMI.template(), &[]))
    .ok();
    let token = me.as_ref().map(|m| &m.token).unwrap_or(&issued.token);
    let person = me.as_ref().and_then(|m| m.person.clone());
    let shadowed = ctx.token.is_some();
    match ctx.mode {
        Mode::Json => output::json(&serde_json::json!({
            "url": url,
            "config_path": path,
            "token": token,
            "person": person,
        }))?,
        Mode::Quiet => {}
        Mode::Human => {
            let who = person.as_ref().map_or(token.name.as_str(), |p| &p.name);
            let expires = output::opt_instant(&token.expires_at, "never");
            output::out(&format!(
                "Logged in to {url} as {who}; the token expires {expires}.\nSaved {} ({}) to {} (mode 0600).\n",
                token.id,
                token.name,
                path.display()
            ));
        }
    }
    if shadowed && ctx.mode != Mode::Quiet {
        output::note(
            "Note: --token or KEYWARD_TOKEN is set and is used instead of the saved token.",
        );
    }
    Ok(())
}

fn poll(client: &Client, start: &DeviceAuthorization) -> Result<IssuedToken, CliError> {
    let mut interval = start.interval.max(1);
    // The deployment ends the code itself; this only bounds the wait if it
    // keeps answering "pending" past the code's lifetime.
    let deadline = Instant::now() + Duration::from_secs(start.expires_in + interval);
    let request = DeviceTokenRequest {
        device_code: start.device_code.clone(),
    };
    let mut network_failures = 0;
    loop {
        std::thread::sleep(Duration::from_secs(interval));
        match client.post_public::<_, IssuedToken>(P::DEVICE_TOKEN.template(), &request) {
            Ok(issued) => return Ok(issued),
            Err(CliError::Api(p)) if p.code == ErrorCode::AuthorizationPending => {
                network_failures = 0;
            }
            Err(CliError::Api(p)) if p.code == ErrorCode::DeviceCodeExpired => {
                return Err(not_approved(&format!("{}: {}", p.code.as_str(), p.detail)));
            }
            // RFC 8628's slow_down: wait longer between polls.
            Err(CliError::Api(p)) if p.code == ErrorCode::RateLimited => interval += 5,
            // A dropped connection is no reason to start over; three in a
            // row are.
            Err(e @ CliError::Network { .. }) => {
                network_failures += 1;
                if network_failures >= 3 {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
        if Instant::now() >= deadline {
            return Err(not_approved(&format!(
                "{}: the code was not approved within {}",
                ErrorCode::DeviceCodeExpired.as_str(),
                lifetime(start.expires_in)
            )));
        }
    }
}

fn not_approved(what: &str) -> CliError {
    CliError::Failed(format!(
        "{what}. The one-time code expired or was already used, so nothing was saved; run `keyward login --web` again."
    ))
}

/// "10 minutes", "90 seconds".
fn lifetime(seconds: u64) -> String {
    match seconds {
        60 => "1 minute".into(),
        s if s % 60 == 0 => format!("{} minutes", s / 60),
        1 => "1 second".into(),
        s => format!("{s} seconds"),
    }
}

/// What the person approving sees: "keyward CLI on <host>".
fn client_name() -> String {
    let host = hostname().unwrap_or_else(|| "this computer".into());
    let host: String = host.chars().take(60).collect();
    format!("keyward CLI on {host}")
}

fn hostname() -> Option<String> {
    let from_proc = std::fs::read_to_string("/proc/sys/kernel/hostname").ok();
    let name = from_proc.or_else(|| {
        let out = std::process::Command::new("uname")
            .arg("-n")
            .stderr(std::process::Stdio::null())
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    })?;
    let name = name.trim();
    (!name.is_empty() && !name.chars().any(char::is_control)).then(|| name.to_string())
}

/// What logout did with the saved token on the deployment.
enum Revocation {
    /// No URL and token saved: nothing to revoke.
    Nothing,
    Revoked(Box<Token>),
    /// Not a key the browser flow made: forgotten, still valid.
    Kept(Box<Token>),
    /// The deployment refuses it already (the problem's code).
    AlreadyRefused(String),
}

pub fn logout(ctx: &Ctx) -> Result<(), CliError> {
    let path = config::config_path()?;
    // An unreadable file is removed all the same; there is nothing in it
    // to revoke with.
    let file = ConfigFile::load(&path).unwrap_or_default();
    let revocation = match (&file.url, &file.token) {
        (Some(url), Some(token)) => revoke_saved(url, token),
        _ => Ok(Revocation::Nothing),
    };
    let removed = match std::fs::remove_file(&path) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => {
            return Err(CliError::Config(format!(
                "cannot remove {}: {e}",
                path.display()
            )))
        }
    };
    let url = file.url.as_deref().unwrap_or("the deployment");
    let revocation = match revocation {
        Ok(r) => r,
        Err(e) => {
            let gone = if removed {
                format!("{} is removed", path.display())
            } else {
                "nothing is saved any more".into()
            };
            return Err(CliError::Failed(format!(
                "{e}\nThe saved token could not be revoked on {url}, but {gone}: revoke it in the app or with `keyward tokens delete <id>`."
            )));
        }
    };
    match ctx.mode {
        Mode::Json => {
            let revoked = match &revocation {
                Revocation::Revoked(t) => Some(t.id.clone()),
                _ => None,
            };
            output::json(&serde_json::json!({
                "config_path": path,
                "removed": removed,
                "revoked": revoked,
            }))?;
        }
        Mode::Quiet => {}
        Mode::Human => {
            match &revocation {
                Revocation::Nothing => {}
                Revocation::Revoked(t) => output::note(&format!(
                    "Revoked {} ({}) on {url}.",
                    t.id, t.name
                )),
                Revocation::Kept(t) => output::note(&format!(
                    "Did not revoke the saved {} token {} ({}): only keys made by `keyward login --web` are revoked. It still works.",
                    t.kind, t.id, t.name
                )),
                Revocation::AlreadyRefused(code) => output::note(&format!(
                    "The saved token no longer works on {url} ({code}); nothing to revoke."
                )),
            }
            if removed {
                output::note(&format!("Removed {}.", path.display()));
            } else {
                output::note(&format!(
                    "Not logged in ({} does not exist).",
                    path.display()
                ));
            }
        }
    }
    Ok(())
}

/// Revokes the saved key if `keyward login --web` made it: a global key
/// (an admin's) or a personal key (a member's) named `CLI: …`.
fn revoke_saved(url: &str, token: &str) -> Result<Revocation, CliError> {
    let client = Client::new(Settings {
        url: config::normalize_url(url)?,
        token: Some(token.to_string()),
    })?;
    let me: WhoAmI = match client.get(P::WHOAMI.template(), &[]) {
        Ok(me) => me,
        Err(CliError::Api(p)) if p.status == 401 => {
            return Ok(Revocation::AlreadyRefused(p.code.as_str().to_string()))
        }
        Err(e) => return Err(e),
    };
    let t = me.token;
    if !made_by_login_web(&t) {
        return Ok(Revocation::Kept(Box::new(t)));
    }
    let path = match t.kind {
        TokenKind::Global => P::TOKEN.with(&[&t.id]),
        TokenKind::Personal => match t.member_id.as_deref() {
            Some(member) => P::MEMBER_KEY.with(&[member, &t.id]),
            None => return Ok(Revocation::Kept(Box::new(t))),
        },
        _ => return Ok(Revocation::Kept(Box::new(t))),
    };
    client.delete(&path)?;
    Ok(Revocation::Revoked(Box::new(t)))
}
