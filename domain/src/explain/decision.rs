//! The verdict and its derivation: the edge's own decision, with where
//! each grant it used came from.

use super::holdings::*;
use super::rfc3339;
use crate::admit::{admit, Credential, Stop};
use crate::catalog::Catalog;
use crate::grant::{Grant, Resource};
use crate::ratelimit::Standing;
use crate::requirement::Requirement;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The answer's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Allow,
    Deny,
}

/// Why, machine-readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExplainCode {
    /// A grant the token holds admits it (see `via`).
    Granted,
    /// An admin holds everything.
    Admin,
    /// No grant admits it (see `missing`).
    NoGrant,
    /// The token cannot act in that project at all.
    OutOfReach,
    /// The token is past its expiry: every call is refused with 401.
    TokenExpired,
    /// An admin turned the token off: every call is refused with 401.
    TokenDisabled,
    /// The token's `not_before` has not come: every call is refused.
    TokenNotYetValid,
    /// The token's rate-limit window is full now: a call is refused with
    /// 429 `rate_limited` (see `retry_after`).
    RateLimited,
    /// A usage-limited token has used all its uses: a call is refused with
    /// 429 `usage_exhausted` (`retry_after`: until the refill, if any).
    UsageExhausted,
    /// The secret named by `secret_hint` was replaced by a refresh: inside
    /// its overlap it may use the API, but this changes the control plane
    /// (403 `retired_secret`).
    RetiredSecret,
    /// No secret of the token that works has that hint: a call with it is
    /// refused with 401 `invalid_token`.
    SecretUnknown,
}

/// One held grant through which the decision admits the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Via {
    /// The grant as held (e.g. `storage:write@*`).
    pub grant: Grant,
    pub source: Source,
    /// It admits through the catalog's implications (`write` ⇒ `read`).
    pub implied: bool,
    /// It admits through `*` (every resource of its type).
    pub wildcard: bool,
}

/// `POST /tokens/{id}/explain`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Explanation {
    pub token_id: String,
    /// The project the decision was made in.
    pub project: String,
    /// What was asked, as a grant.
    pub asked: Grant,
    pub decision: Verdict,
    pub code: ExplainCode,
    /// The derivation in words.
    pub reason: String,
    /// The effective grant (after implication and `*`) that admits it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admitted_by: Option<Grant>,
    /// Every held grant that yields `admitted_by`, with its source.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<Via>,
    /// On `no_grant`: the grant the token would need.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<Grant>,
    /// On `rate_limited`, and `usage_exhausted` with a refill: seconds
    /// until a call would pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// When `secret_hint` names a secret a refresh replaced: the instant
    /// it stops working (the end of its overlap).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    #[schemars(with = "Option<crate::shapes::Timestamp>")]
    pub secret_until: Option<OffsetDateTime>,
}

/// What `explain` is told besides the token, as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Circumstances {
    /// The token's rate limiter now, asked without taking a slot (see
    /// [`Standing`] for what "now" means while isolates hold leases).
    pub limiter: Standing,
    /// The hint of the secret the call would present
    /// ([`crate::secret::parse_hint`]'s form); `None`: the current one.
    pub secret_hint: Option<String>,
}

impl Default for Circumstances {
    /// Nothing in the way: room in the window, the current secret.
    fn default() -> Self {
        Circumstances {
            limiter: Standing::Room,
            secret_hint: None,
        }
    }
}

/// [`explain_at`] with nothing in the way: room in the rate-limit window,
/// the current secret.
pub fn explain(
    holdings: &Holdings,
    catalog: &Catalog,
    project: Option<&str>,
    wanted: &Grant,
    now: i64,
) -> Explanation {
    explain_at(
        holdings,
        catalog,
        project,
        wanted,
        now,
        &Circumstances::default(),
    )
}

/// The edge's verdict and its derivation, for `holdings` at `now` (unix
/// seconds), asking `wanted` in `project` (default: the token's own), with
/// the secret and the limiter of `around`. The order is the edge's:
/// authentication (the secret found, its overlap, the expiry, then the
/// token's conditions), the rate limit (counted right after
/// authentication, before anything else is looked at), a retired secret's
/// control-plane change (refused before any handler runs), then reach and
/// the grants.
pub fn explain_at(
    holdings: &Holdings,
    catalog: &Catalog,
    project: Option<&str>,
    wanted: &Grant,
    now: i64,
    around: &Circumstances,
) -> Explanation {
    let presented = holdings.secret(around.secret_hint.as_deref(), now);
    let mut out = decide(holdings, catalog, project, wanted, now, around, presented);
    if let Presented::Retired { until } = presented {
        if out.code != ExplainCode::RetiredSecret {
            out.reason.push_str(&format!(
                "; the secret {} was replaced by a refresh and works only until {}",
                around.secret_hint.as_deref().unwrap_or_default(),
                rfc3339(until)
            ));
        }
        out.secret_until = OffsetDateTime::from_unix_timestamp(until).ok();
    }
    out
}

fn decide(
    holdings: &Holdings,
    catalog: &Catalog,
    project: Option<&str>,
    wanted: &Grant,
    now: i64,
    around: &Circumstances,
    presented: Presented,
) -> Explanation {
    let access = holdings.access();
    let project = project.unwrap_or(access.home()).to_string();
    let answer = |decision, code, reason: String| Explanation {
        token_id: holdings.token_id.clone(),
        project: project.clone(),
        asked: wanted.clone(),
        decision,
        code,
        reason,
        admitted_by: None,
        via: vec![],
        missing: None,
        retry_after: None,
        secret_until: None,
    };
    if presented == Presented::Unknown {
        return answer(
            Verdict::Deny,
            ExplainCode::SecretUnknown,
            format!(
                "no working secret of this token has the hint {}: a call with it is refused with 401 invalid_token (a secret replaced by a refresh stops working when its overlap ends)",
                around.secret_hint.as_deref().unwrap_or_default()
            ),
        );
    }
    // The edge's own admission step, with the limiter's standing as the
    // limiter reports it: what it refuses, and why, is what the edge does.
    let credential = Credential {
        access: &access,
        expires_at: holdings.expires_at,
        enabled: holdings.enabled,
        not_before: holdings.not_before,
        retired: matches!(presented, Presented::Retired { .. }),
        home_principal: None,
    };
    let no_grant = |missing: Grant| {
        let mut out = answer(
            Verdict::Deny,
            ExplainCode::NoGrant,
            format!("no grant admits {wanted} in project '{project}': the token lacks {missing}"),
        );
        out.missing = Some(missing);
        out
    };
    let admitted = admit(
        &credential,
        catalog,
        Some(&project),
        &Requirement::Grant(wanted.clone()),
        now,
        around.limiter,
    );
    let admission = match admitted {
        Ok(admission) => admission,
        Err(Stop::Expired) => {
            return answer(
                Verdict::Deny,
                ExplainCode::TokenExpired,
                "the token has expired: every call is refused before any grant is looked at".into(),
            )
        }
        Err(Stop::Disabled) => {
            return answer(
                Verdict::Deny,
                ExplainCode::TokenDisabled,
                "the token is disabled: every call is refused until an admin enables it".into(),
            )
        }
        Err(Stop::NotYetValid) => {
            return answer(
                Verdict::Deny,
                ExplainCode::TokenNotYetValid,
                "the token is not valid yet (its not_before is still to come)".into(),
            )
        }
        // The edge counts the call against the token's limit right after
        // authentication, before the route, the project or a grant is
        // looked at: a full window refuses whatever the grants say.
        Err(Stop::Limited(Standing::WindowFull {
            per_minute,
            retry_after,
        })) => {
            let mut out = answer(
                Verdict::Deny,
                ExplainCode::RateLimited,
                format!(
                    "the token has made its {per_minute} calls of the last minute: a call now is refused with 429 rate_limited before any grant is looked at; the next passes in {retry_after} s"
                ),
            );
            out.retry_after = Some(retry_after);
            return out;
        }
        Err(Stop::Limited(Standing::UsesExhausted { uses, retry_after })) => {
            let mut out = answer(
                Verdict::Deny,
                ExplainCode::UsageExhausted,
                match retry_after {
                    Some(s) => format!(
                        "the token has used all {uses} of its uses for this period: a call now is refused with 429 usage_exhausted; they are refilled in {s} s"
                    ),
                    None => format!(
                        "the token has used all {uses} of its uses, and they are never refilled: every call is refused with 429 usage_exhausted"
                    ),
                },
            );
            out.retry_after = retry_after;
            return out;
        }
        // `admit` stops for a limiter only when it has no room.
        Err(Stop::Limited(Standing::Room)) => {
            return answer(
                Verdict::Deny,
                ExplainCode::RateLimited,
                "the limiter refuses".into(),
            )
        }
        Err(Stop::RetiredSecret(refusal)) => {
            let until = match presented {
                Presented::Retired { until } => until,
                _ => now,
            };
            return answer(
                Verdict::Deny,
                ExplainCode::RetiredSecret,
                format!(
                    "{refusal} ({wanted} changes the control plane; the secret {} works for the rest of the API until {})",
                    around.secret_hint.as_deref().unwrap_or_default(),
                    rfc3339(until)
                ),
            );
        }
        Err(Stop::OutOfReach(refusal)) => {
            return answer(Verdict::Deny, ExplainCode::OutOfReach, refusal.to_string())
        }
        Err(Stop::Missing(missing)) => return no_grant(missing),
        Err(Stop::Unmet(words)) => {
            return answer(
                Verdict::Deny,
                ExplainCode::NoGrant,
                format!("no grant admits {wanted} in project '{project}': unmet {words}"),
            )
        }
    };
    let principal = admission.principal;
    match principal.admit(wanted) {
        Err(missing) => no_grant(missing),
        Ok(admission) if principal.is_master => {
            let mut out = answer(
                Verdict::Allow,
                ExplainCode::Admin,
                format!("{wanted} is allowed: {}", Source::Admin),
            );
            out.admitted_by = Some(admission.by.clone());
            out.via = vec![Via {
                grant: admission.by.clone(),
                source: Source::Admin,
                implied: false,
                wildcard: admission.by.resource == Some(Resource::All)
                    && wanted.resource != Some(Resource::All),
            }];
            out
        }
        Ok(admission) => {
            let held = holdings.held_in(&project);
            let by = admission.by;
            let via: Vec<Via> = admission
                .from
                .iter()
                .filter_map(|i| held.get(*i))
                .map(|h| Via {
                    grant: h.grant.clone(),
                    source: h.source.clone(),
                    implied: h.grant.permission != wanted.permission,
                    wildcard: by.resource == Some(Resource::All)
                        && wanted.resource != Some(Resource::All),
                })
                .collect();
            let mut out = answer(Verdict::Allow, ExplainCode::Granted, describe(wanted, &via));
            out.admitted_by = Some(by.clone());
            out.via = via;
            out
        }
    }
}

fn describe(wanted: &Grant, via: &[Via]) -> String {
    let ways: Vec<String> = via
        .iter()
        .map(|v| {
            let mut how = vec![];
            if v.implied {
                how.push(format!(
                    "{} implies {}",
                    v.grant.permission, wanted.permission
                ));
            }
            if v.wildcard {
                how.push("* covers every resource".to_string());
            }
            let how = if how.is_empty() {
                String::new()
            } else {
                format!(" ({})", how.join("; "))
            };
            format!("{}{how}, held via {}", v.grant, v.source)
        })
        .collect();
    format!("{wanted} is allowed by {}", ways.join("; and by "))
}

#[cfg(test)]
mod tests {
    use super::super::holdings::fixtures::*;
    use super::super::routes::{routes, Coverage};
    use super::*;

    use crate::catalog::Catalog;
    use crate::gateway::RouteTable;
    use crate::grant::{Grant, Principal};
    use crate::policy::{self};

    use crate::ratelimit::Standing;

    use crate::secret::TokenKind;

    use crate::catalog::default_catalog;
    use crate::grant::Decision;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[test]
    fn a_persona_grant_is_named_with_its_persona() {
        let c = default_catalog();
        let h = scoped(vec![
            held("tokens:read", Source::Own),
            held("storage:read@*", persona("prs_a")),
        ]);
        let e = explain(&h, &c, None, &g("storage:read@in.c-main"), 0);
        assert_eq!(e.decision, Verdict::Allow);
        assert_eq!(e.code, ExplainCode::Granted);
        assert_eq!(e.admitted_by, Some(g("storage:read@*")));
        assert_eq!(e.via.len(), 1);
        assert_eq!(e.via[0].source, persona("prs_a"));
        assert!(e.via[0].wildcard && !e.via[0].implied);
        assert!(e.reason.contains("persona 'P prs_a'"), "{}", e.reason);
    }

    #[test]
    fn an_implied_permission_names_the_stronger_one() {
        let c = default_catalog();
        let h = scoped(vec![held("storage:write@b", Source::Own)]);
        let e = explain(&h, &c, None, &g("storage:read@b"), 0);
        assert_eq!(e.decision, Verdict::Allow);
        assert!(e.via[0].implied && !e.via[0].wildcard);
        assert!(e.reason.contains("write implies read"), "{}", e.reason);
    }

    #[test]
    fn refusals_say_why() {
        let c = default_catalog();
        let mut h = scoped(vec![held("storage:read@a", Source::Own)]);
        let e = explain(&h, &c, None, &g("storage:write@a"), 0);
        assert_eq!((e.decision, e.code), (Verdict::Deny, ExplainCode::NoGrant));
        assert_eq!(e.missing, Some(g("storage:write@a")));
        let e = explain(&h, &c, Some("beta"), &g("storage:read@a"), 0);
        assert_eq!(e.code, ExplainCode::OutOfReach);
        assert!(e.reason.contains("'beta'"), "{}", e.reason);
        h.expires_at = Some(100);
        let e = explain(&h, &c, None, &g("storage:read@a"), 100);
        assert_eq!(e.code, ExplainCode::TokenExpired);
        assert_eq!(
            explain(&h, &c, None, &g("storage:read@a"), 99).decision,
            Verdict::Allow
        );
    }

    #[test]
    fn a_full_window_refuses_whatever_the_grants_say() {
        let c = default_catalog();
        let mut h = scoped(vec![held("storage:read@*", Source::Own)]);
        let full = Circumstances {
            limiter: Standing::WindowFull {
                per_minute: 2,
                retry_after: 41,
            },
            secret_hint: None,
        };
        for (wanted, project) in [
            ("storage:read@a", None),
            ("storage:write@a", None),
            ("storage:read@a", Some("beta")),
        ] {
            let e = explain_at(&h, &c, project, &g(wanted), 0, &full);
            assert_eq!(
                (e.decision, e.code),
                (Verdict::Deny, ExplainCode::RateLimited)
            );
            assert_eq!(e.retry_after, Some(41));
            assert!(
                e.reason.contains("2 calls") && e.reason.contains("41 s"),
                "{}",
                e.reason
            );
        }
        let spent = Circumstances {
            limiter: Standing::UsesExhausted {
                uses: 5,
                retry_after: None,
            },
            secret_hint: None,
        };
        let e = explain_at(&h, &c, None, &g("storage:read@a"), 0, &spent);
        assert_eq!(e.code, ExplainCode::UsageExhausted);
        assert_eq!(e.retry_after, None);
        assert!(e.reason.contains("never refilled"), "{}", e.reason);
        // Authentication comes first: an expired token is expired.
        h.expires_at = Some(0);
        let e = explain_at(&h, &c, None, &g("storage:read@a"), 0, &full);
        assert_eq!(e.code, ExplainCode::TokenExpired);
        assert_eq!(e.retry_after, None);
    }

    #[test]
    fn a_retired_secret_may_use_the_api_until_its_overlap_ends_and_change_nothing() {
        let c = default_catalog();
        let mut h = scoped(vec![
            held("tokens:manage", Source::Own),
            held("storage:read@*", Source::Own),
        ]);
        h.retired = vec![
            RetiredSecret {
                hint: Some("kw_s_…Old1".into()),
                until: 1_000,
            },
            RetiredSecret {
                hint: None,
                until: 2_000,
            },
        ];
        let with = |hint: &str| Circumstances {
            limiter: Standing::Room,
            secret_hint: Some(hint.into()),
        };
        // The current secret: the plain answer.
        let current = explain_at(&h, &c, None, &g("tokens:manage"), 10, &with("kw_s_…Cur1"));
        assert_eq!(current, explain(&h, &c, None, &g("tokens:manage"), 10));
        // The old one reads, and says until when.
        let e = explain_at(&h, &c, None, &g("storage:read@b"), 10, &with("kw_s_…Old1"));
        assert_eq!((e.decision, e.code), (Verdict::Allow, ExplainCode::Granted));
        assert_eq!(e.secret_until.map(|t| t.unix_timestamp()), Some(1_000));
        assert!(
            e.reason.contains("works only until 1970-01-01T00:16:40Z"),
            "{}",
            e.reason
        );
        // ... but never manages tokens, whatever the token holds.
        let e = explain_at(&h, &c, None, &g("tokens:manage"), 10, &with("kw_s_…Old1"));
        assert_eq!(
            (e.decision, e.code),
            (Verdict::Deny, ExplainCode::RetiredSecret)
        );
        assert_eq!(e.secret_until.map(|t| t.unix_timestamp()), Some(1_000));
        assert!(e.reason.contains("replaced by a refresh"), "{}", e.reason);
        // Viewing tokens is usage.
        let e = explain_at(&h, &c, None, &g("tokens:read"), 10, &with("kw_s_…Old1"));
        assert_eq!(e.decision, Verdict::Allow);
        // Its overlap over, or a hint no secret has: 401 at the edge.
        for (hint, now) in [
            ("kw_s_…Old1", 1_000),
            ("kw_s_…Nope", 10),
            ("kw_m_…Cur1", 10),
        ] {
            let e = explain_at(&h, &c, None, &g("storage:read@b"), now, &with(hint));
            assert_eq!(
                (e.decision, e.code),
                (Verdict::Deny, ExplainCode::SecretUnknown),
                "{hint}"
            );
            assert!(
                e.reason.contains(hint) && e.reason.contains("401"),
                "{}",
                e.reason
            );
            assert_eq!(e.secret_until, None);
        }
    }

    #[test]
    fn admins_hold_everything() {
        let c = default_catalog();
        let mut h = scoped(vec![]);
        h.kind = TokenKind::Master;
        h.project = None;
        let e = explain(&h, &c, Some("anywhere"), &g("storage:write@x"), 0);
        assert_eq!((e.decision, e.code), (Verdict::Allow, ExplainCode::Admin));
        assert_eq!(e.via[0].source, Source::Admin);
    }

    use crate::grant::testing::arb_grant;

    fn arb_source() -> impl Strategy<Value = Source> {
        prop_oneof![
            Just(Source::Own),
            Just(persona("prs_a")),
            Just(persona("prs_b")),
            Just(Source::Member { id: "mem_1".into() }),
        ]
    }

    fn arb_holdings() -> impl Strategy<Value = Holdings> {
        let kind = prop_oneof![
            Just(TokenKind::Scoped),
            Just(TokenKind::Scoped),
            Just(TokenKind::Personal),
            Just(TokenKind::Global),
            Just(TokenKind::Master),
        ];
        (
            kind,
            prop_oneof![Just("default"), Just("alpha")],
            prop::collection::vec((arb_grant(), arb_source()), 0..6),
            prop::collection::btree_map(
                prop_oneof![Just("alpha".to_string()), Just("beta".to_string())],
                prop::collection::vec(arb_grant(), 0..3),
                0..2,
            ),
            any::<bool>(),
            prop::option::of(0i64..200),
        )
            .prop_map(
                |(kind, project, grants, project_grants, admin, expires_at)| Holdings {
                    token_id: "tok_x".into(),
                    kind,
                    project: (!matches!(kind, TokenKind::Master | TokenKind::Global))
                        .then(|| project.to_string()),
                    member_id: None,
                    grants: grants
                        .into_iter()
                        .map(|(grant, source)| Held { grant, source })
                        .collect(),
                    project_grants: if kind == TokenKind::Global {
                        project_grants
                    } else {
                        BTreeMap::new()
                    },
                    global_admin: admin && kind == TokenKind::Global,
                    expires_at,
                    rate_limit: None,
                    enabled: true,
                    not_before: None,
                    allowed_ips: vec![],
                    usage_limit: None,
                    secret_hint: "kw_s_…Cur1".into(),
                    retired: vec![
                        RetiredSecret {
                            hint: Some("kw_s_…Old1".into()),
                            until: 100,
                        },
                        RetiredSecret {
                            hint: None,
                            until: 150,
                        },
                    ],
                },
            )
            .prop_flat_map(|h| {
                (
                    Just(h),
                    prop::bool::weighted(0.9),
                    prop::option::of(0i64..200),
                )
                    .prop_map(|(mut h, enabled, not_before)| {
                        h.enabled = enabled;
                        h.not_before = not_before;
                        h
                    })
            })
    }

    fn arb_standing() -> impl Strategy<Value = Standing> {
        prop_oneof![
            3 => Just(Standing::Room),
            1 => (1u32..100, 1u64..=60).prop_map(|(per_minute, retry_after)| Standing::WindowFull { per_minute, retry_after }),
            1 => (1u32..100, prop::option::of(1u64..86_400)).prop_map(|(uses, retry_after)| Standing::UsesExhausted { uses, retry_after }),
        ]
    }

    /// The edge's decision as the worker makes it for an API call or a
    /// gateway route: authentication refuses an expired token, then the
    /// project must be in reach, then the principal decides.
    fn edge_allows(h: &Holdings, c: &Catalog, project: &str, wanted: &Grant, now: i64) -> bool {
        let access = h.access();
        let at = time::OffsetDateTime::from_unix_timestamp(now).unwrap();
        let conditions = crate::conditions::UseConditions {
            enabled: h.enabled,
            not_before: h
                .not_before
                .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok()),
            allowed_ips: &h.allowed_ips,
        };
        !crate::expiry::is_expired(
            h.expires_at
                .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok()),
            at,
        ) && conditions.admit(at, None).is_ok()
            && policy::may_act_in(&access, project).is_ok()
            && access.principal(c, project).decide(wanted) == Decision::Allow
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Explain's verdict is the edge's, and its derivation is sound
        /// (each named grant admits the call on its own) and complete (a
        /// refusal for want of a grant means no held grant admits it).
        #[test]
        fn explain_agrees_with_the_edge(
            h in arb_holdings(),
            project in prop_oneof![Just("default"), Just("alpha"), Just("beta")],
            wanted in arb_grant(),
            now in 0i64..200,
        ) {
            let c = default_catalog();
            let e = explain(&h, &c, Some(project), &wanted, now);
            prop_assert_eq!(e.decision == Verdict::Allow, edge_allows(&h, &c, project, &wanted, now));
            let alone = |g: &Grant| Principal::new(&c, false, std::slice::from_ref(g)).decide(&wanted) == Decision::Allow;
            match e.code {
                ExplainCode::Granted => {
                    prop_assert!(!e.via.is_empty());
                    for v in &e.via {
                        prop_assert!(alone(&v.grant), "{} does not admit {}", v.grant, wanted);
                        prop_assert!(h.held_in(project).iter().any(|x| x.grant == v.grant && x.source == v.source));
                    }
                }
                ExplainCode::NoGrant => {
                    prop_assert_eq!(e.missing.as_ref(), Some(&wanted));
                    prop_assert!(!h.held_in(project).iter().any(|x| alone(&x.grant)));
                }
                ExplainCode::Admin => prop_assert!(h.access().is_admin()),
                ExplainCode::OutOfReach
                | ExplainCode::TokenExpired
                | ExplainCode::TokenDisabled
                | ExplainCode::TokenNotYetValid => {}
                ExplainCode::RateLimited
                | ExplainCode::UsageExhausted
                | ExplainCode::RetiredSecret
                | ExplainCode::SecretUnknown => prop_assert!(false, "{:?} without its circumstances", e.code),
            }
        }

        /// With a limiter and a secret: explain's verdict is still the
        /// edge's, decided in the edge's order.
        #[test]
        fn explain_with_circumstances_agrees_with_the_edge(
            h in arb_holdings(),
            project in prop_oneof![Just("default"), Just("alpha"), Just("beta")],
            wanted in prop_oneof![4 => arb_grant(), 1 => Just(g("tokens:manage"))],
            now in 0i64..200,
            limiter in arb_standing(),
            hint in prop::option::of(prop_oneof![Just("kw_s_…Cur1"), Just("kw_s_…Old1"), Just("kw_s_…Zzz9")]),
        ) {
            let c = default_catalog();
            let around = Circumstances { limiter, secret_hint: hint.map(str::to_string) };
            let e = explain_at(&h, &c, Some(project), &wanted, now, &around);
            let presented = h.secret(hint, now);
            let edge = presented != Presented::Unknown
                && edge_allows(&h, &c, project, &wanted, now)
                && limiter == Standing::Room
                && !(matches!(presented, Presented::Retired { .. }) && policy::changes_control_plane(&wanted));
            prop_assert_eq!(e.decision == Verdict::Allow, edge, "{:?}", e);
            let plain = explain(&h, &c, Some(project), &wanted, now);
            let blocked = matches!(plain.code, ExplainCode::TokenExpired | ExplainCode::TokenDisabled | ExplainCode::TokenNotYetValid);
            match (presented, limiter) {
                // An unknown secret is refused before anything else.
                (Presented::Unknown, _) => prop_assert_eq!(e.code, ExplainCode::SecretUnknown),
                // Authentication's refusals come before the limit.
                _ if blocked => prop_assert_eq!(e.code, plain.code),
                // A full window refuses whatever the grants (or the reach) say.
                (_, Standing::WindowFull { retry_after, .. }) => {
                    prop_assert_eq!(e.code, ExplainCode::RateLimited);
                    prop_assert_eq!(e.retry_after, Some(retry_after));
                }
                (_, Standing::UsesExhausted { retry_after, .. }) => {
                    prop_assert_eq!(e.code, ExplainCode::UsageExhausted);
                    prop_assert_eq!(e.retry_after, retry_after);
                }
                (Presented::Retired { .. }, Standing::Room) if policy::changes_control_plane(&wanted) => {
                    prop_assert_eq!(e.code, ExplainCode::RetiredSecret);
                }
                // Room in the window and a secret that may do this: the
                // answer without circumstances, plus when a retired
                // secret stops.
                (_, Standing::Room) => {
                    prop_assert_eq!(e.decision, plain.decision);
                    prop_assert_eq!(e.code, plain.code);
                    prop_assert_eq!(&e.via, &plain.via);
                    prop_assert_eq!(&e.missing, &plain.missing);
                }
            }
            match presented {
                Presented::Retired { until } => prop_assert_eq!(e.secret_until.map(|t| t.unix_timestamp()), Some(until)),
                _ => prop_assert_eq!(e.secret_until, None),
            }
            if limiter == Standing::Room && presented == Presented::Current {
                prop_assert_eq!(e, plain);
            }
        }

        /// The sources line up with the grants the edge decides with.
        #[test]
        fn held_in_mirrors_grants_in(h in arb_holdings(), project in prop_oneof![Just("default"), Just("alpha"), Just("beta")]) {
            let grants: Vec<Grant> = h.held_in(project).into_iter().map(|x| x.grant).collect();
            prop_assert_eq!(grants, h.access().grants_in(project));
        }

        /// A route reported callable for every call passes the edge's
        /// check for any resource; one reported not callable fails for a
        /// resource the token holds nothing on.
        #[test]
        fn routes_agree_with_the_edge(h in arb_holdings(), id in "[a-c]") {
            let c = default_catalog();
            let table = RouteTable::from_json(include_str!("../../../worker/gateway.json")).unwrap();
            let report = routes(&h, &c, &table, None, 0);
            let project = h.access().home().to_string();
            for (route, reach) in table.routes.iter().zip(&report.routes) {
                let params: BTreeMap<String, String> = route.pattern.segments.iter().filter_map(|s| match s {
                    crate::gateway::Segment::Param(n) | crate::gateway::Segment::Rest(n) => Some((n.clone(), id.clone())),
                    _ => None,
                }).collect();
                let m = crate::gateway::RouteMatch { route, params };
                let required = m.required().unwrap();
                let passes = required.iter().all(|w| edge_allows(&h, &c, &project, w, 0));
                if reach.callable == Coverage::All && reach.accepts_keyward {
                    prop_assert!(passes);
                }
                if reach.requires.iter().all(|r| r.held == Coverage::All || r.resources.contains(&id)) {
                    prop_assert!(passes, "{} on {}", route.name, id);
                } else {
                    prop_assert!(!passes, "{} on {}", route.name, id);
                }
            }
        }
    }
}
