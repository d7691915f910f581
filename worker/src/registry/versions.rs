//! `If-Match` (`Command::IfMatch`): a change applies only to the version
//! its caller read. The version is compared in the same turn as the
//! change starts, so of two admins who read one version, the second to
//! write is told (412) instead of silently undoing the first.

use super::fault::{Fault, RegResult};
use super::{Actor, RegistryObject};
use keyward_domain::version::{self, IfMatch};
use keyward_domain::RegistryError;
use serde::{Deserialize, Serialize};

/// What a guarded change is about.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Versioned {
    Token(String),
    Persona(String),
    Member(String),
    Project(String),
}

/// A missing thing has no version: the change itself answers 404.
fn found<T>(r: RegResult<T>) -> RegResult<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(Fault::Refused(RegistryError::NotFound { .. })) => Ok(None),
        Err(e) => Err(e),
    }
}

impl RegistryObject {
    /// Refuses when `target` is no longer at a version `if_match` names.
    /// What the actor may not see is "not found", whatever its version.
    pub(super) fn check_version(
        &self,
        actor: &Actor,
        target: &Versioned,
        if_match: &IfMatch,
        now: i64,
    ) -> RegResult<()> {
        let (what, current) = match target {
            Versioned::Token(id) => {
                let Some(row) = found(self.token_row(id))? else {
                    return Ok(());
                };
                self.check_sees(actor, &row)?;
                ("token", version::tag(&row.view_at(now)))
            }
            Versioned::Persona(id) => {
                let Some(row) = found(self.persona_row(id))? else {
                    return Ok(());
                };
                ("persona", version::tag(&self.persona_view(&row)?))
            }
            Versioned::Member(id) => {
                self.check_member_or_admin(actor, id)?;
                let Some(row) = found(self.member_row(id))? else {
                    return Ok(());
                };
                ("member", version::tag(&self.member_view(&row)?))
            }
            Versioned::Project(id) => {
                if !actor.access().reaches(id) {
                    return Err(Fault::not_found("project"));
                }
                let Some(row) = found(self.project_row(id))? else {
                    return Ok(());
                };
                ("project", version::tag(&row.view()))
            }
        };
        if if_match.admits(&current) {
            Ok(())
        } else {
            Err(RegistryError::Changed {
                what: what.into(),
                current,
            }
            .into())
        }
    }
}
