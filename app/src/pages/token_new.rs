//! `/tokens/new`: the form, then the secret, once.

use crate::api::{use_api, Api, ApiFailure};
use crate::components::common::{FailurePanel, Loading, SecretReveal};
use crate::components::grid::Known;
use crate::components::token_form::{FormInit, TokenDraft, TokenForm};
use gloo_net::http::Method;
use keyward_domain::api::{BucketList, CreateToken, IssuedToken};
use keyward_domain::Catalog;
use leptos::prelude::*;

/// Existing buckets for the grid's picker. A token that cannot list
/// buckets still gets the grid: ids can be typed.
pub fn known_resources(api: Api) -> LocalResource<Known> {
    LocalResource::new(move || async move {
        let mut known = Known::new();
        if let Ok(list) = api.get::<BucketList>("/buckets").await {
            known.insert(
                "bucket".into(),
                list.items.into_iter().map(|b| b.id).collect(),
            );
        }
        known
    })
}

pub fn catalog_resource(api: Api) -> LocalResource<Result<Catalog, ApiFailure>> {
    LocalResource::new(move || async move { api.get::<Catalog>("/catalog").await })
}

#[component]
pub fn NewToken() -> impl IntoView {
    crate::set_title("Create token");
    let api = use_api();
    let catalog = catalog_resource(api);
    let known = known_resources(api);
    let known = Signal::derive(move || known.get().unwrap_or_default());
    let issued = RwSignal::new(None::<IssuedToken>);
    let pending = RwSignal::new(false);
    let failure = RwSignal::new(None::<ApiFailure>);
    let on_submit = Callback::new(move |draft: TokenDraft| {
        pending.set(true);
        failure.set(None);
        leptos::task::spawn_local(async move {
            let body = CreateToken {
                name: draft.name,
                description: (!draft.description.is_empty()).then_some(draft.description),
                grants: Some(draft.grants),
                expires_at: draft.expiry.flatten(),
                rate_limit: draft.rate_limit,
                ..Default::default()
            };
            let r = api
                .send::<_, IssuedToken>(Method::POST, "/tokens", &body)
                .await;
            pending.set(false);
            match r {
                Ok(t) => issued.set(Some(t)),
                Err(f) => failure.set(Some(f)),
            }
        });
    });

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
                        />
                    </div>
                }.into_any(),
            },
        }}
    }
}
