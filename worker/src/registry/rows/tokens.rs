//! Token rows: as stored, typed, and written back.

use crate::authority::{StoreError, TokenRow};
use keyward_domain::TokenKind;
use serde::Deserialize;
use worker::SqlStorageValue;

use super::*;

/// The `tokens` table's columns as SQLite returns them.
#[derive(Deserialize)]
pub(in crate::registry) struct TokenSql {
    id: String,
    client_id: String,
    name: String,
    description: String,
    kind: String,
    grants: String,
    created_by: String,
    created_at: i64,
    updated_at: i64,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    secret_hash: String,
    secret_hint: String,
    admin_id: Option<String>,
    #[serde(default)]
    rate_limit: Option<i64>,
    #[serde(default)]
    personas: Option<String>,
    #[serde(default)]
    project: Option<String>,
    #[serde(default)]
    project_grants: Option<String>,
    #[serde(default)]
    global_admin: i64,
    #[serde(default)]
    member_id: Option<String>,
    #[serde(default = "one")]
    enabled: i64,
    #[serde(default)]
    not_before: Option<i64>,
    #[serde(default)]
    allowed_ips: Option<String>,
    #[serde(default)]
    meta: Option<String>,
    #[serde(default)]
    usage_limit: Option<String>,
    #[serde(default)]
    elevations: Option<String>,
}

impl Row for TokenRow {
    type Sql = TokenSql;
    fn typed(t: TokenSql) -> Result<TokenRow, StoreError> {
        Ok(TokenRow {
            kind: TokenKind::parse(&t.kind).ok_or_else(|| corrupt("token kind", &t.kind))?,
            grants: json_column("token's grants", &t.grants)?,
            personas: json_column("token's personas", t.personas.as_deref().unwrap_or("[]"))?,
            project_grants: json_column(
                "token's project grants",
                t.project_grants.as_deref().unwrap_or("{}"),
            )?,
            global_admin: t.global_admin != 0,
            // Anything but an explicit 0 would be a guess; a corrupt value
            // reads as disabled (fail closed).
            enabled: t.enabled == 1,
            not_before: t.not_before,
            allowed_ips: json_column(
                "token's allowed networks",
                t.allowed_ips.as_deref().unwrap_or("[]"),
            )?,
            meta: json_column("token's metadata", t.meta.as_deref().unwrap_or("{}"))?,
            usage_limit: json_column(
                "token's usage limit",
                t.usage_limit.as_deref().unwrap_or("null"),
            )?,
            elevations: json_column(
                "token's elevations",
                t.elevations.as_deref().unwrap_or("[]"),
            )?,
            // A limit out of range was never written; it reads as none.
            rate_limit: t.rate_limit.and_then(|r| u32::try_from(r).ok()),
            id: t.id,
            client_id: t.client_id,
            name: t.name,
            description: t.description,
            created_by: t.created_by,
            created_at: t.created_at,
            updated_at: t.updated_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            secret_hash: t.secret_hash,
            secret_hint: t.secret_hint,
            admin_id: t.admin_id,
            project: t.project,
            member_id: t.member_id,
        })
    }
}

/// A token's columns, in the order of [`TOKEN_COLUMNS`].
pub(in crate::registry) const TOKEN_COLUMNS: &str = "id, client_id, name, description, kind, grants, created_by, created_at, updated_at, expires_at, last_used_at, secret_hash, secret_hint, admin_id, rate_limit, personas, project, project_grants, global_admin, member_id, enabled, not_before, allowed_ips, meta, usage_limit, elevations";

pub(in crate::registry) fn token_values(
    row: &TokenRow,
) -> Result<Vec<SqlStorageValue>, StoreError> {
    Ok(vec![
        s(&row.id),
        s(&row.client_id),
        s(&row.name),
        s(&row.description),
        s(row.kind.as_str()),
        json(&row.grants)?,
        s(&row.created_by),
        i(row.created_at),
        i(row.updated_at),
        oi(row.expires_at),
        oi(row.last_used_at),
        s(&row.secret_hash),
        s(&row.secret_hint),
        os(row.admin_id.as_deref()),
        oi(row.rate_limit.map(i64::from)),
        json(&row.personas)?,
        os(row.project.as_deref()),
        json(&row.project_grants)?,
        i(i64::from(row.global_admin)),
        os(row.member_id.as_deref()),
        i(i64::from(row.enabled)),
        oi(row.not_before),
        json(&row.allowed_ips)?,
        json(&row.meta)?,
        json(&row.usage_limit)?,
        json(&row.elevations)?,
    ])
}
