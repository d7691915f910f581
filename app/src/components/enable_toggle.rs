//! "Disable" or "Enable" for a token: on the token page and in the list's
//! rows (two lazy areas, so shared here).

use crate::api::use_api;
use crate::components::common::ErrorBanner;
use crate::components::toast::use_toasts;
use crate::mutation::Mutation;
use crate::resources::Data;
use gloo_net::http::Method;
use keyward_domain::api::{Token, UpdateToken};
use keyward_domain::paths;
use leptos::prelude::*;

/// "Disable" or "Enable": a disabled token is refused everywhere until it
/// is enabled again. Used on the token page and in the list's rows.
#[component]
pub fn EnableToggle(token: Token) -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let path = paths::TOKEN.with(&[&token.id]);
    let toggle = Mutation::new(
        move |enabled: bool| {
            let path = path.clone();
            let body = UpdateToken {
                enabled: Some(enabled),
                ..UpdateToken::default()
            };
            async move { api.send::<_, Token>(Method::PATCH, &path, &body).await }
        },
        move |t: Token| {
            toasts.say(if t.enabled {
                format!("Enabled “{}”: it works again.", t.name)
            } else {
                format!("Disabled “{}”: it is refused until enabled again.", t.name)
            });
        },
    )
    .changes(Data::Tokens);
    let (pending, failure) = (toggle.pending(), toggle.failure());
    let enabled = token.enabled;
    let label = format!(
        "{} “{}”",
        if enabled { "Disable" } else { "Enable" },
        token.name
    );
    view! {
        <button type="button" class="secondary" data-testid={if enabled { "disable-token" } else { "enable-token" }}
            aria-label=label disabled=move || pending.get() on:click=move |_| toggle.dispatch(!enabled)>
            {if enabled { "Disable" } else { "Enable" }}
        </button>
        <ErrorBanner failure />
    }
}
