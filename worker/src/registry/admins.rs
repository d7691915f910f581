//! Admins and their master tokens, the first one included.

use super::audit::Entry;
use super::fault::{Fault, RegResult};
use super::rows::{i, s, select, AdminRow, Count, Typed};
use super::{Actor, AdminWithToken, NewSecret, RegistryObject, NO_ARGS};
use crate::authority::{self, TokenRow};
use crate::store;
use keyward_domain::api::{Admin, Outcome, Token};
use keyward_domain::contract::{Endpoint, Event};
use keyward_domain::policy;
use keyward_domain::TokenKind;

impl RegistryObject {
    /// The first admin, created on first use of the bootstrap secret when no
    /// admin exists yet.
    pub(super) async fn bootstrap(&self, secret: NewSecret, now: i64) -> RegResult<Option<Token>> {
        let admins = select::<Count>(&self.sql(), "SELECT COUNT(*) AS n FROM admins", NO_ARGS)?;
        if admins.first().map(|c| c.n > 0).unwrap_or(true) {
            return Ok(None);
        }
        let (_, token) = self
            .insert_admin(
                "bootstrap",
                "admin@localhost".into(),
                "First admin".into(),
                secret,
                now,
            )
            .await?;
        self.audit(
            "bootstrap",
            Entry::new(
                Event::AdminBootstrap,
                &token.client_id,
                Outcome::Success,
                "first admin created",
            ),
            now,
        )?;
        Ok(Some(token))
    }

    async fn insert_admin(
        &self,
        created_by: &str,
        email: String,
        name: String,
        secret: NewSecret,
        now: i64,
    ) -> RegResult<(Admin, Token)> {
        if self.count(
            "SELECT COUNT(*) AS n FROM admins WHERE email = ?",
            vec![s(&email)],
        )? > 0
        {
            return Err(Fault::conflict(format!(
                "an admin with email {email} already exists"
            )));
        }
        let admin_id = store::random_id("adm_", 16);
        let token_name = format!("Master token of {email}");
        if self.name_taken(&token_name, None, None)? {
            return Err(Fault::conflict(format!(
                "a token named '{token_name}' already exists"
            )));
        }
        let row = TokenRow {
            id: store::random_id("tok_", 20),
            client_id: store::random_id("cli_", 16),
            name: token_name,
            description: format!("Master token of admin {name}"),
            kind: TokenKind::Master,
            created_by: created_by.into(),
            created_at: now,
            updated_at: now,
            expires_at: None,
            last_used_at: None,
            secret_hash: secret.hash,
            secret_hint: secret.hint,
            admin_id: Some(admin_id.clone()),
            rate_limit: None,
            ..Default::default()
        };
        authority::create(&self.ledger(), &self.replica()?, &row, now).await?;
        self.sql().exec(
            "INSERT INTO admins (id, email, name, created_at, master_token_id) VALUES (?, ?, ?, ?, ?)",
            vec![s(&admin_id), s(&email), s(&name), i(now), s(&row.id)],
        )?;
        let admin = AdminRow {
            id: admin_id,
            email,
            name,
            created_at: now,
            master_token_id: row.id.clone(),
        }
        .view();
        Ok((admin, row.view()))
    }

    pub(super) fn admins(&self) -> RegResult<Vec<Admin>> {
        Ok(select::<AdminRow>(
            &self.sql(),
            "SELECT * FROM admins ORDER BY created_at, id",
            NO_ARGS,
        )?
        .iter()
        .map(AdminRow::view)
        .collect())
    }

    pub(super) async fn create_admin(
        &self,
        actor: &Actor,
        email: String,
        name: String,
        secret: NewSecret,
        now: i64,
    ) -> RegResult<AdminWithToken> {
        policy::may_administer(&actor.policy(), "managing admins")?;
        let (admin, master_token) = self
            .insert_admin(&actor.client_id(), email, name, secret, now)
            .await?;
        self.audit_as(
            actor,
            Entry::new(
                Endpoint::CreateAdmin,
                &admin.id,
                Outcome::Success,
                &format!("added admin {}", admin.email),
            ),
            now,
        )?;
        Ok(AdminWithToken {
            admin,
            master_token,
        })
    }

    pub(super) async fn delete_admin(&self, actor: &Actor, id: &str, now: i64) -> RegResult<()> {
        policy::may_administer(&actor.policy(), "managing admins")?;
        let admins = self.admins()?;
        let Some(admin) = admins.iter().find(|a| a.id == id) else {
            return Err(Fault::not_found("admin"));
        };
        if admins.len() == 1 {
            return Err(Fault::conflict("the last admin cannot be removed"));
        }
        let rows = self
            .sql()
            .exec("SELECT * FROM tokens WHERE admin_id = ?", vec![s(id)])?
            .rows::<TokenRow>()?;
        for row in &rows {
            self.remove_token(row).await?;
        }
        self.sql()
            .exec("DELETE FROM admins WHERE id = ?", vec![s(id)])?;
        self.forget_sign_ins(&format!("admin:{id}"))?;
        self.audit_as(
            actor,
            Entry::new(
                Endpoint::DeleteAdmin,
                id,
                Outcome::Success,
                &format!("removed admin {} and {} token(s)", admin.email, rows.len()),
            ),
            now,
        )?;
        Ok(())
    }
}

/// A master token given a new secret for its admin, and where it goes.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ReissuedMaster {
    pub token: Token,
    /// The admin's address: the new secret is sent there, never answered.
    pub email: String,
}

impl RegistryObject {
    /// The admin whose master token `row` is.
    fn admin_of(&self, row: &TokenRow) -> RegResult<AdminRow> {
        select::<AdminRow>(
            &self.sql(),
            "SELECT * FROM admins WHERE master_token_id = ?",
            vec![s(&row.id)],
        )?
        .into_iter()
        .next()
        .ok_or_else(|| Fault::not_found("admin"))
    }

    /// The one way a master token is recovered: a new secret at once (the
    /// old one, leaked or lost, stops without overlap) and the token
    /// enabled again. The caller delivers the secret to its admin only.
    async fn reissue_master(
        &self,
        row: &TokenRow,
        secret: NewSecret,
        now: i64,
    ) -> RegResult<(TokenRow, AdminRow)> {
        let admin = self.admin_of(row)?;
        let mut after = authority::refresh(
            &self.ledger(),
            &self.replica()?,
            row,
            authority::Rotation {
                new_hash: secret.hash,
                new_hint: secret.hint,
                overlap_seconds: 0,
                invitation: None,
            },
            now,
        )
        .await?;
        if !after.enabled {
            // Enabled only once the old secret is gone: a failure before
            // this leaves the token disabled, never the leaked secret live.
            after.enabled = true;
            after.updated_at = now;
            self.save_token(&after, now).await?;
        }
        Ok((after, admin))
    }

    /// Another admin recovers a master token (a leak report disabled it,
    /// or its admin lost it): `POST /tokens/{id}/recover`.
    pub(super) async fn rotate_master(
        &self,
        actor: &Actor,
        id: &str,
        secret: NewSecret,
        now: i64,
    ) -> RegResult<ReissuedMaster> {
        policy::may_administer(&actor.policy(), "recovering another admin's master token")?;
        let row = self.token_row(id)?;
        if row.kind != TokenKind::Master || row.id == actor.token_id() {
            return Err(Fault::conflict(
                "only another admin's master token is recovered this way",
            ));
        }
        let (after, admin) = self.reissue_master(&row, secret, now).await?;
        self.audit_as(
            actor,
            Entry::new(
                Endpoint::RecoverToken,
                id,
                Outcome::Success,
                &format!(
                    "recovered for admin {}: the old secret stopped at once; the new one ({}) was sent to them, and the token is enabled",
                    admin.email, after.secret_hint
                ),
            ),
            now,
        )?;
        Ok(ReissuedMaster {
            token: after.view(),
            email: admin.email,
        })
    }

    /// The operator's recovery, for a deployment whose admins are all
    /// locked out: asked for through KV by someone with the account's
    /// credentials and carried out by the Cron Trigger, never by a route.
    /// The operator minted the secret and hands it over themselves.
    pub(super) async fn operator_recover(
        &self,
        email: &str,
        secret: NewSecret,
        now: i64,
    ) -> RegResult<Token> {
        let admin = select::<AdminRow>(
            &self.sql(),
            "SELECT * FROM admins WHERE email = ?",
            vec![s(email)],
        )?
        .into_iter()
        .next()
        .ok_or_else(|| Fault::not_found("admin"))?;
        let row = self.token_row(&admin.master_token_id)?;
        let (after, _) = self.reissue_master(&row, secret, now).await?;
        self.audit(
            "operator",
            Entry::new(
                Event::AdminRecover,
                &row.id,
                Outcome::Success,
                &format!(
                    "the operator recovered the master token of {email}: new secret {}, the old one stopped, the token is enabled",
                    after.secret_hint
                ),
            ),
            now,
        )?;
        Ok(after.view())
    }
}
