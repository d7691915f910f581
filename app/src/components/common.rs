//! Small building blocks shared by the pages.

use crate::api::ApiFailure;
use crate::format;
use keyward_domain::ErrorCode;
use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;
use time::OffsetDateTime;
use wasm_bindgen_futures::JsFuture;

/// What a token holds, a line per permission: "Storage: Read buckets and
/// objects — All buckets".
#[component]
pub fn HeldList(held: Vec<keyward_domain::describe::ServiceView>) -> impl IntoView {
    let items = held
        .into_iter()
        .flat_map(|s| {
            let service = s.title.clone();
            s.permissions.into_iter().map(move |p| {
                view! {
                    <li>
                        <strong>{format!("{service}: {}", p.title)}</strong>
                        {(!p.scope.is_empty()).then(|| view! { <span class="scope-text">" — " {p.scope}</span> })}
                    </li>
                }
            })
        })
        .collect_view();
    view! { <ul class="access-list">{items}</ul> }
}

/// A failed load. A 403 names the missing permission instead of looking
/// like a crash: the page is simply not for this token.
#[component]
pub fn FailurePanel(failure: ApiFailure, #[prop(into)] needs: String) -> impl IntoView {
    let forbidden = failure.code() == Some(ErrorCode::InsufficientPermission);
    let detail = failure
        .problem
        .as_ref()
        .map(|p| p.detail.clone())
        .unwrap_or_else(|| failure.message.clone());
    // `needs` is a permission ("tokens:read") or a kind of token ("a master token").
    let heading = if needs.starts_with("a ") {
        format!("This page needs {needs}")
    } else {
        format!("This token lacks {needs}")
    };
    if forbidden {
        view! {
            <section class="panel panel-info" data-testid="forbidden" role="status">
                <h2>{heading}</h2>
                <p>"The token you signed in with may not use this page. Sign in with a token that holds this permission, or ask an admin to add it."</p>
                <p class="muted">{format!("The API said: {detail}")}</p>
            </section>
        }
        .into_any()
    } else {
        let technical = match failure.status {
            0 => failure.to_string(),
            status => format!("HTTP {status}: {failure}"),
        };
        view! {
            <section class="panel panel-bad" data-testid="load-error" role="alert">
                <h2>"Could not load this page"</h2>
                <p data-testid="load-error-text">{failure_sentence(&failure)}</p>
                <p>
                    <button type="button" data-testid="load-retry" on:click=|_| {
                        if let Some(w) = web_sys::window() {
                            let _ = w.location().reload();
                        }
                    }>"Retry"</button>
                </p>
                <details class="technical">
                    <summary>"Technical detail"</summary>
                    <pre data-testid="load-error-detail">{technical}</pre>
                </details>
            </section>
        }
        .into_any()
    }
}

/// What went wrong, in a sentence for a person; the status and the API's
/// words go under "Technical detail".
pub fn failure_sentence(failure: &ApiFailure) -> String {
    match failure.status {
        0 => "Keyward could not be reached. Check your connection, then try again.".into(),
        404 => "This was not found: it may have been deleted, or the link is wrong.".into(),
        429 => "Too many requests for now. Wait a moment, then try again.".into(),
        s if s >= 500 => "Keyward could not answer just now. Try again in a moment.".into(),
        _ => match &failure.problem {
            Some(p) if !p.detail.is_empty() => p.detail.clone(),
            Some(p) => p.title.clone(),
            None => "The request failed. Try again.".into(),
        },
    }
}

/// A failed action: shown next to the form, which keeps its input.
#[component]
pub fn ErrorBanner(#[prop(into)] failure: Signal<Option<ApiFailure>>) -> impl IntoView {
    move || {
        failure.get().map(|f| {
            view! {
                <div class="banner banner-bad" role="alert" data-testid="form-error">
                    <strong>{f.problem.as_ref().map(|p| p.title.clone()).unwrap_or_else(|| "Request failed".into())}</strong>
                    ": "
                    <span>{f.problem.as_ref().map(|p| p.detail.clone()).unwrap_or_else(|| f.message.clone())}</span>
                </div>
            }
        })
    }
}

#[component]
pub fn Loading(#[prop(into)] what: String) -> impl IntoView {
    view! {
        <p class="loading" role="status" aria-busy="true" data-testid="loading">
            <span class="spinner" aria-hidden="true"></span>
            {what}
        </p>
    }
}

/// A modal dialog; Escape closes it and the first field gets focus.
#[component]
pub fn Dialog(
    #[prop(into)] title: String,
    #[prop(into)] testid: String,
    on_close: Callback<()>,
    children: Children,
    /// For dialogs holding a permission grid.
    #[prop(optional)]
    wide: bool,
) -> impl IntoView {
    let node = NodeRef::<html::Div>::new();
    // Focus goes back to whatever opened the dialog when it closes.
    let opener = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element())
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok());
    let opener = send_wrapper::SendWrapper::new(opener);
    on_cleanup(move || {
        if let Some(el) = opener.take() {
            let _ = el.focus();
        }
    });
    Effect::new(move |_| {
        if let Some(el) = node.get() {
            let first = el
                .query_selector("input, select, textarea, button")
                .ok()
                .flatten()
                .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok());
            if let Some(first) = first {
                let _ = first.focus();
            }
        }
    });
    let title_id = format!("{testid}-title");
    let labelled_by = title_id.clone();
    view! {
        <div class="overlay">
            <div
                class="dialog"
                class:dialog-wide=wide
                role="dialog"
                aria-modal="true"
                aria-labelledby=labelled_by
                data-testid=testid
                node_ref=node
                on:keydown=move |ev: KeyboardEvent| {
                    if ev.key() == "Escape" {
                        on_close.run(());
                    } else if ev.key() == "Tab" {
                        trap_tab(&ev, node);
                    }
                }
            >
                <h2 id=title_id>{title}</h2>
                {children()}
            </div>
        </div>
    }
}

/// Keeps Tab and Shift+Tab inside the modal dialog.
fn trap_tab(ev: &KeyboardEvent, node: NodeRef<html::Div>) {
    use wasm_bindgen::JsCast;
    let Some(root) = node.get_untracked() else {
        return;
    };
    let Ok(list) = root.query_selector_all(
        "input:not([disabled]), select:not([disabled]), textarea:not([disabled]), button:not([disabled]), a[href]",
    ) else {
        return;
    };
    let items: Vec<web_sys::HtmlElement> = (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        .collect();
    let (Some(first), Some(last)) = (items.first(), items.last()) else {
        return;
    };
    let active = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element());
    let is = |el: &web_sys::HtmlElement| {
        active
            .as_ref()
            .is_some_and(|a| a == el.unchecked_ref::<web_sys::Element>())
    };
    if ev.shift_key() && is(first) {
        ev.prevent_default();
        let _ = last.focus();
    } else if !ev.shift_key() && is(last) {
        ev.prevent_default();
        let _ = first.focus();
    }
}

/// A new secret, shown exactly once. It lives only in the signal that
/// holds it: leaving or reloading the page drops it for good.
#[component]
pub fn SecretReveal(#[prop(into)] secret: String, #[prop(into)] title: String) -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    let to_copy = secret.clone();
    let copy = move |_| {
        let text = to_copy.clone();
        leptos::task::spawn_local(async move {
            let ok = match web_sys::window() {
                Some(w) => JsFuture::from(w.navigator().clipboard().write_text(&text))
                    .await
                    .is_ok(),
                None => false,
            };
            copied.set(Some(ok));
        });
    };
    view! {
        <section class="reveal" data-testid="secret-reveal" aria-labelledby="reveal-title">
            <h2 id="reveal-title">{title}</h2>
            <p class="banner banner-warn" role="note">
                <strong>"Copy this secret now."</strong>
                " It will not be shown again: Keyward stores only a hash of it. Leaving or reloading this page discards it."
            </p>
            <div class="secret-box">
                <code class="secret" data-testid="secret-text" aria-label="Secret">{secret}</code>
                <button type="button" class="primary" data-testid="copy-secret" on:click=copy>
                    "Copy"
                </button>
            </div>
            <p class="muted" role="status" data-testid="copy-status">
                {move || match copied.get() {
                    Some(true) => "Copied to the clipboard.",
                    Some(false) => "Copying failed: select the secret and copy it by hand.",
                    None => "",
                }}
            </p>
        </section>
    }
}

/// An expiry with its state in words ("Never expires", "Expired",
/// "Expires soon") as well as colour.
#[component]
pub fn Expiry(expires_at: Option<OffsetDateTime>) -> impl IntoView {
    let e = format::expiry(expires_at);
    let class = format::expiry_class(e.state);
    let badge = e
        .badge
        .map(|b| view! { <span class=class data-testid="expiry-badge">{b}</span> });
    let time = (!e.absolute.is_empty()).then(|| {
        view! {
            <span class="when">
                <time datetime=expires_at.map(format::iso).unwrap_or_default()>{e.relative}</time>
                <span class="muted abs">{e.absolute}</span>
            </span>
        }
    });
    view! { <span class="expiry">{badge}{time}</span> }
}

/// Human label for a token kind.
pub fn kind_label(kind: keyward_domain::TokenKind) -> &'static str {
    match kind {
        keyward_domain::TokenKind::Master => "Master",
        keyward_domain::TokenKind::Scoped => "Scoped",
        keyward_domain::TokenKind::Personal => "Personal",
        keyward_domain::TokenKind::User => "User",
        keyward_domain::TokenKind::Global => "Global",
    }
}

/// Where a token works, in words: its project, or "Global".
pub fn project_label(token: &keyward_domain::api::Token) -> String {
    use keyward_domain::TokenKind;
    match token.kind {
        TokenKind::Master => "Global (master)".to_string(),
        TokenKind::Global if token.global_admin => "Global (admin)".to_string(),
        TokenKind::Global => "Global".to_string(),
        _ => token
            .project
            .clone()
            .unwrap_or_else(|| keyward_domain::DEFAULT_PROJECT.to_string()),
    }
}

/// whoami's effective permissions back as grants (`*` is every resource),
/// for the summary and the per-service view.
pub fn grants_of(
    permissions: &[keyward_domain::grant::ServicePermissions],
) -> Vec<keyward_domain::Grant> {
    use keyward_domain::{Grant, Resource};
    permissions
        .iter()
        .flat_map(|s| {
            s.permissions.iter().flat_map(move |p| {
                if p.resources.is_empty() {
                    vec![Grant::new(&s.service, &p.permission, None)]
                } else {
                    p.resources
                        .iter()
                        .map(|r| Grant::new(&s.service, &p.permission, Some(Resource::parse(r))))
                        .collect()
                }
            })
        })
        .collect()
}

/// Who made something, given their client id: the person's name where there
/// is one (an admin behind a master token, a member behind a user token),
/// else the token's name; the client id stays beside it. Looked up with the
/// signed-in token's own rights: what it may not see stays a client id.
#[component]
pub fn CreatedBy(client_id: String) -> impl IntoView {
    use keyward_domain::api::{AdminList, MemberList, Page, Token};
    use keyward_domain::{paths, TokenKind};
    let api = crate::api::use_api();
    let cid = client_id.clone();
    let name = crate::resources::load(move || {
        let cid = cid.clone();
        async move {
            let path = format!(
                "{}?client_id={}&limit=1",
                paths::TOKENS.template(),
                crate::api::enc(&cid)
            );
            let token = api
                .get::<Page<Token>>(&path)
                .await
                .ok()?
                .items
                .into_iter()
                .find(|t| t.client_id == cid)?;
            let person = match token.kind {
                TokenKind::Master => api
                    .get::<AdminList>(paths::ADMINS.template())
                    .await
                    .ok()
                    .and_then(|p| p.items.into_iter().find(|a| a.master_token_id == token.id))
                    .map(|a| a.name),
                TokenKind::User => api
                    .get::<MemberList>(paths::MEMBERS.template())
                    .await
                    .ok()
                    .and_then(|p| p.items.into_iter().find(|m| m.user_token_id == token.id))
                    .map(|m| m.name),
                _ => None,
            };
            Some(person.unwrap_or(token.name))
        }
    });
    view! {
        <span data-testid="created-by">
            {move || name.get().flatten().map(|n| view! { <strong>{n}</strong> " " })}
            <code class="muted">{client_id.clone()}</code>
        </span>
    }
}

/// A row's two-step delete: "Delete", then "Really delete" or "Keep". One
/// row of a table asks at a time: `confirming` holds the asking row's id.
/// The buttons' test ids are `testid` and `{testid}-confirm`.
#[component]
pub fn RowDelete(
    #[prop(into)] id: String,
    /// What the row is, for the buttons' accessible names.
    #[prop(into)]
    label: String,
    confirming: RwSignal<Option<String>>,
    #[prop(into)] testid: String,
    /// Said beside the confirmation, if anything.
    #[prop(optional, into)]
    warning: Option<String>,
    on_confirm: Callback<()>,
) -> impl IntoView {
    let asking = {
        let id = id.clone();
        move || confirming.with(|c| c.as_deref() == Some(id.as_str()))
    };
    let ask = {
        let asking = asking.clone();
        move || !asking()
    };
    let confirm_id = format!("{testid}-confirm");
    let (ask_label, confirm_label) = (format!("Delete {label}"), format!("Really delete {label}"));
    view! {
        <Show when=ask>
            {
                let id = id.clone();
                view! {
                    <button type="button" class="danger small" data-testid=testid.clone()
                        aria-label=ask_label.clone()
                        on:click=move |_| confirming.set(Some(id.clone()))>"Delete"</button>
                }
            }
        </Show>
        <Show when=asking.clone()>
            {warning.clone().map(|w| view! { <span class="small">{w}</span> })}
            <button type="button" class="danger small" data-testid=confirm_id.clone()
                aria-label=confirm_label.clone()
                on:click=move |_| on_confirm.run(())>"Really delete"</button>
            <button type="button" class="secondary small" on:click=move |_| confirming.set(None)>"Keep"</button>
        </Show>
    }
}
