//! The registry's SQLite tables as the token authority's ledger.

use super::rows::{i, s, select, token_values, PersonaRow, TOKEN_COLUMNS};
use super::NO_ARGS;
use crate::authority::{self, Ledger, RetiredRow, StoreError, Switch, TokenRow};
use keyward_domain::{Grant, TokenKind};
use serde::Deserialize;
use worker::SqlStorage;

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
        Ok(
            select::<TokenRow>(&self.0, "SELECT * FROM tokens WHERE id = ?", vec![s(id)])?
                .into_iter()
                .next(),
        )
    }

    fn retired(&self, token_id: &str, now: i64) -> Result<Vec<RetiredRow>, StoreError> {
        select(
            &self.0,
            "SELECT hash, until, hint FROM retired_secrets WHERE token_id = ? AND until > ?",
            vec![s(token_id), i(now)],
        )
    }

    fn insert_token(&self, row: &TokenRow) -> Result<(), StoreError> {
        let values = token_values(row)?;
        let marks = vec!["?"; values.len()].join(", ");
        self.0.exec(
            &format!("INSERT INTO tokens ({TOKEN_COLUMNS}) VALUES ({marks})"),
            values,
        )?;
        Ok(())
    }

    fn commit_refresh(&self, switch: &Switch<'_>) -> Result<(), StoreError> {
        let Switch {
            row,
            old_hash,
            old_hint,
            until,
            invitation,
            now,
        } = *switch;
        self.set_secret(row)?;
        self.0.exec(
            "INSERT OR REPLACE INTO retired_secrets (hash, token_id, until, hint) VALUES (?, ?, ?, ?)",
            vec![s(old_hash), s(&row.id), i(until), s(old_hint)],
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
        context_with(row, self)
    }
}

/// Where a token's inherited grants are read from: the stored rows, or
/// the rows a planned change would leave (the blast-radius preview).
pub(super) trait Lookup {
    fn persona(&self, id: &str) -> Result<Option<PersonaRow>, StoreError>;
    fn user_token(&self, member_id: &str) -> Result<Option<TokenRow>, StoreError>;
}

impl Lookup for SqlLedger {
    fn persona(&self, id: &str) -> Result<Option<PersonaRow>, StoreError> {
        Ok(
            select::<PersonaRow>(&self.0, "SELECT * FROM personas WHERE id = ?", vec![s(id)])?
                .into_iter()
                .next(),
        )
    }

    fn user_token(&self, member_id: &str) -> Result<Option<TokenRow>, StoreError> {
        SqlLedger::user_token(self, member_id)
    }
}

/// What a token's KV record carries besides the token: the one walk both
/// replication ([`Ledger::context`]) and the preview of a change use, so
/// a preview cannot disagree with the records the change then writes.
pub(super) fn context_with(
    row: &TokenRow,
    lookup: &impl Lookup,
) -> Result<authority::RecordContext, StoreError> {
    if row.kind != TokenKind::Personal {
        return Ok(authority::RecordContext {
            inherited: persona_grants(lookup, &row.personas)?,
            ..Default::default()
        });
    }
    // A personal key holds exactly what its user holds, now: without a
    // user it holds nothing.
    let Some(member) = &row.member_id else {
        return Ok(Default::default());
    };
    let Some(user) = lookup.user_token(member)? else {
        return Ok(Default::default());
    };
    let mut inherited = user.grants.clone();
    inherited.extend(persona_grants(lookup, &user.personas)?);
    Ok(authority::RecordContext {
        inherited,
        acting_as: Some(user.client_id.clone()),
        project: user.project(),
    })
}

/// The grants of these personas; personas deleted meanwhile give nothing.
fn persona_grants(lookup: &impl Lookup, personas: &[String]) -> Result<Vec<Grant>, StoreError> {
    let mut grants = vec![];
    for id in personas {
        if let Some(persona) = lookup.persona(id)? {
            grants.extend(persona.grants);
        }
    }
    Ok(grants)
}

impl SqlLedger {
    pub fn user_token(&self, member_id: &str) -> Result<Option<TokenRow>, StoreError> {
        Ok(select::<TokenRow>(
            &self.0,
            "SELECT * FROM tokens WHERE member_id = ? AND kind = 'user'",
            vec![s(member_id)],
        )?
        .into_iter()
        .next())
    }
}
