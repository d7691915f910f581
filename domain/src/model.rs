//! Model-based test of the authorization invariants (issue 25).
//!
//! A reference model of credentials, people and elevations runs generated
//! sequences of operations — create, edit (self-edits included), elevate,
//! approve, end, let time pass — each by a generated credential, admitted
//! or refused by the real policy. After every step the model checks what
//! must hold whatever the policy's code looks like, stated in terms of
//! single permissions ("atoms") rather than the policy's own order:
//!
//! - nothing a non-admin issues holds an atom its issuer did not hold for
//!   good (elevations are never a source), nor reaches further, lives
//!   longer, or is used more often or faster than its issuer;
//! - nobody loosens their own expiry or usage limit;
//! - an ended elevation leaves nothing behind, on its token or anywhere;
//! - a started elevation in a four-eyes project was approved by another
//!   person than its requester, whichever key either used.
//!
//! And some admitted steps must happen at all: a test that refuses
//! everything proves nothing.

use crate::access::Access;
use crate::catalog::{default_catalog, Catalog};
use crate::grant::{Decision, Grant};
use crate::policy::{self, Actor, Subject};
use crate::quota::UsageLimit;
use crate::secret::TokenKind;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

const RATE: u32 = 600;
const PROJECTS: [&str; 3] = ["default", "alpha", "beta"];
/// The project whose elevations wait for a second person.
const FOUR_EYES: &str = "alpha";
const GRANTS: [&str; 8] = [
    "tokens:manage",
    "tokens:read",
    "storage:read@b",
    "storage:write@b",
    "storage:read@*",
    "storage:write@*",
    "storage:read@c",
    "audit:read",
];

fn g(s: &str) -> Grant {
    Grant::parse_compact(s).expect("a model grant")
}

#[derive(Debug, Clone)]
struct ModelElevation {
    grants: Vec<Grant>,
    requested_by: String,
    approved_by: Option<String>,
    active: bool,
}

#[derive(Debug, Clone)]
struct Cred {
    subject: Subject,
    person: String,
    elevations: Vec<ModelElevation>,
}

impl Cred {
    fn sync(&mut self) {
        self.subject.elevated = self
            .elevations
            .iter()
            .filter(|e| e.active)
            .flat_map(|e| e.grants.clone())
            .collect();
    }

    fn actor(&self) -> Actor {
        let s = &self.subject;
        Actor {
            token_id: s.id.clone(),
            access: s.capability(RATE).using(),
            elevated: s.elevated.clone(),
            member_id: s.member_id.clone(),
            expires_at: s.expires_at,
            rate_limit: s.rate_limit,
            retired: false,
            allowed_ips: s.allowed_ips.clone(),
            usage_limit: s.usage_limit,
            person: self.person.clone(),
        }
    }

    fn is_admin(&self) -> bool {
        self.subject.capability(RATE).is_admin()
    }
}

/// Every (project, grant) a capability's access admits, grant by grant.
fn atoms(access: &Access, catalog: &Catalog) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for p in PROJECTS {
        let principal = access.principal(catalog, p);
        for grant in GRANTS {
            if principal.decide(&g(grant)) == Decision::Allow {
                out.insert((p.to_string(), grant.to_string()));
            }
        }
    }
    out
}

/// What `by` holds for good: its own and inherited grants, no elevation.
fn lasting_atoms(by: &Cred, catalog: &Catalog) -> BTreeSet<(String, String)> {
    atoms(&by.subject.capability(RATE).delegable().using(), catalog)
}

fn later(a: Option<i64>, b: Option<i64>) -> bool {
    match (a, b) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(a), Some(b)) => a > b,
    }
}

fn more_uses(a: Option<UsageLimit>, b: Option<UsageLimit>) -> bool {
    match (a, b) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(a), Some(b)) => a.uses > b.uses || (a.refill.is_some() && b.refill.is_none()),
    }
}

#[derive(Debug, Clone)]
enum Op {
    Create {
        by: usize,
        project: usize,
        grants: Vec<usize>,
        uses: Option<u32>,
        expires: Option<i64>,
        rate: Option<u32>,
    },
    /// A child that holds a part of what its issuer holds for good, with
    /// limits no looser: must be admitted.
    CreateWithin {
        by: usize,
    },
    Update {
        by: usize,
        target: usize,
        grants: Option<Vec<usize>>,
        uses: Option<Option<u32>>,
        expires: Option<Option<i64>>,
    },
    Elevate {
        by: usize,
        target: usize,
        grants: Vec<usize>,
    },
    Approve {
        by: usize,
        target: usize,
    },
    End {
        by: usize,
        target: usize,
    },
    /// Time passes: the target's elevations end by themselves.
    Lapse {
        target: usize,
    },
}

fn arb_op() -> impl Strategy<Value = Op> {
    let idx = 0usize..64;
    let grants = prop::collection::vec(0usize..GRANTS.len(), 0..4);
    prop_oneof![
        4 => (idx.clone(), 0usize..3, grants.clone(), prop::option::of(1u32..20),
              prop::option::of(100i64..1000), prop::option::of(1u32..1200))
            .prop_map(|(by, project, grants, uses, expires, rate)| Op::Create { by, project, grants, uses, expires, rate }),
        2 => idx.clone().prop_map(|by| Op::CreateWithin { by }),
        4 => (idx.clone(), idx.clone(), prop::option::of(grants.clone()),
              prop::option::of(prop::option::of(1u32..2_000_000)), prop::option::of(prop::option::of(100i64..2000)))
            .prop_map(|(by, target, grants, uses, expires)| Op::Update { by, target, grants, uses, expires }),
        3 => (idx.clone(), idx.clone(), prop::collection::vec(0usize..GRANTS.len(), 1..3))
            .prop_map(|(by, target, grants)| Op::Elevate { by, target, grants }),
        2 => (idx.clone(), idx.clone()).prop_map(|(by, target)| Op::Approve { by, target }),
        1 => (idx.clone(), idx.clone()).prop_map(|(by, target)| Op::End { by, target }),
        1 => idx.prop_map(|target| Op::Lapse { target }),
    ]
}

struct World {
    creds: Vec<Cred>,
    catalog: Catalog,
    admitted: usize,
}

fn subject(id: String, kind: TokenKind, project: Option<&str>, grants: Vec<Grant>) -> Subject {
    Subject {
        id,
        kind,
        project: project.map(str::to_string),
        member_id: None,
        grants,
        elevated: vec![],
        project_grants: BTreeMap::new(),
        global_admin: false,
        expires_at: None,
        not_before: None,
        rate_limit: None,
        usage_limit: None,
        allowed_ips: vec![],
    }
}

impl World {
    /// Two admins (their master tokens) and two project managers.
    fn new() -> World {
        let mut creds = vec![];
        for (n, person) in ["admin:a", "admin:b"].iter().enumerate() {
            creds.push(Cred {
                subject: subject(format!("t{n}"), TokenKind::Master, None, vec![]),
                person: person.to_string(),
                elevations: vec![],
            });
        }
        for (n, project) in ["default", "alpha"].iter().enumerate() {
            let mut s = subject(
                format!("t{}", n + 2),
                TokenKind::Scoped,
                Some(project),
                vec![g("tokens:manage"), g("tokens:read"), g("storage:read@*")],
            );
            s.expires_at = Some(1500);
            s.usage_limit = Some(UsageLimit {
                uses: 10,
                refill: None,
            });
            creds.push(Cred {
                subject: s,
                person: format!("client:t{}", n + 2),
                elevations: vec![],
            });
        }
        World {
            creds,
            catalog: default_catalog(),
            admitted: 0,
        }
    }

    fn pick(&self, i: usize) -> usize {
        i % self.creds.len()
    }

    fn grants(list: &[usize]) -> Vec<Grant> {
        list.iter().map(|i| g(GRANTS[*i])).collect()
    }

    /// What a non-admin issuer may have made `after` (from `before`):
    /// the invariant every admitted issue keeps.
    fn check_issued(
        &self,
        by: &Cred,
        before: Option<&Subject>,
        after: &Subject,
    ) -> Result<(), TestCaseError> {
        let mine = by.subject.capability(RATE);
        if after.id == by.subject.id {
            prop_assert!(
                !later(after.expires_at, mine.expires_at),
                "{} lifted its own expiry",
                after.id
            );
            prop_assert!(
                !more_uses(after.usage_limit, mine.usage_limit),
                "{} lifted its own usage limit",
                after.id
            );
        }
        if by.is_admin() {
            return Ok(());
        }
        let mut issued = after.clone();
        if let Some(b) = before {
            issued.elevated.retain(|e| !b.elevated.contains(e));
        }
        let theirs = atoms(&issued.capability(RATE).using(), &self.catalog);
        let held = lasting_atoms(by, &self.catalog);
        let beyond: Vec<_> = theirs.difference(&held).collect();
        prop_assert!(
            beyond.is_empty(),
            "{} gave {} {:?}, which it does not hold for good",
            by.subject.id,
            after.id,
            beyond
        );
        prop_assert!(!later(after.expires_at, mine.expires_at), "expiry");
        prop_assert!(
            !more_uses(after.usage_limit, mine.usage_limit),
            "usage limit"
        );
        prop_assert!(
            after.rate_limit.unwrap_or(RATE) <= mine.rate_limit,
            "rate limit"
        );
        let home = after.project.as_deref().unwrap_or("default");
        prop_assert!(
            policy::reachable_projects(&mine.delegable().using()).contains(home),
            "reach"
        );
        Ok(())
    }

    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let c = self.catalog.clone();
        match op.clone() {
            Op::Create {
                by,
                project,
                grants,
                uses,
                expires,
                rate,
            } => {
                let by = self.creds[self.pick(by)].clone();
                let mut s = subject(
                    format!("t{}", self.creds.len()),
                    TokenKind::Scoped,
                    Some(PROJECTS[project]),
                    Self::grants(&grants),
                );
                s.usage_limit = uses.map(|uses| UsageLimit { uses, refill: None });
                s.expires_at = expires;
                s.rate_limit = rate;
                if policy::may_issue(&by.actor(), None, &s, &c, RATE).is_ok() {
                    self.check_issued(&by, None, &s)?;
                    self.add(s, &by);
                }
            }
            Op::CreateWithin { by } => {
                let by = self.creds[self.pick(by)].clone();
                if by.is_admin() || by.subject.kind != TokenKind::Scoped {
                    return Ok(());
                }
                let manages = by
                    .subject
                    .grants
                    .iter()
                    .any(|gr| gr.service == "tokens" && gr.permission == "manage");
                if !manages {
                    return Ok(());
                }
                let mut s = subject(
                    format!("t{}", self.creds.len()),
                    TokenKind::Scoped,
                    by.subject.project.as_deref(),
                    by.subject.grants.iter().take(1).cloned().collect(),
                );
                s.expires_at = by.subject.expires_at;
                s.usage_limit = by.subject.usage_limit;
                s.rate_limit = by.subject.rate_limit;
                let verdict = policy::may_issue(&by.actor(), None, &s, &c, RATE);
                prop_assert!(
                    verdict.is_ok(),
                    "{} could not give a part of its own: {:?}",
                    by.subject.id,
                    verdict
                );
                self.check_issued(&by, None, &s)?;
                self.add(s, &by);
            }
            Op::Update {
                by,
                target,
                grants,
                uses,
                expires,
            } => {
                let by = self.creds[self.pick(by)].clone();
                let t = self.pick(target);
                let before = self.creds[t].subject.clone();
                if before.kind == TokenKind::Master {
                    return Ok(());
                }
                let mut after = before.clone();
                if let Some(gr) = grants {
                    after.grants = Self::grants(&gr);
                }
                if let Some(u) = uses {
                    after.usage_limit = u.map(|uses| UsageLimit { uses, refill: None });
                }
                if let Some(e) = expires {
                    after.expires_at = e;
                }
                let actor = by.actor();
                let admitted = policy::may_manage(&actor, &before, &c, RATE).is_ok()
                    && policy::may_issue(&actor, Some(&before), &after, &c, RATE).is_ok();
                if admitted {
                    self.check_issued(&by, Some(&before), &after)?;
                    self.creds[t].subject = after;
                    self.admitted += 1;
                }
            }
            Op::Elevate { by, target, grants } => {
                let by = self.creds[self.pick(by)].clone();
                let t = self.pick(target);
                let token = self.creds[t].subject.clone();
                if token.kind != TokenKind::Scoped {
                    return Ok(());
                }
                let grants = Self::grants(&grants);
                if policy::may_elevate(&by.actor(), &token, &grants, &c, RATE).is_ok() {
                    // Issued now: the new elevation's grants, whatever the
                    // token holds already (an elevation extended is given
                    // again).
                    let mut raised = token.clone();
                    raised.elevated = grants.clone();
                    self.check_issued(&by, None, &raised)?;
                    let waits = token.project.as_deref() == Some(FOUR_EYES);
                    self.creds[t].elevations.push(ModelElevation {
                        grants,
                        requested_by: by.person.clone(),
                        approved_by: None,
                        active: !waits,
                    });
                    self.creds[t].sync();
                    self.admitted += 1;
                }
            }
            Op::Approve { by, target } => {
                let by = self.creds[self.pick(by)].clone();
                let t = self.pick(target);
                let Some(n) = self.creds[t].elevations.iter().position(|e| !e.active) else {
                    return Ok(());
                };
                let wanted = self.creds[t].elevations[n].clone();
                let token = self.creds[t].subject.clone();
                let verdict = policy::may_approve(
                    &by.actor(),
                    &wanted.requested_by,
                    &token,
                    &wanted.grants,
                    &c,
                    RATE,
                );
                if verdict.is_ok() {
                    prop_assert_ne!(
                        &by.person,
                        &wanted.requested_by,
                        "approved by its requester"
                    );
                    let e = &mut self.creds[t].elevations[n];
                    e.active = true;
                    e.approved_by = Some(by.person.clone());
                    self.creds[t].sync();
                    self.admitted += 1;
                }
            }
            Op::End { by, target } => {
                let by = self.creds[self.pick(by)].clone();
                let t = self.pick(target);
                if policy::may_manage(&by.actor(), &self.creds[t].subject, &c, RATE).is_ok() {
                    self.creds[t].elevations.clear();
                    self.creds[t].sync();
                }
            }
            Op::Lapse { target } => {
                let t = self.pick(target);
                self.creds[t].elevations.clear();
                self.creds[t].sync();
            }
        }
        self.check_state()
    }

    fn add(&mut self, s: Subject, by: &Cred) {
        self.creds.push(Cred {
            subject: s,
            // A credential acts for the person who issued it.
            person: by.person.clone(),
            elevations: vec![],
        });
        self.admitted += 1;
    }

    /// What holds of the whole world after every step.
    fn check_state(&self) -> Result<(), TestCaseError> {
        for cred in &self.creds {
            // Nothing of an ended or pending elevation is held.
            let live: Vec<Grant> = cred
                .elevations
                .iter()
                .filter(|e| e.active)
                .flat_map(|e| e.grants.clone())
                .collect();
            prop_assert_eq!(&cred.subject.elevated, &live);
            for e in &cred.elevations {
                if e.active && cred.subject.project.as_deref() == Some(FOUR_EYES) {
                    let approver = e.approved_by.as_ref();
                    prop_assert!(approver.is_some(), "started without approval");
                    prop_assert_ne!(approver, Some(&e.requested_by));
                }
            }
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn generated_sequences_keep_the_authorization_invariants(ops in prop::collection::vec(arb_op(), 1..60)) {
        let mut world = World::new();
        for op in &ops {
            world.apply(op)?;
        }
    }
}

/// The generator reaches the interesting states: over many sequences,
/// each kind of step is admitted somewhere.
#[test]
fn the_model_admits_each_kind_of_step() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut admitted = 0;
    let mut elevated = 0;
    for _ in 0..200 {
        let ops = prop::collection::vec(arb_op(), 1..60)
            .new_tree(&mut runner)
            .expect("a sequence")
            .current();
        let mut world = World::new();
        for op in &ops {
            world.apply(op).expect("invariants hold");
        }
        admitted += world.admitted;
        elevated += world
            .creds
            .iter()
            .filter(|c| !c.subject.elevated.is_empty())
            .count();
    }
    assert!(admitted > 500, "{admitted} steps admitted");
    assert!(elevated > 20, "{elevated} raised tokens");
}
