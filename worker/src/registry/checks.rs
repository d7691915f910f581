//! What a command must find before it changes a token: existing projects
//! and personas, and the policy's verdict on the actor and the token.

use super::fault::{Fault, RegResult};
use super::rows::s;
use super::{Actor, RegistryObject};
use crate::authority::{Ledger, TokenRow};
use keyward_domain::policy;
use keyward_domain::Grant;

impl RegistryObject {
    /// A 400 naming the field, for a project that does not exist.
    pub(super) fn require_project(&self, field: &str, id: &str) -> RegResult<()> {
        if self.count(
            "SELECT COUNT(*) AS n FROM projects WHERE id = ?",
            vec![s(id)],
        )? == 0
        {
            return Err(Fault::invalid(vec![keyward_domain::FieldError::new(
                field,
                format!("there is no project '{id}'"),
            )]));
        }
        Ok(())
    }

    pub(super) fn require_personas(&self, ids: &[String]) -> RegResult<()> {
        let mut errors = vec![];
        for (n, id) in ids.iter().enumerate() {
            // A storage failure is a failure, never "no such persona".
            let found = self.count(
                "SELECT COUNT(*) AS n FROM personas WHERE id = ?",
                vec![s(id)],
            )?;
            if found == 0 {
                errors.push(keyward_domain::FieldError::new(
                    format!("personas[{n}]"),
                    format!("there is no persona '{id}'"),
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Fault::invalid(errors))
        }
    }

    /// A token's own grants, what it inherits (personas; a personal key's
    /// user) and its running elevations, as its KV record will carry them.
    pub(super) fn effective_grants(&self, row: &TokenRow) -> RegResult<Vec<Grant>> {
        let mut grants = row.grants.clone();
        grants.extend(self.ledger().context(row)?.inherited);
        grants.extend(row.elevated(self.now()));
        Ok(grants)
    }

    /// A token as the policy judges it, with what it inherits.
    pub(super) fn subject(&self, row: &TokenRow) -> RegResult<policy::Subject> {
        Ok(policy::Subject {
            id: row.id.clone(),
            kind: row.kind,
            project: row.project(),
            member_id: row.member_id.clone(),
            grants: self.effective_grants(row)?,
            project_grants: row.project_grants.clone(),
            global_admin: row.global_admin,
            expires_at: row.expires_at,
            rate_limit: row.rate_limit,
            allowed_ips: row.allowed_ips.clone(),
        })
    }

    /// What `rate_limit: None` means here.
    pub(super) fn default_rate_limit(&self) -> RegResult<u32> {
        // A misconfigured default is reported (and logged) as unavailable.
        crate::ratelimit::limit_for(&self.env, None).map_err(|e| Fault::Storage(e.problem.detail))
    }

    pub(super) fn check_sees(&self, actor: &Actor, row: &TokenRow) -> RegResult<()> {
        Ok(policy::may_see(
            &actor.policy(),
            &self.subject(row)?,
            &self.catalog,
        )?)
    }

    pub(super) fn check_may_delegate(&self, actor: &Actor, row: &TokenRow) -> RegResult<()> {
        Ok(policy::may_delegate(
            &actor.policy(),
            &self.subject(row)?,
            &self.catalog,
            self.default_rate_limit()?,
        )?)
    }

    pub(super) fn check_may_manage(&self, actor: &Actor, row: &TokenRow) -> RegResult<()> {
        Ok(policy::may_manage(
            &actor.policy(),
            &self.subject(row)?,
            &self.catalog,
            self.default_rate_limit()?,
        )?)
    }
}
