//! `/profile`: a member, signed in with their user token, sees who they
//! are and what they may do, and manages their personal keys. A personal
//! key has no permissions of its own: it acts as its member, so it always
//! holds exactly what the member holds.

use crate::api::{use_api, ApiFailure};
use crate::components::common::{grants_of, ErrorBanner, HeldList, SecretReveal};
use crate::components::keys::{key_label, KeyTable};
use crate::components::loader::{both, loaded};
use crate::components::personas::persona_names;
use crate::mutation::Mutation;
use crate::resources::catalog_resource;
use crate::resources::{use_versions, Data};
use crate::session::use_session;
use gloo_net::http::Method;
use keyward_domain::api::{CreatePersonalKey, IssuedToken, Member, PersonaList, TokenList, WhoAmI};
use keyward_domain::describe::{held_permissions, summary};
use keyward_domain::paths;
use keyward_domain::{Catalog, TokenKind};
use leptos::prelude::*;

#[component]
pub fn Profile() -> impl IntoView {
    let api = use_api();
    let session = use_session();
    // Fresh, not the sign-in's: an admin may have changed the member since.
    let who =
        crate::resources::load(
            move || async move { api.get::<WhoAmI>(paths::WHOAMI.template()).await },
        );
    let catalog = catalog_resource(api);
    view! {
        <div class="page-head"><h1>"Your profile"</h1></div>
        {move || loaded(both(who.get(), catalog.get()), "Loading your profile…", "a valid token", |(w, c)| {
                session.whoami.set(Some(w.clone()));
                match (w.token.kind, w.token.member_id.clone()) {
                    (TokenKind::User, Some(id)) => view! { <MemberProfile who=w member_id=id catalog=c /> }.into_any(),
                    _ => view! {
                        <section class="panel panel-info" data-testid="profile-not-member" role="status">
                            <h2>"This page is for members"</h2>
                            <p>"Sign in with the user token you received by invitation to see your profile and manage your personal keys."</p>
                        </section>
                    }.into_any(),
                }
        })}
    }
}

#[component]
fn MemberProfile(who: WhoAmI, member_id: String, catalog: Catalog) -> impl IntoView {
    let api = use_api();
    let member_path = paths::MEMBER.with(&[&member_id]);
    let member = crate::resources::load(move || {
        let path = member_path.clone();
        async move { api.get::<Member>(&path).await }
    });
    // The personas this member holds through (the API shows a member only
    // those).
    let personas = crate::resources::load(move || async move {
        api.get::<PersonaList>(paths::PERSONAS.template())
            .await
            .map(|l| l.items)
            .unwrap_or_default()
    });
    let grants = grants_of(&who.permissions);
    let line = summary(&catalog, &grants);
    let held = held_permissions(&catalog, &grants);
    let project = who.project.clone();
    view! {
        <section class="card" aria-labelledby="me-title" data-testid="profile">
            <h2 id="me-title">"You"</h2>
            {move || loaded(member.get(), "Loading…", "a member's user token", |m| view! {
                    <dl class="meta">
                        <dt>"Name"</dt><dd data-testid="profile-name">{m.name.clone()}</dd>
                        <dt>"Email"</dt><dd data-testid="profile-email">{m.email.clone()}</dd>
                        <dt>"Project"</dt><dd data-testid="profile-project">{m.project.clone()}</dd>
                        <dt>"Personas"</dt>
                        <dd data-testid="profile-personas">
                            {move || {
                                let known = personas.get().unwrap_or_default();
                                let names = persona_names(&known, &m.personas);
                                if names.is_empty() { "None".to_string() } else { names.join(", ") }
                            }}
                        </dd>
                    </dl>
                }.into_any()
            )}
            <h3 class="section-title">"What you may do"</h3>
            <p class="summary-line" data-testid="profile-summary">{line}</p>
            <HeldList held />
            <p class="muted small">{format!("In project {project}. An admin sets these; your personal keys always hold exactly the same.")}</p>
        </section>
        <PersonalKeys member_id />
    }
}

/// Expiry choices for a new key, in days (`None`: never).
const KEY_EXPIRY: [(Option<u64>, &str); 4] = [
    (Some(7), "7 days"),
    (Some(30), "30 days"),
    (Some(90), "90 days"),
    (None, "Never"),
];

#[component]
fn PersonalKeys(member_id: String) -> impl IntoView {
    let api = use_api();
    let versions = use_versions();
    let keys_path = paths::MEMBER_KEYS.with(&[&member_id]);
    let keys = crate::resources::load(move || {
        versions.track(Data::Keys);
        let path = keys_path.clone();
        async move { api.get::<TokenList>(&path).await }
    });
    let name = RwSignal::new(String::new());
    let expiry = RwSignal::new(Some(30u64));
    let list_failure = RwSignal::new(None::<ApiFailure>);
    let issued = RwSignal::new(None::<IssuedToken>);
    let local = RwSignal::new(None::<String>);
    let create_path = paths::MEMBER_KEYS.with(&[&member_id]);
    let create = Mutation::new(
        move |body: CreatePersonalKey| {
            let path = create_path.clone();
            async move { api.send::<_, IssuedToken>(Method::POST, &path, &body).await }
        },
        move |t: IssuedToken| {
            name.set(String::new());
            issued.set(Some(t));
        },
    )
    .changes(Data::Keys);
    let (pending, failure) = (create.pending(), create.failure());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let n = name.get_untracked().trim().to_string();
        if n.is_empty() {
            local.set(Some(
                "Give the key a name, e.g. where it will be used.".into(),
            ));
            return;
        }
        local.set(None);
        issued.set(None);
        create.dispatch(CreatePersonalKey {
            name: n,
            expires_in: expiry.get_untracked().map(|d| d * 86_400),
            ..Default::default()
        });
    };
    let on_deleted = Callback::new(move |_| {
        issued.set(None);
        versions.bump(Data::Keys);
    });
    let name_error = move || {
        local
            .get()
            .or_else(|| failure.with(|f| f.as_ref().and_then(|f| f.field("name"))))
    };
    let member_id = StoredValue::new(member_id);
    view! {
        <section class="card" aria-labelledby="keys-title" data-testid="personal-keys">
            <h2 id="keys-title">"Personal keys"</h2>
            <p class="muted">
                "A personal key acts as you: it holds exactly your permissions, and changes when they do. Use one per script or machine, and delete it when it is no longer needed."
            </p>
            {move || issued.get().map(|t| view! {
                <SecretReveal secret=t.secret.clone() title=format!("Personal key “{}” created", key_label(&t.token.name)) />
            })}
            <form class="inline-form" data-testid="key-form" on:submit=submit novalidate>
                <div class="field">
                    <label for="key-name">"Name"</label>
                    <input id="key-name" type="text" maxlength="80" autocomplete="off" data-testid="key-name-input"
                        placeholder="e.g. laptop CLI"
                        aria-invalid=move || name_error().is_some().to_string()
                        aria-describedby="key-name-error"
                        bind:value=name />
                    <p class="field-error" id="key-name-error" data-testid="key-error-name">{name_error}</p>
                </div>
                <div class="field">
                    <label for="key-expiry">"Expires after"</label>
                    <select id="key-expiry" data-testid="key-expiry" on:change=move |ev| {
                        expiry.set(event_target_value(&ev).parse().ok())
                    }>
                        {KEY_EXPIRY.iter().map(|(d, label)| {
                            let value = d.map(|d| d.to_string()).unwrap_or_else(|| "never".into());
                            view! { <option value=value selected=*d == Some(30)>{*label}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field actions-inline">
                    <button type="submit" class="primary" data-testid="key-create" disabled=move || pending.get()>
                        {move || if pending.get() { "Creating…" } else { "Create key" }}
                    </button>
                </div>
            </form>
            <Show when=move || expiry.get().is_none()>
                <p class="banner banner-warn" role="note">"A key that never expires works until you delete it."</p>
            </Show>
            <ErrorBanner failure=Signal::derive(move || failure.get().filter(|f| f.field("name").is_none())) />
            <ErrorBanner failure=list_failure />
            {move || loaded(keys.get(), "Loading your keys…", "a member's user token", |ok| match ok {
                l if l.items.is_empty() => view! {
                    <p class="muted" data-testid="keys-empty">"You have no personal keys yet."</p>
                }.into_any(),
                l => view! {
                    <KeyTable items=l.items member_id=member_id.get_value() failure=list_failure on_deleted />
                }.into_any(),
            })}
        </section>
    }
}
