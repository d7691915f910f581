//! People sign in as people (issue 26): passkeys, sessions, the CLI's
//! device authorization. Binary WebAuthn values travel as base64url
//! without padding, as the browser's `toJSON()` gives them.

use super::*;

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
