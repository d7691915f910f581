//! `/members`: people with their own grants and personas (Dataiku's
//! users). An admin invites them by email; accepting gives them their user
//! token, with which they make personal keys that act as them.

use crate::api::{use_api, ApiFailure};
use crate::components::blast::{DeletePreview, PreviewStep};
use crate::components::common::{Dialog, ErrorBanner};
use crate::components::grid::{Finder, GrantSummary, PermissionGrid};
use crate::components::keys::KeyTable;
use crate::components::loader::{both, loaded};
use crate::components::personas::{persona_grants, persona_names, PersonaPicker};
use crate::components::validity::{ValiditySelect, DEFAULT_DAYS};
use crate::format;
use crate::mutation::Mutation;
use crate::resources::{catalog_resource, personas_resource, projects_resource};
use crate::resources::{use_versions, Data};
use crate::session::use_project;
use gloo_net::http::Method;
use keyward_domain::api::{
    CreateMember, Member, MemberCreated, MemberList, MemberStatus, Persona, Project, TokenList,
    UpdateMember,
};
use keyward_domain::describe::{summary, Grid};
use keyward_domain::paths;
use keyward_domain::Catalog;
use leptos::prelude::*;

#[derive(Debug, Clone, PartialEq)]
enum Open {
    Nothing,
    Invite,
    Edit(Member),
    Delete(Member),
}

#[component]
pub fn Members() -> impl IntoView {
    let api = use_api();
    let versions = use_versions();
    let list = crate::resources::load(move || {
        versions.track(Data::Members);
        async move { api.get::<MemberList>(paths::MEMBERS.template()).await }
    });
    let catalog = catalog_resource(api);
    let personas = personas_resource(api);
    let personas = Signal::derive(move || personas.get().unwrap_or_default());
    let projects = projects_resource(api);
    let projects = Signal::derive(move || projects.get().unwrap_or_default());
    let open = RwSignal::new(Open::Nothing);
    let done = RwSignal::new(None::<String>);
    // Whose personal keys are shown (one member at a time).
    let keys_of = RwSignal::new(None::<String>);
    view! {
        <div class="page-head">
            <h1>"Members"</h1>
            <button type="button" class="primary" data-testid="invite-member"
                on:click=move |_| { done.set(None); open.set(Open::Invite) }>
                "Invite member"
            </button>
        </div>
        <p class="muted">
            "Members sign in with their own user token, which they get by accepting an invitation. Their personal keys act as them: change a member's permissions and every one of their keys follows at once."
        </p>
        {move || done.get().map(|d| view! { <p class="banner banner-info" role="status" data-testid="member-done">{d}</p> })}
        {move || match (catalog.get(), open.get()) {
            (Some(Ok(c)), Open::Invite) => view! { <InviteDialog catalog=c personas projects open done /> }.into_any(),
            (Some(Ok(c)), Open::Edit(m)) => view! { <EditMember catalog=c member=m personas open done /> }.into_any(),
            (_, Open::Delete(m)) => view! { <DeleteMember member=m open done /> }.into_any(),
            _ => ().into_any(),
        }}
        {move || loaded(both(list.get(), catalog.get()), "Loading members…", "an admin token", |ok| match ok {
            (l, _) if l.items.is_empty() => view! {
                <section class="empty" data-testid="members-empty">
                    <p>"No members yet. Invite someone: they get their own token and can make personal keys."</p>
                </section>
            }.into_any(),
            (l, c) => view! { <MemberTable items=l.items catalog=c personas open keys_of /> }.into_any(),
        })}
    }
}

fn status_badge(s: MemberStatus) -> (&'static str, &'static str) {
    match s {
        MemberStatus::Invited => ("badge badge-warn", "Invited"),
        MemberStatus::Active => ("badge badge-ok", "Active"),
    }
}

#[component]
fn MemberTable(
    items: Vec<Member>,
    catalog: Catalog,
    personas: Signal<Vec<Persona>>,
    open: RwSignal<Open>,
    keys_of: RwSignal<Option<String>>,
) -> impl IntoView {
    let catalog = StoredValue::new(catalog);
    view! {
        <div class="table-wrap">
            <table class="responsive" data-testid="member-table">
                <caption class="sr-only">"Members"</caption>
                <thead><tr>
                    <th scope="col">"Member"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Project"</th>
                    <th scope="col">"Permissions"</th>
                    <th scope="col">"Personal keys"</th>
                    <th scope="col"><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {items.clone().into_iter().map(|m| view! {
                        {
                            let (class, label) = status_badge(m.status);
                            let (edit, delete) = (m.clone(), m.clone());
                            let (mid, mid2) = (m.id.clone(), m.id.clone());
                            let (own, linked) = (m.grants.clone(), m.personas.clone());
                            let line = move || {
                                personas.with(|ps| {
                                    let mut all = own.clone();
                                    all.extend(persona_grants(ps, &linked));
                                    catalog.with_value(|c| summary(c, &all))
                                })
                            };
                            let linked = m.personas.clone();
                            let persona_line = move || {
                                (!linked.is_empty()).then(|| {
                                    let names = personas.with(|ps| persona_names(ps, &linked)).join(", ");
                                    view! { <div class="muted small">{format!("Personas: {names}")}</div> }
                                })
                            };
                            let showing = move || keys_of.with(|k| k.as_deref() == Some(mid.as_str()));
                            let showing2 = showing.clone();
                            let keys = match m.personal_keys {
                                1 => "1 key".to_string(),
                                n => format!("{n} keys"),
                            };
                            let who = m.name.clone();
                            let keys_member = m.clone();
                            view! {
                                <tr data-testid="member-row" data-member-id=m.id.clone()>
                                    <td data-label="Member">
                                        <strong data-testid="member-name">{m.name.clone()}</strong>
                                        <div class="muted small" data-testid="member-email">{m.email.clone()}</div>
                                    </td>
                                    <td data-label="Status"><span class=class data-testid="member-status">{label}</span></td>
                                    <td data-label="Project"><span class="badge badge-project">{m.project.clone()}</span></td>
                                    <td data-label="Permissions">
                                        <span data-testid="member-summary">{line}</span>
                                        {persona_line}
                                    </td>
                                    <td data-label="Personal keys">
                                        <button type="button" class="link" data-testid="member-keys"
                                            aria-expanded=move || showing().to_string()
                                            aria-label=format!("Personal keys of {who}: {keys}")
                                            on:click=move |_| keys_of.update(|k| {
                                                *k = if k.as_deref() == Some(mid2.as_str()) { None } else { Some(mid2.clone()) };
                                            })>
                                            {keys.clone()}
                                        </button>
                                    </td>
                                    <td data-label="">
                                        <div class="row-actions">
                                            <button type="button" class="secondary small" data-testid="member-edit"
                                                aria-label=format!("Edit {}", m.name)
                                                on:click=move |_| open.set(Open::Edit(edit.clone()))>"Edit"</button>
                                            <button type="button" class="danger small" data-testid="member-delete"
                                                aria-label=format!("Remove {}", m.name)
                                                on:click=move |_| open.set(Open::Delete(delete.clone()))>"Remove"</button>
                                        </div>
                                    </td>
                                </tr>
                                <Show when=showing2.clone()>
                                    <tr class="subrow" data-testid="member-keys-row">
                                        <td colspan="6"><MemberKeys member=keys_member.clone() /></td>
                                    </tr>
                                </Show>
                            }
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// A member's personal keys, which an admin may delete (only the member
/// makes them).
#[component]
pub fn MemberKeys(member: Member) -> impl IntoView {
    let versions = use_versions();
    let api = use_api();
    let path = paths::MEMBER_KEYS.with(&[&member.id]);
    let keys = crate::resources::load(move || {
        versions.track(Data::Keys);
        let path = path.clone();
        async move { api.get::<TokenList>(&path).await }
    });
    let failure = RwSignal::new(None::<ApiFailure>);
    let on_deleted = Callback::new(move |_| {
        versions.bump(Data::Keys);
        versions.bump(Data::Members);
    });
    let member_id = member.id.clone();
    view! {
        <section class="keys" aria-label=format!("Personal keys of {}", member.name) data-testid="member-keys-panel">
            <ErrorBanner failure />
            {move || loaded(keys.get(), "Loading personal keys…", "an admin token", |ok| match ok {
                l if l.items.is_empty() => view! {
                    <p class="muted" data-testid="keys-empty">"No personal keys. Members create their own on their profile."</p>
                }.into_any(),
                l => view! { <KeyTable items=l.items member_id=member_id.clone() failure on_deleted /> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn InviteDialog(
    catalog: Catalog,
    personas: Signal<Vec<Persona>>,
    projects: Signal<Vec<Project>>,
    open: RwSignal<Open>,
    done: RwSignal<Option<String>>,
) -> impl IntoView {
    let api = use_api();
    let choice = use_project();
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let message = RwSignal::new(String::new());
    let days = RwSignal::new(DEFAULT_DAYS);
    let project = RwSignal::new(choice.current.get_untracked());
    let finder = Finder::buckets(api, Signal::derive(move || Some(project.get())));
    let grid = RwSignal::new(Grid::new(catalog.clone()));
    let chosen = RwSignal::new(Vec::<String>::new());
    let extra = Signal::derive(move || personas.with(|ps| chosen.with(|c| persona_grants(ps, c))));
    let sources = Signal::derive(move || personas.with(|ps| chosen.with(|c| persona_names(ps, c))));
    let local = RwSignal::new(None::<String>);
    let invite = Mutation::new(
        move |body: CreateMember| async move {
            api.send::<_, MemberCreated>(Method::POST, paths::MEMBERS.template(), &body)
                .await
        },
        move |c: MemberCreated| {
            done.set(Some(format!(
                "Invitation sent to {}. It can be accepted once, until {}.",
                c.member.email,
                format::when(c.invitation.expires_at)
            )));
            open.set(Open::Nothing);
        },
    )
    .changes(Data::Members);
    let (pending, failure) = (invite.pending(), invite.failure());
    let field =
        move |f: &'static str| move || failure.with(|x| x.as_ref().and_then(|x| x.field(f)));
    let close = Callback::new(move |_| open.set(Open::Nothing));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !grid.with_untracked(|g| g.problems()).is_empty() {
            local.set(Some("Some permissions have no resources chosen.".into()));
            return;
        }
        local.set(None);
        let text = message.get_untracked();
        let picked = chosen.get_untracked();
        invite.dispatch(CreateMember {
            email: email.get_untracked().trim().to_string(),
            name: name.get_untracked().trim().to_string(),
            grants: Some(grid.with_untracked(|g| g.grants())),
            personas: (!picked.is_empty()).then_some(picked),
            project: Some(project.get_untracked()),
            message: (!text.trim().is_empty()).then_some(text),
            expires_in: Some(days.get_untracked() * 86_400),
        });
    };
    let project_options = move || {
        let mut ids: Vec<String> = projects.with(|ps| ps.iter().map(|p| p.id.clone()).collect());
        let current = project.get();
        if !ids.contains(&current) {
            ids.insert(0, current.clone());
        }
        ids.into_iter()
            .map(|id| {
                let selected = id == current;
                view! { <option value=id.clone() selected=selected>{id.clone()}</option> }
            })
            .collect_view()
    };
    let (email_error, name_error, message_error, project_error, grants_error) = (
        field("email"),
        field("name"),
        field("message"),
        field("project"),
        field("grants"),
    );
    view! {
        <Dialog title="Invite a member" testid="invite-dialog" on_close=close wide=true>
            <form novalidate on:submit=submit>
                <p class="muted">"They get an email with a link. Accepting it shows them their own token's secret, once."</p>
                <div class="field">
                    <label for="member-email">"Email"</label>
                    <input id="member-email" type="email" autocomplete="off" data-testid="member-email-input" bind:value=email
                        aria-invalid=move || email_error().is_some().then_some("true") />
                    <p class="field-error" data-testid="member-error-email">{email_error}</p>
                </div>
                <div class="field">
                    <label for="member-name">"Name"</label>
                    <input id="member-name" type="text" autocomplete="off" data-testid="member-name-input" bind:value=name
                        aria-invalid=move || name_error().is_some().then_some("true") />
                    <p class="field-error" data-testid="member-error-name">{name_error}</p>
                </div>
                <div class="field">
                    <label for="member-message">"Message " <span class="muted">"(optional, shown in the email)"</span></label>
                    <textarea id="member-message" rows="2" data-testid="member-message" bind:value=message></textarea>
                    <p class="field-error">{message_error}</p>
                </div>
                <div class="field">
                    <label for="member-project">"Project"</label>
                    <select id="member-project" data-testid="member-project"
                        prop:value=move || project.get()
                        on:change=move |ev| project.set(event_target_value(&ev))>
                        {project_options}
                    </select>
                    <p class="field-error">{project_error}</p>
                </div>
                <div class="field">
                    <ValiditySelect id="member-validity" days />
                </div>
                <section class="field">
                    <h3 class="section-title">"Permissions"</h3>
                    <PermissionGrid grid finder prefix="member-" />
                </section>
                <PersonaPicker personas chosen catalog=catalog.clone() subject="member" />
                <GrantSummary grid extra sources heading="This member will be able to" />
                <p class="field-error" data-testid="member-error-grants">{move || local.get().or_else(grants_error)}</p>
                <ErrorBanner failure />
                <div class="actions">
                    <button type="submit" class="primary" data-testid="invite-submit" disabled=move || pending.get()>
                        {move || if pending.get() { "Sending…" } else { "Send invitation" }}
                    </button>
                    <button type="button" class="secondary" data-testid="invite-cancel" on:click=move |_| close.run(())>"Cancel"</button>
                </div>
            </form>
        </Dialog>
    }
}

/// A member's grants and personas (complete sets); their keys follow.
#[component]
fn EditMember(
    catalog: Catalog,
    member: Member,
    personas: Signal<Vec<Persona>>,
    open: RwSignal<Open>,
    done: RwSignal<Option<String>>,
) -> impl IntoView {
    let api = use_api();
    let finder = Finder::buckets(api, Signal::stored(Some(member.project.clone())));
    let name = RwSignal::new(member.name.clone());
    let grid = RwSignal::new(Grid::from_grants(catalog.clone(), &member.grants));
    let chosen = RwSignal::new(member.personas.clone());
    let extra = Signal::derive(move || personas.with(|ps| chosen.with(|c| persona_grants(ps, c))));
    let sources = Signal::derive(move || personas.with(|ps| chosen.with(|c| persona_names(ps, c))));
    let local = RwSignal::new(None::<String>);
    let path = paths::MEMBER.with(&[&member.id]);
    let preview_path = path.clone();
    let save = Mutation::new(
        move |body: UpdateMember| {
            let path = path.clone();
            async move { api.send::<_, Member>(Method::PATCH, &path, &body).await }
        },
        move |m: Member| {
            done.set(Some(format!(
                "{} saved: their user token and personal keys hold the new permissions now.",
                m.name
            )));
            open.set(Open::Nothing);
        },
    )
    .changes(Data::Members);
    let (pending, failure) = (save.pending(), save.failure());
    let change = move || UpdateMember {
        name: Some(name.get_untracked().trim().to_string()),
        grants: Some(grid.with_untracked(|g| g.grants())),
        personas: Some(chosen.get_untracked()),
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !grid.with_untracked(|g| g.problems()).is_empty() {
            local.set(Some("Some permissions have no resources chosen.".into()));
            return;
        }
        local.set(None);
        save.dispatch(change());
    };
    // "Preview": what the change does to the member's user token and keys.
    let body = Callback::new(move |()| serde_json::to_string(&change()).ok());
    let watch = Callback::new(move |()| {
        name.track();
        grid.track();
        chosen.track();
    });
    let name_error = move || failure.with(|x| x.as_ref().and_then(|x| x.field("name")));
    view! {
        <section class="card" data-testid="member-form" aria-labelledby="member-form-title">
            <h2 id="member-form-title">{format!("Edit {} ({})", member.name, member.email)}</h2>
            <p class="muted">"Saving replaces the member's permissions and personas with exactly what is ticked below. Their user token and every personal key follow at once."</p>
            <form novalidate on:submit=submit>
                <div class="field">
                    <label for="edit-member-name">"Name"</label>
                    <input id="edit-member-name" type="text" autocomplete="off" data-testid="edit-member-name" bind:value=name />
                    <p class="field-error">{name_error}</p>
                </div>
                <section class="field">
                    <h3 class="section-title">"Permissions"</h3>
                    <PermissionGrid grid finder prefix="member-" />
                </section>
                <PersonaPicker personas chosen catalog subject="member" />
                <GrantSummary grid extra sources heading="This member will be able to" />
                <PreviewStep method=Method::PATCH path=preview_path body watch failure testid="member-preview" />
                <p class="field-error">{move || local.get()}</p>
                <ErrorBanner failure />
                <div class="actions">
                    <button type="submit" class="primary" data-testid="member-save" disabled=move || pending.get()>
                        {move || if pending.get() { "Saving…" } else { "Save member" }}
                    </button>
                    <button type="button" class="secondary" data-testid="member-cancel" on:click=move |_| open.set(Open::Nothing)>"Cancel"</button>
                </div>
            </form>
        </section>
    }
}

#[component]
fn DeleteMember(
    member: Member,
    open: RwSignal<Open>,
    done: RwSignal<Option<String>>,
) -> impl IntoView {
    let api = use_api();
    let path = paths::MEMBER.with(&[&member.id]);
    let preview_path = path.clone();
    let who = member.name.clone();
    let close = Callback::new(move |_| open.set(Open::Nothing));
    let remove = Mutation::new(
        move |path: String| async move { api.delete(&path).await },
        move |()| {
            done.set(Some(format!("{who} removed.")));
            open.set(Open::Nothing);
        },
    )
    .changes(Data::Members);
    let (pending, failure) = (remove.pending(), remove.failure());
    let confirm = move |_| remove.dispatch(path.clone());
    let keys = match member.personal_keys {
        0 => "their user token stops working".to_string(),
        1 => "their user token and their personal key stop working".to_string(),
        n => format!("their user token and all {n} of their personal keys stop working"),
    };
    view! {
        <Dialog title=format!("Remove {}?", member.name) testid="member-delete-dialog" on_close=close>
            <p data-testid="member-delete-text">
                {format!("{} ({}) loses access: {keys} at once. This cannot be undone.", member.name, member.email)}
            </p>
            <DeletePreview path=preview_path />
            <ErrorBanner failure />
            <div class="actions">
                <button type="button" class="danger" data-testid="member-delete-confirm" disabled=move || pending.get() on:click=confirm>
                    {move || if pending.get() { "Removing…" } else { "Remove member" }}
                </button>
                <button type="button" class="secondary" on:click=move |_| close.run(())>"Cancel"</button>
            </div>
        </Dialog>
    }
}
