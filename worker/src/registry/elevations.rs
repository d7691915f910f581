//! Time-boxed elevations (issue 18): requested, approved when the
//! token's project asks for a second admin, and ended early. Each change
//! rewrites the token's KV record like any edit; the end at `until` needs
//! no write at all, because the edge counts an elevation only until then.

use super::audit::Entry;
use super::fault::{Fault, RegResult};
use super::{Actor, RegistryObject};
use crate::authority::TokenRow;
use crate::store;
use keyward_domain::api::Outcome;
use keyward_domain::contract::Endpoint;
use keyward_domain::elevation::{self, Elevate, Elevation, ElevationStatus, Raise};
use keyward_domain::{policy, Grant, TokenKind};

/// An instant for the audit log's sentences.
fn instant(secs: i64) -> String {
    crate::authority::ts(secs)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| secs.to_string())
}

fn listed(grants: &[Grant]) -> String {
    grants
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl RegistryObject {
    /// A token that may carry elevations, seen and managed by `actor`,
    /// with the elevations that ended already dropped.
    fn elevatable(&self, actor: &Actor, id: &str, now: i64) -> RegResult<TokenRow> {
        let mut row = self.token_row(id)?;
        self.check_sees(actor, &row)?;
        // Elevations raise a project token's grants in its project; keys
        // that hold per project, admins and members' keys are changed
        // otherwise (their grants, a member's persona).
        if row.kind != TokenKind::Scoped {
            return Err(Fault::conflict(format!(
                "only project tokens are elevated; this is a {} token",
                row.kind.as_str()
            )));
        }
        row.elevations.retain(|e| e.is_current(now));
        Ok(row)
    }

    fn find(row: &TokenRow, elevation: &str) -> RegResult<usize> {
        row.elevations
            .iter()
            .position(|e| e.id == elevation)
            .ok_or_else(|| Fault::not_found("elevation"))
    }

    pub(super) async fn elevate(
        &self,
        actor: &Actor,
        id: &str,
        request: Elevate,
        now: i64,
    ) -> RegResult<Elevation> {
        let mut row = self.elevatable(actor, id, now)?;
        let (grants, persona) = match request.raise {
            Raise::Grants(g) => (g, None),
            Raise::Persona(p) => {
                self.require_personas(std::slice::from_ref(&p))
                    .map_err(|_| {
                        Fault::invalid(vec![keyward_domain::FieldError::new(
                            "persona",
                            format!("there is no persona '{p}'"),
                        )])
                    })?;
                (self.persona_row(&p)?.grants, Some(p))
            }
        };
        if grants.is_empty() {
            return Err(Fault::invalid(vec![keyward_domain::FieldError::new(
                "persona",
                "this persona grants nothing",
            )]));
        }
        elevation::within_expiry(request.until, row.expires_at)
            .map_err(|e| Fault::invalid(vec![e]))?;
        policy::may_elevate(
            &actor.policy(),
            &self.subject(&row)?,
            &grants,
            &self.catalog,
            self.default_rate_limit()?,
        )?;
        let approval = match row.project() {
            Some(p) => self.project_row(&p)?.elevation_approval != 0,
            None => false,
        };
        let elevation = Elevation {
            id: store::random_id("elv_", 16),
            grants,
            persona,
            until: crate::authority::ts(request.until),
            reason: request.reason,
            requested_by: actor.client_id(),
            requested_by_person: Some(self.person_of(&actor.client_id())?),
            requested_at: crate::authority::ts(now),
            status: if approval {
                ElevationStatus::Pending
            } else {
                ElevationStatus::Active
            },
            approved_by: None,
        };
        row.elevations.push(elevation.clone());
        row.updated_at = now;
        self.save_token(&row, now).await?;
        let from = elevation
            .persona
            .as_ref()
            .map(|p| format!(" (persona {p})"))
            .unwrap_or_default();
        let detail = format!(
            "{} {}: {}{from} until {} because: {}",
            if approval {
                "requested elevation"
            } else {
                "elevated by"
            },
            elevation.id,
            listed(&elevation.grants),
            instant(request.until),
            elevation.reason,
        );
        self.audit_as(
            actor,
            Entry::new(Endpoint::ElevateToken, id, Outcome::Success, &detail),
            now,
        )?;
        Ok(elevation)
    }

    pub(super) async fn approve_elevation(
        &self,
        actor: &Actor,
        id: &str,
        elevation: &str,
        now: i64,
    ) -> RegResult<Elevation> {
        let mut row = self.elevatable(actor, id, now)?;
        let n = Self::find(&row, elevation)?;
        let wanted = row.elevations[n].clone();
        if wanted.status == ElevationStatus::Active {
            return Err(Fault::conflict("this elevation is running already"));
        }
        // The token as the approver lets it be: with the elevation's grants.
        // Four-eyes compares people: the requester's other keys are still
        // the requester.
        let approver = self.traced(actor)?;
        let requester = match &wanted.requested_by_person {
            Some(person) => person.clone(),
            None => self.person_of(&wanted.requested_by)?,
        };
        policy::may_approve(
            &approver.policy(),
            &requester,
            &self.subject(&row)?,
            &wanted.grants,
            &self.catalog,
            self.default_rate_limit()?,
        )?;
        row.elevations[n].status = ElevationStatus::Active;
        row.elevations[n].approved_by = Some(actor.client_id());
        row.updated_at = now;
        self.save_token(&row, now).await?;
        let detail = format!(
            "approved elevation {elevation} requested by {}: {} until {} because: {}",
            wanted.requested_by,
            listed(&wanted.grants),
            instant(wanted.until.unix_timestamp()),
            wanted.reason,
        );
        self.audit_as(
            actor,
            Entry::new(Endpoint::ApproveElevation, id, Outcome::Success, &detail),
            now,
        )?;
        Ok(row.elevations[n].clone())
    }

    /// Ends (or withdraws, while pending) an elevation now.
    pub(super) async fn end_elevation(
        &self,
        actor: &Actor,
        id: &str,
        elevation: &str,
        now: i64,
    ) -> RegResult<()> {
        let mut row = self.elevatable(actor, id, now)?;
        let n = Self::find(&row, elevation)?;
        self.check_may_manage(actor, &row)?;
        let ended = row.elevations.remove(n);
        row.updated_at = now;
        self.save_token(&row, now).await?;
        let detail = format!(
            "ended elevation {elevation} ({}) before {}",
            listed(&ended.grants),
            instant(ended.until.unix_timestamp()),
        );
        self.audit_as(
            actor,
            Entry::new(Endpoint::EndElevation, id, Outcome::Success, &detail),
            now,
        )?;
        Ok(())
    }
}
