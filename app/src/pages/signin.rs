//! Sign-in: paste a token, see who you are.

use crate::api::{self, ApiFailure};
use crate::components::common::kind_label;
use crate::mutation::Mutation;
use crate::session::use_session;
use gloo_net::http::Method;
use keyward_domain::api::{Health, WhoAmI};
use keyward_domain::paths;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;

#[component]
pub fn HealthLine() -> impl IntoView {
    let health = crate::resources::load(|| {
        api::call::<Health>(None, Method::GET, paths::HEALTH.template(), None)
    });
    view! {
        <p class="health" data-testid="health" role="status">
            {move || match health.get() {
                None => view! { <span class="muted">"Checking the service…"</span> }.into_any(),
                Some(Ok(h)) => view! {
                    <span class="health-ok">
                        {format!("Service {} (storage {}), version {}", h.status, h.kv, h.version)}
                    </span>
                }.into_any(),
                Some(Err(e)) => view! {
                    <span class="health-bad">{format!("Service unreachable: {e}")}</span>
                }.into_any(),
            }}
        </p>
    }
}

#[component]
pub fn SignIn() -> impl IntoView {
    crate::set_title("Sign in");
    let session = use_session();
    view! {
        <div class="signin-page">
            <section class="card signin-card">
                <h1>"Keyward"</h1>
                <p class="muted">"Scoped API tokens, managed here and enforced at the edge."</p>
                <HealthLine />
                <Show when=move || session.signed_in() fallback=|| view! { <SignInForm /> }>
                    <SignedIn />
                </Show>
            </section>
        </div>
    }
}

#[component]
fn SignedIn() -> impl IntoView {
    let session = use_session();
    let who = move || session.whoami.get();
    view! {
        <div data-testid="signed-in">
            {move || match who() {
                None => view! { <p class="muted">"Checking your token…"</p> }.into_any(),
                Some(w) => view! {
                    <p>
                        "Signed in with "
                        <strong data-testid="whoami-name">{w.token.name.clone()}</strong>
                        {format!(" ({} token, client id ", kind_label(w.token.kind).to_lowercase())}
                        <code>{w.token.client_id.clone()}</code>
                        ")."
                    </p>
                }.into_any(),
            }}
            <div class="actions">
                {move || if session.is_admin() {
                    view! { <a class="button primary" href="/tokens">"Go to tokens"</a> }.into_any()
                } else {
                    view! { <a class="button primary" href="/console" data-testid="go-console">"Open the console"</a> }.into_any()
                }}
                <button type="button" class="secondary" data-testid="signout-here" on:click=move |_| session.sign_out(None)>
                    "Sign out"
                </button>
            </div>
        </div>
    }
}

#[component]
fn SignInForm() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let secret = RwSignal::new(String::new());
    // A check made here before sending ("paste a token first").
    let local = RwSignal::new(None::<String>);
    let verify = Mutation::new(
        move |candidate: String| async move {
            let r: Result<WhoAmI, ApiFailure> = api::call(
                Some(&candidate),
                Method::GET,
                paths::WHOAMI.template(),
                None,
            )
            .await;
            r.map(|who| (candidate, who))
        },
        move |(candidate, who): (String, WhoAmI)| {
            let home = crate::session::home(&who);
            session.sign_in(candidate, who);
            secret.set(String::new());
            navigate(home, NavigateOptions::default());
        },
    );
    let pending = verify.pending();
    let error = Signal::derive(move || {
        local.get().or_else(|| {
            verify
                .failure()
                .with(|f| f.as_ref().map(|f| f.signin_reason()))
        })
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let candidate = secret.get_untracked().trim().to_string();
        if candidate.is_empty() {
            local.set(Some("Paste a token first.".into()));
            return;
        }
        local.set(None);
        verify.dispatch(candidate);
    };
    view! {
        {move || session.ended.get().map(|reason| view! {
            <div class="banner banner-warn" role="alert" data-testid="signout-reason">
                <strong>"You were signed out. "</strong>{reason}
            </div>
        })}
        <form class="signin-form" data-testid="signin-form" on:submit=submit>
            <div class="field">
                <label for="signin-secret">"Token"</label>
                <input
                    id="signin-secret"
                    type="password"
                    autocomplete="off"
                    spellcheck="false"
                    placeholder="kw_m_…"
                    data-testid="signin-input"
                    aria-describedby="signin-help signin-error"
                    aria-invalid=move || error.get().is_some().to_string()
                    bind:value=secret
                />
                <p class="muted small" id="signin-help">
                    "Paste a master token (or any token). It is kept only in this browser tab and forgotten when you sign out or close the tab."
                </p>
            </div>
            <p class="field-error" id="signin-error" role="alert" data-testid="signin-error">
                {move || error.get()}
            </p>
            <button type="submit" class="primary" data-testid="signin-submit" disabled=move || pending.get()>
                {move || if pending.get() { "Signing in…" } else { "Sign in" }}
            </button>
        </form>
    }
}
