//! Time-boxed access (issue 18): grants a token holds until an instant,
//! for a stated reason — a contractor's deploy rights for one afternoon.
//!
//! An elevation travels in the token's KV record, so it ends at the edge
//! by itself: every decision counts only the elevations live at that
//! instant ([`live_grants`]), and a copy of the record parsed earlier is
//! re-derived when the first of them ends ([`next_end`]). No sweep is
//! needed for correctness; the registry drops ended ones when it next
//! writes the token.
//!
//! A persona elevation copies the persona's grants when it is requested:
//! what an approver approves (and the audit names) is exactly what the
//! token holds until the end, whatever later becomes of the persona.

use crate::grant::Grant;
use crate::problem::FieldError;
use crate::shapes::*;
use crate::validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;
use time::OffsetDateTime;

/// The longest an elevation may last: longer access is an ordinary grant.
pub const MAX_SECONDS: i64 = 30 * 86_400;

/// How long a reason may be.
pub const REASON_MAX: usize = 500;

/// Whether an elevation counts yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ElevationStatus {
    /// Waiting for a second admin (the project requires approval).
    Pending,
    /// Held until `until`.
    Active,
}

/// An elevation as the API shows it and the token's KV record carries it.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Elevation {
    pub id: String,
    /// What the token holds on top of its own grants while it lasts.
    pub grants: Vec<Grant>,
    /// The persona the grants were copied from, if any.
    #[serde(default)]
    pub persona: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub until: OffsetDateTime,
    pub reason: String,
    /// Who asked for it (a client id: a personal key's user, else the
    /// token).
    pub requested_by: String,
    /// The person behind `requested_by` (`admin:<id>`, `member:<id>`):
    /// whichever credential they approve with, they are still the
    /// requester. Absent on elevations from before it was kept.
    #[serde(default)]
    pub requested_by_person: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub requested_at: OffsetDateTime,
    pub status: ElevationStatus,
    /// The second admin who let it start.
    #[serde(default)]
    pub approved_by: Option<String>,
}

impl Elevation {
    /// Counted at `now` (unix seconds): approved and not yet over.
    pub fn is_live(&self, now: i64) -> bool {
        self.status == ElevationStatus::Active && now < self.until.unix_timestamp()
    }

    /// Worth keeping at `now`: not over (pending ones included).
    pub fn is_current(&self, now: i64) -> bool {
        now < self.until.unix_timestamp()
    }
}

/// The grants `elevations` add at `now`.
pub fn live_grants(elevations: &[Elevation], now: i64) -> impl Iterator<Item = &Grant> {
    elevations
        .iter()
        .filter(move |e| e.is_live(now))
        .flat_map(|e| e.grants.iter())
}

/// The first instant after `now` at which the live grants change (the end
/// of the first live elevation): a decision derived at `now` holds until
/// then, and must be derived again from then on.
pub fn next_end(elevations: &[Elevation], now: i64) -> Option<i64> {
    elevations
        .iter()
        .filter(|e| e.is_live(now))
        .map(|e| e.until.unix_timestamp())
        .min()
}

/// What is left of an elevation, for a countdown: "3 h 59 min", "12 min
/// 5 s", "42 s"; "ended" once nothing is.
pub fn countdown(seconds_left: i64) -> String {
    let s = seconds_left.max(0);
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3_600, s % 3_600 / 60, s % 60);
    match (d, h, m) {
        _ if s == 0 => "ended".to_string(),
        (0, 0, 0) => format!("{sec} s"),
        (0, 0, _) => format!("{m} min {sec} s"),
        (0, _, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h"),
    }
}

/// An elevation cannot outlast the token it raises.
pub fn within_expiry(until: i64, expires_at: Option<i64>) -> Result<(), FieldError> {
    match expires_at {
        Some(exp) if until > exp => Err(FieldError::new(
            "until",
            "must not be after the token's own expiry",
        )),
        _ => Ok(()),
    }
}

/// `POST /tokens/{id}/elevations`: exactly one of `grants` or `persona`.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ElevateRequest {
    /// The grants to add, in the token's project.
    #[serde(default)]
    pub grants: Option<Vec<Grant>>,
    /// A persona whose grants (as they are now) to add.
    #[serde(default)]
    pub persona: Option<String>,
    /// When the elevation ends: in the future, at most 30 days ahead, and
    /// not after the token expires.
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schemars(with = "Timestamp")]
    pub until: Option<OffsetDateTime>,
    /// Why: the audit log and the approver read it.
    #[schemars(with = "Description")]
    pub reason: Option<String>,
}

/// What an elevation request asks for, once its fields are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Raise {
    Grants(Vec<Grant>),
    Persona(String),
}

/// A checked request (grants are checked against the catalog by the
/// caller, like every grant list).
#[derive(Debug, Clone, PartialEq)]
pub struct Elevate {
    pub raise: Raise,
    pub until: i64,
    pub reason: String,
}

impl ElevateRequest {
    /// Checks the fields that need no stored state (the token's expiry is
    /// checked with [`within_expiry`] where the token is read).
    pub fn parse(self, now: i64) -> Result<Elevate, Vec<FieldError>> {
        let mut errors = vec![];
        let raise = match (self.grants, self.persona) {
            (Some(g), None) if !g.is_empty() => Some(Raise::Grants(g)),
            (Some(_), None) => {
                errors.push(FieldError::new("grants", "name at least one grant to add"));
                None
            }
            (None, Some(p)) => match validate::resource_id("persona", &p) {
                Ok(p) => Some(Raise::Persona(p)),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
            (Some(_), Some(_)) => {
                errors.push(FieldError::new(
                    "persona",
                    "give either grants or a persona, not both",
                ));
                None
            }
            (None, None) => {
                errors.push(FieldError::new(
                    "grants",
                    "give the grants to add, or a persona whose grants to add",
                ));
                None
            }
        };
        let until = match self.until.map(|u| u.unix_timestamp()) {
            None => {
                errors.push(FieldError::new("until", "say when the elevation ends"));
                None
            }
            Some(u) if u <= now => {
                errors.push(FieldError::new("until", "must be in the future"));
                None
            }
            Some(u) if u > now + MAX_SECONDS => {
                errors.push(FieldError::new(
                    "until",
                    "an elevation lasts at most 30 days; longer access is an ordinary grant",
                ));
                None
            }
            Some(u) => Some(u),
        };
        let reason = match self.reason.as_deref().map(str::trim) {
            None | Some("") => {
                errors.push(FieldError::new(
                    "reason",
                    "say why: the audit log and the approver read it",
                ));
                None
            }
            Some(r) => match validate::description("reason", r) {
                Ok(r) if r.chars().count() <= REASON_MAX => Some(r),
                Ok(_) => {
                    errors.push(FieldError::new(
                        "reason",
                        format!("at most {REASON_MAX} characters"),
                    ));
                    None
                }
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
        };
        match (raise, until, reason) {
            (Some(raise), Some(until), Some(reason)) if errors.is_empty() => Ok(Elevate {
                raise,
                until,
                reason,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(secs: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(secs).unwrap()
    }

    fn elevation(id: &str, grant: &str, until: i64, status: ElevationStatus) -> Elevation {
        Elevation {
            id: id.into(),
            grants: vec![Grant::parse_compact(grant).unwrap()],
            persona: None,
            until: at(until),
            reason: "deploy the churn model".into(),
            requested_by: "kw_client".into(),
            requested_by_person: None,
            requested_at: at(0),
            status,
            approved_by: None,
        }
    }

    fn request(until: Option<i64>) -> ElevateRequest {
        ElevateRequest {
            grants: Some(vec![
                Grant::parse_compact("api_services:deploy@churn").unwrap()
            ]),
            persona: None,
            until: until.map(at),
            reason: Some("Deploy churn v2 this afternoon".into()),
        }
    }

    #[test]
    fn an_elevation_counts_until_its_instant_and_not_while_pending() {
        let live = elevation("elv_a", "storage:write@b", 100, ElevationStatus::Active);
        let pending = elevation("elv_b", "storage:read@c", 100, ElevationStatus::Pending);
        let both = [live, pending];
        assert_eq!(live_grants(&both, 99).count(), 1);
        assert_eq!(live_grants(&both, 100).count(), 0);
        assert_eq!(next_end(&both, 50), Some(100));
        assert_eq!(next_end(&both, 100), None);
        assert!(both[1].is_current(99) && !both[1].is_current(100));
    }

    #[test]
    fn a_countdown_reads_in_the_two_largest_units() {
        assert_eq!(countdown(0), "ended");
        assert_eq!(countdown(-5), "ended");
        assert_eq!(countdown(42), "42 s");
        assert_eq!(countdown(12 * 60 + 5), "12 min 5 s");
        assert_eq!(countdown(4 * 3_600 - 60), "3 h 59 min");
        assert_eq!(countdown(2 * 86_400 + 3 * 3_600 + 5), "2 d 3 h");
    }

    #[test]
    fn a_request_is_checked_field_by_field() {
        let now = 1_000;
        let ok = request(Some(now + 3_600)).parse(now).unwrap();
        assert_eq!(ok.until, now + 3_600);
        assert!(matches!(ok.raise, Raise::Grants(ref g) if g.len() == 1));
        // The fields refused, by the request's own checks or the expiry's.
        let fields = |r: ElevateRequest, exp: Option<i64>| -> Vec<String> {
            let errors = match r.parse(now) {
                Ok(e) => within_expiry(e.until, exp).err().into_iter().collect(),
                Err(errors) => errors,
            };
            errors.into_iter().map(|e| e.field).collect()
        };
        assert_eq!(fields(request(Some(now)), None), ["until"]);
        assert_eq!(fields(request(None), None), ["until"]);
        assert_eq!(
            fields(request(Some(now + MAX_SECONDS + 1)), None),
            ["until"]
        );
        assert_eq!(
            fields(request(Some(now + 3_600)), Some(now + 60)),
            ["until"]
        );
        let mut both = request(Some(now + 60));
        both.persona = Some("prs_deployers".into());
        assert_eq!(fields(both, None), ["persona"]);
        let mut none = request(Some(now + 60));
        none.grants = Some(vec![]);
        assert_eq!(fields(none, None), ["grants"]);
        let mut silent = request(Some(now + 60));
        silent.reason = Some("   ".into());
        assert_eq!(fields(silent, None), ["reason"]);
        let mut persona = request(Some(now + 60));
        persona.grants = None;
        persona.persona = Some("prs_deployers".into());
        assert_eq!(
            persona.parse(now).unwrap().raise,
            Raise::Persona("prs_deployers".into())
        );
    }

    proptest! {
        /// The grants held at any instant are exactly those of the active
        /// elevations not yet over, and a decision derived at `now` stays
        /// right until `next_end`, and not at it.
        #[test]
        fn live_grants_change_only_at_next_end(
            ends in prop::collection::vec((1i64..200, any::<bool>()), 0..6),
            now in 0i64..200,
            later in 0i64..200,
        ) {
            let elevations: Vec<Elevation> = ends
                .iter()
                .enumerate()
                .map(|(n, (until, active))| {
                    let status = if *active { ElevationStatus::Active } else { ElevationStatus::Pending };
                    elevation(&format!("elv_{n}"), &format!("storage:read@b{n}"), *until, status)
                })
                .collect();
            let held = |t: i64| live_grants(&elevations, t).cloned().collect::<Vec<_>>();
            let expected: Vec<Grant> = elevations
                .iter()
                .filter(|e| e.status == ElevationStatus::Active && now < e.until.unix_timestamp())
                .flat_map(|e| e.grants.clone())
                .collect();
            prop_assert_eq!(held(now), expected);
            let t = now.max(later);
            match next_end(&elevations, now) {
                Some(end) => {
                    prop_assert!(end > now);
                    if t < end {
                        prop_assert_eq!(held(t), held(now));
                    } else {
                        prop_assert!(held(end).len() < held(now).len());
                    }
                }
                None => prop_assert!(held(t).is_empty()),
            }
        }
    }
}
