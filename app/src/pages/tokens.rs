//! `/tokens`: the list, searchable, sortable, paginated.

use crate::api::{query, use_api, ApiFailure};
use crate::components::common::{kind_label, project_label, Dialog, Expiry};
use crate::components::enable_toggle::EnableToggle;
use crate::components::loader::loaded;
use crate::components::toast::use_toasts;
use crate::format;
use crate::mutation::Mutation;
use crate::resources::projects_resource;
use crate::resources::{use_versions, Data};
use crate::session::use_project;
use gloo_net::http::Method;
use keyward_domain::api::UpdateToken;
use keyward_domain::api::{Page, Token};
use keyward_domain::expiry::{describe_span, parse_span};
use keyward_domain::paths;
use keyward_domain::TokenKind;
use leptos::prelude::*;

const LIMIT: u64 = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Sort {
    key: &'static str,
    descending: bool,
}

impl Sort {
    fn param(&self) -> String {
        format!("{}{}", if self.descending { "-" } else { "" }, self.key)
    }
}

/// A search for `cli_…` looks up a client id exactly; anything else is a
/// substring of the name or description.
fn search_params(search: &str) -> (String, String) {
    let s = search.trim();
    if s.starts_with("cli_") && !s.contains(' ') {
        (String::new(), s.to_string())
    } else {
        (s.to_string(), String::new())
    }
}

#[component]
pub fn TokenList() -> impl IntoView {
    let api = use_api();
    let typed = RwSignal::new(String::new());
    let search = RwSignal::new(String::new());
    let sort = RwSignal::new(Sort {
        key: "created_at",
        descending: true,
    });
    let offset = RwSignal::new(0u64);
    // The header's project, once one was chosen; "" lists every project.
    let choice = use_project();
    let project = RwSignal::new(if choice.explicit.get_untracked() {
        choice.current.get_untracked()
    } else {
        String::new()
    });
    Effect::new(move |first: Option<()>| {
        let p = choice.current.get();
        if first.is_some() {
            offset.set(0);
            project.set(p);
        }
    });
    let projects = projects_resource(api);
    // "", "true" or "false": every token, the enabled or the disabled ones.
    let enabled = RwSignal::new(String::new());
    // "" or a span (`30d`): the tokens with no call for that long; also
    // from `/tokens?unused_for=…`.
    let unused = RwSignal::new(
        leptos_router::hooks::use_query_map()
            .with_untracked(|q| q.get("unused_for").unwrap_or_default()),
    );
    // Bumped after a row's Disable or Enable, to show its new state.
    let versions = use_versions();
    // `/tokens?persona=…` (from the personas page): the tokens linking it.
    let persona = RwSignal::new(
        leptos_router::hooks::use_query_map()
            .with_untracked(|q| q.get("persona").unwrap_or_default()),
    );
    let url = move || {
        let (q, client_id) = search_params(&search.get());
        format!(
            "{}{}",
            paths::TOKENS.template(),
            query(&[
                ("limit", LIMIT.to_string()),
                ("offset", offset.get().to_string()),
                ("sort", sort.get().param()),
                ("q", q),
                ("client_id", client_id),
                ("project", project.get()),
                ("persona", persona.get()),
                ("enabled", enabled.get()),
                ("unused_for", unused.get()),
            ])
        )
    };
    // The last page stays on screen while the next one loads; this says so.
    let loading = RwSignal::new(false);
    let page = crate::resources::load(move || {
        versions.track(Data::Tokens);
        let url = url();
        loading.set(true);
        async move {
            let r = api.get::<Page<Token>>(&url).await;
            loading.set(false);
            r
        }
    });
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        offset.set(0);
        search.set(typed.get_untracked());
    };
    let clear = move |_| {
        typed.set(String::new());
        offset.set(0);
        search.set(String::new());
    };

    view! {
        <div class="page-head">
            <h1>"API tokens"</h1>
            <a class="button primary" href="/tokens/new" data-testid="new-token">"Create token"</a>
        </div>
        <form class="search" role="search" on:submit=apply data-testid="token-search">
            <label for="token-search-input" class="sr-only">"Search by name or client id"</label>
            <input
                id="token-search-input"
                type="search"
                placeholder="Search by name, description or client id (cli_…)"
                data-testid="token-search-input"
                bind:value=typed
            />
            <button type="submit" class="secondary">"Search"</button>
            <label for="token-project-filter" class="sr-only">"Project"</label>
            <select id="token-project-filter" class="project-filter" data-testid="token-project-filter"
                prop:value=move || project.get()
                on:change=move |ev| { offset.set(0); project.set(event_target_value(&ev)); }>
                <option value="">"All projects"</option>
                {move || {
                    let mut ids: Vec<String> = projects.get().unwrap_or_default().into_iter().map(|p| p.id).collect();
                    let current = project.get();
                    if !current.is_empty() && !ids.contains(&current) {
                        ids.push(current.clone());
                    }
                    ids.into_iter().map(|id| {
                        let selected = id == current;
                        view! { <option value=id.clone() selected=selected>{format!("Project {id}")}</option> }
                    }).collect_view()
                }}
            </select>
            <label for="token-enabled-filter" class="sr-only">"Status"</label>
            <select id="token-enabled-filter" data-testid="token-enabled-filter"
                on:change=move |ev| { offset.set(0); enabled.set(event_target_value(&ev)); }>
                <option value="">"Enabled and disabled"</option>
                <option value="true">"Enabled only"</option>
                <option value="false">"Disabled only"</option>
            </select>
            <label for="token-unused-filter" class="sr-only">"Use"</label>
            <select id="token-unused-filter" data-testid="token-unused-filter"
                on:change=move |ev| { offset.set(0); unused.set(event_target_value(&ev)); }>
                {unused_options(&unused.get_untracked())}
            </select>
            <Show when=move || !search.get().is_empty()>
                <button type="button" class="link" on:click=clear>"Clear"</button>
            </Show>
            <Show when=move || !persona.get().is_empty()>
                <span class="filter-chip" data-testid="persona-filter">
                    {move || format!("Linking persona {}", persona.get())}
                    <button type="button" class="link" on:click=move |_| { offset.set(0); persona.set(String::new()) }>"Show all"</button>
                </span>
            </Show>
            <span class="updating" role="status" data-testid="list-updating">
                {move || (loading.get() && page.with(Option::is_some)).then_some("Updating…")}
            </span>
        </form>
        {move || loaded(page.get(), "Loading tokens…", "tokens:read", |p| view! {
                <IdleBulk page=p.clone() unused />
                <TokenTable page=p sort offset search project_filtered=!project.get_untracked().is_empty() status_filtered=!enabled.get_untracked().is_empty() || !unused.get_untracked().is_empty() />
            }.into_any()
        )}
    }
}

/// "Used or not", and the spans of disuse to list: the usual ones and the
/// one the address asked for.
fn unused_options(current: &str) -> impl IntoView {
    let mut spans = vec![String::new(), "7d".into(), "30d".into(), "90d".into()];
    if !spans.iter().any(|s| s == current) && parse_span(current).is_ok() {
        spans.push(current.to_string());
    }
    spans
        .into_iter()
        .map(|s| {
            let text = match parse_span(&s) {
                Ok(seconds) => format!("Unused for {}", describe_span(seconds)),
                Err(_) => "Used or not".into(),
            };
            view! { <option value=s.clone() selected={s == current}>{text}</option> }
        })
        .collect_view()
}

/// Idle tokens listed (`unused_for`): disable or delete those on the page
/// in one go, each through the API as if done one by one (the same policy
/// and audit), deleting only after a confirmation naming them.
#[component]
fn IdleBulk(page: Page<Token>, unused: RwSignal<String>) -> impl IntoView {
    let span = unused.get_untracked();
    // Members' tokens follow their member; master tokens their admin.
    let targets: Vec<Token> = page
        .items
        .into_iter()
        .filter(|t| matches!(t.kind, TokenKind::Scoped | TokenKind::Global))
        .collect();
    let Ok(seconds) = parse_span(&span) else {
        return ().into_any();
    };
    if targets.is_empty() {
        return ().into_any();
    }
    let api = use_api();
    let toasts = use_toasts();
    let confirming = RwSignal::new(false);
    let ids: Vec<String> = targets.iter().map(|t| t.id.clone()).collect();
    let listed = targets
        .iter()
        .map(|t| t.name.clone())
        .collect::<Vec<_>>()
        .join(", ");
    let n = targets.len();
    let run = Mutation::new(
        move |delete: bool| {
            let ids = ids.clone();
            async move {
                let (mut done, mut refused) = (0, vec![]);
                for id in &ids {
                    let path = paths::TOKEN.with(&[id]);
                    let r = if delete {
                        api.delete(&path).await
                    } else {
                        let body = UpdateToken {
                            enabled: Some(false),
                            ..UpdateToken::default()
                        };
                        api.send::<_, Token>(Method::PATCH, &path, &body)
                            .await
                            .map(drop)
                    };
                    match r {
                        Ok(()) => done += 1,
                        Err(f) => refused.push(f.to_string()),
                    }
                }
                Ok::<_, ApiFailure>((delete, done, refused))
            }
        },
        move |(delete, done, refused): (bool, usize, Vec<String>)| {
            let verb = if delete { "Deleted" } else { "Disabled" };
            let mut text = format!(
                "{verb} {done} idle token{}.",
                if done == 1 { "" } else { "s" }
            );
            if !refused.is_empty() {
                text.push_str(&format!(
                    " {} refused: {}",
                    refused.len(),
                    refused.join("; ")
                ));
            }
            toasts.say(text);
            confirming.set(false);
        },
    )
    .changes(Data::Tokens);
    // Each token's refusal is reported in the toast; the run itself never fails.
    let pending = run.pending();
    let them = if n == 1 { "it" } else { "them" };
    let close = Callback::new(move |_| confirming.set(false));
    view! {
        <div class="banner banner-info bulk" role="region" aria-label="Idle tokens" data-testid="idle-bulk">
            {format!("{n} token{} on this page not used for {}. ", if n == 1 { "" } else { "s" }, describe_span(seconds))}
            <button type="button" class="secondary small" data-testid="bulk-disable"
                disabled=move || pending.get() on:click=move |_| run.dispatch(false)>{format!("Disable {them}")}</button>
            " "
            <button type="button" class="danger small" data-testid="bulk-delete"
                disabled=move || pending.get() on:click=move |_| confirming.set(true)>{format!("Delete {them}…")}</button>
        </div>
        {move || confirming.get().then(|| {
            let listed = listed.clone();
            view! {
            <Dialog title=format!("Delete {n} idle token{}?", if n == 1 { "" } else { "s" }) testid="bulk-delete-dialog" on_close=close>
                <p>{format!("They stop working at once, and this cannot be undone: {listed}.")}</p>
                <div class="actions">
                    <button type="button" class="danger" data-testid="bulk-delete-confirm" disabled=move || pending.get()
                        on:click=move |_| run.dispatch(true)>{move || if pending.get() { "Deleting…" } else { "Delete" }}</button>
                    <button type="button" class="secondary" on:click=move |_| close.run(())>"Cancel"</button>
                </div>
            </Dialog>
        }})}
    }
    .into_any()
}

#[component]
fn TokenTable(
    page: Page<Token>,
    sort: RwSignal<Sort>,
    offset: RwSignal<u64>,
    search: RwSignal<String>,
    project_filtered: bool,
    status_filtered: bool,
) -> impl IntoView {
    if page.total == 0 || page.items.is_empty() && page.offset == 0 {
        let text = if search.get_untracked().is_empty() && !project_filtered && !status_filtered {
            "No tokens yet. A token starts with no permissions; create one and give it exactly what it needs.".to_string()
        } else if search.get_untracked().is_empty() && !status_filtered {
            "No tokens in this project yet (global keys and master tokens belong to no project)."
                .to_string()
        } else if search.get_untracked().is_empty() {
            "No tokens match these filters (global keys and master tokens belong to no project)."
                .to_string()
        } else {
            format!("No tokens match “{}”.", search.get_untracked())
        };
        return view! {
            <section class="empty" data-testid="tokens-empty">
                <p>{text}</p>
                <a class="button primary" href="/tokens/new">"Create token"</a>
            </section>
        }
        .into_any();
    }
    let total = page.total;
    let first = page.offset + 1;
    let last = page.offset + page.items.len() as u64;
    let rows = page.items;
    view! {
        <div class="table-wrap">
            <table class="tokens responsive" data-testid="token-table">
                <caption class="sr-only">"API tokens"</caption>
                <thead>
                    <tr>
                        <SortHeader label="Name" key="name" sort />
                        <th scope="col">"Kind"</th>
                        <th scope="col">"Project"</th>
                        <th scope="col">"Client ID"</th>
                        <SortHeader label="Expires" key="expires_at" sort />
                        <SortHeader label="Last used" key="last_used_at" sort />
                        <SortHeader label="Created" key="created_at" sort />
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {rows.clone().into_iter().map(|t| view! {
                        <TokenRow token=t />
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Pages">
            <span data-testid="page-info">{format!("{first}–{last} of {total}")}</span>
            <button
                type="button"
                class="secondary"
                data-testid="page-prev"
                disabled=move || offset.get() == 0
                on:click=move |_| offset.update(|o| *o = o.saturating_sub(LIMIT))
            >
                "Previous"
            </button>
            <button
                type="button"
                class="secondary"
                data-testid="page-next"
                disabled=move || { last >= total }
                on:click=move |_| offset.update(|o| *o += LIMIT)
            >
                "Next"
            </button>
        </nav>
    }
    .into_any()
}

#[component]
fn SortHeader(label: &'static str, key: &'static str, sort: RwSignal<Sort>) -> impl IntoView {
    let state = move || sort.with(|s| (s.key == key).then_some(s.descending));
    let aria = move || match state() {
        Some(true) => "descending",
        Some(false) => "ascending",
        None => "none",
    };
    let arrow = move || match state() {
        Some(true) => " ↓",
        Some(false) => " ↑",
        None => "",
    };
    let click = move |_| {
        sort.update(|s| {
            if s.key == key {
                s.descending = !s.descending;
            } else {
                *s = Sort {
                    key,
                    descending: false,
                };
            }
        })
    };
    view! {
        <th scope="col" aria-sort=aria>
            <button type="button" class="sort" data-testid=format!("sort-{key}") on:click=click>
                {label}
                <span aria-hidden="true">{arrow}</span>
                <span class="sr-only">{move || format!(", sorted {}", aria())}</span>
            </button>
        </th>
    }
}

#[component]
fn TokenRow(token: Token) -> impl IntoView {
    // Members' tokens follow their member; master tokens their admin.
    let toggle = matches!(token.kind, TokenKind::Scoped | TokenKind::Global)
        .then(|| view! { <EnableToggle token=token.clone() /> });
    let href = format!("/tokens/{}", token.id);
    let project_class = match token.kind {
        TokenKind::Master | TokenKind::Global => "badge badge-global",
        _ => "badge badge-project",
    };
    let kind_class = match token.kind {
        TokenKind::Master => "badge badge-master",
        _ => "badge",
    };
    view! {
        <tr data-testid="token-row" data-token-id=token.id.clone()>
            <td data-label="Name">
                <a href=href class="token-name">{token.name.clone()}</a>
                {(!token.enabled).then(|| view! { " " <span class="badge badge-bad" data-testid="disabled-badge">"Disabled"</span> })}
                {(!token.description.is_empty()).then(|| view! { <div class="muted small clip">{token.description.clone()}</div> })}
            </td>
            <td data-label="Kind"><span class=kind_class>{kind_label(token.kind)}</span></td>
            <td data-label="Project"><span class=project_class data-testid="token-project">{project_label(&token)}</span></td>
            <td data-label="Client ID"><code>{token.client_id.clone()}</code></td>
            <td data-label="Expires"><Expiry expires_at=token.expires_at /></td>
            <td data-label="Last used">{format::ago(token.last_used_at, "Never used")}</td>
            <td data-label="Created">{format::ago(Some(token.created_at), "")}</td>
            <td data-label="">{toggle}</td>
        </tr>
    }
}
