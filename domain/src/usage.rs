//! Least privilege from use (issue 18): what a token's successful calls
//! exercised, which of its grants they never touched, and the smallest
//! grant set that would still admit every one of them.
//!
//! Pure: the worker reads the exercised grants from the audit store and
//! passes them here with the token's [`Holdings`].

use crate::catalog::Catalog;
use crate::explain::{Held, Holdings};
use crate::grant::{Decision, Effective, Grant, Principal};
use crate::problem::FieldError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The window `days` defaults to, and its bounds.
pub const DEFAULT_DAYS: u32 = 30;
pub const MAX_DAYS: u32 = 365;

/// `?days=` parsed: 1..=365.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Days(u32);

impl Days {
    pub fn parse(raw: Option<&str>) -> Result<Days, FieldError> {
        let Some(raw) = raw else {
            return Ok(Days(DEFAULT_DAYS));
        };
        match raw.trim().parse::<u32>() {
            Ok(n) if (1..=MAX_DAYS).contains(&n) => Ok(Days(n)),
            _ => Err(FieldError::new(
                "days",
                format!("must be a whole number of days from 1 to {MAX_DAYS}"),
            )),
        }
    }

    /// `days` as a JSON body gives it.
    pub fn of(days: Option<u32>) -> Result<Days, FieldError> {
        Days::parse(days.map(|d| d.to_string()).as_deref())
    }

    pub fn get(self) -> u32 {
        self.0
    }

    pub fn seconds(self) -> i64 {
        i64::from(self.0) * 86_400
    }
}

/// A grant successful calls needed, how often, and when last (unix
/// seconds): one row of the audit store's summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Use {
    pub grant: Grant,
    pub count: u64,
    pub last_at: i64,
}

/// A grant successful calls exercised, in the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Exercised {
    pub grant: Grant,
    pub count: u64,
    /// Unix seconds of the last such call.
    pub last_used_at: i64,
}

/// A grant the token holds, and how much of the window's use it admits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HeldUse {
    #[serde(flatten)]
    pub held: Held,
    /// Calls this grant alone would have admitted.
    pub calls: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<i64>,
}

/// `GET /tokens/{id}/usage`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Usage {
    pub token_id: String,
    pub days: u32,
    /// Unix seconds: the window's start.
    pub since: i64,
    /// Successful calls in the window that needed a grant.
    pub calls: u64,
    /// Per grant the calls needed (service, permission, resource).
    pub exercised: Vec<Exercised>,
    /// Every grant the token holds (own and inherited), with its use.
    pub grants: Vec<HeldUse>,
    /// The held grants no call in the window needed.
    pub unused: Vec<Held>,
    /// The token's own grants narrowed to what its calls used: a complete
    /// set for `PATCH /tokens/{id}` (`grants`), never more than it holds,
    /// admitting every call of the window (personas' grants stay as
    /// they are).
    pub proposed_grants: Vec<Grant>,
    /// Own grants the proposal drops or narrows.
    pub removed: Vec<Grant>,
    /// Grants in the proposal that the token does not hold as written
    /// (narrower forms of what it holds, e.g. one bucket instead of `*`).
    pub added: Vec<Grant>,
}

/// `POST /tokens/{id}/narrow`: apply the proposal of the usage summary.
/// `grants` is the proposal as the caller reviewed it; should the usage
/// have changed since (a new call, another edit), the request is refused
/// with 409 rather than applying a set nobody saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NarrowRequest {
    /// The window the proposal was made for (1 to 365; default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    /// `proposed_grants` of `GET /tokens/{id}/usage?days=…`, as reviewed.
    pub grants: Vec<Grant>,
}

/// The smallest set of grants, within `own`, that together with
/// `inherited` admits every used grant that `own` and `inherited` admit
/// today: each used grant that only `own` provides is kept exactly (the
/// permission on the resource used), then any that another kept grant
/// implies is dropped.
pub fn narrow(catalog: &Catalog, own: &[Grant], inherited: &[Grant], used: &[Grant]) -> Vec<Grant> {
    let own_p = Principal::new(catalog, false, own);
    let inherited_p = Principal::new(catalog, false, inherited);
    let mut kept: Vec<Grant> = used
        .iter()
        .filter(|u| inherited_p.decide(u) != Decision::Allow)
        .filter(|u| own_p.decide(u) == Decision::Allow)
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    // Drop what the rest already admits (e.g. read@b beside write@b);
    // stronger grants come last in no particular order, so repeat until
    // nothing changes.
    loop {
        let redundant = (0..kept.len()).find(|&i| {
            let rest: Vec<Grant> = kept
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, g)| g.clone())
                .collect();
            Effective::of(catalog, &rest).allows(&kept[i])
        });
        match redundant {
            Some(i) => {
                kept.remove(i);
            }
            None => break,
        }
    }
    kept
}

/// The usage report of `holdings` over the uses read from the audit store.
pub fn summarise(
    catalog: &Catalog,
    holdings: &Holdings,
    uses: &[Use],
    days: Days,
    now: i64,
) -> Usage {
    let admits = |g: &Grant, u: &Grant| {
        Principal::new(catalog, false, std::slice::from_ref(g)).decide(u) == Decision::Allow
    };
    let grants: Vec<HeldUse> = holdings
        .grants
        .iter()
        .map(|h| {
            let mine: Vec<&Use> = uses.iter().filter(|u| admits(&h.grant, &u.grant)).collect();
            HeldUse {
                held: h.clone(),
                calls: mine.iter().map(|u| u.count).sum(),
                last_used_at: mine.iter().map(|u| u.last_at).max(),
            }
        })
        .collect();
    let unused = grants
        .iter()
        .filter(|h| h.calls == 0)
        .map(|h| h.held.clone())
        .collect();
    let own = holdings.own();
    let used: Vec<Grant> = uses.iter().map(|u| u.grant.clone()).collect();
    let proposed = narrow(catalog, &own, &holdings.inherited(), &used);
    Usage {
        token_id: holdings.token_id.clone(),
        days: days.get(),
        since: now - days.seconds(),
        calls: uses.iter().map(|u| u.count).sum(),
        exercised: uses
            .iter()
            .map(|u| Exercised {
                grant: u.grant.clone(),
                count: u.count,
                last_used_at: u.last_at,
            })
            .collect(),
        grants,
        unused,
        removed: own
            .iter()
            .filter(|g| !proposed.contains(g))
            .cloned()
            .collect(),
        added: proposed
            .iter()
            .filter(|g| !own.contains(g))
            .cloned()
            .collect(),
        proposed_grants: proposed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::default_catalog;
    use crate::explain::Source;
    use crate::secret::TokenKind;
    use proptest::prelude::*;

    fn g(s: &str) -> Grant {
        Grant::parse_compact(s).unwrap()
    }

    #[test]
    fn days_are_one_to_a_year() {
        assert_eq!(Days::parse(None).unwrap().get(), 30);
        assert_eq!(Days::parse(Some("365")).unwrap().get(), 365);
        assert_eq!(Days::parse(Some("1")).unwrap().seconds(), 86_400);
        assert_eq!(Days::of(Some(7)).unwrap().get(), 7);
        assert_eq!(Days::of(None).unwrap().get(), 30);
        assert!(Days::of(Some(0)).is_err());
        for bad in ["0", "366", "-1", "x", "", "1.5"] {
            assert_eq!(Days::parse(Some(bad)).unwrap_err().field, "days", "{bad}");
        }
    }

    #[test]
    fn an_over_granted_ci_token_narrows_to_what_it_ran() {
        let c = default_catalog();
        let own = vec![
            g("components:run@*"),
            g("storage:write@*"),
            g("tokens:manage"),
        ];
        let used = vec![
            g("components:run@ex-generic"),
            g("storage:read@in.c-main"),
            g("storage:write@in.c-main"),
        ];
        let p = narrow(&c, &own, &[], &used);
        assert_eq!(
            p,
            vec![g("components:run@ex-generic"), g("storage:write@in.c-main")]
        );
    }

    #[test]
    fn what_a_persona_gives_is_left_to_the_persona() {
        let c = default_catalog();
        let p = narrow(
            &c,
            &[g("storage:read@*")],
            &[g("storage:read@a")],
            &[g("storage:read@a"), g("storage:read@b")],
        );
        assert_eq!(p, vec![g("storage:read@b")]);
    }

    #[test]
    fn the_report_names_used_and_unused_grants() {
        let c = default_catalog();
        let h = Holdings {
            token_id: "tok_ci".into(),
            kind: TokenKind::Scoped,
            project: Some("default".into()),
            member_id: None,
            grants: vec![
                Held {
                    grant: g("storage:write@*"),
                    source: Source::Own,
                },
                Held {
                    grant: g("audit:read"),
                    source: Source::Own,
                },
            ],
            project_grants: Default::default(),
            global_admin: false,
            expires_at: None,
            rate_limit: None,
            enabled: true,
            not_before: None,
            allowed_ips: vec![],
            usage_limit: None,
            secret_hint: String::new(),
            retired: vec![],
        };
        let uses = vec![Use {
            grant: g("storage:read@b"),
            count: 3,
            last_at: 50,
        }];
        let u = summarise(&c, &h, &uses, Days::parse(None).unwrap(), 100);
        assert_eq!(u.calls, 3);
        assert_eq!(u.grants[0].calls, 3);
        assert_eq!(u.grants[0].last_used_at, Some(50));
        assert_eq!(u.unused, vec![h.grants[1].clone()]);
        assert_eq!(u.proposed_grants, vec![g("storage:read@b")]);
        assert_eq!(u.removed, vec![g("storage:write@*"), g("audit:read")]);
        assert_eq!(u.added, vec![g("storage:read@b")]);
        assert_eq!(u.since, 100 - 30 * 86_400);
    }

    use crate::grant::testing::arb_grant;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// The proposal never exceeds what the token holds, admits every
        /// call its grants admitted, and has nothing to spare.
        #[test]
        fn the_proposal_is_within_what_is_held_and_admits_every_used_call(
            own in prop::collection::vec(arb_grant(), 0..6),
            inherited in prop::collection::vec(arb_grant(), 0..3),
            // Calls: some the token could make, some it could not.
            used in prop::collection::vec(arb_grant(), 0..8),
        ) {
            let c = default_catalog();
            let proposal = narrow(&c, &own, &inherited, &used);
            prop_assert!(Principal::new(&c, false, &own).may_delegate(&c, &proposal).is_ok());
            let mut all_before = own.clone();
            all_before.extend(inherited.iter().cloned());
            let before = Principal::new(&c, false, &all_before);
            let mut all_after = proposal.clone();
            all_after.extend(inherited.iter().cloned());
            let after = Principal::new(&c, false, &all_after);
            for u in &used {
                if before.decide(u) == Decision::Allow {
                    prop_assert_eq!(after.decide(u), Decision::Allow, "{} lost", u);
                }
            }
            for (i, p) in proposal.iter().enumerate() {
                let mut rest: Vec<Grant> = proposal.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, g)| g.clone()).collect();
                rest.extend(inherited.iter().cloned());
                prop_assert!(!Effective::of(&c, &rest).allows(p), "{} is redundant", p);
            }
        }
    }
}
