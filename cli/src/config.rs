//! Where the deployment URL and the token come from: `--url`/`--token`,
//! then `KEYWARD_URL`/`KEYWARD_TOKEN` (clap reads both, flag first), then
//! the file `keyward login` writes.

use crate::error::CliError;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The config file: the only place the CLI persists a secret, readable by
/// its owner alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// `$KEYWARD_CONFIG` (a file, or a directory that holds `config.toml`),
/// else `$XDG_CONFIG_HOME/keyward/config.toml`, else
/// `~/.config/keyward/config.toml`.
pub fn config_path() -> Result<PathBuf, CliError> {
    if let Some(p) = non_empty_env("KEYWARD_CONFIG") {
        let p = PathBuf::from(p);
        return Ok(if p.is_dir() { p.join("config.toml") } else { p });
    }
    let base =
        match non_empty_env("XDG_CONFIG_HOME") {
            Some(x) => PathBuf::from(x),
            None => match non_empty_env("HOME") {
                Some(h) => PathBuf::from(h).join(".config"),
                None => return Err(CliError::Usage(
                    "cannot find a config directory: set KEYWARD_CONFIG, XDG_CONFIG_HOME or HOME"
                        .into(),
                )),
            },
        };
    Ok(base.join("keyward").join("config.toml"))
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl ConfigFile {
    /// A missing file is an empty config; an unreadable or malformed one is
    /// an error, so a typo never silently falls back to other credentials.
    pub fn load(path: &Path) -> Result<ConfigFile, CliError> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| {
                CliError::Config(format!(
                    "{} is not a valid config file: {e}",
                    path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ConfigFile::default()),
            Err(e) => Err(CliError::Config(format!(
                "cannot read {}: {e}",
                path.display()
            ))),
        }
    }

    /// Writes the file with mode 0600 from the first byte: a temporary file
    /// created 0600 in the same directory, then renamed over the old one,
    /// so the secret is never world-readable, not even for a moment, and a
    /// crash never leaves half a file.
    pub fn save(&self, path: &Path) -> Result<(), CliError> {
        let fail = |what: &str, e: std::io::Error| {
            CliError::Config(format!("cannot {what} {}: {e}", path.display()))
        };
        let text = toml::to_string(self)
            .map_err(|e| CliError::Config(format!("cannot encode the config: {e}")))?;
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| fail("create the directory of", e))?;
        }
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "config.toml".into());
        let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            // The umask may only remove bits, but say 0600 explicitly anyway.
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            fail("write", e)
        })
    }
}

/// The deployment and credentials one command runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub url: String,
    pub token: Option<String>,
}

/// Resolves flag > env (both already merged by clap) > file.
///
/// The file's token goes only to the file's URL: with `--url` pointing
/// elsewhere, sending it would hand a secret to another host.
pub fn resolve(url: Option<String>, token: Option<String>) -> Result<Settings, CliError> {
    let file = if url.is_none() || token.is_none() {
        ConfigFile::load(&config_path()?)?
    } else {
        ConfigFile::default()
    };
    let file_url = file.url.as_deref().map(normalize_url).transpose()?;
    let url = match url {
        Some(u) => normalize_url(&u)?,
        None => file_url.clone().ok_or_else(|| {
            CliError::Usage(
                "no Keyward URL: pass --url, set KEYWARD_URL, or run `keyward login`".into(),
            )
        })?,
    };
    let token = token.or_else(|| {
        if file_url.as_deref() == Some(url.as_str()) {
            file.token
        } else {
            None
        }
    });
    Ok(Settings { url, token })
}

/// `https://host/` and `https://host` name the same deployment; anything
/// that is not http(s) is a usage error rather than a confusing network one.
pub fn normalize_url(url: &str) -> Result<String, CliError> {
    let url = url.trim().trim_end_matches('/');
    let host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match host {
        Some(h) if !h.is_empty() && !h.contains(char::is_whitespace) => Ok(url.to_string()),
        _ => Err(CliError::Usage(format!(
            "'{url}' is not a Keyward URL; expected http(s)://host[:port]"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_normalized() {
        assert_eq!(normalize_url("http://x:1/").unwrap(), "http://x:1");
        assert_eq!(
            normalize_url(" https://k.example ").unwrap(),
            "https://k.example"
        );
        for bad in ["", "x", "ftp://x", "http://", "https:///", "http://a b"] {
            assert!(normalize_url(bad).is_err(), "{bad:?} accepted");
        }
    }
}
