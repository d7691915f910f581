//! Rate limits as leases: never more than N calls admitted for a token in
//! any 60 s window, without a round trip per call.
//!
//! The token's limiter object (one per token) keeps a [`Window`]; an
//! isolate asks it for a **lease** of a few slots and spends them locally,
//! coming back only when they are spent or the lease ends. A slot the
//! limiter hands out counts against the window as if it were used at the
//! last instant the lease allows, so leased slots can never push a window
//! over the limit. When the isolate comes back it **settles** the lease:
//! unspent slots leave the window at once, spent ones 60 s after the last
//! of them was spent (never earlier than their use allows). A lease whose
//! isolate never comes back stays counted until its end plus a window: the
//! limit errs on the side of refusing. Leases shrink to one slot as the
//! budget runs low, so the last calls of a window are counted one by one,
//! exactly.
//!
//! State is bounded whatever the traffic: entries are merged per
//! [`GRANULE_MS`], so a window holds at most about 620 of them.

pub use crate::lease::slice;
use std::collections::VecDeque;

pub const WINDOW_MS: i64 = 60_000;
/// How long an isolate may spend a lease of more than one slot. Long
/// enough that a token called about once a second (one of many spread over
/// an isolate) needs the limiter once per dozens of calls; settling gives
/// back what a lease did not use, so its length costs the budget little.
pub const LEASE_MS: i64 = 30_000;
/// Entries whose expiries lie this close are merged (keeping the later).
pub const GRANULE_MS: i64 = 100;

/// The limiter's answer to "may I have some slots?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lease {
    /// `slots` calls may be admitted until `until_ms` (the first one now).
    Granted { slots: u32, until_ms: i64 },
    /// The window is full; the first slot frees in `retry_after` seconds.
    Refused { retry_after: u64 },
}

/// The slots counted against one token: (the instant they leave the
/// window, how many), sorted by that instant.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Window {
    entries: VecDeque<(i64, u32)>,
}

impl Window {
    /// Slots still in the window at `now`.
    pub fn used(&mut self, now: i64) -> u32 {
        while self
            .entries
            .front()
            .is_some_and(|(leaves, _)| *leaves <= now)
        {
            self.entries.pop_front();
        }
        self.entries.iter().map(|(_, n)| *n).sum()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Leases slots for a call made at `now` under `limit`.
    pub fn lease(&mut self, now: i64, limit: u32) -> Lease {
        self.lease_at_most(now, limit, u32::MAX)
    }

    /// [`Window::lease`], granting no more than `cap` slots (a usage limit
    /// may have fewer uses left than the window has slots).
    pub fn lease_at_most(&mut self, now: i64, limit: u32, cap: u32) -> Lease {
        let used = self.used(now);
        if used >= limit {
            return Lease::Refused {
                retry_after: self.retry_after(now, used - limit + 1),
            };
        }
        let slots = slice(limit - used).clamp(1, cap.max(1));
        // A single slot is the calling request's: used now. More may be
        // used until the lease ends, and count as if they were.
        let until_ms = if slots > 1 { now + LEASE_MS } else { now };
        self.add(until_ms + WINDOW_MS, slots);
        Lease::Granted { slots, until_ms }
    }

    /// What [`Window::lease`] would answer at `now`, without leasing:
    /// `None` when a call would be admitted, else the seconds until one
    /// would. Nothing changes (the lease is taken on a copy), so it agrees
    /// with `lease` by construction.
    pub fn peek(&self, now: i64, limit: u32) -> Option<u64> {
        match self.clone().lease(now, limit) {
            Lease::Granted { .. } => None,
            Lease::Refused { retry_after } => Some(retry_after),
        }
    }

    /// Seconds until `needed` slots have left the window. Counting errs
    /// late by up to a lease and a granule; the answer never says more than
    /// a window (a client back a moment early gets another short wait).
    fn retry_after(&self, now: i64, needed: u32) -> u64 {
        let mut freed = 0;
        for (leaves, n) in &self.entries {
            freed += n;
            if freed >= needed {
                return ((leaves - now + 999) / 1000).clamp(1, WINDOW_MS / 1000) as u64;
            }
        }
        1
    }

    /// Settles the lease that ran until `until_ms`, once its isolate is
    /// done with it (spent out, or over): of the `held` slots it kept
    /// beyond the first, it spent `spent`, the last of them at `last_ms`.
    /// Unspent slots leave the window now; spent ones leave a window after
    /// `last_ms` rather than after the lease's end.
    pub fn settle(&mut self, until_ms: i64, held: u32, spent: u32, last_ms: i64) {
        let leaves = granule_end(until_ms + WINDOW_MS);
        let Some(at) = self.entries.iter().position(|(l, _)| *l == leaves) else {
            return;
        };
        let n = &mut self.entries[at].1;
        *n = n.saturating_sub(held);
        if *n == 0 {
            self.entries.remove(at);
        }
        let spent = spent.min(held);
        if spent > 0 {
            self.add(last_ms.min(until_ms) + WINDOW_MS, spent);
        }
    }

    /// Counts `slots` until `leaves`, rounded up to the next granule so
    /// that entries merge (bounding the state) without ever leaving early
    /// or drifting later.
    fn add(&mut self, leaves: i64, slots: u32) {
        let leaves = granule_end(leaves);
        let at = self.entries.partition_point(|(l, _)| *l < leaves);
        match self.entries.get_mut(at) {
            Some((l, n)) if *l == leaves => *n += slots,
            _ => self.entries.insert(at, (leaves, slots)),
        }
    }
}

/// Whether a token's limiter would let a call through now, as its object
/// sees it: what `POST /tokens/{id}/explain` reports (issue 18), asked
/// without taking a slot.
///
/// "Now" is the limiter's view: slots leased to isolates count as taken
/// until they are spent or settled, exactly as when the limiter decides a
/// new lease. So `Room` means a call anywhere would be admitted, while
/// `WindowFull` means a call that needs a new lease is refused; an isolate
/// still holding unspent slots of an earlier lease may admit a few more
/// calls until they are spent or its lease ends (at most [`LEASE_MS`]).
/// Under 20 calls per minute leases are single slots, and the view is
/// exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Standing {
    /// A call now would be counted and admitted.
    Room,
    /// The window holds `per_minute` calls: the next one passes in
    /// `retry_after` seconds.
    WindowFull { per_minute: u32, retry_after: u64 },
    /// A usage-limited token has used its `uses`; `retry_after` seconds
    /// until the refill, if it has one.
    UsesExhausted { uses: u32, retry_after: Option<u64> },
}

/// The limiter object's answer to "would a call pass now?", decided in
/// the order its lease does (uses first, then the window), changing
/// nothing.
pub fn standing(
    window: &Window,
    tally: &crate::quota::Tally,
    per_minute: u32,
    quota: Option<crate::quota::UsageLimit>,
    now_ms: i64,
) -> Standing {
    if let Some(q) = quota {
        if tally.left(&q, now_ms) == 0 {
            return Standing::UsesExhausted {
                uses: q.uses,
                retry_after: q
                    .until_refill_ms(now_ms)
                    .map(|ms| ((ms + 999) / 1000).max(1) as u64),
            };
        }
    }
    match window.peek(now_ms, per_minute) {
        None => Standing::Room,
        Some(retry_after) => Standing::WindowFull {
            per_minute,
            retry_after,
        },
    }
}

fn granule_end(at: i64) -> i64 {
    at.div_euclid(GRANULE_MS) * GRANULE_MS
        + if at.rem_euclid(GRANULE_MS) == 0 {
            0
        } else {
            GRANULE_MS
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn small_limits_are_counted_one_by_one() {
        let mut w = Window::default();
        for i in 0..3 {
            assert_eq!(
                w.lease(1_000 + i, 3),
                Lease::Granted {
                    slots: 1,
                    until_ms: 1_000 + i
                }
            );
        }
        assert_eq!(w.lease(1_500, 3), Lease::Refused { retry_after: 60 });
        // The first call leaves the window 60 s after it was made.
        assert!(matches!(w.lease(61_100, 3), Lease::Granted { .. }));
    }

    #[test]
    fn large_budgets_are_leased_in_slices_that_shrink() {
        let mut w = Window::default();
        let mut slices = vec![];
        let mut granted = 0;
        while let Lease::Granted { slots, .. } = w.lease(5_000, 600) {
            slices.push(slots);
            granted += slots;
        }
        assert_eq!(granted, 600, "the whole budget, and not one more");
        assert_eq!(slices[0], 60);
        assert_eq!(*slices.last().unwrap(), 1);
        assert!(slices.windows(2).all(|p| p[0] >= p[1]));
        // Single slots are used at once and leave a window later; leased
        // slices count until the lease could last have used them.
        let singles = slices.iter().filter(|n| **n == 1).count() as u32;
        assert_eq!(
            w.lease(5_000 + WINDOW_MS - 1, 600),
            Lease::Refused { retry_after: 1 }
        );
        assert_eq!(w.used(5_000 + WINDOW_MS), 600 - singles);
        assert_eq!(w.used(5_000 + LEASE_MS + WINDOW_MS), 0);
    }

    #[test]
    fn retry_after_never_exceeds_a_window() {
        let mut w = Window::default();
        assert!(matches!(w.lease(1_950, 1), Lease::Granted { .. }));
        // The slot leaves at 62.0 s (61.95 rounded up to the granule).
        assert_eq!(w.lease(1_960, 1), Lease::Refused { retry_after: 60 });
        assert_eq!(w.lease(61_960, 1), Lease::Refused { retry_after: 1 });
        assert!(matches!(w.lease(62_000, 1), Lease::Granted { .. }));
    }

    #[test]
    fn merged_entries_leave_on_time_under_steady_traffic() {
        let mut w = Window::default();
        for t in (0..=3_000).step_by(50) {
            assert!(matches!(
                w.lease(t, 10_000),
                Lease::Granted { slots: 100, .. }
            ));
        }
        // A lease and a window after 1.2 s, the leases made up to 1.2 s
        // have left: 36 of the 61 remain.
        assert_eq!(w.used(LEASE_MS + WINDOW_MS + 1_200), 36 * 100);
        // And nothing stays counted past its own instant plus a granule.
        assert_eq!(w.used(3_000 + LEASE_MS + WINDOW_MS + GRANULE_MS), 0);
    }

    #[test]
    fn settling_frees_what_a_lease_did_not_use() {
        let mut w = Window::default();
        let Lease::Granted { slots, until_ms } = w.lease(1_000, 600) else {
            panic!("the first lease is granted");
        };
        assert_eq!((slots, until_ms), (60, 1_000 + LEASE_MS));
        assert_eq!(w.used(1_000), 60);
        // Ten of the 59 held slots spent by 2 s, the rest never.
        w.settle(until_ms, 59, 10, 2_000);
        assert_eq!(w.used(2_000), 11);
        // The ten leave a window after the last was spent; the lease's own
        // first slot, a window after the lease's end.
        assert_eq!(w.used(2_000 + WINDOW_MS), 1);
        assert_eq!(w.used(until_ms + WINDOW_MS), 0);
    }

    #[test]
    fn state_stays_bounded_under_any_traffic() {
        let mut w = Window::default();
        for t in 0..200_000 {
            w.lease(t * 7, 1_000_000);
        }
        assert!(w.len() <= (WINDOW_MS + LEASE_MS) as usize / GRANULE_MS as usize + 2);
    }

    #[test]
    fn a_peek_takes_no_slot_and_agrees_with_the_next_lease() {
        let mut w = Window::default();
        let t = crate::quota::Tally::default();
        for _ in 0..10 {
            assert_eq!(standing(&w, &t, 2, None, 1_000), Standing::Room);
        }
        assert!(matches!(w.lease(1_000, 2), Lease::Granted { .. }));
        assert_eq!(w.peek(1_000, 2), None);
        assert!(matches!(w.lease(1_000, 2), Lease::Granted { .. }));
        let before = w.clone();
        assert_eq!(
            standing(&w, &t, 2, None, 1_500),
            Standing::WindowFull {
                per_minute: 2,
                retry_after: 60
            }
        );
        assert_eq!(w, before, "a peek changes nothing");
        assert_eq!(w.lease(1_500, 2), Lease::Refused { retry_after: 60 });
        // Uses are looked at first, as when leasing.
        let once = crate::quota::UsageLimit {
            uses: 1,
            refill: None,
        };
        let mut spent = crate::quota::Tally::default();
        spent.take(&once, 0, 1);
        assert_eq!(
            standing(&Window::default(), &spent, 2, Some(once), 0),
            Standing::UsesExhausted {
                uses: 1,
                retry_after: None
            }
        );
    }

    proptest! {
        /// A peek never changes the window, and says full exactly when the
        /// lease it stands for would be refused, with the same wait.
        #[test]
        fn peeking_is_leasing_without_the_lease(
            limit in 1u32..60,
            steps in prop::collection::vec(0i64..5_000, 0..120),
        ) {
            let mut w = Window::default();
            let mut now = 0;
            for gap in steps {
                now += gap;
                let before = w.clone();
                let peek = w.peek(now, limit);
                prop_assert_eq!(&w, &before);
                match w.lease(now, limit) {
                    Lease::Granted { .. } => prop_assert_eq!(peek, None),
                    Lease::Refused { retry_after } => prop_assert_eq!(peek, Some(retry_after)),
                }
            }
        }

        /// Whatever the timing of requests and of spending leased slots,
        /// no 60 s window ever admits more than the limit.
        #[test]
        fn no_window_admits_more_than_the_limit(
            limit in prop_oneof![1u32..20, 20u32..100, 100u32..400],
            steps in prop::collection::vec((prop_oneof![8 => 0i64..50, 1 => 0i64..3_000, 1 => 0i64..40_000], 0u8..4), 1..800),
        ) {
            let mut w = Window::default();
            let mut now = 0;
            // Instants at which calls were admitted.
            let mut admitted: Vec<i64> = vec![];
            // Leases not yet settled: (settle at, until, held, spent, last).
            let mut open: Vec<(i64, i64, u32, u32, i64)> = vec![];
            for (gap, spend) in steps {
                now += gap;
                for (due, until, held, spent, last) in std::mem::take(&mut open) {
                    if due < now { w.settle(until, held, spent, last) } else { open.push((due, until, held, spent, last)) }
                }
                if let Lease::Granted { slots, until_ms } = w.lease(now, limit) {
                    admitted.push(now);
                    let held = slots - 1;
                    if held == 0 {
                        continue;
                    }
                    // The rest of the lease: not spent, spent at once, half
                    // of it spent at the last instant the lease allows, or
                    // all spent across the lease. The isolate settles once
                    // it has spent out, or once the lease is over.
                    let (spent, times): (u32, Vec<i64>) = match spend {
                        0 => (0, vec![]),
                        1 => (held, vec![now; held as usize]),
                        2 => (held / 2, vec![until_ms; (held / 2) as usize]),
                        _ => (held, (0..held).map(|i| now + (until_ms - now) * i64::from(i) / i64::from(held)).collect()),
                    };
                    let last = times.iter().copied().max().unwrap_or(now);
                    let due = if spent == held { last } else { until_ms };
                    admitted.extend(times);
                    open.push((due, until_ms, held, spent, last));
                }
            }
            admitted.sort_unstable();
            let mut start = 0;
            for end in 0..admitted.len() {
                while admitted[end] - admitted[start] >= WINDOW_MS {
                    start += 1;
                }
                prop_assert!((end - start + 1) as u32 <= limit,
                    "{} calls within 60 s under a limit of {limit}", end - start + 1);
            }
        }
    }
}
