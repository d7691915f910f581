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
//! Fail closed: if the limiter cannot be asked when a lease is needed, the
//! call is answered 503 `unavailable`, never let through uncounted.

use crate::http::{ApiError, ApiResult};
use keyward_domain::ratelimit::{Lease, Window};
use keyward_domain::ErrorCode;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::HashMap;
use worker::{durable_object, DurableObject, Env, Request, Response, State};

pub const BINDING: &str = "RATE_LIMITER";
/// Without `DEFAULT_RATE_LIMIT`, tokens without their own limit get this.
pub const FALLBACK_PER_MINUTE: u32 = 600;

/// A lease held by this isolate: the slots it kept beyond the first.
#[derive(Clone, Copy)]
struct Slice {
    until_ms: i64,
    held: u32,
    spent: u32,
    last_ms: i64,
}

impl Slice {
    fn live(&self, now: i64) -> bool {
        self.spent < self.held && now <= self.until_ms
    }
}

/// A token's leases in this isolate (more than one only when calls missed
/// at once and each leased), under the limit they were leased for.
struct Held {
    limit: u32,
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
fn spend_local(key: &str, limit: u32, now: i64) -> Result<(), Vec<Slice>> {
    LEASES.with(|leases| {
        let mut leases = leases.borrow_mut();
        let Some(h) = leases.get_mut(key) else {
            return Err(vec![]);
        };
        if h.limit == limit {
            if let Some(slice) = h.slices.iter_mut().find(|s| s.live(now)) {
                slice.spent += 1;
                slice.last_ms = now;
                return Ok(());
            }
        }
        // Nothing left to spend here: every slice is done with.
        Err(leases.remove(key).map(|h| h.slices).unwrap_or_default())
    })
}

fn hold(key: &str, limit: u32, slice: Slice, now: i64) {
    LEASES.with(|leases| {
        let mut leases = leases.borrow_mut();
        if leases.len() >= 4096 {
            // Forgotten leases are never settled: they stay counted until
            // they end (the limit errs on the side of refusing).
            leases.retain(|_, h| h.slices.iter().any(|s| s.live(now)));
        }
        let h = leases.entry(key.to_string()).or_insert(Held {
            limit,
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
    match env.var("DEFAULT_RATE_LIMIT").map(|v| v.to_string()) {
        Err(_) => Ok(FALLBACK_PER_MINUTE),
        Ok(s) if s.trim().is_empty() => Ok(FALLBACK_PER_MINUTE),
        Ok(s) => s
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            // A typo in the setting must not lift every limit.
            .ok_or_else(|| {
                ApiError::unavailable(format!(
                    "DEFAULT_RATE_LIMIT '{s}' is not a positive integer"
                ))
            }),
    }
}

/// Counts one call against `key` (a token id, or `jwt:<issuer>:<sub>`), or
/// answers 429 with `Retry-After`. Most calls spend a slot of a lease this
/// isolate already holds and await nothing.
pub async fn enforce(env: &Env, key: &str, own_limit: Option<u32>) -> ApiResult<()> {
    let limit = limit_for(env, own_limit)?;
    let now = worker::Date::now().as_millis() as i64;
    let done = match spend_local(key, limit, now) {
        Ok(()) => return Ok(()),
        Err(done) => done,
    };
    let lease = ask(env, key, limit, &done).await.map_err(|e| {
        worker::console_error!("rate limiter failed: {}", e.problem.detail);
        ApiError::new(
            ErrorCode::Unavailable,
            "the rate limiter is unavailable; the request was not carried out",
        )
    })?;
    match lease {
        Lease::Granted { slots, until_ms } => {
            // The first slot is this call's.
            if slots > 1 {
                hold(
                    key,
                    limit,
                    Slice {
                        until_ms,
                        held: slots - 1,
                        spent: 0,
                        last_ms: now,
                    },
                    now,
                );
            }
            Ok(())
        }
        Lease::Refused { retry_after } => {
            let mut err = ApiError::new(
                ErrorCode::RateLimited,
                format!(
                    "this token may make {limit} requests per minute; retry in {retry_after} s"
                ),
            );
            err.retry_after = Some(retry_after);
            Err(err)
        }
    }
}

/// The limiter's answer on the wire.
#[derive(Serialize, Deserialize)]
struct Answer {
    /// Slots granted (0: refused).
    slots: u32,
    until_ms: i64,
    retry_after: u64,
}

async fn ask(env: &Env, key: &str, limit: u32, done: &[Slice]) -> ApiResult<Lease> {
    let stub = env.durable_object(BINDING)?.id_from_name(key)?.get_stub()?;
    // Each settled lease as `until.held.spent.last`.
    let settled: Vec<String> = done
        .iter()
        .map(|s| format!("{}.{}.{}.{}", s.until_ms, s.held, s.spent, s.last_ms))
        .collect();
    let url = format!(
        "https://ratelimit/lease?limit={limit}&settle={}",
        settled.join(",")
    );
    let mut resp = stub.fetch_with_str(&url).await?;
    if resp.status_code() != 200 {
        return Err(ApiError::unavailable(format!(
            "limiter answered {}",
            resp.status_code()
        )));
    }
    let a = resp.json::<Answer>().await.map_err(ApiError::unavailable)?;
    Ok(if a.slots > 0 {
        Lease::Granted {
            slots: a.slots,
            until_ms: a.until_ms,
        }
    } else {
        Lease::Refused {
            retry_after: a.retry_after.max(1),
        }
    })
}

/// One per token: the slots counted in the last minute.
#[durable_object]
pub struct RateLimiter {
    state: State,
    /// Loaded from storage on the first call after the object starts.
    window: RefCell<Option<Window>>,
}

const WINDOW_KEY: &str = "window";

impl DurableObject for RateLimiter {
    fn new(state: State, _env: Env) -> Self {
        RateLimiter {
            state,
            window: RefCell::new(None),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let url = req.url()?;
        let limit = crate::http::query_number(&url, "limit")
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| worker::Error::RustError("no limit".into()))?;
        let settled: Vec<(i64, u32, u32, i64)> = url
            .query_pairs()
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
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        if self.window.borrow().is_none() {
            let stored: Option<Window> = self.state.storage().get(WINDOW_KEY).await?;
            let mut slot = self.window.borrow_mut();
            if slot.is_none() {
                *slot = Some(stored.unwrap_or_default());
            }
        }
        // Synchronous from here: no other call of this object interleaves
        // between counting and recording. The storage write is output
        // gated: the answer leaves only once it is durable.
        let (lease, snapshot) = {
            let mut slot = self.window.borrow_mut();
            let window = slot.get_or_insert_with(Window::default);
            for (until, held, spent, last) in settled {
                window.settle(until, held, spent, last);
            }
            let lease = window.lease(worker::Date::now().as_millis() as i64, limit);
            (lease, window.clone())
        };
        let answer = match lease {
            Lease::Granted { slots, until_ms } => {
                self.state.storage().put(WINDOW_KEY, &snapshot).await?;
                Answer {
                    slots,
                    until_ms,
                    retry_after: 0,
                }
            }
            Lease::Refused { retry_after } => Answer {
                slots: 0,
                until_ms: 0,
                retry_after,
            },
        };
        Response::from_json(&answer)
    }
}
