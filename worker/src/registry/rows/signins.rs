//! Sign-in rows: sessions, passkeys, enrolment links, device codes and
//! ceremony challenges.

use crate::authority::{ts, StoreError};
use keyward_domain::api::{Passkey, PasskeyAlgorithm, SignInMethod};
use keyward_domain::jwt::Jwk;
use serde::Deserialize;

use super::*;

/// A person's session (the hash of its secret is the lookup key and is not
/// read back).
#[derive(Debug, Clone)]
pub(in crate::registry) struct SessionRow {
    pub(in crate::registry) id: String,
    pub(in crate::registry) person: String,
    pub(in crate::registry) method: SignInMethod,
    pub(in crate::registry) passkey_id: Option<String>,
    pub(in crate::registry) user_agent: String,
    pub(in crate::registry) created_at: i64,
    pub(in crate::registry) last_seen_at: i64,
}

#[derive(Deserialize)]
pub(in crate::registry) struct SessionSql {
    id: String,
    person: String,
    method: String,
    passkey_id: Option<String>,
    user_agent: String,
    created_at: i64,
    last_seen_at: i64,
}

pub(in crate::registry) fn method_name(m: SignInMethod) -> &'static str {
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
pub(in crate::registry) struct PasskeyRow {
    pub(in crate::registry) id: String,
    pub(in crate::registry) credential_id: String,
    pub(in crate::registry) person: String,
    pub(in crate::registry) name: String,
    pub(in crate::registry) algorithm: PasskeyAlgorithm,
    pub(in crate::registry) public_key: Jwk,
    pub(in crate::registry) sign_count: u32,
    pub(in crate::registry) created_at: i64,
    pub(in crate::registry) last_used_at: Option<i64>,
}

#[derive(Deserialize)]
pub(in crate::registry) struct PasskeySql {
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

pub(in crate::registry) fn algorithm_name(a: PasskeyAlgorithm) -> &'static str {
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
    pub(in crate::registry) fn view(&self) -> Passkey {
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
pub(in crate::registry) struct EnrolmentRow {
    pub(in crate::registry) id: String,
    pub(in crate::registry) person: String,
    pub(in crate::registry) expires_at: i64,
    pub(in crate::registry) used_at: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub(in crate::registry) struct DeviceRow {
    pub(in crate::registry) client_name: String,
    pub(in crate::registry) expires_at: i64,
    pub(in crate::registry) approved_by: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(in crate::registry) struct ChallengeRow {
    pub(in crate::registry) purpose: String,
    pub(in crate::registry) expires_at: i64,
}
