//! Where each grant of a token came from (its own, a persona's, a
//! member's), which only the registry knows, and which secret a call
//! would present.

use super::rfc3339;
use crate::access::Access;
use crate::grant::Grant;
use crate::policy::Subject;
use crate::quota::UsageLimit;
use crate::secret::TokenKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Where a grant a token holds comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// The token's own grants.
    Own,
    /// A persona the token links.
    Persona { id: String, name: String },
    /// A personal key's user: the user's own grants.
    Member { id: String },
    /// A persona that a personal key's user links.
    MemberPersona {
        member: String,
        id: String,
        name: String,
    },
    /// A global key's grants in one project.
    Project { project: String },
    /// A master token or a global admin key: everything, everywhere.
    Admin,
    /// A time-boxed elevation, held until `until` (unix seconds).
    Elevation {
        id: String,
        until: i64,
        reason: String,
    },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Own => write!(f, "the token's own grants"),
            Source::Persona { id, name } => write!(f, "persona '{name}' ({id})"),
            Source::Member { id } => write!(f, "member {id}'s own grants"),
            Source::MemberPersona { member, id, name } => {
                write!(f, "persona '{name}' ({id}) of member {member}")
            }
            Source::Project { project } => write!(f, "its grants in project '{project}'"),
            Source::Admin => write!(f, "admin rights (a master token or a global admin key)"),
            Source::Elevation { id, until, reason } => {
                write!(f, "elevation {id} until {} ({reason})", rfc3339(*until))
            }
        }
    }
}

/// A grant with where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Held {
    pub grant: Grant,
    pub source: Source,
}

/// A token as the registry knows it, with the provenance of every grant
/// its KV record carries: `grants` is, in order, exactly the record's own
/// grants followed by its inherited ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holdings {
    pub token_id: String,
    pub kind: TokenKind,
    pub project: Option<String>,
    #[serde(default)]
    pub member_id: Option<String>,
    pub grants: Vec<Held>,
    #[serde(default)]
    pub project_grants: BTreeMap<String, Vec<Grant>>,
    #[serde(default)]
    pub global_admin: bool,
    /// Unix seconds; `None` never expires.
    #[serde(default)]
    pub expires_at: Option<i64>,
    #[serde(default)]
    pub rate_limit: Option<u32>,
    /// The token's use conditions ([`crate::conditions`]).
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub not_before: Option<i64>,
    #[serde(default)]
    pub allowed_ips: Vec<crate::conditions::Cidr>,
    /// A usage-limited token's uses (counted by its rate limiter).
    #[serde(default)]
    pub usage_limit: Option<UsageLimit>,
    /// The hint of the token's current secret (`kw_s_…Ab3x`).
    #[serde(default)]
    pub secret_hint: String,
    /// Secrets a refresh replaced that still work (inside their overlap).
    #[serde(default)]
    pub retired: Vec<RetiredSecret>,
}

/// A secret replaced by a refresh, still inside its overlap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetiredSecret {
    /// Its hint; secrets retired before hints were kept have none, and
    /// no hint names them.
    #[serde(default)]
    pub hint: Option<String>,
    /// Unix seconds: it works until then, never after.
    pub until: i64,
}

/// Which of a token's secrets a hint names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presented {
    /// The current secret (or no hint given).
    Current,
    /// A secret a refresh replaced, working until `until` (unix seconds).
    Retired { until: i64 },
    /// No secret of the token that works now.
    Unknown,
}

fn yes() -> bool {
    true
}

impl Holdings {
    /// What the edge decides with: the same shape `AuthRecord::access`
    /// builds from the KV record.
    pub fn access(&self) -> Access {
        Access {
            kind: self.kind,
            project: self.project.clone(),
            grants: self.grants.iter().map(|h| h.grant.clone()).collect(),
            project_grants: self.project_grants.clone(),
            global_admin: self.global_admin && self.kind == TokenKind::Global,
        }
    }

    /// [`Access::grants_in`] with sources, index for index (a property
    /// test holds the two together).
    pub fn held_in(&self, project: &str) -> Vec<Held> {
        let access = self.access();
        if self.kind == TokenKind::Global {
            let mut all = self.grants.clone();
            all.extend(
                self.project_grants
                    .get(project)
                    .into_iter()
                    .flatten()
                    .map(|g| Held {
                        grant: g.clone(),
                        source: Source::Project {
                            project: project.to_string(),
                        },
                    }),
            );
            all
        } else if access.home() == project {
            self.grants.clone()
        } else {
            vec![]
        }
    }

    /// The token's own grants (what a `PATCH` of `grants` replaces).
    pub fn own(&self) -> Vec<Grant> {
        self.grants
            .iter()
            .filter(|h| h.source == Source::Own)
            .map(|h| h.grant.clone())
            .collect()
    }

    /// What it inherits for good (personas, a personal key's user); not
    /// its elevations, which end by themselves: narrowing must not drop an
    /// own grant because an elevation admits the same calls for now.
    pub fn inherited(&self) -> Vec<Grant> {
        self.grants
            .iter()
            .filter(|h| h.source != Source::Own && !matches!(h.source, Source::Elevation { .. }))
            .map(|h| h.grant.clone())
            .collect()
    }

    /// The token as the policy judges it.
    pub fn subject(&self) -> Subject {
        Subject {
            id: self.token_id.clone(),
            kind: self.kind,
            project: self.project.clone(),
            member_id: self.member_id.clone(),
            grants: self
                .grants
                .iter()
                .filter(|h| !matches!(h.source, Source::Elevation { .. }))
                .map(|h| h.grant.clone())
                .collect(),
            elevated: self.elevated(),
            project_grants: self.project_grants.clone(),
            global_admin: self.global_admin,
            expires_at: self.expires_at,
            not_before: self.not_before,
            rate_limit: self.rate_limit,
            usage_limit: self.usage_limit,
            allowed_ips: self.allowed_ips.clone(),
        }
    }

    /// The grants its running elevations add.
    pub(super) fn elevated(&self) -> Vec<Grant> {
        self.grants
            .iter()
            .filter(|h| matches!(h.source, Source::Elevation { .. }))
            .map(|h| h.grant.clone())
            .collect()
    }

    pub(super) fn expired(&self, now: i64) -> bool {
        matches!(self.expires_at, Some(at) if now >= at)
    }

    /// The secret with this hint ([`crate::secret::parse_hint`]'s form),
    /// as authentication would find it at `now`: the current one, a
    /// retired one still inside its overlap (the edge refuses it from its
    /// `until` on), or none.
    pub fn secret(&self, hint: Option<&str>, now: i64) -> Presented {
        let Some(hint) = hint else {
            return Presented::Current;
        };
        if hint == self.secret_hint {
            return Presented::Current;
        }
        self.retired
            .iter()
            .filter(|r| r.hint.as_deref() == Some(hint) && now < r.until)
            .map(|r| r.until)
            .max()
            .map_or(Presented::Unknown, |until| Presented::Retired { until })
    }
}

/// The holdings the tests of this module's siblings start from.
#[cfg(test)]
pub mod fixtures {
    use super::*;

    pub fn g(s: &str) -> Grant {
        Grant::parse_compact(s).unwrap()
    }

    pub fn held(s: &str, source: Source) -> Held {
        Held {
            grant: g(s),
            source,
        }
    }

    pub fn persona(id: &str) -> Source {
        Source::Persona {
            id: id.into(),
            name: format!("P {id}"),
        }
    }

    pub fn scoped(grants: Vec<Held>) -> Holdings {
        Holdings {
            token_id: "tok_1".into(),
            kind: TokenKind::Scoped,
            project: Some("default".into()),
            member_id: None,
            grants,
            project_grants: BTreeMap::new(),
            global_admin: false,
            expires_at: None,
            rate_limit: None,
            enabled: true,
            not_before: None,
            allowed_ips: vec![],
            usage_limit: None,
            secret_hint: "kw_s_…Cur1".into(),
            retired: vec![],
        }
    }
}
