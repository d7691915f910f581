//! Usage-limited tokens (Unkey's `remaining` with refill): a token may be
//! used N times in total, or N times per UTC day or month.
//!
//! The count is kept by the same per-token object as the rate limit, and
//! handed to isolates the same way: as leases ([`crate::ratelimit`]). A
//! leased use counts as used at once; what an isolate does not spend goes
//! back when it settles. So the uses admitted never exceed the limit,
//! across isolates and locations; the price is that uses leased to an
//! isolate that never settles (it was evicted) stay counted: the count
//! errs on the side of refusing, and leases shrink to one use as the
//! remainder runs low, so the last uses are counted one by one.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The most uses a limit may name.
pub const MAX_USES: u32 = 1_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Refill {
    /// Back to the full count at 00:00 UTC.
    Daily,
    /// Back to the full count at 00:00 UTC on the first of the month.
    Monthly,
}

impl Refill {
    pub fn as_str(self) -> &'static str {
        match self {
            Refill::Daily => "daily",
            Refill::Monthly => "monthly",
        }
    }

    pub fn parse(s: &str) -> Option<Refill> {
        match s {
            "daily" => Some(Refill::Daily),
            "monthly" => Some(Refill::Monthly),
            _ => None,
        }
    }
}

/// How many times a token may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageLimit {
    /// Uses in total, or per period with `refill`: 1 to 1,000,000,000.
    #[schemars(range(min = 1, max = 1_000_000_000))]
    pub uses: u32,
    /// `daily` or `monthly`; absent: the uses are never refilled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refill: Option<Refill>,
}

impl UsageLimit {
    pub fn check(&self, field: &str) -> Result<UsageLimit, crate::FieldError> {
        if self.uses == 0 || self.uses > MAX_USES {
            return Err(crate::FieldError::new(
                format!("{field}.uses"),
                format!("must be from 1 to {MAX_USES}"),
            ));
        }
        Ok(*self)
    }

    /// The period `now_ms` falls in: refills start a new one. Each kind of
    /// refill numbers its periods apart (none: 0; days: positive; months:
    /// negative), so a changed refill starts counting afresh.
    pub fn period(&self, now_ms: i64) -> i64 {
        let Some(refill) = self.refill else {
            return 0;
        };
        let t = instant(now_ms);
        match refill {
            Refill::Daily => now_ms.div_euclid(DAY_MS).max(1),
            Refill::Monthly => -(i64::from(t.year()) * 12 + i64::from(u8::from(t.month()))),
        }
    }

    /// Milliseconds from `now_ms` until the next refill; `None` for a limit
    /// that is never refilled.
    pub fn until_refill_ms(&self, now_ms: i64) -> Option<i64> {
        let next = match self.refill? {
            Refill::Daily => (now_ms.div_euclid(DAY_MS) + 1) * DAY_MS,
            Refill::Monthly => {
                let t = instant(now_ms);
                let (y, m) = match t.month() {
                    time::Month::December => (t.year() + 1, time::Month::January),
                    m => (t.year(), m.next()),
                };
                time::Date::from_calendar_date(y, m, 1)
                    .map(|d| d.midnight().assume_utc().unix_timestamp() * 1000)
                    .unwrap_or(now_ms + DAY_MS)
            }
        };
        Some((next - now_ms).max(1))
    }
}

const DAY_MS: i64 = 86_400_000;

fn instant(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The uses counted in the current period, as the token's object keeps
/// them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    period: i64,
    used: u32,
}

/// The object's answer to "may I have some uses?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// `uses` are counted, in `period` (settlements name it).
    Granted { uses: u32, period: i64 },
    /// None left; `retry_after_ms` until the refill, if there is one.
    Exhausted { retry_after_ms: Option<i64> },
}

impl Tally {
    fn roll(&mut self, limit: &UsageLimit, now_ms: i64) {
        let period = limit.period(now_ms);
        if period != self.period {
            self.period = period;
            self.used = 0;
        }
    }

    /// Uses left in the current period.
    pub fn remaining(&mut self, limit: &UsageLimit, now_ms: i64) -> u32 {
        self.roll(limit, now_ms);
        limit.uses.saturating_sub(self.used)
    }

    /// [`Tally::remaining`] without rolling this tally into a new period
    /// (a look that changes nothing).
    pub fn left(&self, limit: &UsageLimit, now_ms: i64) -> u32 {
        self.clone().remaining(limit, now_ms)
    }

    /// Counts up to `want` uses (at least one is wanted: the calling
    /// request's), fewer as the remainder runs low.
    pub fn take(&mut self, limit: &UsageLimit, now_ms: i64, want: u32) -> Take {
        let left = self.remaining(limit, now_ms);
        if left == 0 {
            return Take::Exhausted {
                retry_after_ms: limit.until_refill_ms(now_ms),
            };
        }
        let uses = crate::lease::slice(left).clamp(1, want.max(1));
        self.used += uses;
        Take::Granted {
            uses,
            period: self.period,
        }
    }

    /// Gives back the uses a lease did not spend, if its period is still
    /// the current one (a refill already forgot them).
    pub fn give_back(&mut self, period: i64, unspent: u32) {
        if period == self.period {
            self.used = self.used.saturating_sub(unspent);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const JAN_31_2030_NOON: i64 = 1_896_091_200_000;

    #[test]
    fn the_last_uses_go_one_by_one_and_none_beyond() {
        let limit = UsageLimit {
            uses: 3,
            refill: None,
        };
        let mut t = Tally::default();
        for _ in 0..3 {
            assert!(matches!(
                t.take(&limit, 0, 100),
                Take::Granted { uses: 1, .. }
            ));
        }
        assert_eq!(
            t.take(&limit, 0, 100),
            Take::Exhausted {
                retry_after_ms: None
            }
        );
    }

    #[test]
    fn refills_start_a_new_period() {
        let daily = UsageLimit {
            uses: 1,
            refill: Some(Refill::Daily),
        };
        let mut t = Tally::default();
        let now = JAN_31_2030_NOON;
        assert!(matches!(t.take(&daily, now, 1), Take::Granted { .. }));
        assert_eq!(
            t.take(&daily, now, 1),
            Take::Exhausted {
                retry_after_ms: Some(12 * 3_600_000)
            }
        );
        assert!(matches!(
            t.take(&daily, now + 12 * 3_600_000, 1),
            Take::Granted { .. }
        ));
        let monthly = UsageLimit {
            uses: 1,
            refill: Some(Refill::Monthly),
        };
        // From noon on 31 January to 1 February: 12 hours.
        assert_eq!(monthly.until_refill_ms(now), Some(12 * 3_600_000));
        assert_ne!(monthly.period(now), monthly.period(now + 12 * 3_600_000));
        assert_eq!(monthly.period(now), monthly.period(now - 20 * 86_400_000));
    }

    #[test]
    fn unspent_uses_come_back_only_within_their_period() {
        let limit = UsageLimit {
            uses: 100,
            refill: Some(Refill::Daily),
        };
        let mut t = Tally::default();
        let Take::Granted { uses, period } = t.take(&limit, JAN_31_2030_NOON, 50) else {
            panic!("granted");
        };
        assert_eq!(uses, 10);
        t.give_back(period, 9);
        assert_eq!(t.remaining(&limit, JAN_31_2030_NOON), 99);
        let tomorrow = JAN_31_2030_NOON + 86_400_000;
        assert_eq!(t.remaining(&limit, tomorrow), 100);
        t.give_back(period, 9);
        assert_eq!(t.remaining(&limit, tomorrow), 100, "yesterday's lease");
    }

    /// One isolate's lease: uses held and how many it spent.
    #[derive(Debug, Clone)]
    enum Step {
        Take(u32),
        Spend(usize, u32),
        Settle(usize),
    }

    proptest! {
        /// Whatever the interleaving of leases, spends and settlements,
        /// the uses spent never exceed the limit.
        #[test]
        fn spent_uses_never_exceed_the_limit(
            uses in 1u32..200,
            steps in prop::collection::vec(prop_oneof![
                (1u32..150).prop_map(Step::Take),
                (0usize..8, 1u32..50).prop_map(|(i, n)| Step::Spend(i, n)),
                (0usize..8).prop_map(Step::Settle),
            ], 0..80),
        ) {
            let limit = UsageLimit { uses, refill: None };
            let mut t = Tally::default();
            // (held, spent, settled)
            let mut leases: Vec<(u32, u32, bool)> = vec![];
            let mut spent_total = 0u32;
            for step in steps {
                match step {
                    Step::Take(want) => {
                        if let Take::Granted { uses, .. } = t.take(&limit, 0, want) {
                            leases.push((uses, 0, false));
                        }
                    }
                    Step::Spend(i, n) => {
                        if let Some(l) = leases.get_mut(i) {
                            if !l.2 {
                                let n = n.min(l.0 - l.1);
                                l.1 += n;
                                spent_total += n;
                            }
                        }
                    }
                    Step::Settle(i) => {
                        if let Some(l) = leases.get_mut(i) {
                            if !l.2 {
                                l.2 = true;
                                t.give_back(0, l.0 - l.1);
                            }
                        }
                    }
                }
                prop_assert!(spent_total <= uses);
            }
        }
    }
}
