//! Dates and times as the pages show them.

use keyward_domain::describe::{expiry_state, relative, ExpiryState};
use time::OffsetDateTime;

/// The browser's clock (`OffsetDateTime::now_utc` has no clock on wasm32).
pub fn now() -> OffsetDateTime {
    let ms = js_sys::Date::now() as i128;
    OffsetDateTime::from_unix_timestamp_nanos(ms * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub fn absolute(t: OffsetDateTime) -> String {
    // By hand, not `time`'s format descriptions: their machinery is wasm the
    // browser would download for one fixed shape.
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

pub fn iso(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// "in 3 days (2026-12-01 12:00 UTC)".
pub fn when(t: OffsetDateTime) -> String {
    format!("{} ({})", relative(t, now()), absolute(t))
}

/// When something was created; the records Keyward has from the start (the
/// `default` project) carry no date (the Unix epoch) and say so.
pub fn created(t: OffsetDateTime) -> String {
    if t == OffsetDateTime::UNIX_EPOCH {
        "Built in".to_string()
    } else {
        relative(t, now())
    }
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

/// The expiry as the end of a sentence: "never expires", "expired 2 days
/// ago (…)", "expires in 29 days (2026-12-28 12:00 UTC)".
pub fn expiry_phrase(expires_at: Option<OffsetDateTime>) -> String {
    let e = expiry(expires_at);
    match e.state {
        ExpiryState::Never => "never expires".to_string(),
        ExpiryState::Expired => format!("expired {} ({})", e.relative, e.absolute),
        ExpiryState::Soon | ExpiryState::Later => {
            format!("expires {} ({})", e.relative, e.absolute)
        }
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
