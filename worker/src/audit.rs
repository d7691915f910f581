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

thread_local! {
    static SCHEMA_READY: Cell<bool> = const { Cell::new(false) };
}

/// Creates the table and its indexes once per isolate.
async fn db(env: &Env) -> ApiResult<D1Database> {
    let db = env.d1(DB_BINDING)?;
    if !SCHEMA_READY.with(Cell::get) {
        db.batch(
            [
                "CREATE TABLE IF NOT EXISTS audit (id TEXT PRIMARY KEY, at_ms INTEGER NOT NULL, actor TEXT NOT NULL, via TEXT, project TEXT, action TEXT NOT NULL, target TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT NULL, person TEXT, request_id TEXT, received_ms INTEGER)",
                "CREATE INDEX IF NOT EXISTS audit_time ON audit (at_ms, id)",
                "CREATE INDEX IF NOT EXISTS audit_actor ON audit (actor, at_ms)",
                "CREATE INDEX IF NOT EXISTS audit_target ON audit (target, at_ms)",
                "CREATE INDEX IF NOT EXISTS audit_action ON audit (action, at_ms)",
                "CREATE INDEX IF NOT EXISTS audit_project ON audit (project, at_ms)",
                // Which grants each successful call of a token used, keyed
                // by its audit entry's id (redelivery writes it once).
                "CREATE TABLE IF NOT EXISTS grant_use (event_id TEXT NOT NULL, n INTEGER NOT NULL, token_id TEXT NOT NULL, at_ms INTEGER NOT NULL, project TEXT, service TEXT NOT NULL, permission TEXT NOT NULL, resource TEXT, PRIMARY KEY (event_id, n))",
                "CREATE INDEX IF NOT EXISTS grant_use_token ON grant_use (token_id, at_ms)",
            ]
            .into_iter()
            .map(|sql| db.prepare(sql))
            .collect(),
        )
        .await?;
        // Stores from before these were kept get the columns; another
        // isolate may have added one first, which is as good.
        #[derive(Deserialize)]
        struct Found {
            n: f64,
        }
        for (column, kind) in [
            ("person", "TEXT"),
            ("request_id", "TEXT"),
            ("received_ms", "INTEGER"),
        ] {
            let has = db
                .prepare("SELECT COUNT(*) AS n FROM pragma_table_info('audit') WHERE name = ?")
                .bind(&[JsValue::from_str(column)])?
                .first::<Found>(None)
                .await?
                .is_some_and(|f| f.n > 0.0);
            if !has {
                if let Err(e) = db
                    .exec(&format!("ALTER TABLE audit ADD COLUMN {column} {kind}"))
                    .await
                {
                    worker::console_log!("audit store: {column} column: {e}");
                }
            }
        }
        // After the column: stores from before it get it first.
        db.exec("CREATE INDEX IF NOT EXISTS audit_received ON audit (received_ms, id)")
            .await?;
        SCHEMA_READY.with(|r| r.set(true));
    }
    Ok(db)
}

/// Writes events, each at most once: the entries of those `logged`, and
/// the grants every successful call used (also of calls whose change the
/// registry logged itself), in one batch.
pub async fn store(env: &Env, events: &[AuditEvent]) -> ApiResult<()> {
    let uses: Vec<Vec<JsValue>> = events.iter().flat_map(AuditEvent::use_rows).collect();
    if !events.iter().any(|e| e.logged) && uses.is_empty() {
        return Ok(());
    }
    let db = db(env).await?;
    let entries: Vec<Vec<JsValue>> = events
        .iter()
        .filter(|e| e.logged)
        .map(AuditEvent::row)
        .collect();
    let mut statements = inserts(
        &db,
        "INSERT OR IGNORE INTO audit (id, at_ms, actor, via, project, action, target, outcome, detail, person, request_id, received_ms) VALUES ",
        &entries,
        RECEIVED_NOW,
    )?;
    statements.extend(inserts(
        &db,
        "INSERT OR IGNORE INTO grant_use (event_id, n, token_id, at_ms, project, service, permission, resource) VALUES ",
        &uses,
        "",
    )?);
    db.batch(statements).await?;
    Ok(())
}

/// D1's limit on bound parameters in one statement.
const D1_MAX_PARAMS: usize = 100;

/// `rows` as multi-row inserts, as few statements as D1's parameter limit
/// allows (one statement per row cost the store a prepare and a round
/// through the runtime each, at every call's rate).
fn inserts(
    db: &D1Database,
    head: &str,
    rows: &[Vec<JsValue>],
    computed: &str,
) -> worker::Result<Vec<worker::D1PreparedStatement>> {
    let Some(width) = rows.first().map(Vec::len).filter(|w| *w > 0) else {
        return Ok(vec![]);
    };
    let mut values = vec!["?"; width];
    if !computed.is_empty() {
        values.push(computed);
    }
    let one = format!("({})", values.join(", "));
    rows.chunks((D1_MAX_PARAMS / width).max(1))
        .map(|chunk| {
            let sql = format!("{head}{}", vec![one.as_str(); chunk.len()].join(", "));
            let values: Vec<JsValue> = chunk.iter().flatten().cloned().collect();
            db.prepare(&sql).bind(&values)
        })
        .collect()
}

#[derive(Deserialize)]
struct UseRow {
    service: String,
    permission: String,
    resource: Option<String>,
    n: f64,
    last_ms: f64,
}

/// What `token_id`'s successful calls used since `since_ms`, per grant,
/// with counts and the last use (unix seconds).
pub async fn uses(env: &Env, token_id: &str, since_ms: i64) -> ApiResult<Vec<Use>> {
    let db = db(env).await?;
    let rows = db
        .prepare(
            "SELECT service, permission, resource, COUNT(*) AS n, MAX(at_ms) AS last_ms FROM grant_use WHERE token_id = ? AND at_ms >= ? GROUP BY service, permission, resource ORDER BY service, permission, resource",
        )
        .bind(&[JsValue::from_str(token_id), JsValue::from_f64(since_ms as f64)])?
        .all()
        .await?
        .results::<UseRow>()?;
    Ok(rows
        .into_iter()
        .map(|r| Use {
            grant: Grant::new(
                &r.service,
                &r.permission,
                r.resource.as_deref().map(keyward_domain::Resource::parse),
            ),
            count: r.n as u64,
            last_at: (r.last_ms as i64).div_euclid(1000),
        })
        .collect())
}

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

#[derive(Deserialize)]
struct Row {
    id: String,
    at_ms: f64,
    actor: String,
    via: Option<String>,
    action: String,
    target: String,
    outcome: String,
    detail: String,
    #[serde(default)]
    person: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
    /// When the store received it (read only when following).
    #[serde(default)]
    received: Option<f64>,
}

#[derive(Deserialize)]
struct Total {
    n: f64,
}

/// A page of the log, newest first. `reach`: `None` reads everything (an
/// admin); else only entries of those projects (the policy's
/// `audit_reach`).
pub async fn list(env: &Env, reach: Option<Reach>, q: &AuditQuery) -> ApiResult<Page<AuditEntry>> {
    let db = db(env).await?;
    let mut clauses = vec!["1 = 1".to_string()];
    let mut args: Vec<JsValue> = vec![];
    match reach {
        None => {}
        Some(Reach::Everywhere) => clauses.push("project IS NOT NULL".into()),
        Some(Reach::Only(projects)) if projects.is_empty() => clauses.push("1 = 0".into()),
        Some(Reach::Only(projects)) => {
            clauses.push(format!(
                "project IN ({})",
                vec!["?"; projects.len()].join(", ")
            ));
            args.extend(projects.iter().map(|p| JsValue::from_str(p)));
        }
    }
    for (column, value) in [
        ("actor", &q.actor),
        ("target", &q.target),
        ("action", &q.action),
    ] {
        if let Some(v) = value {
            clauses.push(format!("{column} = ?"));
            args.push(JsValue::from_str(v));
        }
    }
    if let Some(since) = q.since_ms {
        clauses.push("at_ms >= ?".into());
        args.push(JsValue::from_f64(since as f64));
    }
    let filter = clauses.join(" AND ");
    if let Some(cursor) = &q.after {
        return follow(&db, &filter, args, cursor, q.limit).await;
    }
    let total = db
        .prepare(format!("SELECT COUNT(*) AS n FROM audit WHERE {filter}"))
        .bind(&args)?
        .first::<Total>(None)
        .await?
        .map(|t| t.n as u64)
        .unwrap_or(0);
    let mut page_args = args.clone();
    page_args.push(JsValue::from_f64(f64::from(q.limit)));
    page_args.push(JsValue::from_f64(q.offset as f64));
    let rows = db
        .prepare(format!(
            "SELECT id, at_ms, actor, via, action, target, outcome, detail, person, request_id FROM audit WHERE {filter} ORDER BY at_ms DESC, id DESC LIMIT ? OFFSET ?"
        ))
        .bind(&page_args)?
        .all()
        .await?
        .results::<Row>()?;
    Ok(Page {
        items: rows.into_iter().map(entry).collect(),
        total,
        limit: q.limit,
        offset: q.offset,
        next_cursor: None,
    })
}

/// When the store received an entry, by its own clock: statements run
/// one at a time, so this orders entries as they were committed.
const RECEIVED_NOW: &str = "CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER)";

/// Entries received within this long are not handed to followers yet: a
/// write that took its instant just before another's may commit just
/// after it, and must not fall behind a cursor already past it.
const SETTLE_MS: i64 = 2_000;

/// The log in the order the store received it, from just after `cursor`:
/// what a follower has not seen yet, however late an entry arrived (a
/// queue retry, the registry's outbox after an outage).
async fn follow(
    db: &D1Database,
    filter: &str,
    mut args: Vec<JsValue>,
    cursor: &AuditCursor,
    limit: u32,
) -> ApiResult<Page<AuditEntry>> {
    let settled = worker::Date::now().as_millis() as i64 - SETTLE_MS;
    // Entries from before arrivals were timed count as received when
    // they happened.
    let received = "COALESCE(received_ms, at_ms)";
    args.push(JsValue::from_f64(cursor.received_ms as f64));
    args.push(JsValue::from_f64(cursor.received_ms as f64));
    args.push(JsValue::from_str(&cursor.id));
    args.push(JsValue::from_f64(settled as f64));
    args.push(JsValue::from_f64(f64::from(limit)));
    let rows = db
        .prepare(format!(
            "SELECT id, at_ms, actor, via, action, target, outcome, detail, person, request_id, {received} AS received FROM audit \
             WHERE {filter} AND ({received} > ? OR ({received} = ? AND id > ?)) AND {received} <= ? \
             ORDER BY received, id LIMIT ?"
        ))
        .bind(&args)?
        .all()
        .await?
        .results::<Row>()?;
    let next = rows.last().map_or_else(
        || cursor.clone(),
        |r| AuditCursor {
            received_ms: r.received.unwrap_or(r.at_ms) as i64,
            id: r.id.clone(),
        },
    );
    let items: Vec<AuditEntry> = rows.into_iter().map(entry).collect();
    Ok(Page {
        total: items.len() as u64,
        items,
        limit,
        offset: 0,
        next_cursor: Some(next.to_string()),
    })
}

fn entry(r: Row) -> AuditEntry {
    AuditEntry {
        id: r.id,
        at: time::OffsetDateTime::from_unix_timestamp((r.at_ms as i64).div_euclid(1000))
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
        actor: r.actor,
        action: r.action,
        target: r.target,
        outcome: Outcome::from_stored(&r.outcome),
        detail: r.detail,
        via: r.via,
        person: r.person,
        request_id: r.request_id,
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
