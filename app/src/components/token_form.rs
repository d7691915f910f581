//! The token form, shared by create and edit: name, description, expiry,
//! the permission grid and its summary. It never clears itself on failure.

use crate::api::ApiFailure;
use crate::components::common::ErrorBanner;
use crate::components::grid::{GrantError, GrantSummary, Known, PermissionGrid};
use crate::components::personas::{persona_grants, persona_names, PersonaPicker};
use crate::format;
use keyward_domain::api::{Persona, Project, ProjectGrants, WhoAmI};
use keyward_domain::describe::{ExpiryChoice, Grid};
use keyward_domain::{Catalog, Effective, ErrorCode, Grant};
use leptos::prelude::*;
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
    /// The complete set of linked personas.
    pub personas: Vec<String>,
    /// Creating a project token: its project.
    pub project: Option<String>,
    /// A global key (created as one, or being edited).
    pub global: bool,
    pub global_admin: bool,
    /// A global key's grants per project.
    pub project_grants: ProjectGrants,
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
    pub personas: Vec<String>,
    /// Creating: the project offered first. Editing: unused.
    pub project: Option<String>,
    /// Editing a global key.
    pub global: bool,
    pub global_admin: bool,
    pub project_grants: ProjectGrants,
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
    /// Personas that can be linked; the picker shows when there are any
    /// (or any are linked).
    #[prop(optional, into)]
    personas: Signal<Vec<Persona>>,
    /// Creating: the projects a token may be made in (no choice if empty).
    #[prop(optional, into)]
    projects: Signal<Vec<Project>>,
    /// Creating: the chosen project, shared with the page (whose bucket
    /// list feeds the grid).
    #[prop(optional)]
    project: Option<RwSignal<String>>,
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
    let grid = RwSignal::new(Grid::from_grants(catalog.clone(), &init.grants));
    let chosen_personas = RwSignal::new(init.personas.clone());
    let persona_extra =
        Signal::derive(move || personas.with(|ps| chosen_personas.with(|c| persona_grants(ps, c))));
    let persona_sources =
        Signal::derive(move || personas.with(|ps| chosen_personas.with(|c| persona_names(ps, c))));
    let project = project.unwrap_or_else(|| {
        RwSignal::new(
            init.project
                .clone()
                .unwrap_or_else(|| keyward_domain::DEFAULT_PROJECT.to_string()),
        )
    });
    let global = RwSignal::new(init.global);
    let global_admin = RwSignal::new(init.global_admin);
    // A global key's per-project grids, made on first choice of a project
    // and kept (with their ticks) if it is unchosen and chosen again.
    let owner = Owner::current();
    let project_grids = StoredValue::new(
        init.project_grants
            .iter()
            .map(|(p, g)| {
                (
                    p.clone(),
                    RwSignal::new(Grid::from_grants(catalog.clone(), g)),
                )
            })
            .collect::<BTreeMap<String, RwSignal<Grid>>>(),
    );
    let granted_projects =
        RwSignal::new(init.project_grants.keys().cloned().collect::<Vec<String>>());
    let grid_of = {
        let catalog = catalog.clone();
        move |p: &str| -> RwSignal<Grid> {
            if let Some(g) = project_grids.with_value(|m| m.get(p).copied()) {
                return g;
            }
            let make = || RwSignal::new(Grid::new(catalog.clone()));
            let g = match &owner {
                Some(o) => o.with(make),
                None => make(),
            };
            project_grids.update_value(|m| {
                m.insert(p.to_string(), g);
            });
            g
        }
    };
    let grid_of_submit = grid_of.clone();
    // Creating: where the token works. Editing a global key: its
    // per-project grants (a token never changes project).
    let show_scope = !editing || init.global;
    let may_global = session.is_full_admin();
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
        let is_global = global.get_untracked();
        let mut project_grants = ProjectGrants::new();
        if is_global {
            for p in granted_projects.get_untracked() {
                let g = grid_of_submit(&p);
                if !g.with_untracked(|g| g.problems()).is_empty() {
                    errors.push((
                        "project_grants".into(),
                        format!("In project {p}, some permissions have no resources chosen."),
                    ));
                }
                project_grants.insert(p, g.with_untracked(|g| g.grants()));
            }
        }
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
            personas: chosen_personas.get_untracked(),
            project: (!editing && !is_global).then(|| project.get_untracked()),
            global: is_global,
            global_admin: is_global && global_admin.get_untracked(),
            project_grants,
        });
    };

    let name_error = field_error("name");
    let description_error = field_error("description");
    let expiry_error = field_error("expires_at");
    let rate_limit_error = field_error("rate_limit");
    let grants_error = field_error("grants");
    let project_error = field_error("project");
    let project_grants_error = field_error("project_grants");
    let personas_error = field_error("personas");
    let picker_catalog = catalog.clone();
    let scope_section = show_scope.then(|| {
        view! {
            <ScopeSection projects project global global_admin granted_projects may_global editing />
            <p class="field-error" data-testid="error-project">{project_error}</p>
        }
    });
    let grid_of_view = grid_of.clone();
    let project_grid_views = move || {
        let grid_of = grid_of_view.clone();
        view! {
            <Show when=move || global.get() && !global_admin.get()>
                {
                    let grid_of = grid_of.clone();
                    view! {
                        <For each=move || granted_projects.get() key=|p| p.clone() let:p>
                            {
                                let g = grid_of(&p);
                                view! {
                                    <section class="field project-grid" data-testid=format!("project-grid-{p}")>
                                        <h3 class="section-title">{format!("Permissions in project {p} only")}</h3>
                                        <PermissionGrid grid=g known held prefix=format!("{p}-") />
                                        <GrantSummary grid=g heading=format!("In project {p}, in addition") />
                                    </section>
                                }
                            }
                        </For>
                    }
                }
            </Show>
            <p class="field-error" data-testid="error-project_grants">{project_grants_error}</p>
        }
    };
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
            {scope_section}
            <Show when=move || !(global.get() && global_admin.get())>
                <section class="field">
                    <h3 class="section-title">{move || if global.get() { "Permissions in every project" } else { "Permissions" }}</h3>
                    <p class="muted">
                        "A token starts with no permissions. Tick what it needs; permissions on buckets or components apply to all of them or only to the ones you pick."
                    </p>
                    <PermissionGrid grid known errors=grant_errors held />
                </section>
            </Show>
            <Show when=move || personas.with(|p| !p.is_empty()) || chosen_personas.with(|c| !c.is_empty())>
                <PersonaPicker personas chosen=chosen_personas catalog=picker_catalog.clone() subject="token" />
                <p class="field-error" data-testid="error-personas">{personas_error}</p>
            </Show>
            <Show
                when=move || !(global.get() && global_admin.get())
                fallback=|| view! {
                    <section class="summary" aria-live="polite">
                        <h3>"This token will be able to"</h3>
                        <p data-testid="summary">"Everything, in every project: it is a global admin key"</p>
                    </section>
                }
            >
                <GrantSummary grid extra=persona_extra sources=persona_sources />
            </Show>
            {project_grid_views}
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

/// Where the token will work: one project, or (admins) across projects
/// as a global key.
#[component]
fn ScopeSection(
    projects: Signal<Vec<Project>>,
    project: RwSignal<String>,
    global: RwSignal<bool>,
    global_admin: RwSignal<bool>,
    granted_projects: RwSignal<Vec<String>>,
    may_global: bool,
    editing: bool,
) -> impl IntoView {
    // The chosen project is always offered, even before the list loads.
    let options = move || {
        let mut ids: Vec<(String, String)> = projects.with(|ps| {
            ps.iter()
                .map(|p| (p.id.clone(), format!("{} ({})", p.name, p.id)))
                .collect()
        });
        let current = project.get();
        if !ids.iter().any(|(id, _)| *id == current) {
            ids.insert(0, (current.clone(), current));
        }
        ids
    };
    let toggle_project = move |id: String| {
        granted_projects.update(|g| {
            if let Some(i) = g.iter().position(|x| *x == id) {
                g.remove(i);
            } else {
                g.push(id);
                g.sort();
            }
        })
    };
    view! {
        <fieldset class="field scope-field" data-testid="token-scope">
            <legend>{if editing { "Global key" } else { "Where the token works" }}</legend>
            // Only admins choose; a token never changes kind once made.
            {(may_global && !editing).then(|| view! {
                <div class="choices">
                    <label class="choice">
                        <input type="radio" name="token-scope" data-testid="scope-project"
                            prop:checked=move || !global.get() on:change=move |_| global.set(false) />
                        "In one project"
                    </label>
                    <label class="choice">
                        <input type="radio" name="token-scope" data-testid="scope-global"
                            prop:checked=move || global.get() on:change=move |_| global.set(true) />
                        "Global key, across projects"
                    </label>
                </div>
            })}
            <Show when=move || !global.get() && !editing>
                <label class="date-label" for="token-project">"Project"</label>
                <select id="token-project" data-testid="token-project"
                    prop:value=move || project.get()
                    on:change=move |ev| project.set(event_target_value(&ev))>
                    {move || options().into_iter().map(|(id, label)| {
                        let selected = id == project.get_untracked();
                        view! { <option value=id.clone() selected=selected>{label}</option> }
                    }).collect_view()}
                </select>
                <p class="muted small">"A project token cannot reach any other project."</p>
            </Show>
            <Show when=move || global.get()>
                <label class="choice global-admin">
                    <input type="checkbox" data-testid="token-global-admin" bind:checked=global_admin />
                    "Global admin: everything, in every project, including administering Keyward"
                </label>
                <Show when=move || global_admin.get()>
                    <p class="banner banner-warn" role="note" data-testid="global-admin-warning">
                        <strong>"Warning: "</strong>
                        "a global admin key is as powerful as a master token. Prefer per-project grants."
                    </p>
                </Show>
                <Show when=move || !global_admin.get()>
                    <div class="project-choices">
                        <p class="muted">"Grants below under “every project” hold everywhere; tick projects to add grants that hold only there."</p>
                        <div class="choices">
                            <For each=move || projects.get() key=|p| p.id.clone() let:p>
                                {
                                    let id = p.id.clone();
                                    let here = id.clone();
                                    view! {
                                        <label class="choice">
                                            <input type="checkbox" data-testid=format!("project-grant-{}", p.id)
                                                prop:checked=move || granted_projects.with(|g| g.contains(&here))
                                                on:change=move |_| toggle_project(id.clone()) />
                                            {p.name.clone()} " " <code>{p.id.clone()}</code>
                                        </label>
                                    }
                                }
                            </For>
                        </div>
                    </div>
                </Show>
            </Show>
        </fieldset>
    }
}

/// What the signed-in token holds, and so may grant: everything for an
/// admin, else its effective permissions.
fn held_by(catalog: &Catalog, who: &WhoAmI) -> Effective {
    if crate::session::is_full_admin(who) {
        return Effective::everything(catalog);
    }
    let grants = crate::components::common::grants_of(&who.permissions);
    Effective::of(catalog, &grants)
}
