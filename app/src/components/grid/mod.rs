//! The permission grid: one group per catalog service, in it one access
//! level per group of permissions linked by implication ("No access /
//! Read / Read and write") and a tick for each permission outside any such
//! group, and a scope per resource-typed permission. All state lives in a
//! [`Grid`] (pure, tested in the domain, as are the levels); the view only
//! derives from it.

use keyward_domain::catalog::PermissionDef;
use keyward_domain::describe::{noun, plural, summary, Grid};
use keyward_domain::level::{controls, Control, Levels};
use keyward_domain::{Effective, Grant, Resource};
use leptos::prelude::*;

mod finder;
mod scope;
pub use finder::Finder;
use scope::ScopeChoice;

/// An API error that names one grant, placed next to its row.
pub type GrantError = (String, String, String);

#[component]
pub fn PermissionGrid(
    grid: RwSignal<Grid>,
    finder: Finder,
    #[prop(optional, into)] errors: Signal<Vec<GrantError>>,
    /// What the signed-in token may hand on; rows beyond it say so.
    #[prop(optional, into)]
    held: Signal<Option<Effective>>,
    /// Set when several grids share a page (a global key's per-project
    /// grids): keeps element ids and radio groups apart.
    #[prop(optional, into)]
    prefix: String,
) -> impl IntoView {
    // The catalog does not change while the grid is shown: its structure is
    // rendered once, the rows react to the grid.
    let catalog = grid.with_untracked(|g| g.catalog().clone());
    let services = catalog
        .services
        .iter()
        .map(|svc| {
            let sid = svc.id.clone();
            let def = |p: &str| svc.permissions.iter().find(|d| d.id == p).cloned();
            let rows = controls(&catalog, &svc.id)
                .into_iter()
                .map(|control| match control {
                    Control::Tick(p) => def(&p).map(|def| {
                        view! { <PermissionRow service=sid.clone() def tick=true grid finder errors held prefix=prefix.clone() /> }
                            .into_any()
                    }),
                    Control::Levels(levels) => {
                        let defs = levels.permissions.iter().filter_map(|p| def(p)).collect();
                        Some(view! { <LevelControl service=sid.clone() levels defs grid finder errors held prefix=prefix.clone() /> }.into_any())
                    }
                })
                .collect_view();
            view! {
                <fieldset class="grid-service" data-testid=format!("grid-service-{}", svc.id)>
                    <legend>{svc.title.clone()}</legend>
                    {rows}
                </fieldset>
            }
        })
        .collect_view();
    view! { <div class="grid" data-testid="grid">{services}</div> }
}

/// One access level over permissions linked by implication, then, for
/// each permission the level holds, what it is on.
#[component]
fn LevelControl(
    service: String,
    levels: Levels,
    defs: Vec<PermissionDef>,
    grid: RwSignal<Grid>,
    finder: Finder,
    errors: Signal<Vec<GrantError>>,
    held: Signal<Option<Effective>>,
    prefix: String,
) -> impl IntoView {
    let key = format!("{service}-{}", levels.key());
    let select_id = format!("{prefix}level-{key}");
    let label = match &levels.subject {
        Some(s) => format!("Access to {s}"),
        None => "Access".to_string(),
    };
    let levels = StoredValue::new(levels);
    let level = {
        let s = service.clone();
        Memo::new(move |_| levels.with_value(|l| grid.with(|g| g.level(&s, l))))
    };
    let choose = {
        let s = service.clone();
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            levels.with_value(|l| {
                if let Some(i) = l.by_value(&value) {
                    grid.update(|g| g.set_level(&s, l, i));
                }
            })
        }
    };
    let options = levels.with_value(|l| {
        l.levels
            .iter()
            .enumerate()
            .map(|(i, lv)| {
                view! { <option value=lv.value() prop:selected=move || level.get() == i>{lv.label.clone()}</option> }
            })
            .collect_view()
    });
    let rows = defs
        .into_iter()
        .map(|def| {
            view! { <PermissionRow service=service.clone() def tick=false grid finder errors held prefix=prefix.clone() /> }
        })
        .collect_view();
    view! {
        <div class="level-control" data-testid=format!("level-control-{key}")>
            <div class="perm-head">
                <label class="level-label" for=select_id.clone()>{label}</label>
                <select id=select_id data-testid=format!("level-{key}") on:change=choose>
                    {options}
                </select>
            </div>
            {rows}
        </div>
    }
}

/// One permission: a tick box of its own (`tick`), or, under a level,
/// shown only while the level holds it.
#[component]
fn PermissionRow(
    service: String,
    def: PermissionDef,
    tick: bool,
    grid: RwSignal<Grid>,
    finder: Finder,
    errors: Signal<Vec<GrantError>>,
    held: Signal<Option<Effective>>,
    prefix: String,
) -> impl IntoView {
    let pid = def.id.clone();
    let key = format!("{service}-{pid}");
    let resource_type = def.resource_type.clone();
    let row = {
        let (s, p) = (service.clone(), pid.clone());
        Memo::new(move |_| grid.with(|g| g.row(&s, &p, &[])))
    };
    let row: Signal<keyward_domain::describe::RowView> = row.into();
    let toggle = {
        let (s, p) = (service.clone(), pid.clone());
        move |_| {
            grid.update(|g| {
                g.toggle(&s, &p);
            })
        }
    };
    let implied_note = move || {
        let r = row.get();
        r.locked
            .then(|| format!("implied by {}", r.implied_by.join(", ")))
    };
    let error = {
        let (s, p) = (service.clone(), pid.clone());
        move || {
            errors.with(|e| {
                e.iter()
                    .filter(|(es, ep, _)| *es == s && *ep == p)
                    .map(|(_, _, m)| m.clone())
                    .collect::<Vec<_>>()
                    .join("; ")
            })
        }
    };
    // An implied permission shows what it covers in one line; its own
    // scope editor opens only on request, to widen it.
    let widened = RwSignal::new(false);
    let widen_testid = format!("widen-{key}");
    let compact_testid = format!("implied-scope-{key}");
    let scope_prefix = prefix.clone();
    let scope = resource_type.map(|rt| {
        let (s, p, prefix) = (service.clone(), pid.clone(), scope_prefix);
        let catalog = grid.with_untracked(|g| g.catalog().clone());
        let plural_noun = plural(&noun(&catalog, &rt));
        let choice = move || {
            view! { <ScopeChoice service=s.clone() permission=p.clone() resource_type=rt.clone() grid row finder prefix=prefix.clone() /> }
        };
        let compact = move || {
            let r = row.get();
            let sc = r.scope.clone()?;
            let covers = if sc.all {
                format!("All {plural_noun}")
            } else {
                sc.resources
                    .iter()
                    .filter(|x| x.checked)
                    .map(|x| x.id.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let widen = (!sc.all).then(|| {
                view! {
                    <button type="button" class="link" data-testid=widen_testid.clone()
                        on:click=move |_| widened.set(true)>
                        {format!("Also allow other {plural_noun}…")}
                    </button>
                }
            });
            Some(view! {
                <div class="scope scope-compact" data-testid=compact_testid.clone()>
                    <span>"On: "<strong>{if covers.is_empty() { "nothing yet".to_string() } else { covers }}</strong></span>
                    {widen}
                </div>
            })
        };
        view! {
            <Show when=move || {
                let r = row.get();
                r.checked && (!r.locked || r.ticked || widened.get())
            }>{choice.clone()}</Show>
            <Show when=move || {
                let r = row.get();
                r.locked && !r.ticked && !widened.get()
            }>{compact.clone()}</Show>
        }
    });
    // Privilege escalation is refused by the API; say so before submitting.
    let limit = {
        let (s, p) = (service.clone(), pid.clone());
        move || {
            held.with(|h| {
                let h = h.as_ref()?;
                let mine: Vec<&Grant> = h
                    .grants()
                    .filter(|g| g.service == s && g.permission == p)
                    .collect();
                if mine.is_empty() {
                    Some("Your token cannot grant this.".to_string())
                } else if mine
                    .iter()
                    .any(|g| matches!(g.resource, None | Some(Resource::All)))
                {
                    None
                } else {
                    let ids: Vec<&str> = mine
                        .iter()
                        .filter_map(|g| g.resource.as_ref().map(Resource::as_str))
                        .collect();
                    Some(format!(
                        "Your token can grant this only on: {}.",
                        ids.join(", ")
                    ))
                }
            })
        }
    };
    let limit_testid = format!("limit-{key}");
    let hint_id = format!("{prefix}implied-{key}");
    let (perm_testid, grant_testid, implied_testid, error_testid) = (
        format!("perm-{key}"),
        format!("grant-{key}"),
        format!("implied-{key}"),
        format!("grant-error-{key}"),
    );
    let title = def.title.clone();
    let head = if tick {
        view! {
            <div class="perm-head">
                <label class="perm-label">
                    <input
                        type="checkbox"
                        data-testid=grant_testid
                        prop:checked=move || row.get().checked
                        disabled=move || row.get().locked
                        aria-describedby=hint_id.clone()
                        on:change=toggle
                    />
                    <span class="perm-title">{title}</span>
                </label>
                <code class="perm-id">{format!("{service}:{pid}")}</code>
                <span class="implied" id=hint_id data-testid=implied_testid>
                    {implied_note}
                </span>
            </div>
        }
        .into_any()
    } else {
        let id = format!("{service}:{pid}");
        view! {
            <Show when=move || row.get().checked>
                <div class="perm-head" data-testid=format!("level-perm-{key}")>
                    <span class="perm-title">{title.clone()}</span>
                    <code class="perm-id">{id.clone()}</code>
                    <span class="implied" id=hint_id.clone() data-testid=implied_testid.clone()>
                        {implied_note}
                    </span>
                </div>
            </Show>
        }
        .into_any()
    };
    view! {
        <div class="perm" class:perm-on=move || row.get().checked class:perm-in-level=!tick data-testid=perm_testid>
            {head}
            {move || limit().map(|text| view! { <p class="limit" data-testid=limit_testid.clone()>{text}</p> })}
            {scope}
            <Show when={
                let error = error.clone();
                move || !error().is_empty()
            }>
                <p class="field-error" role="alert" data-testid=error_testid.clone()>
                    {error.clone()}
                </p>
            </Show>
        </div>
    }
}

/// What the token will be able to do, in words, plus what still blocks it.
/// `extra` are grants it gets from elsewhere (its linked personas), named
/// in `sources`; the sentence covers both.
#[component]
pub fn GrantSummary(
    grid: RwSignal<Grid>,
    #[prop(optional, into)] extra: Signal<Vec<Grant>>,
    #[prop(optional, into)] sources: Signal<Vec<String>>,
    #[prop(optional, into)] heading: Option<String>,
    /// Editing: the grants saved now; the summary then says what saving
    /// adds and removes.
    #[prop(default = None)]
    before: Option<Vec<Grant>>,
    /// Kept in view above the grid while it scrolls.
    #[prop(optional)]
    sticky: bool,
) -> impl IntoView {
    let text = move || {
        grid.with(|g| {
            let mut all = g.grants();
            extra.with(|e| all.extend(e.iter().cloned()));
            summary(g.catalog(), &all)
        })
    };
    let problems = move || grid.with(|g| g.problems());
    // Grants the API would not store on their own, because another one
    // covers them: said here, so nothing is rewritten silently.
    let absorbed = move || {
        grid.with(|g| {
            g.absorbed()
                .into_iter()
                .map(|(g, by)| {
                    format!("{g} is covered by {by}, so only {by} is saved; once saved, removing {by} later removes {g} too.")
                })
                .collect::<Vec<_>>()
        })
    };
    let change = before.map(|before| {
        let text = move || {
            grid.with(|g| {
                keyward_domain::describe::change(g.catalog(), &before, &g.grants())
                    .unwrap_or_else(|| "No change to its own permissions".to_string())
            })
        };
        view! { <p class="summary-change" data-testid="summary-change">{text}</p> }
    });
    let heading = heading.unwrap_or_else(|| "This token will be able to".to_string());
    view! {
        <section class="summary" class:summary-sticky=sticky aria-live="polite" data-testid="summary-box">
            <h3>{heading}</h3>
            <p data-testid="summary">{text}</p>
            {change}
            <Show when=move || !absorbed().is_empty()>
                <ul class="absorbed muted small" data-testid="summary-absorbed">
                    {move || absorbed().into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}
                </ul>
            </Show>
            <Show when=move || sources.with(|s| !s.is_empty())>
                <p class="summary-sources muted small" data-testid="summary-sources">
                    {move || format!("Its own permissions plus those of {}.", sources.get().join(", "))}
                </p>
            </Show>
            <Show when=move || !problems().is_empty()>
                <ul class="problems" data-testid="grid-problems">
                    {move || {
                        problems()
                            .into_iter()
                            .map(|(_, _, m)| view! { <li>{m}</li> })
                            .collect_view()
                    }}
                </ul>
            </Show>
        </section>
    }
}
