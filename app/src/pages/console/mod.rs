//! `/console`: the Storage Console for whoever holds a token. It says what
//! the token may do, lists the buckets it can read, and offers upload and
//! delete only where it may write. The API decides in the end; the console
//! only leaves out buttons that would be refused.

use crate::api::use_api;
use crate::components::common::{grants_of, HeldList};
use crate::components::loader::{both, loaded};
use crate::format;
use crate::resources::{buckets_path, catalog_resource, projects_resource};
use crate::session::{is_full_admin, use_project, use_session};
use keyward_domain::api::{BucketList, WhoAmI};
use keyward_domain::describe::{held_parts, held_permissions, holds, summary};
use keyward_domain::grant::ServicePermissions;
use keyward_domain::storage;
use keyward_domain::{Catalog, TokenKind};
use leptos::prelude::*;

mod objects;
use objects::BucketView;

/// whoami's permissions in `project` (a global key's differ per project).
fn permissions_in<'a>(w: &'a WhoAmI, project: &str) -> &'a [ServicePermissions] {
    if w.project == project {
        return &w.permissions;
    }
    w.projects
        .iter()
        .find(|p| p.project == project)
        .map(|p| p.permissions.as_slice())
        .unwrap_or(&[])
}

/// What `w` may do in one bucket of `project`, from whoami; admins may do
/// anything. A token may hold only some of a bucket's tables (Keboola's
/// shared tables): it reads and writes only the objects in those.
#[derive(Clone, Default)]
struct Reach {
    write_all: bool,
    /// The tables it may write in, by name, when not the whole bucket.
    write_tables: Vec<String>,
    /// The tables it may read, when it may not read the whole bucket.
    read_tables: Vec<String>,
}

impl Reach {
    fn of(w: &WhoAmI, project: &str, bucket: &str) -> Reach {
        if is_full_admin(w) {
            return Reach {
                write_all: true,
                ..Reach::default()
            };
        }
        let perms = permissions_in(w, project);
        Reach {
            write_all: holds(perms, "storage", "write", bucket),
            write_tables: held_parts(perms, "storage", "write", bucket),
            read_tables: held_parts(perms, "storage", "read", bucket),
        }
    }

    /// Whether the object under `key` may be changed: it lives in a table
    /// when its key starts with `<table>/` (the domain's one rule).
    fn may_write(&self, bucket: &str, key: &str) -> bool {
        let resource = storage::object_resource(bucket, key);
        self.write_all
            || storage::table_of(bucket, &resource)
                .is_some_and(|t| self.write_tables.iter().any(|w| w == t))
    }
}

/// "the table orders", "the tables customers, orders".
fn tables_phrase(tables: &[String]) -> String {
    let noun = if tables.len() == 1 { "table" } else { "tables" };
    format!("the {noun} {}", tables.join(", "))
}

/// The project the console starts in: the header's for admins, the first
/// one a global key reaches, else the token's own.
fn start_project(w: &WhoAmI, header: String) -> String {
    if is_full_admin(w) {
        header
    } else if w.token.kind == TokenKind::Global
        && !w.projects.iter().any(|p| p.project == w.project)
    {
        w.projects
            .first()
            .map(|p| p.project.clone())
            .unwrap_or_else(|| w.project.clone())
    } else if w.project.is_empty() {
        keyward_domain::DEFAULT_PROJECT.to_string()
    } else {
        w.project.clone()
    }
}

#[component]
pub fn Console() -> impl IntoView {
    let session = use_session();
    let api = use_api();
    let catalog = catalog_resource(api);
    view! {
        <div class="page-head">
            <h1>"Storage console"</h1>
        </div>
        {move || loaded(both(session.whoami.get().map(Ok), catalog.get()), "Checking your token…", "a valid token", |(w, c)| view! {
            <YourAccess who=w.clone() catalog=c />
            <ProjectView who=w />
        }.into_any())}
    }
}

#[component]
fn YourAccess(who: WhoAmI, catalog: Catalog) -> impl IntoView {
    let session = use_session();
    let master = who.token.kind == TokenKind::Master;
    let master = master || is_full_admin(&who);
    // A token's own grants say it best; one that inherits (personas, or a
    // personal key acting as its member) shows what it effectively holds.
    let inherits = !who.token.personas.is_empty()
        || matches!(
            who.token.kind,
            TokenKind::Personal | TokenKind::User | TokenKind::Global
        );
    let grants = if inherits {
        grants_of(&who.permissions)
    } else {
        who.token.grants.clone()
    };
    let line = if master {
        "Everything, in every project: this is an admin token.".to_string()
    } else {
        summary(&catalog, &grants)
    };
    let held = if master {
        vec![]
    } else {
        held_permissions(&catalog, &grants)
    };
    let acting = who.acting_as.clone().map(|a| view! {
        <p class="muted" data-testid="console-acting-as">
            "This personal key acts as its member " <code>{a}</code> ": it holds exactly their permissions."
        </p>
    });
    let user = who.token.kind == TokenKind::User;
    view! {
        <section class="card" aria-labelledby="access-title" data-testid="console-access">
            <h2 id="access-title">"Your access"</h2>
            <p>
                "Signed in with the token "
                <strong data-testid="console-token-name">{who.token.name.clone()}</strong>
                ", which "
                <span data-testid="console-expiry">{format::expiry_phrase(who.token.expires_at)}</span>
                "."
            </p>
            <p class="summary-line" data-testid="console-summary">{line}</p>
            <HeldList held />
            {acting}
            {user.then(|| view! {
                <p>"Your personal keys are on " <a href="/profile" data-testid="console-profile-link">"your profile"</a> "."</p>
            })}
            {move || session.is_admin().then(|| view! {
                <p class="muted">"This token can also use the " <a href="/tokens">"admin pages"</a> "."</p>
            })}
        </section>
    }
}

/// Which project the console works in, with a choice where the token
/// reaches several, then that project's buckets.
#[component]
fn ProjectView(who: WhoAmI) -> impl IntoView {
    let api = use_api();
    let header = use_project();
    let admin = is_full_admin(&who);
    let project = RwSignal::new(start_project(&who, header.current.get_untracked()));
    // Admins follow the header's switcher.
    if admin {
        Effect::new(move |_| project.set(header.current.get()));
    }
    let all = projects_resource(api);
    let global_choices: Vec<String> = who.projects.iter().map(|p| p.project.clone()).collect();
    let choices = move || {
        let mut ids: Vec<String> = if admin {
            all.get()
                .unwrap_or_default()
                .into_iter()
                .map(|p| p.id)
                .collect()
        } else {
            global_choices.clone()
        };
        let current = project.get();
        if !ids.contains(&current) {
            ids.insert(0, current);
        }
        ids
    };
    let choices2 = choices.clone();
    let who2 = who.clone();
    view! {
        <section class="card project-bar" data-testid="console-project-bar">
            <p>
                "Project: " <strong data-testid="console-project">{move || project.get()}</strong>
            </p>
            <Show when=move || { choices().len() > 1 && !admin }>
                {
                    let choices = choices2.clone();
                    view! {
                        <label class="inline-label">
                            "Work in "
                            <select data-testid="console-project-select"
                                prop:value=move || project.get()
                                on:change=move |ev| project.set(event_target_value(&ev))>
                                {move || choices().into_iter().map(|id| {
                                    let selected = id == project.get_untracked();
                                    view! { <option value=id.clone() selected=selected>{id.clone()}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                    }
                }
            </Show>
            {admin.then(|| view! { <p class="muted small">"Switch projects in the header."</p> })}
        </section>
        {move || {
            let p = project.get();
            view! { <Buckets who=who2.clone() project=p /> }
        }}
    }
}

#[component]
fn Buckets(who: WhoAmI, project: String) -> impl IntoView {
    let api = use_api();
    let list_path = buckets_path(Some(&project));
    let buckets = crate::resources::load(move || {
        let path = list_path.clone();
        async move { api.get::<BucketList>(&path).await }
    });
    let chosen = RwSignal::new(None::<String>);
    // The first bucket opens by itself.
    Effect::new(move |_| {
        if chosen.with_untracked(Option::is_none) {
            if let Some(Ok(l)) = buckets.get() {
                if let Some(b) = l.items.first() {
                    chosen.set(Some(b.id.clone()));
                }
            }
        }
    });
    view! {
        <section class="card" aria-labelledby="buckets-title" data-testid="console-buckets">
            <h2 id="buckets-title">"Buckets"</h2>
            {move || loaded(buckets.get(), "Loading your buckets…", "storage:read", |ok| match ok {
                l if l.items.is_empty() => view! {
                    <p class="empty" data-testid="console-no-buckets">"This token cannot read any bucket."</p>
                }.into_any(),
                l => view! {
                    <ul class="bucket-list" role="list">
                        {l.items.clone().into_iter().map(|b| view! {
                            {
                                let id = b.id.clone();
                                let here = id.clone();
                                view! {
                                    <li>
                                        <button type="button" class="secondary bucket" data-testid="console-bucket"
                                            aria-pressed=move || chosen.with(|c| c.as_deref() == Some(here.as_str())).to_string()
                                            on:click=move |_| chosen.set(Some(id.clone()))>
                                            {b.id.clone()}
                                        </button>
                                        {(!b.description.is_empty()).then(|| view! { <span class="muted small">" "{b.description.clone()}</span> })}
                                    </li>
                                }
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            })}
        </section>
        {move || chosen.get().map(|b| {
            let reach = Reach::of(&who, &project, &b);
            view! { <BucketView project=project.clone() bucket=b reach /> }
        })}
    }
}
