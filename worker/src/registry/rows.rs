//! The registry's rows, typed, and the SQL boundary: each row is read as
//! SQLite returns it ([`Row::Sql`]) and converted once into its typed form
//! (token kinds, grant lists, statuses); statements take typed values back
//! through the helpers at the end. Nothing past this file compares or
//! parses stored strings.

use super::fault::{Fault, RegResult};
use crate::authority::{ts, StoreError, TokenRow};
use keyward_domain::api::{
    Admin, ExpiryPolicy, Invitation, InvitationStatus, LeakResponse, Outcome, Passkey,
    PasskeyAlgorithm, Project, SignInMethod,
};
use keyward_domain::jwt::Jwk;
use keyward_domain::{Grant, TokenKind};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use worker::{SqlCursor, SqlStorage, SqlStorageValue};

/// A row as its table stores it, and how it becomes typed.
pub(super) trait Row: Sized {
    type Sql: DeserializeOwned;
    fn typed(sql: Self::Sql) -> Result<Self, StoreError>;
}

/// A query's rows, typed.
pub(super) trait Typed {
    fn rows<T: Row>(&self) -> Result<Vec<T>, StoreError>;
}

impl Typed for SqlCursor {
    fn rows<T: Row>(&self) -> Result<Vec<T>, StoreError> {
        self.to_array::<T::Sql>()?
            .into_iter()
            .map(T::typed)
            .collect()
    }
}

/// Every row `query` returns, typed.
pub(super) fn select<T: Row>(
    sql: &SqlStorage,
    query: &str,
    args: impl Into<Option<Vec<SqlStorageValue>>>,
) -> Result<Vec<T>, StoreError> {
    sql.exec(query, args)?.rows()
}

/// Rows whose columns need no conversion.
macro_rules! plain_rows {
    ($($t:ty),*) => {$(
        impl Row for $t {
            type Sql = $t;
            fn typed(sql: $t) -> Result<$t, StoreError> {
                Ok(sql)
            }
        }
    )*};
}
plain_rows!(
    AdminRow,
    MemberRow,
    ProjectRow,
    Count,
    RetiredSql,
    EnrolmentRow,
    DeviceRow,
    ChallengeRow
);

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError(format!("a stored {what} is unreadable: {e}"))
}

fn json_column<T: DeserializeOwned>(what: &str, raw: &str) -> Result<T, StoreError> {
    serde_json::from_str(raw).map_err(|e| corrupt(what, e))
}

/// The `tokens` table's columns as SQLite returns them.
#[derive(Deserialize)]
pub(super) struct TokenSql {
    id: String,
    client_id: String,
    name: String,
    description: String,
    kind: String,
    grants: String,
    created_by: String,
    created_at: i64,
    updated_at: i64,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    secret_hash: String,
    secret_hint: String,
    admin_id: Option<String>,
    #[serde(default)]
    rate_limit: Option<i64>,
    #[serde(default)]
    personas: Option<String>,
    #[serde(default)]
    project: Option<String>,
    #[serde(default)]
    project_grants: Option<String>,
    #[serde(default)]
    global_admin: i64,
    #[serde(default)]
    member_id: Option<String>,
    #[serde(default = "one")]
    enabled: i64,
    #[serde(default)]
    not_before: Option<i64>,
    #[serde(default)]
    allowed_ips: Option<String>,
    #[serde(default)]
    meta: Option<String>,
    #[serde(default)]
    usage_limit: Option<String>,
    #[serde(default)]
    elevations: Option<String>,
}

fn one() -> i64 {
    1
}

impl Row for TokenRow {
    type Sql = TokenSql;
    fn typed(t: TokenSql) -> Result<TokenRow, StoreError> {
        Ok(TokenRow {
            kind: TokenKind::parse(&t.kind).ok_or_else(|| corrupt("token kind", &t.kind))?,
            grants: json_column("token's grants", &t.grants)?,
            personas: json_column("token's personas", t.personas.as_deref().unwrap_or("[]"))?,
            project_grants: json_column(
                "token's project grants",
                t.project_grants.as_deref().unwrap_or("{}"),
            )?,
            global_admin: t.global_admin != 0,
            // Anything but an explicit 0 would be a guess; a corrupt value
            // reads as disabled (fail closed).
            enabled: t.enabled == 1,
            not_before: t.not_before,
            allowed_ips: json_column(
                "token's allowed networks",
                t.allowed_ips.as_deref().unwrap_or("[]"),
            )?,
            meta: json_column("token's metadata", t.meta.as_deref().unwrap_or("{}"))?,
            usage_limit: json_column(
                "token's usage limit",
                t.usage_limit.as_deref().unwrap_or("null"),
            )?,
            elevations: json_column(
                "token's elevations",
                t.elevations.as_deref().unwrap_or("[]"),
            )?,
            // A limit out of range was never written; it reads as none.
            rate_limit: t.rate_limit.and_then(|r| u32::try_from(r).ok()),
            id: t.id,
            client_id: t.client_id,
            name: t.name,
            description: t.description,
            created_by: t.created_by,
            created_at: t.created_at,
            updated_at: t.updated_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            secret_hash: t.secret_hash,
            secret_hint: t.secret_hint,
            admin_id: t.admin_id,
            project: t.project,
            member_id: t.member_id,
        })
    }
}

/// A token's columns, in the order of [`TOKEN_COLUMNS`].
pub(super) const TOKEN_COLUMNS: &str = "id, client_id, name, description, kind, grants, created_by, created_at, updated_at, expires_at, last_used_at, secret_hash, secret_hint, admin_id, rate_limit, personas, project, project_grants, global_admin, member_id, enabled, not_before, allowed_ips, meta, usage_limit, elevations";

pub(super) fn token_values(row: &TokenRow) -> Result<Vec<SqlStorageValue>, StoreError> {
    Ok(vec![
        s(&row.id),
        s(&row.client_id),
        s(&row.name),
        s(&row.description),
        s(row.kind.as_str()),
        json(&row.grants)?,
        s(&row.created_by),
        i(row.created_at),
        i(row.updated_at),
        oi(row.expires_at),
        oi(row.last_used_at),
        s(&row.secret_hash),
        s(&row.secret_hint),
        os(row.admin_id.as_deref()),
        oi(row.rate_limit.map(i64::from)),
        json(&row.personas)?,
        os(row.project.as_deref()),
        json(&row.project_grants)?,
        i(i64::from(row.global_admin)),
        os(row.member_id.as_deref()),
        i(i64::from(row.enabled)),
        oi(row.not_before),
        json(&row.allowed_ips)?,
        json(&row.meta)?,
        json(&row.usage_limit)?,
        json(&row.elevations)?,
    ])
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct AdminRow {
    pub(super) id: String,
    pub(super) email: String,
    pub(super) name: String,
    pub(super) created_at: i64,
    pub(super) master_token_id: String,
}

impl AdminRow {
    pub(super) fn view(&self) -> Admin {
        Admin {
            id: self.id.clone(),
            email: self.email.clone(),
            name: self.name.clone(),
            created_at: ts(self.created_at),
            master_token_id: self.master_token_id.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct AuditRow {
    pub(super) seq: i64,
    pub(super) at: i64,
    pub(super) at_ms: Option<i64>,
    pub(super) project: Option<String>,
    pub(super) actor: String,
    pub(super) action: String,
    pub(super) target: String,
    pub(super) outcome: Outcome,
    pub(super) detail: String,
    pub(super) via: Option<String>,
    pub(super) person: Option<String>,
    pub(super) request_id: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct AuditSql {
    seq: i64,
    at: i64,
    #[serde(default)]
    at_ms: Option<i64>,
    #[serde(default)]
    project: Option<String>,
    actor: String,
    action: String,
    target: String,
    outcome: String,
    detail: String,
    #[serde(default)]
    via: Option<String>,
    #[serde(default)]
    person: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
}

impl Row for AuditRow {
    type Sql = AuditSql;
    fn typed(a: AuditSql) -> Result<AuditRow, StoreError> {
        Ok(AuditRow {
            outcome: Outcome::from_stored(&a.outcome),
            seq: a.seq,
            at: a.at,
            at_ms: a.at_ms,
            project: a.project,
            actor: a.actor,
            action: a.action,
            target: a.target,
            detail: a.detail,
            via: a.via,
            person: a.person,
            request_id: a.request_id,
        })
    }
}

#[derive(Debug, Clone)]
pub(super) struct InvitationRow {
    pub(super) id: String,
    pub(super) code_hash: String,
    pub(super) token_id: String,
    pub(super) email: String,
    pub(super) message: String,
    /// As stored: `Pending` past its expiry is shown as expired.
    pub(super) status: InvitationStatus,
    pub(super) inviter: String,
    pub(super) created_by: String,
    pub(super) created_at: i64,
    pub(super) expires_at: i64,
    pub(super) accepted_at: Option<i64>,
    pub(super) delivery_error: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct InvitationSql {
    id: String,
    code_hash: String,
    token_id: String,
    email: String,
    message: String,
    status: String,
    inviter: String,
    created_by: String,
    created_at: i64,
    expires_at: i64,
    accepted_at: Option<i64>,
    delivery_error: Option<String>,
}

impl Row for InvitationRow {
    type Sql = InvitationSql;
    fn typed(v: InvitationSql) -> Result<InvitationRow, StoreError> {
        Ok(InvitationRow {
            // An unknown status is never usable.
            status: InvitationStatus::parse(&v.status).unwrap_or(InvitationStatus::Failed),
            id: v.id,
            code_hash: v.code_hash,
            token_id: v.token_id,
            email: v.email,
            message: v.message,
            inviter: v.inviter,
            created_by: v.created_by,
            created_at: v.created_at,
            expires_at: v.expires_at,
            accepted_at: v.accepted_at,
            delivery_error: v.delivery_error,
        })
    }
}

impl InvitationRow {
    /// The status as of now: a pending invitation past its expiry is expired.
    pub(super) fn status(&self, now: i64) -> InvitationStatus {
        if self.status == InvitationStatus::Pending && now >= self.expires_at {
            InvitationStatus::Expired
        } else {
            self.status
        }
    }

    pub(super) fn view(&self, token_name: &str, now: i64) -> Invitation {
        Invitation {
            id: self.id.clone(),
            email: self.email.clone(),
            status: self.status(now),
            expires_at: ts(self.expires_at),
            created_by: self.created_by.clone(),
            token_id: self.token_id.clone(),
            token_name: token_name.to_string(),
            message: self.message.clone(),
            created_at: ts(self.created_at),
            accepted_at: self.accepted_at.map(ts),
            delivery_error: self.delivery_error.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct PersonaRow {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) description: String,
    pub(super) grants: Vec<Grant>,
    pub(super) created_by: String,
    pub(super) created_at: i64,
    pub(super) updated_at: i64,
}

#[derive(Deserialize)]
pub(super) struct PersonaSql {
    id: String,
    name: String,
    description: String,
    grants: String,
    created_by: String,
    created_at: i64,
    updated_at: i64,
}

impl Row for PersonaRow {
    type Sql = PersonaSql;
    fn typed(p: PersonaSql) -> Result<PersonaRow, StoreError> {
        Ok(PersonaRow {
            grants: json_column("persona's grants", &p.grants)?,
            id: p.id,
            name: p.name,
            description: p.description,
            created_by: p.created_by,
            created_at: p.created_at,
            updated_at: p.updated_at,
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct MemberRow {
    pub(super) id: String,
    pub(super) email: String,
    pub(super) name: String,
    pub(super) created_by: String,
    pub(super) created_at: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct ProjectRow {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) description: String,
    pub(super) created_by: String,
    pub(super) created_at: i64,
    #[serde(default)]
    pub(super) max_lifetime: Option<i64>,
    #[serde(default = "one")]
    pub(super) allow_never: i64,
    #[serde(default)]
    pub(super) leak_response: Option<String>,
    #[serde(default)]
    pub(super) elevation_approval: i64,
}

impl ProjectRow {
    pub(super) fn view(&self) -> Project {
        Project {
            id: self.id.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            created_by: self.created_by.clone(),
            created_at: ts(self.created_at),
            expiry_policy: self.expiry_policy(),
            leak_response: self.leak_response(),
            elevation_approval: self.elevation_approval != 0,
        }
    }

    pub(super) fn leak_response(&self) -> LeakResponse {
        match self.leak_response.as_deref() {
            Some("revoke") => LeakResponse::Revoke,
            _ => LeakResponse::Disable,
        }
    }

    pub(super) fn expiry_policy(&self) -> ExpiryPolicy {
        ExpiryPolicy {
            // A negative value was never written; it reads as the
            // strictest cap rather than as none.
            max_lifetime_seconds: self.max_lifetime.map(|s| u64::try_from(s).unwrap_or(60)),
            allow_never: self.allow_never != 0,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Count {
    pub(super) n: i64,
}

/// `retired_secrets` rows.
pub(super) type RetiredSql = crate::authority::RetiredRow;

pub(super) fn s(v: impl Into<String>) -> SqlStorageValue {
    SqlStorageValue::String(v.into())
}
pub(super) fn i(v: i64) -> SqlStorageValue {
    SqlStorageValue::Integer(v)
}
pub(super) fn os(v: Option<&str>) -> SqlStorageValue {
    match v {
        Some(v) => s(v),
        None => SqlStorageValue::Null,
    }
}
pub(super) fn oi(v: Option<i64>) -> SqlStorageValue {
    v.map(SqlStorageValue::Integer)
        .unwrap_or(SqlStorageValue::Null)
}
/// A JSON column (grant lists, persona lists, per-project grants).
pub(super) fn json<T: Serialize>(v: &T) -> Result<SqlStorageValue, StoreError> {
    serde_json::to_string(v)
        .map(SqlStorageValue::String)
        .map_err(|e| StoreError(e.to_string()))
}

/// An answer to the front.
pub(super) fn to_json<T: Serialize>(v: &T) -> RegResult<String> {
    serde_json::to_string(v).map_err(|e| Fault::Internal(e.to_string()))
}

/// A person's session (the hash of its secret is the lookup key and is not
/// read back).
#[derive(Debug, Clone)]
pub(super) struct SessionRow {
    pub(super) id: String,
    pub(super) person: String,
    pub(super) method: SignInMethod,
    pub(super) passkey_id: Option<String>,
    pub(super) user_agent: String,
    pub(super) created_at: i64,
    pub(super) last_seen_at: i64,
}

#[derive(Deserialize)]
pub(super) struct SessionSql {
    id: String,
    person: String,
    method: String,
    passkey_id: Option<String>,
    user_agent: String,
    created_at: i64,
    last_seen_at: i64,
}

pub(super) fn method_name(m: SignInMethod) -> &'static str {
    match m {
        SignInMethod::Passkey => "passkey",
        SignInMethod::MasterToken => "master_token",
        SignInMethod::UserToken => "user_token",
    }
}

impl Row for SessionRow {
    type Sql = SessionSql;
    fn typed(s: SessionSql) -> Result<SessionRow, StoreError> {
        let method = [
            SignInMethod::Passkey,
            SignInMethod::MasterToken,
            SignInMethod::UserToken,
        ]
        .into_iter()
        .find(|m| method_name(*m) == s.method)
        .ok_or_else(|| corrupt("session method", &s.method))?;
        Ok(SessionRow {
            id: s.id,
            person: s.person,
            method,
            passkey_id: s.passkey_id,
            user_agent: s.user_agent,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
        })
    }
}

#[derive(Debug, Clone)]
pub(super) struct PasskeyRow {
    pub(super) id: String,
    pub(super) credential_id: String,
    pub(super) person: String,
    pub(super) name: String,
    pub(super) algorithm: PasskeyAlgorithm,
    pub(super) public_key: Jwk,
    pub(super) sign_count: u32,
    pub(super) created_at: i64,
    pub(super) last_used_at: Option<i64>,
}

#[derive(Deserialize)]
pub(super) struct PasskeySql {
    id: String,
    credential_id: String,
    person: String,
    name: String,
    algorithm: String,
    public_key: String,
    sign_count: i64,
    created_at: i64,
    last_used_at: Option<i64>,
}

pub(super) fn algorithm_name(a: PasskeyAlgorithm) -> &'static str {
    match a {
        PasskeyAlgorithm::ES256 => "ES256",
        PasskeyAlgorithm::RS256 => "RS256",
    }
}

impl Row for PasskeyRow {
    type Sql = PasskeySql;
    fn typed(p: PasskeySql) -> Result<PasskeyRow, StoreError> {
        let algorithm = [PasskeyAlgorithm::ES256, PasskeyAlgorithm::RS256]
            .into_iter()
            .find(|a| algorithm_name(*a) == p.algorithm)
            .ok_or_else(|| corrupt("passkey algorithm", &p.algorithm))?;
        Ok(PasskeyRow {
            public_key: json_column("passkey public key", &p.public_key)?,
            sign_count: u32::try_from(p.sign_count)
                .map_err(|e| corrupt("passkey signature counter", e))?,
            id: p.id,
            credential_id: p.credential_id,
            person: p.person,
            name: p.name,
            algorithm,
            created_at: p.created_at,
            last_used_at: p.last_used_at,
        })
    }
}

impl PasskeyRow {
    pub(super) fn view(&self) -> Passkey {
        Passkey {
            id: self.id.clone(),
            name: self.name.clone(),
            algorithm: self.algorithm,
            created_at: ts(self.created_at),
            last_used_at: self.last_used_at.map(ts),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct EnrolmentRow {
    pub(super) id: String,
    pub(super) person: String,
    pub(super) expires_at: i64,
    pub(super) used_at: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct DeviceRow {
    pub(super) client_name: String,
    pub(super) expires_at: i64,
    pub(super) approved_by: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct ChallengeRow {
    pub(super) purpose: String,
    pub(super) expires_at: i64,
}
