//! Dates and times as the pages show them.

use keyward_domain::describe::{expiry_state, relative, ExpiryState};
use time::OffsetDateTime;

/// The browser's clock (`OffsetDateTime::now_utc` has no clock on wasm32).
pub fn now() -> OffsetDateTime {
    let ms = js_sys::Date::now() as i128;
    OffsetDateTime::from_unix_timestamp_nanos(ms * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub fn absolute(t: OffsetDateTime) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    t.format(&fmt).unwrap_or_else(|_| t.to_string())
}

pub fn iso(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// "in 3 days (2026-12-01 12:00 UTC)".
pub fn when(t: OffsetDateTime) -> String {
    format!("{} ({})", relative(t, now()), absolute(t))
}

pub fn ago(t: Option<OffsetDateTime>, none: &str) -> String {
    match t {
        Some(t) => relative(t, now()),
        None => none.to_string(),
    }
}

/// The expiry's words and its marker, so state is never colour alone.
pub struct ExpiryText {
    pub state: ExpiryState,
    pub badge: Option<&'static str>,
    pub relative: String,
    pub absolute: String,
}

pub fn expiry(expires_at: Option<OffsetDateTime>) -> ExpiryText {
    let now = now();
    let state = expiry_state(expires_at, now);
    let badge = match state {
        ExpiryState::Never => Some("Never expires"),
        ExpiryState::Expired => Some("Expired"),
        ExpiryState::Soon => Some("Expires soon"),
        ExpiryState::Later => None,
    };
    match expires_at {
        None => ExpiryText {
            state,
            badge,
            relative: String::new(),
            absolute: String::new(),
        },
        Some(at) => ExpiryText {
            state,
            badge,
            relative: relative(at, now),
            absolute: absolute(at),
        },
    }
}

pub fn expiry_class(state: ExpiryState) -> &'static str {
    match state {
        ExpiryState::Never => "badge badge-warn",
        ExpiryState::Expired => "badge badge-bad",
        ExpiryState::Soon => "badge badge-warn",
        ExpiryState::Later => "badge",
    }
}
