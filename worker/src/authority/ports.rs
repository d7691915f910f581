//! The token authority's ports and records: the [`Ledger`] and the
//! [`Replica`] it runs against, the rows and records they hold, and why a
//! presented secret is refused.

use crate::http::ApiError;
use keyward_domain::api::{ProjectGrants, Token};
use keyward_domain::conditions::{Cidr, Meta, Unusable};
use keyward_domain::elevation::{self, Elevation};
use keyward_domain::quota::UsageLimit;
use keyward_domain::{ErrorCode, Grant, SecretError, TokenKind};
use serde::Deserialize;
use time::OffsetDateTime;

/// A storage call failed (or timed out: a timed-out write may or may not
/// have landed, and both cases are handled).
#[derive(Debug, Clone)]
pub struct StoreError(pub String);

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        ApiError::unavailable(e.0)
    }
}
impl From<worker::Error> for StoreError {
    fn from(e: worker::Error) -> StoreError {
        StoreError(e.to_string())
    }
}
impl From<worker::kv::KvError> for StoreError {
    fn from(e: worker::kv::KvError) -> StoreError {
        StoreError(e.to_string())
    }
}

/// Why a presented key is not accepted (shared with `/verify`).
pub enum Rejection {
    Malformed(SecretError),
    NotFound,
    Expired,
    /// Found and unexpired, but its conditions refuse this use.
    Unusable(Unusable),
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> ApiError {
        match r {
            Rejection::Malformed(e) => ApiError::new(ErrorCode::MalformedToken, e.to_string()),
            Rejection::NotFound => ApiError::new(
                ErrorCode::InvalidToken,
                "the token is unknown, deleted, or was replaced by a refresh",
            ),
            Rejection::Expired => ApiError::new(ErrorCode::TokenExpired, "the token has expired"),
            Rejection::Unusable(Unusable::Disabled) => ApiError::new(
                ErrorCode::TokenDisabled,
                "the token is disabled; an admin can enable it again",
            ),
            Rejection::Unusable(Unusable::NotYetValid) => ApiError::new(
                ErrorCode::TokenNotYetValid,
                "the token is not valid yet (see its not_before)",
            ),
            // Names nothing about the list: a caller outside it learns
            // only that this address is not on it.
            Rejection::Unusable(Unusable::AddressNotAllowed) => ApiError::new(
                ErrorCode::IpNotAllowed,
                "this token may not be used from this address",
            ),
        }
    }
}

/// The replica of a token that authentication reads: the domain's one
/// [`keyward_domain::caller::Caller`], named here for what it is in KV.
pub use keyward_domain::caller::Caller as AuthRecord;

/// What a replica's read yields: the record itself, or something that
/// holds it (the edge's parsed copy, shared between calls).
pub trait HoldsRecord {
    fn record(&self) -> &AuthRecord;
}

impl HoldsRecord for AuthRecord {
    fn record(&self) -> &AuthRecord {
        self
    }
}

/// KV refuses expirations less than 60 s ahead; authentication checks the
/// exact instant itself, so the stored copy may outlive it a little.
pub fn kv_expiration(at: i64, now: i64) -> u64 {
    at.max(now + 61) as u64
}

/// The KV records authentication reads, by secret hash.
#[allow(async_fn_in_trait)]
pub trait Replica {
    /// What a read yields: the record, or something that holds it (the
    /// edge's parsed copy, shared between calls).
    type Record: HoldsRecord;
    async fn get(&self, hash: &str) -> Result<Option<Self::Record>, StoreError>;
    async fn put(
        &self,
        hash: &str,
        record: &AuthRecord,
        expiration: Option<u64>,
    ) -> Result<(), StoreError>;
    async fn delete(&self, hash: &str) -> Result<(), StoreError>;
}

/// The registry's records of tokens and their secrets.
pub trait Ledger {
    fn token(&self, id: &str) -> Result<Option<TokenRow>, StoreError>;
    /// Secrets replaced by a refresh and still within their overlap after
    /// `now` (`i64::MIN`: all of them).
    fn retired(&self, token_id: &str, now: i64) -> Result<Vec<RetiredRow>, StoreError>;
    fn insert_token(&self, row: &TokenRow) -> Result<(), StoreError>;
    /// In one step: the new secret becomes current, the old one is kept as
    /// retired, and the invitation (if any) is accepted.
    fn commit_refresh(&self, switch: &Switch<'_>) -> Result<(), StoreError>;
    /// Undoes [`Ledger::commit_refresh`]; harmless if it never happened.
    fn revert_refresh(&self, before: &TokenRow, invitation: Option<&str>)
        -> Result<(), StoreError>;
    fn delete_token(&self, id: &str) -> Result<(), StoreError>;
    /// What a token's KV record carries besides the token itself: the
    /// grants it inherits (its personas'; a personal key's user's) and, for
    /// a personal key, whom it acts as. Read fresh at every replication, so
    /// a changed persona or user reaches the edge with the next write.
    fn context(&self, row: &TokenRow) -> Result<RecordContext, StoreError>;
    /// Notes tokens whose KV records must be rewritten.
    fn mark_stale(&self, ids: &[String]) -> Result<(), StoreError>;
    fn clear_stale(&self, id: &str) -> Result<(), StoreError>;
    fn stale(&self) -> Result<Vec<String>, StoreError>;
}

/// A refresh's ledger step (see [`Ledger::commit_refresh`]).
pub struct Switch<'a> {
    /// The token with its new secret.
    pub row: &'a TokenRow,
    pub old_hash: &'a str,
    /// The old secret's hint, kept so `explain` can tell it by its hint.
    pub old_hint: &'a str,
    /// Until when the old secret keeps working.
    pub until: i64,
    /// The invitation this refresh accepts, if any.
    pub invitation: Option<&'a str>,
    pub now: i64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordContext {
    pub inherited: Vec<keyward_domain::Grant>,
    pub acting_as: Option<String>,
    /// A personal key's project is its user's.
    pub project: Option<String>,
}

/// A token as the registry keeps it, typed: the ledger converts its
/// storage's values once, on the way in and out.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRow {
    pub id: String,
    pub client_id: String,
    pub name: String,
    pub description: String,
    pub kind: TokenKind,
    pub grants: Vec<Grant>,
    pub created_by: String,
    /// Unix seconds, like every instant in the registry.
    pub created_at: i64,
    pub updated_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub secret_hash: String,
    pub secret_hint: String,
    pub admin_id: Option<String>,
    pub rate_limit: Option<u32>,
    /// Ids of the personas the token links.
    pub personas: Vec<String>,
    pub project: Option<String>,
    pub project_grants: ProjectGrants,
    pub global_admin: bool,
    pub member_id: Option<String>,
    pub enabled: bool,
    pub not_before: Option<i64>,
    pub allowed_ips: Vec<Cidr>,
    pub meta: Meta,
    pub usage_limit: Option<UsageLimit>,
    /// Time-boxed grants, pending or running; the KV record carries them
    /// and the edge counts each only until its end.
    pub elevations: Vec<Elevation>,
}

impl Default for TokenRow {
    /// Empty and unusable except as the base of a struct literal.
    fn default() -> TokenRow {
        TokenRow {
            id: String::new(),
            client_id: String::new(),
            name: String::new(),
            description: String::new(),
            kind: TokenKind::Scoped,
            grants: vec![],
            created_by: String::new(),
            created_at: 0,
            updated_at: 0,
            expires_at: None,
            last_used_at: None,
            secret_hash: String::new(),
            secret_hint: String::new(),
            admin_id: None,
            rate_limit: None,
            personas: vec![],
            project: None,
            project_grants: ProjectGrants::new(),
            global_admin: false,
            member_id: None,
            enabled: true,
            not_before: None,
            allowed_ips: vec![],
            meta: Meta::default(),
            usage_limit: None,
            elevations: vec![],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RetiredRow {
    pub hash: String,
    pub until: i64,
    /// Rows from before hints were kept have none.
    #[serde(default)]
    pub hint: Option<String>,
}

pub fn ts(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl TokenRow {
    pub fn view(&self) -> Token {
        Token {
            id: self.id.clone(),
            client_id: self.client_id.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            kind: self.kind,
            grants: self.grants.clone(),
            created_by: self.created_by.clone(),
            created_at: ts(self.created_at),
            updated_at: ts(self.updated_at),
            expires_at: self.expires_at.map(ts),
            last_used_at: self.last_used_at.map(ts),
            secret_hint: self.secret_hint.clone(),
            rate_limit: self.rate_limit,
            personas: self.personas.clone(),
            project: self.project(),
            project_grants: self.project_grants.clone(),
            global_admin: self.global_admin,
            member_id: self.member_id.clone(),
            enabled: self.enabled,
            not_before: self.not_before.map(ts),
            allowed_ips: self.allowed_ips.clone(),
            meta: self.meta.clone(),
            usage_limit: self.usage_limit,
            remaining_uses: None,
            elevations: self.elevations.clone(),
        }
    }

    /// The token as an answer shows it at `now`: elevations over by then
    /// are gone, as the edge already ignores them.
    pub fn view_at(&self, now: i64) -> Token {
        let mut token = self.view();
        token.elevations.retain(|e| e.is_current(now));
        token
    }

    /// Master tokens and global keys belong to no project; everything else
    /// to its own, and tokens from before projects to the default one.
    pub fn project(&self) -> Option<String> {
        match self.kind {
            TokenKind::Master | TokenKind::Global => None,
            _ => Some(
                self.project
                    .clone()
                    .unwrap_or_else(|| keyward_domain::DEFAULT_PROJECT.to_string()),
            ),
        }
    }

    pub(crate) fn record(&self, context: &RecordContext, retired_until: Option<i64>) -> AuthRecord {
        let mut token = self.view();
        if context.project.is_some() {
            token.project = context.project.clone();
        }
        AuthRecord {
            token,
            retired_until,
            inherited: context.inherited.clone(),
            acting_as: context.acting_as.clone(),
        }
    }

    /// The grants its elevations add at `now`.
    pub fn elevated(&self, now: i64) -> Vec<Grant> {
        elevation::live_grants(&self.elevations, now)
            .cloned()
            .collect()
    }

    pub(super) fn expiration(&self, now: i64) -> Option<u64> {
        self.expires_at.map(|at| kv_expiration(at, now))
    }
}
