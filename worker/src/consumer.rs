//! The audit queue's consumer (this worker consumes its own queue): each
//! batch goes to the audit store in one write, and the tokens it used have
//! their `last_used_at` moved in the registry, about once a minute each.
//! It joins the two; neither knows the other.

use crate::audit::{store, AuditEvent};
use crate::registry::{Command, Registry};
use keyward_domain::api::Outcome;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use worker::{Env, MessageBatch};

/// A queue message: a batch as JSON text, or (sent by earlier versions,
/// perhaps still in the queue) one event.
fn events_of(body: &serde_json::Value) -> Vec<AuditEvent> {
    let parsed = match body {
        serde_json::Value::String(text) => serde_json::from_str::<Vec<AuditEvent>>(text),
        other => serde_json::from_value::<AuditEvent>(other.clone()).map(|e| vec![e]),
    };
    parsed.unwrap_or_else(|e| {
        // Unreadable forever: retrying would only block the queue.
        worker::console_error!("an audit message is unreadable and was dropped: {e}");
        vec![]
    })
}

/// The queue consumer: one D1 batch, and at most one registry command
/// per batch (only for the tokens not moved in the last minute).
pub async fn consume(batch: MessageBatch<serde_json::Value>, env: &Env) -> worker::Result<()> {
    let events: Vec<AuditEvent> = batch
        .messages()?
        .iter()
        .flat_map(|m| events_of(m.body()))
        .collect();
    // `store` writes the entries of those logged, and every call's use.
    if let Err(e) = store(env, &events).await {
        // Redelivered later; the ids make the retry harmless.
        worker::console_error!("audit batch not stored: {}", e.problem.detail);
        batch.retry_all();
        return Ok(());
    }
    batch.ack_all();
    let mut last_used: BTreeMap<String, i64> = BTreeMap::new();
    for e in &events {
        if let (Some(token), Outcome::Success) = (&e.token_id, e.outcome) {
            let at = last_used.entry(token.clone()).or_default();
            *at = (*at).max(e.at_ms / 1000);
        }
    }
    // A token this consumer moved less than a minute ago waits: the
    // registry hears of each busy token about once a minute, however many
    // calls it makes.
    last_used.retain(|token, at| {
        TOUCHED.with(|t| {
            t.borrow()
                .get(token)
                .is_none_or(|prev| *at - prev >= TOUCH_EVERY_S)
        })
    });
    if last_used.is_empty() {
        return Ok(());
    }
    let used: Vec<(String, i64)> = last_used.into_iter().collect();
    let touched = match Registry::from_env(env) {
        Ok(r) => r
            .call::<serde_json::Value>(&Command::Touch { used: used.clone() })
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match touched {
        Ok(()) => TOUCHED.with(|t| {
            let mut t = t.borrow_mut();
            if t.len() >= 100_000 {
                t.clear();
            }
            t.extend(used);
        }),
        Err(e) => worker::console_error!("last_used_at not updated: {}", e.problem.detail),
    }
    Ok(())
}

/// How often at most one consumer isolate moves a token's `last_used_at`.
const TOUCH_EVERY_S: i64 = 60;

thread_local! {
    /// When this isolate last moved each token's `last_used_at` (unix s).
    static TOUCHED: RefCell<HashMap<String, i64>> = RefCell::new(HashMap::new());
}
