//! The registry: a Durable Object that is the single writer of tokens,
//! admins, buckets and the audit log.
//!
//! KV has no atomic operations, so everything that must happen exactly once
//! or in a fixed order (unique names, the write order of a refresh, the last
//! admin) happens here, one command at a time, in the object's SQLite
//! storage. After each change it writes the KV replicas that authentication
//! reads.

use crate::authority;
use crate::http::{ApiError, ApiResult};
use crate::store;
use futures_util::lock::Mutex;
use keyward_domain::contract::Endpoint;
use keyward_domain::{Catalog, ErrorCode, RegistryError};
use serde::de::DeserializeOwned;
use worker::{
    durable_object, DurableObject, Env, Method, Request, RequestInit, Response, SqlStorage,
    SqlStorageValue, State,
};

mod admins;
mod audit;
mod blast;
mod buckets;
mod checks;
pub(crate) mod directory;
mod elevations;
mod fault;
mod idempotency;
mod invitations;
mod leaks;
mod ledger;
mod members;
mod personas;
mod projects;
mod protocol;
mod provenance;
mod rows;
mod schema;
mod signins;
mod tokens;
mod versions;

pub use admins::ReissuedMaster;
pub use idempotency::{Begun, IdempotencyCommand};
pub use protocol::*;
pub use signins::{
    DeviceGrant, NewPasskey, NewSession, Purpose, Registrant, SessionCaller, SignInCommand,
    StoredPasskey,
};
pub use versions::Versioned;

use fault::{Fault, RegResult};

use ledger::SqlLedger;
use rows::{i, select, to_json, Count, Row};
use schema::migrate;

pub const BINDING: &str = "REGISTRY";
/// The status of a registry answer that carries a [`RegistryError`].
const REFUSED: u16 = 422;
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

    /// Sends a command; a business refusal comes back as the registry's
    /// [`RegistryError`] and becomes its HTTP problem here, at the edge.
    pub async fn call<T: DeserializeOwned>(&self, cmd: &Command) -> ApiResult<T> {
        let body = serde_json::to_string(cmd).map_err(|e| {
            worker::console_error!("registry command: {e}");
            ApiError::new(
                ErrorCode::Internal,
                "the request could not be sent to the registry",
            )
        })?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_body(Some(wasm_bindgen::JsValue::from_str(&body)));
        let req = Request::new_with_init("https://registry/command", &init)?;
        let mut resp = self.stub.fetch_with_request(req).await?;
        let status = resp.status_code();
        let text = resp.text().await?;
        match status {
            200 => serde_json::from_str(&text).map_err(ApiError::unavailable),
            REFUSED => match serde_json::from_str::<RegistryError>(&text) {
                Ok(refused) => Err(refused.into()),
                Err(e) => Err(ApiError::unavailable(e)),
            },
            _ => match serde_json::from_str::<keyward_domain::Problem>(&text) {
                Ok(p) => Err(p.into()),
                Err(e) => Err(ApiError::unavailable(e)),
            },
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
            catalog: crate::catalog::catalog(),
            lock: Mutex::new(()),
            migrated: std::cell::Cell::new(false),
            swept: std::cell::Cell::new(false),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let result = async {
            let cmd: Command = serde_json::from_str(&req.text().await?)
                .map_err(|e| Fault::Internal(e.to_string()))?;
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
            Ok::<String, Fault>(body)
        }
        .await;
        Ok(match result {
            Ok(body) => Response::ok(body)?,
            Err(Fault::Refused(refused)) => Response::from_json(&refused)?.with_status(REFUSED),
            // Storage failed: the front answers 503, as for its own storage.
            Err(Fault::Storage(cause)) => {
                crate::http::problem_response(&ApiError::unavailable(cause))
            }
            Err(Fault::Internal(cause)) => {
                // The cause is for the operator's log; an answer never
                // carries parser or storage internals.
                worker::console_error!("registry: {cause}");
                crate::http::problem_response(&ApiError::new(
                    ErrorCode::Internal,
                    "the registry could not carry out this request; nothing was changed",
                ))
            }
        })
    }
}

/// `SELECT COUNT(*) AS n ...` as a number.
impl RegistryObject {
    fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    fn count(&self, query: &str, args: Vec<SqlStorageValue>) -> RegResult<i64> {
        Ok(select::<Count>(&self.sql(), query, args)?
            .first()
            .map(|c| c.n)
            .unwrap_or(0))
    }

    /// One page of `table` rows matching `filter`, and how many match.
    fn page_of<T: Row>(
        &self,
        table: &str,
        filter: &str,
        args: Vec<SqlStorageValue>,
        order: &str,
        limit: u32,
        offset: u64,
    ) -> RegResult<(u64, Vec<T>)> {
        let total = self.count(
            &format!("SELECT COUNT(*) AS n FROM {table} WHERE {filter}"),
            args.clone(),
        )? as u64;
        let mut page_args = args;
        page_args.push(i(limit as i64));
        page_args.push(i(offset as i64));
        let rows = select::<T>(
            &self.sql(),
            &format!("SELECT * FROM {table} WHERE {filter} ORDER BY {order} LIMIT ? OFFSET ?"),
            page_args,
        )?;
        Ok((total, rows))
    }

    fn ledger(&self) -> SqlLedger {
        SqlLedger(self.sql())
    }

    fn replica(&self) -> RegResult<store::KvReplica> {
        Ok(store::KvReplica(self.kv()?))
    }

    fn kv(&self) -> RegResult<worker::kv::KvStore> {
        Ok(self.env.kv(store::KV_BINDING)?)
    }

    fn now(&self) -> i64 {
        store::now().unix_timestamp()
    }

    async fn execute(&self, cmd: Command) -> RegResult<String> {
        let now = self.now();
        match cmd {
            Command::IfMatch {
                actor,
                target,
                if_match,
                command,
            } => {
                self.check_version(&actor, &target, &if_match, now)?;
                Box::pin(self.execute(*command)).await
            }
            Command::Bootstrap { secret } => to_json(&self.bootstrap(secret, now).await?),
            Command::CreateToken { actor, new, secret } => {
                to_json(&self.create_token(&actor, new, secret, now).await?)
            }
            Command::GetToken { actor, id } => {
                let row = self.token_row(&id)?;
                if let Some(actor) = &actor {
                    self.check_sees(actor, &row)?;
                }
                to_json(&row.view_at(now))
            }
            Command::ListTokens { actor, query } => {
                to_json(&self.list_tokens(actor.as_ref(), query, now)?)
            }
            Command::TokenHoldings { actor, id } => to_json(&self.holdings(&actor, &id)?),
            Command::Elevate {
                actor,
                id,
                grants,
                persona,
                until,
                reason,
            } => {
                use keyward_domain::elevation::{Elevate, Raise};
                let raise = match persona {
                    Some(p) => Raise::Persona(p),
                    None => Raise::Grants(grants),
                };
                let request = Elevate {
                    raise,
                    until,
                    reason,
                };
                to_json(&self.elevate(&actor, &id, request, now).await?)
            }
            Command::ApproveElevation {
                actor,
                id,
                elevation,
            } => to_json(&self.approve_elevation(&actor, &id, &elevation, now).await?),
            Command::EndElevation {
                actor,
                id,
                elevation,
            } => to_json(&self.end_elevation(&actor, &id, &elevation, now).await?),
            Command::NarrowToken {
                actor,
                id,
                grants,
                detail,
            } => to_json(&self.narrow_token(&actor, &id, grants, &detail, now).await?),
            Command::UpdateToken { actor, id, changes } => {
                to_json(&self.update_token(&actor, &id, changes, now).await?)
            }
            Command::Directory(cmd) => self.directory(cmd, now).await,
            Command::SignIn(cmd) => self.sign_in(cmd, now).await,
            Command::Idempotency(cmd) => self.idempotency(cmd, now),
            Command::DeleteToken { actor, id } => {
                self.delete_token(&actor, &id, Endpoint::DeleteToken, now)
                    .await?;
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
            Command::RotateMaster { actor, id, secret } => {
                to_json(&self.rotate_master(&actor, &id, secret, now).await?)
            }
            Command::OperatorRecover { email, secret } => {
                to_json(&self.operator_recover(&email, secret, now).await?)
            }
            Command::Sweep => to_json(&self.sweep(now).await?),
            Command::ReportLeaks { sightings } => {
                to_json(&self.report_leaks(sightings, now).await?)
            }
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
}
