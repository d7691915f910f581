//! `/invite/:code`: the public page an invitation email links to. It shows
//! what the token will be able to do, and on accepting, its secret, once.

use crate::api::{self, ApiFailure};
use crate::components::common::{Expiry, Loading, SecretReveal};
use crate::format;
use crate::mutation::Mutation;
use crate::session::use_session;
use gloo_net::http::Method;
use keyward_domain::api::{InvitationWelcome, IssuedToken};
use keyward_domain::paths;
use keyward_domain::ErrorCode;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use leptos_router::NavigateOptions;

fn explain(f: &ApiFailure) -> (&'static str, String) {
    match f.code() {
        Some(ErrorCode::InvitationUsed) => (
            "This invitation was already accepted",
            "An invitation works once. Ask the person who invited you for a new one if you did not keep the secret.".into(),
        ),
        Some(ErrorCode::InvitationExpired) => (
            "This invitation has expired",
            "Ask the person who invited you to send a new one.".into(),
        ),
        Some(ErrorCode::NotFound) | Some(ErrorCode::InvalidRequest) => (
            "This invitation link is not valid",
            "Check that the whole link was copied from the email, or ask for a new invitation.".into(),
        ),
        _ => ("The invitation could not be loaded", f.to_string()),
    }
}

#[component]
pub fn Invite() -> impl IntoView {
    let params = use_params_map();
    let code = move || params.with(|p| p.get("code").unwrap_or_default());
    let welcome = crate::resources::load(move || {
        let code = code();
        async move {
            api::call::<InvitationWelcome>(
                None,
                Method::GET,
                &paths::INVITATION_OPEN.with(&[&code]),
                None,
            )
            .await
        }
    });
    let issued = RwSignal::new(None::<IssuedToken>);
    let accept = Mutation::new(
        move |code: String| async move {
            api::call::<IssuedToken>(
                None,
                Method::POST,
                &paths::INVITATION_ACCEPT.with(&[&code]),
                Some("{}".into()),
            )
            .await
        },
        move |t| issued.set(Some(t)),
    );
    let (pending, failure) = (accept.pending(), accept.failure());
    let accept = move |_| accept.dispatch(code());
    let accept_failure = move || {
        failure.get().map(|f| {
            let (title, text) = explain(&f);
            view! {
                <div class="banner banner-bad" role="alert" data-testid="invite-error">
                    <strong>{title}</strong>". "{text}
                </div>
            }
        })
    };
    view! {
        <div class="signin-page">
            <section class="card signin-card invite" data-testid="invite">
                {move || {
                    if let Some(t) = issued.get() {
                        return view! {
                            <SecretReveal secret=t.secret.clone() title=format!("Your token “{}”", t.token.name) />
                            <p class="muted">"Use it as a bearer token: " <code>"Authorization: Bearer <secret>"</code></p>
                            <OpenConsole secret=t.secret.clone() />
                        }
                        .into_any();
                    }
                    match welcome.get() {
                        None => view! { <Loading what="Opening the invitation…" /> }.into_any(),
                        Some(Err(f)) => {
                            let (title, text) = explain(&f);
                            view! {
                                <h1>{title}</h1>
                                <p data-testid="invite-error">{text}</p>
                            }
                            .into_any()
                        }
                        Some(Ok(w)) => view! {
                            <h1>"You are invited to a Keyward token"</h1>
                            <p>
                                <code>{w.inviter.clone()}</code>
                                " invites "
                                <strong>{w.email.clone()}</strong>
                                " to use the token "
                                <strong data-testid="invite-token-name">{w.token_name.clone()}</strong>
                                "."
                            </p>
                            {(!w.message.is_empty()).then(|| view! { <blockquote class="message">{w.message.clone()}</blockquote> })}
                            <section class="summary">
                                <h3>"This token will be able to"</h3>
                                <p data-testid="invite-summary">{w.summary.clone()}</p>
                            </section>
                            <dl class="meta">
                                <dt>"Token expires"</dt>
                                <dd><Expiry expires_at=w.token_expires_at /></dd>
                                <dt>"Invitation valid until"</dt>
                                <dd>{format::when(w.expires_at)}</dd>
                            </dl>
                            <p class="banner banner-info" role="note">
                                "Accepting issues a new secret for this token and shows it to you once. The invitation then stops working."
                            </p>
                            {accept_failure}
                            <div class="actions">
                                <button type="button" class="primary" data-testid="invite-accept" disabled=move || pending.get() on:click=accept>
                                    {move || if pending.get() { "Accepting…" } else { "Accept and show the secret" }}
                                </button>
                            </div>
                        }
                        .into_any(),
                    }
                }}
            </section>
        </div>
    }
}

/// Signs in with the new secret, as sign-in does (a member's user token
/// opens a cookie session; any other token is held in memory only), and
/// opens the console. A click, not automatic: the secret above must be
/// copied first, and another session in this browser is replaced.
#[component]
fn OpenConsole(secret: String) -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let open = Mutation::new(api::token_sign_in, move |signed| {
        session.start(signed);
        navigate("/console", NavigateOptions::default());
    });
    let (pending, failure) = (open.pending(), open.failure());
    let open = move |_| open.dispatch(secret.clone());
    view! {
        {move || failure.get().map(|f| view! {
            <div class="banner banner-bad" role="alert" data-testid="invite-console-error">{f.to_string()}</div>
        })}
        <div class="actions">
            <button type="button" class="primary" data-testid="invite-open-console" disabled=move || pending.get() on:click=open>
                {move || if pending.get() { "Signing in…" } else { "I have copied it: open the console" }}
            </button>
        </div>
        <p class="muted small">"Opening the console signs this browser tab in with the new token."</p>
    }
}
