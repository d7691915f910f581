//! The audit store itself: the D1 table, its batched inserts, and the
//! grant uses `GET /tokens/{id}/usage` reads.

use super::*;

/// When the store received an entry, by its own clock: statements run
/// one at a time, so this orders entries as they were committed.
pub(super) const RECEIVED_NOW: &str =
    "CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER)";

thread_local! {
    static SCHEMA_READY: Cell<bool> = const { Cell::new(false) };
}

/// Creates the table and its indexes once per isolate.
pub(super) async fn db(env: &Env) -> ApiResult<D1Database> {
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
