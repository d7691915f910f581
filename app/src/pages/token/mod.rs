//! `/tokens/:id`: permissions per service and metadata; its sections
//! (dialogs to edit, refresh, recover and delete; "Can this token …?" and
//! usage; elevations; invitations; activity) in the modules below, and the
//! create page (`new`), all in the token area.

pub mod activity;
pub mod dialogs;
pub mod elevations;
pub mod insight;
pub mod invitations;
pub mod new;

use activity::TokenAudit;
use dialogs::{DeleteDialog, EditToken, RecoverDialog, RefreshDialog};
use invitations::TokenInvitations;

use crate::api::{enc, use_api};
use crate::components::common::{kind_label, project_label, CreatedBy, Expiry, SecretReveal};
use crate::components::enable_toggle::EnableToggle;
use crate::components::loader::{both, loaded};
use crate::components::personas::{persona_grants, persona_names};
use crate::components::token_form::usage_text;
use crate::format;
use crate::resources::{catalog_resource, personas_resource};
use crate::resources::{use_versions, Data};
use crate::session::use_session;
use elevations::Elevations;
use insight::{CanThisToken, UsageSection};
use keyward_domain::api::{IssuedToken, Persona, Token};
use keyward_domain::describe::held_permissions_via;
use keyward_domain::paths;
use keyward_domain::{Catalog, TokenKind};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    Nothing,
    Edit,
    Refresh,
    Recover,
    Delete,
}

#[component]
pub fn TokenDetail() -> impl IntoView {
    let api = use_api();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let versions = use_versions();
    let token = crate::resources::load(move || {
        let id = id();
        versions.track(Data::Tokens);
        async move { api.get_versioned::<Token>(&paths::TOKEN.with(&[&id])).await }
    });
    let catalog = catalog_resource(api);
    // A new secret outlives the that follows a refresh, but nothing else.
    let revealed = RwSignal::new(None::<IssuedToken>);

    view! {
        <div class="page-head">
            <a href="/tokens" class="link">"← All tokens"</a>
        </div>
        {move || revealed.get().map(|t| view! {
            <SecretReveal secret=t.secret.clone() title=format!("New secret for “{}”", t.token.name) />
        })}
        {move || loaded(both(token.get(), catalog.get()), "Loading the token…", "tokens:read", |((t, version), c)| {
            view! { <TokenView token=t version catalog=c revealed /> }.into_any()
        })}
    }
}

#[component]
fn TokenView(
    token: Token,
    /// The version the page shows, which an edit is meant for.
    version: Option<String>,
    catalog: Catalog,
    revealed: RwSignal<Option<IssuedToken>>,
) -> impl IntoView {
    let _versions = use_versions();
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
                    {editable.then(|| view! { <EnableToggle token=t.clone() /> })}
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
        move || view! { <EditToken token=t.clone() version=version.clone() catalog=c.clone() open /> }
    };
    let refresh = {
        let t = token.clone();
        move || view! { <RefreshDialog token=t.clone() open revealed /> }
    };
    let recover = {
        let t = token.clone();
        move || view! { <RecoverDialog token=t.clone() open /> }
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
            <Elevations token=token.clone() catalog=catalog.clone() personas />
        })}
        <CanThisToken token=token.clone() catalog=catalog.clone() />
        <UsageSection token=token.clone() editable />
        {editable.then(|| view! { <TokenInvitations token=token.clone() catalog=catalog.clone() personas /> })}
        <TokenAudit id=id.clone() />
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
