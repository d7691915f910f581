//! People signing in: how long a session lives, its cookie, which
//! cookie-carried requests are the app's own, and the device codes the CLI
//! logs in with. No I/O: the worker reads the clock, headers and storage.

use crate::api::PersonKind;

/// A session's lifetimes, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// From sign-in; however busy, the session ends then.
    pub absolute: i64,
    /// Unused this long, the session ends.
    pub idle: i64,
}

/// A working day, and an hour away from the keyboard.
pub const DEFAULT_LIFETIMES: Lifetimes = Lifetimes {
    absolute: 12 * 3600,
    idle: 3600,
};

impl Lifetimes {
    /// From the deployment's settings (`SESSION_ABSOLUTE_SECONDS`,
    /// `SESSION_IDLE_SECONDS`); a missing or unusable value keeps the
    /// default, and the idle lifetime never exceeds the absolute one.
    pub fn from_settings(absolute: Option<&str>, idle: Option<&str>) -> Lifetimes {
        let read = |v: Option<&str>, default: i64| {
            v.and_then(|s| s.trim().parse::<i64>().ok())
                .filter(|n| *n > 0)
                .unwrap_or(default)
        };
        let absolute = read(absolute, DEFAULT_LIFETIMES.absolute);
        let idle = read(idle, DEFAULT_LIFETIMES.idle).min(absolute);
        Lifetimes { absolute, idle }
    }

    /// When a session opened at `created`, last used at `last_seen`, ends.
    pub fn ends(&self, created: i64, last_seen: i64) -> SessionEnd {
        SessionEnd {
            absolute: created.saturating_add(self.absolute),
            idle: last_seen.saturating_add(self.idle),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionEnd {
    pub absolute: i64,
    pub idle: i64,
}

impl SessionEnd {
    pub fn live_at(&self, now: i64) -> bool {
        now < self.absolute && now < self.idle
    }
}

/// The session cookie over HTTPS: `__Host-` binds it to this exact host
/// (no `Domain`, `Path=/`, `Secure`), so no sibling subdomain can set or
/// shadow it.
pub const COOKIE_HTTPS: &str = "__Host-kw_session";
/// Over plain HTTP, which only local development uses: browsers refuse
/// both the `__Host-` prefix and `Secure` on a non-secure origin.
pub const COOKIE_HTTP: &str = "kw_session";

pub fn cookie_name(https: bool) -> &'static str {
    if https {
        COOKIE_HTTPS
    } else {
        COOKIE_HTTP
    }
}

/// The `Set-Cookie` value that opens a session. Its `Max-Age` is the
/// absolute lifetime; the idle one is the registry's to enforce.
pub fn set_cookie(https: bool, value: &str, max_age: i64) -> String {
    let secure = if https { "; Secure" } else { "" };
    format!(
        "{}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}",
        cookie_name(https)
    )
}

pub fn clear_cookie(https: bool) -> String {
    set_cookie(https, "", 0)
}

/// The session cookie's value in a `Cookie` header: only the name this
/// scheme uses (over HTTPS a plain `kw_session`, which any subdomain could
/// have planted, is ignored).
pub fn cookie_value(header: &str, https: bool) -> Option<&str> {
    let name = cookie_name(https);
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The header the app sends with every request. A cross-site form or
/// `fetch` cannot set it without a CORS preflight, which the API never
/// grants.
pub const APP_HEADER: &str = "x-keyward-app";

/// Why a cookie-carried request was not taken as the app's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrossSite {
    OtherOrigin(String),
    NoOrigin,
    NoAppHeader,
}

impl std::fmt::Display for CrossSite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CrossSite::OtherOrigin(o) => write!(f, "the request came from another site ({o})"),
            CrossSite::NoOrigin => f.write_str("a signed-in change must carry the Origin header"),
            CrossSite::NoAppHeader => write!(
                f,
                "a signed-in change must carry the app's {APP_HEADER} header"
            ),
        }
    }
}

/// Whether a request authenticated by the session cookie may act: reads
/// (GET, HEAD) always; anything else only from the app's own origin and
/// with the app's header. SameSite=Strict already keeps the cookie off
/// cross-site requests in current browsers; this holds without it.
pub fn same_site(
    method: &str,
    origin: Option<&str>,
    own_origin: &str,
    app_header: bool,
) -> Result<(), CrossSite> {
    if matches!(method, "GET" | "HEAD") {
        return Ok(());
    }
    match origin {
        None => Err(CrossSite::NoOrigin),
        Some(o) if o != own_origin => Err(CrossSite::OtherOrigin(o.to_string())),
        Some(_) if !app_header => Err(CrossSite::NoAppHeader),
        Some(_) => Ok(()),
    }
}

/// A person as `admin:<id>` or `member:<id>`.
pub fn parse_person(s: &str) -> Option<(PersonKind, &str)> {
    let (kind, id) = s.split_once(':')?;
    let kind = match kind {
        "admin" => PersonKind::Admin,
        "member" => PersonKind::Member,
        _ => return None,
    };
    (!id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
    .then_some((kind, id))
}

/// User codes: RFC 8628 §6.1's alphabet of consonants without look-alikes,
/// eight characters shown as `XXXX-XXXX` (20^8 ≈ 2.6·10^10 codes, against
/// the failure guard's limit on guesses).
pub const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
pub const DEVICE_CODE_SECONDS: i64 = 600;
pub const DEVICE_POLL_SECONDS: u64 = 5;

/// A user code from eight random bytes.
pub fn user_code(random: [u8; 8]) -> String {
    let letters: String = random
        .iter()
        .map(|b| USER_CODE_ALPHABET[usize::from(*b) % USER_CODE_ALPHABET.len()] as char)
        .collect();
    format!("{}-{}", &letters[..4], &letters[4..])
}

/// A typed user code, as stored: case and separators do not matter.
pub fn normalize_user_code(typed: &str) -> Option<String> {
    let letters: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (letters.len() == 8 && letters.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)))
        .then(|| format!("{}-{}", &letters[..4], &letters[4..]))
}

/// How long a CLI login's token lives.
pub const CLI_TOKEN_SECONDS: i64 = 30 * 24 * 3600;
/// How long a passkey ceremony's challenge may be answered.
pub const CHALLENGE_SECONDS: i64 = 300;
/// How long an enrolment link works.
pub const ENROLMENT_SECONDS: i64 = 7 * 24 * 3600;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lifetimes_default_and_clamp() {
        assert_eq!(Lifetimes::from_settings(None, None), DEFAULT_LIFETIMES);
        assert_eq!(
            Lifetimes::from_settings(Some("60"), Some("600")),
            Lifetimes {
                absolute: 60,
                idle: 60
            }
        );
        assert_eq!(
            Lifetimes::from_settings(Some("-5"), Some("x")),
            DEFAULT_LIFETIMES
        );
    }

    #[test]
    fn a_session_ends_at_the_first_of_its_two_ends() {
        let l = Lifetimes {
            absolute: 100,
            idle: 10,
        };
        assert!(l.ends(0, 0).live_at(9));
        assert!(!l.ends(0, 0).live_at(10));
        assert!(l.ends(0, 95).live_at(99));
        assert!(!l.ends(0, 95).live_at(100));
    }

    #[test]
    fn cookies_carry_every_flag() {
        let c = set_cookie(true, "abc", 60);
        assert_eq!(
            c,
            "__Host-kw_session=abc; Path=/; Max-Age=60; HttpOnly; SameSite=Strict; Secure"
        );
        assert!(!set_cookie(false, "abc", 60).contains("Secure"));
        assert_eq!(
            cookie_value("a=1; __Host-kw_session=abc", true),
            Some("abc")
        );
        assert_eq!(cookie_value("kw_session=planted", true), None);
        assert_eq!(cookie_value("kw_session=abc", false), Some("abc"));
        assert_eq!(cookie_value("kw_session=", false), None);
    }

    #[test]
    fn only_the_apps_own_changes_pass() {
        let own = "https://k.example";
        assert!(same_site("GET", None, own, false).is_ok());
        assert!(same_site("POST", Some(own), own, true).is_ok());
        assert_eq!(
            same_site("POST", Some("https://evil.example"), own, true),
            Err(CrossSite::OtherOrigin("https://evil.example".into()))
        );
        assert_eq!(
            same_site("DELETE", None, own, true),
            Err(CrossSite::NoOrigin)
        );
        assert_eq!(
            same_site("PATCH", Some(own), own, false),
            Err(CrossSite::NoAppHeader)
        );
    }

    #[test]
    fn people_parse() {
        assert_eq!(parse_person("admin:a1"), Some((PersonKind::Admin, "a1")));
        assert_eq!(
            parse_person("member:m_1"),
            Some((PersonKind::Member, "m_1"))
        );
        for bad in ["client:x", "admin:", "admin", "member:a b", "admin:a:b"] {
            assert_eq!(parse_person(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn user_codes_read_back_however_typed(bytes in any::<[u8; 8]>()) {
            let code = user_code(bytes);
            prop_assert_eq!(normalize_user_code(&code), Some(code.clone()));
            prop_assert_eq!(normalize_user_code(&code.to_lowercase().replace('-', " ")), Some(code));
        }
    }
}
