//! The token page's "Temporary access" (issue 18): raise a project
//! token's grants until an instant for a reason, watch the time left, end
//! it now, or approve one that waits for a second admin.

use crate::api::use_api;
use crate::components::common::ErrorBanner;
use crate::components::toast::use_toasts;
use crate::format;
use crate::mutation::Mutation;
use crate::resources::Data;
use keyward_domain::api::{Persona, Token};
use keyward_domain::describe::summary;
use keyward_domain::elevation::{countdown, Elevation, ElevationStatus};
use keyward_domain::{paths, Catalog, Grant};
use leptos::prelude::*;
use serde_json::{json, Value};

/// The browser's clock, once a second, while the section is shown: the
/// countdowns and the end of each elevation follow it.
fn ticking_now() -> ReadSignal<i64> {
    let (now, set_now) = signal(format::now().unix_timestamp());
    if let Ok(handle) = set_interval_with_handle(
        move || set_now.set(format::now().unix_timestamp()),
        std::time::Duration::from_secs(1),
    ) {
        on_cleanup(move || handle.clear());
    }
    now
}

#[component]
pub fn Elevations(token: Token, catalog: Catalog, personas: Signal<Vec<Persona>>) -> impl IntoView {
    let now = ticking_now();
    let id = token.id.clone();
    let elevations = token.elevations.clone();
    // Shown while not over; the edge stops counting each at its end
    // whatever this page shows.
    let current = move || {
        let t = now.get();
        elevations
            .iter()
            .filter(|e| e.until.unix_timestamp() > t)
            .cloned()
            .collect::<Vec<_>>()
    };
    let rows = {
        let (id, catalog, current) = (id.clone(), catalog.clone(), current.clone());
        move || {
            current()
                .into_iter()
                .map(|e| view! { <ElevationRow token_id=id.clone() elevation=e catalog=catalog.clone() now /> })
                .collect_view()
        }
    };
    let empty = {
        let current = current.clone();
        move || current().is_empty()
    };
    view! {
        <section class="card" aria-labelledby="elevations-title" data-testid="elevations">
            <h2 id="elevations-title">"Temporary access"</h2>
            <p class="muted">
                "Raise this token's permissions until a time you choose, for a reason the audit log keeps. It ends by itself at that time."
            </p>
            <Show when=empty fallback=move || view! { <ul class="elevations" role="list">{rows.clone()}</ul> }>
                <p class="empty" data-testid="no-elevations">"No temporary access now."</p>
            </Show>
            <RaiseForm token_id=id.clone() personas />
        </section>
    }
}

#[component]
fn ElevationRow(
    token_id: String,
    elevation: Elevation,
    catalog: Catalog,
    now: ReadSignal<i64>,
) -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let until = elevation.until;
    let end_path = paths::TOKEN_ELEVATION.with(&[&token_id, &elevation.id]);
    let approve_path = paths::TOKEN_ELEVATION_APPROVE.with(&[&token_id, &elevation.id]);
    let pending = elevation.status == ElevationStatus::Pending;
    let failure = RwSignal::new(None);
    let end = Mutation::reporting_to(
        failure,
        move |_: ()| {
            let path = end_path.clone();
            async move { api.delete(&path).await }
        },
        move |_| {
            toasts.say(if pending {
                "Withdrawn: the request will not start."
            } else {
                "Ended: the token is back to its own permissions."
            });
        },
    )
    .changes(Data::Tokens);
    let approve = Mutation::reporting_to(
        failure,
        move |_: ()| {
            let path = approve_path.clone();
            async move {
                // Read as plain JSON: a typed decoder per answer would add
                // its own copy of the JSON parser to the download.
                api.send::<_, Value>(gloo_net::http::Method::POST, &path, &json!({}))
                    .await
            }
        },
        move |_| {
            toasts.say("Approved: the temporary access runs now.");
        },
    )
    .changes(Data::Tokens);
    let busy = {
        let (a, b) = (end.pending(), approve.pending());
        move || a.get() || b.get()
    };
    let left = move || countdown(until.unix_timestamp() - now.get());
    let what = summary(&catalog, &elevation.grants);
    let compact: Vec<String> = elevation.grants.iter().map(Grant::to_string).collect();
    let from = elevation
        .persona
        .as_ref()
        .map(|p| format!(" (copied from persona {p})"))
        .unwrap_or_default();
    view! {
        <li class="elevation" data-testid="elevation">
            <div>
                <p>
                    {if pending {
                        view! { <span class="badge badge-warn" data-testid="elevation-status">"Waiting for approval"</span> }.into_any()
                    } else {
                        view! { <span class="badge badge-ok" data-testid="elevation-status">"Active"</span> }.into_any()
                    }}
                    " " <strong data-testid="elevation-what">{what}</strong>{from}
                </p>
                <p class="muted small"><code>{compact.join(", ")}</code></p>
                <p data-testid="elevation-reason">"Why: " {elevation.reason.clone()}</p>
                <p class="small">
                    {if pending { "Would end " } else { "Ends " }}
                    <span title=format::iso(until)>{format::absolute(until)}</span>
                    ": " <span data-testid="elevation-countdown" role="timer" aria-live="off">{left}</span> " left"
                    " · asked by " <code>{elevation.requested_by.clone()}</code>
                    {elevation.approved_by.clone().map(|a| view! { " · approved by " <code>{a}</code> })}
                </p>
            </div>
            <div class="actions">
                {pending.then(|| view! {
                    <button type="button" data-testid="approve-elevation" disabled=busy
                        on:click=move |_| approve.dispatch(())>"Approve"</button>
                })}
                <button type="button" class="danger" data-testid="end-elevation" disabled=busy
                    on:click=move |_| end.dispatch(())>
                    {if pending { "Withdraw" } else { "End now" }}
                </button>
            </div>
            <ErrorBanner failure />
        </li>
    }
}

/// How long a raise lasts, as offered.
const DURATIONS: [(&str, i64); 5] = [
    ("1 hour", 3_600),
    ("4 hours", 4 * 3_600),
    ("8 hours", 8 * 3_600),
    ("1 day", 86_400),
    ("7 days", 7 * 86_400),
];

#[component]
fn RaiseForm(token_id: String, personas: Signal<Vec<Persona>>) -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let grants_text = RwSignal::new(String::new());
    let persona = RwSignal::new(String::new());
    let seconds = RwSignal::new(String::from("14400"));
    let reason = RwSignal::new(String::new());
    let local_error = RwSignal::new(None::<String>);
    let path = paths::TOKEN_ELEVATIONS.with(&[&token_id]);
    let failure = RwSignal::new(None);
    let raise = Mutation::reporting_to(
        failure,
        move |body: Value| {
            let path = path.clone();
            async move {
                api.send::<_, Value>(gloo_net::http::Method::POST, &path, &body)
                    .await
            }
        },
        move |e: Value| {
            toasts.say(if e["status"] == "pending" {
                "Requested: another admin must approve it before it starts."
            } else {
                "Raised: the token holds the added permissions until the end you chose."
            });
            grants_text.set(String::new());
            reason.set(String::new());
        },
    )
    .changes(Data::Tokens);
    let pending = raise.pending();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        local_error.set(None);
        let chosen = persona.get_untracked();
        let mut grants: Vec<Value> = vec![];
        for word in grants_text
            .get_untracked()
            .split([',', ' ', '\n'])
            .filter(|w| !w.is_empty())
        {
            match Grant::parse_compact(word) {
                Some(g) => grants.push(json!({
                    "service": g.service,
                    "permission": g.permission,
                    "resource": g.resource.as_ref().map(|r| r.as_str().to_string()),
                })),
                None => {
                    local_error.set(Some(format!(
                        "'{word}' is not a grant: write service:permission or service:permission@resource"
                    )));
                    return;
                }
            }
        }
        let secs = seconds.get_untracked().parse::<i64>().unwrap_or(3_600);
        let until = format::now() + time::Duration::seconds(secs);
        let until = format::iso(until.replace_nanosecond(0).unwrap_or(until));
        let reason = reason.get_untracked();
        raise.dispatch(if chosen.is_empty() {
            json!({"grants": grants, "until": until, "reason": reason})
        } else {
            json!({"persona": chosen, "until": until, "reason": reason})
        });
    };
    let persona_options = move || {
        personas
            .get()
            .into_iter()
            .map(|p| view! { <option value=p.id.clone()>{p.name.clone()}</option> })
            .collect_view()
    };
    view! {
        <form class="raise" on:submit=submit data-testid="raise-form">
            <h3>"Raise for a while"</h3>
            <div class="field">
                <label for="raise-grants">"Permissions to add"</label>
                <input id="raise-grants" type="text" autocomplete="off" spellcheck="false"
                    placeholder="e.g. api_services:deploy@churn" data-testid="raise-grants"
                    bind:value=grants_text prop:disabled=move || !persona.get().is_empty() />
                <p class="muted small">"Separate several with a space. Or add a persona's permissions as they are now:"</p>
                <label for="raise-persona" class="sr-only">"Persona"</label>
                <select id="raise-persona" data-testid="raise-persona" bind:value=persona>
                    <option value="">"No persona"</option>
                    {persona_options}
                </select>
            </div>
            <div class="field">
                <label for="raise-for">"For"</label>
                <select id="raise-for" data-testid="raise-for" bind:value=seconds>
                    {DURATIONS.iter().map(|(label, s)| view! { <option value=s.to_string()>{*label}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="raise-reason">"Why"</label>
                <input id="raise-reason" type="text" required data-testid="raise-reason"
                    placeholder="e.g. Deploy churn model v2 (OPS-42)" bind:value=reason />
            </div>
            {move || local_error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            <ErrorBanner failure />
            <button type="submit" data-testid="raise-submit" disabled=move || pending.get()>
                {move || if pending.get() { "Raising…" } else { "Raise" }}
            </button>
        </form>
    }
}
