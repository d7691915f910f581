//! `/tokens/:id`: permissions per service, metadata, edit, refresh,
//! delete, and the token's audit trail.

use crate::api::{enc, use_api, ApiFailure};
use crate::components::audit_table::AuditTable;
use crate::components::common::{
    kind_label, project_label, CreatedBy, Dialog, ErrorBanner, Expiry, FailurePanel, Loading,
    SecretReveal,
};
use crate::components::grid::Finder;
use crate::components::handover::handover;
use crate::components::personas::{persona_grants, persona_names};
use crate::components::toast::use_toasts;
use crate::components::token_form::{usage_text, FormInit, TokenDraft, TokenForm};
use crate::format;
use crate::mutation::Mutation;
use crate::pages::token_elevations::Elevations;
use crate::pages::token_insight::{CanThisToken, UsageSection};
use crate::resources::{catalog_resource, personas_resource, projects_resource};
use crate::session::use_session;
use gloo_net::http::Method;
use keyward_domain::api::{
    AuditEntry, CreateInvitation, Invitation, InvitationCreated, InvitationList, InvitationStatus,
    IssuedToken, Page, Persona, RecoveredMaster, RefreshToken, Token, UpdateToken,
};
use keyward_domain::describe::held_permissions_via;
use keyward_domain::paths;
use keyward_domain::{Catalog, ErrorCode, TokenKind};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use leptos_router::NavigateOptions;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Nothing,
    Edit,
    Refresh,
    Recover,
    Delete,
}

#[component]
pub fn TokenDetail() -> impl IntoView {
    crate::set_title("Token");
    let api = use_api();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let reload = RwSignal::new(0u32);
    let token = crate::resources::load(move || {
        let id = id();
        reload.track();
        async move { api.get_versioned::<Token>(&paths::TOKEN.with(&[&id])).await }
    });
    let catalog = catalog_resource(api);
    // A new secret outlives the reload that follows a refresh, but nothing else.
    let revealed = RwSignal::new(None::<IssuedToken>);

    view! {
        <div class="page-head">
            <a href="/tokens" class="link">"← All tokens"</a>
        </div>
        {move || revealed.get().map(|t| view! {
            <SecretReveal secret=t.secret.clone() title=format!("New secret for “{}”", t.token.name) />
        })}
        {move || match (token.get(), catalog.get()) {
            (Some(Err(f)), _) | (_, Some(Err(f))) => view! { <FailurePanel failure=f needs="tokens:read" /> }.into_any(),
            (Some(Ok((t, version))), Some(Ok(c))) => view! { <TokenView token=t version catalog=c reload revealed /> }.into_any(),
            _ => view! { <Loading what="Loading the token…" /> }.into_any(),
        }}
    }
}

#[component]
fn TokenView(
    token: Token,
    /// The version the page shows, which an edit is meant for.
    version: Option<String>,
    catalog: Catalog,
    reload: RwSignal<u32>,
    revealed: RwSignal<Option<IssuedToken>>,
) -> impl IntoView {
    crate::set_title(&token.name);
    let open = RwSignal::new(Open::Nothing);
    let is_master = token.kind == TokenKind::Master;
    // A member's user token and personal keys follow the member: they are
    // managed on the members page (and personal keys on the profile).
    let of_member = matches!(token.kind, TokenKind::User | TokenKind::Personal);
    let editable = !is_master && !of_member;
    // Another admin's master token is never refreshed here (its secret is
    // its admin's), only recovered for them.
    let others_master = is_master && use_session().token_id().as_deref() != Some(token.id.as_str());
    let header = {
        let t = token.clone();
        let dup_href = format!("/tokens/new?from={}", enc(&t.id));
        view! {
            <header class="detail-head">
                <div>
                    <h1 data-testid="token-title">{t.name.clone()}</h1>
                    {(!t.enabled).then(|| view! { <span class="badge badge-bad" data-testid="disabled-badge">"Disabled"</span> })}
                    {(!t.description.is_empty()).then(|| view! { <p class="muted">{t.description.clone()}</p> })}
                </div>
                <div class="actions">
                    // While the form is open, "Edit" would do nothing.
                    {editable.then(|| view! {
                        <Show when=move || open.get() != Open::Edit>
                            <button type="button" class="secondary" data-testid="edit-token" on:click=move |_| open.set(Open::Edit)>"Edit"</button>
                        </Show>
                    })}
                    {editable.then(|| view! {
                        <Show when=move || open.get() != Open::Edit>
                            <a class="button secondary" data-testid="duplicate-token" href=dup_href.clone()>
                                "Duplicate with the same permissions"
                            </a>
                        </Show>
                    })}
                    {editable.then(|| view! { <EnableToggle token=t.clone() on_done=Callback::new(move |_| reload.update(|n| *n += 1)) /> })}
                    {(!others_master).then(|| view! {
                        <button type="button" class="secondary" data-testid="refresh-token" on:click=move |_| open.set(Open::Refresh)>"Refresh secret"</button>
                    })}
                    {others_master.then(|| view! {
                        <button type="button" class="secondary" data-testid="recover-token" on:click=move |_| open.set(Open::Recover)>"Recover for its admin"</button>
                    })}
                    {editable.then(|| view! {
                        <button type="button" class="danger" data-testid="delete-token" on:click=move |_| open.set(Open::Delete)>"Delete"</button>
                    })}
                </div>
            </header>
        }
    };
    let personas = personas_resource(use_api());
    let personas = Signal::derive(move || personas.get().unwrap_or_default());
    let overview = {
        let (t, c) = (token.clone(), catalog.clone());
        move || {
            let (t, c, m) = (t.clone(), c.clone(), t.clone());
            view! {
                <div class="detail-grid">
                    {move || view! { <Permissions token=t.clone() catalog=c.clone() personas=personas.get() /> }}
                    <Metadata token=m personas />
                </div>
            }
        }
    };
    let edit = {
        let (t, c) = (token.clone(), catalog.clone());
        move || view! { <EditToken token=t.clone() version=version.clone() catalog=c.clone() open reload /> }
    };
    let refresh = {
        let t = token.clone();
        move || view! { <RefreshDialog token=t.clone() open reload revealed /> }
    };
    let recover = {
        let t = token.clone();
        move || view! { <RecoverDialog token=t.clone() open reload /> }
    };
    let delete = {
        let t = token.clone();
        move || view! { <DeleteDialog token=t.clone() open /> }
    };
    let id = token.id.clone();
    view! {
        {header}
        {of_member.then(|| view! {
            <p class="banner banner-info" role="note" data-testid="member-token-note">
                {if token.kind == TokenKind::User {
                    "This is a member's user token: it holds the member's permissions and personas. Change them on the "
                } else {
                    "This is a member's personal key: it has no permissions of its own and acts as its member. Manage members on the "
                }}
                <a href="/members">"Members page"</a>"."
            </p>
        })}
        {is_master.then(|| view! {
            <p class="banner banner-info" role="note">
                "This is a master token: it holds every permission and belongs to an admin. It cannot be edited or deleted here; it goes when its admin is removed."
            </p>
        })}
        <Show when=move || open.get() == Open::Edit fallback=overview>
            {edit.clone()}
        </Show>
        <Show when=move || open.get() == Open::Refresh>{refresh.clone()}</Show>
        <Show when=move || open.get() == Open::Recover>{recover.clone()}</Show>
        <Show when=move || open.get() == Open::Delete>{delete.clone()}</Show>
        {(editable && token.kind == TokenKind::Scoped).then(|| view! {
            <Elevations token=token.clone() catalog=catalog.clone() personas reload />
        })}
        <CanThisToken token=token.clone() catalog=catalog.clone() />
        <UsageSection token=token.clone() editable reload />
        {editable.then(|| view! { <TokenInvitations token=token.clone() catalog=catalog.clone() personas /> })}
        <TokenAudit id=id.clone() reload />
    }
}

#[component]
fn Metadata(token: Token, personas: Signal<Vec<Persona>>) -> impl IntoView {
    let linked = token.personas.clone();
    let persona_text = move || {
        if linked.is_empty() {
            "None".to_string()
        } else {
            personas.with(|ps| persona_names(ps, &linked)).join(", ")
        }
    };
    view! {
        <section class="card" aria-labelledby="meta-title" data-testid="token-meta">
            <h2 id="meta-title">"Details"</h2>
            <dl class="meta">
                <dt>"Kind"</dt><dd>{kind_label(token.kind)}</dd>
                <dt>"Project"</dt><dd data-testid="token-project-view">{project_label(&token)}</dd>
                <dt>"Personas"</dt><dd data-testid="token-personas">{persona_text}</dd>
                <dt>"Client ID"</dt><dd><code data-testid="token-client-id">{token.client_id.clone()}</code></dd>
                <dt>"Secret"</dt><dd><code>{token.secret_hint.clone()}</code></dd>
                <dt>"Expires"</dt><dd><Expiry expires_at=token.expires_at /></dd>
                <dt>"Status"</dt><dd data-testid="token-status">{if token.enabled { "Enabled" } else { "Disabled: every use is refused until it is enabled again" }}</dd>
                <dt>"Valid from"</dt><dd data-testid="token-not-before-view">{token.not_before.map(format::when).unwrap_or_else(|| "Its creation".into())}</dd>
                <dt>"Usage limit"</dt><dd data-testid="token-usage-view">{usage_text(token.usage_limit, token.remaining_uses)}</dd>
                <dt>"Allowed networks"</dt><dd data-testid="token-allowed-ips-view">{if token.allowed_ips.is_empty() { "Anywhere".to_string() } else { token.allowed_ips.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ") }}</dd>
                <dt>"Metadata"</dt><dd>{if token.meta.is_empty() { view! { <span data-testid="token-meta-view">"None"</span> }.into_any() } else { view! { <code data-testid="token-meta-view">{token.meta.as_json().to_string()}</code> }.into_any() }}</dd>
                <dt>"Rate limit"</dt><dd data-testid="token-rate-limit-view">{token.rate_limit.map(|r| format!("{r} requests per minute")).unwrap_or_else(|| "The deployment's default".into())}</dd>
                <dt>"Last used"</dt><dd>{token.last_used_at.map(format::when).unwrap_or_else(|| "Never used".into())}</dd>
                <dt>"Created"</dt><dd>{format::when(token.created_at)} " by " <CreatedBy client_id=token.created_by.clone() /></dd>
                <dt>"Updated"</dt><dd>{format::when(token.updated_at)}</dd>
                <dt>"Token ID"</dt><dd><code>{token.id.clone()}</code></dd>
            </dl>
        </section>
    }
}

/// "Disable" or "Enable": a disabled token is refused everywhere until it
/// is enabled again. Used on the token page and in the list's rows.
#[component]
pub fn EnableToggle(token: Token, on_done: Callback<()>) -> impl IntoView {
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
            on_done.run(());
        },
    );
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

#[component]
fn Permissions(token: Token, catalog: Catalog, personas: Vec<Persona>) -> impl IntoView {
    if token.kind == TokenKind::Master || token.global_admin {
        return view! {
            <section class="card" data-testid="detail-permissions">
                <h2>"Permissions"</h2>
                <p data-testid="detail-summary">"Everything in the catalog, on all resources, in every project."</p>
            </section>
        }
        .into_any();
    }
    // Its own grants plus its personas': what it can really do, each
    // permission with where it comes from (a user token or personal key's
    // own grants are its member's).
    let mut grants = token.grants.clone();
    grants.extend(persona_grants(&personas, &token.personas));
    let summary = keyward_domain::describe::summary(&catalog, &grants);
    let own = if token.member_id.is_some() {
        "member"
    } else {
        "own"
    };
    let mut sources = vec![(own.to_string(), token.grants.clone())];
    sources.extend(
        personas
            .iter()
            .filter(|p| token.personas.contains(&p.id))
            .map(|p| (format!("persona {}", p.name), p.grants.clone())),
    );
    let services = held_permissions_via(&catalog, &sources);
    let from_personas = (!token.personas.is_empty()).then(|| {
        let names = persona_names(&personas, &token.personas).join(", ");
        view! {
            <p class="muted" data-testid="detail-persona-note">
                {format!("Its own permissions plus those of its personas: {names}.")}
            </p>
        }
    });
    let global = token.kind == TokenKind::Global;
    let per_project = token
        .project_grants
        .iter()
        .map(|(p, g)| {
            view! {
                <li data-testid=format!("detail-project-{p}")>
                    <strong>{p.clone()}</strong>": "{keyward_domain::describe::summary(&catalog, g)}
                </li>
            }
        })
        .collect_view();
    let per_project = global.then(|| {
        view! {
            <h3>"Per project"</h3>
            <p class="muted small">"The permissions above hold in every project; these hold only in their project:"</p>
            <ul data-testid="detail-project-grants">{per_project}</ul>
        }
    });
    let body = if services.is_empty() {
        view! { <p class="muted">"No permissions: this token can only refresh itself and say who it is."</p> }.into_any()
    } else {
        services
            .into_iter()
            .map(|s| {
                let perms = s
                    .permissions
                    .into_iter()
                    .map(|p| {
                        view! {
                            <li data-testid=format!("held-{}-{}", s.id, p.id)>
                                <span class="perm-title">{p.title}</span>
                                {(!p.scope.is_empty()).then(|| view! { <span class="scope-text">" — " {p.scope}</span> })}
                                {(!p.implied_by.is_empty()).then(|| view! {
                                    <span class="implied">{format!(" (implied by {})", p.implied_by.join(", "))}</span>
                                })}
                                " "
                                {p.via.into_iter().map(|v| view! { <span class="badge via" data-testid="held-via">{v}</span> }).collect_view()}
                            </li>
                        }
                    })
                    .collect_view();
                view! {
                    <div class="held-service">
                        <h3>{s.title}</h3>
                        <ul>{perms}</ul>
                    </div>
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <section class="card" aria-labelledby="perm-title" data-testid="detail-permissions">
            <h2 id="perm-title">"Permissions"</h2>
            <p class="summary-line" data-testid="detail-summary">{summary}</p>
            {from_personas}
            {body}
            {per_project}
        </section>
    }
    .into_any()
}

#[component]
fn EditToken(
    token: Token,
    version: Option<String>,
    catalog: Catalog,
    open: RwSignal<Open>,
    reload: RwSignal<u32>,
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
            reload.update(|n| *n += 1);
        },
    );
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
fn RefreshDialog(
    token: Token,
    open: RwSignal<Open>,
    reload: RwSignal<u32>,
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
            reload.update(|n| *n += 1);
        },
    );
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
fn RecoverDialog(token: Token, open: RwSignal<Open>, reload: RwSignal<u32>) -> impl IntoView {
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
            reload.update(|n| *n += 1);
        },
    );
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
fn DeleteDialog(token: Token, open: RwSignal<Open>) -> impl IntoView {
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

#[component]
fn TokenAudit(id: String, reload: RwSignal<u32>) -> impl IntoView {
    let api = use_api();
    let entries = crate::resources::load(move || {
        reload.track();
        // Changes only: opening this page reads the token, and those reads
        // would otherwise fill its own activity (the API filters by one
        // action, not by kind, so the reads are left out here).
        let path = format!("{}?target={}&limit=100", paths::AUDIT.template(), enc(&id));
        async move {
            api.get::<Page<AuditEntry>>(&path).await.map(|mut p| {
                p.items.retain(|e| !is_read(&e.action));
                p.items.truncate(20);
                p
            })
        }
    });
    view! {
        <section class="card" aria-labelledby="audit-title" data-testid="token-audit">
            <h2 id="audit-title">"Activity"</h2>
            {move || match entries.get() {
                None => view! { <Loading what="Loading activity…" /> }.into_any(),
                Some(Err(f)) => view! { <FailurePanel failure=f needs="audit:read" /> }.into_any(),
                Some(Ok(p)) if p.items.is_empty() => view! { <p class="muted">"No recorded activity for this token yet."</p> }.into_any(),
                Some(Ok(p)) => view! { <AuditTable items=p.items /> }.into_any(),
            }}
        </section>
    }
}

/// Audit actions that only looked (`token.read`, `tokens.list`, …).
fn is_read(action: &str) -> bool {
    action.ends_with(".read") || action.ends_with(".list")
}

/// Invitations to this token: send one by email, see their state,
/// re-send or revoke.
#[component]
fn TokenInvitations(
    token: Token,
    catalog: Catalog,
    personas: Signal<Vec<Persona>>,
) -> impl IntoView {
    let api = use_api();
    let id = token.id.clone();
    let reload = RwSignal::new(0u32);
    let list_path = format!("{}?token_id={}", paths::INVITATIONS.template(), enc(&id));
    let list = crate::resources::load(move || {
        reload.track();
        let path = list_path.clone();
        async move { api.get::<InvitationList>(&path).await }
    });
    let sending = RwSignal::new(false);
    let sent = RwSignal::new(None::<Invitation>);
    // Outlives the list's reloads, which re-create the table.
    let row_failure = RwSignal::new(None::<ApiFailure>);
    let dialog = move || {
        view! { <SendDialog token=token.clone() catalog=catalog.clone() personas sending sent reload /> }
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
            {move || match list.get() {
                None => view! { <Loading what="Loading invitations…" /> }.into_any(),
                Some(Err(f)) => view! { <FailurePanel failure=f needs="tokens:read" /> }.into_any(),
                Some(Ok(l)) if l.items.is_empty() => view! { <p class="muted">"No invitations for this token."</p> }.into_any(),
                Some(Ok(l)) => view! { <InvitationTable items=l.items reload failure=row_failure /> }.into_any(),
            }}
        </section>
    }
}

/// How long an invitation may wait to be accepted (the API allows 30 days).
const VALIDITY_DAYS: [u64; 4] = [1, 7, 14, 30];

#[component]
fn SendDialog(
    token: Token,
    catalog: Catalog,
    personas: Signal<Vec<Persona>>,
    sending: RwSignal<bool>,
    sent: RwSignal<Option<Invitation>>,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let api = use_api();
    let email = RwSignal::new(String::new());
    let message = RwSignal::new(String::new());
    let days = RwSignal::new(7u64);
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
                reload.update(|n| *n += 1);
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
                    <label for="send-validity">"The invitation can be accepted for"</label>
                    <select id="send-validity" data-testid="send-validity" on:change=move |ev| {
                        days.set(event_target_value(&ev).parse().unwrap_or(7))
                    }>
                        {VALIDITY_DAYS.iter().map(|d| {
                            let label = if *d == 1 { "1 day".to_string() } else { format!("{d} days") };
                            view! { <option value=d.to_string() selected=*d == 7>{label}</option> }
                        }).collect_view()}
                    </select>
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
fn InvitationTable(
    items: Vec<Invitation>,
    reload: RwSignal<u32>,
    failure: RwSignal<Option<ApiFailure>>,
) -> impl IntoView {
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
            reload.update(|n| *n += 1);
            r
        },
        |()| {},
    );
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
