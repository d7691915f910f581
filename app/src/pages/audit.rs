//! `/audit`: the audit log, filterable by actor, action and target.

use crate::api::{query, use_api};
use crate::components::audit_table::AuditTable;
use crate::components::loader::loaded;
use keyward_domain::api::{AuditEntry, Page};
use keyward_domain::paths;
use leptos::prelude::*;

const LIMIT: u64 = 50;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Filters {
    actor: String,
    action: String,
    target: String,
}

#[component]
pub fn AuditLog() -> impl IntoView {
    let api = use_api();
    let actor = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let target = RwSignal::new(String::new());
    let applied = RwSignal::new(Filters::default());
    let offset = RwSignal::new(0u64);
    let loading = RwSignal::new(false);
    let page = crate::resources::load(move || {
        let f = applied.get();
        let path = format!(
            "{}{}",
            paths::AUDIT.template(),
            query(&[
                ("limit", LIMIT.to_string()),
                ("offset", offset.get().to_string()),
                ("actor", f.actor.trim().to_string()),
                ("action", f.action.trim().to_string()),
                ("target", f.target.trim().to_string()),
            ])
        );
        loading.set(true);
        async move {
            let r = api.get::<Page<AuditEntry>>(&path).await;
            loading.set(false);
            r
        }
    });
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        offset.set(0);
        applied.set(Filters {
            actor: actor.get_untracked(),
            action: action.get_untracked(),
            target: target.get_untracked(),
        });
    };
    let clear = move |_| {
        actor.set(String::new());
        action.set(String::new());
        target.set(String::new());
        offset.set(0);
        applied.set(Filters::default());
    };
    view! {
        <div class="page-head"><h1>"Audit log"</h1></div>
        <form class="filters" on:submit=apply data-testid="audit-filters">
            <div class="field">
                <label for="audit-actor">"Actor (client id)"</label>
                <input id="audit-actor" type="text" placeholder="cli_…" data-testid="audit-actor" bind:value=actor />
            </div>
            <div class="field">
                <label for="audit-action">"Action"</label>
                <input id="audit-action" type="text" placeholder="token.create" list="audit-actions" data-testid="audit-action" bind:value=action />
                <datalist id="audit-actions">
                    {["token.create", "token.update", "token.refresh", "token.delete", "token.read", "token.list", "admin.create", "admin.delete", "bucket.create", "object.put", "whoami"]
                        .into_iter()
                        .map(|a| view! { <option value=a></option> })
                        .collect_view()}
                </datalist>
            </div>
            <div class="field">
                <label for="audit-target">"Target"</label>
                <input id="audit-target" type="text" placeholder="token id, bucket/key…" data-testid="audit-target" bind:value=target />
            </div>
            <div class="field actions-inline">
                <button type="submit" class="primary">"Filter"</button>
                <button type="button" class="secondary" on:click=clear>"Clear"</button>
            </div>
            <span class="updating" role="status">
                {move || (loading.get() && page.with(Option::is_some)).then_some("Updating…")}
            </span>
        </form>
        {move || loaded(page.get(), "Loading the audit log…", "audit:read", |ok| match ok {
            p if p.items.is_empty() => view! {
                <p class="empty" data-testid="audit-empty">"No entries match these filters."</p>
            }.into_any(),
            p => {
                let total = p.total;
                let first = p.offset + 1;
                let last = p.offset + p.items.len() as u64;
                view! {
                    <div class="card"><AuditTable items=p.items /></div>
                    <nav class="pager" aria-label="Pages">
                        <span data-testid="audit-page-info">{format!("{first}–{last} of {total}")}</span>
                        <button type="button" class="secondary" data-testid="audit-prev" disabled=move || offset.get() == 0
                            on:click=move |_| offset.update(|o| *o = o.saturating_sub(LIMIT))>"Previous"</button>
                        <button type="button" class="secondary" data-testid="audit-next" disabled=move || { last >= total }
                            on:click=move |_| offset.update(|o| *o += LIMIT)>"Next"</button>
                    </nav>
                }.into_any()
            }
        })}
    }
}
