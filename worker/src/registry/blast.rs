//! The blast radius of a directory change (`?dry_run=true`, issue 18).
//!
//! A change that reaches several tokens (a persona's grants, a member's,
//! deleting either) is first written down as a [`Plan`]: the persona and
//! token rows as it would leave them. The preview and the real change both
//! start from that plan: the preview reads each affected token's records
//! through it with the same walk replication uses
//! ([`ledger::context_with`]); the real change writes exactly its rows, and
//! then checks that the records it wrote give what the preview said.

use super::fault::{Fault, RegResult};
use super::ledger::{context_with, Lookup, SqlLedger};
use super::rows::PersonaRow;
use super::RegistryObject;
use crate::authority::{Ledger, StoreError, TokenRow};
use keyward_domain::blast::{BlastRadius, TokenRef};
use keyward_domain::Access;
use std::collections::BTreeMap;

/// What a directory command answers: the change made, or its preview.
pub(super) enum Answer<T> {
    Done(T),
    Preview(BlastRadius),
}

impl<T: serde::Serialize> Answer<T> {
    pub(super) fn to_json(&self) -> RegResult<String> {
        match self {
            Answer::Done(t) => super::rows::to_json(t),
            Answer::Preview(radius) => super::rows::to_json(radius),
        }
    }
}

/// A change, as the rows it leaves, computed before anything is written.
pub(super) struct Plan {
    /// Personas as the change leaves them (`None`: deleted).
    personas: BTreeMap<String, Option<PersonaRow>>,
    /// Tokens as the change leaves them (`None`: deleted).
    tokens: BTreeMap<String, Option<TokenRow>>,
    /// Every token whose records the change rewrites or removes, as they
    /// are now.
    affected: Vec<TokenRow>,
}

impl Plan {
    pub(super) fn reaching(affected: Vec<TokenRow>) -> Plan {
        Plan {
            personas: BTreeMap::new(),
            tokens: BTreeMap::new(),
            affected,
        }
    }

    pub(super) fn persona(mut self, id: &str, row: Option<PersonaRow>) -> Plan {
        self.personas.insert(id.to_string(), row);
        self
    }

    pub(super) fn token(mut self, id: &str, row: Option<TokenRow>) -> Plan {
        self.tokens.insert(id.to_string(), row);
        self
    }

    /// The token rows the change writes (deleted ones excluded).
    pub(super) fn written(&self) -> impl Iterator<Item = &TokenRow> {
        self.tokens.values().flatten()
    }

    /// The stored rows with the plan laid over them.
    fn over<'a>(&'a self, stored: &'a SqlLedger) -> Planned<'a> {
        Planned { plan: self, stored }
    }
}

/// The rows as they will be once the plan is written.
struct Planned<'a> {
    plan: &'a Plan,
    stored: &'a SqlLedger,
}

impl Lookup for Planned<'_> {
    fn persona(&self, id: &str) -> Result<Option<PersonaRow>, StoreError> {
        match self.plan.personas.get(id) {
            Some(planned) => Ok(planned.clone()),
            None => self.stored.persona(id),
        }
    }

    fn user_token(&self, member_id: &str) -> Result<Option<TokenRow>, StoreError> {
        let Some(stored) = self.stored.user_token(member_id)? else {
            return Ok(None);
        };
        match self.plan.tokens.get(&stored.id) {
            Some(planned) => Ok(planned.clone()),
            None => Ok(Some(stored)),
        }
    }
}

/// What the edge will decide with for this row: its KV record's access,
/// built as replication builds the record.
fn access_of(row: &TokenRow, lookup: &impl Lookup) -> Result<Access, StoreError> {
    let now = crate::store::now().unix_timestamp();
    Ok(row.record(&context_with(row, lookup)?, None).access(now))
}

/// The accesses of a plan's affected tokens before it is written.
pub(super) struct Before(Vec<Access>);

impl RegistryObject {
    /// Each affected token's access now, from its stored rows.
    pub(super) fn before(&self, plan: &Plan) -> RegResult<Before> {
        let stored = self.ledger();
        Ok(Before(
            plan.affected
                .iter()
                .map(|row| access_of(row, &stored))
                .collect::<Result<_, _>>()?,
        ))
    }

    /// The plan's blast radius: each affected token's access before,
    /// against its access once the plan is written, read through the plan.
    pub(super) fn blast(
        &self,
        action: &str,
        plan: &Plan,
        before: &Before,
    ) -> RegResult<BlastRadius> {
        let stored = self.ledger();
        let planned = plan.over(&stored);
        self.radius(action, plan, before, |row| {
            let after_row = match plan.tokens.get(&row.id) {
                Some(planned) => planned.clone(),
                None => Some(row.clone()),
            };
            after_row
                .as_ref()
                .map(|r| access_of(r, &planned))
                .transpose()
        })
    }

    /// After the plan is written: each affected token's access as the
    /// stored rows now give it must be what the preview said. The change
    /// is made by then, so a disagreement is logged, not undone: it would
    /// mean the preview showed something other than what happened.
    pub(super) fn confirm(&self, plan: &Plan, before: &Before, preview: &BlastRadius) {
        let stored = self.ledger();
        let observed = self.radius(&preview.action, plan, before, |row| {
            stored
                .token(&row.id)?
                .map(|now| access_of(&now, &stored))
                .transpose()
        });
        match observed {
            Ok(observed) if observed == *preview => {}
            Ok(_) => worker::console_error!(
                "{}: the records written differ from the change's preview",
                preview.action
            ),
            Err(e) => worker::console_error!("{}: change not confirmed: {e:?}", preview.action),
        }
    }

    fn radius(
        &self,
        action: &str,
        plan: &Plan,
        before: &Before,
        mut after: impl FnMut(&TokenRow) -> Result<Option<Access>, StoreError>,
    ) -> RegResult<BlastRadius> {
        let table = crate::gateway_table::table().map_err(|e| Fault::Internal(e.problem.detail))?;
        let mut radius = BlastRadius::new(action);
        for (row, was) in plan.affected.iter().zip(&before.0) {
            let after = after(row)?;
            radius.add(
                &self.catalog,
                table,
                TokenRef {
                    id: row.id.clone(),
                    name: row.name.clone(),
                },
                row.kind,
                was,
                after.as_ref(),
            );
        }
        Ok(radius)
    }
}
