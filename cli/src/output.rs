//! How results reach the terminal: aligned tables and `key: value` blocks
//! for people, the API's own JSON for scripts (`--json`), and the bare
//! secret for pipes (`--quiet`).

use crate::error::CliError;
use keyward_domain::api::Token;
use keyward_domain::{Grant, TokenKind};
use serde::Serialize;
use std::io::Write;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Human,
    Json,
    Quiet,
}

/// Writes to stdout; a closed pipe (`keyward tokens list | head -1`) ends
/// the output quietly instead of panicking.
pub fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

pub fn json<T: Serialize>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::Failed(format!("cannot encode JSON: {e}")))?;
    out(&format!("{text}\n"));
    Ok(())
}

/// A note for people (progress, confirmations), on stderr so that stdout
/// stays what scripts read.
pub fn note(text: &str) {
    eprintln!("{text}");
}

pub fn instant(t: &OffsetDateTime) -> String {
    // Whole seconds in UTC: the API's precision is more than anyone reads.
    let t = t
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(*t);
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

pub fn opt_instant(t: &Option<OffsetDateTime>, none: &str) -> String {
    t.as_ref().map(instant).unwrap_or_else(|| none.to_string())
}

pub fn grants(grants: &[Grant]) -> String {
    if grants.is_empty() {
        "(none)".into()
    } else {
        grants
            .iter()
            .map(Grant::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A table with a header row; columns as wide as their widest cell.
pub struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: Vec<&'static str>) -> Table {
        Table {
            header,
            rows: vec![],
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let cols = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(cols) {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
        let line = |cells: Vec<&str>| {
            let mut s = String::new();
            for (i, c) in cells.iter().enumerate() {
                if i + 1 == cells.len() {
                    s.push_str(c);
                } else {
                    s.push_str(c);
                    let pad = widths[i] - c.chars().count() + 2;
                    s.extend(std::iter::repeat_n(' ', pad));
                }
            }
            s.truncate(s.trim_end().len());
            s.push('\n');
            s
        };
        let mut s = line(self.header.clone());
        for r in &self.rows {
            s.push_str(&line(r.iter().map(String::as_str).collect()));
        }
        s
    }

    pub fn print(&self) {
        out(&self.render());
    }
}

/// `key: value` lines, keys aligned.
pub fn fields(pairs: &[(&str, String)]) -> String {
    let w = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    pairs
        .iter()
        .map(|(k, v)| format!("{k:<w$}  {v}\n", k = format!("{k}:"), w = w + 1))
        .collect()
}

/// A token's grants as people read them: a master token's empty list
/// means every permission, not none.
pub fn token_grants(t: &Token) -> String {
    if t.kind == TokenKind::Master && t.grants.is_empty() {
        "(every permission: master token)".into()
    } else {
        grants(&t.grants)
    }
}

pub fn or_dash(s: &str) -> String {
    if s.is_empty() {
        "-".into()
    } else {
        s.to_string()
    }
}

pub fn token_fields(t: &Token) -> String {
    fields(&[
        ("id", t.id.clone()),
        ("name", t.name.clone()),
        ("description", or_dash(&t.description)),
        ("kind", t.kind.to_string()),
        ("client id", t.client_id.clone()),
        ("grants", token_grants(t)),
        (
            "personas",
            if t.personas.is_empty() {
                "-".into()
            } else {
                t.personas.join(", ")
            },
        ),
        (
            "project",
            t.project.clone().unwrap_or_else(|| "- (global)".into()),
        ),
        ("created by", t.created_by.clone()),
        ("created at", instant(&t.created_at)),
        ("updated at", instant(&t.updated_at)),
        ("expires at", opt_instant(&t.expires_at, "never")),
        ("last used at", opt_instant(&t.last_used_at, "never")),
        ("secret hint", t.secret_hint.clone()),
        (
            "enabled",
            if t.enabled { "yes" } else { "no (disabled)" }.into(),
        ),
        ("not before", opt_instant(&t.not_before, "-")),
        (
            "allowed ips",
            if t.allowed_ips.is_empty() {
                "any".into()
            } else {
                t.allowed_ips
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        ),
        (
            "uses",
            match &t.usage_limit {
                None => "unlimited".into(),
                Some(u) => {
                    let refill = u
                        .refill
                        .map_or(String::new(), |r| format!(", refilled {}", r.as_str()));
                    match t.remaining_uses {
                        Some(left) => format!("{left} left of {}{refill}", u.uses),
                        None => format!("{}{refill}", u.uses),
                    }
                }
            },
        ),
        (
            "meta",
            if t.meta.is_empty() {
                "-".into()
            } else {
                t.meta.as_json().to_string()
            },
        ),
    ])
}

/// A secret the API shows exactly once: alone on stdout with `--quiet` (so
/// `$(keyward tokens create … -q)` captures it), else after the details
/// with a warning that it will not be shown again.
pub fn issued(mode: Mode, details: &str, secret: &str) {
    match mode {
        Mode::Quiet => out(&format!("{secret}\n")),
        Mode::Human | Mode::Json => {
            out(details);
            out(&format!(
                "\nsecret: {secret}\n\nStore the secret now: it is shown once and cannot be retrieved again.\n"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align() {
        let mut t = Table::new(vec!["ID", "NAME"]);
        t.row(vec!["tok_1".into(), "ci".into()]);
        t.row(vec!["t".into(), "déploiement".into()]);
        assert_eq!(t.render(), "ID     NAME\ntok_1  ci\nt      déploiement\n");
    }
}
