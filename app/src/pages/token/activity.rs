//! A token's page, its activity: the audit trail of its changes.

use crate::api::{enc, use_api};
use crate::components::audit_table::AuditTable;
use crate::components::loader::loaded;
use crate::resources::{use_versions, Data};
use keyward_domain::api::{AuditEntry, Page};
use keyward_domain::paths;
use leptos::prelude::*;

#[component]
pub(super) fn TokenAudit(id: String) -> impl IntoView {
    let versions = use_versions();
    let api = use_api();
    let entries = crate::resources::load(move || {
        versions.track(Data::Tokens);
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
            {move || loaded(entries.get(), "Loading activity…", "audit:read", |ok| match ok {
                p if p.items.is_empty() => view! { <p class="muted">"No recorded activity for this token yet."</p> }.into_any(),
                p => view! { <AuditTable items=p.items /> }.into_any(),
            })}
        </section>
    }
}

/// Audit actions that only looked (`token.read`, `tokens.list`, …).
fn is_read(action: &str) -> bool {
    action.ends_with(".read") || action.ends_with(".list")
}
