//! A token's page, its dialogs: edit, refresh the secret, recover an
//! admin's master token, delete.

use super::Open;

use crate::api::{use_api, ApiFailure};
use crate::components::common::{Dialog, ErrorBanner};
use crate::components::grid::Finder;
use crate::components::toast::use_toasts;
use crate::components::token_form::{FormInit, TokenDraft, TokenForm};
use crate::mutation::Mutation;
use crate::resources::Data;
use crate::resources::{personas_resource, projects_resource};
use crate::session::use_session;
use gloo_net::http::Method;
use keyward_domain::api::{IssuedToken, RecoveredMaster, RefreshToken, Token, UpdateToken};
use keyward_domain::paths;
use keyward_domain::{Catalog, ErrorCode, TokenKind};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;

#[component]
pub(super) fn EditToken(
    token: Token,
    version: Option<String>,
    catalog: Catalog,
    open: RwSignal<Open>,
) -> impl IntoView {
    let api = use_api();
    let finder = Finder::buckets(api, Signal::stored(token.project.clone()));
    let personas = personas_resource(api);
    let personas = Signal::derive(move || personas.get().unwrap_or_default());
    let projects = projects_resource(api);
    let projects = Signal::derive(move || projects.get().unwrap_or_default());
    let path = paths::TOKEN.with(&[&token.id]);
    let toasts = use_toasts();
    let save = Mutation::new(
        move |body: UpdateToken| {
            let (path, version) = (path.clone(), version.clone());
            async move {
                api.send_if_match::<_, Token>(Method::PATCH, &path, &body, version.as_deref())
                    .await
                    .map_err(changed_meanwhile)
            }
        },
        move |t: Token| {
            toasts.say(format!("Saved the changes to “{}”.", t.name));
            open.set(Open::Nothing);
        },
    )
    .changes(Data::Tokens);
    let on_submit = Callback::new(move |draft: TokenDraft| save.dispatch(draft.update_body()));
    let (pending, failure) = (save.pending(), save.failure());
    let init = FormInit {
        name: token.name.clone(),
        description: token.description.clone(),
        grants: token.grants.clone(),
        current_expiry: Some(token.expires_at),
        rate_limit: token.rate_limit,
        personas: token.personas.clone(),
        project: token.project.clone(),
        global: token.kind == TokenKind::Global,
        global_admin: token.global_admin,
        project_grants: token.project_grants.clone(),
        controls: FormInit::controls_of(&token),
    };
    view! {
        <section class="card" data-testid="edit-panel">
            <h2>"Edit token"</h2>
            <p class="muted">"Saving replaces the token's permissions with exactly what is ticked below."</p>
            <TokenForm
                catalog
                init
                finder
                pending
                failure
                submit_label="Save changes"
                pending_label="Saving…"
                on_submit
                on_cancel=Callback::new(move |_| open.set(Open::Nothing))
                personas
                projects
            />
        </section>
    }
}

/// Another admin saved the token while this one edited it: nothing was
/// saved, and the form keeps what was typed.
fn changed_meanwhile(f: ApiFailure) -> ApiFailure {
    match (f.code(), f.problem.clone()) {
        (Some(ErrorCode::PreconditionFailed), Some(mut problem)) => {
            problem.detail = "someone else changed this token while you were editing it, so \
                nothing was saved. Reload the page to see their changes, then make yours again."
                .into();
            ApiFailure {
                problem: Some(problem),
                ..f
            }
        }
        _ => f,
    }
}

#[component]
pub(super) fn RefreshDialog(
    token: Token,
    open: RwSignal<Open>,
    revealed: RwSignal<Option<IssuedToken>>,
) -> impl IntoView {
    let api = use_api();
    let session = use_session();
    let overlap = RwSignal::new(0u64);
    let own = session.token_id().as_deref() == Some(token.id.as_str());
    let path = paths::TOKEN_REFRESH.with(&[&token.id]);
    let toasts = use_toasts();
    let refresh = Mutation::new(
        move |body: RefreshToken| {
            let path = path.clone();
            async move { api.send::<_, IssuedToken>(Method::POST, &path, &body).await }
        },
        move |t: IssuedToken| {
            // Refreshing the token we are signed in with replaces our secret too.
            if session.token_id().as_deref() == Some(t.token.id.as_str()) {
                session.replace_secret(t.secret.clone());
            }
            toasts.say(format!(
                "A new secret was issued for “{}”: copy it from the top of the page.",
                t.token.name
            ));
            revealed.set(Some(t));
            open.set(Open::Nothing);
        },
    )
    .changes(Data::Tokens);
    let (pending, failure) = (refresh.pending(), refresh.failure());
    let confirm = move |_| {
        let secs = overlap.get_untracked();
        refresh.dispatch(RefreshToken {
            overlap_seconds: (secs > 0).then_some(secs),
        });
    };
    view! {
        <Dialog title=format!("Refresh the secret of “{}”?", token.name) testid="refresh-dialog" on_close=Callback::new(move |_| open.set(Open::Nothing))>
            <p>
                "A new secret is issued and shown once. "
                <strong>"The current secret stops working now"</strong>
                " unless you give it an overlap, so that clients can switch over."
            </p>
            {own.then(|| view! {
                <p class="banner banner-info" role="note">
                    {if session.is_cookie() {
                        "This is the token you are signed in with: your session is yours, not the secret's, and goes on."
                    } else {
                        "This is the token you are signed in with: this tab switches to the new secret by itself."
                    }}
                </p>
            })}
            <div class="field">
                <label for="refresh-overlap">"Keep the old secret working for"</label>
                <select id="refresh-overlap" data-testid="refresh-overlap" on:change=move |ev| {
                    overlap.set(event_target_value(&ev).parse().unwrap_or(0))
                }>
                    <option value="0" selected>"No overlap: stop it now"</option>
                    <option value="300">"5 minutes"</option>
                    <option value="3600">"1 hour"</option>
                    <option value="86400">"1 day"</option>
                    <option value="604800">"7 days"</option>
                </select>
            </div>
            <ErrorBanner failure />
            <div class="actions">
                <button type="button" class="primary" data-testid="refresh-confirm" disabled=move || pending.get() on:click=confirm>
                    {move || if pending.get() { "Refreshing…" } else { "Refresh secret" }}
                </button>
                <button type="button" class="secondary" on:click=move |_| open.set(Open::Nothing)>"Cancel"</button>
            </div>
        </Dialog>
    }
}

/// Another admin's master token, recovered for them: a new secret goes to
/// its admin by email, never to this page.
#[component]
pub(super) fn RecoverDialog(token: Token, open: RwSignal<Open>) -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let path = paths::TOKEN_RECOVER.with(&[&token.id]);
    let recover = Mutation::new(
        move |()| {
            let path = path.clone();
            async move {
                api.send::<_, RecoveredMaster>(Method::POST, &path, &serde_json::json!({}))
                    .await
            }
        },
        move |r: RecoveredMaster| {
            toasts.say(format!(
                "A new secret for “{}” was sent to {}; the old one no longer works.",
                r.token.name, r.delivered_to
            ));
            open.set(Open::Nothing);
        },
    )
    .changes(Data::Tokens);
    let (pending, failure) = (recover.pending(), recover.failure());
    view! {
        <Dialog title=format!("Recover “{}” for its admin?", token.name) testid="recover-dialog" on_close=Callback::new(move |_| open.set(Open::Nothing))>
            <p>
                "For a master token that leaked or was lost: "
                <strong>"its current secret stops working now"</strong>
                ", the token is enabled again, and a new secret is emailed to its admin. You never see it."
            </p>
            <ErrorBanner failure />
            <div class="actions">
                <button type="button" class="primary" data-testid="recover-confirm" disabled=move || pending.get() on:click=move |_| recover.dispatch(())>
                    {move || if pending.get() { "Recovering…" } else { "Recover and email the secret" }}
                </button>
                <button type="button" class="secondary" on:click=move |_| open.set(Open::Nothing)>"Cancel"</button>
            </div>
        </Dialog>
    }
}

#[component]
pub(super) fn DeleteDialog(token: Token, open: RwSignal<Open>) -> impl IntoView {
    let api = use_api();
    let session = use_session();
    let navigate = use_navigate();
    let typed = RwSignal::new(String::new());
    let name = token.name.clone();
    let matches = {
        let name = name.clone();
        move || typed.with(|t| t == &name)
    };
    let id = token.id.clone();
    let toasts = use_toasts();
    let deleted = format!("Deleted the token “{}”.", token.name);
    let delete = Mutation::new(
        move |path: String| async move { api.delete(&path).await },
        move |()| {
            toasts.say(deleted.clone());
            if session.token_id().as_deref() == Some(id.as_str()) {
                session.sign_out(Some(
                    "You deleted the token you were signed in with.".into(),
                ));
            } else {
                navigate("/tokens", NavigateOptions::default());
            }
        },
    );
    let (pending, failure) = (delete.pending(), delete.failure());
    let path = paths::TOKEN.with(&[&token.id]);
    let confirm = {
        let matches = matches.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if matches() {
                delete.dispatch(path.clone());
            }
        }
    };
    view! {
        <Dialog title=format!("Delete “{}”?", token.name) testid="delete-dialog" on_close=Callback::new(move |_| open.set(Open::Nothing))>
            <form on:submit=confirm>
                <p>"Its secret stops working at once. This cannot be undone."</p>
                <div class="field">
                    <label for="delete-confirm-input">
                        "Type the token's name, " <strong>{name.clone()}</strong> ", to confirm"
                    </label>
                    <input id="delete-confirm-input" type="text" autocomplete="off" data-testid="delete-confirm-input" bind:value=typed />
                </div>
                <ErrorBanner failure />
                <div class="actions">
                    <button type="submit" class="danger" data-testid="delete-confirm" disabled=move || !matches() || pending.get()>
                        {move || if pending.get() { "Deleting…" } else { "Delete token" }}
                    </button>
                    <button type="button" class="secondary" on:click=move |_| open.set(Open::Nothing)>"Cancel"</button>
                </div>
            </form>
        </Dialog>
    }
}
