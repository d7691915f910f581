//! The token form, shared by create and edit: name, description, expiry,
//! where the token works, the permission grid and its summary. It never
//! clears itself on failure. Its fields are read into a plain [`FormState`]
//! and checked by [`validate`] (`state.rs`, tested natively); the sections
//! below only show and edit them.

mod fields;
mod scope;
mod state;

use crate::api::ApiFailure;
use crate::components::common::ErrorBanner;
use crate::components::grid::{Finder, GrantError, GrantSummary, PermissionGrid};
use crate::components::personas::{persona_grants, persona_names, PersonaPicker};
use crate::format;
use keyward_domain::api::{ExpiryPolicy, Persona, Project, ProjectGrants, Token, WhoAmI};
use keyward_domain::describe::Grid;
use keyward_domain::{Catalog, Effective, FieldError, Grant, TokenKind};
use leptos::prelude::*;
use std::collections::BTreeMap;
use time::OffsetDateTime;

use fields::{ControlsFields, ExpiryField, NameFields, RateLimitField};
use state::{field_message, form_problems, grant_errors, presets, FormProblem};
pub use state::{usage_text, validate, Controls, ExpiryPick, FormState, TokenDraft};

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
    /// Valid from, networks, metadata, usage limit.
    pub controls: Controls,
}

impl FormInit {
    /// The controls of `t`, as the form's inputs hold them.
    pub fn controls_of(t: &Token) -> Controls {
        let ips: Vec<String> = t.allowed_ips.iter().map(ToString::to_string).collect();
        Controls::of(t.not_before, &ips, &t.meta, t.usage_limit)
    }

    /// A new token with the same permissions as `t`: its grants, personas,
    /// rate limit, project and (a global key) its per-project grants; a
    /// name to change, and the usual expiry.
    pub fn duplicate_of(t: &Token) -> FormInit {
        FormInit {
            name: format!("{} (copy)", t.name),
            description: t.description.clone(),
            grants: t.grants.clone(),
            current_expiry: None,
            rate_limit: t.rate_limit,
            personas: t.personas.clone(),
            project: t.project.clone(),
            global: t.kind == TokenKind::Global,
            global_admin: t.global_admin,
            project_grants: t.project_grants.clone(),
            controls: FormInit::controls_of(t),
        }
    }

    /// A new token holding a copy of a persona's grants (not linked: later
    /// changes to the persona do not reach it).
    pub fn from_persona(p: &Persona) -> FormInit {
        FormInit {
            grants: p.grants.clone(),
            ..FormInit::default()
        }
    }
}

#[component]
pub fn TokenForm(
    catalog: Catalog,
    init: FormInit,
    finder: Finder,
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
    let session = crate::session::use_session();
    let fields = Fields::new(&catalog, &init, project);
    let errors = Errors {
        local: RwSignal::new(vec![]),
        failure,
        sent: RwSignal::new(vec![]),
    };
    let held = {
        let catalog = catalog.clone();
        Signal::derive(move || {
            session
                .whoami
                .with(|w| w.as_ref().map(|w| held_by(&catalog, w)))
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match validate(&fields.read(), format::now()) {
            Err(problems) => {
                errors.local.set(problems);
                // Say what is wrong where the eye is: the list at the top,
                // and the first field with a problem scrolled to and focused.
                focus_first(&errors.problems_untracked());
            }
            Ok(draft) => {
                errors.local.set(vec![]);
                // Kept to place `grants[i]` errors next to their rows.
                errors.sent.set(draft.grants.clone());
                on_submit.run(draft);
            }
        }
    };
    // The API refused the form: the same, once its answer is in.
    Effect::new(move |_| {
        if failure.with(Option::is_some) {
            focus_first(&errors.problems_untracked());
        }
    });
    // The expiry choices of the project's policy (a global key: none).
    let expiry_presets = Memo::new(move |_| {
        let policy = if fields.global.get() {
            ExpiryPolicy::default()
        } else {
            fields.project.with(|id| {
                projects.with(|ps| {
                    ps.iter()
                        .find(|p| p.id == *id)
                        .map(|p| p.expiry_policy)
                        .unwrap_or_default()
                })
            })
        };
        presets(&policy)
    });
    // Creating: the default follows the policy of the project chosen.
    Effect::new(move |_| {
        let default = expiry_presets.with(|p| p.default);
        if !fields.editing {
            fields.pick.set(default);
        }
    });
    // Creating: where the token works. Editing a global key: its
    // per-project grants (a token never changes project).
    let scope = (!fields.editing || init.global).then(|| {
        view! {
            <scope::ScopeSection fields projects may_global=session.is_full_admin() />
            <p class="field-error" data-testid="error-project">{errors.of("project")}</p>
        }
    });
    view! {
        <form class="token-form" data-testid="token-form" on:submit=submit novalidate>
            <FormErrors errors />
            <NameFields fields errors />
            <RateLimitField fields errors />
            <ExpiryField fields errors current=init.current_expiry presets=expiry_presets />
            <ControlsFields fields errors />
            {scope}
            <SummarySection fields personas before=fields.editing.then(|| init.grants.clone()) />
            <GrantsSection fields finder held errors />
            <PersonasSection fields personas catalog errors />
            <ProjectGrids fields finder held errors />
            <p class="field-error" data-testid="error-grants">{errors.of("grants")}</p>
            <FormActions failure pending submit_label pending_label on_cancel />
        </form>
    }
}

/// The form's fields, a signal each; [`Fields::read`] gives the plain
/// [`FormState`].
#[derive(Clone, Copy)]
struct Fields {
    editing: bool,
    name: RwSignal<String>,
    description: RwSignal<String>,
    rate_limit: RwSignal<String>,
    pick: RwSignal<ExpiryPick>,
    custom_date: RwSignal<String>,
    grid: RwSignal<Grid>,
    personas: RwSignal<Vec<String>>,
    project: RwSignal<String>,
    global: RwSignal<bool>,
    global_admin: RwSignal<bool>,
    granted_projects: RwSignal<Vec<String>>,
    not_before: RwSignal<String>,
    allowed_ips: RwSignal<String>,
    meta: RwSignal<String>,
    uses: RwSignal<String>,
    refill: RwSignal<String>,
    /// The controls as they were (editing: the token's).
    initial: StoredValue<Controls>,
    /// A global key's per-project grids, made on first choice of a project
    /// and kept (with their ticks) if it is unchosen and chosen again.
    project_grids: StoredValue<BTreeMap<String, RwSignal<Grid>>>,
    catalog: StoredValue<Catalog>,
    /// The form's owner: per-project grids outlive the rows showing them.
    owner: StoredValue<Option<Owner>>,
}

impl Fields {
    fn new(catalog: &Catalog, init: &FormInit, project: Option<RwSignal<String>>) -> Fields {
        let editing = init.current_expiry.is_some();
        let c = &init.controls;
        let grids = init
            .project_grants
            .iter()
            .map(|(p, g)| {
                (
                    p.clone(),
                    RwSignal::new(Grid::from_grants(catalog.clone(), g)),
                )
            })
            .collect();
        let first_project = init
            .project
            .clone()
            .unwrap_or_else(|| keyward_domain::DEFAULT_PROJECT.to_string());
        Fields {
            editing,
            name: RwSignal::new(init.name.clone()),
            description: RwSignal::new(init.description.clone()),
            rate_limit: RwSignal::new(init.rate_limit.map(|r| r.to_string()).unwrap_or_default()),
            pick: RwSignal::new(if editing {
                ExpiryPick::Keep
            } else {
                ExpiryPick::Days(30)
            }),
            custom_date: RwSignal::new(String::new()),
            grid: RwSignal::new(Grid::from_grants(catalog.clone(), &init.grants)),
            personas: RwSignal::new(init.personas.clone()),
            project: project.unwrap_or_else(|| RwSignal::new(first_project)),
            global: RwSignal::new(init.global),
            global_admin: RwSignal::new(init.global_admin),
            granted_projects: RwSignal::new(init.project_grants.keys().cloned().collect()),
            not_before: RwSignal::new(c.not_before.clone()),
            allowed_ips: RwSignal::new(c.allowed_ips.clone()),
            meta: RwSignal::new(c.meta.clone()),
            uses: RwSignal::new(c.uses.clone()),
            refill: RwSignal::new(c.refill.clone()),
            initial: StoredValue::new(c.clone()),
            project_grids: StoredValue::new(grids),
            catalog: StoredValue::new(catalog.clone()),
            owner: StoredValue::new(Owner::current()),
        }
    }

    /// What the form holds now, as plain data (not tracked).
    fn read(&self) -> FormState {
        FormState {
            editing: self.editing,
            name: self.name.get_untracked(),
            description: self.description.get_untracked(),
            rate_limit: self.rate_limit.get_untracked(),
            expiry: self.pick.get_untracked(),
            custom_date: self.custom_date.get_untracked(),
            grid: self.grid.get_untracked(),
            personas: self.personas.get_untracked(),
            project: self.project.get_untracked(),
            global: self.global.get_untracked(),
            global_admin: self.global_admin.get_untracked(),
            granted_projects: self.granted_projects.get_untracked(),
            project_grids: self.project_grids.with_value(|m| {
                m.iter()
                    .map(|(p, g)| (p.clone(), g.get_untracked()))
                    .collect()
            }),
            controls: self.controls(),
        }
    }

    /// The controls as typed (not tracked).
    fn controls(&self) -> Controls {
        Controls {
            not_before: self.not_before.get_untracked(),
            allowed_ips: self.allowed_ips.get_untracked(),
            meta: self.meta.get_untracked(),
            uses: self.uses.get_untracked(),
            refill: self.refill.get_untracked(),
        }
    }

    /// Project `p`'s grid, made empty on first use.
    fn grid_of(&self, p: &str) -> RwSignal<Grid> {
        if let Some(g) = self.project_grids.with_value(|m| m.get(p).copied()) {
            return g;
        }
        let make = || RwSignal::new(Grid::new(self.catalog.get_value()));
        let g = match self.owner.get_value() {
            Some(o) => o.with(make),
            None => make(),
        };
        self.project_grids.update_value(|m| {
            m.insert(p.to_string(), g);
        });
        g
    }

    /// A global admin key: everything, so no grids.
    fn admin_key(&self) -> bool {
        self.global.get() && self.global_admin.get()
    }
}

/// Where each field's message comes from: the form's own checks, else the
/// API's last answer.
#[derive(Clone, Copy)]
struct Errors {
    local: RwSignal<Vec<FieldError>>,
    failure: Signal<Option<ApiFailure>>,
    /// The grants last sent, to place `grants[i]` errors next to their rows.
    sent: RwSignal<Vec<Grant>>,
}

impl Errors {
    fn of(self, field: &'static str) -> impl Fn() -> Option<String> + Copy + Send + Sync {
        move || {
            self.local
                .with(|l| self.failure.with(|f| field_message(l, f.as_ref(), field)))
        }
    }

    /// Every field's problem, in the form's order.
    fn problems(self) -> Vec<FormProblem> {
        self.local
            .with(|l| self.failure.with(|f| form_problems(l, f.as_ref())))
    }

    fn problems_untracked(self) -> Vec<FormProblem> {
        self.local.with_untracked(|l| {
            self.failure
                .with_untracked(|f| form_problems(l, f.as_ref()))
        })
    }

    fn grants(self) -> Signal<Vec<GrantError>> {
        Signal::derive(move || {
            self.failure
                .with(|f| self.sent.with(|s| grant_errors(f.as_ref(), s)))
        })
    }
}

/// The list of what stops the form, at its top.
#[component]
fn FormErrors(errors: Errors) -> impl IntoView {
    move || {
        let problems = errors.problems();
        (!problems.is_empty()).then(|| {
            let count = if problems.len() == 1 {
                "One thing to fix before saving:".to_string()
            } else {
                format!("{} things to fix before saving:", problems.len())
            };
            view! {
                <div class="banner banner-bad form-errors" role="alert" data-testid="form-errors">
                    <strong>{count}</strong>
                    <ul>
                        {problems.into_iter().map(|p| view! {
                            <li data-testid="form-errors-item"><strong>{p.label}</strong>": "{p.message}</li>
                        }).collect_view()}
                    </ul>
                </div>
            }
        })
    }
}

/// Scrolls to and focuses the element of the first problem, once the
/// page shows the messages.
fn focus_first(problems: &[FormProblem]) {
    let Some(anchor) = problems.first().map(|p| p.anchor) else {
        return;
    };
    request_animation_frame(move || {
        let el = document()
            .get_element_by_id(anchor)
            .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok());
        if let Some(el) = el {
            el.scroll_into_view_with_bool(false);
            let _ = el.focus();
        }
    });
}

/// The grid of the token's own grants (for a global key: in every project).
#[component]
fn GrantsSection(
    fields: Fields,
    finder: Finder,
    held: Signal<Option<Effective>>,
    errors: Errors,
) -> impl IntoView {
    let grid = fields.grid;
    let title = move || {
        if fields.global.get() {
            "Permissions in every project"
        } else {
            "Permissions"
        }
    };
    view! {
        <Show when=move || !fields.admin_key()>
            <section class="field" id="token-grants" tabindex="-1">
                <h3 class="section-title">{title}</h3>
                <p class="muted" data-testid="grants-intro">
                    {if fields.editing {
                        "Choose what the token needs, one access level per kind of resource, and lower or remove what it should no longer do. Access to buckets or components applies to all of them or only to the ones you pick."
                    } else {
                        "A token starts with no permissions. Choose an access level for what it needs, and tick the rest; access to buckets or components applies to all of them or only to the ones you pick."
                    }}
                </p>
                <PermissionGrid grid finder errors=errors.grants() held />
            </section>
        </Show>
    }
}

#[component]
fn PersonasSection(
    fields: Fields,
    personas: Signal<Vec<Persona>>,
    catalog: Catalog,
    errors: Errors,
) -> impl IntoView {
    let chosen = fields.personas;
    view! {
        <Show when=move || personas.with(|p| !p.is_empty()) || chosen.with(|c| !c.is_empty())>
            <PersonaPicker personas chosen catalog=catalog.clone() subject="token" />
            <p class="field-error" id="error-personas" tabindex="-1" data-testid="error-personas">{errors.of("personas")}</p>
        </Show>
    }
}

/// What the token will be able to do, its personas' grants included.
#[component]
fn SummarySection(
    fields: Fields,
    personas: Signal<Vec<Persona>>,
    before: Option<Vec<Grant>>,
) -> impl IntoView {
    let chosen = fields.personas;
    let extra = Signal::derive(move || personas.with(|ps| chosen.with(|c| persona_grants(ps, c))));
    let sources = Signal::derive(move || personas.with(|ps| chosen.with(|c| persona_names(ps, c))));
    view! {
        <Show
            when=move || !fields.admin_key()
            fallback=|| view! {
                <section class="summary" aria-live="polite">
                    <h3>"This token will be able to"</h3>
                    <p data-testid="summary">"Everything, in every project: it is a global admin key"</p>
                </section>
            }
        >
            <GrantSummary grid=fields.grid extra sources before=before.clone() sticky=true />
        </Show>
    }
}

/// A global key's grids for the projects ticked in the scope section.
#[component]
fn ProjectGrids(
    fields: Fields,
    finder: Finder,
    held: Signal<Option<Effective>>,
    errors: Errors,
) -> impl IntoView {
    view! {
        <Show when=move || fields.global.get() && !fields.global_admin.get()>
            <For each=move || fields.granted_projects.get() key=|p| p.clone() let:p>
                {
                    let g = fields.grid_of(&p);
                    view! {
                        <section class="field project-grid" data-testid=format!("project-grid-{p}")>
                            <h3 class="section-title">{format!("Permissions in project {p} only")}</h3>
                            <PermissionGrid grid=g finder=finder.in_project(p.clone()) held prefix=format!("{p}-") />
                            <GrantSummary grid=g heading=format!("In project {p}, in addition") />
                        </section>
                    }
                }
            </For>
        </Show>
        <p class="field-error" id="error-project_grants" tabindex="-1" data-testid="error-project_grants">{errors.of("project_grants")}</p>
    }
}

/// The API's refusal, submit and cancel.
#[component]
fn FormActions(
    failure: Signal<Option<ApiFailure>>,
    pending: Signal<bool>,
    submit_label: String,
    pending_label: String,
    on_cancel: Option<Callback<()>>,
) -> impl IntoView {
    view! {
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
