//! The audit store: every call and every change, in D1, indexed by actor,
//! target, action, project and time.
//!
//! Data-plane calls never wait on it and never touch a global object: each
//! isolate gathers its calls' entries for a moment and sends them to a
//! Queue as one message after the answers, and this worker's own queue
//! consumer (`consumer.rs`) writes batches (`INSERT OR IGNORE` by event id, so redelivery
//! is harmless: at least once, never twice). The same batch carries
//! `last_used_at`: at most one registry command per batch, naming only the
//! tokens the consumer has not moved in the last minute. The
//! control plane stays exact and ordered in the registry, which writes each
//! change's entry in the same step as the change and forwards it here
//! before answering (see `RegistryObject::forward_audit`).

use crate::http::{ApiError, ApiResult};
use keyward_domain::api::{AuditEntry, Outcome, Page};
use keyward_domain::policy::Reach;
use keyward_domain::query::{AuditCursor, AuditQuery};
use keyward_domain::usage::Use;
use keyward_domain::Grant;
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};

use wasm_bindgen::JsValue;
use worker::{Context, D1Database, Env};

pub const DB_BINDING: &str = "AUDIT_DB";
pub const QUEUE_BINDING: &str = "AUDIT_QUEUE";

/// One audited call or change, as it travels and as it is stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Unique per event: redelivery writes it once.
    pub id: String,
    pub at_ms: i64,
    pub actor: String,
    #[serde(default)]
    pub via: Option<String>,
    /// The project the call acted in; `None`: the deployment's (admins').
    #[serde(default)]
    pub project: Option<String>,
    pub action: String,
    pub target: String,
    pub outcome: Outcome,
    pub detail: String,
    /// The person behind the acting credential (`admin:<id>`,
    /// `member:<id>`), where the registry traced it.
    #[serde(default)]
    pub person: Option<String>,
    /// The call's id, as its answer's `X-Request-Id` said.
    #[serde(default)]
    pub request_id: Option<String>,
    /// The authenticated token, whose `last_used_at` the batch updates.
    #[serde(default)]
    pub token_id: Option<String>,
    /// `false`: only a use of `token_id`; the registry logged the change.
    #[serde(default = "yes")]
    pub logged: bool,
    /// The grants the call's authorization checked and found held (a
    /// gateway route's requirements, an API call's `require`): what
    /// `GET /tokens/{id}/usage` summarises.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub used: Vec<Grant>,
}

fn yes() -> bool {
    true
}

/// A call's audit entry as either pipeline gathers it, the API's or the
/// gateway's: who called (and through which key or session), what and on
/// what, and once the call was authorized, the project it acted in and
/// the grants it used. Recorded after the answer, with how it went.
#[derive(Debug, Clone)]
pub struct CallAudit {
    pub actor: String,
    /// The personal key a member acts through, or the kind of session.
    pub via: Option<String>,
    /// The person who signed in, for a call that came with a session.
    pub person: Option<String>,
    /// The authenticated token (a JWT has none), for `last_used_at`.
    pub token_id: Option<String>,
    pub action: String,
    pub target: String,
    /// `None` until the call chose one: the deployment's (admins').
    pub project: Option<String>,
    /// The grants its authorization checked and found held.
    pub used: Vec<Grant>,
    /// `false`: the registry logged the change with the change itself;
    /// this entry only counts a use.
    pub logged: bool,
}

impl CallAudit {
    /// Who is calling and what: the rest is learnt as the call goes.
    pub fn of(
        (actor, via): (String, Option<String>),
        token_id: Option<String>,
        action: String,
        target: String,
    ) -> CallAudit {
        CallAudit {
            actor,
            via,
            person: None,
            token_id,
            action,
            target,
            project: None,
            used: vec![],
            logged: true,
        }
    }

    /// Sends the entry to the audit store after the answer. `result`: the
    /// detail of a success, or the refusal (a 403 is `denied`, any other
    /// error `failed`).
    pub fn record(
        self,
        env: &Env,
        ctx: &Context,
        request_id: &str,
        result: Result<String, &ApiError>,
    ) {
        let (outcome, detail) = match result {
            Ok(detail) => (Outcome::Success, detail),
            Err(e) if e.problem.status == 403 => (Outcome::Denied, e.problem.detail.clone()),
            Err(e) => (
                Outcome::Failed,
                format!("{}: {}", e.code().as_str(), e.problem.detail),
            ),
        };
        let CallAudit {
            actor,
            via,
            person,
            token_id,
            action,
            target,
            project,
            used,
            logged,
        } = self;
        let at_ms = worker::Date::now().as_millis() as i64;
        let event = AuditEvent {
            id: event_id(at_ms),
            at_ms,
            actor,
            via,
            project,
            action,
            target,
            outcome,
            detail,
            person,
            request_id: Some(request_id.to_string()),
            token_id,
            logged,
            used,
        };
        record(env, ctx, event);
    }
}

impl AuditEvent {
    /// One `grant_use` row per grant a successful call of a token used.
    fn use_rows(&self) -> Vec<Vec<JsValue>> {
        let (Some(token), Outcome::Success) = (&self.token_id, self.outcome) else {
            return vec![];
        };
        self.used
            .iter()
            .enumerate()
            .map(|(n, g)| {
                vec![
                    JsValue::from_str(&self.id),
                    JsValue::from_f64(n as f64),
                    JsValue::from_str(token),
                    JsValue::from_f64(self.at_ms as f64),
                    self.project
                        .as_deref()
                        .map_or(JsValue::NULL, JsValue::from_str),
                    JsValue::from_str(&g.service),
                    JsValue::from_str(&g.permission),
                    g.resource
                        .as_ref()
                        .map_or(JsValue::NULL, |r| JsValue::from_str(r.as_str())),
                ]
            })
            .collect()
    }

    fn row(&self) -> Vec<JsValue> {
        vec![
            JsValue::from_str(&self.id),
            JsValue::from_f64(self.at_ms as f64),
            JsValue::from_str(&self.actor),
            self.via.as_deref().map_or(JsValue::NULL, JsValue::from_str),
            self.project
                .as_deref()
                .map_or(JsValue::NULL, JsValue::from_str),
            JsValue::from_str(&self.action),
            JsValue::from_str(&self.target),
            JsValue::from_str(self.outcome.as_str()),
            JsValue::from_str(&self.detail),
            self.person
                .as_deref()
                .map_or(JsValue::NULL, JsValue::from_str),
            self.request_id
                .as_deref()
                .map_or(JsValue::NULL, JsValue::from_str),
        ]
    }
}

mod d1;
mod read;

pub use d1::{store, uses};
pub use read::list;

/// Events this isolate has answered for but not yet queued.
struct Pending {
    events: Vec<AuditEvent>,
    /// When a call's `wait_until` undertook to send them (ms), if one did.
    flush_due: Option<i64>,
}

thread_local! {
    static PENDING: RefCell<Pending> = const {
        RefCell::new(Pending { events: Vec::new(), flush_due: None })
    };
}

/// A flush this late never ran (its call's context was cut short):
/// another call undertakes it.
const FLUSH_OVERDUE_MS: i64 = 5_000;

/// Events per queue message; well under a message's 128 KB.
pub const BATCH_MAX: usize = 100;
/// How long an event may wait in its isolate for others to join it.
pub const BATCH_WAIT_MS: u64 = 50;

/// Records a data-plane call after the answer. The isolate gathers the
/// events of its calls for up to [`BATCH_WAIT_MS`] (or [`BATCH_MAX`]
/// events) and sends them as one queue message: the first call of a batch
/// keeps its `wait_until` open until then, the others only add to it.
/// Should the queue refuse, the batch goes straight to the store. Nothing
/// here can change an answer already given.
pub fn record(env: &Env, ctx: &Context, event: AuditEvent) {
    enum Then {
        Nothing,
        SendNow(Vec<AuditEvent>),
        SendLater,
    }
    let now = event.at_ms;
    let then = PENDING.with(|p| {
        let mut p = p.borrow_mut();
        p.events.push(event);
        if p.events.len() >= BATCH_MAX {
            Then::SendNow(std::mem::take(&mut p.events))
        } else if p.flush_due.is_none_or(|at| now - at > FLUSH_OVERDUE_MS) {
            p.flush_due = Some(now);
            Then::SendLater
        } else {
            Then::Nothing
        }
    });
    let env = env.clone();
    match then {
        Then::Nothing => {}
        Then::SendNow(batch) => ctx.wait_until(async move { send(&env, batch).await }),
        Then::SendLater => ctx.wait_until(async move {
            worker::Delay::from(std::time::Duration::from_millis(BATCH_WAIT_MS)).await;
            let batch = PENDING.with(|p| {
                let mut p = p.borrow_mut();
                p.flush_due = None;
                std::mem::take(&mut p.events)
            });
            send(&env, batch).await
        }),
    }
}

/// One queue message for the batch (its events as JSON text: one value
/// crosses into JavaScript, not one per field).
async fn send(env: &Env, batch: Vec<AuditEvent>) {
    if batch.is_empty() {
        return;
    }
    let queued = match (env.queue(QUEUE_BINDING), serde_json::to_string(&batch)) {
        (Ok(q), Ok(text)) => q.send(text).await.map_err(|e| e.to_string()),
        (Err(e), _) => Err(e.to_string()),
        (_, Err(e)) => Err(e.to_string()),
    };
    if let Err(e) = queued {
        worker::console_error!(
            "audit queue refused {} events ({e}); writing them directly",
            batch.len()
        );
        if let Err(e) = store(env, &batch).await {
            worker::console_error!("audit write failed: {}", e.problem.detail);
        }
    }
}

/// A fresh event id: time-ordered, unique.
fn event_id(at_ms: i64) -> String {
    format!("evt_{at_ms:013}_{}", crate::store::random_id("", 10))
}

impl From<worker::d1::D1Error> for ApiError {
    fn from(e: worker::d1::D1Error) -> Self {
        ApiError::unavailable(e)
    }
}
