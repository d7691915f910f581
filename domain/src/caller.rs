//! The one caller: a credential as the edge finds it in KV, and every
//! view of it the decisions need.
//!
//! The registry writes it (`secret:<sha256>` in KV), the edge reads it and
//! hands the same value to the registry with each command, and the policy,
//! the admission step and the audit all derive what they need from it
//! here. So a field added to a credential reaches every decision through
//! one type, instead of being copied by hand into several.

use crate::access::Access;
use crate::admit::Credential;
use crate::api::Token;
use crate::conditions::UseConditions;
use crate::elevation;
use crate::grant::{Grant, Principal};
use crate::policy;
use crate::secret::TokenKind;
use serde::{Deserialize, Serialize};

/// A credential as KV holds it: the token, and what it carries besides.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Caller {
    pub token: Token,
    /// Set on a secret replaced by a refresh with an overlap: the old secret
    /// works until this instant (unix seconds), and never after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_until: Option<i64>,
    /// Grants held through personas, or, for a personal key, everything its
    /// user holds. Rewritten by the registry whenever those change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inherited: Vec<Grant>,
    /// A personal key's user (their client id): calls are theirs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acting_as: Option<String>,
}

impl Caller {
    /// Records written before projects existed name none: a project-level
    /// token without one is the default project's.
    pub fn upgraded(mut self) -> Caller {
        if self.token.project.is_none()
            && !matches!(self.token.kind, TokenKind::Master | TokenKind::Global)
        {
            self.token.project = Some(crate::DEFAULT_PROJECT.to_string());
        }
        self
    }

    pub fn is_master(&self) -> bool {
        self.token.kind == TokenKind::Master
    }

    pub fn conditions(&self) -> UseConditions<'_> {
        UseConditions {
            enabled: self.token.enabled,
            not_before: self.token.not_before,
            allowed_ips: &self.token.allowed_ips,
        }
    }

    /// The grants its elevations add at `now`.
    pub fn elevated(&self, now: i64) -> Vec<Grant> {
        elevation::live_grants(&self.token.elevations, now)
            .cloned()
            .collect()
    }

    /// Everything it may use at `now`: its grants, what it inherits, and
    /// its elevations until their end.
    pub fn access(&self, now: i64) -> Access {
        let mut grants = self.token.grants.clone();
        grants.extend(self.inherited.iter().cloned());
        grants.extend(self.elevated(now));
        Access {
            kind: self.token.kind,
            project: self.token.project.clone(),
            grants,
            project_grants: self.token.project_grants.clone(),
            global_admin: self.token.global_admin && self.token.kind == TokenKind::Global,
        }
    }

    /// Who the audit log names (a personal key's user, else the token),
    /// and the personal key they acted through.
    pub fn audit_identity(&self) -> (String, Option<String>) {
        let own = self.token.client_id.clone();
        match &self.acting_as {
            Some(user) => (user.clone(), Some(own)),
            None => (own, None),
        }
    }

    /// The caller as the policy judges it at `now`, acting for `person`.
    pub fn actor(&self, now: i64, person: String) -> policy::Actor {
        let token = &self.token;
        policy::Actor {
            token_id: token.id.clone(),
            access: self.access(now),
            elevated: self.elevated(now),
            member_id: token.member_id.clone(),
            expires_at: token.expires_at.map(|t| t.unix_timestamp()),
            rate_limit: token.rate_limit,
            retired: self.retired_until.is_some(),
            allowed_ips: token.allowed_ips.clone(),
            usage_limit: token.usage_limit,
            person,
        }
    }

    /// The caller as the admission step judges it, with `access` derived
    /// at the call's instant (and its home principal, when kept).
    pub fn credential<'a>(
        &'a self,
        access: &'a Access,
        home_principal: Option<&'a Principal>,
    ) -> Credential<'a> {
        Credential {
            access,
            expires_at: self.token.expires_at.map(|t| t.unix_timestamp()),
            enabled: self.token.enabled,
            not_before: self.token.not_before.map(|t| t.unix_timestamp()),
            retired: self.retired_until.is_some(),
            home_principal,
        }
    }
}
