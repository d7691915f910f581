//! `/enrol/:code`: the public page an enrolment email links to. The person
//! it names creates a passkey on this device and is signed in with it.

use crate::api::{self, ApiFailure};
use crate::components::common::Loading;
use crate::format;
use crate::mutation::Mutation;
use crate::session::use_session;
use gloo_net::http::Method;
use keyward_domain::api::{EnrolmentWelcome, PasskeyCreationOptions, SignedIn, WhoAmI};
use keyward_domain::paths;
use keyward_domain::ErrorCode;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use leptos_router::NavigateOptions;

fn explain(f: &ApiFailure) -> (&'static str, String) {
    match f.code() {
        Some(ErrorCode::EnrolmentUsed) => (
            "This enrolment link was already used",
            "A link registers one passkey. Sign in with the passkey you made, or ask an admin for a new link.".into(),
        ),
        Some(ErrorCode::EnrolmentExpired) => (
            "This enrolment link has expired",
            "Ask an admin to send you a new one.".into(),
        ),
        _ if f.status == 404 || f.code() == Some(ErrorCode::InvalidRequest) => (
            "This enrolment link is not valid",
            "Check that the whole link was copied from the email, or ask an admin for a new one."
                .into(),
        ),
        _ if f.status == 0 => ("The passkey was not created", f.to_string()),
        _ => ("The enrolment did not work", f.to_string()),
    }
}

/// The creation ceremony with the link's options; the new passkey opens a
/// cookie session, and `whoami` then says who signed in.
async fn enrol(code: String, name: String) -> Result<WhoAmI, ApiFailure> {
    let options: PasskeyCreationOptions = api::call(
        None,
        Method::POST,
        &paths::ENROLMENT_OPTIONS.with(&[&code]),
        None,
    )
    .await?;
    let name = Some(name.trim().to_string()).filter(|n| !n.is_empty());
    let registration = crate::passkey::create(&options, name).await?;
    let body = serde_json::to_string(&registration).ok();
    api::call::<SignedIn>(
        None,
        Method::POST,
        &paths::ENROLMENT_PASSKEYS.with(&[&code]),
        body,
    )
    .await?;
    api::call(None, Method::GET, paths::WHOAMI.template(), None).await
}

#[component]
pub fn Enrol() -> impl IntoView {
    let params = use_params_map();
    let code = move || params.with(|p| p.get("code").unwrap_or_default());
    let welcome = crate::resources::load(move || {
        let code = code();
        async move {
            api::call::<EnrolmentWelcome>(None, Method::GET, &paths::ENROLMENT.with(&[&code]), None)
                .await
        }
    });
    view! {
        <div class="signin-page">
            <section class="card signin-card" data-testid="enrol">
                {move || match welcome.get() {
                    None => view! { <Loading what="Opening your enrolment link…" /> }.into_any(),
                    Some(Err(f)) => {
                        let (title, text) = explain(&f);
                        view! {
                            <h1>{title}</h1>
                            <p data-testid="enrol-error">{text}</p>
                            <p><a href="/signin">"Go to sign-in"</a></p>
                        }
                        .into_any()
                    }
                    Some(Ok(w)) => view! { <Welcome welcome=w code=code() /> }.into_any(),
                }}
            </section>
        </div>
    }
}

#[component]
fn Welcome(welcome: EnrolmentWelcome, code: String) -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let name = RwSignal::new(String::from("Passkey"));
    let create = Mutation::new(
        move |code: String| enrol(code, name.get_untracked()),
        move |who: WhoAmI| {
            let home = crate::session::home(&who);
            session.next.set(None);
            session.sign_in(who);
            navigate(home, NavigateOptions::default());
        },
    );
    let (pending, failure) = (create.pending(), create.failure());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(code.clone());
    };
    let person = welcome.person;
    view! {
        <h1 data-testid="enrol-welcome">{format!("Welcome, {}", person.name)}</h1>
        <p>
            "This link signs in " <strong data-testid="enrol-email">{person.email}</strong>
            " to Keyward. Create a passkey on this device: from then on you sign in with your fingerprint, face or device PIN, and no password or token is kept in the browser."
        </p>
        <p class="muted small">{format!("The link works once, until {}.", format::when(welcome.expires_at))}</p>
        {move || failure.get().map(|f| {
            let (title, text) = explain(&f);
            view! {
                <div class="banner banner-bad" role="alert" data-testid="enrol-error">
                    <strong>{title}</strong>". "{text}
                </div>
            }
        })}
        <form on:submit=submit>
            <div class="field">
                <label for="enrol-passkey-name">"Name this passkey"</label>
                <input id="enrol-passkey-name" type="text" autocomplete="off" data-testid="enrol-passkey-name" bind:value=name />
                <p class="muted small">"So you can tell your passkeys apart later (“Work laptop”)."</p>
            </div>
            <div class="actions">
                <button type="submit" class="primary" data-testid="enrol-create" disabled=move || pending.get()>
                    {move || if pending.get() { "Waiting for your device…" } else { "Create your passkey" }}
                </button>
            </div>
        </form>
    }
}
