//! What a handler gets ([`Call`]): the environment, the catalog, the
//! authenticated caller and the project the path names; and the call's
//! audit entry, recorded after the answer.

use crate::audit;
use crate::auth::Caller;
use crate::http::{ApiError, ApiResult};
use crate::registry::Registry;
use crate::routes::Route;
use keyward_domain::api::Outcome;
use keyward_domain::{Catalog, ErrorCode, Grant};
use std::cell::RefCell;
use worker::{Context, Env};

/// What a handler needs.
pub struct Call<'a> {
    pub env: &'a Env,
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
    /// naming it when missing.
    pub fn require(
        &self,
        service: &str,
        permission: &str,
        resource: Option<&str>,
    ) -> ApiResult<&Caller> {
        let caller = self.caller()?;
        // The caller's home-project principal is already built; only a
        // path naming a project needs another.
        let in_project;
        let principal = match &self.project {
            Some(_) => {
                in_project = self.principal()?;
                &in_project
            }
            None => &caller.principal,
        };
        match principal.may(service, permission, resource) {
            keyward_domain::Decision::Allow => {
                let grant = Grant::new(
                    service,
                    permission,
                    resource.map(|r| keyward_domain::Resource::Id(r.to_string())),
                );
                // A retired secret holds what its token holds, but uses
                // none of it to change the control plane (the front has
                // refused those routes already; this is the same rule).
                if caller.record.retired_until.is_some() {
                    keyward_domain::policy::may_use(&caller.actor().policy(), &grant)?;
                }
                self.used.borrow_mut().push(grant);
                Ok(caller)
            }
            keyward_domain::Decision::Deny(missing) => Err(insufficient(&missing)),
        }
    }

    pub fn require_master(&self) -> ApiResult<&Caller> {
        self.require_admin("managing admins")
    }

    /// Master tokens and global admin keys.
    pub fn require_admin(&self, what: &str) -> ApiResult<&Caller> {
        let caller = self.caller()?;
        if caller.access.is_admin() {
            Ok(caller)
        } else {
            Err(ApiError::new(
                ErrorCode::InsufficientPermission,
                format!("{what} needs an admin: a master token or a global admin key"),
            ))
        }
    }

    pub fn registry(&self) -> ApiResult<Registry> {
        Registry::from_env(self.env)
    }
}

pub fn insufficient(missing: &Grant) -> ApiError {
    ApiError::new(
        ErrorCode::InsufficientPermission,
        format!("this token lacks {missing}"),
    )
}

/// A call's audit entry, to the audit store after the answer.
#[allow(clippy::too_many_arguments)]
pub fn record(
    env: &Env,
    ctx: &Context,
    (actor, via): (String, Option<String>),
    token_id: Option<String>,
    project: Option<String>,
    route: &Route,
    outcome: Outcome,
    detail: String,
    logged: bool,
    used: Vec<Grant>,
    preview: bool,
) {
    let action = if preview {
        format!("{}.preview", route.action())
    } else {
        route.action().to_string()
    };
    audit::record(
        env,
        ctx,
        audit::AuditEvent::for_call(
            (actor, via),
            token_id,
            project,
            action,
            route.target(),
            outcome,
            detail,
            logged,
        )
        .with_used(used),
    );
}
