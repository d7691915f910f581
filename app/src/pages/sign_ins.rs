//! `/sign-ins`: a person's sessions (the browsers signed in as them) and
//! passkeys: revoke a session, sign out everywhere, add, rename or remove a
//! passkey.

use crate::api::{use_api, ApiFailure};
use crate::components::common::{Dialog, ErrorBanner};
use crate::components::loader::loaded;
use crate::format;
use crate::mutation::Mutation;
use crate::resources::{use_versions, Data};
use crate::session::use_session;
use gloo_net::http::Method;
use keyward_domain::api::{
    Passkey, PasskeyAlgorithm, PasskeyCreationOptions, PasskeyList, RenamePasskey, SessionInfo,
    SessionList, SignInMethod,
};
use keyward_domain::paths;
use leptos::prelude::*;

fn method_label(m: SignInMethod) -> &'static str {
    match m {
        SignInMethod::Passkey => "Passkey",
        SignInMethod::MasterToken => "Master token",
        SignInMethod::UserToken => "User token",
    }
}

fn algorithm_label(a: PasskeyAlgorithm) -> &'static str {
    match a {
        PasskeyAlgorithm::ES256 => "ES256",
        PasskeyAlgorithm::RS256 => "RS256",
    }
}

/// A loaded list's items, none while loading or after a failure (the
/// failure is shown by [`ListState`]).
fn items_of<L: Clone + 'static, T>(
    list: LocalResource<Result<L, ApiFailure>>,
    items: fn(L) -> Vec<T>,
) -> impl Fn() -> Vec<T> + Copy {
    move || {
        list.get()
            .and_then(Result::ok)
            .map(items)
            .unwrap_or_default()
    }
}

/// Loading or failed, for a list whose rows are drawn elsewhere.
#[component]
fn ListState<L: Clone + 'static>(
    list: LocalResource<Result<L, ApiFailure>>,
    what: &'static str,
) -> impl IntoView {
    move || loaded(list.get(), what, "a person's sign-in", |_| ().into_any())
}

#[component]
pub fn SignIns() -> impl IntoView {
    view! {
        <div class="page-head"><h1>"Your sign-ins"</h1></div>
        <Sessions />
        <Passkeys />
    }
}

#[component]
fn Sessions() -> impl IntoView {
    let api = use_api();
    let session = use_session();
    let versions = use_versions();
    let list = crate::resources::load(move || {
        versions.track(Data::Sessions);
        async move { api.get::<SessionList>(paths::MY_SESSIONS.template()).await }
    });
    let items = items_of(list, |l: SessionList| l.items);
    let failure = RwSignal::new(None::<ApiFailure>);
    let revoke = Mutation::reporting_to(
        failure,
        move |id: String| async move { api.delete(&paths::MY_SESSION.with(&[&id])).await },
        |()| {},
    )
    .changes(Data::Sessions);
    let everywhere = Mutation::reporting_to(
        failure,
        move |()| async move { api.delete(paths::MY_SESSIONS.template()).await },
        move |()| session.sign_out(None),
    );
    let ending_everywhere = everywhere.pending();
    view! {
        <section class="card" aria-labelledby="sessions-title">
            <h2 id="sessions-title">"Signed-in browsers"</h2>
            <p class="muted">"Each browser signed in as you. Revoke one you do not recognise; it is signed out at its next request."</p>
            <ListState list what="Loading your sessions…" />
            <div class="table-wrap">
                <table class="responsive" data-testid="session-table">
                    <thead><tr>
                        <th scope="col">"Browser"</th>
                        <th scope="col">"Signed in"</th>
                        <th scope="col">"Last seen"</th>
                        <th scope="col">"With"</th>
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr></thead>
                    <tbody>
                        <For each=items key=|s: &SessionInfo| (s.id.clone(), s.last_seen_at) let:s>
                            <SessionRow s revoke />
                        </For>
                    </tbody>
                </table>
            </div>
            <ErrorBanner failure />
            <div class="actions">
                <button type="button" class="danger" data-testid="signout-everywhere"
                    disabled=move || ending_everywhere.get() on:click=move |_| everywhere.dispatch(())>
                    {move || if ending_everywhere.get() { "Signing out…" } else { "Sign out everywhere" }}
                </button>
            </div>
        </section>
    }
}

#[component]
fn SessionRow(s: SessionInfo, revoke: Mutation<String>) -> impl IntoView {
    let session = use_session();
    let current = s.current;
    let id = s.id.clone();
    let on_revoke = move |_| {
        if current {
            // Ending this browser's own session is signing out.
            let api = crate::api::Api::new(session);
            leptos::task::spawn_local(async move { api.sign_out().await });
        } else {
            revoke.dispatch(id.clone());
        }
    };
    let browser = if s.user_agent.is_empty() {
        "Unknown browser".to_string()
    } else {
        s.user_agent.clone()
    };
    view! {
        <tr data-testid="session-row" class:current=current>
            <td data-label="Browser">
                {browser}
                {current.then(|| view! { " " <span class="badge badge-ok" data-testid="session-current">"This session"</span> })}
            </td>
            <td data-label="Signed in">{format::created(s.created_at)}</td>
            <td data-label="Last seen">{format::ago(Some(s.last_seen_at), "")}</td>
            <td data-label="With">{method_label(s.method)}</td>
            <td data-label="">
                <button type="button" class="secondary small" data-testid="session-revoke"
                    aria-label=if current { "Revoke this session (sign out)" } else { "Revoke this session" }
                    on:click=on_revoke>"Revoke"</button>
            </td>
        </tr>
    }
}

/// What the passkey rows open: nothing, a rename, or a removal.
#[derive(Clone)]
enum Open {
    Nothing,
    Rename(Passkey),
    Remove(Passkey),
}

#[component]
fn Passkeys() -> impl IntoView {
    let api = use_api();
    let versions = use_versions();
    let list = crate::resources::load(move || {
        versions.track(Data::Passkeys);
        async move { api.get::<PasskeyList>(paths::MY_PASSKEYS.template()).await }
    });
    let items = items_of(list, |l: PasskeyList| l.items);
    let open = RwSignal::new(Open::Nothing);
    view! {
        <section class="card" aria-labelledby="passkeys-title">
            <h2 id="passkeys-title">"Passkeys"</h2>
            <p class="muted">"Any of these signs you in. Remove one from a lost device: it signs in no more."</p>
            <ListState list what="Loading your passkeys…" />
            <Show when=move || list.get().is_some_and(|l| l.is_ok_and(|l| l.items.is_empty()))>
                <p data-testid="passkeys-empty">"You have no passkey yet: add one below."</p>
            </Show>
            <div class="table-wrap">
                <table class="responsive" data-testid="passkey-table">
                    <thead><tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Algorithm"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Last used"</th>
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr></thead>
                    <tbody>
                        <For each=items key=|p: &Passkey| (p.id.clone(), p.name.clone(), p.last_used_at) let:p>
                            <PasskeyRow p open />
                        </For>
                    </tbody>
                </table>
            </div>
            <AddPasskey />
        </section>
        {move || match open.get() {
            Open::Nothing => None,
            Open::Rename(p) => Some(view! { <RenameDialog p open /> }.into_any()),
            Open::Remove(p) => Some(view! { <RemoveDialog p open /> }.into_any()),
        }}
    }
}

#[component]
fn PasskeyRow(p: Passkey, open: RwSignal<Open>) -> impl IntoView {
    let (rename, remove) = (p.clone(), p.clone());
    view! {
        <tr data-testid="passkey-row">
            <td data-label="Name" data-testid="passkey-name">{p.name.clone()}</td>
            <td data-label="Algorithm">{algorithm_label(p.algorithm)}</td>
            <td data-label="Created">{format::created(p.created_at)}</td>
            <td data-label="Last used">{format::ago(p.last_used_at, "Never")}</td>
            <td data-label="">
                <button type="button" class="secondary small" data-testid="passkey-rename"
                    aria-label=format!("Rename {}", p.name)
                    on:click=move |_| open.set(Open::Rename(rename.clone()))>"Rename"</button>
                " "
                <button type="button" class="danger small" data-testid="passkey-remove"
                    aria-label=format!("Remove {}", p.name)
                    on:click=move |_| open.set(Open::Remove(remove.clone()))>"Remove"</button>
            </td>
        </tr>
    }
}

#[component]
fn RenameDialog(p: Passkey, open: RwSignal<Open>) -> impl IntoView {
    let api = use_api();
    let name = RwSignal::new(p.name.clone());
    let path = paths::MY_PASSKEY.with(&[&p.id]);
    let close = Callback::new(move |_| open.set(Open::Nothing));
    let rename = Mutation::new(
        move |body: RenamePasskey| {
            let path = path.clone();
            async move { api.send::<_, Passkey>(Method::PATCH, &path, &body).await }
        },
        move |_: Passkey| {
            open.set(Open::Nothing);
        },
    )
    .changes(Data::Passkeys);
    let (pending, failure) = (rename.pending(), rename.failure());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        rename.dispatch(RenamePasskey {
            name: name.get_untracked().trim().to_string(),
        });
    };
    view! {
        <Dialog title=format!("Rename “{}”", p.name) testid="rename-passkey-dialog" on_close=close>
            <form on:submit=submit>
                <div class="field">
                    <label for="passkey-new-name">"Name"</label>
                    <input id="passkey-new-name" type="text" autocomplete="off" data-testid="passkey-new-name" bind:value=name />
                </div>
                <ErrorBanner failure />
                <div class="actions">
                    <button type="submit" class="primary" data-testid="passkey-rename-confirm" disabled=move || pending.get()>
                        {move || if pending.get() { "Saving…" } else { "Rename" }}
                    </button>
                    <button type="button" class="secondary" on:click=move |_| close.run(())>"Cancel"</button>
                </div>
            </form>
        </Dialog>
    }
}

#[component]
fn RemoveDialog(p: Passkey, open: RwSignal<Open>) -> impl IntoView {
    let versions = use_versions();
    let api = use_api();
    let session = use_session();
    // Removing the passkey this browser signed in with ends its session too.
    let own = session.whoami.with_untracked(|w| {
        w.as_ref()
            .and_then(|w| w.session.as_ref())
            .is_some_and(|s| s.passkey_id.as_deref() == Some(p.id.as_str()))
    });
    let path = paths::MY_PASSKEY.with(&[&p.id]);
    let close = Callback::new(move |_| open.set(Open::Nothing));
    let remove = Mutation::new(
        move |path: String| async move { api.delete(&path).await },
        move |()| {
            open.set(Open::Nothing);
            if own {
                session.sign_out(Some(
                    "You removed the passkey this browser signed in with.".into(),
                ));
            } else {
                versions.bump(Data::Passkeys);
            }
        },
    );
    let (pending, failure) = (remove.pending(), remove.failure());
    view! {
        <Dialog title=format!("Remove “{}”?", p.name) testid="remove-passkey-dialog" on_close=close>
            <p>"This passkey signs in no more, and the browsers signed in with it are signed out."</p>
            {own.then(|| view! {
                <p class="banner banner-warn" role="note" data-testid="remove-own-passkey">
                    "You signed in with this passkey: this browser is signed out too."
                </p>
            })}
            <ErrorBanner failure />
            <div class="actions">
                <button type="button" class="danger" data-testid="passkey-remove-confirm" disabled=move || pending.get()
                    on:click=move |_| remove.dispatch(path.clone())>
                    {move || if pending.get() { "Removing…" } else { "Remove passkey" }}
                </button>
                <button type="button" class="secondary" on:click=move |_| close.run(())>"Cancel"</button>
            </div>
        </Dialog>
    }
}

#[component]
fn AddPasskey() -> impl IntoView {
    let api = use_api();
    let name = RwSignal::new(String::new());
    let add = Mutation::new(
        move |name: String| async move {
            let options: PasskeyCreationOptions = api
                .run_json(Method::POST, paths::MY_PASSKEY_OPTIONS.template(), None)
                .await?;
            let name = Some(name).filter(|n| !n.is_empty());
            let registration = crate::passkey::create(&options, name).await?;
            api.send::<_, Passkey>(Method::POST, paths::MY_PASSKEYS.template(), &registration)
                .await
        },
        move |_: Passkey| {
            name.set(String::new());
        },
    )
    .changes(Data::Passkeys);
    let (pending, failure) = (add.pending(), add.failure());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        add.dispatch(name.get_untracked().trim().to_string());
    };
    view! {
        <form class="inline-form" on:submit=submit data-testid="add-passkey-form">
            <div class="field">
                <label for="new-passkey-name">"Name of the new passkey"</label>
                <input id="new-passkey-name" type="text" autocomplete="off" placeholder="Work laptop"
                    data-testid="new-passkey-name" bind:value=name />
            </div>
            <div class="field actions-inline">
                <button type="submit" class="primary" data-testid="add-passkey" disabled=move || pending.get()>
                    {move || if pending.get() { "Waiting for your device…" } else { "Add a passkey" }}
                </button>
            </div>
        </form>
        {move || failure.get().map(|f| view! {
            <div class="banner banner-bad" role="alert" data-testid="add-passkey-error">{f.to_string()}</div>
        })}
    }
}
