//! `/tokens/new`: the form, then the secret, once.

use crate::api::use_api;
use crate::components::common::{Loading, SecretReveal};
use crate::components::grid::Finder;
use crate::components::loader::{answer, loaded};
use crate::components::token_form::{FormInit, TokenDraft, TokenForm};
use crate::mutation::Mutation;
use crate::resources::{catalog_resource, personas_resource, projects_resource};
use crate::session::{use_project, use_session};
use gloo_net::http::Method;
use keyward_domain::api::{CreateToken, IssuedToken, Persona, Token};
use keyward_domain::paths;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

#[component]
pub fn NewToken() -> impl IntoView {
    let api = use_api();
    let session = use_session();
    let choice = use_project();
    let catalog = catalog_resource(api);
    // Admins start in the header's project; others in their own.
    let start = if session.is_full_admin() {
        choice.current.get_untracked()
    } else {
        session
            .whoami
            .with_untracked(|w| w.as_ref().map(|w| w.project.clone()))
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| keyward_domain::DEFAULT_PROJECT.to_string())
    };
    let project = RwSignal::new(start);
    let finder = Finder::buckets(api, Signal::derive(move || Some(project.get())));
    let loaded_personas = personas_resource(api);
    let personas = Signal::derive(move || loaded_personas.get().unwrap_or_default());
    // Templates: `?from=<token id>` duplicates a token's permissions,
    // `?persona=<id>` starts from a copy of a persona's grants.
    let query = use_query_map();
    let from = Memo::new(move |_| query.with(|q| q.get("from")).filter(|s| !s.is_empty()));
    let from_persona =
        Memo::new(move |_| query.with(|q| q.get("persona")).filter(|s| !s.is_empty()));
    let source = crate::resources::load(move || {
        let id = from.get();
        async move {
            match id {
                Some(id) => Some(api.get::<Token>(&paths::TOKEN.with(&[&id])).await),
                None => None,
            }
        }
    });
    let projects = projects_resource(api);
    let projects = Signal::derive(move || projects.get().unwrap_or_default());
    let issued = RwSignal::new(None::<IssuedToken>);
    let create = Mutation::new(
        move |body: CreateToken| async move {
            api.send::<_, IssuedToken>(Method::POST, paths::TOKENS.template(), &body)
                .await
        },
        move |t| issued.set(Some(t)),
    );
    let on_submit = Callback::new(move |draft: TokenDraft| create.dispatch(draft.create_body()));
    let (pending, failure) = (create.pending(), create.failure());

    view! {
        <div class="page-head">
            <h1>"Create token"</h1>
            <a href="/tokens" class="link">"Back to tokens"</a>
        </div>
        {move || match issued.get() {
            Some(t) => view! {
                <SecretReveal secret=t.secret.clone() title=format!("Token “{}” created", t.token.name) />
                <div class="actions">
                    <a class="button primary" href=format!("/tokens/{}", t.token.id) data-testid="go-to-token">"View the token"</a>
                    <a class="button secondary" href="/tokens">"Back to tokens"</a>
                </div>
            }.into_any(),
            None => loaded(catalog.get(), "Loading the permission catalog…", "tokens:manage", |c| {
                    let (init, note) = match (from.get(), from_persona.get()) {
                        (Some(_), _) => {
                            let t = match answer(source.get().flatten(), "Loading the token to duplicate…", "tokens:read") {
                                Ok(t) => t,
                                Err(instead) => return instead,
                            };
                            // A copy works where the original does.
                            if let Some(p) = t.project.clone().filter(|p| *p != project.get_untracked()) {
                                project.set(p);
                            }
                            let note = format!("Duplicating “{}”: the same permissions, personas and rate limit. Give the copy its own name and expiry.", t.name);
                            (FormInit::duplicate_of(&t), Some(note))
                        }
                        (None, Some(id)) => match loaded_personas.get() {
                            None => return view! { <Loading what="Loading personas…" /> }.into_any(),
                            Some(ps) => match ps.iter().find(|p| p.id == id) {
                                Some(p) => (FormInit::from_persona(p), Some(format!("Started from the permissions of persona “{}” (a copy: later changes to the persona do not reach this token).", p.name))),
                                None => (FormInit::default(), Some("That persona no longer exists: the token starts with no permissions.".to_string())),
                            },
                        },
                        (None, None) => (FormInit::default(), None),
                    };
                    view! {
                    <div class="card">
                        <TemplatePicker personas chosen=from_persona />
                        {note.map(|n| view! { <p class="banner banner-info" role="note" data-testid="template-note">{n}</p> })}
                        <TokenForm
                            catalog=c
                            init
                            finder
                            pending
                            failure
                            submit_label="Create token"
                            pending_label="Creating…"
                            on_submit
                            personas
                            projects
                            project
                        />
                    </div>
                    }.into_any()
            }),
        }}
    }
}

/// "Start from": a blank token or a copy of a persona's grants.
#[component]
fn TemplatePicker(personas: Signal<Vec<Persona>>, chosen: Memo<Option<String>>) -> impl IntoView {
    let navigate = use_navigate();
    let pick = move |ev: leptos::ev::Event| {
        let id = event_target_value(&ev);
        let to = if id.is_empty() {
            "/tokens/new".to_string()
        } else {
            format!("/tokens/new?persona={}", crate::api::enc(&id))
        };
        navigate(&to, NavigateOptions::default());
    };
    // Hidden (not left out) while there are no personas, so that the
    // handler is made once, outside any reactive closure.
    view! {
        <div class="field template-picker" style:display=move || if personas.with(Vec::is_empty) { "none" } else { "" }>
            <label for="token-template">"Start from"</label>
            <select id="token-template" data-testid="token-template" on:change=pick>
                <option value="" selected=move || chosen.get().is_none()>"Nothing: a token with no permissions"</option>
                {move || personas.get().into_iter().map(|p| {
                    let id = p.id.clone();
                    view! {
                        <option value=p.id.clone() selected=move || chosen.get().as_deref() == Some(id.as_str())>
                            {format!("The permissions of persona {} (copied)", p.name)}
                        </option>
                    }
                }).collect_view()}
            </select>
            <p class="muted small">"Copies the persona's permissions into the token; to have the token follow the persona instead, link it under Personas below."</p>
        </div>
    }
}
