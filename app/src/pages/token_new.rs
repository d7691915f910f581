//! `/tokens/new`: the form, then the secret, once.

use crate::api::use_api;
use crate::components::common::{FailurePanel, Loading, SecretReveal};
use crate::components::token_form::{FormInit, TokenDraft, TokenForm};
use crate::mutation::Mutation;
use crate::resources::{catalog_resource, known_in, personas_resource, projects_resource};
use crate::session::{use_project, use_session};
use gloo_net::http::Method;
use keyward_domain::api::{CreateToken, IssuedToken};
use keyward_domain::paths;
use leptos::prelude::*;

#[component]
pub fn NewToken() -> impl IntoView {
    crate::set_title("Create token");
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
    let known = known_in(api, Signal::derive(move || Some(project.get())));
    let known = Signal::derive(move || known.get().unwrap_or_default());
    let personas = personas_resource(api);
    let personas = Signal::derive(move || personas.get().unwrap_or_default());
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
            None => match catalog.get() {
                None => view! { <Loading what="Loading the permission catalog…" /> }.into_any(),
                Some(Err(f)) => view! { <FailurePanel failure=f needs="tokens:manage" /> }.into_any(),
                Some(Ok(c)) => view! {
                    <div class="card">
                        <TokenForm
                            catalog=c
                            init=FormInit::default()
                            known
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
                }.into_any(),
            },
        }}
    }
}
