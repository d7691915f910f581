//! The HTTP contract's bodies, shared by the worker (which serves them) and
//! the app (which sends and reads them), so the two cannot drift apart.

use crate::conditions::{Cidr, Meta};
pub use crate::expiry::Policy as ExpiryPolicy;
use crate::grant::{Grant, ServicePermissions};
pub use crate::leak::LeakResponse;
use crate::problem::FieldError;
use crate::quota::UsageLimit;
use crate::requirement::Requirement;
use crate::secret::TokenKind;
use crate::shapes::*;
pub use crate::webauthn::PasskeyAlgorithm;
use schemars::JsonSchema;
use serde::{de::DeserializeOwned, Deserialize, Deserializer, Serialize};
use serde_with::skip_serializing_none;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// A global key's grants, per project id.
pub type ProjectGrants = BTreeMap<String, Vec<Grant>>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Token {
    pub id: String,
    pub client_id: String,
    pub name: String,
    pub description: String,
    pub kind: TokenKind,
    pub grants: Vec<Grant>,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<Timestamp>")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<Timestamp>")]
    pub last_used_at: Option<OffsetDateTime>,
    pub secret_hint: String,
    /// Requests per minute this token may make; `null` means the
    /// deployment's default.
    #[serde(default)]
    pub rate_limit: Option<u32>,
    /// Linked persona ids (Atlan): their grants count as the token's own.
    #[serde(default)]
    pub personas: Vec<String>,
    /// The project a project-level token belongs to; `null` for master
    /// tokens and global keys.
    #[serde(default)]
    pub project: Option<String>,
    /// A global key's grants per project.
    #[serde(default)]
    pub project_grants: ProjectGrants,
    /// A global key that holds everything in every project.
    #[serde(default)]
    pub global_admin: bool,
    /// The member a user token or personal key belongs to.
    #[serde(default)]
    pub member_id: Option<String>,
    /// `false`: every use answers 401 `token_disabled` until an admin
    /// turns it back on.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Unusable before this instant (401 `token_not_yet_valid`).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<Timestamp>")]
    pub not_before: Option<OffsetDateTime>,
    /// Networks it may be used from; empty: anywhere.
    #[serde(default)]
    pub allowed_ips: Vec<Cidr>,
    /// The admin's own JSON object, returned by verify and whoami.
    #[serde(default)]
    pub meta: Meta,
    /// How many times it may be used (in total, or per day or month).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_limit: Option<UsageLimit>,
    /// With a usage limit: the uses left now. Counted live by the token's
    /// limiter and filled in by `GET /tokens/{id}` and whoami; never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_uses: Option<u32>,
    /// Time-boxed grants (issue 18): pending approval or running until
    /// their `until`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub elevations: Vec<crate::elevation::Elevation>,
}

fn yes() -> bool {
    true
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    #[schemars(with = "Name")]
    pub name: String,
    #[schemars(with = "Option<Description>")]
    pub description: Option<String>,
    pub grants: Option<Vec<Grant>>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    /// Must lie in the future and within ten years; give this or
    /// `expires_in`.
    #[schemars(with = "Option<Timestamp>")]
    pub expires_at: Option<OffsetDateTime>,
    /// Seconds from now; `409968000` means never (as in Atlan's API).
    #[schemars(with = "Option<Lifetime>")]
    pub expires_in: Option<u64>,
    #[schemars(with = "Option<RateLimit>")]
    pub rate_limit: Option<u32>,
    /// `scoped` (the default) or `global` (admins only).
    #[schemars(with = "Option<CreatableKind>")]
    pub kind: Option<TokenKind>,
    /// Persona ids to link.
    #[schemars(with = "Option<Vec<ResourceId>>")]
    pub personas: Option<Vec<String>>,
    /// A scoped token's project; default: the caller's own project.
    #[schemars(with = "Option<ProjectId>")]
    pub project: Option<String>,
    /// A global key's grants per project id (a complete set).
    pub project_grants: Option<ProjectGrants>,
    pub global_admin: Option<bool>,
    /// `false` creates it turned off; default `true`.
    pub enabled: Option<bool>,
    /// Not usable before this instant (within ten years; before the expiry).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<Timestamp>")]
    pub not_before: Option<OffsetDateTime>,
    /// IPv4/IPv6 networks or addresses it may be used from (at most 64).
    #[schemars(with = "Option<Vec<Cidr>>")]
    pub allowed_ips: Option<Vec<String>>,
    pub meta: Option<Meta>,
    /// Uses in total, or per day or month (Unkey's `remaining` + refill).
    pub usage_limit: Option<UsageLimit>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IssuedToken {
    pub token: Token,
    /// Shown in this response only.
    pub secret: String,
}

/// `POST /tokens/{id}/recover`: another admin's master token, recovered.
/// The new secret went to its admin; it is never in this answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RecoveredMaster {
    pub token: Token,
    /// The admin's address the new secret was sent to.
    pub delivered_to: String,
}

/// `PATCH /tokens/{id}`: absent fields stay; `expires_at: null` means never.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateToken {
    #[schemars(with = "Option<Name>")]
    pub name: Option<String>,
    #[schemars(with = "Option<Description>")]
    pub description: Option<String>,
    /// The complete set: what is left out is removed.
    pub grants: Option<Vec<Grant>>,
    #[serde(
        default,
        deserialize_with = "present_rfc3339",
        serialize_with = "serialize_present_rfc3339"
    )]
    /// `null`: never expires; otherwise in the future and within ten years.
    #[schemars(with = "Option<Timestamp>")]
    pub expires_at: Option<Option<OffsetDateTime>>,
    /// `null` returns the token to the default limit.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Option<RateLimit>")]
    pub rate_limit: Option<Option<u32>>,
    /// The complete set of linked personas: what is left out is unlinked.
    #[schemars(with = "Option<Vec<ResourceId>>")]
    pub personas: Option<Vec<String>>,
    /// A global key's complete per-project grants.
    pub project_grants: Option<ProjectGrants>,
    pub global_admin: Option<bool>,
    /// `false` turns the token off at once, `true` back on; a disabled
    /// token cannot turn itself back on (it cannot authenticate).
    pub enabled: Option<bool>,
    /// `null` removes it.
    #[serde(
        default,
        deserialize_with = "present_rfc3339",
        serialize_with = "serialize_present_rfc3339"
    )]
    #[schemars(with = "Option<Timestamp>")]
    pub not_before: Option<Option<OffsetDateTime>>,
    /// The complete list; `[]` allows every address again.
    #[schemars(with = "Option<Vec<Cidr>>")]
    pub allowed_ips: Option<Vec<String>>,
    /// The complete object; `{}` clears it.
    pub meta: Option<Meta>,
    /// `null` lifts the limit. A changed number of uses keeps the uses
    /// already counted in the current period; a changed refill starts
    /// counting afresh.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Option<UsageLimit>")]
    pub usage_limit: Option<Option<UsageLimit>>,
}

/// A field that is present (even as `null`) becomes `Some(_)`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

fn present_rfc3339<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<OffsetDateTime>>, D::Error> {
    time::serde::rfc3339::option::deserialize(d).map(Some)
}

fn serialize_present_rfc3339<S: serde::Serializer>(
    v: &Option<Option<OffsetDateTime>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    time::serde::rfc3339::option::serialize(&v.flatten(), s)
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshToken {
    #[schemars(with = "Option<Overlap>")]
    pub overlap_seconds: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "{T}Page")]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub limit: u32,
    pub offset: u64,
    /// The audit log, read in order (`after=`): where the next page
    /// starts. Polling with it again finds what arrived since; it is the
    /// cursor given when nothing has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WhoAmI {
    pub token: Token,
    pub permissions: Vec<ServicePermissions>,
    /// Where the permissions above hold: the token's own project (or the
    /// default project for global keys).
    #[serde(default)]
    pub project: String,
    /// For global keys: the permissions in each project they reach.
    #[serde(default)]
    pub projects: Vec<ProjectPermissions>,
    /// For a personal key: the member it acts as.
    pub acting_as: Option<String>,
    /// The person signed in, when the call came with a session. (A bearer
    /// token's answer leaves it out: finding an admin or member behind a
    /// token would cost the registry a call on this hot route.)
    #[serde(default)]
    pub person: Option<Person>,
    /// The session the call came with.
    #[serde(default)]
    pub session: Option<SessionInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProjectPermissions {
    pub project: String,
    pub permissions: Vec<ServicePermissions>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    pub key: String,
    /// What must hold: grants (a list: all of them), or `{"all": [...]}`
    /// and `{"any": [...]}` of grants and of each other.
    pub require: Option<Requirement>,
    /// The project `require` must hold in; the key's own when absent.
    #[schemars(with = "Option<ProjectId>")]
    pub project: Option<String>,
    /// The address the key was presented from, checked against its
    /// `allowed_ips`. A key with an allow-list is `IP_NOT_ALLOWED` without it.
    #[schemars(with = "Option<String>")]
    pub ip: Option<String>,
    /// Verifying is a use of the key, as a call at the edge is: it counts
    /// against the key's rate limit and usage limit (`RATE_LIMITED`,
    /// `USAGE_EXHAUSTED`). `true` checks without spending anything.
    #[serde(default)]
    pub dry_run: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VerifyCode {
    Valid,
    Malformed,
    NotFound,
    Expired,
    Disabled,
    NotYetValid,
    IpNotAllowed,
    InsufficientPermissions,
    // The key's rate limit is spent for now (see `retry_after`); its usage
    // limit is spent (until its refill, `retry_after`). Plain comments: a
    // doc comment would split the schema's enum.
    RateLimited,
    UsageExhausted,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VerifyResponse {
    pub valid: bool,
    pub code: VerifyCode,
    pub token: Option<Token>,
    /// For `INSUFFICIENT_PERMISSIONS`: the first required grant not held
    /// (for an unmet `any`: `any of (…)`),
    /// or `project '<id>'` when the key cannot act in the project at all.
    pub missing: Option<String>,
    /// Whenever the key was found: the project the answer holds for (the
    /// request's `project`, else the key's own; `default` for master
    /// tokens and global keys).
    pub project: Option<String>,
    /// For `RATE_LIMITED`, and `USAGE_EXHAUSTED` with a refill: seconds
    /// until the key may be used again.
    pub retry_after: Option<u64>,
    /// For a usage-limited key that was found: the uses it has left after
    /// this one (uses leased to edge isolates count as used).
    pub remaining: Option<u32>,
}

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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Admin {
    pub id: String,
    pub email: String,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub created_at: OffsetDateTime,
    pub master_token_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAdmin {
    #[schemars(with = "Email")]
    pub email: String,
    #[schemars(with = "Name")]
    pub name: String,
    /// `false`: the new admin signs in with a passkey only (an enrolment
    /// link is emailed either way) and the answer carries no secret.
    /// Absent or `true`: the master secret is shown once, for automation
    /// and for clients written before passkeys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_secret: Option<bool>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AdminCreated {
    pub admin: Admin,
    pub master_token: Token,
    /// The master secret, shown this once; absent with `master_secret: false`.
    pub secret: Option<String>,
    /// The enrolment link sent to the new admin.
    pub enrolment: Option<Enrolment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AdminList {
    pub items: Vec<Admin>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Bucket {
    pub id: String,
    pub description: String,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub created_at: OffsetDateTime,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBucket {
    #[schemars(with = "ResourceId")]
    pub id: String,
    #[schemars(with = "Option<Description>")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BucketList {
    pub items: Vec<Bucket>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
    pub content_type: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ObjectList {
    pub items: Vec<ObjectInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Health {
    #[schemars(extend("enum" = ["ok", "degraded"]))]
    pub status: String,
    pub version: String,
    /// Whether a KV write and read just succeeded.
    #[schemars(extend("enum" = ["ok", "error"]))]
    pub kv: String,
}

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

/// A named, reusable set of grants (Atlan): linking it to a token gives
/// the token its grants, and editing it changes every linked token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Persona {
    pub id: String,
    pub name: String,
    pub description: String,
    pub grants: Vec<Grant>,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub updated_at: OffsetDateTime,
    /// How many tokens link it.
    pub linked_tokens: u64,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePersona {
    #[schemars(with = "Name")]
    pub name: String,
    #[schemars(with = "Option<Description>")]
    pub description: Option<String>,
    pub grants: Option<Vec<Grant>>,
}

/// Absent fields stay; `grants` is a complete set.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePersona {
    #[schemars(with = "Option<Name>")]
    pub name: Option<String>,
    #[schemars(with = "Option<Description>")]
    pub description: Option<String>,
    /// The complete set: what is left out is removed.
    pub grants: Option<Vec<Grant>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PersonaList {
    pub items: Vec<Persona>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MemberStatus {
    /// Invited; the invitation has not been accepted yet.
    Invited,
    Active,
}

/// A person with their own grants and personas (Dataiku's users). Their
/// user token is what they sign in with; their personal keys act as them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Member {
    pub id: String,
    pub email: String,
    pub name: String,
    pub project: String,
    pub grants: Vec<Grant>,
    pub personas: Vec<String>,
    pub user_token_id: String,
    pub status: MemberStatus,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub created_at: OffsetDateTime,
    pub personal_keys: u64,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMember {
    #[schemars(with = "Email")]
    pub email: String,
    #[schemars(with = "Name")]
    pub name: String,
    pub grants: Option<Vec<Grant>>,
    #[schemars(with = "Option<Vec<ResourceId>>")]
    pub personas: Option<Vec<String>>,
    #[schemars(with = "Option<ProjectId>")]
    pub project: Option<String>,
    /// The invitation email's message.
    #[schemars(with = "Option<Message>")]
    pub message: Option<String>,
    #[schemars(with = "Option<InvitationValidity>")]
    pub expires_in: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MemberCreated {
    pub member: Member,
    pub invitation: Invitation,
    /// The enrolment link sent to the member, to sign in with a passkey.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrolment: Option<Enrolment>,
}

/// Absent fields stay; `grants` and `personas` are complete sets.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMember {
    #[schemars(with = "Option<Name>")]
    pub name: Option<String>,
    /// The complete set: what is left out is removed.
    pub grants: Option<Vec<Grant>>,
    /// The complete set of linked personas.
    #[schemars(with = "Option<Vec<ResourceId>>")]
    pub personas: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MemberList {
    pub items: Vec<Member>,
}

/// A personal key: no grants of its own, it acts as its user.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePersonalKey {
    #[schemars(with = "Name")]
    pub name: String,
    #[schemars(with = "Option<Description>")]
    pub description: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    /// Must lie in the future and within ten years; give this or
    /// `expires_in`.
    #[schemars(with = "Option<Timestamp>")]
    pub expires_at: Option<OffsetDateTime>,
    /// Seconds from now; `409968000` means never (as in Atlan's API).
    #[schemars(with = "Option<Lifetime>")]
    pub expires_in: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TokenList {
    pub items: Vec<Token>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub description: String,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub created_at: OffsetDateTime,
    /// How long its tokens may live.
    #[serde(default)]
    pub expiry_policy: ExpiryPolicy,
    /// What happens to a token whose secret a scanner finds in public.
    #[serde(default)]
    pub leak_response: LeakResponse,
    /// Whether its tokens' elevations wait for a second admin's approval.
    #[serde(default)]
    pub elevation_approval: bool,
}

/// `PATCH /projects/{project}` (admins): absent fields stay.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProject {
    #[schemars(with = "Option<Name>")]
    pub name: Option<String>,
    #[schemars(with = "Option<Description>")]
    pub description: Option<String>,
    /// Held by token creations and expiry changes from now on; existing
    /// tokens keep their expiry.
    #[schemars(with = "Option<crate::expiry::PolicyInput>")]
    pub expiry_policy: Option<ExpiryPolicy>,
    /// `disable` (the default) or `revoke`.
    pub leak_response: Option<LeakResponse>,
    /// Elevations of its tokens start only once a second admin approves.
    pub elevation_approval: Option<bool>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProject {
    #[schemars(with = "ProjectId")]
    pub id: String,
    #[schemars(with = "Name")]
    pub name: String,
    #[schemars(with = "Option<Description>")]
    pub description: Option<String>,
    /// Default: no cap beyond the deployment's, "never" allowed.
    #[schemars(with = "Option<crate::expiry::PolicyInput>")]
    pub expiry_policy: Option<ExpiryPolicy>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProjectList {
    pub items: Vec<Project>,
}

/// Decodes a JSON body, naming the field at fault ("parse, don't validate").
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, Vec<FieldError>> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(vec![FieldError::new("body", "a JSON object is required")]);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    match value {
        Ok(v) => {
            if de.end().is_err() {
                return Err(vec![FieldError::new(
                    "body",
                    "trailing characters after the JSON value",
                )]);
            }
            Ok(v)
        }
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let mut message = strip_position(&inner.to_string());
            if message == "recursion limit exceeded" {
                message = "nests objects and arrays too deeply".into();
            }
            let field = if inner.is_syntax() || inner.is_eof() {
                "body".to_string()
            } else if path == "." {
                missing_field_name(&message).unwrap_or_else(|| "body".to_string())
            } else if let Some(missing) = missing_field_name(&message) {
                format!("{path}.{missing}")
            } else {
                path
            };
            Err(vec![FieldError::new(field, message)])
        }
    }
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn missing_field_name(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decode_names_the_field() {
        let e = decode::<CreateToken>(br#"{"description":"x"}"#).unwrap_err();
        assert_eq!(e[0].field, "name");
        let e = decode::<CreateToken>(br#"{"name":5}"#).unwrap_err();
        assert_eq!(e[0].field, "name");
        let e = decode::<CreateToken>(br#"{"name":"a","grants":[{"service":"s"}]}"#).unwrap_err();
        assert_eq!(e[0].field, "grants[0].permission");
        let e = decode::<CreateToken>(br#"{"name":"a","expires_at":"tomorrow"}"#).unwrap_err();
        assert_eq!(e[0].field, "expires_at");
        let e = decode::<CreateToken>(br#"{"name":"a","colour":"red"}"#).unwrap_err();
        assert_eq!(e[0].field, "colour");
        let e = decode::<CreateToken>(b"{not json").unwrap_err();
        assert_eq!(e[0].field, "body");
        let e = decode::<CreateToken>(b"").unwrap_err();
        assert_eq!(e[0].field, "body");
    }

    #[test]
    fn update_distinguishes_absent_from_null_expiry() {
        let u: UpdateToken = decode(br#"{"description":"d"}"#).unwrap();
        assert_eq!(u.expires_at, None);
        let u: UpdateToken = decode(br#"{"expires_at":null}"#).unwrap();
        assert_eq!(u.expires_at, Some(None));
        let u: UpdateToken = decode(br#"{"expires_at":"2030-01-01T00:00:00Z"}"#).unwrap();
        assert!(matches!(u.expires_at, Some(Some(_))));
        let back = serde_json::to_string(&UpdateToken {
            expires_at: Some(None),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(back, r#"{"expires_at":null}"#);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn decoding_arbitrary_bytes_never_panics(body in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode::<CreateToken>(&body);
            let _ = decode::<UpdateToken>(&body);
            let _ = decode::<VerifyRequest>(&body);
        }

        #[test]
        fn decoding_arbitrary_json_text_never_panics(body in "\\PC{0,120}") {
            if let Ok(v) = decode::<CreateToken>(body.as_bytes()) {
                // Whatever decodes re-encodes to something that decodes the same.
                let again: CreateToken = decode(serde_json::to_string(&v).unwrap().as_bytes()).unwrap();
                prop_assert_eq!(again, v);
            }
        }
    }
}

// ---- People sign in as people (issue 26): passkeys, sessions, the CLI's
// device authorization. Binary WebAuthn values travel as base64url
// without padding, as the browser's `toJSON()` gives them.

/// Who a session or sign-in belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PersonKind {
    Admin,
    Member,
}

/// A person: an admin, or a member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Person {
    pub kind: PersonKind,
    pub id: String,
    pub name: String,
    pub email: String,
}

impl Person {
    /// `admin:<id>` or `member:<id>`, as the audit log names people.
    pub fn key(&self) -> String {
        match self.kind {
            PersonKind::Admin => format!("admin:{}", self.id),
            PersonKind::Member => format!("member:{}", self.id),
        }
    }
}

/// How a session was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignInMethod {
    Passkey,
    /// An admin's master token, exchanged once for a session (recovery and
    /// the first sign-in before a passkey exists).
    MasterToken,
    /// A member's user token, exchanged once for a session.
    UserToken,
}

impl SignInMethod {
    /// What the audit log says the person acted through.
    pub fn audit_via(self) -> &'static str {
        match self {
            SignInMethod::Passkey => "passkey session",
            SignInMethod::MasterToken => "master token session",
            SignInMethod::UserToken => "user token session",
        }
    }
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SessionInfo {
    pub id: String,
    /// `admin:<id>` or `member:<id>`.
    pub person: String,
    pub method: SignInMethod,
    /// The passkey it was opened with.
    pub passkey_id: Option<String>,
    /// The browser that opened it (its `User-Agent`, shortened).
    pub user_agent: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub last_seen_at: OffsetDateTime,
    /// The absolute end: the session ends then, however busy.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub expires_at: OffsetDateTime,
    /// The idle end: unused until then, the session ends.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub idle_expires_at: OffsetDateTime,
    /// The session this request came with.
    #[serde(default)]
    pub current: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SessionList {
    pub items: Vec<SessionInfo>,
}

/// A successful sign-in; the session's secret is only in the
/// `Set-Cookie` header (HttpOnly), never in a body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SignedIn {
    pub person: Person,
    pub session: SessionInfo,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Passkey {
    pub id: String,
    #[schemars(with = "Name")]
    pub name: String,
    pub algorithm: PasskeyAlgorithm,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<Timestamp>")]
    pub last_used_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PasskeyList {
    pub items: Vec<Passkey>,
}

/// What `navigator.credentials.get` needs (`publicKey`), base64url.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PasskeyRequestOptions {
    pub challenge: String,
    pub rp_id: String,
    pub timeout_ms: u32,
    /// Always `required`.
    pub user_verification: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RelyingParty {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PasskeyUser {
    /// The user handle, base64url: opaque, no personal data.
    pub id: String,
    /// The person's email.
    pub name: String,
    pub display_name: String,
}

/// What `navigator.credentials.create` needs (`publicKey`), base64url.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PasskeyCreationOptions {
    pub challenge: String,
    pub rp: RelyingParty,
    pub user: PasskeyUser,
    /// COSE algorithm ids, preferred first: -7 (ES256), -257 (RS256).
    pub algorithms: Vec<i64>,
    pub timeout_ms: u32,
    /// The person's passkeys already registered, so the authenticator
    /// does not make a second one.
    pub exclude_credentials: Vec<String>,
    /// Always `required` (a passkey is a discoverable credential).
    pub resident_key: String,
    /// Always `required`.
    pub user_verification: String,
    /// Always `none`.
    pub attestation: String,
}

/// A sign-in: the authenticator's assertion, base64url.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyAssertion {
    pub credential_id: String,
    pub client_data_json: String,
    pub authenticator_data: String,
    pub signature: String,
    pub user_handle: Option<String>,
}

/// A new passkey: the authenticator's attestation, base64url.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyRegistration {
    /// What the person calls it ("Work laptop"); default "Passkey".
    #[schemars(with = "Option<Name>")]
    pub name: Option<String>,
    pub credential_id: String,
    pub client_data_json: String,
    pub attestation_object: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RenamePasskey {
    #[schemars(with = "Name")]
    pub name: String,
}

/// An enrolment link's welcome: whose it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EnrolmentWelcome {
    pub person: Person,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub expires_at: OffsetDateTime,
}

/// An enrolment link sent to a person, to register a passkey with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Enrolment {
    pub id: String,
    /// `admin:<id>` or `member:<id>`.
    pub person: String,
    pub email: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEnrolment {
    /// `admin:<id>` or `member:<id>`.
    pub person: String,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartDeviceAuthorization {
    /// Shown to the person approving ("keyward CLI on laptop").
    #[schemars(with = "Option<Name>")]
    pub client_name: Option<String>,
}

/// RFC 8628's device authorization answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DeviceAuthorization {
    /// The CLI's secret to poll with; never shown to the person.
    pub device_code: String,
    /// What the person types or checks in the app (`WDJB-MJHT`).
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: u64,
    /// Seconds to wait between polls.
    pub interval: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceTokenRequest {
    pub device_code: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceApproval {
    pub user_code: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DeviceApproved {
    pub client_name: String,
}
