//! Rate limits as leases: never more than N calls admitted for a token in
//! any 60 s window, without a round trip per call.
//!
//! The token's limiter object (one per token) keeps a [`Window`]; an
//! isolate asks it for a **lease** of a few slots and spends them locally,
//! coming back only when they are spent or the lease ends. A slot the
//! limiter hands out counts against the window as if it were used at the
//! last instant the lease allows, so leased slots can never push a window
//! over the limit; slots not spent are simply lost (the limit errs on the
//! side of refusing). Leases shrink to one slot as the budget runs low, so
//! the last calls of a window are counted one by one, exactly.
//!
//! State is bounded whatever the traffic: entries are merged per
//! [`GRANULE_MS`], so a window holds at most about 620 of them.

use std::collections::VecDeque;

pub const WINDOW_MS: i64 = 60_000;
/// How long an isolate may spend a lease of more than one slot.
pub const LEASE_MS: i64 = 1_000;
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

/// How many slots to lease out of `available`: a tenth of what is left,
/// at most 100; one at a time once fewer than 20 are left.
pub fn slice(available: u32) -> u32 {
    if available >= 20 {
        (available / 10).min(100)
    } else {
        available.min(1)
    }
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
        let used = self.used(now);
        if used >= limit {
            return Lease::Refused {
                retry_after: self.retry_after(now, used - limit + 1),
            };
        }
        let slots = slice(limit - used);
        // A single slot is the calling request's: used now. More may be
        // used until the lease ends, and count as if they were.
        let until_ms = if slots > 1 { now + LEASE_MS } else { now };
        self.add(until_ms + WINDOW_MS, slots);
        Lease::Granted { slots, until_ms }
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

    /// Takes back `slots` of the lease that ended at `until_ms` which its
    /// isolate never spent (and, the lease being over, never will).
    pub fn give_back(&mut self, until_ms: i64, slots: u32) {
        let leaves = granule_end(until_ms + WINDOW_MS);
        if let Some(at) = self.entries.iter().position(|(l, _)| *l == leaves) {
            let n = &mut self.entries[at].1;
            *n = n.saturating_sub(slots);
            if *n == 0 {
                self.entries.remove(at);
            }
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
        // Leased slots count until the lease could last have used them.
        assert_eq!(
            w.lease(5_000 + 59_999, 600),
            Lease::Refused { retry_after: 1 }
        );
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
        // At 62.2 s the leases made up to 1.2 s have left (usable until
        // t + 1 s, counted 60 s after that): 36 of the 61 remain.
        assert_eq!(w.used(62_200), 36 * 100);
        // And nothing stays counted past its own instant plus a granule.
        assert_eq!(w.used(64_000 + GRANULE_MS), 0);
    }

    #[test]
    fn state_stays_bounded_under_any_traffic() {
        let mut w = Window::default();
        for t in 0..200_000 {
            w.lease(t * 7, 1_000_000);
        }
        assert!(w.len() <= (WINDOW_MS + LEASE_MS) as usize / GRANULE_MS as usize + 2);
    }

    proptest! {
        /// Whatever the timing of requests and of spending leased slots,
        /// no 60 s window ever admits more than the limit.
        #[test]
        fn no_window_admits_more_than_the_limit(
            limit in prop_oneof![1u32..20, 20u32..400],
            steps in prop::collection::vec((prop_oneof![0i64..50, 0i64..3_000], 0u8..3), 1..800),
        ) {
            let mut w = Window::default();
            let mut now = 0;
            // Instants at which calls were admitted.
            let mut admitted: Vec<i64> = vec![];
            let mut returns: Vec<(i64, u32)> = vec![];
            for (gap, spend) in steps {
                now += gap;
                for (until, n) in std::mem::take(&mut returns) {
                    if until < now { w.give_back(until, n) } else { returns.push((until, n)) }
                }
                if let Lease::Granted { slots, until_ms } = w.lease(now, limit) {
                    admitted.push(now);
                    // The rest of the lease: not spent, spent at once, or
                    // spent at the last instant the lease allows.
                    let at = match spend {
                        // Unspent: given back once the lease is over.
                        0 => { returns.push((until_ms, slots - 1)); continue }
                        1 => now,
                        _ => until_ms,
                    };
                    admitted.extend(std::iter::repeat_n(at, slots as usize - 1));
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
