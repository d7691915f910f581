//! The audit log's entries and how a call went.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Denied,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }

    /// As stored; anything unknown reads as a failure, never a success.
    pub fn from_stored(s: &str) -> Outcome {
        match s {
            "success" => Outcome::Success,
            "denied" => Outcome::Denied,
            _ => Outcome::Failed,
        }
    }
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AuditEntry {
    pub id: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub at: OffsetDateTime,
    /// The acting token's client id (or `anonymous`).
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: Outcome,
    pub detail: String,
    /// The personal key a call was made with, when `actor` is its user.
    pub via: Option<String>,
    /// For changes to the control plane: the person behind the acting
    /// credential (`admin:<id>`, `member:<id>`; `client:<id>` when it
    /// traces to nobody), whichever of their credentials they used.
    #[serde(default)]
    pub person: Option<String>,
    /// The id of the call, as its answer's `X-Request-Id` said (entries
    /// from before request ids were kept have none).
    #[serde(default)]
    pub request_id: Option<String>,
}
