//! Invitations: a token sent by email, accepted once.

use super::audit::Entry;
use super::fault::{Fault, RegResult};
use super::rows::{i, s, to_json, AdminRow, InvitationRow, Typed};
use super::{Actor, InvitationDraft, NewSecret, RegistryObject, NO_ARGS};
use crate::authority::{ts, Ledger};
use crate::store;
use keyward_domain::api::{Invitation, InvitationStatus, InvitationWelcome, Outcome, Token};
use keyward_domain::contract::{Endpoint, Event};
use keyward_domain::{RegistryError, TokenKind};
use worker::SqlStorageValue;

impl RegistryObject {
    pub(super) fn invitation_by(&self, column: &str, value: &str) -> RegResult<InvitationRow> {
        self.sql()
            .exec(
                &format!("SELECT * FROM invitations WHERE {column} = ?"),
                vec![s(value)],
            )?
            .rows::<InvitationRow>()?
            .into_iter()
            .next()
            .ok_or_else(|| Fault::not_found("invitation"))
    }

    fn token_name(&self, token_id: &str) -> String {
        self.token_row(token_id)
            .map(|r| r.name)
            .unwrap_or_else(|_| "(deleted token)".to_string())
    }

    pub(super) fn welcome(&self, row: &InvitationRow) -> RegResult<InvitationWelcome> {
        let token_row = self.token_row(&row.token_id)?;
        let mut holds = self.effective_grants(&token_row)?;
        holds.extend(token_row.elevated(self.now()));
        let token = token_row.view();
        let effective = keyward_domain::Effective::of(&self.catalog, &holds);
        Ok(InvitationWelcome {
            inviter: row.inviter.clone(),
            email: row.email.clone(),
            message: row.message.clone(),
            token_name: token.name.clone(),
            summary: keyward_domain::describe::summary(&self.catalog, &holds),
            permissions: effective.grouped(),
            grants: token.grants,
            token_expires_at: token.expires_at,
            expires_at: ts(row.expires_at),
            token_kind: Some(token.kind),
        })
    }

    /// Who the recipient is told invited them: the admin's name for a
    /// master token, else the inviting token's name.
    fn inviter_name(&self, actor: &Actor) -> String {
        let admin = self
            .sql()
            .exec(
                "SELECT * FROM admins WHERE master_token_id = ?",
                vec![s(actor.token_id())],
            )
            .ok()
            .and_then(|c| c.rows::<AdminRow>().ok())
            .and_then(|rows| rows.into_iter().next());
        match admin {
            Some(a) => format!("{} ({})", a.name, a.email),
            None => self
                .token_row(actor.token_id())
                .map(|r| format!("the token \"{}\"", r.name))
                .unwrap_or_else(|_| actor.client_id()),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn create_invitation(
        &self,
        actor: &Actor,
        token_id: &str,
        email: String,
        message: String,
        expires_at: i64,
        code_hash: String,
        now: i64,
    ) -> RegResult<InvitationDraft> {
        let token = self.token_row(token_id)?;
        if token.kind == TokenKind::Master {
            return Err(Fault::conflict(
                "master tokens cannot be sent by invitation",
            ));
        }
        // Sending a token hands over its power, exactly like refreshing it.
        self.check_may_manage(actor, &token)?;
        let row = InvitationRow {
            id: store::random_id("inv_", 16),
            code_hash,
            token_id: token_id.to_string(),
            email,
            message,
            status: InvitationStatus::Sending,
            inviter: self.inviter_name(actor),
            created_by: actor.client_id(),
            created_at: now,
            expires_at,
            accepted_at: None,
            delivery_error: None,
        };
        self.sql().exec(
            "INSERT INTO invitations (id, code_hash, token_id, email, message, status, inviter, created_by, created_at, expires_at, accepted_at, delivery_error)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
            vec![
                s(&row.id), s(&row.code_hash), s(&row.token_id), s(&row.email), s(&row.message),
                s(row.status.as_str()), s(&row.inviter), s(&row.created_by), i(now), i(expires_at),
            ],
        )?;
        self.audit_as(
            actor,
            Entry::new(
                Endpoint::CreateInvitation,
                &row.id,
                Outcome::Success,
                &format!("token {} to {}", token_id, row.email),
            ),
            now,
        )?;
        Ok(InvitationDraft {
            invitation: row.view(&token.name, now),
            welcome: self.welcome(&row)?,
        })
    }

    /// After the email went out (or did not): pending and published to KV
    /// for the welcome page, or failed and unusable until re-sent.
    pub(super) async fn invitation_sent(
        &self,
        id: &str,
        error: Option<String>,
        now: i64,
    ) -> RegResult<Invitation> {
        let mut row = self.invitation_by("id", id)?;
        if row.status != InvitationStatus::Sending {
            return Err(Fault::conflict("the invitation is not being sent"));
        }
        match &error {
            None => {
                let welcome = self.welcome(&row)?;
                self.kv()?
                    .put(&store::invitation_key(&row.code_hash), to_json(&welcome)?)?
                    .expiration(store::invitation_expiration(row.expires_at, now))
                    .execute()
                    .await?;
                row.status = InvitationStatus::Pending;
                row.delivery_error = None;
            }
            Some(e) => {
                row.status = InvitationStatus::Failed;
                row.delivery_error = Some(e.clone());
                self.audit(
                    "system",
                    Entry::new(Event::InvitationDelivery, id, Outcome::Failed, e),
                    now,
                )?;
            }
        }
        self.sql().exec(
            "UPDATE invitations SET status = ?, delivery_error = ? WHERE id = ?",
            vec![
                s(row.status.as_str()),
                row.delivery_error
                    .clone()
                    .map(SqlStorageValue::String)
                    .unwrap_or(SqlStorageValue::Null),
                s(id),
            ],
        )?;
        Ok(row.view(&self.token_name(&row.token_id), now))
    }

    /// A new code for an invitation that failed or whose email was lost:
    /// the old link stops working.
    pub(super) async fn reissue_invitation(
        &self,
        actor: &Actor,
        id: &str,
        code_hash: String,
        now: i64,
    ) -> RegResult<InvitationDraft> {
        let mut row = self.invitation_by("id", id)?;
        match row.status(now) {
            InvitationStatus::Pending | InvitationStatus::Failed | InvitationStatus::Sending => {}
            other => {
                return Err(Fault::conflict(format!(
                    "a {} invitation cannot be re-sent",
                    other.as_str()
                )))
            }
        }
        let token = self.token_row(&row.token_id)?;
        self.check_may_manage(actor, &token)?;
        self.kv()?
            .delete(&store::invitation_key(&row.code_hash))
            .await?;
        row.code_hash = code_hash;
        row.status = InvitationStatus::Sending;
        self.sql().exec(
            "UPDATE invitations SET code_hash = ?, status = ?, delivery_error = NULL WHERE id = ?",
            vec![s(&row.code_hash), s(row.status.as_str()), s(id)],
        )?;
        self.audit_as(
            actor,
            Entry::new(Endpoint::ResendInvitation, id, Outcome::Success, &row.email),
            now,
        )?;
        Ok(InvitationDraft {
            invitation: row.view(&token.name, now),
            welcome: self.welcome(&row)?,
        })
    }

    pub(super) async fn revoke_invitation(
        &self,
        actor: &Actor,
        id: &str,
        now: i64,
    ) -> RegResult<()> {
        let row = self.invitation_by("id", id)?;
        // Permission before state: what state an invitation is in is
        // itself something only those who may revoke it learn.
        match self.ledger().token(&row.token_id)? {
            Some(token) => self.check_may_manage(actor, &token)?,
            // Its token is gone: only an admin still sees the invitation.
            None => keyward_domain::policy::may_administer(&actor.policy(), "revoking invitations")
                .map_err(|_| Fault::not_found("invitation"))?,
        }
        match row.status(now) {
            InvitationStatus::Pending | InvitationStatus::Failed | InvitationStatus::Sending => {}
            other => {
                return Err(Fault::conflict(format!(
                    "a {} invitation cannot be revoked",
                    other.as_str()
                )))
            }
        }
        self.kv()?
            .delete(&store::invitation_key(&row.code_hash))
            .await?;
        self.sql().exec(
            "UPDATE invitations SET status = 'revoked' WHERE id = ?",
            vec![s(id)],
        )?;
        self.audit_as(
            actor,
            Entry::new(Endpoint::RevokeInvitation, id, Outcome::Success, &row.email),
            now,
        )?;
        Ok(())
    }

    pub(super) fn list_invitations(
        &self,
        reader: &Actor,
        token_id: Option<String>,
        now: i64,
    ) -> RegResult<Vec<Invitation>> {
        let rows = match token_id {
            Some(t) => self.sql().exec(
                "SELECT * FROM invitations WHERE token_id = ? ORDER BY created_at DESC, id",
                vec![s(t)],
            )?,
            None => self.sql().exec(
                "SELECT * FROM invitations ORDER BY created_at DESC, id",
                NO_ARGS,
            )?,
        }
        .rows::<InvitationRow>()?;
        let mut visible = vec![];
        for r in rows {
            // An invitation is as visible as its token; one whose token is
            // gone is admins' only.
            let seen = match self.ledger().token(&r.token_id)? {
                Some(token) => self.check_sees(reader, &token).is_ok(),
                None => reader.is_master(),
            };
            if seen {
                visible.push(r.view(&self.token_name(&r.token_id), now));
            }
        }
        Ok(visible)
    }

    /// The invitation behind a code, if it can still be accepted; else the
    /// contract's 410 (used, expired) or 404 (unknown, revoked, unsent).
    pub(super) fn usable_invitation(&self, code_hash: &str, now: i64) -> RegResult<InvitationRow> {
        let row = self.invitation_by("code_hash", code_hash)?;
        match row.status(now) {
            InvitationStatus::Pending => Ok(row),
            InvitationStatus::Accepted => Err(RegistryError::InvitationUsed.into()),
            InvitationStatus::Expired => Err(RegistryError::InvitationExpired.into()),
            _ => Err(Fault::not_found("invitation")),
        }
    }

    /// Exactly once: the registry runs one command at a time, so a second
    /// accept sees the first one's "accepted".
    pub(super) async fn accept_invitation(
        &self,
        code_hash: &str,
        secret: NewSecret,
        now: i64,
    ) -> RegResult<Token> {
        let row = self.usable_invitation(code_hash, now)?;
        let token = self
            .token_row(&row.token_id)
            .map_err(|_| Fault::not_found("the invited token no longer exists; invitation"))?;
        // Accepting is the token refreshing itself: the actor is its own
        // record, as the edge would present it.
        let itself = Actor {
            caller: token.record(&self.ledger().context(&token)?, None),
            at: now,
            person: None,
            request_id: None,
            session: None,
        };
        let issued = self
            .refresh_token(&itself, &token.id, 0, secret, Some(&row.id), now)
            .await?;
        // The public endpoints answer from KV alone; if this write fails
        // they show the welcome a while longer, and accepting still goes
        // through this command, which says "used".
        let used = store::InvitationReplica::Accepted { accepted: true };
        let marked = match self
            .kv()?
            .put(&store::invitation_key(code_hash), to_json(&used)?)
        {
            Ok(put) => {
                put.expiration(store::invitation_expiration(row.expires_at, now))
                    .execute()
                    .await
            }
            Err(e) => Err(e),
        };
        if let Err(e) = marked {
            worker::console_error!("could not mark {} used in KV: {e}", row.id);
        }
        self.audit(
            &token.client_id,
            Entry::new(
                Endpoint::AcceptInvitation,
                &row.id,
                Outcome::Success,
                &format!("accepted by {}", row.email),
            ),
            now,
        )?;
        Ok(issued)
    }
}
