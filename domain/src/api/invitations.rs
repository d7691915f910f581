//! Invitations, their welcome screen and the dev outbox.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum InvitationStatus {
    /// Created, email not yet confirmed sent: not usable.
    Sending,
    Pending,
    Accepted,
    Expired,
    Revoked,
    /// The email provider refused or timed out; it can be re-sent.
    Failed,
}

impl InvitationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InvitationStatus::Sending => "sending",
            InvitationStatus::Pending => "pending",
            InvitationStatus::Accepted => "accepted",
            InvitationStatus::Expired => "expired",
            InvitationStatus::Revoked => "revoked",
            InvitationStatus::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<InvitationStatus> {
        Some(match s {
            "sending" => InvitationStatus::Sending,
            "pending" => InvitationStatus::Pending,
            "accepted" => InvitationStatus::Accepted,
            "expired" => InvitationStatus::Expired,
            "revoked" => InvitationStatus::Revoked,
            "failed" => InvitationStatus::Failed,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Invitation {
    pub id: String,
    pub email: String,
    pub status: InvitationStatus,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub expires_at: OffsetDateTime,
    /// The inviting token's client id.
    pub created_by: String,
    pub token_id: String,
    pub token_name: String,
    pub message: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<Timestamp>")]
    pub accepted_at: Option<OffsetDateTime>,
    /// Why the last delivery failed, for `failed` invitations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_error: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInvitation {
    #[schemars(with = "Email")]
    pub email: String,
    #[schemars(with = "Option<Message>")]
    pub message: Option<String>,
    /// Seconds the invitation stays valid: default 7 days, at most 30.
    #[schemars(with = "Option<InvitationValidity>")]
    pub expires_in: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InvitationCreated {
    pub invitation: Invitation,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InvitationList {
    pub items: Vec<Invitation>,
}

/// What the recipient sees before accepting: no secret, no admin data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InvitationWelcome {
    pub inviter: String,
    pub email: String,
    pub message: String,
    pub token_name: String,
    pub grants: Vec<Grant>,
    pub permissions: Vec<ServicePermissions>,
    /// The grants in plain words.
    pub summary: String,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<Timestamp>")]
    pub token_expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub expires_at: OffsetDateTime,
    /// `user` when the invitation makes the recipient a member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_kind: Option<TokenKind>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OutboxMessage {
    pub id: String,
    pub to: String,
    pub from: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub sent_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OutboxList {
    pub items: Vec<OutboxMessage>,
}
