//! The directory's personas: named sets of grants that tokens link.

use super::audit::{Changed, Entry};
use super::blast::{Answer, Plan};
use super::directory::admins_only;
use super::fault::{Fault, RegResult};
use super::rows::{i, json, s, select, PersonaRow, Typed};
use super::{Actor, RegistryObject, NO_ARGS};
use crate::authority::{ts, TokenRow};
use crate::store;
use keyward_domain::api::{Outcome, Persona};
use keyward_domain::contract::Endpoint;
use keyward_domain::{Grant, RegistryError, TokenKind};

/// `LIKE` pattern for an id inside a JSON list column.
fn in_list(id: &str) -> String {
    format!("%\"{id}\"%")
}

impl RegistryObject {
    pub(super) fn personas(&self) -> RegResult<Vec<Persona>> {
        select::<PersonaRow>(&self.sql(), "SELECT * FROM personas ORDER BY name", NO_ARGS)?
            .iter()
            .map(|p| self.persona_view(p))
            .collect()
    }

    /// The personas a token holds through: its own, or its user's.
    pub(super) fn personas_behind(&self, token_id: &str) -> RegResult<Vec<String>> {
        let row = self.token_row(token_id)?;
        match (&row.member_id, row.kind) {
            (Some(member), TokenKind::Personal) => Ok(self.user_token_of(member)?.personas),
            _ => Ok(row.personas),
        }
    }

    pub(super) fn persona_row(&self, id: &str) -> RegResult<PersonaRow> {
        self.sql()
            .exec("SELECT * FROM personas WHERE id = ?", vec![s(id)])?
            .rows::<PersonaRow>()?
            .into_iter()
            .next()
            .ok_or_else(|| Fault::not_found("persona"))
    }

    pub(super) fn persona_view(&self, row: &PersonaRow) -> RegResult<Persona> {
        Ok(Persona {
            id: row.id.clone(),
            name: row.name.clone(),
            description: row.description.clone(),
            grants: row.grants.clone(),
            created_by: row.created_by.clone(),
            created_at: ts(row.created_at),
            updated_at: ts(row.updated_at),
            linked_tokens: self.linking(&row.id)?.len() as u64,
        })
    }

    /// Every token that links the persona.
    fn linking(&self, persona_id: &str) -> RegResult<Vec<TokenRow>> {
        Ok(self
            .sql()
            .exec(
                "SELECT * FROM tokens WHERE personas LIKE ?",
                vec![s(in_list(persona_id))],
            )?
            .rows::<TokenRow>()?
            .into_iter()
            // LIKE is a pre-filter; the JSON list decides.
            .filter(|t| t.personas.iter().any(|p| p == persona_id))
            .collect())
    }

    fn persona_name_taken(&self, name: &str, except: &str) -> RegResult<bool> {
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
    ) -> RegResult<Persona> {
        admins_only(actor, "managing personas")?;
        if self.persona_name_taken(&name, "")? {
            return Err(Fault::conflict(format!(
                "a persona named '{name}' already exists"
            )));
        }
        let row = PersonaRow {
            id: store::random_id("per_", 16),
            name,
            description,
            grants,
            created_by: actor.client_id(),
            created_at: now,
            updated_at: now,
        };
        self.sql().exec(
            "INSERT INTO personas (id, name, description, grants, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            vec![s(&row.id), s(&row.name), s(&row.description), json(&row.grants)?, s(&row.created_by), i(now), i(now)],
        )?;
        self.audit_as(
            actor,
            Entry::new(
                Endpoint::CreatePersona,
                &row.id,
                Outcome::Success,
                &format!("created persona '{}'", row.name),
            ),
            now,
        )?;
        self.persona_view(&row)
    }

    /// The tokens plus the personal keys of any user token among them.
    fn stale_with(&self, linked: &[TokenRow]) -> RegResult<Vec<TokenRow>> {
        let mut stale = linked.to_vec();
        for row in linked {
            stale.extend(self.dependents(row)?);
        }
        Ok(stale)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn update_persona(
        &self,
        actor: &Actor,
        id: &str,
        name: Option<String>,
        description: Option<String>,
        grants: Option<Vec<Grant>>,
        dry_run: bool,
        now: i64,
    ) -> RegResult<Answer<Persona>> {
        admins_only(actor, "managing personas")?;
        let mut row = self.persona_row(id)?;
        if let Some(n) = &name {
            if *n != row.name && self.persona_name_taken(n, id)? {
                return Err(Fault::conflict(format!(
                    "a persona named '{n}' already exists"
                )));
            }
        }
        let mut changed = Changed::default();
        changed.set("name", &mut row.name, name);
        changed.set("description", &mut row.description, description);
        changed.set("grants", &mut row.grants, grants);
        row.updated_at = now;
        // Within this command, before the answer: the lock keeps any other
        // change out until every linked token holds the new grants.
        let linked = self.linking(id)?;
        let stale = self.stale_with(&linked)?;
        // The preview and the change start from the same plan: the persona
        // as it will be, and every token whose records it rewrites.
        let plan = Plan::reaching(stale.clone()).persona(id, Some(row.clone()));
        let before = self.before(&plan)?;
        let radius = self.blast(Endpoint::UpdatePersona.action(), &plan, &before)?;
        if dry_run {
            return Ok(Answer::Preview(radius));
        }
        self.note_stale(&stale)?;
        self.sql().exec(
            "UPDATE personas SET name = ?, description = ?, grants = ?, updated_at = ? WHERE id = ?",
            vec![s(&row.name), s(&row.description), json(&row.grants)?, i(now), s(id)],
        )?;
        self.rewrite_stale(&stale, now).await?;
        self.confirm(&plan, &before, &radius);
        let tokens = linked.len();
        self.audit_as(
            actor,
            Entry::new(
                Endpoint::UpdatePersona,
                id,
                Outcome::Success,
                &format!(
                    "changed {}; {tokens} linked token(s) updated",
                    changed.list()
                ),
            ),
            now,
        )?;
        Ok(Answer::Done(self.persona_view(&row)?))
    }

    pub(super) async fn delete_persona(
        &self,
        actor: &Actor,
        id: &str,
        unlink: bool,
        dry_run: bool,
        now: i64,
    ) -> RegResult<Answer<()>> {
        admins_only(actor, "managing personas")?;
        let row = self.persona_row(id)?;
        let linked = self.linking(id)?;
        if !linked.is_empty() && !unlink {
            return Err(RegistryError::PersonaInUse {
                persona: row.name,
                tokens: linked.len(),
            }
            .into());
        }
        // The tokens are noted stale first; then every registry change, in
        // one step; then their KV records.
        let stale = self.stale_with(&linked)?;
        // One plan for the preview and the change: the persona gone, each
        // linked token without it.
        let mut plan = Plan::reaching(stale.clone()).persona(id, None);
        for token in &linked {
            let mut after = token.clone();
            after.personas.retain(|p| p != id);
            after.updated_at = now;
            plan = plan.token(&token.id, Some(after));
        }
        let before = self.before(&plan)?;
        let radius = self.blast(Endpoint::DeletePersona.action(), &plan, &before)?;
        if dry_run {
            return Ok(Answer::Preview(radius));
        }
        self.note_stale(&stale)?;
        for token in plan.written() {
            self.sql().exec(
                "UPDATE tokens SET personas = ?, updated_at = ? WHERE id = ?",
                vec![json(&token.personas)?, i(token.updated_at), s(&token.id)],
            )?;
        }
        self.sql()
            .exec("DELETE FROM personas WHERE id = ?", vec![s(id)])?;
        self.rewrite_stale(&stale, now).await?;
        self.confirm(&plan, &before, &radius);
        self.audit_as(
            actor,
            Entry::new(
                Endpoint::DeletePersona,
                id,
                Outcome::Success,
                &format!(
                    "deleted persona '{}', unlinked from {} token(s)",
                    row.name,
                    linked.len()
                ),
            ),
            now,
        )?;
        Ok(Answer::Done(()))
    }
}
