//! Tokens as the API shows them, their create, edit and refresh bodies,
//! pages of a list, `whoami` and `verify`.

use super::*;

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
