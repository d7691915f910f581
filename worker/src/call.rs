//! What a handler gets ([`Call`]): the environment, the catalog, the
//! authenticated caller and the project the path names; and the call's
//! audit entry, recorded after the answer.

use crate::auth::Caller;
use crate::http::{ApiError, ApiResult};
use crate::refusal::stopped;
#[cfg(feature = "control")]
use crate::registry::Registry;
use keyward_domain::admit::admit;
use keyward_domain::ratelimit::Standing;
use keyward_domain::requirement::Requirement;
use keyward_domain::{Catalog, ErrorCode, Grant};
use std::cell::RefCell;
use worker::{Context, Env};

/// What a handler needs.
pub struct Call<'a> {
    pub env: &'a Env,
    /// For work that may finish after the answer (`wait_until`).
    pub ctx: &'a Context,
    /// The id the answer's `X-Request-Id` carries.
    pub request_id: &'a str,
    pub catalog: &'a Catalog,
    pub caller: Option<Caller>,
    /// The project a `/projects/{id}/...` path names.
    pub project: Option<String>,
    /// The grants [`Call::require`] found held, for the call's audit entry
    /// (what `GET /tokens/{id}/usage` summarises).
    pub used: RefCell<Vec<Grant>>,
    /// The call previewed a change (`?dry_run=true`) and wrote nothing:
    /// the front records it as a read, `<action>.preview`.
    pub dry_run: std::cell::Cell<bool>,
}

impl Call<'_> {
    pub fn caller(&self) -> ApiResult<&Caller> {
        self.caller
            .as_ref()
            .ok_or_else(|| ApiError::new(ErrorCode::MissingToken, "authentication required"))
    }

    /// The project the request acts in: the one its path names, else the
    /// caller's own. A token that cannot reach it is refused outright.
    pub fn project(&self) -> ApiResult<String> {
        let caller = self.caller()?;
        let project = self
            .project
            .clone()
            .unwrap_or_else(|| caller.access.home().to_string());
        if keyward_domain::validate::project_id("project", &project).is_err() {
            return Err(ApiError::not_found("project"));
        }
        keyward_domain::policy::may_act_in(&caller.access, &project)?;
        Ok(project)
    }

    /// The caller's permissions in the request's project.
    pub fn principal(&self) -> ApiResult<keyward_domain::Principal> {
        let project = self.project()?;
        Ok(self.caller()?.principal_in(self.catalog, &project))
    }

    /// Requires `service:permission[@resource]` in the request's project,
    /// naming it when missing: the domain's one admission step
    /// ([`keyward_domain::admit::admit`]), as the gateway, `/verify` and
    /// `explain` ask it. The limiter has counted this call already.
    pub fn require(
        &self,
        service: &str,
        permission: &str,
        resource: Option<&str>,
    ) -> ApiResult<&Caller> {
        let caller = self.caller()?;
        let grant = Grant::new(
            service,
            permission,
            resource.map(|r| keyward_domain::Resource::Id(r.to_string())),
        );
        if let Some(p) = &self.project {
            if keyward_domain::validate::project_id("project", p).is_err() {
                return Err(ApiError::not_found("project"));
            }
        }
        let wanted = Requirement::Grant(grant);
        admit(
            &caller.credential(),
            self.catalog,
            self.project.as_deref(),
            &wanted,
            crate::store::now().unix_timestamp(),
            Standing::Room,
        )
        .map_err(stopped)?;
        if let Requirement::Grant(grant) = wanted {
            self.used.borrow_mut().push(grant);
        }
        Ok(caller)
    }

    pub fn require_master(&self) -> ApiResult<&Caller> {
        self.require_admin("managing admins")
    }

    /// Master tokens and global admin keys (`policy::admins_only`).
    pub fn require_admin(&self, what: &str) -> ApiResult<&Caller> {
        let caller = self.caller()?;
        let now = crate::store::now().unix_timestamp();
        keyward_domain::policy::admins_only(&caller.record.actor(now, String::new()), what)?;
        Ok(caller)
    }

    #[cfg(feature = "control")]
    pub fn registry(&self) -> ApiResult<Registry> {
        Registry::from_env(self.env)
    }
}
