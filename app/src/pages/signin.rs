//! Sign-in: a passkey, or (for recovery, automation and tokens that are no
//! person's) a pasted token.

use crate::api::{self, ApiFailure};
use crate::components::common::{kind_label, Loading};
use crate::mutation::Mutation;
use crate::session::{use_session, Session};
use gloo_net::http::Method;
use keyward_domain::api::{Health, PasskeyRequestOptions, WhoAmI};
use keyward_domain::paths;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use serde::de::IgnoredAny;

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
    let session = use_session();
    let page = move || {
        if !session.checked.get() {
            view! { <Loading what="Checking your session…" /> }.into_any()
        } else if session.signed_in() {
            view! { <SignedIn /> }.into_any()
        } else {
            view! { <SignInChoice /> }.into_any()
        }
    };
    view! {
        <div class="signin-page">
            <section class="card signin-card">
                <h1>"Keyward"</h1>
                <p class="muted">"Scoped API tokens, managed here and enforced at the edge."</p>
                <HealthLine />
                {page}
            </section>
        </div>
    }
}

#[component]
fn SignedIn() -> impl IntoView {
    let session = use_session();
    let api = api::Api::new(session);
    let who = move || session.whoami.get();
    view! {
        <div data-testid="signed-in">
            {move || who().map(|w| match w.person.clone() {
                Some(p) => view! {
                    <p>
                        "Signed in as "
                        <strong data-testid="whoami-name">{p.name}</strong>
                        {format!(" ({})", p.email)}
                        "."
                    </p>
                }.into_any(),
                None => view! {
                    <p>
                        "Signed in with "
                        <strong data-testid="whoami-name">{w.token.name.clone()}</strong>
                        {format!(" ({} token, client id ", kind_label(w.token.kind).to_lowercase())}
                        <code>{w.token.client_id.clone()}</code>
                        "), held in this tab's memory only."
                    </p>
                }.into_any(),
            })}
            <div class="actions">
                {move || who().map(|w| {
                    let home = crate::session::home(&w);
                    view! { <a class="button primary" href=home data-testid="go-home">"Continue"</a> }
                })}
                <button type="button" class="secondary" data-testid="signout-here"
                    on:click=move |_| leptos::task::spawn_local(async move { api.sign_out().await })>
                    "Sign out"
                </button>
            </div>
        </div>
    }
}

/// After a sign-in: on to the page that sent you here, or your home.
fn enter(session: Session, signed: (Option<String>, WhoAmI)) -> String {
    let to = session
        .next
        .get_untracked()
        .unwrap_or_else(|| crate::session::home(&signed.1).to_string());
    session.next.set(None);
    session.start(signed);
    to
}

/// The passkey ceremony with the worker's options; the answer opens a
/// cookie session, and `whoami` then says who signed in.
async fn passkey_sign_in() -> Result<WhoAmI, ApiFailure> {
    let options: PasskeyRequestOptions =
        api::call(None, Method::POST, paths::PASSKEY_OPTIONS.template(), None).await?;
    let assertion = crate::passkey::sign_in(&options).await?;
    let body = serde_json::to_string(&assertion).ok();
    // The answer (`SignedIn`) is not needed: whoami says the same and more.
    let signed_in = paths::PASSKEY_SIGN_IN.template();
    api::call::<IgnoredAny>(None, Method::POST, signed_in, body).await?;
    api::call(None, Method::GET, paths::WHOAMI.template(), None).await
}

#[component]
fn SignInChoice() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let with_token = RwSignal::new(false);
    let passkey = Mutation::new(
        move |()| passkey_sign_in(),
        move |who: WhoAmI| navigate(&enter(session, (None, who)), NavigateOptions::default()),
    );
    let (pending, failure) = (passkey.pending(), passkey.failure());
    view! {
        {move || session.ended.get().map(|reason| view! {
            <div class="banner banner-warn" role="alert" data-testid="signout-reason">
                <strong>"You were signed out. "</strong>{reason}
            </div>
        })}
        <Show when=move || !with_token.get() fallback=move || view! {
            <SignInForm />
            <p><button type="button" class="link" data-testid="signin-use-passkey" on:click=move |_| with_token.set(false)>
                "Sign in with a passkey instead"
            </button></p>
        }>
            <div class="signin-passkey">
                <p class="field-error" role="alert" data-testid="passkey-error">
                    {move || failure.with(|f| f.as_ref().map(|f| f.signin_reason()))}
                </p>
                <button type="button" class="primary" data-testid="passkey-signin"
                    disabled=move || pending.get() on:click=move |_| passkey.dispatch(())>
                    {move || if pending.get() { "Waiting for your passkey…" } else { "Sign in with a passkey" }}
                </button>
                <p class="muted small">"Use the passkey you created from your enrolment email: your device asks for your fingerprint, face or PIN."</p>
                <p><button type="button" class="link" data-testid="signin-use-token" on:click=move |_| with_token.set(true)>
                    "Use a master token instead"
                </button></p>
            </div>
        </Show>
    }
}

#[component]
fn SignInForm() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let secret = RwSignal::new(String::new());
    // A check made here before sending ("paste a token first").
    let local = RwSignal::new(None::<String>);
    let verify = Mutation::new(api::token_sign_in, move |signed| {
        secret.set(String::new());
        navigate(&enter(session, signed), NavigateOptions::default());
    });
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
                    "An admin's master token or a member's user token opens a session in this browser and is not kept. Any other token is held in this tab's memory only, until you sign out or reload."
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
