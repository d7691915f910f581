//! Reading the log: a page newest first, or following it in the order
//! the store received it.

use super::d1::db;
use super::*;

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
