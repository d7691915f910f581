//! The registry's SQLite tables, and the migrations of state written by
//! earlier versions.
//!
//! Migrations are numbered by their place in [`MIGRATIONS`], and the
//! one-row table `schema_version` holds how many have run: SQLite's own
//! `PRAGMA user_version` is refused by Durable Objects' storage ("not
//! authorized: SQLITE_AUTH", workerd via wrangler 4.86). Each migration
//! runs once, in order, and its number is recorded in the same turn (which
//! the runtime commits atomically); any failure stops the registry with an
//! error naming it (a half-migrated schema must not serve). State from
//! before the numbering has version 0: every migration is written to be
//! harmless on state that already has what it creates.

use super::fault::{Fault, RegResult};
use super::rows::{select, Count};
use super::NO_ARGS;
use serde::Deserialize;
use worker::SqlStorage;

type Migration = fn(&SqlStorage) -> RegResult<()>;

/// In order; never reorder or remove one, only append.
const MIGRATIONS: [(&str, Migration); 10] = [
    ("tables of the first release", first_tables),
    ("columns added since", added_columns),
    ("personas, members, projects and outboxes", directory_tables),
    ("token names unique per project", names_per_project),
    ("token conditions and metadata", token_conditions),
    ("time-boxed elevations", elevations),
    ("the hints of retired secrets", retired_hints),
    ("passkeys, sessions, enrolments and device codes", sign_ins),
    ("request ids on audit entries", request_ids),
    (
        "answers kept for idempotency keys",
        super::idempotency::table,
    ),
];

fn request_ids(sql: &SqlStorage) -> RegResult<()> {
    add_missing(sql, &[("audit", "request_id", "TEXT")])
}

fn sign_ins(sql: &SqlStorage) -> RegResult<()> {
    for stmt in [
        "CREATE TABLE IF NOT EXISTS passkeys (
            id TEXT PRIMARY KEY,
            credential_id TEXT NOT NULL UNIQUE,
            person TEXT NOT NULL,
            name TEXT NOT NULL,
            algorithm TEXT NOT NULL,
            public_key TEXT NOT NULL,
            sign_count INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            last_used_at INTEGER)",
        "CREATE INDEX IF NOT EXISTS passkeys_person ON passkeys(person)",
        "CREATE TABLE IF NOT EXISTS sessions (
            id TEXT PRIMARY KEY,
            hash TEXT NOT NULL UNIQUE,
            person TEXT NOT NULL,
            method TEXT NOT NULL,
            passkey_id TEXT,
            user_agent TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            last_seen_at INTEGER NOT NULL)",
        "CREATE INDEX IF NOT EXISTS sessions_person ON sessions(person)",
        "CREATE TABLE IF NOT EXISTS challenges (
            challenge TEXT PRIMARY KEY,
            purpose TEXT NOT NULL,
            expires_at INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS enrolments (
            id TEXT PRIMARY KEY,
            code_hash TEXT NOT NULL UNIQUE,
            person TEXT NOT NULL,
            email TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            used_at INTEGER)",
        "CREATE TABLE IF NOT EXISTS device_codes (
            device_hash TEXT PRIMARY KEY,
            user_code TEXT NOT NULL UNIQUE,
            client_name TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            approved_by TEXT,
            approved_at INTEGER)",
    ] {
        sql.exec(stmt, super::NO_ARGS)?;
    }
    Ok(())
}

pub(super) fn migrate(sql: &SqlStorage) -> RegResult<()> {
    sql.exec(
        "CREATE TABLE IF NOT EXISTS schema_version (
            one INTEGER PRIMARY KEY CHECK (one = 1),
            version INTEGER NOT NULL)",
        NO_ARGS,
    )?;
    let done = select::<Count>(sql, "SELECT version AS n FROM schema_version", NO_ARGS)?
        .first()
        .map_or(0, |c| c.n);
    let done = usize::try_from(done)
        .ok()
        .filter(|n| *n <= MIGRATIONS.len())
        .ok_or_else(|| {
            Fault::unavailable(format!(
                "schema version {done} is not one this build knows (0 to {})",
                MIGRATIONS.len()
            ))
        })?;
    for (n, (what, step)) in MIGRATIONS.iter().enumerate().skip(done) {
        let version = n + 1;
        step(sql).map_err(|e| match e {
            Fault::Storage(cause) => {
                Fault::unavailable(format!("migration {version} ({what}) failed: {cause}"))
            }
            other => other,
        })?;
        sql.exec(
            "INSERT OR REPLACE INTO schema_version (one, version) VALUES (1, ?)",
            vec![super::rows::i(version as i64)],
        )?;
    }
    Ok(())
}

fn first_tables(sql: &SqlStorage) -> RegResult<()> {
    sql.exec(&tokens_table("tokens"), NO_ARGS)?;
    for stmt in [
        "CREATE TABLE IF NOT EXISTS retired_secrets (
            hash TEXT PRIMARY KEY,
            token_id TEXT NOT NULL,
            until INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS admins (
            id TEXT PRIMARY KEY,
            email TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            master_token_id TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS buckets (
            id TEXT PRIMARY KEY,
            description TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS audit (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            outcome TEXT NOT NULL,
            detail TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS audit_actor ON audit(actor, seq)",
        "CREATE TABLE IF NOT EXISTS invitations (
            id TEXT PRIMARY KEY,
            code_hash TEXT NOT NULL UNIQUE,
            token_id TEXT NOT NULL,
            email TEXT NOT NULL,
            message TEXT NOT NULL,
            status TEXT NOT NULL,
            inviter TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            accepted_at INTEGER,
            delivery_error TEXT)",
        "CREATE INDEX IF NOT EXISTS tokens_created ON tokens(created_at, id)",
    ] {
        sql.exec(stmt, NO_ARGS)?;
    }
    Ok(())
}

/// State written before these columns existed lacks them.
fn added_columns(sql: &SqlStorage) -> RegResult<()> {
    add_missing(
        sql,
        &[
            ("tokens", "rate_limit", "INTEGER"),
            ("tokens", "personas", "TEXT NOT NULL DEFAULT '[]'"),
            ("tokens", "project", "TEXT"),
            ("tokens", "project_grants", "TEXT NOT NULL DEFAULT '{}'"),
            ("tokens", "global_admin", "INTEGER NOT NULL DEFAULT 0"),
            ("tokens", "member_id", "TEXT"),
            ("audit", "via", "TEXT"),
            ("audit", "project", "TEXT"),
            // The registry's own entries are an outbox for the audit store.
            ("audit", "at_ms", "INTEGER"),
            ("audit", "forwarded", "INTEGER NOT NULL DEFAULT 0"),
            // The person behind the acting credential (issue 25).
            ("audit", "person", "TEXT"),
        ],
    )
}

/// Enabled, not-before, the allowed networks, the metadata and the usage
/// limit of tokens, and projects' expiry policies (issue 17's peer
/// controls).
fn token_conditions(sql: &SqlStorage) -> RegResult<()> {
    add_missing(
        sql,
        &[
            ("tokens", "enabled", "INTEGER NOT NULL DEFAULT 1"),
            ("tokens", "not_before", "INTEGER"),
            ("tokens", "allowed_ips", "TEXT NOT NULL DEFAULT '[]'"),
            ("tokens", "meta", "TEXT NOT NULL DEFAULT '{}'"),
            ("tokens", "usage_limit", "TEXT NOT NULL DEFAULT 'null'"),
            ("projects", "max_lifetime", "INTEGER"),
            ("projects", "allow_never", "INTEGER NOT NULL DEFAULT 1"),
            (
                "projects",
                "leak_response",
                "TEXT NOT NULL DEFAULT 'disable'",
            ),
        ],
    )
}

/// Tokens' time-boxed elevations, and whether a project's need a second
/// admin's approval (issue 18).
fn elevations(sql: &SqlStorage) -> RegResult<()> {
    add_missing(
        sql,
        &[
            ("tokens", "elevations", "TEXT NOT NULL DEFAULT '[]'"),
            (
                "projects",
                "elevation_approval",
                "INTEGER NOT NULL DEFAULT 0",
            ),
        ],
    )
}

/// Each secret a refresh replaces keeps its hint, so that `explain` can
/// tell which secret a question is about (issue 18). Rows from before have
/// none (NULL): no hint names them, and they end with their overlap.
fn retired_hints(sql: &SqlStorage) -> RegResult<()> {
    add_missing(sql, &[("retired_secrets", "hint", "TEXT")])
}

/// Adds each column where it is missing. The probe only decides whether
/// to add; adding fails loudly.
fn add_missing(sql: &SqlStorage, columns: &[(&str, &str, &str)]) -> RegResult<()> {
    for (table, column, definition) in columns {
        let missing = sql
            .exec(&format!("SELECT {column} FROM {table} LIMIT 0"), NO_ARGS)
            .is_err();
        if missing {
            sql.exec(
                &format!("ALTER TABLE {table} ADD COLUMN {column} {definition}"),
                NO_ARGS,
            )?;
        }
    }
    Ok(())
}

fn directory_tables(sql: &SqlStorage) -> RegResult<()> {
    for stmt in [
        "CREATE TABLE IF NOT EXISTS personas (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL,
            grants TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS members (
            id TEXT PRIMARY KEY,
            email TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS projects (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            description TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at INTEGER NOT NULL)",
        "INSERT OR IGNORE INTO projects (id, name, description, created_by, created_at)
            VALUES ('default', 'Default project', 'Everything from before projects', 'keyward', 0)",
        // Bucket ids are unique within a project; buckets from before
        // projects belong to the default one.
        "CREATE TABLE IF NOT EXISTS project_buckets (
            project TEXT NOT NULL,
            id TEXT NOT NULL,
            description TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (project, id))",
        "INSERT OR IGNORE INTO project_buckets (project, id, description, created_by, created_at)
            SELECT 'default', id, description, created_by, created_at FROM buckets",
        "CREATE INDEX IF NOT EXISTS tokens_member ON tokens(member_id)",
        "CREATE TABLE IF NOT EXISTS pending_replication (token_id TEXT PRIMARY KEY)",
        "CREATE INDEX IF NOT EXISTS audit_outbox ON audit(forwarded, seq)",
    ] {
        sql.exec(stmt, NO_ARGS)?;
    }
    Ok(())
}

/// The tokens table as it is now (state from before some of its columns
/// gains them by `ALTER TABLE`, and loses the deployment-wide UNIQUE on
/// `name` in [`names_per_project`]).
fn tokens_table(name: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {name} (
            id TEXT PRIMARY KEY,
            client_id TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            description TEXT NOT NULL,
            kind TEXT NOT NULL,
            grants TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            expires_at INTEGER,
            last_used_at INTEGER,
            secret_hash TEXT NOT NULL UNIQUE,
            secret_hint TEXT NOT NULL,
            admin_id TEXT,
            rate_limit INTEGER,
            personas TEXT NOT NULL DEFAULT '[]',
            project TEXT,
            project_grants TEXT NOT NULL DEFAULT '{{}}',
            global_admin INTEGER NOT NULL DEFAULT 0,
            member_id TEXT)"
    )
}

/// The scope a token's name is unique in: its project, or the deployment
/// for master tokens and global keys (`''`).
pub(super) const NAME_SCOPE: &str =
    "(CASE WHEN kind IN ('master', 'global') THEN '' ELSE COALESCE(project, 'default') END)";

/// Token names used to be unique across the deployment, which let any
/// manager probe other projects for names. They are unique per project
/// now: the table is rebuilt once without the column's UNIQUE, and an
/// index on (scope, name) takes its place.
fn names_per_project(sql: &SqlStorage) -> RegResult<()> {
    #[derive(Deserialize)]
    struct Schema {
        sql: String,
    }
    let schema = sql
        .exec(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'tokens'",
            NO_ARGS,
        )?
        .to_array::<Schema>()?;
    let global_names = schema
        .first()
        .is_some_and(|t| t.sql.contains("name TEXT NOT NULL UNIQUE"));
    if global_names {
        let columns = "id, client_id, name, description, kind, grants, created_by, created_at, updated_at, expires_at, last_used_at, secret_hash, secret_hint, admin_id, rate_limit, personas, project, project_grants, global_admin, member_id";
        for stmt in [
            tokens_table("tokens_by_project"),
            format!("INSERT INTO tokens_by_project ({columns}) SELECT {columns} FROM tokens"),
            "DROP TABLE tokens".to_string(),
            "ALTER TABLE tokens_by_project RENAME TO tokens".to_string(),
            "CREATE INDEX IF NOT EXISTS tokens_created ON tokens(created_at, id)".to_string(),
            "CREATE INDEX IF NOT EXISTS tokens_member ON tokens(member_id)".to_string(),
        ] {
            sql.exec(&stmt, NO_ARGS)?;
        }
    }
    sql.exec(
        &format!("CREATE UNIQUE INDEX IF NOT EXISTS tokens_name ON tokens({NAME_SCOPE}, name)"),
        NO_ARGS,
    )?;
    Ok(())
}
