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
mod tests;
