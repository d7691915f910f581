//! The blast radius of a change that touches several tokens (issue 18:
//! editing or deleting a persona, editing or removing a member, a project's
//! expiry policy): which tokens gain or lose which effective permissions,
//! per project, and which gateway routes start or stop being callable.
//!
//! Pure: the registry hands in each affected token's access before and
//! after the change — computed for the preview and the real change by the
//! same code — and this says what differs. Effective permissions are the
//! edge's own ([`Access::principal`]): grants closed under implication, a
//! `*` absorbing the per-resource grants of its permission, as `whoami`
//! lists them.

use crate::access::Access;
use crate::catalog::Catalog;
use crate::explain::{self, Coverage, RouteReach};
use crate::gateway::RouteTable;
use crate::grant::{Grant, Principal};
use crate::secret::TokenKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use time::OffsetDateTime;

/// The project key of a global key's grants in every project that its
/// `project_grants` do not name (no project id can be `*`).
pub const EVERY_PROJECT: &str = "*";

/// What one set of effective grants gains and loses to become another.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrantDiff {
    pub gained: BTreeSet<Grant>,
    pub lost: BTreeSet<Grant>,
}

impl GrantDiff {
    /// `before` minus `lost`, plus `gained`: the set the diff was taken to.
    pub fn apply(&self, before: &BTreeSet<Grant>) -> BTreeSet<Grant> {
        before
            .difference(&self.lost)
            .chain(self.gained.iter())
            .cloned()
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.gained.is_empty() && self.lost.is_empty()
    }
}

/// The plain set difference both ways.
pub fn diff(before: &BTreeSet<Grant>, after: &BTreeSet<Grant>) -> GrantDiff {
    GrantDiff {
        gained: after.difference(before).cloned().collect(),
        lost: before.difference(after).cloned().collect(),
    }
}

/// The projects whose permissions differ for a token: its home project;
/// for a global key, [`EVERY_PROJECT`] and each project it has grants in.
fn projects_of(access: &Access) -> BTreeSet<String> {
    if access.is_admin() {
        return BTreeSet::from([EVERY_PROJECT.to_string()]);
    }
    match access.kind {
        TokenKind::Global => std::iter::once(EVERY_PROJECT.to_string())
            .chain(access.project_grants.keys().cloned())
            .collect(),
        _ => BTreeSet::from([access.home().to_string()]),
    }
}

/// The edge's principal of a token in `project`; a token that no longer
/// exists holds nothing.
fn principal(access: Option<&Access>, catalog: &Catalog, project: &str) -> Principal {
    match access {
        Some(a) if a.kind == TokenKind::Global || a.is_admin() || a.home() == project => {
            a.principal(catalog, project)
        }
        _ => Principal::new(catalog, false, &[]),
    }
}

fn effective(p: &Principal) -> BTreeSet<Grant> {
    p.effective.grants().cloned().collect()
}

/// A gateway route whose reach changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RouteChange {
    pub name: String,
    pub methods: Vec<String>,
    /// The path under `/gw`.
    pub path: String,
    /// `all`: every call passes authorization; `some`: calls on the
    /// resources listed; `none`: every call answers 403.
    pub before: Coverage,
    pub after: Coverage,
    /// On `some`: the resources calls may name, before and after.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources_before: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources_after: Vec<String>,
}

/// The resources a `some` route can be called on: those every
/// per-resource requirement holds (requirements held on `all` do not
/// narrow it).
fn callable_on(r: &RouteReach) -> Vec<String> {
    if r.callable != Coverage::Some {
        return vec![];
    }
    let mut sets = r
        .requires
        .iter()
        .filter(|q| q.held == Coverage::Some)
        .map(|q| q.resources.iter().cloned().collect::<BTreeSet<_>>());
    let first = sets.next().unwrap_or_default();
    sets.fold(first, |acc, s| acc.intersection(&s).cloned().collect())
        .into_iter()
        .collect()
}

/// The routes whose callability differs between two principals.
pub fn route_changes(
    before: &Principal,
    after: &Principal,
    table: &RouteTable,
) -> Vec<RouteChange> {
    explain::reach(before, table)
        .into_iter()
        .zip(explain::reach(after, table))
        .filter_map(|(b, a)| {
            let (rb, ra) = (callable_on(&b), callable_on(&a));
            if b.callable == a.callable && rb == ra {
                return None;
            }
            Some(RouteChange {
                name: a.name,
                methods: a.methods,
                path: a.path,
                before: b.callable,
                after: a.callable,
                resources_before: rb,
                resources_after: ra,
            })
        })
        .collect()
}

/// What a token gains and loses in one project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProjectImpact {
    /// The project; `*` for a global key's grants in every project its
    /// `project_grants` do not name.
    pub project: String,
    /// Effective permissions it holds after and not before.
    pub gained: Vec<Grant>,
    /// Effective permissions it holds before and not after.
    pub lost: Vec<Grant>,
    /// Shipped gateway routes (`worker/gateway.json`) that start or stop
    /// being callable.
    pub routes: Vec<RouteChange>,
}

/// Per project, what changes between a token's access before and after
/// (`None`: the token is gone). Empty when nothing the edge decides with
/// changes.
pub fn impact(
    catalog: &Catalog,
    table: &RouteTable,
    before: Option<&Access>,
    after: Option<&Access>,
) -> Vec<ProjectImpact> {
    let projects: BTreeSet<String> = before
        .into_iter()
        .chain(after)
        .flat_map(projects_of)
        .collect();
    projects
        .into_iter()
        .filter_map(|project| {
            let b = principal(before, catalog, &project);
            let a = principal(after, catalog, &project);
            let d = diff(&effective(&b), &effective(&a));
            let routes = route_changes(&b, &a, table);
            (!d.is_empty() || !routes.is_empty()).then(|| ProjectImpact {
                project,
                gained: d.gained.into_iter().collect(),
                lost: d.lost.into_iter().collect(),
                routes,
            })
        })
        .collect()
}

/// A token the change touches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TokenImpact {
    pub id: String,
    pub name: String,
    pub kind: TokenKind,
    /// The change deletes the token (a removed member's user token and
    /// personal keys): it stops working altogether.
    pub deleted: bool,
    pub projects: Vec<ProjectImpact>,
}

/// A token named only by id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TokenRef {
    pub id: String,
    pub name: String,
}

/// A token whose current expiry a new project expiry policy would not
/// admit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ExpiryConflict {
    pub id: String,
    pub name: String,
    pub kind: TokenKind,
    /// `null`: never expires.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<crate::shapes::Timestamp>")]
    pub expires_at: Option<OffsetDateTime>,
    /// Why the policy would refuse that expiry if it were set now.
    pub reason: String,
    /// Always `true`: a policy holds new tokens and expiry changes; a token
    /// keeps the expiry it has.
    pub kept: bool,
}

/// `?dry_run=true`'s answer: what the change would do, with nothing
/// changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BlastRadius {
    /// Always `true`: nothing was written.
    pub dry_run: bool,
    /// The change, as the audit log names it (`persona.update`).
    pub action: String,
    /// The tokens whose effective permissions or callable routes change.
    pub tokens: Vec<TokenImpact>,
    /// Tokens the change reaches (their records would be rewritten) whose
    /// permissions stay exactly as they are.
    pub unchanged: Vec<TokenRef>,
    /// A project expiry policy change only: tokens of the project whose
    /// current expiry the new policy would not admit (they keep it).
    pub expiry: Vec<ExpiryConflict>,
}

impl BlastRadius {
    pub fn new(action: &str) -> BlastRadius {
        BlastRadius {
            dry_run: true,
            action: action.to_string(),
            tokens: vec![],
            unchanged: vec![],
            expiry: vec![],
        }
    }

    /// Adds one token: an entry when anything changes for it (or it is
    /// deleted), else it is listed as unchanged.
    pub fn add(
        &mut self,
        catalog: &Catalog,
        table: &RouteTable,
        token: TokenRef,
        kind: TokenKind,
        before: &Access,
        after: Option<&Access>,
    ) {
        let projects = impact(catalog, table, Some(before), after);
        if projects.is_empty() && after.is_some() {
            self.unchanged.push(token);
        } else {
            self.tokens.push(TokenImpact {
                id: token.id,
                name: token.name,
                kind,
                deleted: after.is_none(),
                projects,
            });
        }
    }

    /// One line for the audit log and the CLI.
    pub fn summary(&self) -> String {
        let changed = self.tokens.iter().filter(|t| !t.deleted).count();
        let deleted = self.tokens.len() - changed;
        let mut parts = vec![format!("{changed} token(s) change permissions")];
        if deleted > 0 {
            parts.push(format!("{deleted} token(s) deleted"));
        }
        if !self.unchanged.is_empty() {
            parts.push(format!("{} unchanged", self.unchanged.len()));
        }
        if !self.expiry.is_empty() {
            parts.push(format!(
                "{} token(s) keep an expiry the new policy would not admit",
                self.expiry.len()
            ));
        }
        parts.join("; ")
    }
}

/// A change's answer: the change made, or, with `?dry_run=true`, its
/// [`BlastRadius`] (which always carries `"dry_run": true`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "{T}OrPreview")]
pub enum OrPreview<T> {
    Preview(BlastRadius),
    Done(T),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::default_catalog;
    use crate::grant::testing::arb_grant;
    use crate::grant::Decision;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn g(s: &str) -> Grant {
        Grant::parse_compact(s).unwrap()
    }

    fn shipped() -> RouteTable {
        RouteTable::from_json(include_str!("../../worker/gateway.json")).unwrap()
    }

    fn scoped(project: &str, grants: &[Grant]) -> Access {
        Access {
            kind: TokenKind::Scoped,
            project: Some(project.into()),
            grants: grants.to_vec(),
            project_grants: BTreeMap::new(),
            global_admin: false,
        }
    }

    #[test]
    fn a_persona_edit_names_what_is_gained_and_lost_and_the_routes_that_flip() {
        let c = default_catalog();
        let own = g("storage:read@*");
        let before = scoped("default", &[own.clone(), g("storage:write@*")]);
        let after = scoped("default", &[own, g("components:run@x")]);
        let out = impact(&c, &shipped(), Some(&before), Some(&after));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].project, "default");
        assert_eq!(out[0].gained, vec![g("components:run@x")]);
        assert_eq!(out[0].lost, vec![g("storage:write@*")]);
        let run = out[0]
            .routes
            .iter()
            .find(|r| r.path.contains("{component}") && r.after == Coverage::Some)
            .expect("a component route becomes callable on x");
        assert_eq!(run.before, Coverage::None);
        assert_eq!(run.resources_after, vec!["x".to_string()]);
    }

    #[test]
    fn a_deleted_token_loses_everything_and_admins_never_change() {
        let c = default_catalog();
        let before = scoped("alpha", &[g("storage:read@b")]);
        let out = impact(&c, &shipped(), Some(&before), None);
        assert_eq!(out[0].project, "alpha");
        assert_eq!(out[0].lost, vec![g("storage:read@b")]);
        let admin = Access {
            kind: TokenKind::Global,
            project: None,
            grants: vec![],
            project_grants: BTreeMap::new(),
            global_admin: true,
        };
        let mut more = admin.clone();
        more.grants.push(g("storage:write@*"));
        assert!(impact(&c, &shipped(), Some(&admin), Some(&more)).is_empty());
    }

    #[test]
    fn a_global_key_is_reported_for_every_project_and_each_it_names() {
        let c = default_catalog();
        let before = Access {
            kind: TokenKind::Global,
            project: None,
            grants: vec![g("storage:read@*")],
            project_grants: BTreeMap::from([("beta".to_string(), vec![g("storage:read@*")])]),
            global_admin: false,
        };
        let mut after = before.clone();
        after.grants = vec![];
        let out = impact(&c, &shipped(), Some(&before), Some(&after));
        let projects: Vec<&str> = out.iter().map(|p| p.project.as_str()).collect();
        // In beta its project grants still hold storage:read@*.
        assert_eq!(projects, vec![EVERY_PROJECT]);
    }

    fn arb_grants() -> impl Strategy<Value = Vec<Grant>> {
        prop::collection::vec(arb_grant(), 0..6)
    }

    proptest! {
        /// Applying the diff to before gives after, exactly.
        #[test]
        fn applying_the_diff_to_before_gives_after(b in arb_grants(), a in arb_grants()) {
            let c = default_catalog();
            let before = effective(&Principal::new(&c, false, &b));
            let after = effective(&Principal::new(&c, false, &a));
            let d = diff(&before, &after);
            prop_assert_eq!(d.apply(&before), after.clone());
            prop_assert!(d.gained.is_disjoint(&d.lost));
            prop_assert!(d.gained.iter().all(|g| !before.contains(g)));
            prop_assert!(d.lost.iter().all(|g| !after.contains(g)));
        }

        /// A change that does not change what a token holds yields no
        /// entry for it; one that does yields exactly one per project.
        #[test]
        fn an_untouched_token_has_no_entry(own in arb_grants(), persona in arb_grants()) {
            let c = default_catalog();
            let table = shipped();
            let mut grants = own.clone();
            grants.extend(persona.clone());
            let token = scoped("default", &grants);
            // Another persona changed: this token's access is what it was.
            prop_assert!(impact(&c, &table, Some(&token), Some(&token.clone())).is_empty());
            let mut radius = BlastRadius::new("persona.update");
            radius.add(&c, &table, TokenRef { id: "t".into(), name: "t".into() }, TokenKind::Scoped, &token, Some(&token));
            prop_assert!(radius.tokens.is_empty());
            prop_assert_eq!(radius.unchanged.len(), 1);
        }

        /// Every call the edge decides differently after the change is
        /// covered by a gained (now allowed) or lost (now refused) grant,
        /// and every route whose callability differs is listed.
        #[test]
        fn the_diff_accounts_for_every_decision_that_flips(
            own in arb_grants(), old in arb_grants(), new in arb_grants(), wanted in arb_grant()
        ) {
            let c = default_catalog();
            let table = shipped();
            let mut b = own.clone();
            b.extend(old);
            let mut a = own;
            a.extend(new);
            let (before, after) = (scoped("p", &b), scoped("p", &a));
            let out = impact(&c, &table, Some(&before), Some(&after));
            let was = before.principal(&c, "p").decide(&wanted);
            let now = after.principal(&c, "p").decide(&wanted);
            let gained: Vec<&Grant> = out.iter().flat_map(|p| &p.gained).collect();
            let lost: Vec<&Grant> = out.iter().flat_map(|p| &p.lost).collect();
            match (was, now) {
                (Decision::Deny(_), Decision::Allow) => prop_assert!(gained.iter().any(|g| g.covers(&wanted))),
                (Decision::Allow, Decision::Deny(_)) => prop_assert!(lost.iter().any(|g| g.covers(&wanted))),
                _ => {}
            }
            let flips = route_changes(&before.principal(&c, "p"), &after.principal(&c, "p"), &table);
            let listed: Vec<RouteChange> = out.iter().flat_map(|p| p.routes.clone()).collect();
            prop_assert_eq!(flips, listed);
        }
    }
}
