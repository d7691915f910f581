//! The token form, shared by create and edit: name, description, expiry,
//! the permission grid and its summary. It never clears itself on failure.

use crate::api::ApiFailure;
use crate::components::common::ErrorBanner;
use crate::components::grid::{GrantError, GrantSummary, Known, PermissionGrid};
use crate::format;
use keyward_domain::api::WhoAmI;
use keyward_domain::describe::{ExpiryChoice, Grid};
use keyward_domain::{Catalog, Effective, ErrorCode, Grant, Resource, TokenKind};
use leptos::prelude::*;
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryPick {
    /// Editing only: leave the expiry as it is.
    Keep,
    Days(u32),
    Custom,
    Never,
}

/// What the form hands over on submit.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenDraft {
    pub name: String,
    pub description: String,
    /// `None`: keep the current expiry; `Some(None)`: never.
    pub expiry: Option<Option<OffsetDateTime>>,
    pub grants: Vec<Grant>,
    /// Requests per minute; `None`: the deployment's default.
    pub rate_limit: Option<u32>,
}

/// Starting values: empty for create, the token's for edit.
#[derive(Debug, Clone, Default)]
pub struct FormInit {
    pub name: String,
    pub description: String,
    pub grants: Vec<Grant>,
    /// Editing: the current expiry, offered as "keep".
    pub current_expiry: Option<Option<OffsetDateTime>>,
    pub rate_limit: Option<u32>,
}

#[component]
pub fn TokenForm(
    catalog: Catalog,
    init: FormInit,
    #[prop(into)] known: Signal<Known>,
    #[prop(into)] pending: Signal<bool>,
    #[prop(into)] failure: Signal<Option<ApiFailure>>,
    #[prop(into)] submit_label: String,
    #[prop(into)] pending_label: String,
    on_submit: Callback<TokenDraft>,
    #[prop(optional)] on_cancel: Option<Callback<()>>,
) -> impl IntoView {
    let editing = init.current_expiry.is_some();
    let name = RwSignal::new(init.name.clone());
    let description = RwSignal::new(init.description.clone());
    let rate_limit = RwSignal::new(init.rate_limit.map(|r| r.to_string()).unwrap_or_default());
    let pick = RwSignal::new(if editing {
        ExpiryPick::Keep
    } else {
        ExpiryPick::Days(30)
    });
    let custom_date = RwSignal::new(String::new());
    let session = crate::session::use_session();
    let held = {
        let catalog = catalog.clone();
        Signal::derive(move || {
            session
                .whoami
                .with(|w| w.as_ref().map(|w| held_by(&catalog, w)))
        })
    };
    let grid = RwSignal::new(Grid::from_grants(catalog, &init.grants));
    // Client-side checks, by field, before anything is sent.
    let local = RwSignal::new(Vec::<(String, String)>::new());
    // The grants last sent, to place `grants[i]` errors next to their rows.
    let sent = RwSignal::new(Vec::<Grant>::new());

    let field_error = move |field: &'static str| {
        move || {
            let mine = local.with(|l| {
                l.iter()
                    .filter(|(f, _)| f == field)
                    .map(|(_, m)| m.clone())
                    .next()
            });
            mine.or_else(|| {
                failure.with(|f| {
                    f.as_ref().and_then(|f| match field {
                        "expires_at" => f.field("expires_at").or_else(|| f.field("expires_in")),
                        // A 409 on a token form is a name already taken.
                        "name" if f.code() == Some(ErrorCode::Conflict) => f
                            .field("name")
                            .or_else(|| f.problem.as_ref().map(|p| p.detail.clone())),
                        other => f.field(other),
                    })
                })
            })
        }
    };
    let grant_errors = Signal::derive(move || {
        failure.with(|f| {
            let Some(f) = f else { return vec![] };
            sent.with(|sent| {
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
                    .collect::<Vec<GrantError>>()
            })
        })
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut errors = vec![];
        let n = name.get_untracked();
        if n.trim().is_empty() {
            errors.push(("name".to_string(), "Give the token a name.".to_string()));
        }
        let limit_text = rate_limit.get_untracked();
        let limit = match limit_text.trim() {
            "" => None,
            t => match t.parse::<u32>() {
                Ok(n) if (1..=keyward_domain::validate::RATE_LIMIT_MAX).contains(&n) => Some(n),
                _ => {
                    errors.push((
                        "rate_limit".into(),
                        format!(
                            "A whole number of requests per minute, 1 to {}; or empty for the default.",
                            keyward_domain::validate::RATE_LIMIT_MAX
                        ),
                    ));
                    None
                }
            },
        };
        let expiry = match pick.get_untracked() {
            ExpiryPick::Keep => None,
            ExpiryPick::Never => Some(None),
            ExpiryPick::Days(d) => ExpiryChoice::Days(d).expires_at(format::now()).ok(),
            ExpiryPick::Custom => match ExpiryChoice::parse_date(&custom_date.get_untracked()) {
                None => {
                    errors.push(("expires_at".into(), "Choose a date.".into()));
                    None
                }
                Some(d) => match ExpiryChoice::On(d).expires_at(format::now()) {
                    Ok(at) => Some(at),
                    Err(e) => {
                        errors.push(("expires_at".into(), e));
                        None
                    }
                },
            },
        };
        let problems = grid.with_untracked(|g| g.problems());
        if !problems.is_empty() {
            errors.push((
                "grants".into(),
                "Some permissions have no resources chosen: see the list under the summary.".into(),
            ));
        }
        let has_errors = !errors.is_empty();
        local.set(errors);
        if has_errors {
            return;
        }
        let grants = grid.with_untracked(|g| g.grants());
        sent.set(grants.clone());
        on_submit.run(TokenDraft {
            name: n.trim().to_string(),
            description: description.get_untracked(),
            expiry,
            grants,
            rate_limit: limit,
        });
    };

    let name_error = field_error("name");
    let description_error = field_error("description");
    let expiry_error = field_error("expires_at");
    let rate_limit_error = field_error("rate_limit");
    let grants_error = field_error("grants");
    let current = init.current_expiry.map(|c| match c {
        None => "Keep: never expires".to_string(),
        Some(at) => format!("Keep: {}", format::when(at)),
    });

    let today = format::now().date().to_string();
    let expiry_option = move |p: ExpiryPick, label: String, testid: &'static str| {
        view! {
            <label class="choice">
                <input
                    type="radio"
                    name="expiry"
                    data-testid=testid
                    prop:checked=move || pick.get() == p
                    on:change=move |_| pick.set(p)
                />
                {label}
            </label>
        }
    };

    view! {
        <form class="token-form" data-testid="token-form" on:submit=submit novalidate>
            <div class="field">
                <label for="token-name">"Name"</label>
                <input
                    id="token-name"
                    type="text"
                    required
                    maxlength="100"
                    autocomplete="off"
                    data-testid="token-name"
                    aria-invalid=move || name_error().is_some().to_string()
                    aria-describedby="token-name-error"
                    bind:value=name
                />
                <p class="field-error" id="token-name-error" data-testid="error-name">{name_error}</p>
            </div>
            <div class="field">
                <label for="token-description">"Description " <span class="muted">"(optional)"</span></label>
                <textarea
                    id="token-description"
                    rows="2"
                    maxlength="1000"
                    data-testid="token-description"
                    aria-describedby="token-description-error"
                    prop:value=move || description.get()
                    on:input=move |ev| description.set(event_target_value(&ev))
                ></textarea>
                <p class="field-error" id="token-description-error" data-testid="error-description">{description_error}</p>
            </div>
            <div class="field">
                <label for="token-rate-limit">"Rate limit " <span class="muted">"(requests per minute; empty: the deployment's default)"</span></label>
                <input
                    id="token-rate-limit"
                    type="number"
                    min="1"
                    max="100000"
                    inputmode="numeric"
                    placeholder="Default"
                    data-testid="token-rate-limit"
                    aria-invalid=move || rate_limit_error().is_some().to_string()
                    aria-describedby="token-rate-limit-error"
                    bind:value=rate_limit
                />
                <p class="field-error" id="token-rate-limit-error" data-testid="error-rate_limit">{rate_limit_error}</p>
            </div>
            <fieldset class="field expiry-field" aria-describedby="expiry-error">
                <legend>"Expiration"</legend>
                <div class="choices">
                    {current.map(|c| expiry_option(ExpiryPick::Keep, c, "expiry-keep"))}
                    {expiry_option(ExpiryPick::Days(7), "7 days".into(), "expiry-7")}
                    {expiry_option(ExpiryPick::Days(30), "30 days".into(), "expiry-30")}
                    {expiry_option(ExpiryPick::Days(90), "90 days".into(), "expiry-90")}
                    {expiry_option(ExpiryPick::Custom, "Custom date".into(), "expiry-custom")}
                    {expiry_option(ExpiryPick::Never, "Never".into(), "expiry-never")}
                </div>
                <Show when=move || pick.get() == ExpiryPick::Custom>
                    <label class="date-label">
                        "Expires at the end of (UTC)"
                        <input
                            type="date"
                            min=today.clone()
                            data-testid="expiry-date"
                            bind:value=custom_date
                        />
                    </label>
                </Show>
                <Show when=move || pick.get() == ExpiryPick::Never>
                    <p class="banner banner-warn" data-testid="never-warning" role="note">
                        <strong>"Warning: "</strong>
                        "a token that never expires stays valid until someone deletes it. Prefer an expiry and refresh the token when needed."
                    </p>
                </Show>
                <p class="field-error" id="expiry-error" data-testid="error-expires_at">{expiry_error}</p>
            </fieldset>
            <section class="field">
                <h3 class="section-title">"Permissions"</h3>
                <p class="muted">
                    "A token starts with no permissions. Tick what it needs; permissions on buckets or components apply to all of them or only to the ones you pick."
                </p>
                <PermissionGrid grid known errors=grant_errors held />
            </section>
            <GrantSummary grid />
            <p class="field-error" data-testid="error-grants">{grants_error}</p>
            <ErrorBanner failure />
            <div class="actions">
                <button type="submit" class="primary" data-testid="token-submit" disabled=move || pending.get()>
                    {move || if pending.get() { pending_label.clone() } else { submit_label.clone() }}
                </button>
                {on_cancel.map(|cancel| view! {
                    <button type="button" class="secondary" data-testid="token-cancel" on:click=move |_| cancel.run(())>
                        "Cancel"
                    </button>
                })}
            </div>
        </form>
    }
}

/// What the signed-in token holds, and so may grant: everything for a
/// master token, else its effective permissions.
fn held_by(catalog: &Catalog, who: &WhoAmI) -> Effective {
    if who.token.kind == TokenKind::Master {
        return Effective::everything(catalog);
    }
    let grants: Vec<Grant> = who
        .permissions
        .iter()
        .flat_map(|s| {
            s.permissions.iter().flat_map(move |p| {
                if p.resources.is_empty() {
                    vec![Grant::new(&s.service, &p.permission, None)]
                } else {
                    p.resources
                        .iter()
                        .map(|r| Grant::new(&s.service, &p.permission, Some(Resource::parse(r))))
                        .collect()
                }
            })
        })
        .collect();
    Effective::of(catalog, &grants)
}
