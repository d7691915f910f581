//! Repeated failures from one client address: slowed, then refused.
//!
//! Unknown secrets and unknown invitation codes are counted per
//! client address (`CF-Connecting-IP`, which Cloudflare sets and clients
//! cannot forge) by a Durable Object, one per address, so the count holds
//! across isolates and locations. The object is asked only when a request
//! has already failed: a valid call never waits for it.
//!
//! - More than half the limit in the window: each further failure is
//!   answered after a pause ([`SLOW_DOWN`]), which costs the worker no CPU.
//! - At the limit: the address is refused, 429 `rate_limited` with
//!   `Retry-After`, until its oldest counted failure leaves the window.
//!   While refused, every request from it that would present a credential
//!   or an invitation code is answered 429 before any storage is read:
//!   each isolate remembers the addresses it has seen blocked, so a
//!   blocked flood costs CPU only.
//!
//! The limiter failing never grants anything: the request has already
//! failed, and is answered as such.

use crate::http::{ApiError, ApiResult};
use keyward_domain::ErrorCode;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::time::Duration;
use worker::{durable_object, DurableObject, Env, Request, Response, SqlStorageValue, State};

pub const BINDING: &str = "FAILURE_GUARD";
/// Failures per window per address, unless `FAILURE_LIMIT` says otherwise.
pub const DEFAULT_LIMIT: u32 = 20;
/// The window, unless `FAILURE_WINDOW_SECONDS` says otherwise.
pub const DEFAULT_WINDOW_SECONDS: u64 = 600;
/// The pause before answering a failure past half the limit.
pub const SLOW_DOWN: Duration = Duration::from_millis(1000);
/// Without `CF-Connecting-IP` (only outside Cloudflare, e.g. a bare
/// `wrangler dev`), every client shares this one address.
pub const UNKNOWN_ADDRESS: &str = "unknown";
/// Blocked addresses an isolate remembers; more are still refused, by the
/// Durable Object, one round trip each.
const REMEMBERED: usize = 10_000;

thread_local! {
    /// Address → until when (unix ms) it is refused.
    static BLOCKED: RefCell<HashMap<String, i64>> = RefCell::new(HashMap::new());
}

/// The client's address as Cloudflare saw it.
pub fn client_address(req: &crate::incoming::Req) -> String {
    use crate::incoming::ReadHeader;
    req.header("cf-connecting-ip")
        .ok()
        .flatten()
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty() && a.len() <= 64 && a.is_ascii())
        .unwrap_or_else(|| UNKNOWN_ADDRESS.to_string())
}

fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}

fn refusal(retry_after: u64) -> ApiError {
    let mut e = ApiError::new(
        ErrorCode::RateLimited,
        format!("too many failed attempts from your address; retry in {retry_after} s"),
    );
    e.retry_after = Some(retry_after);
    e
}

fn seconds_until(until_ms: i64, now: i64) -> u64 {
    (((until_ms - now).max(1) + 999) / 1000) as u64
}

/// The isolate's memory: a 429 for an address currently blocked. No I/O.
pub fn blocked(address: &str) -> Option<ApiError> {
    let now = now_ms();
    BLOCKED.with(|b| {
        let mut b = b.borrow_mut();
        match b.get(address).copied() {
            Some(until) if until > now => Some(refusal(seconds_until(until, now))),
            Some(_) => {
                b.remove(address);
                None
            }
            None => None,
        }
    })
}

fn remember(address: &str, until: i64) {
    let now = now_ms();
    BLOCKED.with(|b| {
        let mut b = b.borrow_mut();
        if b.len() >= REMEMBERED {
            b.retain(|_, t| *t > now);
        }
        if b.len() < REMEMBERED {
            b.insert(address.to_string(), until);
        }
    });
}

/// A failure the limiter counts: an unknown credential, which cost a KV
/// read. A malformed one (wrong shape or checksum) was refused from CPU
/// alone and stays that cheap: counting it would put a Durable Object on
/// the path of the cheapest rejection there is. A missing credential, or
/// an expired real one, is not a guess.
pub fn counts(e: &ApiError) -> bool {
    e.code() == ErrorCode::InvalidToken
}

/// The same, for an answer the gateway already built: its 401s name their
/// code in `WWW-Authenticate`.
pub fn counts_response(resp: &Response) -> bool {
    resp.status_code() == 401
        && resp
            .headers()
            .get("www-authenticate")
            .ok()
            .flatten()
            .is_some_and(|h| h.contains("error_description=\"invalid_token\""))
}

struct Settings {
    limit: u32,
    window_ms: i64,
}

fn number(env: &Env, name: &str) -> Option<u64> {
    env.var(name)
        .ok()
        .and_then(|v| v.to_string().trim().parse::<u64>().ok())
        .filter(|n| *n > 0)
}

/// A missing or unreadable setting means the default: a typo must not
/// lift the limit.
fn settings(env: &Env) -> Settings {
    Settings {
        limit: number(env, "FAILURE_LIMIT")
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(DEFAULT_LIMIT),
        window_ms: number(env, "FAILURE_WINDOW_SECONDS")
            .unwrap_or(DEFAULT_WINDOW_SECONDS)
            .min(86_400) as i64
            * 1000,
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Verdict {
    /// This failure was over the limit: answer 429 instead.
    refused: bool,
    /// Failures counted in the window, this one included.
    failures: u32,
    /// When the address is blocked: until when (unix ms).
    blocked_until: Option<i64>,
}

/// Counts a failure of `address`. `Some` is the 429 to answer instead of
/// the failure; `None` means answer the failure (after a pause, once the
/// address has failed often).
pub async fn note_failure(env: &Env, address: &str) -> Option<ApiError> {
    let s = settings(env);
    let verdict = match ask(env, address, &s).await {
        Ok(v) => v,
        Err(e) => {
            worker::console_error!("failure guard unavailable: {}", e.problem.detail);
            return None;
        }
    };
    let now = now_ms();
    if let Some(until) = verdict.blocked_until {
        remember(address, until);
        if verdict.refused {
            return Some(refusal(seconds_until(until, now)));
        }
    }
    if verdict.failures > s.limit / 2 {
        worker::Delay::from(SLOW_DOWN).await;
    }
    None
}

async fn ask(env: &Env, address: &str, s: &Settings) -> ApiResult<Verdict> {
    let stub = env
        .durable_object(BINDING)?
        .id_from_name(address)?
        .get_stub()?;
    let mut resp = stub
        .fetch_with_str(&format!(
            "https://guard/fail?limit={}&window_ms={}",
            s.limit, s.window_ms
        ))
        .await?;
    if resp.status_code() != 200 {
        return Err(ApiError::unavailable(format!(
            "guard answered {}",
            resp.status_code()
        )));
    }
    resp.json::<Verdict>().await.map_err(ApiError::unavailable)
}

/// One per client address: the failures of the last window, oldest first,
/// in memory and in its SQLite storage (so eviction forgets nothing).
#[cfg(feature = "control")]
#[durable_object]
pub struct FailureGuard {
    state: State,
    log: RefCell<Option<VecDeque<i64>>>,
}

#[cfg(feature = "control")]
impl DurableObject for FailureGuard {
    fn new(state: State, _env: Env) -> Self {
        FailureGuard {
            state,
            log: RefCell::new(None),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let url = req.url()?;
        let param = |name: &str| {
            crate::http::query_number(&url, name)
                .filter(|n| *n > 0)
                .ok_or_else(|| worker::Error::RustError(format!("no {name}")))
        };
        let limit = param("limit")?;
        let window_ms = param("window_ms")?;
        // Synchronous from here: no other call interleaves.
        let verdict = self.fail(limit as usize, window_ms, now_ms())?;
        Response::from_json(&verdict)
    }
}

#[cfg(feature = "control")]
impl FailureGuard {
    fn fail(&self, limit: usize, window_ms: i64, now: i64) -> worker::Result<Verdict> {
        let sql = self.state.storage().sql();
        let mut slot = self.log.borrow_mut();
        let log = match slot.as_mut() {
            Some(log) => log,
            None => {
                sql.exec(
                    "CREATE TABLE IF NOT EXISTS failures (at INTEGER NOT NULL)",
                    None::<Vec<SqlStorageValue>>,
                )?;
                #[derive(Deserialize)]
                struct Row {
                    at: i64,
                }
                let rows: Vec<Row> = sql
                    .exec(
                        "SELECT at FROM failures WHERE at > ? ORDER BY at",
                        vec![SqlStorageValue::from(now - window_ms)],
                    )?
                    .to_array()?;
                slot.insert(rows.into_iter().map(|r| r.at).collect())
            }
        };
        let cutoff = now - window_ms;
        let mut expired = false;
        while log.front().is_some_and(|t| *t <= cutoff) {
            log.pop_front();
            expired = true;
        }
        if expired {
            sql.exec(
                "DELETE FROM failures WHERE at <= ?",
                vec![SqlStorageValue::from(cutoff)],
            )?;
        }
        // The failure that frees a slot is the (len - limit + 1)-th oldest.
        let until = |log: &VecDeque<i64>| {
            log.get(log.len().saturating_sub(limit))
                .map(|t| t + window_ms)
                .unwrap_or(now + window_ms)
        };
        if log.len() >= limit {
            // Refused attempts are not counted: the block ends on time.
            return Ok(Verdict {
                refused: true,
                failures: log.len() as u32,
                blocked_until: Some(until(log)),
            });
        }
        log.push_back(now);
        sql.exec(
            "INSERT INTO failures (at) VALUES (?)",
            vec![SqlStorageValue::from(now)],
        )?;
        Ok(Verdict {
            refused: false,
            failures: log.len() as u32,
            blocked_until: (log.len() >= limit).then(|| until(log)),
        })
    }
}
