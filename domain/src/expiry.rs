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
