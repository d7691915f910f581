//! Expiry rules: never, in N seconds, or at an instant; always in the future.

use crate::problem::FieldError;
use crate::validate::MAX_LIFETIME_SECONDS;
use time::{Duration, OffsetDateTime};

/// Atlan's API reads a validity of this many seconds (13 years) as
/// "never expires"; Atlan-style clients send it, so it means the same here.
pub const NEVER_SECONDS: u64 = 409_968_000;

/// Resolves the two ways of asking for an expiry into an instant (or none).
pub fn resolve(
    expires_at: Option<OffsetDateTime>,
    expires_in: Option<u64>,
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, FieldError> {
    match (expires_at, expires_in) {
        (Some(_), Some(_)) => Err(FieldError::new(
            "expires_in",
            "give either expires_at or expires_in, not both",
        )),
        (Some(at), None) => at_instant("expires_at", at, now).map(Some),
        (None, Some(NEVER_SECONDS)) => Ok(None),
        (None, Some(secs)) => {
            if secs == 0 || secs > MAX_LIFETIME_SECONDS {
                return Err(FieldError::new(
                    "expires_in",
                    format!(
                        "must be between 1 and {MAX_LIFETIME_SECONDS} seconds, \
                         or {NEVER_SECONDS} for never"
                    ),
                ));
            }
            Ok(Some(truncate(now + Duration::seconds(secs as i64))))
        }
        (None, None) => Ok(None),
    }
}

/// An explicit instant must lie in the future and within the maximum lifetime.
pub fn at_instant(
    field: &str,
    at: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<OffsetDateTime, FieldError> {
    if at <= now {
        return Err(FieldError::new(field, "must be in the future"));
    }
    if at - now > Duration::seconds(MAX_LIFETIME_SECONDS as i64) {
        return Err(FieldError::new(field, "must be within ten years"));
    }
    Ok(truncate(at))
}

pub fn is_expired(expires_at: Option<OffsetDateTime>, now: OffsetDateTime) -> bool {
    matches!(expires_at, Some(at) if now >= at)
}

/// A project's rule for its tokens' lifetimes (GitHub organisations'
/// maximum lifetime for fine-grained tokens): how long a token may live at
/// most, and whether it may never expire. Held at creation and whenever an
/// edit changes a token's expiry.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ExpiryPolicy")]
pub struct Policy {
    /// The longest a token may live, in seconds from its creation or edit
    /// (60 to ten years); `null`: up to the deployment's ten years.
    #[serde(default)]
    #[schemars(range(min = 60, max = 316_224_000))]
    pub max_lifetime_seconds: Option<u64>,
    /// Whether a token may never expire; `false` needs an expiry on every
    /// token. Default `true`.
    #[serde(default = "yes")]
    pub allow_never: bool,
}

// The request side of [`Policy`] in the document: answers always carry
// `max_lifetime_seconds` (so the shared schema requires it), while a
// request may leave it out. Only the document uses this type.
/// An expiry policy as a request gives it: leave `max_lifetime_seconds` out
/// (or `null`) for no cap, `allow_never` out for `true`.
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ExpiryPolicyInput")]
#[allow(dead_code)]
pub struct PolicyInput {
    /// The longest a token may live, in seconds from its creation or edit
    /// (60 to ten years); absent or `null`: up to the deployment's ten
    /// years.
    #[serde(default)]
    #[schemars(range(min = 60, max = 316_224_000))]
    max_lifetime_seconds: Option<u64>,
    /// Whether a token may never expire; `false` needs an expiry on every
    /// token. Default `true`.
    #[serde(default = "yes")]
    allow_never: bool,
}

fn yes() -> bool {
    true
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            max_lifetime_seconds: None,
            allow_never: true,
        }
    }
}

impl Policy {
    /// A policy as a request gives it.
    pub fn check(self, field: &str) -> Result<Policy, FieldError> {
        match self.max_lifetime_seconds {
            Some(s) if !(60..=MAX_LIFETIME_SECONDS).contains(&s) => Err(FieldError::new(
                format!("{field}.max_lifetime_seconds"),
                format!("must be from 60 to {MAX_LIFETIME_SECONDS} seconds, or null"),
            )),
            _ => Ok(self),
        }
    }

    /// Whether a token expiring at `expires_at` (unix seconds; `None`
    /// never) may be set now. A cap without "never" allowed is the usual
    /// pairing, but each is checked on its own.
    pub fn admits(&self, expires_at: Option<i64>, now: i64) -> Result<(), FieldError> {
        match expires_at {
            None if !self.allow_never => Err(FieldError::new(
                "expires_at",
                format!(
                    "this project requires an expiry{}",
                    self.max_lifetime_seconds
                        .map_or(String::new(), |s| format!(" within {}", describe_span(s)))
                ),
            )),
            Some(at) => match self.max_lifetime_seconds {
                Some(max) if at - now > max as i64 => Err(FieldError::new(
                    "expires_at",
                    format!(
                        "this project allows tokens to live at most {}",
                        describe_span(max)
                    ),
                )),
                _ => Ok(()),
            },
            None => Ok(()),
        }
    }

    /// The latest expiry the policy admits for a token set now.
    pub fn latest(&self, now: i64) -> Option<i64> {
        self.max_lifetime_seconds.map(|s| now + s as i64)
    }
}

/// "90 days", "12 hours", "45 minutes": a span as people say it.
pub fn describe_span(seconds: u64) -> String {
    let (n, unit) = if seconds.is_multiple_of(86_400) {
        (seconds / 86_400, "day")
    } else if seconds.is_multiple_of(3_600) {
        (seconds / 3_600, "hour")
    } else if seconds.is_multiple_of(60) {
        (seconds / 60, "minute")
    } else {
        (seconds, "second")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// A positive span written as a number and one unit: `90s`, `15m`, `1h`,
/// `30d`, at most ten years; in seconds. One unit only, so `1h30m` is
/// refused rather than half-read. The CLI's durations and the API's
/// `unused_for` are read by this one parser.
pub fn parse_span(s: &str) -> Result<u64, String> {
    let bad = || {
        format!("'{s}' is not a duration; expected a positive number and a unit s, m, h or d (e.g. 30d, 1h)")
    };
    let trimmed = s.trim();
    let unit = trimmed.chars().last().ok_or_else(bad)?;
    let factor: u64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => return Err(bad()),
    };
    let digits = &trimmed[..trimmed.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: u64 = digits.parse().map_err(|_| bad())?;
    if n == 0 {
        return Err(format!("'{s}' is zero; a duration must be positive"));
    }
    // Ten years is far beyond any sensible expiry and keeps every later
    // conversion (to i64 seconds, to a date) in range.
    const MAX: u64 = 10 * 366 * 86_400;
    n.checked_mul(factor)
        .filter(|s| *s <= MAX)
        .ok_or_else(|| format!("'{s}' is too long; at most ten years"))
}

/// Whole seconds, so stored and served instants compare equal.
pub fn truncate(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(0).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-24 12:00:00 UTC);

    #[test]
    fn spans_take_one_unit() {
        assert_eq!(parse_span("30d"), Ok(30 * 86_400));
        assert_eq!(parse_span("1h"), Ok(3_600));
        assert_eq!(parse_span("15m"), Ok(900));
        assert_eq!(parse_span("90s"), Ok(90));
        for bad in [
            "",
            "d",
            "30",
            "30x",
            "-1d",
            "0d",
            "1h30m",
            "1.5h",
            " ",
            "30 d",
            "99999999999999d",
            "\u{661}d",
        ] {
            assert!(parse_span(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn a_project_policy_caps_lifetimes_and_may_forbid_never() {
        let now = 1_000_000;
        let p = Policy {
            max_lifetime_seconds: Some(90 * 86_400),
            allow_never: false,
        };
        assert!(p.admits(Some(now + 90 * 86_400), now).is_ok());
        let e = p.admits(Some(now + 90 * 86_400 + 1), now).unwrap_err();
        assert_eq!(e.field, "expires_at");
        assert!(e.message.contains("90 days"), "{}", e.message);
        let e = p.admits(None, now).unwrap_err();
        assert!(
            e.message.contains("requires an expiry within 90 days"),
            "{}",
            e.message
        );
        assert!(Policy::default().admits(None, now).is_ok());
        assert!(Policy::default().check("p").is_ok());
        let bad = Policy {
            max_lifetime_seconds: Some(59),
            allow_never: true,
        };
        assert_eq!(bad.check("p").unwrap_err().field, "p.max_lifetime_seconds");
        assert_eq!(describe_span(3_600), "1 hour");
        assert_eq!(describe_span(150), "150 seconds");
    }

    #[test]
    fn never_in_or_at() {
        assert_eq!(resolve(None, None, NOW).unwrap(), None);
        assert_eq!(
            resolve(None, Some(60), NOW).unwrap(),
            Some(datetime!(2026-11-24 12:01:00 UTC))
        );
        let at = datetime!(2026-12-01 00:00:00 UTC);
        assert_eq!(resolve(Some(at), None, NOW).unwrap(), Some(at));
    }

    #[test]
    fn rejects_past_zero_both_and_absurd() {
        assert_eq!(
            resolve(Some(datetime!(2026-11-24 11:59:59 UTC)), None, NOW)
                .unwrap_err()
                .field,
            "expires_at"
        );
        assert!(resolve(None, Some(0), NOW).is_err());
        assert!(resolve(Some(NOW + Duration::hours(1)), Some(5), NOW).is_err());
        assert!(resolve(None, Some(u64::MAX), NOW).is_err());
    }

    #[test]
    fn atlans_never_is_never_and_only_that_value() {
        assert_eq!(resolve(None, Some(NEVER_SECONDS), NOW).unwrap(), None);
        for near in [NEVER_SECONDS - 1, NEVER_SECONDS + 1] {
            assert_eq!(
                resolve(None, Some(near), NOW).unwrap_err().field,
                "expires_in"
            );
        }
        // Both given is still refused, whatever the seconds.
        assert!(resolve(Some(NOW + Duration::hours(1)), Some(NEVER_SECONDS), NOW).is_err());
    }

    #[test]
    fn expired_at_the_instant() {
        assert!(!is_expired(None, NOW));
        assert!(is_expired(Some(NOW), NOW));
        assert!(!is_expired(Some(NOW + Duration::seconds(1)), NOW));
    }
}
