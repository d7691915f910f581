//! Keyward's admin app: a Leptos single-page app over the HTTP API.

pub mod api;
pub mod components;
pub mod format;
pub mod mutation;
pub mod pages;
pub mod passkey;
pub mod resources;
pub mod session;

use crate::api::Api;
use crate::components::common::kind_label;
use crate::components::common::Loading;
use crate::pages::{Page, PagePath};
use crate::session::{use_project, use_session, ProjectChoice, Session};
use gloo_net::http::Method;
use keyward_domain::api::{ProjectList, WhoAmI};
use keyward_domain::{paths, ErrorCode};
use leptos::children::ToChildren;
use leptos::prelude::*;
use leptos::tachys::view::iterators::StaticVec;
use leptos_router::components::{Redirect, RouteChildren, Router, Routes, RoutesProps};
use leptos_router::NestedRoute;

/// Names the page in the tab and for screen readers, which announce it on
/// navigation.
pub fn set_title(page: &str) {
    if let Some(d) = web_sys::window().and_then(|w| w.document()) {
        d.set_title(&format!("{page} · Keyward"));
    }
}

pub fn mount() {
    // Release builds abort on a panic without formatting it (the app
    // profile), so the hook would be download for nothing there.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

#[component]
pub fn App() -> impl IntoView {
    let session = Session::default();
    provide_context(session);
    crate::resources::Versions::provide();
    provide_context(ProjectChoice::restore());
    let toasts = crate::components::toast::Toasts::provide();
    // Signed in is what `whoami` says, asked once at start-up: the session
    // cookie (HttpOnly, shared by every tab) goes along by itself.
    leptos::task::spawn_local(async move {
        let r = api::call::<WhoAmI>(None, Method::GET, paths::WHOAMI.template(), None).await;
        if session.checked.get_untracked() {
            return; // signed in meanwhile
        }
        match r {
            Ok(w) => session.sign_in(w),
            // A cookie that is no longer good: say why.
            Err(f) if f.code() == Some(ErrorCode::SessionExpired) => {
                session.sign_out(Some(f.session_reason()))
            }
            Err(_) => session.checked.set(true),
        }
    });
    view! {
        <Router>
            <a class="skip" href="#main">"Skip to content"</a>
            <Header />
            <main id="main">
                <PageRoutes />
            </main>
            <crate::components::toast::ToastRegion toasts />
        </Router>
    }
}

/// A route per page of [`Page::ALL`], tried in that order.
#[component]
fn PageRoutes() -> impl IntoView {
    let routes = || {
        let routes: Vec<_> = Page::ALL
            .into_iter()
            .map(|page| NestedRoute::new(PagePath(page.path()), page))
            .collect();
        StaticVec::from(routes)
    };
    Routes(
        RoutesProps::builder()
            .fallback(|| view! { <NotFound /> })
            .children(RouteChildren::to_children(routes))
            .build(),
    )
}

/// Pages behind sign-in; without a session they send you there, and
/// sign-in brings you back (unless you signed out yourself).
#[component]
pub(crate) fn Protected(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let location = leptos_router::hooks::use_location();
    // 0: still asking whoami; 1: signed in; 2: not.
    let state = Memo::new(
        move |_| match (session.checked.get(), session.signed_in()) {
            (false, _) => 0,
            (true, true) => 1,
            (true, false) => 2,
        },
    );
    move || match state.get() {
        0 => view! { <Loading what="Checking your session…" /> }.into_any(),
        1 => children().into_any(),
        _ => {
            let voluntary =
                session.epoch.get_untracked() > 0 && session.ended.with_untracked(Option::is_none);
            if !voluntary {
                let (path, search) = (
                    location.pathname.get_untracked(),
                    location.search.get_untracked(),
                );
                let here = if search.is_empty() {
                    path
                } else {
                    format!("{path}?{search}")
                };
                session.next.set(Some(here));
            }
            view! { <Redirect path="/signin" /> }.into_any()
        }
    }
}

#[component]
fn Header() -> impl IntoView {
    let session = use_session();
    let who = move || {
        session.whoami.with(|w| {
            w.as_ref()
                .map(|w| (w.token.name.clone(), kind_label(w.token.kind)))
        })
    };
    // On a phone the navigation and the account sit behind a menu button;
    // following a link closes it.
    let menu_open = RwSignal::new(false);
    let location = leptos_router::hooks::use_location();
    Effect::new(move |_| {
        location.pathname.track();
        menu_open.set(false);
    });
    view! {
        <header class="topbar" class:menu-open=move || menu_open.get()>
            <a class="brand" href="/">
                <svg class="logo" aria-hidden="true" viewBox="0 0 24 24" width="22" height="22">
                    <circle cx="8" cy="12" r="4.5" fill="none" stroke="currentColor" stroke-width="2.2" />
                    <path d="M12.5 12h9M18 12v3.5M21 12v2.5" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" />
                </svg>
                "Keyward"
            </a>
            <Show when=move || session.signed_in()>
                <button
                    type="button"
                    class="menu-toggle secondary small"
                    data-testid="menu-toggle"
                    aria-controls="topbar-menu"
                    aria-expanded=move || if menu_open.get() { "true" } else { "false" }
                    on:click=move |_| menu_open.update(|o| *o = !*o)
                >
                    "Menu"
                </button>
                <div class="topbar-menu" id="topbar-menu">
                <nav aria-label="Main">
                    {Page::ALL
                        .into_iter()
                        .filter_map(|page| page.nav().map(|nav| (page.path(), nav)))
                        .map(|(href, nav)| view! {
                            <Show when=move || nav.audience.includes(session)>
                                <NavLink href testid=nav.testid label=nav.label />
                            </Show>
                        })
                        .collect_view()}
                </nav>
                <div class="who">
                    <Show when=move || session.is_full_admin()>
                        <ProjectSwitcher />
                    </Show>
                    <span class="who-name" data-testid="who" title=move || who().map(|(n, k)| format!("{n} · {k}"))>
                        {move || who().map(|(n, k)| format!("{n} · {k}")).unwrap_or_default()}
                    </span>
                    <button type="button" class="secondary small" data-testid="signout" on:click=move |_| {
                        let api = Api::new(session);
                        leptos::task::spawn_local(async move { api.sign_out().await });
                    }>
                        "Sign out"
                    </button>
                </div>
                </div>
            </Show>
        </header>
    }
}

/// The project the admin pages work in (kept for the tab's life).
#[component]
fn ProjectSwitcher() -> impl IntoView {
    let session = use_session();
    let choice = use_project();
    let api = Api::new(session);
    let versions = crate::resources::use_versions();
    let projects = crate::resources::load(move || {
        versions.track(crate::resources::Data::Projects);
        async move {
            api.get::<ProjectList>(paths::PROJECTS.template())
                .await
                .map(|l| l.items)
                .unwrap_or_default()
        }
    });
    let options = move || {
        let mut ids: Vec<(String, String)> = projects
            .get()
            .unwrap_or_default()
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
        let current = choice.current.get();
        if !ids.iter().any(|(id, _)| *id == current) {
            ids.insert(0, (current.clone(), current));
        }
        ids.into_iter()
            .map(|(id, name)| {
                let selected = id == choice.current.get_untracked();
                let title = if name == id {
                    id.clone()
                } else {
                    format!("{name} ({id})")
                };
                view! { <option value=id selected=selected title=title>{name}</option> }
            })
            .collect_view()
    };
    view! {
        <label class="project-switch">
            <span class="project-switch-label">"Project"</span>
            <select
                data-testid="project-switcher"
                prop:value=move || choice.current.get()
                on:change=move |ev| choice.choose(event_target_value(&ev))
            >
                {options}
            </select>
        </label>
    }
}

/// A main navigation link, marked as the current page (by more than colour:
/// `aria-current` and an underline) when its section is shown.
#[component]
fn NavLink(href: &'static str, testid: &'static str, label: &'static str) -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let current = move || {
        location
            .pathname
            .with(|p| p == href || p.starts_with(&format!("{href}/")))
    };
    view! {
        <a href=href data-testid=testid aria-current=move || current().then_some("page")>
            {label}
        </a>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    view! {
        <section class="card">
            <h1>"Not found"</h1>
            <p>"There is no page here. " <a href="/tokens">"Go to tokens"</a></p>
        </section>
    }
}
