//! Who is signed in. A person's browser holds only the worker's HttpOnly
//! session cookie, which the app cannot read: the app is signed in when
//! `GET /whoami` answers. Tokens that are no person's (scoped tokens,
//! personal and global keys) may still open the console: their secret is
//! then held in memory only, in a signal, and is gone on reload. Nothing
//! secret is ever written to sessionStorage, localStorage, IndexedDB or a
//! cookie the page can read.

use keyward_domain::api::WhoAmI;
use keyward_domain::TokenKind;
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Session {
    /// A bearer secret held in memory for a token that is no person's; none
    /// with a cookie session.
    pub secret: RwSignal<Option<String>>,
    pub whoami: RwSignal<Option<WhoAmI>>,
    /// Why the last session ended (a 401 somewhere), shown on sign-in.
    pub ended: RwSignal<Option<String>>,
    /// Whether the start-up `whoami` has answered (until then the pages
    /// behind sign-in show a loading state instead of sending you away).
    pub checked: RwSignal<bool>,
    /// Bumped at each sign-in and sign-out, so that a late 401 for a
    /// session that is gone already ends nothing.
    pub epoch: RwSignal<u32>,
    /// Where to go after signing in (a page behind sign-in that sent you
    /// there); kept in memory only.
    pub next: RwSignal<Option<String>>,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// Not signed in until the start-up `whoami` says otherwise.
impl Default for Session {
    fn default() -> Session {
        Session {
            secret: RwSignal::new(None),
            whoami: RwSignal::new(None),
            ended: RwSignal::new(None),
            checked: RwSignal::new(false),
            epoch: RwSignal::new(0),
            next: RwSignal::new(None),
        }
    }
}

impl Session {
    /// A cookie session (a passkey, or a person's token exchanged for one).
    pub fn sign_in(&self, whoami: WhoAmI) {
        self.begin(None, whoami);
    }

    /// A token that is no person's, its secret held in memory only.
    pub fn sign_in_bearer(&self, secret: String, whoami: WhoAmI) {
        self.begin(Some(secret), whoami);
    }

    /// Takes the answer of `api::token_sign_in`: a secret to hold in
    /// memory, or none for a cookie session.
    pub fn start(&self, (secret, who): (Option<String>, WhoAmI)) {
        self.begin(secret, who);
    }

    fn begin(&self, secret: Option<String>, whoami: WhoAmI) {
        self.epoch.update(|n| *n += 1);
        self.ended.set(None);
        self.secret.set(secret);
        self.whoami.set(Some(whoami));
        self.checked.set(true);
    }

    /// After refreshing one's own token the old secret is dead: keep going
    /// with the new one (a bearer session only; a cookie session goes on
    /// by itself).
    pub fn replace_secret(&self, secret: String) {
        if self.secret.with_untracked(Option::is_some) {
            self.secret.set(Some(secret));
        }
    }

    /// Forgets the session here (the worker's side is ended by the caller,
    /// see `api::sign_out`).
    pub fn sign_out(&self, reason: Option<String>) {
        self.epoch.update(|n| *n += 1);
        self.ended.set(reason);
        self.whoami.set(None);
        self.secret.set(None);
        self.checked.set(true);
    }

    pub fn signed_in(&self) -> bool {
        self.whoami.with(Option::is_some)
    }

    /// Signed in through the cookie (not a bearer secret in memory).
    pub fn is_cookie(&self) -> bool {
        self.secret.with_untracked(Option::is_none)
    }

    /// A person is signed in (an admin or a member, through a session or
    /// their own master or user token): they have "Your sign-ins".
    pub fn is_person(&self) -> bool {
        self.whoami
            .with(|w| w.as_ref().is_some_and(|w| w.person.is_some()))
    }

    pub fn is_master(&self) -> bool {
        self.whoami.with(|w| {
            w.as_ref()
                .is_some_and(|w| w.token.kind == TokenKind::Master)
        })
    }

    /// Whether this token can use the admin pages (it can at least read
    /// tokens); everyone else is sent to the console.
    pub fn is_admin(&self) -> bool {
        self.whoami.with(|w| w.as_ref().is_some_and(is_admin))
    }

    /// Master tokens and global admin keys: they administer the whole
    /// deployment (personas, members, projects, global keys).
    pub fn is_full_admin(&self) -> bool {
        self.whoami.with(|w| w.as_ref().is_some_and(is_full_admin))
    }

    /// Signed in with a member's own user token.
    pub fn is_user(&self) -> bool {
        self.whoami
            .with(|w| w.as_ref().is_some_and(|w| w.token.kind == TokenKind::User))
    }

    pub fn token_id(&self) -> Option<String> {
        self.whoami
            .with_untracked(|w| w.as_ref().map(|w| w.token.id.clone()))
    }
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// Master tokens and global keys with `global_admin`.
pub fn is_full_admin(w: &WhoAmI) -> bool {
    keyward_domain::policy::is_admin(w.token.kind, w.token.global_admin)
}

/// Admins and tokens that may read tokens get the admin pages. (What each
/// page then shows is the API's answer, decided by the domain's policy;
/// this only picks the landing page.)
pub fn is_admin(w: &WhoAmI) -> bool {
    is_full_admin(w)
        || w.permissions
            .iter()
            .any(|s| s.service == "tokens" && s.permissions.iter().any(|p| p.permission == "read"))
}

/// Where a freshly signed-in token starts.
pub fn home(w: &WhoAmI) -> &'static str {
    if is_admin(w) {
        "/tokens"
    } else if w.person.is_some() && w.token.kind == TokenKind::User {
        // A member signed in as a person starts at their profile.
        "/profile"
    } else {
        "/console"
    }
}

const PROJECT_KEY: &str = "keyward.project";

/// The project the admin pages work in, chosen in the header and kept for
/// the tab's life. `explicit` says whether anyone chose one yet (the token
/// list shows every project until then).
#[derive(Clone, Copy)]
pub struct ProjectChoice {
    pub current: RwSignal<String>,
    pub explicit: RwSignal<bool>,
}

impl ProjectChoice {
    pub fn restore() -> ProjectChoice {
        let stored = storage().and_then(|s| s.get_item(PROJECT_KEY).ok().flatten());
        ProjectChoice {
            explicit: RwSignal::new(stored.is_some()),
            current: RwSignal::new(
                stored.unwrap_or_else(|| keyward_domain::access::DEFAULT_PROJECT.to_string()),
            ),
        }
    }

    pub fn choose(&self, project: String) {
        if let Some(s) = storage() {
            let _ = s.set_item(PROJECT_KEY, &project);
        }
        self.explicit.set(true);
        self.current.set(project);
    }
}

pub fn use_project() -> ProjectChoice {
    expect_context::<ProjectChoice>()
}
