//! A page of audit entries, shared by the audit page and a token's page.

use crate::format;
use keyward_domain::api::{AuditEntry, Outcome};
use leptos::prelude::*;

#[component]
pub fn AuditTable(items: Vec<AuditEntry>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="audit responsive" data-testid="audit-table">
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        <th scope="col">"Actor"</th>
                        <th scope="col">"Action"</th>
                        <th scope="col">"Target"</th>
                        <th scope="col">"Outcome"</th>
                        <th scope="col">"Detail"</th>
                    </tr>
                </thead>
                <tbody>
                    {items.clone().into_iter().map(|e| view! {
                        <tr data-testid="audit-row">
                            <td data-label="When">
                                <time datetime=format::iso(e.at) title=format::absolute(e.at)>{format::ago(Some(e.at), "")}</time>
                            </td>
                            <td data-label="Actor"><code>{e.actor.clone()}</code></td>
                            <td data-label="Action"><code>{e.action.clone()}</code></td>
                            <td data-label="Target">{target_view(&e.target)}</td>
                            <td data-label="Outcome">
                                <span class=outcome_class(e.outcome)>{e.outcome.as_str()}</span>
                            </td>
                            <td data-label="Detail" class="detail">{e.detail.clone()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

fn outcome_class(o: Outcome) -> &'static str {
    match o {
        Outcome::Success => "badge badge-ok",
        Outcome::Denied => "badge badge-bad",
        Outcome::Failed => "badge badge-warn",
    }
}

/// Token targets link to their token; other targets are plain text.
fn target_view(target: &str) -> AnyView {
    if target.starts_with("tok_") {
        view! { <a href=format!("/tokens/{target}")><code>{target.to_string()}</code></a> }
            .into_any()
    } else {
        view! { <code class="clip">{target.to_string()}</code> }.into_any()
    }
}
