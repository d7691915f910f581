//! The token lifecycle against storage: authenticate, create, refresh,
//! delete (and accept-invitation, which is a refresh). It runs against two
//! traits — the [`Ledger`] (the registry's own records, SQLite in the
//! Durable Object) and the [`Replica`] (the KV records that the edge reads)
//! — so native tests can inject a failure at every storage call and check
//! that each request fails closed: denied or 503, with no secret working
//! afterwards that should not, and every secret that should still working.

use crate::http::{ApiError, ApiResult};
use keyward_domain::api::Token;
use keyward_domain::{expiry, Access, ErrorCode, Grant, Secret, SecretError, TokenKind};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A storage call failed (or timed out: a timed-out write may or may not
/// have landed, and both cases are handled).
#[derive(Debug, Clone)]
pub struct StoreError(pub String);

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        ApiError::unavailable(e.0)
    }
}
impl From<worker::Error> for StoreError {
    fn from(e: worker::Error) -> StoreError {
        StoreError(e.to_string())
    }
}
impl From<worker::kv::KvError> for StoreError {
    fn from(e: worker::kv::KvError) -> StoreError {
        StoreError(e.to_string())
    }
}

/// Why a presented key is not accepted (shared with `/verify`).
pub enum Rejection {
    Malformed(SecretError),
    NotFound,
    Expired,
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> ApiError {
        match r {
            Rejection::Malformed(e) => ApiError::new(ErrorCode::MalformedToken, e.to_string()),
            Rejection::NotFound => ApiError::new(
                ErrorCode::InvalidToken,
                "the token is unknown, deleted, or was replaced by a refresh",
            ),
            Rejection::Expired => ApiError::new(ErrorCode::TokenExpired, "the token has expired"),
        }
    }
}

/// The replica of a token that authentication reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthRecord {
    pub token: Token,
    /// Set on a secret replaced by a refresh with an overlap: the old secret
    /// works until this instant (unix seconds), and never after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_until: Option<i64>,
    /// Grants held through personas, or, for a personal key, everything its
    /// user holds. Rewritten by the registry whenever those change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inherited: Vec<Grant>,
    /// A personal key's user (their client id): calls are theirs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acting_as: Option<String>,
}

impl AuthRecord {
    /// Records written before projects existed name none: a project-level
    /// token without one is the default project's.
    pub fn upgraded(mut self) -> AuthRecord {
        if self.token.project.is_none()
            && !matches!(self.token.kind, TokenKind::Master | TokenKind::Global)
        {
            self.token.project = Some(keyward_domain::DEFAULT_PROJECT.to_string());
        }
        self
    }

    pub fn is_master(&self) -> bool {
        self.token.kind == TokenKind::Master
    }

    /// Everything the authorization decision needs, in domain terms.
    pub fn access(&self) -> Access {
        let mut grants = self.token.grants.clone();
        grants.extend(self.inherited.iter().cloned());
        Access {
            kind: self.token.kind,
            project: self.token.project.clone(),
            grants,
            project_grants: self.token.project_grants.clone(),
            global_admin: self.token.global_admin && self.token.kind == TokenKind::Global,
        }
    }
}

/// KV refuses expirations less than 60 s ahead; authentication checks the
/// exact instant itself, so the stored copy may outlive it a little.
pub fn kv_expiration(at: i64, now: i64) -> u64 {
    at.max(now + 61) as u64
}

/// The KV records authentication reads, by secret hash.
#[allow(async_fn_in_trait)]
pub trait Replica {
    /// What a read yields: the record, or something that holds it (the
    /// edge's parsed copy, shared between calls).
    type Record: std::borrow::Borrow<AuthRecord>;
    async fn get(&self, hash: &str) -> Result<Option<Self::Record>, StoreError>;
    async fn put(
        &self,
        hash: &str,
        record: &AuthRecord,
        expiration: Option<u64>,
    ) -> Result<(), StoreError>;
    async fn delete(&self, hash: &str) -> Result<(), StoreError>;
}

/// The registry's records of tokens and their secrets.
pub trait Ledger {
    fn token(&self, id: &str) -> Result<Option<TokenRow>, StoreError>;
    /// Secrets replaced by a refresh and still within their overlap after
    /// `now` (`i64::MIN`: all of them).
    fn retired(&self, token_id: &str, now: i64) -> Result<Vec<RetiredRow>, StoreError>;
    fn insert_token(&self, row: &TokenRow) -> Result<(), StoreError>;
    /// In one step: `row`'s secret becomes current, the old hash is kept as
    /// retired until `until`, and the invitation (if any) is accepted.
    fn commit_refresh(
        &self,
        row: &TokenRow,
        old_hash: &str,
        until: i64,
        invitation: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError>;
    /// Undoes [`Ledger::commit_refresh`]; harmless if it never happened.
    fn revert_refresh(&self, before: &TokenRow, invitation: Option<&str>)
        -> Result<(), StoreError>;
    fn delete_token(&self, id: &str) -> Result<(), StoreError>;
    /// What a token's KV record carries besides the token itself: the
    /// grants it inherits (its personas'; a personal key's user's) and, for
    /// a personal key, whom it acts as. Read fresh at every replication, so
    /// a changed persona or user reaches the edge with the next write.
    fn context(&self, row: &TokenRow) -> Result<RecordContext, StoreError>;
    /// Notes tokens whose KV records must be rewritten.
    fn mark_stale(&self, ids: &[String]) -> Result<(), StoreError>;
    fn clear_stale(&self, id: &str) -> Result<(), StoreError>;
    fn stale(&self) -> Result<Vec<String>, StoreError>;
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordContext {
    pub inherited: Vec<keyward_domain::Grant>,
    pub acting_as: Option<String>,
    /// A personal key's project is its user's.
    pub project: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TokenRow {
    pub id: String,
    pub client_id: String,
    pub name: String,
    pub description: String,
    pub kind: String,
    pub grants: String,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub secret_hash: String,
    pub secret_hint: String,
    pub admin_id: Option<String>,
    #[serde(default)]
    pub rate_limit: Option<i64>,
    #[serde(default = "empty_list")]
    pub personas: String,
    #[serde(default)]
    pub project: Option<String>,
    #[serde(default = "empty_map")]
    pub project_grants: String,
    #[serde(default)]
    pub global_admin: i64,
    #[serde(default)]
    pub member_id: Option<String>,
}

impl Default for TokenRow {
    /// Empty and unusable except as the base of a struct literal; the JSON
    /// columns hold valid empty JSON.
    fn default() -> TokenRow {
        TokenRow {
            id: String::new(),
            client_id: String::new(),
            name: String::new(),
            description: String::new(),
            kind: TokenKind::Scoped.as_str().into(),
            grants: empty_list(),
            created_by: String::new(),
            created_at: 0,
            updated_at: 0,
            expires_at: None,
            last_used_at: None,
            secret_hash: String::new(),
            secret_hint: String::new(),
            admin_id: None,
            rate_limit: None,
            personas: empty_list(),
            project: None,
            project_grants: empty_map(),
            global_admin: 0,
            member_id: None,
        }
    }
}

fn empty_list() -> String {
    "[]".into()
}
fn empty_map() -> String {
    "{}".into()
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RetiredRow {
    pub hash: String,
    pub until: i64,
}

pub fn ts(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl TokenRow {
    pub fn view(&self) -> ApiResult<Token> {
        Ok(Token {
            id: self.id.clone(),
            client_id: self.client_id.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            kind: TokenKind::parse(&self.kind)
                .ok_or_else(|| ApiError::unavailable("corrupt token kind"))?,
            grants: serde_json::from_str(&self.grants).map_err(ApiError::unavailable)?,
            created_by: self.created_by.clone(),
            created_at: ts(self.created_at),
            updated_at: ts(self.updated_at),
            expires_at: self.expires_at.map(ts),
            last_used_at: self.last_used_at.map(ts),
            secret_hint: self.secret_hint.clone(),
            rate_limit: self.rate_limit.map(|r| r as u32),
            personas: serde_json::from_str(&self.personas).map_err(ApiError::unavailable)?,
            project: self.project(),
            project_grants: serde_json::from_str(&self.project_grants)
                .map_err(ApiError::unavailable)?,
            global_admin: self.global_admin != 0,
            member_id: self.member_id.clone(),
        })
    }

    /// Master tokens and global keys belong to no project; everything else
    /// to its own, and tokens from before projects to the default one.
    pub fn project(&self) -> Option<String> {
        match self.kind.as_str() {
            "master" | "global" => None,
            _ => Some(
                self.project
                    .clone()
                    .unwrap_or_else(|| keyward_domain::DEFAULT_PROJECT.to_string()),
            ),
        }
    }

    pub fn token_kind(&self) -> ApiResult<TokenKind> {
        TokenKind::parse(&self.kind).ok_or_else(|| ApiError::unavailable("corrupt token kind"))
    }

    pub fn grant_list(&self) -> ApiResult<Vec<keyward_domain::Grant>> {
        serde_json::from_str(&self.grants).map_err(ApiError::unavailable)
    }

    pub fn persona_ids(&self) -> ApiResult<Vec<String>> {
        serde_json::from_str(&self.personas).map_err(ApiError::unavailable)
    }

    fn record(&self, context: &RecordContext, retired_until: Option<i64>) -> ApiResult<AuthRecord> {
        let mut token = self.view()?;
        if context.project.is_some() {
            token.project = context.project.clone();
        }
        Ok(AuthRecord {
            token,
            retired_until,
            inherited: context.inherited.clone(),
            acting_as: context.acting_as.clone(),
        })
    }

    fn expiration(&self, now: i64) -> Option<u64> {
        self.expires_at.map(|at| kv_expiration(at, now))
    }
}

/// Format and checksum first (no storage touched), then one replica read,
/// then the overlap deadline and the expiry.
pub async fn authenticate<R: Replica>(
    replica: &R,
    raw: &str,
    now: OffsetDateTime,
) -> ApiResult<Result<R::Record, Rejection>> {
    let secret = match Secret::parse(raw) {
        Ok(s) => s,
        Err(e) => return Ok(Err(Rejection::Malformed(e))),
    };
    let Some(record) = replica.get(secret.hash().as_str()).await? else {
        return Ok(Err(Rejection::NotFound));
    };
    Ok(verdict(std::borrow::Borrow::borrow(&record), now).map(|()| record))
}

/// The checks on a found record, shared with the bootstrap path: the
/// overlap deadline, then the expiry.
pub fn verdict(record: &AuthRecord, now: OffsetDateTime) -> Result<(), Rejection> {
    if let Some(until) = record.retired_until {
        if now.unix_timestamp() >= until {
            return Err(Rejection::NotFound);
        }
    }
    if expiry::is_expired(record.token.expires_at, now) {
        return Err(Rejection::Expired);
    }
    Ok(())
}

/// Writes every KV record of a token: its current secret and any secret
/// still inside its overlap.
pub async fn replicate<L: Ledger, R: Replica>(
    ledger: &L,
    replica: &R,
    row: &TokenRow,
    now: i64,
) -> ApiResult<()> {
    let context = ledger.context(row)?;
    replica
        .put(
            &row.secret_hash,
            &row.record(&context, None)?,
            row.expiration(now),
        )
        .await?;
    for retired in ledger.retired(&row.id, now)? {
        replica
            .put(
                &retired.hash,
                &row.record(&context, Some(retired.until))?,
                Some(kv_expiration(retired.until, now)),
            )
            .await?;
    }
    Ok(())
}

/// Before a change to what tokens inherit (a persona's grants, a member's):
/// the tokens are noted as stale, so that whatever happens after, the
/// ledger knows which records may still hold the old grants. Noting first
/// means a failure here changes nothing at all.
pub fn note_stale<L: Ledger>(ledger: &L, rows: &[TokenRow]) -> ApiResult<()> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    Ok(ledger.mark_stale(&ids)?)
}

/// After the change: each noted token's records are rewritten, then it is
/// crossed off. A failure leaves the rest noted for [`finish_stale`].
pub async fn rewrite_stale<L: Ledger, R: Replica>(
    ledger: &L,
    replica: &R,
    ids: &[String],
    now: i64,
) -> ApiResult<()> {
    for id in ids {
        // Re-read: the row is as the change left it (or gone).
        if let Some(row) = ledger.token(id)? {
            replicate(ledger, replica, &row, now).await?;
        }
        ledger.clear_stale(id)?;
    }
    Ok(())
}

/// Finishes what an earlier, failed rewrite left noted.
pub async fn finish_stale<L: Ledger, R: Replica>(
    ledger: &L,
    replica: &R,
    now: i64,
) -> ApiResult<()> {
    let ids = ledger.stale()?;
    rewrite_stale(ledger, replica, &ids, now).await
}

/// The replica first, then the ledger: a failure at either leaves no
/// working secret (the replica write is undone).
pub async fn create<L: Ledger, R: Replica>(
    ledger: &L,
    replica: &R,
    row: &TokenRow,
    now: i64,
) -> ApiResult<()> {
    let record = row.record(&ledger.context(row)?, None)?;
    let written = replica
        .put(&row.secret_hash, &record, row.expiration(now))
        .await;
    let stored = written.and_then(|_| ledger.insert_token(row));
    if let Err(e) = stored {
        let _ = replica.delete(&row.secret_hash).await;
        return Err(e.into());
    }
    Ok(())
}

/// A refresh: the new secret (hash and hint), how long the old one keeps
/// working, and the invitation it accepts, if any.
pub struct Rotation<'a> {
    pub new_hash: String,
    pub new_hint: String,
    pub overlap_seconds: u64,
    pub invitation: Option<&'a str>,
}

/// Write order: (1) the new secret's record, so there is never a moment
/// with neither secret working; (2) the ledger switches, atomically with
/// accepting the invitation; (3) the old secret's record is deleted, or
/// marked with its overlap deadline, which authentication enforces itself.
/// A failure at any step puts back what was there before.
pub async fn refresh<L: Ledger, R: Replica>(
    ledger: &L,
    replica: &R,
    before: &TokenRow,
    rotation: Rotation<'_>,
    now: i64,
) -> ApiResult<TokenRow> {
    let Rotation {
        new_hash,
        new_hint,
        overlap_seconds,
        invitation,
    } = rotation;
    let mut after = before.clone();
    after.secret_hash = new_hash;
    after.secret_hint = new_hint;
    after.updated_at = now;
    let until = now + overlap_seconds as i64;
    // Every record this refresh may write, before anything is written: a
    // failed read later could otherwise cut the undo short.
    let context = ledger.context(before)?;
    let new_record = after.record(&context, None)?;
    let retired_record = after.record(&context, Some(until))?;
    let before_record = before.record(&context, None)?;

    if let Err(e) = replica
        .put(&after.secret_hash, &new_record, after.expiration(now))
        .await
    {
        let _ = replica.delete(&after.secret_hash).await;
        return Err(e.into());
    }
    if let Err(e) = ledger.commit_refresh(&after, &before.secret_hash, until, invitation, now) {
        let _ = ledger.revert_refresh(before, invitation);
        let _ = replica.delete(&after.secret_hash).await;
        return Err(e.into());
    }
    let old_done = if overlap_seconds == 0 {
        replica.delete(&before.secret_hash).await
    } else {
        replica
            .put(
                &before.secret_hash,
                &retired_record,
                Some(kv_expiration(until, now)),
            )
            .await
    };
    if let Err(e) = old_done {
        let _ = ledger.revert_refresh(before, invitation);
        let _ = replica
            .put(&before.secret_hash, &before_record, before.expiration(now))
            .await;
        let _ = replica.delete(&after.secret_hash).await;
        return Err(e.into());
    }
    Ok(after)
}

/// Secrets die first, the ledger entry last: a failure midway leaves the
/// token listed (so the delete can be retried), never a working secret of
/// a token the registry no longer knows.
pub async fn delete<L: Ledger, R: Replica>(
    ledger: &L,
    replica: &R,
    row: &TokenRow,
) -> ApiResult<()> {
    for retired in ledger.retired(&row.id, i64::MIN)? {
        replica.delete(&retired.hash).await?;
    }
    replica.delete(&row.secret_hash).await?;
    ledger.delete_token(&row.id)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Fault injection: every storage call of each operation fails in turn,
    //! as an error (nothing written) and as a partial write (written, but
    //! reported failed — what a timeout can look like).
    use super::*;
    use futures::executor::block_on;
    use keyward_domain::ErrorCode;
    use std::cell::{Cell, RefCell};
    use std::collections::HashMap;
    use std::rc::Rc;

    #[derive(Clone, Copy, PartialEq, Debug)]
    enum Mode {
        Error,
        Partial,
    }

    #[derive(Default)]
    struct Faults {
        calls: Cell<usize>,
        fail_at: Cell<Option<usize>>,
        mode: Cell<Option<Mode>>,
        fired: Cell<bool>,
    }

    impl Faults {
        /// `Some(mode)` when this call is the one to fail.
        fn next(&self) -> Option<Mode> {
            let n = self.calls.get();
            self.calls.set(n + 1);
            if self.fail_at.get() == Some(n) {
                self.fired.set(true);
                self.mode.get()
            } else {
                None
            }
        }
        fn disarm(&self) {
            self.fail_at.set(None);
        }
    }

    fn fail() -> StoreError {
        StoreError("injected failure".into())
    }

    /// Runs a write unless the fault says otherwise.
    fn write<T>(faults: &Faults, apply: impl FnOnce() -> T) -> Result<T, StoreError> {
        match faults.next() {
            None => Ok(apply()),
            Some(Mode::Error) => Err(fail()),
            Some(Mode::Partial) => {
                apply();
                Err(fail())
            }
        }
    }

    fn read(faults: &Faults) -> Result<(), StoreError> {
        match faults.next() {
            None => Ok(()),
            Some(_) => Err(fail()),
        }
    }

    struct MemReplica {
        map: RefCell<HashMap<String, AuthRecord>>,
        faults: Rc<Faults>,
    }

    impl Replica for MemReplica {
        type Record = AuthRecord;
        async fn get(&self, hash: &str) -> Result<Option<AuthRecord>, StoreError> {
            read(&self.faults)?;
            Ok(self.map.borrow().get(hash).cloned())
        }
        async fn put(
            &self,
            hash: &str,
            record: &AuthRecord,
            _: Option<u64>,
        ) -> Result<(), StoreError> {
            write(&self.faults, || {
                self.map
                    .borrow_mut()
                    .insert(hash.to_string(), record.clone());
            })
        }
        async fn delete(&self, hash: &str) -> Result<(), StoreError> {
            write(&self.faults, || {
                self.map.borrow_mut().remove(hash);
            })
        }
    }

    #[derive(Default)]
    struct MemLedger {
        tokens: RefCell<HashMap<String, TokenRow>>,
        retired: RefCell<Vec<(String, String, i64)>>,
        invitations: RefCell<HashMap<String, &'static str>>,
        /// What each token inherits (a persona's grants, say).
        inherited: RefCell<HashMap<String, Vec<keyward_domain::Grant>>>,
        stale: RefCell<Vec<String>>,
        faults: Rc<Faults>,
    }

    impl Ledger for MemLedger {
        fn token(&self, id: &str) -> Result<Option<TokenRow>, StoreError> {
            read(&self.faults)?;
            Ok(self.tokens.borrow().get(id).cloned())
        }
        fn retired(&self, token_id: &str, now: i64) -> Result<Vec<RetiredRow>, StoreError> {
            read(&self.faults)?;
            Ok(self
                .retired
                .borrow()
                .iter()
                .filter(|(_, t, until)| t == token_id && *until > now)
                .map(|(hash, _, until)| RetiredRow {
                    hash: hash.clone(),
                    until: *until,
                })
                .collect())
        }
        fn insert_token(&self, row: &TokenRow) -> Result<(), StoreError> {
            write(&self.faults, || {
                self.tokens.borrow_mut().insert(row.id.clone(), row.clone());
            })
        }
        fn commit_refresh(
            &self,
            row: &TokenRow,
            old_hash: &str,
            until: i64,
            invitation: Option<&str>,
            _now: i64,
        ) -> Result<(), StoreError> {
            write(&self.faults, || {
                self.tokens.borrow_mut().insert(row.id.clone(), row.clone());
                self.retired
                    .borrow_mut()
                    .push((old_hash.to_string(), row.id.clone(), until));
                if let Some(i) = invitation {
                    self.invitations
                        .borrow_mut()
                        .insert(i.to_string(), "accepted");
                }
            })
        }
        fn revert_refresh(
            &self,
            before: &TokenRow,
            invitation: Option<&str>,
        ) -> Result<(), StoreError> {
            write(&self.faults, || {
                self.tokens
                    .borrow_mut()
                    .insert(before.id.clone(), before.clone());
                self.retired
                    .borrow_mut()
                    .retain(|(h, _, _)| *h != before.secret_hash);
                if let Some(i) = invitation {
                    self.invitations
                        .borrow_mut()
                        .insert(i.to_string(), "pending");
                }
            })
        }
        fn delete_token(&self, id: &str) -> Result<(), StoreError> {
            write(&self.faults, || {
                self.tokens.borrow_mut().remove(id);
                self.retired.borrow_mut().retain(|(_, t, _)| t != id);
            })
        }
        fn context(&self, row: &TokenRow) -> Result<RecordContext, StoreError> {
            read(&self.faults)?;
            Ok(RecordContext {
                inherited: self
                    .inherited
                    .borrow()
                    .get(&row.id)
                    .cloned()
                    .unwrap_or_default(),
                ..Default::default()
            })
        }
        fn mark_stale(&self, ids: &[String]) -> Result<(), StoreError> {
            write(&self.faults, || {
                let mut stale = self.stale.borrow_mut();
                for id in ids {
                    if !stale.contains(id) {
                        stale.push(id.clone());
                    }
                }
            })
        }
        fn clear_stale(&self, id: &str) -> Result<(), StoreError> {
            write(&self.faults, || self.stale.borrow_mut().retain(|s| s != id))
        }
        fn stale(&self) -> Result<Vec<String>, StoreError> {
            read(&self.faults)?;
            Ok(self.stale.borrow().clone())
        }
    }

    const NOW: i64 = 1_800_000_000;

    fn random(buf: &mut [u8]) {
        getrandom::getrandom(buf).expect("OS randomness");
    }

    fn row(name: &str, secret: &Secret) -> TokenRow {
        TokenRow {
            id: format!("tok_{name}"),
            client_id: format!("cli_{name}"),
            name: name.into(),
            description: String::new(),
            kind: "scoped".into(),
            grants: "[]".into(),
            created_by: "test".into(),
            created_at: NOW,
            updated_at: NOW,
            expires_at: None,
            last_used_at: None,
            secret_hash: secret.hash().0,
            secret_hint: secret.hint(),
            admin_id: None,
            rate_limit: None,
            ..Default::default()
        }
    }

    struct World {
        ledger: MemLedger,
        replica: MemReplica,
        faults: Rc<Faults>,
    }

    impl World {
        fn new() -> World {
            let faults = Rc::new(Faults::default());
            World {
                ledger: MemLedger {
                    faults: faults.clone(),
                    ..Default::default()
                },
                replica: MemReplica {
                    map: RefCell::default(),
                    faults: faults.clone(),
                },
                faults,
            }
        }

        fn works(&self, secret: &Secret) -> bool {
            let armed = self.faults.fail_at.get();
            self.faults.disarm();
            let ok = matches!(
                block_on(authenticate(&self.replica, secret.expose(), ts(NOW))),
                Ok(Ok(_))
            );
            self.faults.fail_at.set(armed);
            ok
        }

        fn listed(&self, id: &str) -> bool {
            self.ledger.tokens.borrow().contains_key(id)
        }

        /// A working token, created with no fault armed.
        fn token(&self, name: &str) -> (TokenRow, Secret) {
            let secret = Secret::generate(TokenKind::Scoped, random);
            let row = row(name, &secret);
            block_on(create(&self.ledger, &self.replica, &row, NOW)).expect("setup");
            (row, secret)
        }

        fn arm(&self, at: usize, mode: Mode) {
            self.faults.calls.set(0);
            self.faults.fired.set(false);
            self.faults.fail_at.set(Some(at));
            self.faults.mode.set(Some(mode));
        }

        /// After any failure, a clean delete of the token must leave none of
        /// its secrets working: no orphaned record survives.
        fn delete_leaves_nothing(&self, id: &str, secrets: &[&Secret]) {
            self.faults.disarm();
            if let Some(row) = self.ledger.token(id).expect("read") {
                block_on(delete(&self.ledger, &self.replica, &row)).expect("clean delete");
            }
            for s in secrets {
                assert!(!self.works(s), "a secret of a deleted token still works");
            }
        }
    }

    /// Runs `op` with a fault at every call index in turn, in both modes,
    /// until an index is past the operation's last call.
    fn each_fault(mut op: impl FnMut(Mode, usize) -> bool) -> usize {
        let mut cases = 0;
        for mode in [Mode::Error, Mode::Partial] {
            for at in 0.. {
                cases += 1;
                if !op(mode, at) {
                    break;
                }
                assert!(at < 50, "runaway");
            }
        }
        cases
    }

    #[test]
    fn authentication_fails_closed() {
        let cases = each_fault(|mode, at| {
            let w = World::new();
            let (_, secret) = w.token("a");
            w.arm(at, mode);
            let r = block_on(authenticate(&w.replica, secret.expose(), ts(NOW)));
            if !w.faults.fired.get() {
                assert!(matches!(r, Ok(Ok(_))));
                return false;
            }
            let err = r.err().expect("a storage failure is never access");
            assert_eq!(err.code(), ErrorCode::Unavailable);
            true
        });
        assert!(cases >= 4);
    }

    #[test]
    fn create_fails_closed() {
        each_fault(|mode, at| {
            let w = World::new();
            let (_, other) = w.token("other");
            let secret = Secret::generate(TokenKind::Scoped, random);
            let row = row("new", &secret);
            w.arm(at, mode);
            let r = block_on(create(&w.ledger, &w.replica, &row, NOW));
            let fired = w.faults.fired.get();
            w.faults.disarm();
            assert!(w.works(&other), "an unrelated secret stopped working");
            if !fired {
                assert!(r.is_ok() && w.works(&secret) && w.listed("tok_new"));
                return false;
            }
            assert_eq!(r.err().map(|e| e.code()), Some(ErrorCode::Unavailable));
            assert!(
                !w.works(&secret),
                "a failed create left a working secret ({mode:?} at {at})"
            );
            w.delete_leaves_nothing("tok_new", &[&secret]);
            true
        });
    }

    fn refresh_case(overlap: u64, invitation: bool) {
        each_fault(|mode, at| {
            let w = World::new();
            let (row, old) = w.token("t");
            let (_, other) = w.token("other");
            if invitation {
                w.ledger
                    .invitations
                    .borrow_mut()
                    .insert("inv".into(), "pending");
            }
            let new = Secret::generate(TokenKind::Scoped, random);
            w.arm(at, mode);
            let r = block_on(refresh(
                &w.ledger,
                &w.replica,
                &row,
                Rotation {
                    new_hash: new.hash().0,
                    new_hint: new.hint(),
                    overlap_seconds: overlap,
                    invitation: invitation.then_some("inv"),
                },
                NOW,
            ));
            let fired = w.faults.fired.get();
            w.faults.disarm();
            assert!(w.works(&other), "an unrelated secret stopped working");
            if !fired {
                assert!(r.is_ok() && w.works(&new));
                assert_eq!(w.works(&old), overlap > 0);
                return false;
            }
            assert_eq!(r.err().map(|e| e.code()), Some(ErrorCode::Unavailable));
            assert!(
                w.works(&old),
                "the old secret must still work after a failed refresh ({mode:?} at {at})"
            );
            assert!(
                !w.works(&new),
                "a failed refresh left the new secret working ({mode:?} at {at})"
            );
            assert_eq!(
                w.ledger.token("tok_t").unwrap().unwrap().secret_hash,
                row.secret_hash,
                "the registry still holds the old secret"
            );
            if invitation {
                assert_eq!(
                    w.ledger.invitations.borrow()["inv"],
                    "pending",
                    "the invitation can be accepted again"
                );
            }
            w.delete_leaves_nothing("tok_t", &[&old, &new]);
            true
        });
    }

    #[test]
    fn refresh_fails_closed() {
        refresh_case(0, false);
    }

    #[test]
    fn refresh_with_overlap_fails_closed() {
        refresh_case(60, false);
    }

    #[test]
    fn accept_invitation_fails_closed() {
        refresh_case(0, true);
    }

    /// A change to what tokens inherit (a persona loses a grant) with a
    /// failure at every storage call: the tokens' records either hold the
    /// new grants or are still noted stale, no secret stops working, and
    /// finishing the noted rewrites afterwards converges.
    #[test]
    fn inherited_grant_changes_converge() {
        let read_all = vec![keyward_domain::Grant::parse_compact("storage:read@*").unwrap()];
        each_fault(|mode, at| {
            let w = World::new();
            let (a, sa) = w.token("a");
            let (b, sb) = w.token("b");
            for t in [&a, &b] {
                w.ledger
                    .inherited
                    .borrow_mut()
                    .insert(t.id.clone(), read_all.clone());
                block_on(replicate(&w.ledger, &w.replica, t, NOW)).expect("setup");
            }
            let rows = [a.clone(), b.clone()];
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            w.arm(at, mode);
            let r = note_stale(&w.ledger, &rows).and_then(|()| {
                // The change itself: the persona no longer grants anything.
                w.ledger.inherited.borrow_mut().clear();
                block_on(rewrite_stale(&w.ledger, &w.replica, &ids, NOW))
            });
            let fired = w.faults.fired.get();
            w.faults.disarm();
            for s in [&sa, &sb] {
                assert!(
                    w.works(s),
                    "a rewrite must never stop a secret ({mode:?} at {at})"
                );
            }
            let holds_old =
                |t: &TokenRow| !w.replica.map.borrow()[&t.secret_hash].inherited.is_empty();
            let changed = w.ledger.inherited.borrow().is_empty();
            if !fired {
                assert!(r.is_ok());
                assert!(!holds_old(&a) && !holds_old(&b));
                assert!(w.ledger.stale.borrow().is_empty());
                return false;
            }
            assert_eq!(r.err().map(|e| e.code()), Some(ErrorCode::Unavailable));
            if changed {
                for t in [&a, &b] {
                    assert!(
                        !holds_old(t) || w.ledger.stale.borrow().contains(&t.id),
                        "{} holds a removed grant without being noted stale ({mode:?} at {at})",
                        t.id
                    );
                }
            }
            block_on(finish_stale(&w.ledger, &w.replica, NOW)).expect("finishing converges");
            assert!(w.ledger.stale.borrow().is_empty());
            if changed {
                assert!(!holds_old(&a) && !holds_old(&b), "({mode:?} at {at})");
            }
            true
        });
    }

    #[test]
    fn delete_fails_closed() {
        each_fault(|mode, at| {
            let w = World::new();
            let (row, secret) = w.token("doomed");
            // A retired secret within its overlap too.
            let next = Secret::generate(TokenKind::Scoped, random);
            let row = block_on(refresh(
                &w.ledger,
                &w.replica,
                &row,
                Rotation {
                    new_hash: next.hash().0,
                    new_hint: next.hint(),
                    overlap_seconds: 60,
                    invitation: None,
                },
                NOW,
            ))
            .unwrap();
            let (_, other) = w.token("other");
            w.arm(at, mode);
            let r = block_on(delete(&w.ledger, &w.replica, &row));
            let fired = w.faults.fired.get();
            w.faults.disarm();
            assert!(w.works(&other), "an unrelated secret stopped working");
            if !fired {
                assert!(
                    r.is_ok() && !w.works(&secret) && !w.works(&next) && !w.listed("tok_doomed")
                );
                return false;
            }
            assert_eq!(r.err().map(|e| e.code()), Some(ErrorCode::Unavailable));
            for s in [&secret, &next] {
                assert!(
                    !w.works(s) || w.listed("tok_doomed"),
                    "a secret works but its token is gone ({mode:?} at {at})"
                );
            }
            w.delete_leaves_nothing("tok_doomed", &[&secret, &next]);
            true
        });
    }
}
