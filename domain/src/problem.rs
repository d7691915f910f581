//! The contract's error vocabulary (RFC 9457 problem details).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    UnknownPermission,
    MissingToken,
    MalformedToken,
    InvalidToken,
    TokenExpired,
    /// Turned off by an admin (`enabled: false`); turning it on restores it.
    TokenDisabled,
    /// Its `not_before` instant has not come yet.
    TokenNotYetValid,
    /// The caller's address is outside the token's `allowed_ips`.
    IpNotAllowed,
    InsufficientPermission,
    PrivilegeEscalation,
    /// A secret replaced by a refresh, inside its overlap, tried to change
    /// tokens: it is a usage-only credential.
    RetiredSecret,
    /// An elevation's requester tried to approve it: approval takes a
    /// second admin.
    SelfApproval,
    NotFound,
    MethodNotAllowed,
    Conflict,
    /// Deleting a persona that tokens still link, without `unlink=true`.
    PersonaInUse,
    InvitationUsed,
    InvitationExpired,
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited,
    /// A usage-limited token has spent its uses (until its refill, if any).
    UsageExhausted,
    EmailFailed,
    /// Invitations need an email provider (or the dev outbox, explicitly).
    EmailNotConfigured,
    Internal,
    Unavailable,
    /// The gateway's upstream could not be reached or broke the connection.
    UpstreamUnavailable,
    /// The gateway's upstream did not answer within the configured timeout.
    UpstreamTimeout,
    /// A passkey ceremony failed: unknown or replayed challenge, wrong
    /// origin or relying party, a bad signature, a counter that went back,
    /// an unknown credential.
    PasskeyRejected,
    /// The session cookie's session ended (idle, absolute, revoked).
    SessionExpired,
    /// A cookie-authenticated change that did not come from the app's own
    /// origin (or lacked the app's header).
    CrossSiteRequest,
    EnrolmentUsed,
    EnrolmentExpired,
    /// The device code is not approved yet: poll again after `interval`.
    AuthorizationPending,
    /// The device code expired or was already used: start again.
    DeviceCodeExpired,
    /// A signed report (GitHub's secret scanning) whose signature does
    /// not verify with a key its signer publishes.
    InvalidSignature,
    /// `If-Match` named a version the resource no longer has: someone
    /// changed it meanwhile.
    PreconditionFailed,
    /// An `Idempotency-Key` reused with a different request.
    IdempotencyKeyReused,
}

impl ErrorCode {
    pub fn status(self) -> u16 {
        use ErrorCode::*;
        match self {
            InvalidRequest | UnknownPermission => 400,
            MissingToken | MalformedToken | InvalidToken | TokenExpired | TokenDisabled
            | TokenNotYetValid => 401,
            InsufficientPermission
            | PrivilegeEscalation
            | RetiredSecret
            | IpNotAllowed
            | SelfApproval => 403,
            NotFound => 404,
            MethodNotAllowed => 405,
            Conflict | PersonaInUse => 409,
            InvitationUsed | InvitationExpired => 410,
            PayloadTooLarge => 413,
            UnsupportedMediaType => 415,
            RateLimited | UsageExhausted => 429,
            EmailFailed => 502,
            EmailNotConfigured => 503,
            Internal => 500,
            Unavailable => 503,
            UpstreamUnavailable => 502,
            UpstreamTimeout => 504,
            PasskeyRejected | SessionExpired => 401,
            CrossSiteRequest => 403,
            EnrolmentUsed | EnrolmentExpired => 410,
            AuthorizationPending | DeviceCodeExpired => 400,
            InvalidSignature => 401,
            PreconditionFailed => 412,
            IdempotencyKeyReused => 422,
        }
    }

    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidRequest => "invalid_request",
            UnknownPermission => "unknown_permission",
            MissingToken => "missing_token",
            MalformedToken => "malformed_token",
            InvalidToken => "invalid_token",
            TokenExpired => "token_expired",
            TokenDisabled => "token_disabled",
            TokenNotYetValid => "token_not_yet_valid",
            IpNotAllowed => "ip_not_allowed",
            InsufficientPermission => "insufficient_permission",
            PrivilegeEscalation => "privilege_escalation",
            RetiredSecret => "retired_secret",
            SelfApproval => "self_approval",
            NotFound => "not_found",
            MethodNotAllowed => "method_not_allowed",
            Conflict => "conflict",
            PersonaInUse => "persona_in_use",
            InvitationUsed => "invitation_used",
            InvitationExpired => "invitation_expired",
            PayloadTooLarge => "payload_too_large",
            UnsupportedMediaType => "unsupported_media_type",
            RateLimited => "rate_limited",
            UsageExhausted => "usage_exhausted",
            EmailFailed => "email_failed",
            EmailNotConfigured => "email_not_configured",
            Internal => "internal",
            Unavailable => "unavailable",
            UpstreamUnavailable => "upstream_unavailable",
            UpstreamTimeout => "upstream_timeout",
            PasskeyRejected => "passkey_rejected",
            SessionExpired => "session_expired",
            CrossSiteRequest => "cross_site_request",
            EnrolmentUsed => "enrolment_used",
            EnrolmentExpired => "enrolment_expired",
            AuthorizationPending => "authorization_pending",
            DeviceCodeExpired => "device_code_expired",
            InvalidSignature => "invalid_signature",
            PreconditionFailed => "precondition_failed",
            IdempotencyKeyReused => "idempotency_key_reused",
        }
    }

    pub fn title(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidRequest => "The request is not valid",
            UnknownPermission => "A grant names something that is not in the catalog",
            MissingToken => "No bearer token was sent",
            MalformedToken => "The bearer token is malformed",
            InvalidToken => "The bearer token is not valid",
            TokenExpired => "The bearer token has expired",
            TokenDisabled => "The bearer token is disabled",
            TokenNotYetValid => "The bearer token is not valid yet",
            IpNotAllowed => "The token may not be used from this address",
            InsufficientPermission => "The token lacks a permission",
            PrivilegeEscalation => "A token cannot grant what it does not hold",
            RetiredSecret => "A replaced secret may only use the API",
            SelfApproval => "An elevation needs another admin's approval",
            NotFound => "Not found",
            MethodNotAllowed => "Method not allowed",
            Conflict => "Conflict",
            PersonaInUse => "Tokens still link this persona",
            InvitationUsed => "The invitation was already accepted",
            InvitationExpired => "The invitation has expired",
            PayloadTooLarge => "The request body is too large",
            UnsupportedMediaType => "Unsupported media type",
            RateLimited => "Too many requests",
            UsageExhausted => "The token has used up its uses",
            EmailFailed => "The email could not be sent",
            EmailNotConfigured => "No email delivery is configured",
            Internal => "Internal error",
            Unavailable => "Storage is unavailable; the request was denied",
            UpstreamUnavailable => "The upstream service could not be reached",
            UpstreamTimeout => "The upstream service did not answer in time",
            PasskeyRejected => "The passkey was not accepted",
            SessionExpired => "The session has ended; sign in again",
            CrossSiteRequest => "A signed-in change must come from the app itself",
            EnrolmentUsed => "The enrolment link was already used",
            EnrolmentExpired => "The enrolment link has expired",
            AuthorizationPending => "Not approved yet",
            DeviceCodeExpired => "The device code has expired",
            InvalidSignature => "The signature is not valid",
            PreconditionFailed => "The resource changed since you read it",
            IdempotencyKeyReused => "The idempotency key was used for another request",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: ErrorCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// The request's id, as in its `X-Request-Id` header and its audit
    /// entry: what to quote when asking why a call failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl Problem {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Problem {
        Problem {
            type_: format!("urn:keyward:problem:{}", code.as_str()),
            title: code.title().to_string(),
            status: code.status(),
            detail: detail.into(),
            code,
            errors: None,
            request_id: None,
        }
    }

    pub fn invalid(errors: Vec<FieldError>) -> Problem {
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        let mut p = Problem::new(
            ErrorCode::InvalidRequest,
            format!("invalid fields: {}", fields.join(", ")),
        );
        p.errors = Some(errors);
        p
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Problem {
        self.errors = Some(errors);
        self
    }
}
