//! The limiter object, one per token: the slots counted in the last
//! minute and a usage-limited token's uses, leased out and settled.

use keyward_domain::quota::{Take, Tally, UsageLimit};
use keyward_domain::ratelimit::{slice, Lease, Standing, Window};
use std::cell::RefCell;
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::*;

/// One per token: the slots counted in the last minute, and the uses of a
/// usage-limited token.
#[cfg(feature = "control")]
#[durable_object]
pub struct RateLimiter {
    state: State,
    /// Loaded from storage on the first call after the object starts.
    counts: RefCell<Option<Counts>>,
}

#[derive(Clone, Default)]
pub(super) struct Counts {
    window: Window,
    tally: Tally,
}

pub(super) const WINDOW_KEY: &str = "window";
pub(super) const TALLY_KEY: &str = "tally";

/// A settled lease: until, held, spent, last use, and its usage period.
type Settled = (i64, u32, u32, i64, Option<i64>);

pub(super) fn settled(url: &worker::Url) -> Vec<Settled> {
    url.query_pairs()
        .find(|(k, _)| k == "settle")
        .map(|(_, v)| {
            v.split(',')
                .filter_map(|one| {
                    let mut f = one.split('.');
                    Some((
                        f.next()?.parse().ok()?,
                        f.next()?.parse().ok()?,
                        f.next()?.parse().ok()?,
                        f.next()?.parse().ok()?,
                        f.next().and_then(|p| p.parse().ok()),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The usage limit a request names (`uses`, `refill`), if any.
pub(super) fn quota_of(url: &worker::Url) -> worker::Result<Option<UsageLimit>> {
    let Some(uses) = crate::http::query_number(url, "uses") else {
        return Ok(None);
    };
    let uses = u32::try_from(uses).map_err(|_| worker::Error::RustError("bad uses".into()))?;
    let refill = match url.query_pairs().find(|(k, _)| k == "refill") {
        Some((_, r)) if !r.is_empty() => Some(
            keyward_domain::quota::Refill::parse(&r)
                .ok_or_else(|| worker::Error::RustError("bad refill".into()))?,
        ),
        _ => None,
    };
    Ok(Some(UsageLimit { uses, refill }))
}

#[cfg(feature = "control")]
impl RateLimiter {
    async fn load(&self) -> worker::Result<()> {
        if self.counts.borrow().is_none() {
            let window: Option<Window> = self.state.storage().get(WINDOW_KEY).await?;
            let tally: Option<Tally> = self.state.storage().get(TALLY_KEY).await?;
            let mut slot = self.counts.borrow_mut();
            if slot.is_none() {
                *slot = Some(Counts {
                    window: window.unwrap_or_default(),
                    tally: tally.unwrap_or_default(),
                });
            }
        }
        Ok(())
    }
}

#[cfg(feature = "control")]
impl DurableObject for RateLimiter {
    fn new(state: State, _env: Env) -> Self {
        RateLimiter {
            state,
            counts: RefCell::new(None),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let url = req.url()?;
        let quota = quota_of(&url)?;
        self.load().await?;
        let now = worker::Date::now().as_millis() as i64;
        if url.path() == "/remaining" {
            let quota = quota.ok_or_else(|| worker::Error::RustError("no uses".into()))?;
            let remaining = {
                let mut slot = self.counts.borrow_mut();
                let counts = slot.get_or_insert_with(Counts::default);
                counts.tally.remaining(&quota, now)
            };
            return Response::from_json(&serde_json::json!({ "remaining": remaining }));
        }
        let limit = crate::http::query_number(&url, "limit")
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| worker::Error::RustError("no limit".into()))?;
        if url.path() == "/peek" {
            // A look at the counts as they are: nothing settled, leased,
            // rolled over or stored.
            let standing = match self.counts.borrow().as_ref() {
                Some(c) => {
                    keyward_domain::ratelimit::standing(&c.window, &c.tally, limit, quota, now)
                }
                None => Standing::Room,
            };
            return Response::from_json(&standing);
        }
        // Synchronous from here: no other call of this object interleaves
        // between counting and recording. The storage write is output
        // gated: the answer leaves only once it is durable.
        let (answer, snapshot) = {
            let mut slot = self.counts.borrow_mut();
            let counts = slot.get_or_insert_with(Counts::default);
            for (until, held, spent, last, period) in settled(&url) {
                counts.window.settle(until, held, spent, last);
                if let Some(p) = period {
                    counts.tally.give_back(p, held.saturating_sub(spent));
                }
            }
            let answer = grant(counts, limit, quota, now);
            (answer, counts.clone())
        };
        if answer.slots > 0 {
            self.state
                .storage()
                .put(WINDOW_KEY, &snapshot.window)
                .await?;
            if quota.is_some() {
                self.state.storage().put(TALLY_KEY, &snapshot.tally).await?;
            }
        }
        Response::from_json(&answer)
    }
}

/// A lease of the minute's slots, no larger than the uses left.
pub(super) fn grant(
    counts: &mut Counts,
    limit: u32,
    quota: Option<UsageLimit>,
    now: i64,
) -> Answer {
    let cap = match quota {
        Some(q) => match counts.tally.remaining(&q, now) {
            0 => {
                return Answer {
                    exhausted: true,
                    retry_after: q
                        .until_refill_ms(now)
                        .map_or(0, |ms| ((ms + 999) / 1000) as u64),
                    ..Answer::default()
                }
            }
            left => slice(left).max(1),
        },
        None => u32::MAX,
    };
    match counts.window.lease_at_most(now, limit, cap) {
        Lease::Granted { slots, until_ms } => {
            let period = match quota {
                Some(q) => match counts.tally.take(&q, now, slots) {
                    Take::Granted { period, .. } => Some(period),
                    // The cap came from the same count, so this does not
                    // happen; if it did, the call is refused, not let
                    // through uncounted.
                    Take::Exhausted { .. } => {
                        return Answer {
                            exhausted: true,
                            ..Answer::default()
                        }
                    }
                },
                None => None,
            };
            let room = limit.saturating_sub(counts.window.used(now));
            Answer {
                slots,
                until_ms,
                period,
                room,
                ..Answer::default()
            }
        }
        Lease::Refused { retry_after } => Answer {
            retry_after,
            ..Answer::default()
        },
    }
}
