//! Per-token rate limits: N requests in any rolling minute.
//!
//! Counting has to hold across isolates and edge locations, so it lives in
//! a Durable Object, one instance per token (`id_from_name(token id)`); the
//! object is the only place that token's calls are counted. It keeps an
//! exact log of the last minute's admitted calls in memory and in its own
//! SQLite storage, so a restarted or evicted object picks up where it left.
//!
//! Fail closed: if the limiter cannot be asked, the call is answered 503
//! `unavailable`, never let through uncounted.

use crate::auth::Caller;
use crate::http::{ApiError, ApiResult};
use keyward_domain::ErrorCode;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::VecDeque;
use worker::{durable_object, DurableObject, Env, Request, Response, SqlStorageValue, State};

pub const BINDING: &str = "RATE_LIMITER";
/// Without `DEFAULT_RATE_LIMIT`, tokens without their own limit get this.
pub const FALLBACK_PER_MINUTE: u32 = 600;
const WINDOW_MS: i64 = 60_000;

#[derive(Debug, Serialize, Deserialize)]
struct Verdict {
    allowed: bool,
    /// Seconds until the oldest counted call leaves the window.
    retry_after: u64,
    remaining: u32,
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
/// answers 429 with `Retry-After`.
pub async fn enforce(env: &Env, key: &str, own_limit: Option<u32>) -> ApiResult<()> {
    let limit = limit_for(env, own_limit)?;
    let verdict = ask(env, key, limit).await.map_err(|e| {
        worker::console_error!("rate limiter failed: {}", e.problem.detail);
        ApiError::new(
            ErrorCode::Unavailable,
            "the rate limiter is unavailable; the request was not carried out",
        )
    })?;
    if verdict.allowed {
        Ok(())
    } else {
        let mut err = ApiError::new(
            ErrorCode::RateLimited,
            format!(
                "this token may make {limit} requests per minute; retry in {} s",
                verdict.retry_after
            ),
        );
        err.retry_after = Some(verdict.retry_after);
        Err(err)
    }
}

async fn ask(env: &Env, key: &str, limit: u32) -> ApiResult<Verdict> {
    let stub = env.durable_object(BINDING)?.id_from_name(key)?.get_stub()?;
    let mut resp = stub
        .fetch_with_str(&format!("https://ratelimit/check?limit={limit}"))
        .await?;
    if resp.status_code() != 200 {
        return Err(ApiError::unavailable(format!(
            "limiter answered {}",
            resp.status_code()
        )));
    }
    resp.json::<Verdict>().await.map_err(ApiError::unavailable)
}

/// One per token: the admitted calls of the last minute, oldest first.
#[durable_object]
pub struct RateLimiter {
    state: State,
    /// Loaded from storage on the first call after the object starts.
    log: RefCell<Option<VecDeque<i64>>>,
}

impl DurableObject for RateLimiter {
    fn new(state: State, _env: Env) -> Self {
        RateLimiter {
            state,
            log: RefCell::new(None),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let limit = req
            .url()?
            .query_pairs()
            .find(|(k, _)| k == "limit")
            .and_then(|(_, v)| v.parse::<u32>().ok())
            .ok_or_else(|| worker::Error::RustError("no limit".into()))?;
        // Everything below is synchronous: no other call of this object can
        // interleave between counting and recording.
        let verdict = self.check(limit, worker::Date::now().as_millis() as i64)?;
        Response::from_json(&verdict)
    }
}

impl RateLimiter {
    fn check(&self, limit: u32, now: i64) -> worker::Result<Verdict> {
        let sql = self.state.storage().sql();
        let mut slot = self.log.borrow_mut();
        let log = match slot.as_mut() {
            Some(log) => log,
            None => {
                sql.exec(
                    "CREATE TABLE IF NOT EXISTS hits (at INTEGER NOT NULL)",
                    None::<Vec<SqlStorageValue>>,
                )?;
                sql.exec(
                    "CREATE INDEX IF NOT EXISTS hits_at ON hits (at)",
                    None::<Vec<SqlStorageValue>>,
                )?;
                #[derive(Deserialize)]
                struct Row {
                    at: i64,
                }
                let rows: Vec<Row> = sql
                    .exec(
                        "SELECT at FROM hits WHERE at > ? ORDER BY at",
                        vec![SqlStorageValue::from(now - WINDOW_MS)],
                    )?
                    .to_array()?;
                slot.insert(rows.into_iter().map(|r| r.at).collect())
            }
        };
        let cutoff = now - WINDOW_MS;
        let mut expired = false;
        while log.front().is_some_and(|t| *t <= cutoff) {
            log.pop_front();
            expired = true;
        }
        if expired {
            sql.exec(
                "DELETE FROM hits WHERE at <= ?",
                vec![SqlStorageValue::from(cutoff)],
            )?;
        }
        if log.len() < limit as usize {
            log.push_back(now);
            sql.exec(
                "INSERT INTO hits (at) VALUES (?)",
                vec![SqlStorageValue::from(now)],
            )?;
            Ok(Verdict {
                allowed: true,
                retry_after: 0,
                remaining: limit - log.len() as u32,
            })
        } else {
            // When the limit shrank below what is logged, the call that
            // frees a slot is the (len - limit + 1)-th oldest.
            let freeing = log.get(log.len() - limit as usize).copied().unwrap_or(now);
            let wait_ms = (freeing + WINDOW_MS - now).max(1);
            Ok(Verdict {
                allowed: false,
                retry_after: ((wait_ms + 999) / 1000) as u64,
                remaining: 0,
            })
        }
    }
}
