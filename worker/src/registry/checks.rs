//! What a command must find before it changes a token: existing projects
//! and personas, and the policy's verdict on the actor and the token.

use super::fault::{Fault, RegResult};
use super::rows::{s, Typed};
use super::{Actor, RegistryObject};
use crate::authority::{Ledger, TokenRow};
use keyward_domain::policy;
use keyward_domain::{Grant, TokenKind};

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

    /// A token's own grants and what it inherits (personas; a personal
    /// key's user), as its KV record will carry them; not its elevations.
    pub(super) fn effective_grants(&self, row: &TokenRow) -> RegResult<Vec<Grant>> {
        let mut grants = row.grants.clone();
        grants.extend(self.ledger().context(row)?.inherited);
        Ok(grants)
    }

    /// A token as the policy judges it, with what it inherits and its
    /// running elevations (apart: they are used, never given).
    pub(super) fn subject(&self, row: &TokenRow) -> RegResult<policy::Subject> {
        let TokenRow {
            id,
            client_id: _,
            name: _,
            description: _,
            kind,
            grants: _,
            created_by: _,
            created_at: _,
            updated_at: _,
            expires_at,
            last_used_at: _,
            secret_hash: _,
            secret_hint: _,
            admin_id: _,
            rate_limit,
            personas: _,
            project: _,
            project_grants,
            global_admin,
            member_id,
            enabled: _,
            not_before,
            allowed_ips,
            meta: _,
            usage_limit,
            elevations: _,
        } = row;
        Ok(policy::Subject {
            id: id.clone(),
            kind: *kind,
            project: row.project(),
            member_id: member_id.clone(),
            grants: self.effective_grants(row)?,
            elevated: row.elevated(self.now()),
            project_grants: project_grants.clone(),
            global_admin: *global_admin,
            expires_at: *expires_at,
            not_before: *not_before,
            rate_limit: *rate_limit,
            usage_limit: *usage_limit,
            allowed_ips: allowed_ips.clone(),
        })
    }

    /// The person a client acts for: a master token's admin, a member's
    /// tokens' member, else whoever made the credential that made it
    /// (a global admin key minted by an admin's master token is that
    /// admin). A chain that ends nowhere names the client itself.
    pub(super) fn person_of(&self, client_id: &str) -> RegResult<String> {
        let mut client = client_id.to_string();
        // Creation chains are short; the bound only guards against a cycle.
        for _ in 0..32 {
            let Some(row) = self
                .sql()
                .exec("SELECT * FROM tokens WHERE client_id = ?", vec![s(&client)])?
                .rows::<TokenRow>()?
                .into_iter()
                .next()
            else {
                break;
            };
            if let Some(admin) = row
                .admin_id
                .as_ref()
                .filter(|_| row.kind == TokenKind::Master)
            {
                return Ok(format!("admin:{admin}"));
            }
            if let Some(member) = &row.member_id {
                return Ok(format!("member:{member}"));
            }
            if row.created_by.is_empty() || row.created_by == client {
                break;
            }
            client = row.created_by;
        }
        Ok(format!("client:{client}"))
    }

    /// `actor` with the person it acts for traced.
    pub(super) fn traced(&self, actor: &Actor) -> RegResult<Actor> {
        let mut actor = actor.clone();
        actor.person = Some(self.person_of(&actor.client_id())?);
        Ok(actor)
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

    /// [`policy::may_issue`]: may `actor` turn `before` (`None`: a new
    /// credential) into `after`?
    pub(super) fn check_may_issue(
        &self,
        actor: &Actor,
        before: Option<&TokenRow>,
        after: &TokenRow,
    ) -> RegResult<()> {
        let before = before.map(|b| self.subject(b)).transpose()?;
        Ok(policy::may_issue(
            &actor.policy(),
            before.as_ref(),
            &self.subject(after)?,
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
