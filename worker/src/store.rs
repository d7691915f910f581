//! What lives in Workers KV: the read-heavy lookups at the edge.
//!
//! - `secret:<sha256>` → [`AuthRecord`]: everything authentication and
//!   authorization need in one read. Written only by the registry.
//! - `bucket:<id>` → a marker whose metadata is the [`Bucket`].
//! - `object:<bucket>/<key>` → the object's bytes, metadata [`ObjectMeta`].
//!
//! The registry (a Durable Object) is the source of truth for tokens; KV is
//! its replica for the hot path.

use crate::authority::{self, kv_expiration, AuthRecord};
pub use crate::random::{fill_random, random_id};
use keyward_domain::api::InvitationWelcome;
use keyward_domain::{Access, Principal, Secret, TokenKind};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use time::OffsetDateTime;

pub const KV_BINDING: &str = "KEYWARD";

pub fn secret_key(hash: &str) -> String {
    format!("secret:{hash}")
}
/// KV keys of a project's storage. The default project keeps the keys it
/// had before projects existed, so its data needs no migration; others
/// live under their own prefix, which no default-project key can share
/// (bucket ids cannot contain ':').
fn storage_prefix(project: &str, what: &str) -> String {
    if project == keyward_domain::DEFAULT_PROJECT {
        format!("{what}:")
    } else {
        format!("p:{project}:{what}:")
    }
}
pub fn bucket_prefix(project: &str) -> String {
    storage_prefix(project, "bucket")
}
pub fn bucket_key(project: &str, id: &str) -> String {
    format!("{}{id}", bucket_prefix(project))
}
/// What the public invitation endpoints read, by the hash of the code:
/// an [`InvitationReplica`], kept a week past the invitation's expiry.
pub fn invitation_key(code_hash: &str) -> String {
    format!("invitation:{code_hash}")
}

/// How long KV keeps an invitation's replica after the invitation expired,
/// so a late click is told "expired" or "used" rather than "not found".
pub const INVITATION_KEPT_SECONDS: i64 = 7 * 24 * 3600;

pub fn invitation_expiration(expires_at: i64, now: i64) -> u64 {
    kv_expiration(expires_at.saturating_add(INVITATION_KEPT_SECONDS), now)
}

/// An invitation as KV holds it. Written only by the registry: the welcome
/// data once the email is out, a marker once accepted; deleted when
/// revoked or re-sent. A code with nothing in KV is unknown.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum InvitationReplica {
    Pending(Box<InvitationWelcome>),
    Accepted { accepted: bool },
}
pub fn object_prefix(project: &str, bucket: &str) -> String {
    format!("{}{bucket}/", storage_prefix(project, "object"))
}
pub fn object_key(project: &str, bucket: &str, key: &str) -> String {
    format!("{}{key}", object_prefix(project, bucket))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectMeta {
    pub content_type: String,
    pub size: u64,
    pub updated_at: i64,
}

/// A token's KV record as this isolate understood it.
pub struct Known {
    /// The record's text in KV, to tell whether it changed since.
    text: String,
    pub record: AuthRecord,
    pub access: Access,
    /// The caller's permissions in its home project.
    pub principal: Principal,
    /// When the first running elevation ends: from then on `access` and
    /// `principal` are out of date and must be derived again.
    valid_until: Option<i64>,
    /// `whoami`'s answer for this record, around its `last_used_at` value
    /// (the one part that changes per call): written on first use.
    whoami: std::cell::OnceCell<Option<(String, String)>>,
}

impl Known {
    /// The record understood at `now` (unix seconds).
    pub fn new(record: AuthRecord, text: String, now: i64) -> Known {
        let access = record.access(now);
        let principal = access.principal(crate::catalog::catalog_ref(), access.home());
        let valid_until = keyward_domain::elevation::next_end(&record.token.elevations, now);
        Known {
            text,
            record,
            access,
            principal,
            valid_until,
            whoami: std::cell::OnceCell::new(),
        }
    }

    /// `whoami`'s answer as `write` gives it (with no `last_used_at`),
    /// split where this call's instant goes; kept for the record's life.
    pub fn whoami_parts(
        &self,
        write: impl FnOnce() -> Option<String>,
    ) -> Option<&(String, String)> {
        self.whoami
            .get_or_init(|| {
                // A key in the answer's text, not inside a string value
                // (whose quotes would be escaped): the token's own field,
                // the first object written.
                const UNUSED: &str = "\"last_used_at\":null";
                let text = write()?;
                let at = text.find(UNUSED)? + UNUSED.len() - "null".len();
                Some((
                    text[..at].to_string(),
                    text[at + "null".len()..].to_string(),
                ))
            })
            .as_ref()
    }

    /// Whether this copy still answers for `text` at `now`: the same
    /// record, and no elevation ended since it was derived.
    fn holds_for(&self, text: &str, now: i64) -> bool {
        self.text == text && self.valid_until.is_none_or(|end| now < end)
    }
}

impl crate::authority::HoldsRecord for Rc<Known> {
    fn record(&self) -> &AuthRecord {
        &self.record
    }
}

/// Records parsed by this isolate, by secret hash. Bounded: when full it
/// starts over (a miss costs one parse, never a wrong answer).
const KNOWN_MAX: usize = 4096;

thread_local! {
    static KNOWN: RefCell<HashMap<String, Rc<Known>>> = RefCell::new(HashMap::new());
}

/// The parsed form of `text`, the KV record of `hash`: this isolate's copy
/// when the text is unchanged and no elevation in it has ended since,
/// else parsed now (and kept).
pub(crate) fn understood(hash: &str, text: String) -> Result<Rc<Known>, authority::StoreError> {
    let now = now().unix_timestamp();
    if let Some(known) = KNOWN.with(|k| k.borrow().get(hash).cloned()) {
        if known.holds_for(&text, now) {
            return Ok(known);
        }
    }
    let record = serde_json::from_str::<AuthRecord>(&text)
        .map_err(|e| authority::StoreError(format!("a stored token record is unreadable: {e}")))?
        .upgraded();
    let known = Rc::new(Known::new(record, text, now));
    KNOWN.with(|k| {
        let mut k = k.borrow_mut();
        if k.len() >= KNOWN_MAX {
            k.clear();
        }
        k.insert(hash.to_string(), known.clone());
    });
    Ok(known)
}

/// Workers KV as the token authority's replica.
pub struct KvReplica(pub worker::kv::KvStore);

impl crate::authority::Replica for KvReplica {
    /// This isolate's parsed copy, shared between calls while KV's text is
    /// unchanged (`understood`).
    type Record = Rc<Known>;
    async fn get(&self, hash: &str) -> Result<Option<Self::Record>, crate::authority::StoreError> {
        match self.0.get(&secret_key(hash)).text().await? {
            Some(text) => Ok(Some(understood(hash, text)?)),
            None => Ok(None),
        }
    }

    async fn put(
        &self,
        hash: &str,
        record: &AuthRecord,
        expiration: Option<u64>,
    ) -> Result<(), crate::authority::StoreError> {
        let json = serde_json::to_string(record)
            .map_err(|e| crate::authority::StoreError(e.to_string()))?;
        let mut put = self.0.put(&secret_key(hash), json)?;
        if let Some(at) = expiration {
            put = put.expiration(at);
        }
        Ok(put.execute().await?)
    }

    async fn delete(&self, hash: &str) -> Result<(), crate::authority::StoreError> {
        Ok(self.0.delete(&secret_key(hash)).await?)
    }
}

/// Sessions' lifetimes as the deployment sets them
/// (`SESSION_ABSOLUTE_SECONDS`, `SESSION_IDLE_SECONDS`; the domain's defaults).
pub fn session_lifetimes(env: &worker::Env) -> keyward_domain::signin::Lifetimes {
    let var = |name: &str| env.var(name).ok().map(|v| v.to_string());
    keyward_domain::signin::Lifetimes::from_settings(
        var("SESSION_ABSOLUTE_SECONDS").as_deref(),
        var("SESSION_IDLE_SECONDS").as_deref(),
    )
}

pub fn now() -> OffsetDateTime {
    let ms = worker::Date::now().as_millis() as i64;
    OffsetDateTime::from_unix_timestamp(ms / 1000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub fn new_secret(kind: TokenKind) -> Secret {
    Secret::generate(kind, fill_random)
}

#[cfg(test)]
mod native_smoke {
    #[test]
    fn invitation_replicas_round_trip_and_old_welcomes_read_as_pending() {
        use super::InvitationReplica;
        let used: InvitationReplica = serde_json::from_str(
            &serde_json::to_string(&InvitationReplica::Accepted { accepted: true }).unwrap(),
        )
        .unwrap();
        assert!(matches!(
            used,
            InvitationReplica::Accepted { accepted: true }
        ));
        let welcome = serde_json::json!({
            "inviter": "Ann", "email": "b@example.com", "message": "", "token_name": "t",
            "grants": [], "permissions": [], "summary": "nothing",
            "token_expires_at": null, "expires_at": "2026-12-01T00:00:00Z"
        });
        let pending: InvitationReplica = serde_json::from_value(welcome).unwrap();
        assert!(matches!(pending, InvitationReplica::Pending(_)));
    }

    #[test]
    fn kv_expiration_respects_the_floor() {
        assert_eq!(super::kv_expiration(100, 1000), 1061);
        assert_eq!(super::kv_expiration(5000, 1000), 5000);
    }
}
