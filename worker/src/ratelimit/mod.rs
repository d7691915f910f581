//! Per-token rate limits: N requests in any rolling minute, across
//! isolates and locations, at no per-call round trip.
//!
//! Counting has to hold across isolates and edge locations, so the budget
//! lives in a Durable Object, one per token (`id_from_name(token id)`). An
//! isolate does not ask it per call: it leases a slice of the budget
//! (`keyward_domain::ratelimit`) and spends it locally, going back only
//! when the slice is spent or its lease (30 s) ends, and then settling it:
//! what it did not spend goes back to the budget. Slices shrink to one
//! slot as the budget runs low, so the limit stays exact. The object keeps
//! its window (bounded, whatever the traffic) in memory and in storage, so
//! a restarted or evicted object picks up where it left.
//!
//! A usage-limited token's uses (`keyward_domain::quota`) are counted by
//! the same object and leased in the same slices: a slot is then both a
//! call in the minute and one of the token's uses.
//!
//! Fail closed: if the limiter cannot be asked when a lease is needed, the
//! call is answered 503 `unavailable`, never let through uncounted.
//!
//! `explain` (issue 18) asks the object whether a call would pass now
//! ([`peek`]): a read that takes no slot, settles nothing and writes
//! nothing, answered from the object's own view, in which leased slots
//! count as taken (see `keyward_domain::ratelimit::Standing`).

mod object;

#[cfg(feature = "control")]
pub use object::RateLimiter;

/// The rate-limit header fields of an answer are HTTP plumbing; the
/// limiter hands them out under this name too.
pub use crate::http::Allowance;
use crate::http::{ApiError, ApiResult};
use keyward_domain::quota::UsageLimit;
use keyward_domain::ratelimit::{Lease, Standing};
use keyward_domain::ErrorCode;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::HashMap;
use worker::Env;

pub const BINDING: &str = "RATE_LIMITER";
/// Without `DEFAULT_RATE_LIMIT`, tokens without their own limit get this.
pub const FALLBACK_PER_MINUTE: u32 = 600;

/// A lease held by this isolate: the slots it kept beyond the first.
#[derive(Clone, Copy)]
struct Slice {
    until_ms: i64,
    held: u32,
    spent: u32,
    /// The window's room left beyond this lease when it was granted: with
    /// the lease's own unspent slots, what this isolate can tell a client
    /// of its remaining calls.
    room: u32,
    last_ms: i64,
    /// For a usage-limited token: the usage period the slots count in.
    period: Option<i64>,
}

impl Slice {
    fn live(&self, now: i64) -> bool {
        self.spent < self.held && now <= self.until_ms
    }

    fn remaining(&self) -> u32 {
        self.room.saturating_add(self.held - self.spent)
    }
}

/// A token's leases in this isolate (more than one only when calls missed
/// at once and each leased), under the limit they were leased for.
struct Held {
    limit: u32,
    quota: Option<UsageLimit>,
    slices: Vec<Slice>,
}

thread_local! {
    /// Leases by limiter key. Workers run one request at a time per
    /// isolate thread, so a RefCell is enough.
    static LEASES: RefCell<HashMap<String, Held>> = RefCell::new(HashMap::new());
}

/// Spends one slot of a live lease, if this isolate holds one. `Err`
/// carries the leases this isolate is done with (spent out, over, or
/// leased under another limit), to settle with the limiter.
fn spend_local(
    key: &str,
    limit: u32,
    quota: Option<UsageLimit>,
    now: i64,
) -> Result<u32, Vec<Slice>> {
    LEASES.with(|leases| {
        let mut leases = leases.borrow_mut();
        let Some(h) = leases.get_mut(key) else {
            return Err(vec![]);
        };
        if h.limit == limit && h.quota == quota {
            if let Some(slice) = h.slices.iter_mut().find(|s| s.live(now)) {
                slice.spent += 1;
                slice.last_ms = now;
                return Ok(slice.remaining());
            }
        }
        // Nothing left to spend here: every slice is done with.
        Err(leases.remove(key).map(|h| h.slices).unwrap_or_default())
    })
}

/// Spends one slot of a live lease if there is one; unlike
/// [`spend_local`] it leaves every lease in place (none is settled).
fn spend_live(key: &str, limit: u32, quota: Option<UsageLimit>, now: i64) -> Option<u32> {
    LEASES.with(|leases| {
        let mut leases = leases.borrow_mut();
        let h = leases.get_mut(key)?;
        if h.limit != limit || h.quota != quota {
            return None;
        }
        let slice = h.slices.iter_mut().find(|s| s.live(now))?;
        slice.spent += 1;
        slice.last_ms = now;
        Some(slice.remaining())
    })
}

fn hold(key: &str, limit: u32, quota: Option<UsageLimit>, slice: Slice, now: i64) {
    LEASES.with(|leases| {
        let mut leases = leases.borrow_mut();
        if leases.len() >= 4096 {
            // Forgotten leases are never settled: they stay counted until
            // they end (the limit errs on the side of refusing).
            leases.retain(|_, h| h.slices.iter().any(|s| s.live(now)));
        }
        let h = leases.entry(key.to_string()).or_insert(Held {
            limit,
            quota,
            slices: vec![],
        });
        h.slices.push(slice);
    })
}

/// The limit for a token: its own, or the deployment's default.
pub(crate) fn limit_for(env: &Env, own: Option<u32>) -> ApiResult<u32> {
    if let Some(n) = own {
        return Ok(n);
    }
    thread_local! {
        /// An isolate's settings do not change while it lives: read once.
        static DEFAULT: std::cell::OnceCell<Result<u32, String>> =
            const { std::cell::OnceCell::new() };
    }
    DEFAULT
        .with(|d| {
            d.get_or_init(
                || match env.var("DEFAULT_RATE_LIMIT").map(|v| v.to_string()) {
                    Err(_) => Ok(FALLBACK_PER_MINUTE),
                    Ok(s) if s.trim().is_empty() => Ok(FALLBACK_PER_MINUTE),
                    Ok(s) => s
                        .trim()
                        .parse::<u32>()
                        .ok()
                        .filter(|n| *n > 0)
                        // A typo in the setting must not lift every limit.
                        .ok_or_else(|| {
                            format!("DEFAULT_RATE_LIMIT '{s}' is not a positive integer")
                        }),
                },
            )
            .clone()
        })
        .map_err(ApiError::unavailable)
}

/// Counts one call against `key` (a token id, or `jwt:<issuer>:<sub>`),
/// and one use of a usage-limited token, or answers 429 (`rate_limited`
/// or `usage_exhausted`) with `Retry-After` where waiting helps. Most
/// calls spend a slot of a lease this isolate already holds and await
/// nothing.
pub async fn enforce(
    env: &Env,
    key: &str,
    own_limit: Option<u32>,
    quota: Option<UsageLimit>,
) -> ApiResult<Allowance> {
    let limit = limit_for(env, own_limit)?;
    let allowed = |remaining| Allowance { limit, remaining };
    let now = worker::Date::now().as_millis() as i64;
    let done = match spend_local(key, limit, quota, now) {
        Ok(remaining) => return Ok(allowed(remaining)),
        Err(done) => done,
    };
    let answer = ask(env, key, limit, quota, &done).await.map_err(|e| {
        worker::console_error!("rate limiter failed: {}", e.problem.detail);
        ApiError::new(
            ErrorCode::Unavailable,
            "the rate limiter is unavailable; the request was not carried out",
        )
    })?;
    // Refused by the limiter: a lease that another call of this isolate
    // took while this one waited may still have room. Spending it here
    // keeps a usage limit exact (N uses admitted, not fewer).
    if answer.exhausted || matches!(answer.lease(), Lease::Refused { .. }) {
        if let Some(remaining) = spend_live(key, limit, quota, now) {
            return Ok(allowed(remaining));
        }
    }
    if answer.exhausted {
        let uses = quota.map_or(0, |q| q.uses);
        let mut err =
            ApiError::new(
                ErrorCode::UsageExhausted,
                match quota.and_then(|q| q.refill) {
                    Some(r) => {
                        format!(
                    "this token may be used {uses} times {}; retry after the refill in {} s",
                    if r == keyward_domain::quota::Refill::Daily { "a day" } else { "a month" },
                    answer.retry_after
                )
                    }
                    None => format!("this token may be used {uses} times, and has been"),
                },
            );
        if quota.and_then(|q| q.refill).is_some() {
            err.retry_after = Some(answer.retry_after.max(1));
        }
        return Err(err);
    }
    match answer.lease() {
        Lease::Granted { slots, until_ms } => {
            // The first slot is this call's.
            if slots > 1 {
                hold(
                    key,
                    limit,
                    quota,
                    Slice {
                        until_ms,
                        held: slots - 1,
                        spent: 0,
                        room: answer.room,
                        last_ms: now,
                        period: answer.period,
                    },
                    now,
                );
            }
            Ok(allowed(answer.room.saturating_add(slots - 1)))
        }
        Lease::Refused { retry_after } => {
            let mut err = ApiError::new(
                ErrorCode::RateLimited,
                format!(
                    "this token may make {limit} requests per minute; retry in {retry_after} s"
                ),
            );
            err.retry_after = Some(retry_after);
            err.allowance = Some(Allowance {
                limit,
                remaining: 0,
            });
            Err(err)
        }
    }
}

/// The limiter's answer on the wire.
#[derive(Serialize, Deserialize, Default)]
struct Answer {
    /// Slots granted (0: refused).
    slots: u32,
    until_ms: i64,
    retry_after: u64,
    /// A usage-limited token with no uses left.
    #[serde(default)]
    exhausted: bool,
    /// The usage period granted slots count in.
    #[serde(default)]
    period: Option<i64>,
    /// The window's room left after this lease.
    #[serde(default)]
    room: u32,
}

impl Answer {
    fn lease(&self) -> Lease {
        if self.slots > 0 {
            Lease::Granted {
                slots: self.slots,
                until_ms: self.until_ms,
            }
        } else {
            Lease::Refused {
                retry_after: self.retry_after.max(1),
            }
        }
    }
}

fn quota_query(quota: Option<UsageLimit>) -> String {
    match quota {
        Some(q) => format!(
            "&uses={}&refill={}",
            q.uses,
            q.refill.map_or("", |r| r.as_str())
        ),
        None => String::new(),
    }
}

async fn ask(
    env: &Env,
    key: &str,
    limit: u32,
    quota: Option<UsageLimit>,
    done: &[Slice],
) -> ApiResult<Answer> {
    let stub = env.durable_object(BINDING)?.id_from_name(key)?.get_stub()?;
    // Each settled lease as `until.held.spent.last[.period]`.
    let settled: Vec<String> = done
        .iter()
        .map(|s| {
            let mut one = format!("{}.{}.{}.{}", s.until_ms, s.held, s.spent, s.last_ms);
            if let Some(p) = s.period {
                one.push_str(&format!(".{p}"));
            }
            one
        })
        .collect();
    let url = format!(
        "https://ratelimit/lease?limit={limit}{}&settle={}",
        quota_query(quota),
        settled.join(",")
    );
    let mut resp = stub.fetch_with_str(&url).await?;
    if resp.status_code() != 200 {
        return Err(ApiError::unavailable(format!(
            "limiter answered {}",
            resp.status_code()
        )));
    }
    resp.json::<Answer>().await.map_err(ApiError::unavailable)
}

/// Whether a call of the token keyed `key` would pass its limiter now,
/// without taking a slot (for `explain`). This isolate's own unspent
/// leases are not consulted: the answer is the object's, which is what a
/// call needing a new lease meets. An error is the caller's to fail
/// closed on: a limiter that cannot be asked allows nothing.
pub async fn peek(
    env: &Env,
    key: &str,
    own_limit: Option<u32>,
    quota: Option<UsageLimit>,
) -> ApiResult<Standing> {
    let limit = limit_for(env, own_limit)?;
    let stub = env.durable_object(BINDING)?.id_from_name(key)?.get_stub()?;
    let url = format!("https://ratelimit/peek?limit={limit}{}", quota_query(quota));
    let mut resp = stub.fetch_with_str(&url).await?;
    if resp.status_code() != 200 {
        return Err(ApiError::unavailable(format!(
            "limiter answered {}",
            resp.status_code()
        )));
    }
    resp.json::<Standing>().await.map_err(ApiError::unavailable)
}

/// The uses a usage-limited token has left, as its limiter counts them
/// (uses leased to isolates count as used until they settle).
pub async fn remaining_uses(env: &Env, token_id: &str, quota: UsageLimit) -> ApiResult<u32> {
    let stub = env
        .durable_object(BINDING)?
        .id_from_name(token_id)?
        .get_stub()?;
    let url = format!(
        "https://ratelimit/remaining?x=1{}",
        quota_query(Some(quota))
    );
    let mut resp = stub.fetch_with_str(&url).await?;
    if resp.status_code() != 200 {
        return Err(ApiError::unavailable("the limiter did not answer"));
    }
    #[derive(Deserialize)]
    struct Remaining {
        remaining: u32,
    }
    Ok(resp
        .json::<Remaining>()
        .await
        .map_err(ApiError::unavailable)?
        .remaining)
}

/// A usage-limited token's uses left, as its limiter counts them now.
/// Unknown (absent) if the limiter does not answer: this is a figure to
/// show, not a decision.
pub async fn token_remaining_uses(
    env: &worker::Env,
    token: &keyward_domain::api::Token,
) -> Option<u32> {
    let quota = token.usage_limit?;
    match remaining_uses(env, &token.id, quota).await {
        Ok(n) => Some(n),
        Err(e) => {
            worker::console_error!("remaining uses of {}: {}", token.id, e.problem.detail);
            None
        }
    }
}
