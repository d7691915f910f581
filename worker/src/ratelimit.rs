//! Per-token rate limits: N requests in any rolling minute, across
//! isolates and locations, at no per-call round trip.
//!
//! Counting has to hold across isolates and edge locations, so the budget
//! lives in a Durable Object, one per token (`id_from_name(token id)`). An
//! isolate does not ask it per call: it leases a slice of the budget
//! (`keyward_domain::ratelimit`) and spends it locally, going back only
//! when the slice is spent or its lease (1 s) ends. Slices shrink to one
//! slot as the budget runs low, so the limit stays exact. The object keeps
//! its window (bounded, whatever the traffic) in memory and in storage, so
//! a restarted or evicted object picks up where it left.
//!
//! Fail closed: if the limiter cannot be asked when a lease is needed, the
//! call is answered 503 `unavailable`, never let through uncounted.

use crate::auth::Caller;
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

/// A lease held by this isolate.
struct Held {
    left: u32,
    until_ms: i64,
    limit: u32,
}

thread_local! {
    /// Leases by limiter key. Workers run one request at a time per
    /// isolate thread, so a RefCell is enough.
    static LEASES: RefCell<HashMap<String, Held>> = RefCell::new(HashMap::new());
}

/// Spends one slot of a live lease, if this isolate holds one. `Err`
/// carries what an ended lease left unspent, to give back.
fn spend_local(key: &str, limit: u32, now: i64) -> Result<(), Option<(i64, u32)>> {
    LEASES.with(|leases| {
        let mut leases = leases.borrow_mut();
        match leases.get_mut(key) {
            Some(h) if h.limit == limit && h.left > 0 && now <= h.until_ms => {
                h.left -= 1;
                Ok(())
            }
            Some(h) if h.left > 0 && now > h.until_ms => {
                let unspent = (h.until_ms, h.left);
                leases.remove(key);
                Err(Some(unspent))
            }
            _ => Err(None),
        }
    })
}

fn hold(key: &str, held: Held, now: i64) {
    LEASES.with(|leases| {
        let mut leases = leases.borrow_mut();
        if leases.len() >= 4096 {
            leases.retain(|_, h| h.until_ms >= now && h.left > 0);
        }
        // Two calls that missed at once both leased: keep both slices,
        // spendable until the earlier lease ends.
        match leases.get_mut(key) {
            Some(h) if h.limit == held.limit && h.left > 0 && now <= h.until_ms => {
                h.left += held.left;
                h.until_ms = h.until_ms.min(held.until_ms);
            }
            _ => {
                leases.insert(key.to_string(), held);
            }
        }
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

/// The hook for authenticated API calls.
pub async fn enforce_caller(env: &Env, caller: Option<&Caller>) -> ApiResult<()> {
    match caller {
        Some(c) => enforce(env, &c.token().id, c.token().rate_limit).await,
        None => Ok(()),
    }
}

/// Counts one call against `key` (a token id, or `jwt:<issuer>:<sub>`), or
/// answers 429 with `Retry-After`. Most calls spend a slot of a lease this
/// isolate already holds and await nothing.
pub async fn enforce(env: &Env, key: &str, own_limit: Option<u32>) -> ApiResult<()> {
    let limit = limit_for(env, own_limit)?;
    let now = worker::Date::now().as_millis() as i64;
    let unspent = match spend_local(key, limit, now) {
        Ok(()) => return Ok(()),
        Err(unspent) => unspent,
    };
    let lease = ask(env, key, limit, unspent).await.map_err(|e| {
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
                    Held {
                        left: slots - 1,
                        until_ms,
                        limit,
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

async fn ask(env: &Env, key: &str, limit: u32, unspent: Option<(i64, u32)>) -> ApiResult<Lease> {
    let stub = env.durable_object(BINDING)?.id_from_name(key)?.get_stub()?;
    let url = match unspent {
        Some((until, n)) => {
            format!("https://ratelimit/lease?limit={limit}&unspent={n}&until={until}")
        }
        None => format!("https://ratelimit/lease?limit={limit}"),
    };
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
        let param = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k == name)
                .and_then(|(_, v)| v.parse::<i64>().ok())
        };
        let limit = param("limit")
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| worker::Error::RustError("no limit".into()))?;
        let unspent = param("unspent")
            .and_then(|n| u32::try_from(n).ok())
            .zip(param("until"));
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
            if let Some((n, until)) = unspent {
                window.give_back(until, n);
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
