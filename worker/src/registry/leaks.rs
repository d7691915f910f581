//! Secrets reported found in public (`POST /leaks`): each live one is
//! stopped per its project's choice, and the audit and the admins are told.

use super::audit::Entry;
use super::fault::RegResult;
use super::rows::{s, select, AdminRow};
use super::{LeakFound, LeakNotice, LeakSighting, RegistryObject};
use crate::authority::{Replica, TokenRow};
use keyward_domain::api::{LeakResponse, Outcome};
use keyward_domain::contract::Event;
use keyward_domain::leak::LeakAction;
use keyward_domain::TokenKind;
use serde::Deserialize;

#[derive(Deserialize)]
struct RetiredOwner {
    token_id: String,
}

impl RegistryObject {
    pub(super) async fn report_leaks(
        &self,
        sightings: Vec<LeakSighting>,
        now: i64,
    ) -> RegResult<LeakFound> {
        let mut actions = vec![];
        let mut notices = vec![];
        for sighting in sightings {
            let Some(hash) = sighting.hash else {
                actions.push(LeakAction::None);
                continue;
            };
            let (action, row) = self
                .stop_leaked(&hash, sighting.url.as_deref(), now)
                .await?;
            if let (Some(row), true) = (row, action != LeakAction::None) {
                notices.push(LeakNotice {
                    token_id: row.id.clone(),
                    name: row.name.clone(),
                    kind: row.kind,
                    project: row.project(),
                    action,
                    url: sighting.url.clone(),
                });
            }
            actions.push(action);
        }
        let admins = if notices.is_empty() {
            vec![]
        } else {
            select::<AdminRow>(
                &self.sql(),
                "SELECT * FROM admins ORDER BY created_at, id",
                super::NO_ARGS,
            )?
            .into_iter()
            .map(|a| a.email)
            .collect()
        };
        Ok(LeakFound {
            actions,
            notices,
            admins,
        })
    }

    /// Stops the token a leaked secret belongs to. A current secret's
    /// token is disabled or revoked (its project says which); a secret a
    /// refresh already replaced just stops working, as its overlap would
    /// have ended anyway.
    async fn stop_leaked(
        &self,
        hash: &str,
        url: Option<&str>,
        now: i64,
    ) -> RegResult<(LeakAction, Option<TokenRow>)> {
        let found = select::<TokenRow>(
            &self.sql(),
            "SELECT * FROM tokens WHERE secret_hash = ?",
            vec![s(hash)],
        )?;
        let whence = url.map_or(String::new(), |u| format!(" at {u}"));
        if let Some(mut row) = found.into_iter().next() {
            let project = row.project();
            let response = match &project {
                Some(p) => self
                    .project_row(p)
                    .map(|p| p.leak_response())
                    .unwrap_or_default(),
                None => LeakResponse::Disable,
            };
            // A master or user token goes with its admin or member, so it
            // is disabled whatever the project says; any other token of a
            // revoking project is deleted even if it was disabled already,
            // so nobody can enable the leaked secret again.
            let revocable = !matches!(row.kind, TokenKind::Master | TokenKind::User);
            let action = match response {
                LeakResponse::Revoke if revocable => {
                    self.remove_token(&row).await?;
                    LeakAction::Revoked
                }
                _ if !row.enabled => LeakAction::AlreadyStopped,
                _ => {
                    row.enabled = false;
                    row.updated_at = now;
                    self.save_token(&row, now).await?;
                    LeakAction::Disabled
                }
            };
            let detail = format!(
                "the secret of '{}' was reported found in public{whence}; {}",
                row.name,
                match action {
                    LeakAction::Disabled => "the token was disabled",
                    LeakAction::Revoked => "the token was deleted",
                    _ => "the token was already disabled",
                }
            );
            self.audit_system(
                project.as_deref(),
                Entry::new(Event::TokenLeak, &row.id, Outcome::Success, &detail),
                now,
            )?;
            return Ok((action, Some(row)));
        }
        let owner = self
            .sql()
            .exec(
                "SELECT token_id FROM retired_secrets WHERE hash = ?",
                vec![s(hash)],
            )?
            .to_array::<RetiredOwner>()?;
        let Some(owner) = owner.into_iter().next() else {
            return Ok((LeakAction::None, None));
        };
        self.replica()?.delete(hash).await?;
        self.sql()
            .exec("DELETE FROM retired_secrets WHERE hash = ?", vec![s(hash)])?;
        let row = self.token_row(&owner.token_id).ok();
        let project = row.as_ref().and_then(TokenRow::project);
        self.audit_system(
            project.as_deref(),
            Entry::new(
                Event::TokenLeak,
                &owner.token_id,
                Outcome::Success,
                &format!(
                    "a replaced secret of this token was reported found in public{whence}; \
                     it stopped working at once (the current secret is not affected)"
                ),
            ),
            now,
        )?;
        Ok((LeakAction::RetiredSecretEnded, row))
    }
}
