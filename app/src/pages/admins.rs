//! `/admins`: list, add (an enrolment link is emailed; a master secret is
//! made, and shown once, only when asked for), remove.

use crate::api::use_api;
use crate::components::common::{Dialog, ErrorBanner, SecretReveal};
use crate::components::loader::loaded;
use crate::format;
use crate::mutation::Mutation;
use crate::resources::{use_versions, Data};
use gloo_net::http::Method;
use keyward_domain::api::{Admin, AdminCreated, AdminList, CreateAdmin};
use keyward_domain::paths;
use leptos::prelude::*;

#[component]
pub fn Admins() -> impl IntoView {
    let api = use_api();
    let versions = use_versions();
    let list = crate::resources::load(move || {
        versions.track(Data::Admins);
        async move { api.get::<AdminList>(paths::ADMINS.template()).await }
    });
    let created = RwSignal::new(None::<AdminCreated>);
    let removing = RwSignal::new(None::<Admin>);
    let admin_count = move || {
        list.get()
            .and_then(|r| r.ok())
            .map(|l| l.items.len())
            .unwrap_or(0)
    };
    view! {
        <div class="page-head"><h1>"Admins"</h1></div>
        <p class="muted">"Each admin signs in with a passkey and acts through a master token that holds every permission. Removing an admin deletes their master and personal tokens."</p>
        {move || created.get().map(|c| view! { <Created c /> })}
        {move || loaded(list.get(), "Loading admins…", "a master token", |l| view! {
                <div class="table-wrap card">
                    <table class="responsive" data-testid="admin-table">
                        <thead><tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Email"</th>
                            <th scope="col">"Added"</th>
                            <th scope="col">"Master token"</th>
                            <th scope="col"><span class="sr-only">"Actions"</span></th>
                        </tr></thead>
                        <tbody>
                            {l.items.clone().into_iter().map(|a| view! {
                                <tr data-testid="admin-row">
                                    <td data-label="Name">{a.name.clone()}</td>
                                    <td data-label="Email">{a.email.clone()}</td>
                                    <td data-label="Added">{format::ago(Some(a.created_at), "")}</td>
                                    <td data-label="Master token"><a href=format!("/tokens/{}", a.master_token_id)>"View"</a></td>
                                    <td data-label="">
                                        <button type="button" class="danger small" data-testid="remove-admin"
                                            aria-label=format!("Remove {}", a.name)
                                            on:click={
                                                let a = a.clone();
                                                move |_| removing.set(Some(a.clone()))
                                            }>"Remove"</button>
                                    </td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        )}
        <AddAdmin created />
        {move || removing.get().map(|a| view! { <RemoveAdmin admin=a removing last={ admin_count() <= 1 } /> })}
    }
}

/// What adding an admin did: the enrolment email, and the master secret
/// if one was asked for.
#[component]
fn Created(c: AdminCreated) -> impl IntoView {
    let sent = c
        .enrolment
        .as_ref()
        .map(|e| e.email.clone())
        .unwrap_or_else(|| c.admin.email.clone());
    view! {
        <p class="banner banner-info" role="status" data-testid="admin-enrolment-sent">
            {format!("Added {}. The enrolment link was emailed to {sent}: they create their passkey with it.", c.admin.name)}
        </p>
        {c.secret.map(|secret| view! {
            <SecretReveal secret title=format!("Master token for {}", c.admin.name) />
        })}
    }
}

#[component]
fn AddAdmin(created: RwSignal<Option<AdminCreated>>) -> impl IntoView {
    let api = use_api();
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let with_secret = RwSignal::new(false);
    let add = Mutation::new(
        move |body: CreateAdmin| async move {
            api.send::<_, AdminCreated>(Method::POST, paths::ADMINS.template(), &body)
                .await
        },
        move |c: AdminCreated| {
            email.set(String::new());
            name.set(String::new());
            with_secret.set(false);
            created.set(Some(c));
        },
    )
    .changes(Data::Admins);
    let (pending, failure) = (add.pending(), add.failure());
    let field =
        move |f: &'static str| move || failure.with(|x| x.as_ref().and_then(|x| x.field(f)));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        add.dispatch(CreateAdmin {
            email: email.get_untracked().trim().to_string(),
            name: name.get_untracked().trim().to_string(),
            master_secret: Some(with_secret.get_untracked()),
        });
    };
    view! {
        <section class="card" aria-labelledby="add-admin-title">
            <h2 id="add-admin-title">"Add an admin"</h2>
            <form class="inline-form" on:submit=submit data-testid="add-admin-form">
                <div class="field">
                    <label for="admin-name">"Name"</label>
                    <input id="admin-name" type="text" autocomplete="off" data-testid="admin-name" bind:value=name />
                    <p class="field-error">{field("name")}</p>
                </div>
                <div class="field">
                    <label for="admin-email">"Email"</label>
                    <input id="admin-email" type="email" autocomplete="off" data-testid="admin-email" bind:value=email />
                    <p class="field-error">{field("email")}</p>
                </div>
                <div class="field checkbox">
                    <label>
                        <input type="checkbox" data-testid="admin-master-secret" bind:checked=with_secret />
                        " Also create a master secret for automation (shown once)"
                    </label>
                </div>
                <div class="field actions-inline">
                    <button type="submit" class="primary" data-testid="add-admin" disabled=move || pending.get()>
                        {move || if pending.get() { "Adding…" } else { "Add admin" }}
                    </button>
                </div>
            </form>
            <ErrorBanner failure />
        </section>
    }
}

#[component]
fn RemoveAdmin(admin: Admin, removing: RwSignal<Option<Admin>>, last: bool) -> impl IntoView {
    let api = use_api();
    let path = paths::ADMIN.with(&[&admin.id]);
    let close = Callback::new(move |_| removing.set(None));
    let remove = Mutation::new(
        move |path: String| async move { api.delete(&path).await },
        move |()| {
            removing.set(None);
        },
    )
    .changes(Data::Admins);
    let (pending, failure) = (remove.pending(), remove.failure());
    let confirm = move |_| remove.dispatch(path.clone());
    view! {
        <Dialog title=format!("Remove {}?", admin.name) testid="remove-admin-dialog" on_close=close>
            <p>
                {format!("{} ({}) loses access, and their master and personal tokens stop working at once.", admin.name, admin.email)}
            </p>
            {last.then(|| view! { <p class="banner banner-warn">"This is the only admin: Keyward will refuse to remove the last one."</p> })}
            <ErrorBanner failure />
            <div class="actions">
                <button type="button" class="danger" data-testid="remove-admin-confirm" disabled=move || pending.get() on:click=confirm>
                    {move || if pending.get() { "Removing…" } else { "Remove admin" }}
                </button>
                <button type="button" class="secondary" on:click=move |_| close.run(())>"Cancel"</button>
            </div>
        </Dialog>
    }
}
