//! What a credential can do, as one value with one order.
//!
//! Every dimension of a token that bounds what it can do lives in
//! [`Capability`], and [`Capability::within`] orders them all. `within`
//! destructures both sides without `..`: a field added to a credential
//! does not compile until someone says how it is ordered, which is how
//! the holes of earlier releases (usage limits, elevations) came about —
//! a new dimension nobody remembered to compare.
//!
//! Elevations are part of what a credential *uses*, never of what it
//! *gives*: [`Capability::delegable`] drops them, so nothing handed out,
//! kept or extended leans on grants that end by themselves.

use crate::access::Access;
use crate::catalog::Catalog;
use crate::conditions::{self, Cidr};
use crate::grant::{Grant, Principal};
use crate::quota::{Refill, UsageLimit};
use crate::secret::TokenKind;
use std::fmt;

/// Everything a credential can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capability {
    /// Its kind, home project, grants per project (own and inherited,
    /// closed under implication when asked) and admin right. An admin
    /// holds every permission everywhere and may mint global keys.
    pub access: Access,
    /// Grants of its running elevations: usable until they end, never
    /// delegable.
    pub elevated: Vec<Grant>,
    /// Unix seconds; `None` never expires.
    pub expires_at: Option<i64>,
    /// A future not-before (unix seconds); one already passed is `None`,
    /// as it bounds nothing any more.
    pub not_before: Option<i64>,
    /// Calls per minute, the deployment's default already applied.
    pub rate_limit: u32,
    pub usage_limit: Option<UsageLimit>,
    /// The networks it works from (empty: anywhere).
    pub allowed_ips: Vec<Cidr>,
}

/// The dimension in which one capability exceeds another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exceeds {
    Admin,
    /// A grant the other does not hold, in a project (`None`: in every
    /// project, a global key's plain grants).
    Grant {
        grant: Grant,
        project: Option<String>,
    },
    /// A home project the other cannot reach.
    Reach(String),
    Expiry {
        theirs: Option<i64>,
        mine: Option<i64>,
    },
    NotBefore {
        theirs: Option<i64>,
        mine: Option<i64>,
    },
    RateLimit {
        theirs: u32,
        mine: u32,
    },
    UsageLimit {
        theirs: Option<UsageLimit>,
        mine: UsageLimit,
    },
    Networks,
}

impl fmt::Display for Exceeds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exceeds::Admin => write!(f, "global_admin"),
            Exceeds::Grant {
                grant,
                project: None,
            } => write!(f, "{grant} in every project"),
            Exceeds::Grant {
                grant,
                project: Some(p),
            } => write!(f, "{grant} in project '{p}': your token does not hold it"),
            Exceeds::Reach(p) => {
                write!(f, "a token in project '{p}', which this token cannot reach")
            }
            Exceeds::Expiry { mine, .. } => write!(
                f,
                "an expiry later than this token's own ({})",
                describe_instant(*mine)
            ),
            Exceeds::NotBefore { mine, .. } => write!(
                f,
                "a start earlier than this token's own not_before ({})",
                describe_instant(*mine)
            ),
            Exceeds::RateLimit { theirs, mine } => write!(
                f,
                "a rate limit of {theirs} per minute, above this token's own {mine}"
            ),
            Exceeds::UsageLimit { theirs: None, mine } => write!(
                f,
                "no usage limit, while this token may be used {}",
                describe_usage(mine)
            ),
            Exceeds::UsageLimit {
                theirs: Some(t),
                mine,
            } => write!(
                f,
                "a usage limit of {}, looser than this token's own {}",
                describe_usage(t),
                describe_usage(mine)
            ),
            Exceeds::Networks => {
                write!(f, "use from networks outside this token's own allowed_ips")
            }
        }
    }
}

fn describe_usage(u: &UsageLimit) -> String {
    match u.refill {
        None => format!("{} times", u.uses),
        Some(r) => format!("{} times {}", u.uses, r.as_str()),
    }
}

pub(crate) fn describe_instant(at: Option<i64>) -> String {
    match at.and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok()) {
        Some(t) => t
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| t.unix_timestamp().to_string()),
        None => "never".into(),
    }
}

/// How much a refill gives over time: none gives the uses once, a month's
/// once a month, a day's every day.
fn refill_rank(r: Option<Refill>) -> u8 {
    match r {
        None => 0,
        Some(Refill::Monthly) => 1,
        Some(Refill::Daily) => 2,
    }
}

/// Whether usage limit `theirs` admits no more uses than `mine`, over any
/// span of time.
pub fn usage_within(theirs: Option<&UsageLimit>, mine: Option<&UsageLimit>) -> bool {
    match (theirs, mine) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(t), Some(m)) => t.uses <= m.uses && refill_rank(t.refill) <= refill_rank(m.refill),
    }
}

/// Whether expiry `a` is later than `b` (`None` is never).
pub fn later(a: Option<i64>, b: Option<i64>) -> bool {
    match (a, b) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(a), Some(b)) => a > b,
    }
}

impl Capability {
    /// What it may give, keep or extend: everything but its elevations.
    pub fn delegable(&self) -> Capability {
        Capability {
            elevated: vec![],
            ..self.clone()
        }
    }

    pub fn is_admin(&self) -> bool {
        self.access.is_admin()
    }

    /// What it may use: its grants with its running elevations.
    pub fn using(&self) -> Access {
        let mut access = self.access.clone();
        access.grants.extend(self.elevated.iter().cloned());
        access
    }

    /// The partial order: `self` can do nothing `of` cannot, in any
    /// dimension. An admin `of` holds every grant, network and limit;
    /// what it cannot give is decided by [`crate::policy::may_issue`]
    /// (nobody lifts their own expiry or limits).
    pub fn within(&self, of: &Capability, catalog: &Catalog) -> Result<(), Exceeds> {
        // No `..`: a new dimension must be ordered here before it compiles.
        let Capability {
            access:
                Access {
                    kind,
                    project,
                    grants,
                    project_grants,
                    global_admin,
                },
            elevated,
            expires_at,
            not_before,
            rate_limit,
            usage_limit,
            allowed_ips,
        } = self;
        let Capability {
            access: mine,
            elevated: my_elevated,
            expires_at: my_expiry,
            not_before: my_not_before,
            rate_limit: my_rate,
            usage_limit: my_usage,
            allowed_ips: my_ips,
        } = of;
        let theirs = self.using();
        let my_use = of.using();
        let admin = of.is_admin();
        if *global_admin && *kind == TokenKind::Global && !admin {
            return Err(Exceeds::Admin);
        }
        if !admin {
            let holds = |project: &str, wanted: &[Grant]| -> Result<(), Grant> {
                my_use
                    .principal(catalog, project)
                    .may_delegate(catalog, wanted)
            };
            if *kind == TokenKind::Global {
                // Plain grants (and elevations) hold in every project: the
                // other must hold them wherever it stands, i.e. as plain
                // grants of its own.
                let everywhere: Vec<Grant> = grants.iter().chain(elevated).cloned().collect();
                let mine_everywhere: Vec<Grant> = if mine.kind == TokenKind::Global {
                    mine.grants.iter().chain(my_elevated).cloned().collect()
                } else {
                    vec![]
                };
                Principal::new(catalog, false, &mine_everywhere)
                    .may_delegate(catalog, &everywhere)
                    .map_err(|grant| Exceeds::Grant {
                        grant,
                        project: None,
                    })?;
                for p in project_grants.keys() {
                    holds(p, &theirs.grants_in(p)).map_err(|grant| Exceeds::Grant {
                        grant,
                        project: Some(p.clone()),
                    })?;
                }
            } else {
                let home = project.as_deref().unwrap_or(crate::access::DEFAULT_PROJECT);
                if !crate::access::reachable_projects(&my_use).contains(home) {
                    return Err(Exceeds::Reach(home.to_string()));
                }
                holds(home, &theirs.grants).map_err(|grant| Exceeds::Grant {
                    grant,
                    project: Some(home.to_string()),
                })?;
            }
        }
        if later(*expires_at, *my_expiry) && !admin {
            return Err(Exceeds::Expiry {
                theirs: *expires_at,
                mine: *my_expiry,
            });
        }
        // Earlier than the other's start: usable while the other is not.
        if let Some(mine_nb) = my_not_before {
            if !admin && not_before.is_none_or(|nb| nb < *mine_nb) {
                return Err(Exceeds::NotBefore {
                    theirs: *not_before,
                    mine: Some(*mine_nb),
                });
            }
        }
        if *rate_limit > *my_rate && !admin {
            return Err(Exceeds::RateLimit {
                theirs: *rate_limit,
                mine: *my_rate,
            });
        }
        if let Some(mine_usage) = my_usage {
            if !admin && !usage_within(usage_limit.as_ref(), Some(mine_usage)) {
                return Err(Exceeds::UsageLimit {
                    theirs: *usage_limit,
                    mine: *mine_usage,
                });
            }
        }
        if !admin && !conditions::within(allowed_ips, my_ips) {
            return Err(Exceeds::Networks);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::default_catalog;
    use std::collections::BTreeMap;

    fn g(s: &str) -> Grant {
        Grant::parse_compact(s).unwrap()
    }

    fn cap(grants: &[&str]) -> Capability {
        Capability {
            access: Access {
                kind: TokenKind::Scoped,
                project: Some("default".into()),
                grants: grants.iter().map(|s| g(s)).collect(),
                project_grants: BTreeMap::new(),
                global_admin: false,
            },
            elevated: vec![],
            expires_at: None,
            not_before: None,
            rate_limit: 600,
            usage_limit: None,
            allowed_ips: vec![],
        }
    }

    #[test]
    fn elevations_are_used_but_never_given() {
        let c = default_catalog();
        let mut raised = cap(&["tokens:manage", "storage:read@b"]);
        raised.elevated = vec![g("storage:write@b")];
        let child = cap(&["storage:write@b"]);
        // While elevated it may use write@b…
        assert!(child.within(&raised, &c).is_ok());
        // …but never give it.
        assert!(matches!(
            child.within(&raised.delegable(), &c),
            Err(Exceeds::Grant { grant, .. }) if grant == g("storage:write@b")
        ));
    }

    #[test]
    fn usage_limits_order_by_uses_and_refill() {
        let c = default_catalog();
        let limited = |uses, refill| {
            let mut x = cap(&[]);
            x.usage_limit = Some(UsageLimit { uses, refill });
            x
        };
        let parent = limited(8, None);
        assert!(limited(8, None).within(&parent, &c).is_ok());
        assert!(limited(3, None).within(&parent, &c).is_ok());
        assert!(matches!(
            limited(9, None).within(&parent, &c),
            Err(Exceeds::UsageLimit { .. })
        ));
        assert!(matches!(
            limited(8, Some(Refill::Daily)).within(&parent, &c),
            Err(Exceeds::UsageLimit { .. })
        ));
        assert!(matches!(
            cap(&[]).within(&parent, &c),
            Err(Exceeds::UsageLimit { theirs: None, .. })
        ));
        let monthly = limited(100, Some(Refill::Monthly));
        assert!(limited(100, None).within(&monthly, &c).is_ok());
        assert!(limited(100, Some(Refill::Daily))
            .within(&monthly, &c)
            .is_err());
    }

    #[test]
    fn every_dimension_is_named() {
        let c = default_catalog();
        let mut parent = cap(&["storage:read@*"]);
        parent.expires_at = Some(100);
        parent.not_before = Some(50);
        parent.rate_limit = 10;
        parent.allowed_ips = vec!["10.0.0.0/8".parse().unwrap()];
        let mut ok = cap(&["storage:read@b"]);
        ok.expires_at = Some(90);
        ok.not_before = Some(60);
        ok.rate_limit = 5;
        ok.allowed_ips = vec!["10.1.0.0/16".parse().unwrap()];
        assert_eq!(ok.within(&parent, &c), Ok(()));
        type Widen = Box<dyn Fn(&mut Capability)>;
        let cases: Vec<(Widen, &str)> = vec![
            (Box::new(|x| x.expires_at = None), "expiry"),
            (Box::new(|x| x.not_before = None), "not_before"),
            (Box::new(|x| x.rate_limit = 11), "rate limit"),
            (Box::new(|x| x.allowed_ips = vec![]), "allowed_ips"),
            (
                Box::new(|x| x.access.grants.push(g("storage:write@b"))),
                "storage:write@b",
            ),
            (
                Box::new(|x| x.elevated.push(g("storage:write@b"))),
                "storage:write@b",
            ),
            (
                Box::new(|x| x.access.project = Some("alpha".into())),
                "alpha",
            ),
        ];
        for (change, named) in cases {
            let mut wider = ok.clone();
            change(&mut wider);
            let e = wider.within(&parent, &c).expect_err(named);
            assert!(e.to_string().contains(named), "{e} should name {named}");
        }
    }
}
