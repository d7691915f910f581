//! The registry's SQLite tables as the token authority's ledger.

use super::rows::{i, oi, os, s};
use super::NO_ARGS;
use crate::authority::{self, Ledger, RetiredRow, StoreError, TokenRow};
use keyward_domain::{Grant, TokenKind};
use serde::Deserialize;
use worker::{SqlStorage, SqlStorageValue};

/// The registry's SQLite tables as the token authority's ledger. Each
/// method's statements run in one turn of the object's event loop, which
/// the runtime commits atomically.
pub struct SqlLedger(pub SqlStorage);

impl SqlLedger {
    /// The token's current secret (hash, hint) and when it last changed.
    fn set_secret(&self, row: &TokenRow) -> Result<(), StoreError> {
        self.0.exec(
            "UPDATE tokens SET secret_hash = ?, secret_hint = ?, updated_at = ? WHERE id = ?",
            vec![
                s(&row.secret_hash),
                s(&row.secret_hint),
                i(row.updated_at),
                s(&row.id),
            ],
        )?;
        Ok(())
    }
}

impl Ledger for SqlLedger {
    fn token(&self, id: &str) -> Result<Option<TokenRow>, StoreError> {
        Ok(self
            .0
            .exec("SELECT * FROM tokens WHERE id = ?", vec![s(id)])?
            .to_array::<TokenRow>()?
            .into_iter()
            .next())
    }

    fn retired(&self, token_id: &str, now: i64) -> Result<Vec<RetiredRow>, StoreError> {
        Ok(self
            .0
            .exec(
                "SELECT hash, until FROM retired_secrets WHERE token_id = ? AND until > ?",
                vec![s(token_id), i(now)],
            )?
            .to_array::<RetiredRow>()?)
    }

    fn insert_token(&self, row: &TokenRow) -> Result<(), StoreError> {
        self.0.exec(
            "INSERT INTO tokens (id, client_id, name, description, kind, grants, created_by, created_at, updated_at, expires_at, last_used_at, secret_hash, secret_hint, admin_id, rate_limit, personas, project, project_grants, global_admin, member_id)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                s(&row.id),
                s(&row.client_id),
                s(&row.name),
                s(&row.description),
                s(&row.kind),
                s(&row.grants),
                s(&row.created_by),
                i(row.created_at),
                i(row.updated_at),
                oi(row.expires_at),
                oi(row.last_used_at),
                s(&row.secret_hash),
                s(&row.secret_hint),
                row.admin_id.clone().map(SqlStorageValue::String).unwrap_or(SqlStorageValue::Null),
                oi(row.rate_limit),
                s(&row.personas),
                os(row.project.as_deref()),
                s(&row.project_grants),
                i(row.global_admin),
                os(row.member_id.as_deref()),
            ],
        )?;
        Ok(())
    }

    fn commit_refresh(
        &self,
        row: &TokenRow,
        old_hash: &str,
        until: i64,
        invitation: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        self.set_secret(row)?;
        self.0.exec(
            "INSERT OR REPLACE INTO retired_secrets (hash, token_id, until) VALUES (?, ?, ?)",
            vec![s(old_hash), s(&row.id), i(until)],
        )?;
        if let Some(inv) = invitation {
            self.0.exec(
                "UPDATE invitations SET status = 'accepted', accepted_at = ? WHERE id = ?",
                vec![i(now), s(inv)],
            )?;
        }
        Ok(())
    }

    fn revert_refresh(
        &self,
        before: &TokenRow,
        invitation: Option<&str>,
    ) -> Result<(), StoreError> {
        self.set_secret(before)?;
        self.0.exec(
            "DELETE FROM retired_secrets WHERE hash = ?",
            vec![s(&before.secret_hash)],
        )?;
        if let Some(inv) = invitation {
            self.0.exec(
                "UPDATE invitations SET status = 'pending', accepted_at = NULL WHERE id = ?",
                vec![s(inv)],
            )?;
        }
        Ok(())
    }

    fn delete_token(&self, id: &str) -> Result<(), StoreError> {
        self.0.exec(
            "DELETE FROM retired_secrets WHERE token_id = ?",
            vec![s(id)],
        )?;
        self.0
            .exec("DELETE FROM tokens WHERE id = ?", vec![s(id)])?;
        Ok(())
    }

    fn mark_stale(&self, ids: &[String]) -> Result<(), StoreError> {
        for id in ids {
            self.0.exec(
                "INSERT OR IGNORE INTO pending_replication (token_id) VALUES (?)",
                vec![s(id)],
            )?;
        }
        Ok(())
    }

    fn clear_stale(&self, id: &str) -> Result<(), StoreError> {
        self.0.exec(
            "DELETE FROM pending_replication WHERE token_id = ?",
            vec![s(id)],
        )?;
        Ok(())
    }

    fn stale(&self) -> Result<Vec<String>, StoreError> {
        #[derive(Deserialize)]
        struct Pending {
            token_id: String,
        }
        Ok(self
            .0
            .exec("SELECT token_id FROM pending_replication", NO_ARGS)?
            .to_array::<Pending>()?
            .into_iter()
            .map(|p| p.token_id)
            .collect())
    }

    fn context(&self, row: &TokenRow) -> Result<authority::RecordContext, StoreError> {
        if row.kind != TokenKind::Personal.as_str() {
            return Ok(authority::RecordContext {
                inherited: self.persona_grants(&row.personas)?,
                ..Default::default()
            });
        }
        // A personal key holds exactly what its user holds, now: without a
        // user it holds nothing.
        let Some(member) = &row.member_id else {
            return Ok(Default::default());
        };
        let Some(user) = self.user_token(member)? else {
            return Ok(Default::default());
        };
        let mut inherited: Vec<Grant> =
            serde_json::from_str(&user.grants).map_err(|e| StoreError(e.to_string()))?;
        inherited.extend(self.persona_grants(&user.personas)?);
        Ok(authority::RecordContext {
            inherited,
            acting_as: Some(user.client_id.clone()),
            project: user.project(),
        })
    }
}

impl SqlLedger {
    /// The grants of the personas in a token's `personas` column; personas
    /// deleted meanwhile give nothing.
    pub fn persona_grants(&self, personas_json: &str) -> Result<Vec<Grant>, StoreError> {
        let ids: Vec<String> =
            serde_json::from_str(personas_json).map_err(|e| StoreError(e.to_string()))?;
        let mut grants = vec![];
        for id in ids {
            #[derive(Deserialize)]
            struct G {
                grants: String,
            }
            for row in self
                .0
                .exec("SELECT grants FROM personas WHERE id = ?", vec![s(&id)])?
                .to_array::<G>()?
            {
                let g: Vec<Grant> =
                    serde_json::from_str(&row.grants).map_err(|e| StoreError(e.to_string()))?;
                grants.extend(g);
            }
        }
        Ok(grants)
    }

    pub fn user_token(&self, member_id: &str) -> Result<Option<TokenRow>, StoreError> {
        Ok(self
            .0
            .exec(
                "SELECT * FROM tokens WHERE member_id = ? AND kind = 'user'",
                vec![s(member_id)],
            )?
            .to_array::<TokenRow>()?
            .into_iter()
            .next())
    }
}
