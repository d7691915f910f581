//! Who is signed in. The secret lives in `sessionStorage` only, so it dies
//! with the tab and never reaches a URL or `localStorage`.

use keyward_domain::api::WhoAmI;
use keyward_domain::TokenKind;
use leptos::prelude::*;

const KEY: &str = "keyward.secret";

#[derive(Clone, Copy)]
pub struct Session {
    pub secret: RwSignal<Option<String>>,
    pub whoami: RwSignal<Option<WhoAmI>>,
    /// Why the last session ended (a 401 somewhere), shown on sign-in.
    pub ended: RwSignal<Option<String>>,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

impl Session {
    /// The session kept by this tab, if any; `whoami` is fetched afresh.
    pub fn restore() -> Session {
        let secret = storage().and_then(|s| s.get_item(KEY).ok().flatten());
        Session {
            secret: RwSignal::new(secret),
            whoami: RwSignal::new(None),
            ended: RwSignal::new(None),
        }
    }

    pub fn sign_in(&self, secret: String, whoami: WhoAmI) {
        if let Some(s) = storage() {
            let _ = s.set_item(KEY, &secret);
        }
        self.ended.set(None);
        self.whoami.set(Some(whoami));
        self.secret.set(Some(secret));
    }

    /// After refreshing one's own token the old secret is dead: keep going
    /// with the new one.
    pub fn replace_secret(&self, secret: String) {
        if let Some(s) = storage() {
            let _ = s.set_item(KEY, &secret);
        }
        self.secret.set(Some(secret));
    }

    pub fn sign_out(&self, reason: Option<String>) {
        if let Some(s) = storage() {
            let _ = s.remove_item(KEY);
        }
        self.ended.set(reason);
        self.whoami.set(None);
        self.secret.set(None);
    }

    pub fn signed_in(&self) -> bool {
        self.secret.with(Option::is_some)
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
    /// Bumped when a project is created, so that lists of projects reload.
    pub version: RwSignal<u32>,
}

impl ProjectChoice {
    pub fn restore() -> ProjectChoice {
        let stored = storage().and_then(|s| s.get_item(PROJECT_KEY).ok().flatten());
        ProjectChoice {
            version: RwSignal::new(0),
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
