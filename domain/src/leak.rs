//! Leaked-secret reporting (GitHub's secret scanning partner program):
//! a scanner that found Keyward secrets in public posts them, and each one
//! that is real is stopped at once, per its project's choice.
//!
//! The report is checked before anything is looked up: a string that is
//! not a well-formed Keyward secret with a valid checksum is a false
//! positive without touching storage, so a scanner's noise costs nothing.

use crate::secret::Secret;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The most secrets one report may carry.
pub const MAX_REPORTED: usize = 100;

/// The header a scanning partner authenticates with: the shared key whose
/// SHA-256 the deployment holds as `LEAK_PARTNER_KEY_HASH`.
pub const PARTNER_KEY_HEADER: &str = "x-keyward-partner-key";

/// One secret found in public, as GitHub's partner API sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Sighting {
    /// The secret as found.
    pub token: String,
    /// The scanner's name for the kind of secret.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Where it was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// What a project does with a token whose secret was found in public.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LeakResponse {
    /// Turn the token off (an admin can look, rotate and turn it back on).
    #[default]
    Disable,
    /// Delete the token.
    Revoke,
}

impl LeakResponse {
    pub fn as_str(self) -> &'static str {
        match self {
            LeakResponse::Disable => "disable",
            LeakResponse::Revoke => "revoke",
        }
    }
}

/// The answer per reported secret, in the order reported, as GitHub's
/// partner API expects it (`token_raw`, `token_type`, `label`), plus what
/// was done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Verdict {
    pub token_raw: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// `true_positive`: a live Keyward secret; `false_positive` otherwise.
    pub label: Label,
    pub action: LeakAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    TruePositive,
    FalsePositive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeakAction {
    /// Nothing known by that secret (or it was not a Keyward secret).
    None,
    Disabled,
    Revoked,
    /// A secret a refresh had already replaced: its overlap ended at once.
    RetiredSecretEnded,
    /// Found again after it was already stopped.
    AlreadyStopped,
}

/// A sighting's secret, parsed: `None` for a false positive that needs no
/// lookup (wrong shape or checksum).
pub fn secret_of(s: &Sighting) -> Option<Secret> {
    Secret::parse(s.token.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_secrets_are_looked_up() {
        let real = crate::secret::Secret::generate(crate::TokenKind::Scoped, |b| {
            for (i, x) in b.iter_mut().enumerate() {
                *x = i as u8;
            }
        });
        let found = |t: &str| Sighting {
            token: t.into(),
            kind: Some("keyward_token".into()),
            url: None,
            source: None,
        };
        assert!(secret_of(&found(real.expose())).is_some());
        let mut broken = real.expose().to_string();
        let last = broken.pop().unwrap();
        broken.push(if last == 'a' { 'b' } else { 'a' });
        assert!(secret_of(&found(&broken)).is_none(), "checksum");
        assert!(secret_of(&found("ghp_notours")).is_none());
        let json = r#"[{"token":"x","type":"keyward_token","url":"https://github.com/o/r/blob/main/.env","source":"content"}]"#;
        let parsed: Vec<Sighting> = serde_json::from_str(json).unwrap();
        assert_eq!(parsed[0].kind.as_deref(), Some("keyward_token"));
    }
}
