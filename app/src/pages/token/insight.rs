//! The token page's questions (issue 18): "Can this token …?" answered by
//! the API's explain (the edge's own decision, with where each admitting
//! grant comes from), and "Usage (30 days)": used and unused grants, with
//! "Narrow to what it used" shown as a diff and applied once confirmed.

use crate::api::use_api;
use crate::components::common::ErrorBanner;
use crate::components::loader::loaded;
use crate::components::toast::use_toasts;
use crate::mutation::Mutation;
use crate::resources::{use_versions, Data};
use gloo_net::http::Method;
use keyward_domain::api::Token;
use keyward_domain::explain::ExplainRequest;
use keyward_domain::paths;
use keyward_domain::usage::NarrowRequest;
use keyward_domain::{Catalog, Grant};
use leptos::prelude::*;
use serde::Deserialize;

// What the page shows of the API's `Explanation` and `Usage`
// (`keyward_domain::explain`, `::usage`), read as plain structs: their
// internally tagged `source` and flattened rows would bring serde's
// buffering deserializers into the wasm for a few fields. Unknown fields
// are ignored, so the answers may grow.

/// An `Explanation`, as shown.
#[derive(Debug, Clone, Deserialize)]
pub struct Answer {
    pub decision: String,
    pub reason: String,
    #[serde(default)]
    pub missing: Option<Grant>,
    #[serde(default)]
    pub via: Vec<ViaRow>,
}

/// One `Via`: a held grant admitting the call, and where it comes from.
#[derive(Debug, Clone, Deserialize)]
pub struct ViaRow {
    pub grant: Grant,
    pub source: SourceRow,
    #[serde(default)]
    pub implied: bool,
}

/// A `Source`: `kind` and, for personas and projects, which.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SourceRow {
    pub kind: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub project: Option<String>,
}

/// A `Usage`, as shown.
#[derive(Debug, Clone, Deserialize)]
pub struct UsageRows {
    pub days: u32,
    pub calls: u64,
    pub grants: Vec<UseRow>,
    pub proposed_grants: Vec<Grant>,
    pub removed: Vec<Grant>,
    pub added: Vec<Grant>,
}

/// A held grant and the calls it alone would have admitted.
#[derive(Debug, Clone, Deserialize)]
pub struct UseRow {
    pub grant: Grant,
    pub calls: u64,
}

/// The chips beside an admitting grant: where it comes from (own,
/// persona, member, project, admin), and "implied" when it admits through
/// the catalog's implications.
pub fn via_chips(v: &ViaRow) -> Vec<&'static str> {
    let source = match v.source.kind.as_str() {
        "own" => "own",
        "persona" => "persona",
        "member" | "member_persona" => "member",
        "project" => "project",
        _ => "admin",
    };
    let mut chips = vec![source];
    if v.implied {
        chips.push("implied");
    }
    chips
}

/// Where a grant comes from, in words.
pub fn source_text(s: &SourceRow) -> String {
    let name = s.name.as_deref().unwrap_or("");
    match s.kind.as_str() {
        "own" => "the token's own grants".into(),
        "persona" => format!("persona “{name}”"),
        "member" => "its member's own grants".into(),
        "member_persona" => format!("its member's persona “{name}”"),
        "project" => format!(
            "its grants in project {}",
            s.project.as_deref().unwrap_or("")
        ),
        _ => "admin rights".into(),
    }
}

/// The proposal as a diff of the token's own grants: `-` for what it
/// drops or narrows, `+` for the narrower forms it adds, ` ` for kept.
pub fn narrow_diff(own: &[Grant], usage: &UsageRows) -> Vec<(char, String)> {
    let mut lines: Vec<(char, String)> = own
        .iter()
        .map(|g| {
            let mark = if usage.removed.contains(g) { '-' } else { ' ' };
            (mark, g.to_string())
        })
        .collect();
    lines.extend(usage.added.iter().map(|g| ('+', g.to_string())));
    lines
}

/// "Can this token …?": service, permission and resource from the
/// catalog, and the API's explanation.
#[component]
pub fn CanThisToken(token: Token, catalog: Catalog) -> impl IntoView {
    let api = use_api();
    let service = RwSignal::new(String::new());
    let permission = RwSignal::new(String::new());
    let resource = RwSignal::new(String::new());
    // Which of its secrets the call would carry (its hint, as shown): a
    // secret replaced by a refresh is answered for as the edge treats it.
    let hint = RwSignal::new(String::new());
    let answer = RwSignal::new(None::<Answer>);
    let path = paths::TOKEN_EXPLAIN.with(&[&token.id]);
    let ask = Mutation::new(
        move |body: ExplainRequest| {
            let path = path.clone();
            async move { api.send::<_, Answer>(Method::POST, &path, &body).await }
        },
        move |e: Answer| answer.set(Some(e)),
    );
    let catalog = StoredValue::new(catalog);
    // The chosen permission's resource type, if it takes one.
    let takes = move || {
        catalog.with_value(|c| {
            c.permission(&service.get(), &permission.get())
                .and_then(|p| p.resource_type.clone())
        })
    };
    let services = catalog.with_value(|c| {
        c.services
            .iter()
            .map(|s| view! { <option value=s.id.clone()>{s.title.clone()}</option> })
            .collect_view()
    });
    let permissions = move || {
        catalog.with_value(|c| {
            c.service(&service.get()).map(|s| {
                s.permissions
                    .iter()
                    .map(|p| view! { <option value=p.id.clone()>{p.title.clone()}</option> })
                    .collect_view()
            })
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        answer.set(None);
        let r = resource.get_untracked();
        ask.dispatch(ExplainRequest {
            service: service.get_untracked(),
            permission: permission.get_untracked(),
            resource: (takes().is_some() && !r.trim().is_empty()).then(|| r.trim().to_string()),
            project: None,
            secret_hint: Some(hint.get_untracked().trim().to_string()).filter(|h| !h.is_empty()),
        });
    };
    let (pending, failure) = (ask.pending(), ask.failure());
    view! {
        <section class="card" aria-labelledby="explain-title" data-testid="explain">
            <h2 id="explain-title">"Can this token …?"</h2>
            <form class="inline-form" on:submit=submit data-testid="explain-form">
                <label for="explain-service" class="sr-only">"Service"</label>
                <select id="explain-service" data-testid="explain-service"
                    on:change=move |ev| { service.set(event_target_value(&ev)); permission.set(String::new()); }>
                    <option value="">"Service…"</option>
                    {services}
                </select>
                <label for="explain-permission" class="sr-only">"Permission"</label>
                <select id="explain-permission" data-testid="explain-permission" prop:value=move || permission.get()
                    on:change=move |ev| permission.set(event_target_value(&ev))>
                    <option value="">"Permission…"</option>
                    {permissions}
                </select>
                <Show when=move || takes().is_some()>
                    <label for="explain-resource" class="sr-only">"Resource"</label>
                    <input id="explain-resource" type="text" data-testid="explain-resource" bind:value=resource
                        placeholder=move || format!("{} id, or * for all", takes().unwrap_or_default()) />
                </Show>
                <label for="explain-hint" class="sr-only">"With the secret (its hint, optional)"</label>
                <input id="explain-hint" type="text" data-testid="explain-hint" bind:value=hint
                    placeholder="with secret kw_…Ab3x (optional)" />
                <button type="submit" class="secondary" data-testid="explain-ask" disabled=move || pending.get()>"Ask"</button>
            </form>
            <ErrorBanner failure />
            {move || answer.get().map(|e| view! { <ExplanationView e /> })}
        </section>
    }
}

#[component]
fn ExplanationView(e: Answer) -> impl IntoView {
    let allow = e.decision == "allow";
    let via = e
        .via
        .iter()
        .map(|v| {
            let chips = via_chips(v)
                .into_iter()
                .map(|c| view! { <span class="badge" data-testid="via-chip">{c}</span> " " })
                .collect_view();
            view! { <li data-testid="via"><code>{v.grant.to_string()}</code>" " {chips}<span class="muted small">{source_text(&v.source)}</span></li> }
        })
        .collect_view();
    view! {
        <div class={if allow { "banner banner-info" } else { "banner banner-warn" }} role="status" data-testid="explanation">
            <strong data-testid="explain-verdict">{if allow { "Yes. " } else { "No. " }}</strong>
            <span data-testid="explain-reason">{e.reason.clone()}</span>
            {e.missing.map(|m| view! { <p>"Missing: "<code data-testid="explain-missing">{m.to_string()}</code></p> })}
            <ul class="via-list">{via}</ul>
        </div>
    }
}

/// "Usage (30 days)": per held grant its calls, the unused ones marked;
/// "Narrow to what it used" with the proposal as a diff.
#[component]
pub fn UsageSection(token: Token, editable: bool) -> impl IntoView {
    let versions = use_versions();
    let api = use_api();
    let path = format!("{}?days=30", paths::TOKEN_USAGE.with(&[&token.id]));
    let usage = crate::resources::load(move || {
        versions.track(Data::Tokens);
        let path = path.clone();
        async move { api.get::<UsageRows>(&path).await }
    });
    let own = token.grants.clone();
    let id = token.id.clone();
    view! {
        <section class="card" aria-labelledby="usage-title" data-testid="token-usage">
            <h2 id="usage-title">"Usage (30 days)"</h2>
            {move || loaded(usage.get(), "Loading usage…", "audit:read", |u| view! { <UsageView usage=u own=own.clone() id=id.clone() editable /> }.into_any()
            )}
        </section>
    }
}

#[component]
fn UsageView(usage: UsageRows, own: Vec<Grant>, id: String, editable: bool) -> impl IntoView {
    let rows = usage
        .grants
        .iter()
        .map(|h| {
            let used = h.calls > 0;
            view! {
                <li data-testid="usage-grant" data-used=used.to_string()>
                    <code>{h.grant.to_string()}</code>" "
                    <span class={if used { "badge badge-ok" } else { "badge badge-warn" }}>
                        {if used { format!("used: {} calls", h.calls) } else { "unused".to_string() }}
                    </span>
                </li>
            }
        })
        .collect_view();
    let narrowable = editable && !usage.removed.is_empty();
    let diff = narrow_diff(&own, &usage);
    let proposal = usage.proposed_grants.clone();
    view! {
        <p data-testid="usage-calls">{format!("{} calls in the last {} days.", usage.calls, usage.days)}</p>
        <ul class="usage-list">{rows}</ul>
        {narrowable.then(|| view! { <Narrow id diff proposal /> })}
    }
}

#[component]
fn Narrow(id: String, diff: Vec<(char, String)>, proposal: Vec<Grant>) -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let open = RwSignal::new(false);
    let path = paths::TOKEN_NARROW.with(&[&id]);
    let apply = Mutation::new(
        move |body: NarrowRequest| {
            let path = path.clone();
            async move { api.send::<_, Token>(Method::POST, &path, &body).await }
        },
        move |t: Token| {
            toasts.say(format!("Narrowed “{}” to what it used.", t.name));
            open.set(false);
        },
    )
    .changes(Data::Tokens);
    let (pending, failure) = (apply.pending(), apply.failure());
    let (diff, proposal) = (StoredValue::new(diff), StoredValue::new(proposal));
    let lines = move || {
        diff.with_value(|d| {
            d.iter()
                .map(|(mark, g)| {
                    let class = match mark {
                        '-' => "diff-del",
                        '+' => "diff-add",
                        _ => "",
                    };
                    view! { <li class=class data-testid="narrow-line">{format!("{mark} {g}")}</li> }
                })
                .collect_view()
        })
    };
    let confirm = move |_| {
        apply.dispatch(NarrowRequest {
            days: Some(30),
            grants: proposal.get_value(),
        })
    };
    view! {
        <Show when=move || !open.get()>
            <button type="button" class="secondary" data-testid="narrow-open" on:click=move |_| open.set(true)>
                "Narrow to what it used"
            </button>
        </Show>
        <Show when=move || open.get()>
            <div class="banner banner-warn" data-testid="narrow-proposal">
                <p>"Its own grants become exactly these (personas stay as they are):"</p>
                <ul class="narrow-diff" data-testid="narrow-diff">{lines}</ul>
                <div class="actions">
                    <button type="button" class="danger" data-testid="narrow-confirm" disabled=move || pending.get() on:click=confirm>
                        "Apply"
                    </button>
                    <button type="button" class="secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                </div>
            </div>
        </Show>
        <ErrorBanner failure />
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn g(s: &str) -> Grant {
        Grant::parse_compact(s).unwrap()
    }

    #[test]
    fn the_domains_answers_read_as_shown() {
        use keyward_domain::explain::{ExplainCode, Explanation, Source, Verdict, Via};
        let e = Explanation {
            token_id: "t".into(),
            project: "default".into(),
            asked: g("storage:read@b"),
            decision: Verdict::Allow,
            code: ExplainCode::Granted,
            reason: "held".into(),
            admitted_by: Some(g("storage:read@b")),
            via: vec![Via {
                grant: g("storage:write@b"),
                source: Source::Persona {
                    id: "p".into(),
                    name: "Writers".into(),
                },
                implied: true,
                wildcard: false,
            }],
            missing: None,
            retry_after: None,
            secret_until: None,
        };
        let a: Answer = serde_json::from_value(serde_json::to_value(&e).unwrap()).unwrap();
        assert_eq!(a.decision, "allow");
        assert_eq!(via_chips(&a.via[0]), ["persona", "implied"]);
        assert_eq!(source_text(&a.via[0].source), "persona “Writers”");
        let u = serde_json::json!({
            "token_id": "t", "days": 30, "since": 0, "calls": 2,
            "exercised": [{"grant": {"service": "storage", "permission": "read", "resource": "b"}, "count": 2, "last_used_at": 1}],
            "grants": [{"grant": {"service": "audit", "permission": "read"}, "source": {"kind": "own"}, "calls": 0}],
            "unused": [], "proposed_grants": [], "removed": [{"service": "audit", "permission": "read"}], "added": []
        });
        let u: UsageRows = serde_json::from_value(u).unwrap();
        assert_eq!((u.days, u.calls, u.grants[0].calls), (30, 2, 0));
    }

    #[test]
    fn chips_say_where_a_grant_comes_from() {
        let via = |kind: &str, implied| ViaRow {
            grant: g("storage:write@b"),
            source: SourceRow {
                kind: kind.into(),
                ..SourceRow::default()
            },
            implied,
        };
        assert_eq!(via_chips(&via("own", false)), ["own"]);
        assert_eq!(via_chips(&via("persona", true)), ["persona", "implied"]);
        assert_eq!(via_chips(&via("member_persona", false)), ["member"]);
    }

    #[test]
    fn the_proposal_is_a_diff_of_the_own_grants() {
        let usage = UsageRows {
            days: 30,
            calls: 3,
            grants: vec![],
            proposed_grants: vec![g("storage:read@b")],
            removed: vec![g("storage:write@*"), g("audit:read")],
            added: vec![g("storage:read@b")],
        };
        let own = [g("audit:read"), g("storage:write@*"), g("tokens:read")];
        assert_eq!(
            narrow_diff(&own, &usage),
            [
                ('-', "audit:read".to_string()),
                ('-', "storage:write@*".to_string()),
                (' ', "tokens:read".to_string()),
                ('+', "storage:read@b".to_string()),
            ]
        );
    }
}
