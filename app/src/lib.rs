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
use crate::pages::{
    admins::Admins, audit::AuditLog, console::Console, device::Device, enrol::Enrol,
    invite::Invite, members::Members, outbox::Outbox, personas::Personas, profile::Profile,
    projects::Projects, sign_ins::SignIns, signin::SignIn, token_detail::TokenDetail,
    token_new::NewToken, tokens::TokenList,
};
use crate::session::{use_project, use_session, ProjectChoice, Session};
use gloo_net::http::Method;
use keyward_domain::api::{ProjectList, WhoAmI};
use keyward_domain::{paths, ErrorCode};
use leptos::prelude::*;
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::path;
use leptos_router::{Lazy, LazyRoute};

/// A page behind a lazy route: sign-in is in the first download, every
/// other page is fetched on the first visit to its area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    TokenList,
    NewToken,
    TokenDetail,
    Members,
    Personas,
    Admins,
    Profile,
    Projects,
    AuditLog,
    Outbox,
    Console,
    Invite,
    Enrol,
    SignIns,
    Device,
}

/// A page behind sign-in: built only once signed in.
fn protected(page: impl Fn() -> AnyView + Send + Sync + 'static) -> AnyView {
    view! { <Protected>{page()}</Protected> }.into_any()
}

// One split point per area: each names only its own pages, so the
// splitter puts what only one area uses in that area's file and what
// several share in chunks of their own, fetched with the first of them.
#[leptos::lazy]
fn token_list_area(_page: Page) -> AnyView {
    protected(|| view! { <TokenList /> }.into_any())
}
#[leptos::lazy]
fn token_area(page: Page) -> AnyView {
    protected(move || match page {
        Page::NewToken => view! { <NewToken /> }.into_any(),
        _ => view! { <TokenDetail /> }.into_any(),
    })
}
#[leptos::lazy]
fn people_area(page: Page) -> AnyView {
    protected(move || match page {
        Page::Members => view! { <Members /> }.into_any(),
        Page::Personas => view! { <Personas /> }.into_any(),
        Page::Admins => view! { <Admins /> }.into_any(),
        _ => view! { <Profile /> }.into_any(),
    })
}
#[leptos::lazy]
fn records_area(page: Page) -> AnyView {
    protected(move || match page {
        Page::Projects => view! { <Projects /> }.into_any(),
        Page::AuditLog => view! { <AuditLog /> }.into_any(),
        _ => view! { <Outbox /> }.into_any(),
    })
}
#[leptos::lazy]
fn console_area(_page: Page) -> AnyView {
    protected(|| view! { <Console /> }.into_any())
}
#[leptos::lazy]
fn invite_area(_page: Page) -> AnyView {
    view! { <Invite /> }.into_any()
}
#[leptos::lazy]
fn enrol_area(_page: Page) -> AnyView {
    view! { <Enrol /> }.into_any()
}
#[leptos::lazy]
fn account_area(page: Page) -> AnyView {
    protected(move || match page {
        Page::SignIns => view! { <SignIns /> }.into_any(),
        _ => view! { <Device /> }.into_any(),
    })
}

macro_rules! lazy_page {
    ($route:ident, $area:ident, $page:ident) => {
        pub struct $route;
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }
            async fn view(_this: Self) -> AnyView {
                $area(Page::$page).await
            }
        }
    };
}
lazy_page!(TokensRoute, token_list_area, TokenList);
lazy_page!(NewTokenRoute, token_area, NewToken);
lazy_page!(TokenDetailRoute, token_area, TokenDetail);
lazy_page!(MembersRoute, people_area, Members);
lazy_page!(PersonasRoute, people_area, Personas);
lazy_page!(AdminsRoute, people_area, Admins);
lazy_page!(ProfileRoute, people_area, Profile);
lazy_page!(ProjectsRoute, records_area, Projects);
lazy_page!(AuditRoute, records_area, AuditLog);
lazy_page!(OutboxRoute, records_area, Outbox);
lazy_page!(ConsoleRoute, console_area, Console);
lazy_page!(InviteRoute, invite_area, Invite);
lazy_page!(EnrolRoute, enrol_area, Enrol);
lazy_page!(SignInsRoute, account_area, SignIns);
lazy_page!(DeviceRoute, account_area, Device);

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
                <Routes fallback=|| view! { <NotFound /> }>
                    <Route path=path!("/") view=SignIn />
                    <Route path=path!("/signin") view=SignIn />
                    <Route path=path!("/tokens") view={Lazy::<TokensRoute>::new()} />
                    <Route path=path!("/tokens/new") view={Lazy::<NewTokenRoute>::new()} />
                    <Route path=path!("/tokens/:id") view={Lazy::<TokenDetailRoute>::new()} />
                    <Route path=path!("/admins") view={Lazy::<AdminsRoute>::new()} />
                    <Route path=path!("/audit") view={Lazy::<AuditRoute>::new()} />
                    <Route path=path!("/outbox") view={Lazy::<OutboxRoute>::new()} />
                    <Route path=path!("/console") view={Lazy::<ConsoleRoute>::new()} />
                    <Route path=path!("/personas") view={Lazy::<PersonasRoute>::new()} />
                    <Route path=path!("/members") view={Lazy::<MembersRoute>::new()} />
                    <Route path=path!("/projects") view={Lazy::<ProjectsRoute>::new()} />
                    <Route path=path!("/profile") view={Lazy::<ProfileRoute>::new()} />
                    <Route path=path!("/invite/:code") view={Lazy::<InviteRoute>::new()} />
                    <Route path=path!("/enrol/:code") view={Lazy::<EnrolRoute>::new()} />
                    <Route path=path!("/sign-ins") view={Lazy::<SignInsRoute>::new()} />
                    <Route path=path!("/device") view={Lazy::<DeviceRoute>::new()} />
                </Routes>
            </main>
            <crate::components::toast::ToastRegion toasts />
        </Router>
    }
}

/// Pages behind sign-in; without a session they send you there, and
/// sign-in brings you back (unless you signed out yourself).
#[component]
fn Protected(children: ChildrenFn) -> impl IntoView {
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
                    <Show when=move || session.is_admin()>
                        <NavLink href="/tokens" testid="nav-tokens" label="Tokens" />
                        <NavLink href="/personas" testid="nav-personas" label="Personas" />
                    </Show>
                    <Show when=move || session.is_full_admin()>
                        <NavLink href="/members" testid="nav-members" label="Members" />
                        <NavLink href="/projects" testid="nav-projects" label="Projects" />
                    </Show>
                    <Show when=move || session.is_admin()>
                        <NavLink href="/admins" testid="nav-admins" label="Admins" />
                        <NavLink href="/audit" testid="nav-audit" label="Audit log" />
                    </Show>
                    <Show when=move || session.is_master()>
                        <NavLink href="/outbox" testid="nav-outbox" label="Outbox" />
                    </Show>
                    <NavLink href="/console" testid="nav-console" label="Console" />
                    <Show when=move || session.is_user()>
                        <NavLink href="/profile" testid="nav-profile" label="Profile" />
                    </Show>
                    <Show when=move || session.is_person()>
                        <NavLink href="/sign-ins" testid="nav-sign-ins" label="Your sign-ins" />
                    </Show>
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
    let projects = crate::resources::load(move || {
        choice.version.track();
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
