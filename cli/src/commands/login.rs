//! `keyward login` and `keyward logout`: the config file.

use super::Ctx;
use crate::client::Client;
use crate::config::{self, ConfigFile, Settings};
use crate::error::CliError;
use crate::output::{self, Mode};
use keyward_domain::api::WhoAmI;
use keyward_domain::paths as P;
use std::io::{BufRead, IsTerminal};

pub fn login(ctx: &Ctx) -> Result<(), CliError> {
    let path = config::config_path()?;
    let existing = ConfigFile::load(&path)?;
    let url =
        ctx.url.clone().or(existing.url).ok_or_else(|| {
            CliError::Usage("no Keyward URL: pass --url or set KEYWARD_URL".into())
        })?;
    let url = config::normalize_url(&url)?;
    let token = match ctx.token.clone() {
        Some(t) => t,
        None => read_token()?,
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

pub fn logout(ctx: &Ctx) -> Result<(), CliError> {
    let path = config::config_path()?;
    match std::fs::remove_file(&path) {
        Ok(()) => {
            if ctx.mode == Mode::Human {
                output::note(&format!("Removed {}.", path.display()));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if ctx.mode == Mode::Human {
                output::note(&format!(
                    "Not logged in ({} does not exist).",
                    path.display()
                ));
            }
            Ok(())
        }
        Err(e) => Err(CliError::Config(format!(
            "cannot remove {}: {e}",
            path.display()
        ))),
    }
}
