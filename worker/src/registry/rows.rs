//! The registry's rows as SQLite returns them, their API views, and the
//! values its statements take.

use crate::authority::ts;
use crate::http::{ApiError, ApiResult};
use keyward_domain::api::{Admin, Invitation, InvitationStatus, Project};
use keyward_domain::ErrorCode;
use serde::{Deserialize, Serialize};
use worker::SqlStorageValue;

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

#[derive(Debug, Clone, Deserialize)]
pub(super) struct AuditRow {
    pub(super) seq: i64,
    pub(super) at: i64,
    #[serde(default)]
    pub(super) at_ms: Option<i64>,
    #[serde(default)]
    pub(super) project: Option<String>,
    pub(super) actor: String,
    pub(super) action: String,
    pub(super) target: String,
    pub(super) outcome: String,
    pub(super) detail: String,
    #[serde(default)]
    pub(super) via: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct InvitationRow {
    pub(super) id: String,
    pub(super) code_hash: String,
    pub(super) token_id: String,
    pub(super) email: String,
    pub(super) message: String,
    pub(super) status: String,
    pub(super) inviter: String,
    pub(super) created_by: String,
    pub(super) created_at: i64,
    pub(super) expires_at: i64,
    pub(super) accepted_at: Option<i64>,
    pub(super) delivery_error: Option<String>,
}

impl InvitationRow {
    /// The status as of now: a pending invitation past its expiry is expired.
    pub(super) fn status(&self, now: i64) -> InvitationStatus {
        let stored = InvitationStatus::parse(&self.status).unwrap_or(InvitationStatus::Failed);
        if stored == InvitationStatus::Pending && now >= self.expires_at {
            InvitationStatus::Expired
        } else {
            stored
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

#[derive(Debug, Clone, Deserialize)]
pub(super) struct PersonaRow {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) description: String,
    pub(super) grants: String,
    pub(super) created_by: String,
    pub(super) created_at: i64,
    pub(super) updated_at: i64,
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
}

impl ProjectRow {
    pub(super) fn view(&self) -> Project {
        Project {
            id: self.id.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            created_by: self.created_by.clone(),
            created_at: ts(self.created_at),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Count {
    pub(super) n: i64,
}

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

pub(super) fn to_json<T: Serialize>(v: &T) -> ApiResult<String> {
    serde_json::to_string(v).map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))
}
