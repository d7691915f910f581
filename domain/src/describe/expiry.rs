//! Expiry in words: where a token stands, "in 3 days", and the token
//! form's expiry choices.

use crate::validate;
use time::{Date, Duration, OffsetDateTime, Time};

/// Tokens expiring sooner than this are flagged in lists.
pub const EXPIRES_SOON: Duration = Duration::days(7);

/// Where a token stands with respect to its expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryState {
    Never,
    Expired,
    /// Within [`EXPIRES_SOON`].
    Soon,
    Later,
}

pub fn expiry_state(expires_at: Option<OffsetDateTime>, now: OffsetDateTime) -> ExpiryState {
    match expires_at {
        None => ExpiryState::Never,
        Some(at) if at <= now => ExpiryState::Expired,
        Some(at) if at - now <= EXPIRES_SOON => ExpiryState::Soon,
        Some(_) => ExpiryState::Later,
    }
}

/// "in 3 days", "5 minutes ago", "just now".
pub fn relative(at: OffsetDateTime, now: OffsetDateTime) -> String {
    let d = at - now;
    let secs = d.whole_seconds().abs();
    let (n, unit) = if secs < 60 {
        return "just now".into();
    } else if secs < 3600 {
        (secs / 60, "minute")
    } else if secs < 86_400 {
        (secs / 3600, "hour")
    } else if secs < 86_400 * 60 {
        (secs / 86_400, "day")
    } else if secs < 86_400 * 730 {
        (secs / (86_400 * 30), "month")
    } else {
        (secs / (86_400 * 365), "year")
    };
    let unit = if n == 1 {
        unit.to_string()
    } else {
        format!("{unit}s")
    };
    if d.is_positive() {
        format!("in {n} {unit}")
    } else {
        format!("{n} {unit} ago")
    }
}

/// The expiry options of the token form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryChoice {
    Days(u32),
    /// Expires at the end of that day (UTC).
    On(Date),
    Never,
}

impl ExpiryChoice {
    /// The instant this choice means, checked to be in the future.
    pub fn expires_at(self, now: OffsetDateTime) -> Result<Option<OffsetDateTime>, String> {
        match self {
            ExpiryChoice::Never => Ok(None),
            ExpiryChoice::Days(n) => Ok(Some(crate::expiry::truncate(
                now + Duration::days(i64::from(n)),
            ))),
            ExpiryChoice::On(date) => {
                let at = date
                    .with_time(Time::from_hms(23, 59, 59).unwrap_or(Time::MIDNIGHT))
                    .assume_utc();
                if at <= now {
                    Err("choose a date in the future".into())
                } else if at - now > Duration::seconds(validate::MAX_LIFETIME_SECONDS as i64) {
                    Err("choose a date within ten years".into())
                } else {
                    Ok(Some(at))
                }
            }
        }
    }

    /// Parses the value of an `<input type="date">` ("2026-12-31").
    /// Read by hand: `time`'s format-description parser would add its whole
    /// machinery to the app's wasm for this one shape.
    pub fn parse_date(s: &str) -> Option<Date> {
        let s = s.trim();
        let b = s.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        if !(digits(0..4) && digits(5..7) && digits(8..10)) {
            return None;
        }
        let year: i32 = s[0..4].parse().ok()?;
        let month: u8 = s[5..7].parse().ok()?;
        let day: u8 = s[8..10].parse().ok()?;
        Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use time::macros::{date, datetime};

    #[test]
    fn expiry_wording() {
        let now = datetime!(2026-11-24 12:00 UTC);
        assert_eq!(expiry_state(None, now), ExpiryState::Never);
        assert_eq!(
            expiry_state(Some(now - Duration::hours(1)), now),
            ExpiryState::Expired
        );
        assert_eq!(
            expiry_state(Some(now + Duration::days(3)), now),
            ExpiryState::Soon
        );
        assert_eq!(
            expiry_state(Some(now + Duration::days(30)), now),
            ExpiryState::Later
        );
        assert_eq!(relative(now + Duration::days(3), now), "in 3 days");
        assert_eq!(relative(now - Duration::minutes(1), now), "1 minute ago");
        assert_eq!(relative(now, now), "just now");
        assert_eq!(
            ExpiryChoice::Days(7).expires_at(now),
            Ok(Some(datetime!(2026-12-01 12:00 UTC)))
        );
        assert_eq!(
            ExpiryChoice::On(date!(2026 - 12 - 31)).expires_at(now),
            Ok(Some(datetime!(2026-12-31 23:59:59 UTC)))
        );
        assert!(ExpiryChoice::On(date!(2026 - 01 - 01))
            .expires_at(now)
            .is_err());
        assert_eq!(
            ExpiryChoice::parse_date("2026-12-31"),
            Some(date!(2026 - 12 - 31))
        );
        assert_eq!(ExpiryChoice::parse_date("31/12/2026"), None);
        assert_eq!(
            ExpiryChoice::parse_date(" 2026-02-28 "),
            Some(date!(2026 - 02 - 28))
        );
        for bad in [
            "2026-02-30",
            "2026-13-01",
            "2026-1-01",
            "26-01-01",
            "",
            "2026-01-01x",
        ] {
            assert_eq!(ExpiryChoice::parse_date(bad), None, "{bad}");
        }
    }
}
