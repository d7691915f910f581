//! `/personas`: named, reusable sets of grants (Atlan). Linking one to a
//! token gives the token its grants; editing it changes every linked
//! token at once.

use crate::api::{enc, use_api};
use crate::components::blast::{DeletePreview, PreviewStep};
use crate::components::common::{Dialog, ErrorBanner};
use crate::components::grid::{Finder, GrantSummary, PermissionGrid};
use crate::components::loader::{both, loaded};
use crate::mutation::Mutation;
use crate::resources::catalog_resource;
use crate::resources::{use_versions, Data};
use crate::session::use_session;
use gloo_net::http::Method;
use keyward_domain::api::{CreatePersona, Persona, PersonaList, UpdatePersona};
use keyward_domain::describe::{summary, Grid};
use keyward_domain::paths;
use keyward_domain::{Catalog, Grant};
use leptos::prelude::*;

/// What is open on the page: nothing, the create form, one persona's edit
/// form, or one persona's delete confirmation.
#[derive(Debug, Clone, PartialEq)]
enum Open {
    Nothing,
    Create,
    Edit(Persona),
    Delete(Persona),
}

#[component]
pub fn Personas() -> impl IntoView {
    let api = use_api();
    let session = use_session();
    let versions = use_versions();
    let list = crate::resources::load(move || {
        versions.track(Data::Personas);
        async move { api.get::<PersonaList>(paths::PERSONAS.template()).await }
    });
    let catalog = catalog_resource(api);
    let open = RwSignal::new(Open::Nothing);
    let done = RwSignal::new(None::<String>);
    let may_manage = move || session.is_full_admin();
    view! {
        <div class="page-head">
            <h1>"Personas"</h1>
            <Show when=may_manage>
                <button type="button" class="primary" data-testid="new-persona"
                    on:click=move |_| { done.set(None); open.set(Open::Create) }>
                    "Create persona"
                </button>
            </Show>
        </div>
        <p class="muted">
            "A persona is a named set of permissions. Tokens that link it hold its permissions as well as their own; changing a persona changes every token that links it, at once."
        </p>
        {move || done.get().map(|d| view! { <p class="banner banner-info" role="status" data-testid="persona-done">{d}</p> })}
        {move || match (catalog.get(), open.get()) {
            (Some(Ok(c)), Open::Create) => view! { <PersonaForm catalog=c persona=None open done /> }.into_any(),
            (Some(Ok(c)), Open::Edit(p)) => view! { <PersonaForm catalog=c persona=Some(p) open done /> }.into_any(),
            _ => ().into_any(),
        }}
        {move || match open.get() {
            Open::Delete(p) => view! { <DeletePersona persona=p open done /> }.into_any(),
            _ => ().into_any(),
        }}
        {move || loaded(both(list.get(), catalog.get()), "Loading personas…", "tokens:read", |ok| match ok {
            (l, _) if l.items.is_empty() => view! {
                <section class="empty" data-testid="personas-empty">
                    <p>"No personas yet. Create one to give many tokens the same permissions, managed in one place."</p>
                </section>
            }.into_any(),
            (l, c) => view! { <PersonaTable items=l.items catalog=c open manage=may_manage() /> }.into_any(),
        })}
    }
}

#[component]
fn PersonaTable(
    items: Vec<Persona>,
    catalog: Catalog,
    open: RwSignal<Open>,
    manage: bool,
) -> impl IntoView {
    let catalog = StoredValue::new(catalog);
    view! {
        <div class="table-wrap">
            <table class="responsive" data-testid="persona-table">
                <caption class="sr-only">"Personas"</caption>
                <thead><tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Permissions"</th>
                    <th scope="col">"Linked tokens"</th>
                    <th scope="col"><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {items.clone().into_iter().map(|p| view! {
                        {
                            let line = catalog.with_value(|c| summary(c, &p.grants));
                            let (edit, delete) = (p.clone(), p.clone());
                            let linked = match p.linked_tokens {
                                1 => "1 token".to_string(),
                                n => format!("{n} tokens"),
                            };
                            view! {
                                <tr data-testid="persona-row" data-persona-id=p.id.clone()>
                                    <td data-label="Name">
                                        <strong data-testid="persona-name">{p.name.clone()}</strong>
                                        {(!p.description.is_empty()).then(|| view! { <div class="muted small">{p.description.clone()}</div> })}
                                        <div class="muted small"><code>{p.id.clone()}</code></div>
                                    </td>
                                    <td data-label="Permissions" data-testid="persona-summary">{line}</td>
                                    <td data-label="Linked tokens">
                                        <a href=format!("/tokens?persona={}", enc(&p.id)) class="plain" data-testid="persona-linked">{linked}</a>
                                    </td>
                                    <td data-label="">
                                        {manage.then(|| view! {
                                            <div class="row-actions">
                                                <button type="button" class="secondary small" data-testid="persona-edit"
                                                    aria-label=format!("Edit {}", p.name)
                                                    on:click=move |_| open.set(Open::Edit(edit.clone()))>"Edit"</button>
                                                <button type="button" class="danger small" data-testid="persona-delete"
                                                    aria-label=format!("Delete {}", p.name)
                                                    on:click=move |_| open.set(Open::Delete(delete.clone()))>"Delete"</button>
                                            </div>
                                        })}
                                    </td>
                                </tr>
                            }
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// Create (no persona) or edit: name, description and the permission grid.
#[component]
fn PersonaForm(
    catalog: Catalog,
    persona: Option<Persona>,
    open: RwSignal<Open>,
    done: RwSignal<Option<String>>,
) -> impl IntoView {
    let api = use_api();
    let finder = Finder::buckets(api, Signal::stored(None));
    let editing = persona.clone();
    let name = RwSignal::new(persona.as_ref().map(|p| p.name.clone()).unwrap_or_default());
    let description = RwSignal::new(
        persona
            .as_ref()
            .map(|p| p.description.clone())
            .unwrap_or_default(),
    );
    let grid = RwSignal::new(Grid::from_grants(
        catalog,
        persona.as_ref().map(|p| p.grants.as_slice()).unwrap_or(&[]),
    ));
    let local = RwSignal::new(None::<String>);
    let title = match &persona {
        Some(p) => format!("Edit persona “{}”", p.name),
        None => "Create persona".to_string(),
    };
    let linked = persona.as_ref().map(|p| p.linked_tokens).unwrap_or(0);
    // Creating (no persona) or saving one: (name, description, grants).
    let creating = editing.is_none();
    let save = Mutation::new(
        move |(n, d, grants): (String, String, Vec<Grant>)| {
            let editing = editing.clone();
            async move {
                match &editing {
                    None => {
                        let body = CreatePersona {
                            name: n,
                            description: (!d.is_empty()).then_some(d),
                            grants: Some(grants),
                        };
                        api.send::<_, Persona>(Method::POST, paths::PERSONAS.template(), &body)
                            .await
                    }
                    Some(p) => {
                        let body = UpdatePersona {
                            name: Some(n),
                            description: Some(d),
                            grants: Some(grants),
                        };
                        api.send::<_, Persona>(Method::PATCH, &paths::PERSONA.with(&[&p.id]), &body)
                            .await
                    }
                }
            }
        },
        move |p: Persona| {
            done.set(Some(if creating {
                format!("Persona “{}” created.", p.name)
            } else {
                format!("Persona “{}” saved.", p.name)
            }));
            open.set(Open::Nothing);
        },
    )
    .changes(Data::Personas);
    let (pending, failure) = (save.pending(), save.failure());
    // "Preview": the same edit with `dry_run=true`; the form's fields as
    // the save would send them.
    let preview_path = persona.as_ref().map(|p| paths::PERSONA.with(&[&p.id]));
    let body = Callback::new(move |()| {
        serde_json::to_string(&UpdatePersona {
            name: Some(name.get_untracked().trim().to_string()),
            description: Some(description.get_untracked()),
            grants: Some(grid.with_untracked(|g| g.grants())),
        })
        .ok()
    });
    let watch = Callback::new(move |()| {
        name.track();
        description.track();
        grid.track();
    });
    let field = move |f: &'static str| {
        move || failure.with(|x| x.as_ref().and_then(|x| x.field_or_conflict(f, "name")))
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let n = name.get_untracked().trim().to_string();
        if n.is_empty() {
            local.set(Some("Give the persona a name.".into()));
            return;
        }
        if !grid.with_untracked(|g| g.problems()).is_empty() {
            local.set(Some(
                "Some permissions have no resources chosen: see the list under the summary.".into(),
            ));
            return;
        }
        local.set(None);
        let grants = grid.with_untracked(|g| g.grants());
        save.dispatch((n, description.get_untracked(), grants));
    };
    let name_error = field("name");
    let description_error = field("description");
    let grants_error = field("grants");
    view! {
        <section class="card" data-testid="persona-form" aria-labelledby="persona-form-title">
            <h2 id="persona-form-title">{title}</h2>
            {(linked > 0).then(|| view! {
                <p class="banner banner-info" role="note">
                    {format!("{linked} token{} link this persona: saving changes their permissions at once.", if linked == 1 { "" } else { "s" })}
                </p>
            })}
            <form on:submit=submit novalidate>
                <div class="field">
                    <label for="persona-name">"Name"</label>
                    <input id="persona-name" type="text" maxlength="100" autocomplete="off" data-testid="persona-name-input"
                        aria-invalid=move || name_error().is_some().to_string()
                        aria-describedby="persona-name-error"
                        bind:value=name />
                    <p class="field-error" id="persona-name-error" data-testid="persona-error-name">{name_error}</p>
                </div>
                <div class="field">
                    <label for="persona-description">"Description " <span class="muted">"(optional)"</span></label>
                    <textarea id="persona-description" rows="2" maxlength="1000" data-testid="persona-description"
                        prop:value=move || description.get()
                        on:input=move |ev| description.set(event_target_value(&ev))></textarea>
                    <p class="field-error">{description_error}</p>
                </div>
                <section class="field">
                    <h3 class="section-title">"Permissions"</h3>
                    <PermissionGrid grid finder prefix="persona-" />
                </section>
                <GrantSummary grid heading="Tokens linking this persona will be able to" />
                {preview_path.filter(|_| linked > 0).map(|path| view! {
                    <PreviewStep method=Method::PATCH path body watch failure testid="persona-preview" />
                })}
                <p class="field-error" data-testid="persona-error-grants">{move || local.get().or_else(grants_error)}</p>
                <ErrorBanner failure />
                <div class="actions">
                    <button type="submit" class="primary" data-testid="persona-submit" disabled=move || pending.get()>
                        {move || if pending.get() { "Saving…" } else if persona.is_some() { "Save persona" } else { "Create persona" }}
                    </button>
                    <button type="button" class="secondary" data-testid="persona-cancel" on:click=move |_| open.set(Open::Nothing)>"Cancel"</button>
                </div>
            </form>
        </section>
    }
}

/// Deleting: a persona still linked by tokens is unlinked from all of
/// them, which the dialog says (with how many) before anything happens.
#[component]
fn DeletePersona(
    persona: Persona,
    open: RwSignal<Open>,
    done: RwSignal<Option<String>>,
) -> impl IntoView {
    let api = use_api();
    let linked = persona.linked_tokens;
    let path = if linked > 0 {
        format!("{}?unlink=true", paths::PERSONA.with(&[&persona.id]))
    } else {
        paths::PERSONA.with(&[&persona.id])
    };
    let name = persona.name.clone();
    let close = Callback::new(move |_| open.set(Open::Nothing));
    let delete = Mutation::new(
        move |path: String| async move { api.delete(&path).await },
        move |()| {
            done.set(Some(format!("Persona “{name}” deleted.")));
            open.set(Open::Nothing);
        },
    )
    .changes(Data::Personas);
    let (pending, failure) = (delete.pending(), delete.failure());
    // What unlinking would take from each token, asked before anything is
    // done.
    let preview = (linked > 0).then(|| view! { <DeletePreview path=path.clone() /> });
    let confirm = move |_| delete.dispatch(path.clone());
    let tokens = if linked == 1 {
        "1 token links".to_string()
    } else {
        format!("{linked} tokens link")
    };
    view! {
        <Dialog title=format!("Delete persona “{}”?", persona.name) testid="persona-delete-dialog" on_close=close>
            {if linked > 0 {
                view! {
                    <p class="banner banner-warn" role="note" data-testid="persona-delete-warning">
                        <strong>{format!("{tokens} this persona.")}</strong>
                        {format!(" Deleting it unlinks it from {}: they lose the permissions it gave them at once, keeping only their own and those of their other personas.", if linked == 1 { "that token" } else { "all of them" })}
                    </p>
                }.into_any()
            } else {
                view! { <p>"No token links this persona. This cannot be undone."</p> }.into_any()
            }}
            {preview}
            <ErrorBanner failure />
            <div class="actions">
                <button type="button" class="danger" data-testid="persona-delete-confirm" disabled=move || pending.get() on:click=confirm>
                    {move || if pending.get() { "Deleting…".to_string() } else if linked > 0 { "Unlink and delete".to_string() } else { "Delete persona".to_string() }}
                </button>
                <button type="button" class="secondary" data-testid="persona-delete-cancel" on:click=move |_| close.run(())>"Cancel"</button>
            </div>
        </Dialog>
    }
}
