//! The one admission step: may this credential make this call now?
//!
//! The edge's API handlers (`Call::require`), the gateway, `/verify` and
//! `explain` all ask [`admit`], so `explain` agrees with the edge because
//! both run the same code, not because a test keeps two copies equal.
//! The order is the edge's: the credential's own state (expiry, enabled,
//! not-before), then its limiter, then the retired-secret rule, then the
//! project, then the grants. The address a call comes from is
//! authentication's business (it is checked with the KV record, before
//! anything here), and the limiter's standing is an input: counting a call
//! is I/O, which this pure step does not do.

use crate::access::Access;
use crate::catalog::Catalog;
use crate::grant::{Decision, Grant, Principal};
use crate::policy::{self, Refusal};
use crate::ratelimit::Standing;
use crate::requirement::Requirement;
use std::borrow::Cow;

/// A credential as admission judges it.
#[derive(Debug, Clone, Copy)]
pub struct Credential<'a> {
    /// What it may use now (its running elevations included).
    pub access: &'a Access,
    /// Unix seconds; `None` never expires.
    pub expires_at: Option<i64>,
    pub enabled: bool,
    pub not_before: Option<i64>,
    /// Presented with a secret a refresh replaced, inside its overlap.
    pub retired: bool,
    /// Its permissions in its home project, when already derived (the
    /// edge keeps them per isolate): saves deriving them again.
    pub home_principal: Option<&'a Principal>,
}

/// Why a call is refused, in the order the checks run.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    Expired,
    Disabled,
    NotYetValid,
    /// The limiter refuses (its window is full, or the uses are spent).
    Limited(Standing),
    /// A secret a refresh replaced asks to change the control plane.
    RetiredSecret(Refusal),
    /// The call acts in a project the credential cannot reach.
    OutOfReach(Refusal),
    /// A grant the requirement needs and the credential lacks.
    Missing(Grant),
    /// A requirement with alternatives (`any`) the credential does not
    /// meet, in words (`any of (…)`).
    Unmet(String),
}

/// An admitted call: the project it acts in and the permissions there
/// (borrowed when the edge kept them: nothing is copied on a call's path).
#[derive(Debug, Clone)]
pub struct Admission<'a> {
    pub project: String,
    pub principal: Cow<'a, Principal>,
}

/// May `credential` make a call needing `wanted` in `project` (its home
/// when `None`) at `now`, its limiter standing as `limiter` says?
pub fn admit<'a>(
    credential: &Credential<'a>,
    catalog: &Catalog,
    project: Option<&str>,
    wanted: &Requirement,
    now: i64,
    limiter: Standing,
) -> Result<Admission<'a>, Stop> {
    let Credential {
        access,
        expires_at,
        enabled,
        not_before,
        retired,
        home_principal,
    } = *credential;
    if expires_at.is_some_and(|at| now >= at) {
        return Err(Stop::Expired);
    }
    if !enabled {
        return Err(Stop::Disabled);
    }
    if not_before.is_some_and(|nb| now < nb) {
        return Err(Stop::NotYetValid);
    }
    if limiter != Standing::Room {
        return Err(Stop::Limited(limiter));
    }
    if retired
        && wanted
            .grants()
            .into_iter()
            .any(policy::changes_control_plane)
    {
        return Err(Stop::RetiredSecret(Refusal::RetiredSecret));
    }
    let home = access.home();
    let project = project.unwrap_or(home);
    policy::may_act_in(access, project).map_err(Stop::OutOfReach)?;
    let principal = match home_principal {
        Some(p) if project == home => Cow::Borrowed(p),
        _ => Cow::Owned(access.principal(catalog, project)),
    };
    meets(&principal, catalog, wanted)?;
    Ok(Admission {
        project: project.to_string(),
        principal,
    })
}

/// A requirement of plain grants names the first one missing; one with
/// alternatives says what is unmet in words.
fn meets(principal: &Principal, catalog: &Catalog, wanted: &Requirement) -> Result<(), Stop> {
    let plain: Option<Vec<&Grant>> = match wanted {
        Requirement::Grant(g) => Some(vec![g]),
        Requirement::All(all) => all
            .iter()
            .map(|r| match r {
                Requirement::Grant(g) => Some(g),
                _ => None,
            })
            .collect(),
        Requirement::Any(_) => None,
    };
    match plain {
        Some(grants) => {
            for g in grants {
                if let Decision::Deny(missing) = principal.decide(g) {
                    return Err(Stop::Missing(missing));
                }
            }
            Ok(())
        }
        None => match wanted.unmet(catalog, &principal.effective) {
            None => Ok(()),
            Some(words) => Err(Stop::Unmet(words)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::default_catalog;
    use crate::secret::TokenKind;
    use std::collections::BTreeMap;

    fn g(s: &str) -> Grant {
        Grant::parse_compact(s).unwrap()
    }

    fn access(grants: &[&str]) -> Access {
        Access {
            kind: TokenKind::Scoped,
            project: Some("alpha".into()),
            grants: grants.iter().map(|s| g(s)).collect(),
            project_grants: BTreeMap::new(),
            global_admin: false,
        }
    }

    fn credential(access: &Access) -> Credential<'_> {
        Credential {
            access,
            expires_at: Some(100),
            enabled: true,
            not_before: Some(10),
            retired: false,
            home_principal: None,
        }
    }

    /// The edge's order: each check is reached only when every earlier
    /// one passes.
    #[test]
    fn checks_run_in_the_edges_order() {
        let c = default_catalog();
        let a = access(&["tokens:manage", "storage:read@b"]);
        let read = Requirement::Grant(g("storage:read@b"));
        let ok = credential(&a);
        assert!(admit(&ok, &c, None, &read, 50, Standing::Room).is_ok());
        let mut x = ok;
        x.enabled = false;
        assert_eq!(
            admit(&x, &c, None, &read, 200, Standing::Room).unwrap_err(),
            Stop::Expired
        );
        assert_eq!(
            admit(&x, &c, None, &read, 50, Standing::Room).unwrap_err(),
            Stop::Disabled
        );
        assert_eq!(
            admit(&ok, &c, None, &read, 5, Standing::Room).unwrap_err(),
            Stop::NotYetValid
        );
        let full = Standing::WindowFull {
            per_minute: 1,
            retry_after: 3,
        };
        assert_eq!(
            admit(&ok, &c, Some("beta"), &read, 50, full).unwrap_err(),
            Stop::Limited(full)
        );
        let mut retired = ok;
        retired.retired = true;
        let manage = Requirement::Grant(g("tokens:manage"));
        assert!(matches!(
            admit(&retired, &c, Some("beta"), &manage, 50, Standing::Room),
            Err(Stop::RetiredSecret(_))
        ));
        assert!(admit(&retired, &c, None, &read, 50, Standing::Room).is_ok());
        assert!(matches!(
            admit(&ok, &c, Some("beta"), &read, 50, Standing::Room),
            Err(Stop::OutOfReach(_))
        ));
        assert_eq!(
            admit(
                &ok,
                &c,
                None,
                &Requirement::Grant(g("storage:write@b")),
                50,
                Standing::Room
            )
            .unwrap_err(),
            Stop::Missing(g("storage:write@b"))
        );
        let any = Requirement::Any(vec![
            Requirement::Grant(g("storage:write@b")),
            Requirement::Grant(g("audit:read")),
        ]);
        assert!(matches!(
            admit(&ok, &c, None, &any, 50, Standing::Room),
            Err(Stop::Unmet(_))
        ));
    }

    /// A cached home principal answers as a fresh one does.
    #[test]
    fn a_cached_principal_changes_nothing() {
        let c = default_catalog();
        let a = access(&["storage:read@*"]);
        let home = a.principal(&c, "alpha");
        let mut cached = credential(&a);
        cached.home_principal = Some(&home);
        let plain = credential(&a);
        for wanted in ["storage:read@x", "storage:write@x", "audit:read"] {
            let r = Requirement::Grant(g(wanted));
            assert_eq!(
                admit(&cached, &c, None, &r, 50, Standing::Room).map(|a| a.project),
                admit(&plain, &c, None, &r, 50, Standing::Room).map(|a| a.project),
            );
        }
    }
}
