//! Audit log rows.

use crate::authority::StoreError;
use keyward_domain::api::Outcome;
use serde::Deserialize;

use super::*;

#[derive(Debug, Clone)]
pub(in crate::registry) struct AuditRow {
    pub(in crate::registry) seq: i64,
    pub(in crate::registry) at: i64,
    pub(in crate::registry) at_ms: Option<i64>,
    pub(in crate::registry) project: Option<String>,
    pub(in crate::registry) actor: String,
    pub(in crate::registry) action: String,
    pub(in crate::registry) target: String,
    pub(in crate::registry) outcome: Outcome,
    pub(in crate::registry) detail: String,
    pub(in crate::registry) via: Option<String>,
    pub(in crate::registry) person: Option<String>,
    pub(in crate::registry) request_id: Option<String>,
}

#[derive(Deserialize)]
pub(in crate::registry) struct AuditSql {
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
