//! A token's page, its invitations: send one by email, see their state,
//! re-send or revoke.

use crate::api::{enc, use_api, ApiFailure};
use crate::components::common::{Dialog, ErrorBanner};
use crate::components::handover::handover;
use crate::components::loader::loaded;
use crate::components::personas::persona_grants;
use crate::components::toast::use_toasts;
use crate::components::validity::{ValiditySelect, DEFAULT_DAYS};
use crate::format;
use crate::mutation::Mutation;
use crate::resources::{use_versions, Data};
use gloo_net::http::Method;
use keyward_domain::api::{
    CreateInvitation, Invitation, InvitationCreated, InvitationList, InvitationStatus, Persona,
    Token,
};
use keyward_domain::paths;
use keyward_domain::{Catalog, ErrorCode, TokenKind};
use leptos::prelude::*;

/// Invitations to this token: send one by email, see their state,
/// re-send or revoke.
#[component]
pub(super) fn TokenInvitations(
    token: Token,
    catalog: Catalog,
    personas: Signal<Vec<Persona>>,
) -> impl IntoView {
    let api = use_api();
    let id = token.id.clone();
    let versions = use_versions();
    let list_path = format!("{}?token_id={}", paths::INVITATIONS.template(), enc(&id));
    let list = crate::resources::load(move || {
        versions.track(Data::Invitations);
        let path = list_path.clone();
        async move { api.get::<InvitationList>(&path).await }
    });
    let sending = RwSignal::new(false);
    let sent = RwSignal::new(None::<Invitation>);
    // Outlives the list's reloads, which re-create the table.
    let row_failure = RwSignal::new(None::<ApiFailure>);
    let dialog = move || {
        view! { <SendDialog token=token.clone() catalog=catalog.clone() personas sending sent /> }
    };
    view! {
        <section class="card" aria-labelledby="invite-title" data-testid="token-invitations">
            <div class="detail-head">
                <h2 id="invite-title">"Invitations"</h2>
                <button type="button" class="primary" data-testid="send-token" on:click=move |_| sending.set(true)>
                    "Send by invitation…"
                </button>
            </div>
            <p class="muted">
                "Send this token to someone by email. Whoever accepts gets a new secret for it, shown once; any earlier secret then stops working."
            </p>
            {move || sent.get().map(|i| view! {
                <p class="banner banner-info" role="status" data-testid="invite-sent">
                    {format!("Invitation sent to {}. It can be accepted once, until {}.", i.email, format::when(i.expires_at))}
                </p>
            })}
            <Show when=move || sending.get()>{dialog.clone()}</Show>
            {move || row_failure.with(|f| f.as_ref().is_some_and(|f| f.code() == Some(ErrorCode::EmailFailed))).then(|| view! {
                <p class="banner banner-bad" role="alert" data-testid="resend-email-failed">
                    "The email could not be sent again; the invitation stays marked failed. Try re-sending once email works."
                </p>
            })}
            <ErrorBanner failure=row_failure />
            {move || loaded(list.get(), "Loading invitations…", "tokens:read", |ok| match ok {
                l if l.items.is_empty() => view! { <p class="muted">"No invitations for this token."</p> }.into_any(),
                l => view! { <InvitationTable items=l.items failure=row_failure /> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn SendDialog(
    token: Token,
    catalog: Catalog,
    personas: Signal<Vec<Persona>>,
    sending: RwSignal<bool>,
    sent: RwSignal<Option<Invitation>>,
) -> impl IntoView {
    let versions = use_versions();
    let api = use_api();
    let email = RwSignal::new(String::new());
    let message = RwSignal::new(String::new());
    let days = RwSignal::new(DEFAULT_DAYS);
    let (id, name) = (token.id.clone(), token.name.clone());
    let create_path = paths::TOKEN_INVITATIONS.with(&[&id]);
    // What is handed over, and whether the sender must confirm it.
    let what = {
        let token = token.clone();
        Signal::derive(move || {
            let mut grants = token.grants.clone();
            personas.with(|ps| grants.extend(persona_grants(ps, &token.personas)));
            handover(
                &catalog,
                token.kind == TokenKind::Master || token.global_admin,
                &grants,
                &token.project_grants,
                token.expires_at.is_none(),
            )
        })
    };
    let expiry_text = match token.expires_at {
        Some(at) => format!("The token expires {}.", format::when(at)),
        None => "The token never expires.".to_string(),
    };
    let nothing_confirmed = RwSignal::new(false);
    let blocked = move || what.with(|w| w.nothing) && !nothing_confirmed.get();
    let close = move || sending.set(false);
    let toasts = use_toasts();
    let send = Mutation::new(
        move |body: CreateInvitation| {
            let path = create_path.clone();
            async move {
                let r = api
                    .send::<_, InvitationCreated>(Method::POST, &path, &body)
                    .await;
                versions.bump(Data::Invitations);
                r
            }
        },
        move |c: InvitationCreated| {
            toasts.say(format!("Invitation sent to {}.", c.invitation.email));
            sent.set(Some(c.invitation));
            sending.set(false);
        },
    );
    let (pending, failure) = (send.pending(), send.failure());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if what.with_untracked(|w| w.nothing) && !nothing_confirmed.get_untracked() {
            return;
        }
        sent.set(None);
        let text = message.get_untracked();
        send.dispatch(CreateInvitation {
            email: email.get_untracked().trim().to_string(),
            message: (!text.trim().is_empty()).then_some(text),
            expires_in: Some(days.get_untracked() * 86_400),
        });
    };
    let email_failed = move || {
        failure.with(|f| {
            f.as_ref()
                .is_some_and(|f| f.code() == Some(ErrorCode::EmailFailed))
        })
    };
    let other_failure = Signal::derive(move || failure.get().filter(|_| !email_failed()));
    let email_error = move || failure.with(|f| f.as_ref().and_then(|f| f.field("email")));
    let message_error = move || failure.with(|f| f.as_ref().and_then(|f| f.field("message")));
    let expiry_error = move || failure.with(|f| f.as_ref().and_then(|f| f.field("expires_in")));
    view! {
        <Dialog title=format!("Send “{name}” by invitation") testid="send-dialog" on_close=Callback::new(move |_| close())>
            <form novalidate on:submit=submit>
                <p class="banner banner-warn" role="note" data-testid="send-warning">
                    <strong>"The recipient will receive this token's secret."</strong>
                    " The email holds a link, never the secret: accepting the invitation issues a new secret and shows it once. "
                    "If a secret was already revealed for this token, it is replaced and stops working when the invitation is accepted."
                </p>
                <section class="handover" aria-labelledby="send-can-do-title" data-testid="send-handover">
                    <h3 id="send-can-do-title">"What the recipient can do with it"</h3>
                    <ul>
                        {move || what.get().can_do.into_iter().map(|line| view! { <li data-testid="send-can-do">{line}</li> }).collect_view()}
                    </ul>
                    <p data-testid="send-expiry">{expiry_text}</p>
                </section>
                <Show when=move || what.with(|w| w.nothing)>
                    <div class="banner banner-bad" role="alert" data-testid="send-nothing-warning">
                        <strong>"This token can do nothing. "</strong>
                        "The recipient could only ask who the token is and refresh it. Give it permissions first (Edit), or confirm that this is what you mean to send."
                        <label class="choice">
                            <input type="checkbox" data-testid="send-nothing-confirm" bind:checked=nothing_confirmed />
                            "Send it anyway, with no permissions"
                        </label>
                    </div>
                </Show>
                <Show when=move || what.with(|w| w.never_expires && !w.nothing)>
                    <p class="banner banner-warn" role="note" data-testid="send-never-warning">
                        <strong>"This token never expires. "</strong>
                        "Whoever accepts keeps it until someone deletes it; consider giving it an expiry (Edit) before sending."
                    </p>
                </Show>
                <div class="field">
                    <label for="send-email">"Recipient's email"</label>
                    <input id="send-email" type="email" autocomplete="off" required data-testid="send-email" bind:value=email
                        aria-invalid=move || email_error().is_some().then_some("true") />
                    <p class="field-error" data-testid="send-email-error">{email_error}</p>
                </div>
                <div class="field">
                    <label for="send-message">"Message " <span class="muted">"(optional, shown in the email and on the welcome page)"</span></label>
                    <textarea id="send-message" rows="3" data-testid="send-message" bind:value=message></textarea>
                    <p class="field-error">{message_error}</p>
                </div>
                <div class="field">
                    <ValiditySelect id="send-validity" days />
                    <p class="field-error">{expiry_error}</p>
                </div>
                {move || email_failed().then(|| {
                    let detail = failure.with(|f| f.as_ref().map(|f| f.to_string()).unwrap_or_default());
                    view! {
                        <div class="banner banner-bad" role="alert" data-testid="send-email-failed">
                            <strong>"The email could not be sent. "</strong>
                            "The invitation is recorded as failed and cannot be used; re-send it from the list below once email works again. "
                            <span class="muted">{detail}</span>
                        </div>
                    }
                })}
                <ErrorBanner failure=other_failure />
                <div class="actions">
                    <button type="submit" class="primary" data-testid="send-confirm" disabled=move || pending.get() || blocked()>
                        {move || if pending.get() { "Sending…" } else { "Send invitation" }}
                    </button>
                    <button type="button" class="secondary" data-testid="send-cancel" on:click=move |_| close()>"Cancel"</button>
                </div>
            </form>
        </Dialog>
    }
}

#[component]
fn InvitationTable(items: Vec<Invitation>, failure: RwSignal<Option<ApiFailure>>) -> impl IntoView {
    let api = use_api();
    // Re-send (POST) or revoke (DELETE); the list reloads either way.
    let act = Mutation::reporting_to(
        failure,
        move |(method, path): (Method, String)| async move {
            let r = match method {
                Method::DELETE => api.delete(&path).await,
                _ => api
                    .send::<_, InvitationCreated>(method, &path, &serde_json::json!({}))
                    .await
                    .map(|_| ()),
            };
            r
        },
        |()| {},
    )
    .changes(Data::Invitations);
    let act = move |method: Method, path: String| act.dispatch((method, path));
    view! {
        <div class="table-wrap">
            <table class="responsive" data-testid="invitation-table">
                <thead><tr>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Valid until"</th>
                    <th scope="col"><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {items.clone().into_iter().map(|i| view! {
                        <tr data-testid="invitation-row">
                            <td data-label="Email">{i.email.clone()}</td>
                            <td data-label="Status">
                                <span class=status_class(i.status)>{i.status.as_str()}</span>
                                {i.delivery_error.clone().map(|e| view! { <div class="muted small">{e}</div> })}
                            </td>
                            <td data-label="Valid until">{format::when(i.expires_at)}</td>
                            <td data-label="">
                                {matches!(i.status, InvitationStatus::Failed | InvitationStatus::Pending).then(|| {
                                    let path = paths::INVITATION_RESEND.with(&[&i.id]);
                                    view! {
                                        <button type="button" class="secondary small" data-testid="invitation-resend"
                                            aria-label=format!("Re-send the invitation to {} (the old link stops working)", i.email)
                                            on:click=move |_| act(Method::POST, path.clone())>"Re-send"</button>
                                    }
                                })}
                                {matches!(i.status, InvitationStatus::Pending | InvitationStatus::Failed | InvitationStatus::Sending).then(|| {
                                    let path = paths::INVITATION.with(&[&i.id]);
                                    view! {
                                        <button type="button" class="danger small" data-testid="invitation-revoke"
                                            aria-label=format!("Revoke the invitation to {}", i.email)
                                            on:click=move |_| act(Method::DELETE, path.clone())>"Revoke"</button>
                                    }
                                })}
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

fn status_class(s: InvitationStatus) -> &'static str {
    match s {
        InvitationStatus::Accepted => "badge badge-ok",
        InvitationStatus::Pending | InvitationStatus::Sending => "badge",
        InvitationStatus::Failed => "badge badge-bad",
        InvitationStatus::Expired | InvitationStatus::Revoked => "badge badge-warn",
    }
}
