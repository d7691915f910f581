//! `Idempotency-Key` on creates: a retry after a lost answer gets the
//! first answer again instead of a second token or a 409 on its name.
//! The registry keeps, per credential and key, what the request was (a
//! fingerprint of method, path and body) and its answer, for 24 hours.
//!
//! An answer that carried a secret is kept without it (secrets are kept
//! only as hashes): the front issues the token's secret again on replay.

use super::fault::RegResult;
use super::rows::{i, os, s, to_json};
use super::{RegistryObject, NO_ARGS};
use serde::{Deserialize, Serialize};

/// How long an answer is kept for its key.
pub const KEPT_SECONDS: i64 = 24 * 3600;
/// A request that took its key but never finished (its isolate died)
/// gives the key up after this long.
pub const PENDING_SECONDS: i64 = 60;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "idempotency_op", rename_all = "snake_case")]
pub enum IdempotencyCommand {
    /// Takes the key for a request, or says what became of it.
    Begin {
        owner: String,
        key: String,
        fingerprint: String,
    },
    /// The taken key's answer.
    Finish {
        owner: String,
        key: String,
        status: u16,
        body: String,
        /// The token whose secret the kept answer left out.
        reissue: Option<String>,
    },
    /// The request failed in a way a retry may mend: the key is free.
    Release { owner: String, key: String },
}

/// What [`IdempotencyCommand::Begin`] found.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "found", rename_all = "snake_case")]
pub enum Begun {
    /// The key is this request's now: carry it out.
    Taken,
    /// The same request was answered: this is its answer.
    Answered {
        status: u16,
        body: String,
        reissue: Option<String>,
    },
    /// The key was used for another request.
    OtherRequest,
    /// The same request is being carried out right now.
    InProgress,
}

#[derive(Deserialize)]
struct KeptRow {
    fingerprint: String,
    status: Option<i64>,
    body: Option<String>,
    reissue: Option<String>,
    created_at: i64,
}

impl RegistryObject {
    pub(super) fn idempotency(&self, cmd: IdempotencyCommand, now: i64) -> RegResult<String> {
        match cmd {
            IdempotencyCommand::Begin {
                owner,
                key,
                fingerprint,
            } => to_json(&self.begin(&owner, &key, &fingerprint, now)?),
            IdempotencyCommand::Finish {
                owner,
                key,
                status,
                body,
                reissue,
            } => {
                self.sql().exec(
                    "UPDATE idempotency SET status = ?, body = ?, reissue = ? WHERE owner = ? AND key = ?",
                    vec![i(i64::from(status)), s(&body), os(reissue.as_deref()), s(&owner), s(&key)],
                )?;
                to_json(&serde_json::Value::Null)
            }
            IdempotencyCommand::Release { owner, key } => {
                self.sql().exec(
                    "DELETE FROM idempotency WHERE owner = ? AND key = ? AND status IS NULL",
                    vec![s(&owner), s(&key)],
                )?;
                to_json(&serde_json::Value::Null)
            }
        }
    }

    fn begin(&self, owner: &str, key: &str, fingerprint: &str, now: i64) -> RegResult<Begun> {
        self.sql().exec(
            "DELETE FROM idempotency WHERE created_at <= ?",
            vec![i(now - KEPT_SECONDS)],
        )?;
        let kept = self
            .sql()
            .exec(
                "SELECT fingerprint, status, body, reissue, created_at FROM idempotency WHERE owner = ? AND key = ?",
                vec![s(owner), s(key)],
            )?
            .to_array::<KeptRow>()?;
        if let Some(k) = kept.into_iter().next() {
            if k.fingerprint != fingerprint {
                return Ok(Begun::OtherRequest);
            }
            match (k.status, k.body) {
                (Some(status), Some(body)) => {
                    return Ok(Begun::Answered {
                        status: u16::try_from(status).unwrap_or(500),
                        body,
                        reissue: k.reissue,
                    })
                }
                _ if now - k.created_at < PENDING_SECONDS => return Ok(Begun::InProgress),
                // Its request never finished: this one takes over.
                _ => {}
            }
        }
        self.sql().exec(
            "INSERT OR REPLACE INTO idempotency (owner, key, fingerprint, status, body, reissue, created_at) VALUES (?, ?, ?, NULL, NULL, NULL, ?)",
            vec![s(owner), s(key), s(fingerprint), i(now)],
        )?;
        Ok(Begun::Taken)
    }
}

/// The registry's table of kept answers (a migration).
pub(super) fn table(sql: &worker::SqlStorage) -> RegResult<()> {
    for stmt in [
        "CREATE TABLE IF NOT EXISTS idempotency (
            owner TEXT NOT NULL,
            key TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            status INTEGER,
            body TEXT,
            reissue TEXT,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (owner, key))",
        "CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency(created_at)",
    ] {
        sql.exec(stmt, NO_ARGS)?;
    }
    Ok(())
}
