//! The "Preview" step of a change that reaches many tokens (issue 18's
//! blast radius): the same request with `?dry_run=true` answers which
//! tokens gain or lose which permissions and which gateway routes start or
//! stop answering 403, before anything is written.
//!
//! The answer is read as plain JSON (`domain::blast::BlastRadius` is its
//! shape): a typed decoder per answer would add its own copy of the JSON
//! parser to the app's download.

use crate::api::{use_api, ApiFailure};
use crate::mutation::Mutation;
use gloo_net::http::Method;
use leptos::prelude::*;
use serde_json::Value;

/// `path` asking for a dry run.
fn dry_run(path: &str) -> String {
    format!(
        "{path}{}dry_run=true",
        if path.contains('?') { "&" } else { "?" }
    )
}

/// The "Preview the effect" step of a form whose change reaches many
/// tokens: `body` is the change as the form would send it now (`None`
/// while it cannot be sent), asked of `path` with `dry_run=true`. Reading
/// the form's signals, `watch` hides a shown preview at any change: it
/// would describe another change than the one saved.
#[component]
pub fn PreviewStep(
    method: Method,
    path: String,
    body: Callback<(), Option<String>>,
    watch: Callback<()>,
    failure: RwSignal<Option<ApiFailure>>,
    testid: &'static str,
) -> impl IntoView {
    let api = use_api();
    let radius = RwSignal::new(None::<Value>);
    let path = dry_run(&path);
    let preview = Mutation::reporting_to(
        failure,
        move |body: String| {
            let (method, path) = (method.clone(), path.clone());
            async move { api.run_json::<Value>(method, &path, Some(body)).await }
        },
        move |r: Value| radius.set(Some(r)),
    );
    Effect::new(move |_| {
        watch.run(());
        radius.set(None);
    });
    let pending = preview.pending();
    let ask = move |_| {
        if let Some(b) = body.run(()) {
            preview.dispatch(b);
        }
    };
    view! {
        {move || radius.get().map(|r| view! { <BlastPreview radius=r /> })}
        <button type="button" class="secondary" data-testid=testid disabled=move || pending.get() on:click=ask>
            {move || if pending.get() { "Previewing…" } else { "Preview the effect" }}
        </button>
    }
}

/// What deleting at `path` would take from the tokens it reaches, asked
/// when the confirmation opens (the same `DELETE` with `dry_run=true`).
#[component]
pub fn DeletePreview(path: String) -> impl IntoView {
    let api = use_api();
    let path = dry_run(&path);
    let radius = crate::resources::load(move || {
        let path = path.clone();
        async move {
            api.run_json::<Value>(Method::DELETE, &path, None)
                .await
                .ok()
        }
    });
    move || {
        radius
            .get()
            .flatten()
            .map(|r| view! { <BlastPreview radius=r /> })
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| match x {
                    Value::String(s) => s.clone(),
                    // A grant: service:permission[@resource].
                    g => {
                        let mut s = format!(
                            "{}:{}",
                            g["service"].as_str().unwrap_or("?"),
                            g["permission"].as_str().unwrap_or("?")
                        );
                        if let Some(r) = g["resource"].as_str() {
                            s.push('@');
                            s.push_str(r);
                        }
                        s
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

fn coverage(c: &Value) -> &'static str {
    match c.as_str() {
        Some("all") => "every call",
        Some("some") => "some calls",
        _ => "no call",
    }
}

fn route_line(r: &Value) -> String {
    let on = |rs: Vec<String>| {
        if rs.is_empty() {
            String::new()
        } else {
            format!(" ({})", rs.join(", "))
        }
    };
    format!(
        "{} /gw{}: {}{} → {}{}",
        strings(&r["methods"]).join("|"),
        r["path"].as_str().unwrap_or_default(),
        coverage(&r["before"]),
        on(strings(&r["resources_before"])),
        coverage(&r["after"]),
        on(strings(&r["resources_after"])),
    )
}

fn items(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

#[component]
pub fn BlastPreview(radius: Value) -> impl IntoView {
    let changed = items(&radius["tokens"]);
    let unchanged = items(&radius["unchanged"]).len();
    let expiry = items(&radius["expiry"]);
    let headline = match changed.len() {
        0 => "No token's permissions change.".to_string(),
        1 => "1 token's permissions change:".to_string(),
        n => format!("{n} tokens' permissions change:"),
    };
    let tokens = changed
        .into_iter()
        .map(|t| {
            let href = format!("/tokens/{}", t["id"].as_str().unwrap_or_default());
            let projects = items(&t["projects"])
                .into_iter()
                .map(|p| {
                    let (gained, lost) = (strings(&p["gained"]), strings(&p["lost"]));
                    let routes = items(&p["routes"])
                        .iter()
                        .map(|r| view! { <li data-testid="preview-route">{route_line(r)}</li> })
                        .collect_view();
                    view! {
                        <li>
                            <span class="muted">{format!("in {}: ", p["project"].as_str().unwrap_or_default())}</span>
                            {(!gained.is_empty()).then(|| view! {
                                <span class="gained" data-testid="preview-gained">{format!("gains {}", gained.join(", "))}</span>
                            })}
                            {(!gained.is_empty() && !lost.is_empty()).then_some("; ")}
                            {(!lost.is_empty()).then(|| view! {
                                <span class="lost" data-testid="preview-lost">{format!("loses {}", lost.join(", "))}</span>
                            })}
                            <ul class="preview-routes">{routes}</ul>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <li data-testid="preview-token">
                    <a href=href>{t["name"].as_str().unwrap_or_default().to_string()}</a>
                    {t["deleted"].as_bool().unwrap_or(false).then_some(" (deleted: it stops working)")}
                    <ul>{projects}</ul>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="preview" role="status" aria-live="polite" data-testid="blast-preview">
            <h3>"Preview: nothing has changed yet"</h3>
            <p data-testid="preview-headline">{headline}</p>
            <ul class="preview-tokens">{tokens}</ul>
            {(unchanged > 0).then(|| view! {
                <p class="muted small" data-testid="preview-unchanged">
                    {format!("{unchanged} other token{} reached keep exactly what {} hold.", if unchanged == 1 { "" } else { "s" }, if unchanged == 1 { "it" } else { "they" })}
                </p>
            })}
            {(!expiry.is_empty()).then(|| view! {
                <p class="small" data-testid="preview-expiry">
                    {format!("{} {} an expiry the new policy would not admit:", expiry.len(), if expiry.len() == 1 { "token keeps" } else { "tokens keep" })}
                </p>
                <ul class="small">
                    {expiry.iter().map(|t| view! {
                        <li data-testid="preview-expiry-token">{format!("{}: {}", t["name"].as_str().unwrap_or_default(), t["reason"].as_str().unwrap_or_default())}</li>
                    }).collect_view()}
                </ul>
            })}
        </section>
    }
}
