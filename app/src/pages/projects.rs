//! `/projects`: the projects of this deployment (admins). A project-level
//! token acts only in its project; global keys carry grants per project.

use crate::api::use_api;
use crate::components::blast::PreviewStep;
use crate::components::common::ErrorBanner;
use crate::components::loader::loaded;
use crate::components::toast::use_toasts;
use crate::format;
use crate::mutation::Mutation;
use crate::resources::{use_versions, Data};
use crate::session::use_project;
use gloo_net::http::Method;
use keyward_domain::api::{
    CreateProject, ExpiryPolicy, LeakResponse, Project, ProjectList, UpdateProject,
};
use keyward_domain::expiry::describe_span;
use keyward_domain::paths;
use leptos::prelude::*;

#[component]
pub fn Projects() -> impl IntoView {
    let versions = use_versions();
    let api = use_api();
    let choice = use_project();
    let list = crate::resources::load(move || {
        versions.track(Data::Projects);
        async move { api.get::<ProjectList>(paths::PROJECTS.template()).await }
    });
    view! {
        <div class="page-head"><h1>"Projects"</h1></div>
        <p class="muted">
            "Tokens made in a project act only there. Buckets live in a project. The default project holds everything from before projects. Choose the project you work in with the switcher in the header."
        </p>
        {move || loaded(list.get(), "Loading projects…", "an admin token", |l| view! {
                <div class="table-wrap card">
                    <table class="responsive" data-testid="project-table">
                        <caption class="sr-only">"Projects"</caption>
                        <thead><tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"ID"</th>
                            <th scope="col">"Created"</th>
                            <th scope="col">"Token policies"</th>
                            <th scope="col"><span class="sr-only">"Actions"</span></th>
                        </tr></thead>
                        <tbody>
                            {l.items.clone().into_iter().map(|p| view! {
                                {
                                    let id = p.id.clone();
                                    let here = id.clone();
                                    let current = move || choice.current.with(|c| *c == here);
                                    view! {
                                        <tr data-testid="project-row">
                                            <td data-label="Name">
                                                <strong>{p.name.clone()}</strong>
                                                {(!p.description.is_empty()).then(|| view! { <div class="muted small">{p.description.clone()}</div> })}
                                            </td>
                                            <td data-label="ID"><code>{p.id.clone()}</code></td>
                                            <td data-label="Created" data-testid="project-created-at">{format::created(p.created_at)}</td>
                                            <td data-label="Token policies"><PolicyEdit project=p.clone() /></td>
                                            <td data-label="">
                                                <Show when=current.clone() fallback={
                                                    let (id, name) = (id.clone(), p.name.clone());
                                                    move || {
                                                        let id = id.clone();
                                                        view! {
                                                            <button type="button" class="secondary small" data-testid="project-use"
                                                                aria-label=format!("Work in {name}")
                                                                on:click=move |_| choice.choose(id.clone())>"Work here"</button>
                                                        }
                                                    }
                                                }>
                                                    <span class="badge badge-ok">"Current"</span>
                                                </Show>
                                            </td>
                                        </tr>
                                    }
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        )}
        <NewProject />
    }
}

/// A policy in words: "At most 90 days; required".
fn policy_text(p: &ExpiryPolicy) -> String {
    let max = p
        .max_lifetime_seconds
        .map_or("No maximum".to_string(), |s| {
            format!("At most {}", describe_span(s))
        });
    format!(
        "{max}; {}",
        if p.allow_never {
            "“never” allowed"
        } else {
            "required"
        }
    )
}

/// The project's expiry policy and leak response, and (admins) their
/// editor: the longest a token may live, in days, whether it may never
/// expire, and what happens to a token whose secret is reported leaked.
/// One form, one PATCH.
#[component]
fn PolicyEdit(project: Project) -> impl IntoView {
    let api = use_api();

    let toasts = use_toasts();
    let policy = project.expiry_policy;
    let days = RwSignal::new(
        policy
            .max_lifetime_seconds
            .map(|s| (s / 86_400).max(1).to_string())
            .unwrap_or_default(),
    );
    let allow_never = RwSignal::new(policy.allow_never);
    let leak = project.leak_response;
    let leak_choice = RwSignal::new(leak);
    let path = paths::PROJECT.with(&[&project.id]);
    let preview_path = path.clone();
    let save = Mutation::new(
        move |body: UpdateProject| {
            let path = path.clone();
            async move { api.send::<_, Project>(Method::PATCH, &path, &body).await }
        },
        move |p: Project| {
            toasts.say(format!(
                "Saved the expiry policy and leak response of “{}”.",
                p.name
            ));
        },
    )
    .changes(Data::Projects);
    let (pending, failure) = (save.pending(), save.failure());
    let change = move || {
        let max = days.get_untracked().trim().parse::<u64>().ok();
        UpdateProject {
            expiry_policy: Some(ExpiryPolicy {
                max_lifetime_seconds: max.map(|d| d * 86_400),
                allow_never: allow_never.get_untracked(),
            }),
            leak_response: Some(leak_choice.get_untracked()),
            ..UpdateProject::default()
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(change());
    };
    // "Preview": which of the project's tokens keep an expiry the new
    // policy would not admit.
    let body = Callback::new(move |()| serde_json::to_string(&change()).ok());
    let watch = Callback::new(move |()| {
        days.track();
        allow_never.track();
    });
    let pick = move |ev: leptos::ev::Event| {
        leak_choice.set(match event_target_value(&ev).as_str() {
            "revoke" => LeakResponse::Revoke,
            _ => LeakResponse::Disable,
        })
    };
    let option = move |r: LeakResponse| {
        view! { <option value=r.as_str() selected={r == leak}>{leak_text(r)}</option> }
    };
    let id = project.id.clone();
    view! {
        <span data-testid="project-policy">{policy_text(&policy)}</span>
        <div class="muted small">"Leaked secret: " <span data-testid="project-leak">{leak_text(leak)}</span></div>
        <details class="policy-edit">
            <summary data-testid="policy-edit">"Change"</summary>
            <form on:submit=submit novalidate data-testid="policy-form">
                <label for=format!("policy-days-{id}")>"Longest lifetime in days (empty: no maximum)"</label>
                <input id=format!("policy-days-{id}") type="number" min="1" max="3660" data-testid="policy-days" bind:value=days />
                <label class="choice">
                    <input type="checkbox" data-testid="policy-never" bind:checked=allow_never />
                    "Tokens may never expire"
                </label>
                <label for=format!("policy-leak-{id}")>"When GitHub reports one of the project's secrets as leaked"</label>
                <select id=format!("policy-leak-{id}") data-testid="leak-response" on:change=pick>
                    {option(LeakResponse::Disable)}
                    {option(LeakResponse::Revoke)}
                </select>
                <p class="muted small" data-testid="leak-explain">
                    "Keyward stops its token at once and emails the admins. Disabled, the token can be refreshed and enabled again; revoked, it is deleted and its holder needs a new one."
                </p>
                <PreviewStep method=Method::PATCH path=preview_path body watch failure testid="policy-preview" />
                <button type="submit" class="primary small" data-testid="policy-save" disabled=move || pending.get()>"Save policies"</button>
                <ErrorBanner failure />
            </form>
        </details>
    }
}

/// A leak response in words, as the project's row shows it.
fn leak_text(r: LeakResponse) -> &'static str {
    match r {
        LeakResponse::Disable => "Disable the token",
        LeakResponse::Revoke => "Revoke (delete) the token",
    }
}

#[component]
fn NewProject() -> impl IntoView {
    let api = use_api();

    let id = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let created = RwSignal::new(None::<Project>);
    let create = Mutation::new(
        move |body: CreateProject| async move {
            api.send::<_, Project>(Method::POST, paths::PROJECTS.template(), &body)
                .await
        },
        move |p: Project| {
            id.set(String::new());
            name.set(String::new());
            description.set(String::new());
            created.set(Some(p));
        },
    )
    .changes(Data::Projects);
    let (pending, failure) = (create.pending(), create.failure());
    let field = move |f: &'static str| {
        move || failure.with(|x| x.as_ref().and_then(|x| x.field_or_conflict(f, "id")))
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        created.set(None);
        let d = description.get_untracked();
        create.dispatch(CreateProject {
            id: id.get_untracked().trim().to_string(),
            name: name.get_untracked().trim().to_string(),
            description: (!d.trim().is_empty()).then_some(d),
            expiry_policy: None,
        });
    };
    let (id_error, name_error) = (field("id"), field("name"));
    view! {
        <section class="card" aria-labelledby="new-project-title">
            <h2 id="new-project-title">"Create a project"</h2>
            {move || created.get().map(|p| view! {
                <p class="banner banner-info" role="status" data-testid="project-created">
                    {format!("Project “{}” ({}) created.", p.name, p.id)}
                </p>
            })}
            <form class="inline-form" data-testid="project-form" on:submit=submit novalidate>
                <div class="field">
                    <label for="project-id">"ID " <span class="muted">"(lowercase letters, digits, dashes)"</span></label>
                    <input id="project-id" type="text" autocomplete="off" spellcheck="false" data-testid="project-id"
                        aria-invalid=move || id_error().is_some().to_string() bind:value=id />
                    <p class="field-error">{id_error}</p>
                </div>
                <div class="field">
                    <label for="project-name">"Name"</label>
                    <input id="project-name" type="text" autocomplete="off" data-testid="project-name"
                        aria-invalid=move || name_error().is_some().to_string() bind:value=name />
                    <p class="field-error">{name_error}</p>
                </div>
                <div class="field">
                    <label for="project-description">"Description " <span class="muted">"(optional)"</span></label>
                    <input id="project-description" type="text" autocomplete="off" data-testid="project-description" bind:value=description />
                </div>
                <div class="field actions-inline">
                    <button type="submit" class="primary" data-testid="project-create" disabled=move || pending.get()>
                        {move || if pending.get() { "Creating…" } else { "Create project" }}
                    </button>
                </div>
            </form>
            <ErrorBanner failure />
        </section>
    }
}
