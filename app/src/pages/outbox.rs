//! `/outbox`: the dev outbox, the emails the worker "sent" while no email
//! provider is configured (master tokens only). Bodies are shown as plain
//! text; only links into this app become clickable.

use crate::api::use_api;
use crate::components::loader::loaded;
use crate::format;
use crate::resources::{use_versions, Data};
use keyward_domain::api::{OutboxList, OutboxMessage};
use keyward_domain::paths;
use leptos::prelude::*;

/// Splits `text` into pieces, marking the http(s) links. A link is shown
/// and opened on `origin` — the app's own, whatever host the worker wrote
/// into the email (`localhost` while the page runs on `127.0.0.1`) — so a
/// message can never send the reader off this app. Everything else stays
/// text, so nothing in a message can inject markup.
pub fn segments(text: &str, origin: &str) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = vec![];
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (word, after) = rest.split_at(end);
        let link = word.trim_end_matches(['.', ',', ';', ':', ')', '>', '"', '\'']);
        match on_origin(link, origin) {
            Some(href) => {
                out.push((href, true));
                push_text(&mut out, &word[link.len()..]);
            }
            None => push_text(&mut out, word),
        }
        let ws = after
            .find(|c: char| !c.is_whitespace())
            .unwrap_or(after.len());
        push_text(&mut out, &after[..ws]);
        rest = &after[ws..];
    }
    out.retain(|(s, _)| !s.is_empty());
    out
}

/// `http(s)://any-host/path?query` as the same path on `origin`.
fn on_origin(word: &str, origin: &str) -> Option<String> {
    if origin.is_empty() {
        return None;
    }
    let after_scheme = word
        .strip_prefix("https://")
        .or_else(|| word.strip_prefix("http://"))?;
    let slash = after_scheme.find('/')?;
    let path = &after_scheme[slash..];
    (path.len() > 1).then(|| format!("{origin}{path}"))
}

fn push_text(out: &mut Vec<(String, bool)>, s: &str) {
    match out.last_mut() {
        Some((t, false)) => t.push_str(s),
        _ => out.push((s.to_string(), false)),
    }
}

fn origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

#[component]
pub fn Outbox() -> impl IntoView {
    let api = use_api();
    let versions = use_versions();
    let list = crate::resources::load(move || {
        versions.track(Data::Outbox);
        async move { api.get::<OutboxList>(paths::OUTBOX.template()).await }
    });
    view! {
        <div class="page-head">
            <h1>"Outbox"</h1>
            <button type="button" class="secondary" data-testid="outbox-reload" on:click=move |_| versions.bump(Data::Outbox)>
                "Reload"
            </button>
        </div>
        <p class="muted">
            "No email provider is configured, so emails are kept here instead of being sent. Their links open here, in this app."
        </p>
        {move || loaded(list.get(), "Loading the outbox…", "a master token", |ok| match ok {
            l if l.items.is_empty() => view! {
                <p class="empty" data-testid="outbox-empty">"The outbox is empty: no email has been sent yet."</p>
            }.into_any(),
            l => view! {
                {l.items.clone().into_iter().map(|m| view! {
                    <Message message=m />
                }).collect_view()}
            }.into_any(),
        })}
    }
}

#[component]
fn Message(message: OutboxMessage) -> impl IntoView {
    let origin = origin();
    let body = segments(&message.text, &origin)
        .into_iter()
        .map(|(s, link)| {
            if link {
                let href = s.clone();
                view! { <a href=href data-testid="outbox-link">{s}</a> }.into_any()
            } else {
                s.into_any()
            }
        })
        .collect_view();
    view! {
        <article class="card mail" data-testid="outbox-message">
            <header class="mail-head">
                <h2 data-testid="outbox-subject">{message.subject.clone()}</h2>
                <dl class="meta">
                    <dt>"To"</dt><dd data-testid="outbox-to">{message.to.clone()}</dd>
                    <dt>"From"</dt><dd>{message.from.clone()}</dd>
                    <dt>"Sent"</dt><dd>{format::when(message.sent_at)}</dd>
                </dl>
            </header>
            <pre class="mail-text" data-testid="outbox-text">{body}</pre>
        </article>
    }
}

#[cfg(test)]
mod tests {
    use super::segments;

    #[test]
    fn links_open_on_the_pages_own_origin() {
        let text = "Open http://localhost:8787/invite/abc. Or https://evil.example/x\nbye";
        assert_eq!(
            segments(text, "http://127.0.0.1:8787"),
            vec![
                ("Open ".to_string(), false),
                ("http://127.0.0.1:8787/invite/abc".to_string(), true),
                (". Or ".to_string(), false),
                ("http://127.0.0.1:8787/x".to_string(), true),
                ("\nbye".to_string(), false),
            ]
        );
        assert_eq!(
            segments("<b>http://h/</b>", "http://a"),
            vec![("<b>http://h/</b>".to_string(), false)]
        );
        assert_eq!(
            segments("x http://h/y", ""),
            vec![("x http://h/y".to_string(), false)]
        );
    }
}
