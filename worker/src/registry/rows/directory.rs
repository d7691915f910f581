//! The directory's rows: admins, invitations, personas, members and
//! projects.

use crate::authority::{ts, StoreError};
use keyward_domain::api::{
    Admin, ExpiryPolicy, Invitation, InvitationStatus, LeakResponse, Project,
};
use keyward_domain::Grant;
use serde::Deserialize;

use super::*;

#[derive(Debug, Clone, Deserialize)]
pub(in crate::registry) struct AdminRow {
    pub(in crate::registry) id: String,
    pub(in crate::registry) email: String,
    pub(in crate::registry) name: String,
    pub(in crate::registry) created_at: i64,
    pub(in crate::registry) master_token_id: String,
}

impl AdminRow {
    pub(in crate::registry) fn view(&self) -> Admin {
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
pub(in crate::registry) struct InvitationRow {
    pub(in crate::registry) id: String,
    pub(in crate::registry) code_hash: String,
    pub(in crate::registry) token_id: String,
    pub(in crate::registry) email: String,
    pub(in crate::registry) message: String,
    /// As stored: `Pending` past its expiry is shown as expired.
    pub(in crate::registry) status: InvitationStatus,
    pub(in crate::registry) inviter: String,
    pub(in crate::registry) created_by: String,
    pub(in crate::registry) created_at: i64,
    pub(in crate::registry) expires_at: i64,
    pub(in crate::registry) accepted_at: Option<i64>,
    pub(in crate::registry) delivery_error: Option<String>,
}

#[derive(Deserialize)]
pub(in crate::registry) struct InvitationSql {
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
    pub(in crate::registry) fn status(&self, now: i64) -> InvitationStatus {
        if self.status == InvitationStatus::Pending && now >= self.expires_at {
            InvitationStatus::Expired
        } else {
            self.status
        }
    }

    pub(in crate::registry) fn view(&self, token_name: &str, now: i64) -> Invitation {
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
pub(in crate::registry) struct PersonaRow {
    pub(in crate::registry) id: String,
    pub(in crate::registry) name: String,
    pub(in crate::registry) description: String,
    pub(in crate::registry) grants: Vec<Grant>,
    pub(in crate::registry) created_by: String,
    pub(in crate::registry) created_at: i64,
    pub(in crate::registry) updated_at: i64,
}

#[derive(Deserialize)]
pub(in crate::registry) struct PersonaSql {
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
pub(in crate::registry) struct MemberRow {
    pub(in crate::registry) id: String,
    pub(in crate::registry) email: String,
    pub(in crate::registry) name: String,
    pub(in crate::registry) created_by: String,
    pub(in crate::registry) created_at: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub(in crate::registry) struct ProjectRow {
    pub(in crate::registry) id: String,
    pub(in crate::registry) name: String,
    pub(in crate::registry) description: String,
    pub(in crate::registry) created_by: String,
    pub(in crate::registry) created_at: i64,
    #[serde(default)]
    pub(in crate::registry) max_lifetime: Option<i64>,
    #[serde(default = "one")]
    pub(in crate::registry) allow_never: i64,
    #[serde(default)]
    pub(in crate::registry) leak_response: Option<String>,
    #[serde(default)]
    pub(in crate::registry) elevation_approval: i64,
}

impl ProjectRow {
    pub(in crate::registry) fn view(&self) -> Project {
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

    pub(in crate::registry) fn leak_response(&self) -> LeakResponse {
        match self.leak_response.as_deref() {
            Some("revoke") => LeakResponse::Revoke,
            _ => LeakResponse::Disable,
        }
    }

    pub(in crate::registry) fn expiry_policy(&self) -> ExpiryPolicy {
        ExpiryPolicy {
            // A negative value was never written; it reads as the
            // strictest cap rather than as none.
            max_lifetime_seconds: self.max_lifetime.map(|s| u64::try_from(s).unwrap_or(60)),
            allow_never: self.allow_never != 0,
        }
    }
}
