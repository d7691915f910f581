//! Leaked-secret reporting (GitHub's secret scanning partner program):
//! a scanner that found Keyward secrets in public posts them, and each one
//! that is real is stopped at once, per its project's choice.
//!
//! The report is checked before anything is looked up: a string that is
//! not a well-formed Keyward secret with a valid checksum is a false
//! positive without touching storage, so a scanner's noise costs nothing.
//!
//! Two ways in. GitHub signs each report with ECDSA P-256 over the raw
//! body and names the key; the keys are the ones GitHub publishes
//! ([`GITHUB_KEYS_URL`]), so nothing is shared. Other scanners (and
//! GitHub Enterprise set-ups that relay reports) authenticate with a
//! shared partner key instead.

use crate::secret::Secret;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The most secrets one report may carry. GitHub batches what it found
/// and gives no bound; a thousand is above any batch seen, and each one
/// costs one indexed lookup.
pub const MAX_REPORTED: usize = 1000;

/// The largest report body (bytes): a thousand sightings with long URLs.
pub const REPORT_BODY_LIMIT: usize = 1024 * 1024;

/// GitHub's header naming the key a report is signed with.
pub const GITHUB_KEY_ID_HEADER: &str = "github-public-key-identifier";
/// GitHub's header carrying the signature: base64 of an ASN.1 DER ECDSA
/// P-256/SHA-256 signature over the raw body.
pub const GITHUB_SIGNATURE_HEADER: &str = "github-public-key-signature";
/// Where GitHub publishes its secret scanning keys (the default of the
/// `SECRET_SCANNING_KEYS_URL` setting).
pub const GITHUB_KEYS_URL: &str = "https://api.github.com/meta/public_keys/secret_scanning";

/// GitHub's published key set, as its API serves it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ScanningKeys {
    pub public_keys: Vec<ScanningKey>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ScanningKey {
    pub key_identifier: String,
    /// PEM `PUBLIC KEY` (SubjectPublicKeyInfo).
    pub key: String,
    #[serde(default)]
    pub is_current: bool,
}

impl ScanningKeys {
    /// Each key's identifier and DER SubjectPublicKeyInfo; a key that is
    /// not PEM is left out (it can verify nothing).
    pub fn spki(&self) -> Vec<(String, Vec<u8>)> {
        self.public_keys
            .iter()
            .filter_map(|k| Some((k.key_identifier.clone(), spki_of_pem(&k.key)?)))
            .collect()
    }
}

/// The DER inside a PEM `PUBLIC KEY` block.
pub fn spki_of_pem(pem: &str) -> Option<Vec<u8>> {
    let body = pem
        .trim()
        .strip_prefix("-----BEGIN PUBLIC KEY-----")?
        .strip_suffix("-----END PUBLIC KEY-----")?;
    let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD.decode(b64).ok().filter(|der| !der.is_empty())
}

/// A `Github-Public-Key-Signature` header's signature as Web Crypto
/// verifies it (`r || s`), or `None` if it is not base64 DER ECDSA.
pub fn github_signature(header: &str) -> Option<[u8; 64]> {
    let der = STANDARD.decode(header.trim()).ok()?;
    crate::webauthn::der_to_raw(&der)
}

/// The answer GitHub's partner API expects per reported secret: exactly
/// `token_raw`, `token_type` and `label`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GithubVerdict {
    pub token_raw: String,
    pub token_type: String,
    pub label: Label,
}

impl From<Verdict> for GithubVerdict {
    fn from(v: Verdict) -> GithubVerdict {
        GithubVerdict {
            token_raw: v.token_raw,
            token_type: v.token_type.unwrap_or_default(),
            label: v.label,
        }
    }
}

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

    #[test]
    fn githubs_key_set_and_signature_headers_parse() {
        // The shape of GitHub's /meta/public_keys/secret_scanning.
        let set: ScanningKeys = serde_json::from_str(
            r#"{"public_keys":[{"key_identifier":"90a4","key":"-----BEGIN PUBLIC KEY-----\nAQID\nBA==\n-----END PUBLIC KEY-----\n","is_current":true},{"key_identifier":"bad","key":"not pem"}]}"#,
        )
        .unwrap();
        assert_eq!(set.spki(), vec![("90a4".to_string(), vec![1, 2, 3, 4])]);
        // DER SEQUENCE { INTEGER 1, INTEGER 2 }, base64.
        let sig = STANDARD.encode([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]);
        let raw = github_signature(&sig).unwrap();
        assert_eq!((raw[31], raw[63]), (1, 2));
        assert!(github_signature("not base64!").is_none());
        assert!(github_signature(&STANDARD.encode([1, 2, 3])).is_none());
        let verdict = GithubVerdict::from(Verdict {
            token_raw: "kw_x".into(),
            token_type: None,
            label: Label::FalsePositive,
            action: LeakAction::None,
        });
        assert_eq!(
            serde_json::to_value(verdict).unwrap(),
            serde_json::json!({"token_raw": "kw_x", "token_type": "", "label": "false_positive"})
        );
    }
}
