//! The app's pages, listed once: [`Page`] names every page, and its path,
//! title, place in the navigation and lazy area all come from matches over
//! it with no fallback arm, so a page left out of one does not compile. A
//! new page is a variant here (in its area's enum) plus its component file.

pub mod admins;
pub mod audit;
pub mod console;
pub mod device;
pub mod enrol;
pub mod invite;
pub mod members;
pub mod outbox;
pub mod personas;
pub mod profile;
pub mod projects;
pub mod sign_ins;
pub mod signin;
pub mod token;
pub mod tokens;

use crate::session::Session;
use leptos::prelude::*;
use leptos_router::{ChooseView, ParamSegment, PartialPathMatch, PathSegment};
use leptos_router::{PossibleRouteMatch, StaticSegment};

/// Every page of the app. Sign-in is in the first download; every other
/// page is in a lazy area, fetched on the first visit to one of its pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Start,
    SignIn,
    TokenList,
    Token(TokenPage),
    People(PeoplePage),
    Records(RecordsPage),
    Console,
    Invite,
    Enrol,
    Account(AccountPage),
}

/// The token area: a token's pages (the list is an area of its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPage {
    New,
    Detail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeoplePage {
    Members,
    Personas,
    Admins,
    Profile,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordsPage {
    Projects,
    AuditLog,
    Outbox,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountPage {
    SignIns,
    Device,
}

/// Who sees a page's link in the main navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Everyone,
    Admins,
    FullAdmins,
    Master,
    Users,
    People,
}

impl Audience {
    pub fn includes(self, session: Session) -> bool {
        match self {
            Audience::Everyone => true,
            Audience::Admins => session.is_admin(),
            Audience::FullAdmins => session.is_full_admin(),
            Audience::Master => session.is_master(),
            Audience::Users => session.is_user(),
            Audience::People => session.is_person(),
        }
    }
}

/// A page's link in the main navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NavEntry {
    pub label: &'static str,
    pub testid: &'static str,
    pub audience: Audience,
}

const fn nav(label: &'static str, testid: &'static str, audience: Audience) -> Option<NavEntry> {
    Some(NavEntry {
        label,
        testid,
        audience,
    })
}

impl Page {
    /// Every page, in the navigation's order; the router tries their paths
    /// in this order (so `/tokens/new` before `/tokens/:id`).
    pub const ALL: [Page; 17] = [
        Page::Start,
        Page::SignIn,
        Page::TokenList,
        Page::Token(TokenPage::New),
        Page::Token(TokenPage::Detail),
        Page::People(PeoplePage::Personas),
        Page::People(PeoplePage::Members),
        Page::Records(RecordsPage::Projects),
        Page::People(PeoplePage::Admins),
        Page::Records(RecordsPage::AuditLog),
        Page::Records(RecordsPage::Outbox),
        Page::Console,
        Page::People(PeoplePage::Profile),
        Page::Account(AccountPage::SignIns),
        Page::Account(AccountPage::Device),
        Page::Invite,
        Page::Enrol,
    ];

    /// The route, `:name` for a parameter.
    pub fn path(self) -> &'static str {
        match self {
            Page::Start => "/",
            Page::SignIn => "/signin",
            Page::TokenList => "/tokens",
            Page::Token(TokenPage::New) => "/tokens/new",
            Page::Token(TokenPage::Detail) => "/tokens/:id",
            Page::People(PeoplePage::Members) => "/members",
            Page::People(PeoplePage::Personas) => "/personas",
            Page::People(PeoplePage::Admins) => "/admins",
            Page::People(PeoplePage::Profile) => "/profile",
            Page::Records(RecordsPage::Projects) => "/projects",
            Page::Records(RecordsPage::AuditLog) => "/audit",
            Page::Records(RecordsPage::Outbox) => "/outbox",
            Page::Console => "/console",
            Page::Invite => "/invite/:code",
            Page::Enrol => "/enrol/:code",
            Page::Account(AccountPage::SignIns) => "/sign-ins",
            Page::Account(AccountPage::Device) => "/device",
        }
    }

    /// The tab's title (a token's page names the token once loaded).
    pub fn title(self) -> &'static str {
        match self {
            Page::Start | Page::SignIn => "Sign in",
            Page::TokenList => "API tokens",
            Page::Token(TokenPage::New) => "Create token",
            Page::Token(TokenPage::Detail) => "Token",
            Page::People(PeoplePage::Members) => "Members",
            Page::People(PeoplePage::Personas) => "Personas",
            Page::People(PeoplePage::Admins) => "Admins",
            Page::People(PeoplePage::Profile) => "Your profile",
            Page::Records(RecordsPage::Projects) => "Projects",
            Page::Records(RecordsPage::AuditLog) => "Audit log",
            Page::Records(RecordsPage::Outbox) => "Outbox",
            Page::Console => "Console",
            Page::Invite => "Invitation",
            Page::Enrol => "Create your passkey",
            Page::Account(AccountPage::SignIns) => "Your sign-ins",
            Page::Account(AccountPage::Device) => "Approve a sign-in",
        }
    }

    /// Its link in the main navigation, if it has one.
    pub fn nav(self) -> Option<NavEntry> {
        use Audience::*;
        match self {
            Page::TokenList => nav("Tokens", "nav-tokens", Admins),
            Page::People(PeoplePage::Personas) => nav("Personas", "nav-personas", Admins),
            Page::People(PeoplePage::Members) => nav("Members", "nav-members", FullAdmins),
            Page::Records(RecordsPage::Projects) => nav("Projects", "nav-projects", FullAdmins),
            Page::People(PeoplePage::Admins) => nav("Admins", "nav-admins", Admins),
            Page::Records(RecordsPage::AuditLog) => nav("Audit log", "nav-audit", Admins),
            Page::Records(RecordsPage::Outbox) => nav("Outbox", "nav-outbox", Master),
            Page::Console => nav("Console", "nav-console", Everyone),
            Page::People(PeoplePage::Profile) => nav("Profile", "nav-profile", Users),
            Page::Account(AccountPage::SignIns) => nav("Your sign-ins", "nav-sign-ins", People),
            Page::Start
            | Page::SignIn
            | Page::Token(_)
            | Page::Account(AccountPage::Device)
            | Page::Invite
            | Page::Enrol => None,
        }
    }

    /// The page, from its area (fetched on the area's first visit).
    async fn view(self) -> AnyView {
        match self {
            Page::Start | Page::SignIn => view! { <signin::SignIn /> }.into_any(),
            Page::TokenList => token_list_area().await,
            Page::Token(p) => token_area(p).await,
            Page::People(p) => people_area(p).await,
            Page::Records(p) => records_area(p).await,
            Page::Console => console_area().await,
            Page::Invite => invite_area().await,
            Page::Enrol => enrol_area().await,
            Page::Account(p) => account_area(p).await,
        }
    }
}

/// The router draws a page by asking it for its view.
impl ChooseView for Page {
    async fn choose(self) -> AnyView {
        crate::set_title(self.title());
        self.view().await
    }

    async fn preload(&self) {}
}

/// A page behind sign-in: built only once signed in.
fn protected(page: impl Fn() -> AnyView + Send + Sync + 'static) -> AnyView {
    view! { <crate::Protected>{page()}</crate::Protected> }.into_any()
}

// One split point per area: each names only its own pages, so the
// splitter puts what only one area uses in that area's file and what
// several share in chunks of their own, fetched with the first of them.
#[leptos::lazy]
fn token_list_area() -> AnyView {
    protected(|| view! { <tokens::TokenList /> }.into_any())
}
#[leptos::lazy]
fn token_area(page: TokenPage) -> AnyView {
    protected(move || match page {
        TokenPage::New => view! { <token::new::NewToken /> }.into_any(),
        TokenPage::Detail => view! { <token::TokenDetail /> }.into_any(),
    })
}
#[leptos::lazy]
fn people_area(page: PeoplePage) -> AnyView {
    protected(move || match page {
        PeoplePage::Members => view! { <members::Members /> }.into_any(),
        PeoplePage::Personas => view! { <personas::Personas /> }.into_any(),
        PeoplePage::Admins => view! { <admins::Admins /> }.into_any(),
        PeoplePage::Profile => view! { <profile::Profile /> }.into_any(),
    })
}
#[leptos::lazy]
fn records_area(page: RecordsPage) -> AnyView {
    protected(move || match page {
        RecordsPage::Projects => view! { <projects::Projects /> }.into_any(),
        RecordsPage::AuditLog => view! { <audit::AuditLog /> }.into_any(),
        RecordsPage::Outbox => view! { <outbox::Outbox /> }.into_any(),
    })
}
#[leptos::lazy]
fn console_area() -> AnyView {
    protected(|| view! { <console::Console /> }.into_any())
}
#[leptos::lazy]
fn invite_area() -> AnyView {
    view! { <invite::Invite /> }.into_any()
}
#[leptos::lazy]
fn enrol_area() -> AnyView {
    view! { <enrol::Enrol /> }.into_any()
}
#[leptos::lazy]
fn account_area(page: AccountPage) -> AnyView {
    protected(move || match page {
        AccountPage::SignIns => view! { <sign_ins::SignIns /> }.into_any(),
        AccountPage::Device => view! { <device::Device /> }.into_any(),
    })
}

/// A page's path as the router matches it: its segments in turn, static
/// or `:param`, as `path!` would have written them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PagePath(pub &'static str);

impl PossibleRouteMatch for PagePath {
    fn optional(&self) -> bool {
        false
    }

    fn test<'a>(&self, path: &'a str) -> Option<PartialPathMatch<'a>> {
        if self.0 == "/" {
            return StaticSegment("/").test(path);
        }
        let mut rest = path;
        let mut params = Vec::new();
        for segment in self.0.split('/').filter(|s| !s.is_empty()) {
            let matched = match segment.strip_prefix(':') {
                Some(name) => ParamSegment(name).test(rest)?,
                None => StaticSegment(segment).test(rest)?,
            };
            rest = matched.remaining();
            params.extend(matched.params());
        }
        Some(PartialPathMatch::new(
            rest,
            params,
            &path[..path.len() - rest.len()],
        ))
    }

    fn generate_path(&self, path: &mut Vec<PathSegment>) {
        if self.0 == "/" {
            return StaticSegment("/").generate_path(path);
        }
        for segment in self.0.split('/').filter(|s| !s.is_empty()) {
            match segment.strip_prefix(':') {
                Some(name) => ParamSegment(name).generate_path(path),
                None => StaticSegment(segment).generate_path(path),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(page: Page, url: &str) -> Option<Vec<(String, String)>> {
        let m = PagePath(page.path()).test(url)?;
        m.is_complete().then(|| {
            m.params()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect()
        })
    }

    #[test]
    fn every_page_once_and_matched_by_its_own_path() {
        for (i, a) in Page::ALL.iter().enumerate() {
            for b in &Page::ALL[i + 1..] {
                assert_ne!(a, b);
                assert_ne!(a.path(), b.path());
            }
            let url = a.path().replace(":id", "tk_1").replace(":code", "c0de");
            let first = Page::ALL.iter().find(|p| matches(**p, &url).is_some());
            assert_eq!(first, Some(a), "{url}");
        }
    }

    #[test]
    fn paths_match_as_the_router_did() {
        let detail = Page::Token(TokenPage::Detail);
        assert_eq!(
            matches(detail, "/tokens/tk_1"),
            Some(vec![("id".into(), "tk_1".into())])
        );
        assert_eq!(
            matches(detail, "/tokens/tk_1/"),
            Some(vec![("id".into(), "tk_1".into())])
        );
        assert_eq!(matches(detail, "/tokens"), None);
        assert_eq!(matches(Page::TokenList, "/tokens"), Some(vec![]));
        assert_eq!(matches(Page::TokenList, "/tokensx"), None);
        assert_eq!(matches(Page::TokenList, "/tokens/tk_1"), None);
        assert_eq!(matches(Page::Start, "/"), Some(vec![]));
        assert_eq!(matches(Page::Start, "/tokens"), None);
    }
}
