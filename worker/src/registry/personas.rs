//! The directory's personas: named sets of grants that tokens link.

use super::directory::admins_only;
use super::rows::{i, s, to_json, PersonaRow};
use super::{Actor, RegistryObject, NO_ARGS};
use crate::authority::{ts, TokenRow};
use crate::http::{ApiError, ApiResult};
use crate::store;
use keyward_domain::api::{Outcome, Persona};
use keyward_domain::{ErrorCode, Grant};
use serde::de::DeserializeOwned;

fn json_list<T: DeserializeOwned>(raw: &str) -> ApiResult<Vec<T>> {
    serde_json::from_str(raw).map_err(ApiError::unavailable)
}

/// `LIKE` pattern for an id inside a JSON list column.
fn in_list(id: &str) -> String {
    format!("%\"{id}\"%")
}

impl RegistryObject {
    pub(super) fn personas(&self) -> ApiResult<Vec<Persona>> {
        self.sql()
            .exec("SELECT * FROM personas ORDER BY name", NO_ARGS)?
            .to_array::<PersonaRow>()?
            .iter()
            .map(|p| self.persona_view(p))
            .collect()
    }

    /// The personas a token holds through: its own, or its user's.
    pub(super) fn personas_behind(&self, token_id: &str) -> ApiResult<Vec<String>> {
        let row = self.token_row(token_id)?;
        match (&row.member_id, row.kind.as_str()) {
            (Some(member), "personal") => self.user_token_of(member)?.persona_ids(),
            _ => row.persona_ids(),
        }
    }

    pub(super) fn persona_row(&self, id: &str) -> ApiResult<PersonaRow> {
        self.sql()
            .exec("SELECT * FROM personas WHERE id = ?", vec![s(id)])?
            .to_array::<PersonaRow>()?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::not_found("persona"))
    }

    pub(super) fn persona_view(&self, row: &PersonaRow) -> ApiResult<Persona> {
        Ok(Persona {
            id: row.id.clone(),
            name: row.name.clone(),
            description: row.description.clone(),
            grants: json_list(&row.grants)?,
            created_by: row.created_by.clone(),
            created_at: ts(row.created_at),
            updated_at: ts(row.updated_at),
            linked_tokens: self.linking(&row.id)?.len() as u64,
        })
    }

    /// Every token that links the persona.
    fn linking(&self, persona_id: &str) -> ApiResult<Vec<TokenRow>> {
        Ok(self
            .sql()
            .exec(
                "SELECT * FROM tokens WHERE personas LIKE ?",
                vec![s(in_list(persona_id))],
            )?
            .to_array::<TokenRow>()?
            .into_iter()
            // LIKE is a pre-filter; the JSON list decides.
            .filter(|t| {
                t.persona_ids()
                    .map(|ids| ids.iter().any(|i| i == persona_id))
                    .unwrap_or(false)
            })
            .collect())
    }

    fn persona_name_taken(&self, name: &str, except: &str) -> ApiResult<bool> {
        Ok(self.count(
            "SELECT COUNT(*) AS n FROM personas WHERE name = ? AND id != ?",
            vec![s(name), s(except)],
        )? > 0)
    }

    pub(super) fn create_persona(
        &self,
        actor: &Actor,
        name: String,
        description: String,
        grants: Vec<Grant>,
        now: i64,
    ) -> ApiResult<Persona> {
        admins_only(actor, "managing personas")?;
        if self.persona_name_taken(&name, "")? {
            return Err(ApiError::conflict(format!(
                "a persona named '{name}' already exists"
            )));
        }
        let row = PersonaRow {
            id: store::random_id("per_", 16),
            name,
            description,
            grants: to_json(&grants)?,
            created_by: actor.client_id.clone(),
            created_at: now,
            updated_at: now,
        };
        self.sql().exec(
            "INSERT INTO personas (id, name, description, grants, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            vec![s(&row.id), s(&row.name), s(&row.description), s(&row.grants), s(&row.created_by), i(now), i(now)],
        )?;
        self.audit_as(
            actor,
            "persona.create",
            &row.id,
            Outcome::Success,
            &format!("created persona '{}'", row.name),
            now,
        )?;
        self.persona_view(&row)
    }

    /// The tokens plus the personal keys of any user token among them.
    fn stale_with(&self, linked: &[TokenRow]) -> ApiResult<Vec<TokenRow>> {
        let mut stale = linked.to_vec();
        for row in linked {
            stale.extend(self.dependents(row)?);
        }
        Ok(stale)
    }

    pub(super) async fn update_persona(
        &self,
        actor: &Actor,
        id: &str,
        name: Option<String>,
        description: Option<String>,
        grants: Option<Vec<Grant>>,
        now: i64,
    ) -> ApiResult<Persona> {
        admins_only(actor, "managing personas")?;
        let mut row = self.persona_row(id)?;
        let mut changed = vec![];
        if let Some(n) = name {
            if n != row.name && self.persona_name_taken(&n, id)? {
                return Err(ApiError::conflict(format!(
                    "a persona named '{n}' already exists"
                )));
            }
            row.name = n;
            changed.push("name");
        }
        if let Some(d) = description {
            row.description = d;
            changed.push("description");
        }
        if let Some(g) = grants {
            row.grants = to_json(&g)?;
            changed.push("grants");
        }
        row.updated_at = now;
        // Within this command, before the answer: the lock keeps any other
        // change out until every linked token holds the new grants.
        let linked = self.linking(id)?;
        let stale = self.stale_with(&linked)?;
        self.note_stale(&stale)?;
        self.sql().exec(
            "UPDATE personas SET name = ?, description = ?, grants = ?, updated_at = ? WHERE id = ?",
            vec![s(&row.name), s(&row.description), s(&row.grants), i(now), s(id)],
        )?;
        self.rewrite_stale(&stale, now).await?;
        let tokens = linked.len();
        self.audit_as(
            actor,
            "persona.update",
            id,
            Outcome::Success,
            &format!(
                "changed {}; {tokens} linked token(s) updated",
                changed.join(", ")
            ),
            now,
        )?;
        self.persona_view(&row)
    }

    pub(super) async fn delete_persona(
        &self,
        actor: &Actor,
        id: &str,
        unlink: bool,
        now: i64,
    ) -> ApiResult<()> {
        admins_only(actor, "managing personas")?;
        let row = self.persona_row(id)?;
        let linked = self.linking(id)?;
        if !linked.is_empty() && !unlink {
            return Err(ApiError::new(
                ErrorCode::PersonaInUse,
                format!(
                    "{} token(s) link the persona '{}'; delete with ?unlink=true to unlink them too",
                    linked.len(),
                    row.name
                ),
            ));
        }
        // The tokens are noted stale first; then every registry change, in
        // one step; then their KV records.
        let stale = self.stale_with(&linked)?;
        self.note_stale(&stale)?;
        for token in &linked {
            let kept: Vec<String> = token
                .persona_ids()?
                .into_iter()
                .filter(|p| p != id)
                .collect();
            self.sql().exec(
                "UPDATE tokens SET personas = ?, updated_at = ? WHERE id = ?",
                vec![s(to_json(&kept)?), i(now), s(&token.id)],
            )?;
        }
        self.sql()
            .exec("DELETE FROM personas WHERE id = ?", vec![s(id)])?;
        self.rewrite_stale(&stale, now).await?;
        self.audit_as(
            actor,
            "persona.delete",
            id,
            Outcome::Success,
            &format!(
                "deleted persona '{}', unlinked from {} token(s)",
                row.name,
                linked.len()
            ),
            now,
        )
    }
}
