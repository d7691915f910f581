//! The token form's state as plain data, and its checks: what is validated
//! before anything is sent, and how the API's answer is placed next to the
//! fields. No signals here, so it is tested natively.

use crate::api::ApiFailure;
use crate::components::grid::GrantError;
use keyward_domain::api::{CreateToken, ExpiryPolicy, ProjectGrants, UpdateToken};
use keyward_domain::conditions::Meta;
use keyward_domain::describe::{ExpiryChoice, Grid};
use keyward_domain::quota::{Refill, UsageLimit, MAX_USES};
use keyward_domain::validate::RATE_LIMIT_MAX;
use keyward_domain::{ErrorCode, FieldError, Grant, TokenKind};
use std::collections::BTreeMap;
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryPick {
    /// Editing only: leave the expiry as it is.
    Keep,
    Days(u32),
    Custom,
    Never,
}

/// Everything the form holds, as typed.
#[derive(Debug, Clone)]
pub struct FormState {
    /// Editing an existing token (else creating one).
    pub editing: bool,
    pub name: String,
    pub description: String,
    /// As typed; empty: the deployment's default.
    pub rate_limit: String,
    pub expiry: ExpiryPick,
    /// `YYYY-MM-DD`, for [`ExpiryPick::Custom`].
    pub custom_date: String,
    /// The grants (for a global key: those that hold in every project).
    pub grid: Grid,
    /// The linked personas (a complete set).
    pub personas: Vec<String>,
    /// Creating a project token: its project.
    pub project: String,
    /// A global key (created as one, or being edited).
    pub global: bool,
    pub global_admin: bool,
    /// A global key's projects with grants of their own, in order.
    pub granted_projects: Vec<String>,
    /// Their grids; a project without one has no grants yet.
    pub project_grids: BTreeMap<String, Grid>,
    /// The controls of issue 17, as typed.
    pub controls: Controls,
}

/// Valid from, the allowed networks, metadata and the usage limit, as
/// typed (the strings of their inputs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Controls {
    /// `YYYY-MM-DDTHH:MM` (UTC, as a `datetime-local` input gives it);
    /// empty: valid at once.
    pub not_before: String,
    /// One network or address a line; empty: anywhere.
    pub allowed_ips: String,
    /// A JSON object; empty: none.
    pub meta: String,
    /// Empty: no usage limit.
    pub uses: String,
    /// `""`, `daily` or `monthly`.
    pub refill: String,
}

impl Controls {
    /// The inputs' text for a token's controls.
    pub fn of(
        not_before: Option<OffsetDateTime>,
        allowed_ips: &[String],
        meta: &Meta,
        usage_limit: Option<UsageLimit>,
    ) -> Controls {
        Controls {
            not_before: not_before
                .map(|t| {
                    let t = t.to_offset(time::UtcOffset::UTC);
                    format!("{}T{:02}:{:02}", t.date(), t.hour(), t.minute())
                })
                .unwrap_or_default(),
            allowed_ips: allowed_ips.join("\n"),
            meta: if meta.is_empty() {
                String::new()
            } else {
                meta.as_json().to_string()
            },
            uses: usage_limit.map(|u| u.uses.to_string()).unwrap_or_default(),
            refill: usage_limit
                .and_then(|u| u.refill)
                .map(|r| r.as_str().to_string())
                .unwrap_or_default(),
        }
    }
}

/// The expiry choices a project's policy leaves: the usual day counts up
/// to its maximum (and the maximum itself, in whole days), "never" only if
/// allowed, and the default: 30 days, or the longest allowed under a cap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presets {
    pub days: Vec<u32>,
    pub never: bool,
    pub default: ExpiryPick,
    /// The policy in words; `None` for no policy.
    pub note: Option<String>,
}

pub fn presets(policy: &ExpiryPolicy) -> Presets {
    let usual = [7u32, 30, 90];
    let Some(max) = policy.max_lifetime_seconds else {
        return Presets {
            days: usual.to_vec(),
            never: policy.allow_never,
            default: ExpiryPick::Days(30),
            note: (!policy.allow_never)
                .then(|| "This project requires an expiry on every token.".to_string()),
        };
    };
    let max_days = u32::try_from(max / 86_400).unwrap_or(u32::MAX);
    let mut days: Vec<u32> = usual.into_iter().filter(|d| *d <= max_days).collect();
    if max_days >= 1 && !days.contains(&max_days) {
        days.push(max_days);
    }
    let default = days
        .last()
        .map_or(ExpiryPick::Custom, |d| ExpiryPick::Days(*d));
    let span = keyward_domain::expiry::describe_span(max);
    Presets {
        days,
        never: policy.allow_never,
        default,
        note: Some(if policy.allow_never {
            format!("This project allows an expiry at most {span} away, or none.")
        } else {
            format!("This project requires an expiry at most {span} away.")
        }),
    }
}

/// "7 of 10 uses left, refilled daily"; `remaining` is unknown on lists.
pub fn usage_text(limit: Option<UsageLimit>, remaining: Option<u32>) -> String {
    let Some(l) = limit else {
        return "No limit".into();
    };
    let s = if l.uses == 1 { "" } else { "s" };
    let count = match remaining {
        Some(r) => format!("{r} of {} use{s} left", l.uses),
        None => format!("{} use{s}", l.uses),
    };
    match l.refill {
        Some(r) => format!("{count}, refilled {}", r.as_str()),
        None => format!("{count}, never refilled"),
    }
}

/// What an edit changes in the controls, in words (for the edit summary).
pub fn control_changes(before: &Controls, after: &Controls) -> Vec<&'static str> {
    let lines = |s: &str| -> Vec<String> {
        s.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect()
    };
    let mut out = vec![];
    if before.not_before.trim() != after.not_before.trim() {
        out.push("its start of validity changes");
    }
    if lines(&before.allowed_ips) != lines(&after.allowed_ips) {
        out.push("its allowed networks change");
    }
    if before.meta.trim() != after.meta.trim() {
        out.push("its metadata changes");
    }
    if (before.uses.trim(), &before.refill) != (after.uses.trim(), &after.refill) {
        out.push("its usage limit changes");
    }
    out
}

/// A `datetime-local` value (`YYYY-MM-DDTHH:MM`, seconds optional) as a
/// UTC instant.
pub fn parse_local(s: &str) -> Option<OffsetDateTime> {
    let (date, clock) = s.trim().split_once('T')?;
    let date = ExpiryChoice::parse_date(date)?;
    let mut parts = clock.split(':').map(|p| p.parse::<u8>().ok());
    let (h, m) = (parts.next()??, parts.next()??);
    let sec = parts.next().unwrap_or(Some(0))?;
    let t = time::Time::from_hms(h, m, sec).ok()?;
    Some(date.with_time(t).assume_utc())
}

/// The usage limit typed, or the message for `usage_limit`.
fn usage_limit(c: &Controls) -> Result<Option<UsageLimit>, String> {
    let uses = c.uses.trim();
    if uses.is_empty() {
        return Ok(None);
    }
    match uses.parse::<u32>() {
        Ok(n) if (1..=MAX_USES).contains(&n) => Ok(Some(UsageLimit {
            uses: n,
            refill: Refill::parse(&c.refill),
        })),
        _ => Err(format!(
            "A whole number of uses, 1 to {MAX_USES}; or empty for no limit."
        )),
    }
}

/// What the form hands over on submit: checked, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenDraft {
    pub name: String,
    pub description: String,
    /// `None`: keep the current expiry; `Some(None)`: never.
    pub expiry: Option<Option<OffsetDateTime>>,
    pub grants: Vec<Grant>,
    /// Requests per minute; `None`: the deployment's default.
    pub rate_limit: Option<u32>,
    /// The complete set of linked personas.
    pub personas: Vec<String>,
    /// Creating a project token: its project.
    pub project: Option<String>,
    /// A global key (created as one, or being edited).
    pub global: bool,
    pub global_admin: bool,
    /// A global key's grants per project.
    pub project_grants: ProjectGrants,
    pub not_before: Option<OffsetDateTime>,
    /// As typed, one a line; the API checks them.
    pub allowed_ips: Vec<String>,
    pub meta: Meta,
    pub usage_limit: Option<UsageLimit>,
}

impl TokenDraft {
    /// The body that creates the token.
    pub fn create_body(self) -> CreateToken {
        CreateToken {
            name: self.name,
            description: (!self.description.is_empty()).then_some(self.description),
            grants: Some(self.grants),
            expires_at: self.expiry.flatten(),
            expires_in: None,
            rate_limit: self.rate_limit,
            personas: (!self.personas.is_empty()).then_some(self.personas),
            project: self.project,
            kind: self.global.then_some(TokenKind::Global),
            project_grants: self.global.then_some(self.project_grants),
            global_admin: self.global.then_some(self.global_admin),
            not_before: self.not_before,
            allowed_ips: (!self.allowed_ips.is_empty()).then_some(self.allowed_ips),
            meta: (!self.meta.is_empty()).then_some(self.meta),
            usage_limit: self.usage_limit,
            ..CreateToken::default()
        }
    }

    /// The body that saves an edit: every field, so that what is shown is
    /// what the token holds afterwards.
    pub fn update_body(self) -> UpdateToken {
        UpdateToken {
            name: Some(self.name),
            description: Some(self.description),
            grants: Some(self.grants),
            expires_at: self.expiry,
            rate_limit: Some(self.rate_limit),
            personas: Some(self.personas),
            project_grants: self.global.then_some(self.project_grants),
            global_admin: self.global.then_some(self.global_admin),
            not_before: Some(self.not_before),
            allowed_ips: Some(self.allowed_ips),
            meta: Some(self.meta),
            usage_limit: Some(self.usage_limit),
            ..UpdateToken::default()
        }
    }
}

/// Checks the form as the API would, field by field, before anything is
/// sent; `now` is when the expiry counts from.
pub fn validate(state: &FormState, now: OffsetDateTime) -> Result<TokenDraft, Vec<FieldError>> {
    let mut errors = vec![];
    let name = state.name.trim();
    if name.is_empty() {
        errors.push(FieldError::new("name", "Give the token a name."));
    }
    let rate_limit = match state.rate_limit.trim() {
        "" => None,
        t => match t.parse::<u32>() {
            Ok(n) if (1..=RATE_LIMIT_MAX).contains(&n) => Some(n),
            _ => {
                errors.push(FieldError::new(
                    "rate_limit",
                    format!(
                        "A whole number of requests per minute, 1 to {RATE_LIMIT_MAX}; or empty for the default."
                    ),
                ));
                None
            }
        },
    };
    let expiry = match state.expiry {
        ExpiryPick::Keep => None,
        ExpiryPick::Never => Some(None),
        ExpiryPick::Days(d) => ExpiryChoice::Days(d).expires_at(now).ok(),
        ExpiryPick::Custom => match ExpiryChoice::parse_date(&state.custom_date) {
            None => {
                errors.push(FieldError::new("expires_at", "Choose a date."));
                None
            }
            Some(d) => match ExpiryChoice::On(d).expires_at(now) {
                Ok(at) => Some(at),
                Err(e) => {
                    errors.push(FieldError::new("expires_at", e));
                    None
                }
            },
        },
    };
    let c = &state.controls;
    let not_before = match c.not_before.trim() {
        "" => None,
        t => {
            let at = parse_local(t);
            if at.is_none() {
                errors.push(FieldError::new(
                    "not_before",
                    "A date and time (UTC), or empty.",
                ));
            }
            at
        }
    };
    let meta = match c.meta.trim() {
        "" => Meta::default(),
        // Only its shape is checked here (the API checks keys and size):
        // the app carries metadata as JSON text, never as a value model.
        t => match serde_json::from_str::<Meta>(t) {
            Ok(m) if m.as_json().trim_start().starts_with('{') => m,
            _ => {
                errors.push(FieldError::new(
                    "meta",
                    "A JSON object, like {\"team\": \"data\"}; or empty.",
                ));
                Meta::default()
            }
        },
    };
    let usage_limit = usage_limit(c).unwrap_or_else(|m| {
        errors.push(FieldError::new("usage_limit", m));
        None
    });
    let mut project_grants = ProjectGrants::new();
    if state.global {
        for p in &state.granted_projects {
            let grid = state.project_grids.get(p);
            if grid.is_some_and(|g| !g.problems().is_empty()) {
                errors.push(FieldError::new(
                    "project_grants",
                    format!("In project {p}, some permissions have no resources chosen."),
                ));
            }
            project_grants.insert(p.clone(), grid.map(Grid::grants).unwrap_or_default());
        }
    }
    if !state.grid.problems().is_empty() {
        errors.push(FieldError::new(
            "grants",
            "Some permissions have no resources chosen: see the list under the summary.",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(TokenDraft {
        name: name.to_string(),
        description: state.description.clone(),
        expiry,
        grants: state.grid.grants(),
        rate_limit,
        personas: state.personas.clone(),
        project: (!state.editing && !state.global).then(|| state.project.clone()),
        global: state.global,
        global_admin: state.global && state.global_admin,
        project_grants,
        not_before,
        allowed_ips: c
            .allowed_ips
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
        meta,
        usage_limit,
    })
}

/// The message shown under `field`: the form's own check first, else the
/// API's answer (a 409 on a token form is a name already taken).
pub fn field_message(
    local: &[FieldError],
    failure: Option<&ApiFailure>,
    field: &str,
) -> Option<String> {
    let mine = local
        .iter()
        .find(|e| e.field == field)
        .map(|e| e.message.clone());
    mine.or_else(|| {
        failure.and_then(|f| match field {
            "expires_at" => f.field("expires_at").or_else(|| f.field("expires_in")),
            "name" if f.code() == Some(ErrorCode::Conflict) => f
                .field("name")
                .or_else(|| f.problem.as_ref().map(|p| p.detail.clone())),
            "allowed_ips" | "meta" | "usage_limit" => each(f, field).or_else(|| f.field(field)),
            other => f.field(other),
        })
    })
}

/// The API's errors under a list or object field (`allowed_ips[2]`,
/// `meta.x`, `usage_limit.uses`), in one line; a list's say which line.
fn each(f: &ApiFailure, field: &str) -> Option<String> {
    let mut all = f.fields_with_prefix(&format!("{field}["));
    all.extend(f.fields_with_prefix(&format!("{field}.")));
    let lines: Vec<String> = all
        .into_iter()
        .map(|(name, m)| {
            let rest = &name[field.len()..];
            match rest
                .strip_prefix('[')
                .and_then(|r| r.trim_end_matches(']').parse::<usize>().ok())
            {
                Some(i) => format!("Line {}: {m}", i + 1),
                None => format!("{}: {m}", rest.trim_start_matches('.')),
            }
        })
        .collect();
    (!lines.is_empty()).then(|| lines.join("; "))
}

/// The form's fields in the order they appear: the field's name in the
/// API, its label, and the id of the element that takes focus for it.
pub const FIELDS: [(&str, &str, &str); 12] = [
    ("name", "Name", "token-name"),
    ("description", "Description", "token-description"),
    ("rate_limit", "Rate limit", "token-rate-limit"),
    ("expires_at", "Expiration", "token-expiry"),
    ("not_before", "Valid from", "token-not-before"),
    ("usage_limit", "Usage limit", "token-uses"),
    ("allowed_ips", "Allowed networks", "token-allowed-ips"),
    ("meta", "Metadata", "token-meta-json"),
    ("project", "Project", "token-scope"),
    ("grants", "Permissions", "token-grants"),
    ("personas", "Personas", "error-personas"),
    (
        "project_grants",
        "Permissions per project",
        "error-project_grants",
    ),
];

/// One problem to list at the top of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormProblem {
    pub label: &'static str,
    /// The element to scroll to and focus.
    pub anchor: &'static str,
    pub message: String,
}

/// Every field's problem, in the form's order (the first is the one to
/// focus): the form's own checks first, else the API's answer; the API's
/// `grants[i]` errors count as the permissions'.
pub fn form_problems(local: &[FieldError], failure: Option<&ApiFailure>) -> Vec<FormProblem> {
    FIELDS
        .iter()
        .filter_map(|&(field, label, anchor)| {
            let message = field_message(local, failure, field).or_else(|| {
                (field == "grants")
                    .then(|| {
                        let each = failure?.fields_with_prefix("grants[");
                        (!each.is_empty()).then(|| {
                            each.into_iter()
                                .map(|(_, m)| m)
                                .collect::<Vec<_>>()
                                .join("; ")
                        })
                    })
                    .flatten()
            })?;
            Some(FormProblem {
                label,
                anchor,
                message,
            })
        })
        .collect()
}

/// The API's `grants[i]` errors, placed on the rows of the grants sent.
pub fn grant_errors(failure: Option<&ApiFailure>, sent: &[Grant]) -> Vec<GrantError> {
    let Some(f) = failure else { return vec![] };
    f.fields_with_prefix("grants[")
        .into_iter()
        .filter_map(|(field, message)| {
            let i: usize = field
                .trim_start_matches("grants[")
                .split(']')
                .next()?
                .parse()
                .ok()?;
            let g = sent.get(i)?;
            Some((
                g.service.clone(),
                g.permission.clone(),
                format!("{g}: {message}"),
            ))
        })
        .collect()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use keyward_domain::{Catalog, Problem};
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-29 12:00 UTC);

    fn catalog() -> Catalog {
        Catalog::from_json(include_str!("../../../../worker/catalog.json")).unwrap()
    }

    fn g(s: &str) -> Grant {
        Grant::parse_compact(s).unwrap()
    }

    /// A valid new project token: a name, 30 days, one grant.
    fn valid() -> FormState {
        FormState {
            editing: false,
            name: "  ci deploy  ".into(),
            description: "for CI".into(),
            rate_limit: String::new(),
            expiry: ExpiryPick::Days(30),
            custom_date: String::new(),
            grid: Grid::from_grants(catalog(), &[g("storage:read@in.c-main")]),
            personas: vec![],
            project: "default".into(),
            global: false,
            global_admin: false,
            granted_projects: vec![],
            project_grids: BTreeMap::new(),
            controls: Controls::default(),
        }
    }

    fn fields(r: Result<TokenDraft, Vec<FieldError>>) -> Vec<String> {
        r.expect_err("invalid")
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_valid_form_gives_the_draft_and_its_create_body() {
        let draft = validate(&valid(), NOW).unwrap();
        assert_eq!(draft.name, "ci deploy");
        assert_eq!(draft.grants, vec![g("storage:read@in.c-main")]);
        assert_eq!(draft.rate_limit, None);
        assert_eq!(draft.project.as_deref(), Some("default"));
        let expected = ExpiryChoice::Days(30).expires_at(NOW).unwrap();
        assert_eq!(draft.expiry, Some(expected));
        let body = draft.create_body();
        assert_eq!(body.name, "ci deploy");
        assert_eq!(body.description.as_deref(), Some("for CI"));
        assert_eq!(body.expires_at, expected);
        assert_eq!(body.grants, Some(vec![g("storage:read@in.c-main")]));
        assert_eq!(
            (body.kind, body.personas, body.project_grants),
            (None, None, None)
        );
        assert_eq!(body.project.as_deref(), Some("default"));
    }

    #[test]
    fn an_edit_keeps_the_expiry_and_sends_every_field() {
        let state = FormState {
            editing: true,
            expiry: ExpiryPick::Keep,
            rate_limit: " 120 ".into(),
            personas: vec!["per_a".into()],
            ..valid()
        };
        let draft = validate(&state, NOW).unwrap();
        assert_eq!(draft.project, None, "a token never changes project");
        let body = draft.update_body();
        assert_eq!(body.expires_at, None);
        assert_eq!(body.rate_limit, Some(Some(120)));
        assert_eq!(body.personas, Some(vec!["per_a".to_string()]));
        assert_eq!(body.description.as_deref(), Some("for CI"));
        assert_eq!((body.project_grants, body.global_admin), (None, None));
    }

    #[test]
    fn never_and_a_custom_date_are_expiries() {
        let never = FormState {
            expiry: ExpiryPick::Never,
            ..valid()
        };
        assert_eq!(validate(&never, NOW).unwrap().expiry, Some(None));
        let custom = FormState {
            expiry: ExpiryPick::Custom,
            custom_date: "2027-01-31".into(),
            ..valid()
        };
        assert_eq!(
            validate(&custom, NOW).unwrap().expiry,
            Some(Some(datetime!(2027-01-31 23:59:59 UTC)))
        );
    }

    #[test]
    fn the_controls_go_into_both_bodies() {
        let state = FormState {
            controls: Controls {
                not_before: "2026-12-01T08:30".into(),
                allowed_ips: " 10.0.0.0/8 \n\n2001:db8::/32\n".into(),
                meta: r#"{"team": "data"}"#.into(),
                uses: "10".into(),
                refill: "daily".into(),
            },
            ..valid()
        };
        let draft = validate(&state, NOW).unwrap();
        assert_eq!(draft.not_before, Some(datetime!(2026-12-01 08:30 UTC)));
        assert_eq!(draft.allowed_ips, ["10.0.0.0/8", "2001:db8::/32"]);
        let limit = Some(UsageLimit {
            uses: 10,
            refill: Some(Refill::Daily),
        });
        assert_eq!(draft.usage_limit, limit);
        let body = draft.clone().create_body();
        assert_eq!(body.allowed_ips.as_ref().map(Vec::len), Some(2));
        assert_eq!(
            body.meta.as_ref().map(|m| m.matches("team", "data")),
            Some(true)
        );
        assert_eq!(body.usage_limit, limit);
        let edit = draft.update_body();
        assert_eq!(edit.not_before, Some(Some(datetime!(2026-12-01 08:30 UTC))));
        assert_eq!(edit.usage_limit, Some(limit));
        // Empty controls: nothing on create, cleared on edit.
        let plain = validate(&valid(), NOW).unwrap();
        let body = plain.clone().create_body();
        assert_eq!(
            (
                body.not_before,
                body.allowed_ips,
                body.meta,
                body.usage_limit
            ),
            (None, None, None, None)
        );
        let edit = plain.update_body();
        assert_eq!(edit.allowed_ips, Some(vec![]));
        assert_eq!(
            (edit.not_before, edit.usage_limit),
            (Some(None), Some(None))
        );
    }

    #[test]
    fn bad_controls_are_refused_by_field() {
        let state = FormState {
            controls: Controls {
                not_before: "tomorrow".into(),
                allowed_ips: "not a network".into(),
                meta: "[1]".into(),
                uses: "0".into(),
                refill: String::new(),
            },
            ..valid()
        };
        // Networks are the API's to check: its errors land on the field.
        assert_eq!(
            fields(validate(&state, NOW)),
            ["not_before", "meta", "usage_limit"]
        );
    }

    #[test]
    fn controls_read_back_from_a_token_round_trip() {
        let limit = Some(UsageLimit {
            uses: 5,
            refill: Some(Refill::Monthly),
        });
        let meta: Meta = serde_json::from_str(r#"{"team":"data"}"#).unwrap();
        let c = Controls::of(
            Some(datetime!(2026-12-01 08:30 UTC)),
            &["10.0.0.0/8".to_string(), "::1/128".to_string()],
            &meta,
            limit,
        );
        assert_eq!(c.not_before, "2026-12-01T08:30");
        let draft = validate(
            &FormState {
                controls: c.clone(),
                ..valid()
            },
            NOW,
        )
        .unwrap();
        assert_eq!(draft.not_before, Some(datetime!(2026-12-01 08:30 UTC)));
        assert_eq!(draft.allowed_ips, ["10.0.0.0/8", "::1/128"]);
        assert_eq!(draft.meta, meta);
        assert_eq!(draft.usage_limit, limit);
        assert!(control_changes(&c, &c).is_empty());
        let changed = Controls {
            allowed_ips: String::new(),
            uses: "6".into(),
            ..c.clone()
        };
        assert_eq!(
            control_changes(&c, &changed),
            ["its allowed networks change", "its usage limit changes"]
        );
    }

    #[test]
    fn expiry_presets_follow_the_projects_policy() {
        let p = presets(&ExpiryPolicy::default());
        assert_eq!(
            (p.days, p.never, p.default, p.note),
            (vec![7, 30, 90], true, ExpiryPick::Days(30), None)
        );
        let capped = presets(&ExpiryPolicy {
            max_lifetime_seconds: Some(60 * 86_400),
            allow_never: false,
        });
        assert_eq!(capped.days, [7, 30, 60]);
        assert!(!capped.never);
        assert_eq!(capped.default, ExpiryPick::Days(60), "the longest allowed");
        assert_eq!(
            capped.note.as_deref(),
            Some("This project requires an expiry at most 60 days away.")
        );
        let short = presets(&ExpiryPolicy {
            max_lifetime_seconds: Some(12 * 3_600),
            allow_never: true,
        });
        assert_eq!(
            (short.days, short.never, short.default),
            (vec![], true, ExpiryPick::Custom)
        );
        let ninety = presets(&ExpiryPolicy {
            max_lifetime_seconds: Some(90 * 86_400),
            allow_never: true,
        });
        assert_eq!(
            (ninety.days, ninety.default),
            (vec![7, 30, 90], ExpiryPick::Days(90))
        );
        let no_never = presets(&ExpiryPolicy {
            max_lifetime_seconds: None,
            allow_never: false,
        });
        assert_eq!((no_never.days.len(), no_never.never), (3, false));
    }

    #[test]
    fn usage_is_said_in_words() {
        let l = |uses, refill| Some(UsageLimit { uses, refill });
        assert_eq!(
            usage_text(l(10, Some(Refill::Daily)), Some(7)),
            "7 of 10 uses left, refilled daily"
        );
        assert_eq!(
            usage_text(l(1, None), Some(0)),
            "0 of 1 use left, never refilled"
        );
        assert_eq!(
            usage_text(l(5, Some(Refill::Monthly)), None),
            "5 uses, refilled monthly"
        );
        assert_eq!(usage_text(None, None), "No limit");
    }

    #[test]
    fn the_apis_network_errors_name_their_line() {
        let api = failure(
            ErrorCode::InvalidRequest,
            "bad",
            &[
                ("allowed_ips[1]", "is not an IP network"),
                ("meta.a b", "bad key"),
            ],
        );
        assert_eq!(
            field_message(&[], Some(&api), "allowed_ips").as_deref(),
            Some("Line 2: is not an IP network")
        );
        assert_eq!(
            field_message(&[], Some(&api), "meta").as_deref(),
            Some("a b: bad key")
        );
        let problems = form_problems(&[], Some(&api));
        assert_eq!(problems[0].anchor, "token-allowed-ips");
    }

    #[test]
    fn a_blank_name_is_refused() {
        let state = FormState {
            name: "   ".into(),
            ..valid()
        };
        assert_eq!(fields(validate(&state, NOW)), ["name"]);
    }

    #[test]
    fn a_rate_limit_must_be_a_whole_number_in_range() {
        for bad in ["0", "-1", "1.5", "lots", &(RATE_LIMIT_MAX + 1).to_string()] {
            let state = FormState {
                rate_limit: bad.into(),
                ..valid()
            };
            assert_eq!(fields(validate(&state, NOW)), ["rate_limit"], "{bad}");
        }
        let max = FormState {
            rate_limit: RATE_LIMIT_MAX.to_string(),
            ..valid()
        };
        assert_eq!(
            validate(&max, NOW).unwrap().rate_limit,
            Some(RATE_LIMIT_MAX)
        );
    }

    #[test]
    fn a_custom_expiry_needs_a_future_date() {
        let missing = FormState {
            expiry: ExpiryPick::Custom,
            custom_date: String::new(),
            ..valid()
        };
        let errors = validate(&missing, NOW).unwrap_err();
        assert_eq!(
            errors,
            vec![FieldError::new("expires_at", "Choose a date.")]
        );
        let past = FormState {
            expiry: ExpiryPick::Custom,
            custom_date: "2020-01-01".into(),
            ..valid()
        };
        assert_eq!(fields(validate(&past, NOW)), ["expires_at"]);
    }

    #[test]
    fn a_permission_without_its_resources_is_refused() {
        let mut state = valid();
        state.grid.set_all("storage", "write", false);
        assert_eq!(fields(validate(&state, NOW)), ["grants"]);
    }

    #[test]
    fn a_global_key_sends_its_grants_per_project_and_no_project() {
        let mut state = FormState {
            global: true,
            granted_projects: vec!["analytics".into(), "sales".into()],
            ..valid()
        };
        state.project_grids.insert(
            "analytics".into(),
            Grid::from_grants(catalog(), &[g("audit:read")]),
        );
        let draft = validate(&state, NOW).unwrap();
        assert_eq!(draft.project, None);
        assert_eq!(draft.project_grants["analytics"], vec![g("audit:read")]);
        assert_eq!(
            draft.project_grants["sales"],
            vec![],
            "chosen, nothing ticked"
        );
        let body = draft.create_body();
        assert_eq!(body.kind, Some(TokenKind::Global));
        assert_eq!(body.global_admin, Some(false));

        state
            .project_grids
            .get_mut("analytics")
            .unwrap()
            .set_all("storage", "read", false);
        assert_eq!(fields(validate(&state, NOW)), ["project_grants"]);
        // Only a global key's projects count.
        state.global = false;
        assert!(validate(&state, NOW).is_ok());
    }

    #[test]
    fn global_admin_holds_only_for_a_global_key() {
        let state = FormState {
            global_admin: true,
            ..valid()
        };
        assert!(!validate(&state, NOW).unwrap().global_admin);
    }

    #[test]
    fn every_invalid_field_is_reported_in_form_order() {
        let mut state = FormState {
            name: String::new(),
            rate_limit: "0".into(),
            expiry: ExpiryPick::Custom,
            ..valid()
        };
        state.grid.set_all("storage", "write", false);
        assert_eq!(
            fields(validate(&state, NOW)),
            ["name", "rate_limit", "expires_at", "grants"]
        );
    }

    fn failure(code: ErrorCode, detail: &str, errors: &[(&str, &str)]) -> ApiFailure {
        let mut problem = Problem::new(code, detail);
        if !errors.is_empty() {
            problem.errors = Some(
                errors
                    .iter()
                    .map(|(f, m)| FieldError::new(*f, *m))
                    .collect(),
            );
        }
        ApiFailure {
            status: 400,
            message: detail.into(),
            problem: Some(problem),
        }
    }

    #[test]
    fn field_messages_prefer_the_forms_own_then_the_apis() {
        let local = vec![FieldError::new("name", "Give the token a name.")];
        let api = failure(
            ErrorCode::InvalidRequest,
            "bad",
            &[("name", "too long"), ("expires_in", "too far")],
        );
        assert_eq!(
            field_message(&local, Some(&api), "name").as_deref(),
            Some("Give the token a name.")
        );
        assert_eq!(
            field_message(&[], Some(&api), "name").as_deref(),
            Some("too long")
        );
        assert_eq!(
            field_message(&[], Some(&api), "expires_at").as_deref(),
            Some("too far")
        );
        assert_eq!(field_message(&[], Some(&api), "rate_limit"), None);
        assert_eq!(field_message(&[], None, "name"), None);
        let taken = failure(ErrorCode::Conflict, "A token named x exists.", &[]);
        assert_eq!(
            field_message(&[], Some(&taken), "name").as_deref(),
            Some("A token named x exists.")
        );
    }

    #[test]
    fn grant_errors_land_on_the_rows_sent() {
        let sent = vec![g("audit:read"), g("storage:read@in.c-main")];
        let api = failure(
            ErrorCode::InvalidRequest,
            "bad",
            &[
                ("grants[1]", "not held"),
                ("grants[7]", "gone"),
                ("name", "x"),
            ],
        );
        let errors = grant_errors(Some(&api), &sent);
        assert_eq!(errors.len(), 1);
        assert_eq!(
            (errors[0].0.as_str(), errors[0].1.as_str()),
            ("storage", "read")
        );
        assert!(errors[0].2.ends_with(": not held"), "{}", errors[0].2);
        assert!(grant_errors(None, &sent).is_empty());
    }

    #[test]
    fn problems_are_listed_in_the_forms_order_with_where_to_focus() {
        let local = vec![
            FieldError::new("grants", "Some permissions have no resources chosen."),
            FieldError::new("rate_limit", "A whole number."),
            FieldError::new("name", "Give the token a name."),
        ];
        let problems = form_problems(&local, None);
        let order: Vec<_> = problems.iter().map(|p| p.anchor).collect();
        assert_eq!(order, ["token-name", "token-rate-limit", "token-grants"]);
        assert_eq!(problems[0].label, "Name");
        assert_eq!(problems[0].message, "Give the token a name.");
        assert!(form_problems(&[], None).is_empty());
    }

    #[test]
    fn the_apis_field_errors_are_problems_too() {
        let api = failure(
            ErrorCode::InvalidRequest,
            "bad",
            &[
                ("grants[0]", "not held"),
                ("description", "control characters"),
            ],
        );
        let problems = form_problems(&[], Some(&api));
        assert_eq!(
            problems,
            vec![
                FormProblem {
                    label: "Description",
                    anchor: "token-description",
                    message: "control characters".into()
                },
                FormProblem {
                    label: "Permissions",
                    anchor: "token-grants",
                    message: "not held".into()
                },
            ]
        );
        // A failure naming no field (a network error) is not a field's problem.
        assert!(form_problems(&[], Some(&failure(ErrorCode::Unavailable, "down", &[]))).is_empty());
        // Every anchor is distinct.
        let mut anchors: Vec<_> = FIELDS.iter().map(|f| f.2).collect();
        anchors.dedup();
        assert_eq!(anchors.len(), FIELDS.len());
    }
}
