//! The registry: a Durable Object that is the single writer of tokens,
//! admins, buckets and the audit log.
//!
//! KV has no atomic operations, so everything that must happen exactly once
//! or in a fixed order (unique names, the write order of a refresh, the last
//! admin) happens here, one command at a time, in the object's SQLite
//! storage. After each change it writes the KV replicas that authentication
//! reads.

use crate::authority::{self, ts, Ledger};
use crate::http::{ApiError, ApiResult};
use crate::store;
use futures_util::lock::Mutex;
use keyward_domain::api::{Invitation, InvitationStatus, InvitationWelcome, Outcome, Token};
use keyward_domain::query::TokenSortKey;
use keyward_domain::{Catalog, ErrorCode, TokenKind};
use serde::de::DeserializeOwned;
use worker::{
    durable_object, DurableObject, Env, Method, Request, RequestInit, Response, SqlStorage,
    SqlStorageValue, State,
};

mod admins;
mod audit;
mod buckets;
mod checks;
pub(crate) mod directory;
mod ledger;
mod protocol;
mod rows;
mod schema;
mod tokens;

pub use protocol::*;

use ledger::SqlLedger;
use rows::{i, s, to_json, AdminRow, Count, InvitationRow};
use schema::migrate;

pub const BINDING: &str = "REGISTRY";
const NO_ARGS: Option<Vec<SqlStorageValue>> = None;

/// The front's handle on the registry.
pub struct Registry {
    stub: worker::Stub,
}

impl Registry {
    pub fn from_env(env: &Env) -> ApiResult<Registry> {
        let ns = env.durable_object(BINDING)?;
        let stub = ns.id_from_name("global")?.get_stub()?;
        Ok(Registry { stub })
    }

    pub async fn call<T: DeserializeOwned>(&self, cmd: &Command) -> ApiResult<T> {
        let body = serde_json::to_string(cmd)
            .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_body(Some(wasm_bindgen::JsValue::from_str(&body)));
        let req = Request::new_with_init("https://registry/command", &init)?;
        let mut resp = self.stub.fetch_with_request(req).await?;
        let status = resp.status_code();
        let text = resp.text().await?;
        if status == 200 {
            serde_json::from_str(&text).map_err(ApiError::unavailable)
        } else {
            match serde_json::from_str::<keyward_domain::Problem>(&text) {
                Ok(p) => Err(p.into()),
                Err(e) => Err(ApiError::unavailable(e)),
            }
        }
    }
}

#[durable_object]
pub struct RegistryObject {
    state: State,
    env: Env,
    catalog: Catalog,
    /// One command at a time: KV writes are awaited and would otherwise let
    /// another command interleave between a change and its replication.
    lock: Mutex<()>,
    migrated: std::cell::Cell<bool>,
    swept: std::cell::Cell<bool>,
}

impl DurableObject for RegistryObject {
    fn new(state: State, env: Env) -> Self {
        RegistryObject {
            state,
            env,
            catalog: crate::catalog(),
            lock: Mutex::new(()),
            migrated: std::cell::Cell::new(false),
            swept: std::cell::Cell::new(false),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let result = async {
            let cmd: Command = serde_json::from_str(&req.text().await?)
                .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
            if !self.migrated.get() {
                migrate(&self.state.storage().sql())?;
                self.migrated.set(true);
            }
            let _one_at_a_time = self.lock.lock().await;
            if !self.swept.get() {
                // Once per start: heal what a crash may have left half-done.
                self.sweep_retired(self.now()).await?;
                self.swept.set(true);
            }
            // What an earlier command could not finish rewriting.
            authority::finish_stale(&self.ledger(), &self.replica()?, self.now()).await?;
            let body = self.execute(cmd).await?;
            // Nothing is answered before it is on disk: a crash right after
            // the answer must not lose what the answer confirmed.
            self.state.storage().sync().await?;
            self.forward_audit().await;
            Ok::<String, ApiError>(body)
        }
        .await;
        Ok(match result {
            Ok(body) => Response::ok(body)?,
            Err(e) => crate::http::problem_response(&e),
        })
    }
}

/// `SELECT COUNT(*) AS n ...` as a number.
impl RegistryObject {
    fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    fn count(&self, query: &str, args: Vec<SqlStorageValue>) -> ApiResult<i64> {
        Ok(self
            .sql()
            .exec(query, args)?
            .to_array::<Count>()?
            .first()
            .map(|c| c.n)
            .unwrap_or(0))
    }

    /// One page of `table` rows matching `filter`, and how many match.
    fn page_of<T: DeserializeOwned>(
        &self,
        table: &str,
        filter: &str,
        args: Vec<SqlStorageValue>,
        order: &str,
        limit: u32,
        offset: u64,
    ) -> ApiResult<(u64, Vec<T>)> {
        let total = self.count(
            &format!("SELECT COUNT(*) AS n FROM {table} WHERE {filter}"),
            args.clone(),
        )? as u64;
        let mut page_args = args;
        page_args.push(i(limit as i64));
        page_args.push(i(offset as i64));
        let rows = self
            .sql()
            .exec(
                &format!("SELECT * FROM {table} WHERE {filter} ORDER BY {order} LIMIT ? OFFSET ?"),
                page_args,
            )?
            .to_array::<T>()?;
        Ok((total, rows))
    }

    fn ledger(&self) -> SqlLedger {
        SqlLedger(self.sql())
    }

    fn replica(&self) -> ApiResult<store::KvReplica> {
        Ok(store::KvReplica(self.kv()?))
    }

    fn kv(&self) -> ApiResult<worker::kv::KvStore> {
        Ok(self.env.kv(store::KV_BINDING)?)
    }

    fn now(&self) -> i64 {
        store::now().unix_timestamp()
    }

    async fn execute(&self, cmd: Command) -> ApiResult<String> {
        let now = self.now();
        match cmd {
            Command::Bootstrap { secret } => to_json(&self.bootstrap(secret, now).await?),
            Command::CreateToken { actor, new, secret } => {
                to_json(&self.create_token(&actor, new, secret, now).await?)
            }
            Command::GetToken { actor, id } => {
                let row = self.token_row(&id)?;
                if let Some(actor) = &actor {
                    self.check_sees(actor, &row)?;
                }
                to_json(&row.view()?)
            }
            Command::ListTokens {
                actor,
                limit,
                offset,
                sort,
                descending,
                name,
                client_id,
                kind,
                q,
                project,
                persona,
            } => {
                let sort_column = match sort.as_str() {
                    "name" => TokenSortKey::Name,
                    "expires_at" => TokenSortKey::ExpiresAt,
                    "last_used_at" => TokenSortKey::LastUsedAt,
                    _ => TokenSortKey::CreatedAt,
                };
                to_json(&self.list_tokens(
                    actor.as_ref(),
                    TokenFilter {
                        name,
                        client_id,
                        kind,
                        q,
                        project,
                        persona,
                    },
                    limit,
                    offset,
                    sort_column,
                    descending,
                    now,
                )?)
            }
            Command::UpdateToken { actor, id, changes } => {
                to_json(&self.update_token(&actor, &id, changes, now).await?)
            }
            Command::Directory(cmd) => self.directory(cmd, now).await,
            Command::DeleteToken { actor, id } => {
                self.delete_token(&actor, &id, now).await?;
                to_json(&serde_json::Value::Null)
            }
            Command::RefreshToken {
                actor,
                id,
                overlap_seconds,
                secret,
            } => to_json(
                &self
                    .refresh_token(&actor, &id, overlap_seconds, secret, None, now)
                    .await?,
            ),
            Command::Touch { used } => {
                for (token_id, at) in used {
                    self.touch(&token_id, at.min(now))?;
                }
                to_json(&serde_json::Value::Null)
            }
            Command::ListAdmins => to_json(&self.admins()?),
            Command::CreateAdmin {
                actor,
                email,
                name,
                secret,
            } => to_json(&self.create_admin(&actor, email, name, secret, now).await?),
            Command::DeleteAdmin { actor, id } => {
                self.delete_admin(&actor, &id, now).await?;
                to_json(&serde_json::Value::Null)
            }
            Command::CreateBucket {
                actor,
                project,
                id,
                description,
            } => {
                let project =
                    project.unwrap_or_else(|| keyward_domain::DEFAULT_PROJECT.to_string());
                to_json(
                    &self
                        .create_bucket(&actor, &project, id, description, now)
                        .await?,
                )
            }
            Command::CreateInvitation {
                actor,
                token_id,
                email,
                message,
                expires_at,
                code_hash,
            } => to_json(&self.create_invitation(
                &actor, &token_id, email, message, expires_at, code_hash, now,
            )?),
            Command::InvitationSent { id, error } => {
                to_json(&self.invitation_sent(&id, error, now).await?)
            }
            Command::ReissueInvitation {
                actor,
                id,
                code_hash,
            } => to_json(&self.reissue_invitation(&actor, &id, code_hash, now).await?),
            Command::RevokeInvitation { actor, id } => {
                self.revoke_invitation(&actor, &id, now).await?;
                to_json(&serde_json::Value::Null)
            }
            Command::ListInvitations { reader, token_id } => {
                to_json(&self.list_invitations(&reader, token_id, now)?)
            }
            Command::OpenInvitation { code_hash } => {
                let row = self.usable_invitation(&code_hash, now)?;
                to_json(&self.welcome(&row)?)
            }
            Command::AcceptInvitation { code_hash, secret } => {
                to_json(&self.accept_invitation(&code_hash, secret, now).await?)
            }
        }
    }

    fn invitation_by(&self, column: &str, value: &str) -> ApiResult<InvitationRow> {
        self.sql()
            .exec(
                &format!("SELECT * FROM invitations WHERE {column} = ?"),
                vec![s(value)],
            )?
            .to_array::<InvitationRow>()?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::not_found("invitation"))
    }

    fn token_name(&self, token_id: &str) -> String {
        self.token_row(token_id)
            .map(|r| r.name)
            .unwrap_or_else(|_| "(deleted token)".to_string())
    }

    fn welcome(&self, row: &InvitationRow) -> ApiResult<InvitationWelcome> {
        let token_row = self.token_row(&row.token_id)?;
        let holds = self.effective_grants(&token_row)?;
        let token = token_row.view()?;
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
                vec![s(&actor.token_id)],
            )
            .and_then(|c| c.to_array::<AdminRow>())
            .ok()
            .and_then(|rows| rows.into_iter().next());
        match admin {
            Some(a) => format!("{} ({})", a.name, a.email),
            None => self
                .token_row(&actor.token_id)
                .map(|r| format!("the token \"{}\"", r.name))
                .unwrap_or_else(|_| actor.client_id.clone()),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn create_invitation(
        &self,
        actor: &Actor,
        token_id: &str,
        email: String,
        message: String,
        expires_at: i64,
        code_hash: String,
        now: i64,
    ) -> ApiResult<InvitationDraft> {
        let token = self.token_row(token_id)?;
        if token.kind == TokenKind::Master.as_str() {
            return Err(ApiError::conflict(
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
            status: InvitationStatus::Sending.as_str().into(),
            inviter: self.inviter_name(actor),
            created_by: actor.client_id.clone(),
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
                s(&row.status), s(&row.inviter), s(&row.created_by), i(now), i(expires_at),
            ],
        )?;
        self.audit_as(
            actor,
            "invitation.create",
            &row.id,
            Outcome::Success,
            &format!("token {} to {}", token_id, row.email),
            now,
        )?;
        Ok(InvitationDraft {
            invitation: row.view(&token.name, now),
            welcome: self.welcome(&row)?,
        })
    }

    /// After the email went out (or did not): pending and published to KV
    /// for the welcome page, or failed and unusable until re-sent.
    async fn invitation_sent(
        &self,
        id: &str,
        error: Option<String>,
        now: i64,
    ) -> ApiResult<Invitation> {
        let mut row = self.invitation_by("id", id)?;
        if row.status != InvitationStatus::Sending.as_str() {
            return Err(ApiError::conflict("the invitation is not being sent"));
        }
        match &error {
            None => {
                let welcome = self.welcome(&row)?;
                self.kv()?
                    .put(&store::invitation_key(&row.code_hash), to_json(&welcome)?)?
                    .expiration(store::invitation_expiration(row.expires_at, now))
                    .execute()
                    .await?;
                row.status = InvitationStatus::Pending.as_str().into();
                row.delivery_error = None;
            }
            Some(e) => {
                row.status = InvitationStatus::Failed.as_str().into();
                row.delivery_error = Some(e.clone());
                self.audit("system", "invitation.delivery", id, Outcome::Failed, e, now)?;
            }
        }
        self.sql().exec(
            "UPDATE invitations SET status = ?, delivery_error = ? WHERE id = ?",
            vec![
                s(&row.status),
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
    async fn reissue_invitation(
        &self,
        actor: &Actor,
        id: &str,
        code_hash: String,
        now: i64,
    ) -> ApiResult<InvitationDraft> {
        let mut row = self.invitation_by("id", id)?;
        match row.status(now) {
            InvitationStatus::Pending | InvitationStatus::Failed | InvitationStatus::Sending => {}
            other => {
                return Err(ApiError::conflict(format!(
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
        row.status = InvitationStatus::Sending.as_str().into();
        self.sql().exec(
            "UPDATE invitations SET code_hash = ?, status = ?, delivery_error = NULL WHERE id = ?",
            vec![s(&row.code_hash), s(&row.status), s(id)],
        )?;
        self.audit_as(
            actor,
            "invitation.resend",
            id,
            Outcome::Success,
            &row.email,
            now,
        )?;
        Ok(InvitationDraft {
            invitation: row.view(&token.name, now),
            welcome: self.welcome(&row)?,
        })
    }

    async fn revoke_invitation(&self, actor: &Actor, id: &str, now: i64) -> ApiResult<()> {
        let row = self.invitation_by("id", id)?;
        match row.status(now) {
            InvitationStatus::Pending | InvitationStatus::Failed | InvitationStatus::Sending => {}
            other => {
                return Err(ApiError::conflict(format!(
                    "a {} invitation cannot be revoked",
                    other.as_str()
                )))
            }
        }
        if let Ok(token) = self.token_row(&row.token_id) {
            self.check_may_manage(actor, &token)?;
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
            "invitation.revoke",
            id,
            Outcome::Success,
            &row.email,
            now,
        )?;
        Ok(())
    }

    fn list_invitations(
        &self,
        reader: &Actor,
        token_id: Option<String>,
        now: i64,
    ) -> ApiResult<Vec<Invitation>> {
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
        .to_array::<InvitationRow>()?;
        let mut visible = vec![];
        for r in rows {
            // An invitation is as visible as its token; one whose token is
            // gone is admins' only.
            let seen = match self.ledger().token(&r.token_id)? {
                Some(token) => self.check_sees(reader, &token).is_ok(),
                None => reader.is_master,
            };
            if seen {
                visible.push(r.view(&self.token_name(&r.token_id), now));
            }
        }
        Ok(visible)
    }

    /// The invitation behind a code, if it can still be accepted; else the
    /// contract's 410 (used, expired) or 404 (unknown, revoked, unsent).
    fn usable_invitation(&self, code_hash: &str, now: i64) -> ApiResult<InvitationRow> {
        let row = self.invitation_by("code_hash", code_hash)?;
        match row.status(now) {
            InvitationStatus::Pending => Ok(row),
            InvitationStatus::Accepted => Err(ApiError::new(
                ErrorCode::InvitationUsed,
                "this invitation was already accepted; ask the sender for a new one",
            )),
            InvitationStatus::Expired => Err(ApiError::new(
                ErrorCode::InvitationExpired,
                "this invitation has expired; ask the sender for a new one",
            )),
            _ => Err(ApiError::not_found("invitation")),
        }
    }

    /// Exactly once: the registry runs one command at a time, so a second
    /// accept sees the first one's "accepted".
    async fn accept_invitation(
        &self,
        code_hash: &str,
        secret: NewSecret,
        now: i64,
    ) -> ApiResult<Token> {
        let row = self.usable_invitation(code_hash, now)?;
        let token = self
            .token_row(&row.token_id)
            .map_err(|_| ApiError::not_found("the invited token no longer exists; invitation"))?;
        let itself = Actor {
            token_id: token.id.clone(),
            client_id: token.client_id.clone(),
            via: None,
            is_master: false,
            kind: TokenKind::parse(&token.kind).unwrap_or(TokenKind::Scoped),
            project: token.project(),
            grants: vec![],
            project_grants: Default::default(),
            member_id: token.member_id.clone(),
            expires_at: token.expires_at,
            rate_limit: None,
            retired: false,
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
            "invitation.accept",
            &row.id,
            Outcome::Success,
            &format!("accepted by {}", row.email),
            now,
        )?;
        Ok(issued)
    }
}
