//! Bearer authentication: the format and checksum are checked before any
//! storage is touched; then one KV read; then expiry. Every failure denies.
//!
//! The KV read happens on every call, so a revocation or change is seen
//! exactly as soon as KV shows it. What is skipped is the work after it:
//! each isolate keeps the records it parsed, keyed by secret hash and
//! compared byte for byte with what KV just returned, so an unchanged
//! record is neither parsed again nor its permissions derived again.

use crate::authority::{self, AuthRecord};
use crate::http::{ApiError, ApiResult};
use crate::registry::{Actor, Command, NewSecret, Registry};
use crate::store::{self, Known};
use keyward_domain::api::Token;
use keyward_domain::{Catalog, ErrorCode, Principal, Secret};
use std::net::IpAddr;
use std::ops::Deref;
use std::rc::Rc;
use subtle::ConstantTimeEq;
use worker::{Env, Request};

pub use crate::authority::Rejection;

/// An authenticated caller.
pub struct Caller(Rc<Known>);

impl Deref for Caller {
    type Target = Known;
    fn deref(&self) -> &Known {
        &self.0
    }
}

impl Caller {
    pub fn of(known: Rc<Known>) -> Caller {
        Caller(known)
    }

    pub fn token(&self) -> &Token {
        &self.record.token
    }
    /// The caller as the registry receives it: its KV record, as of now.
    /// (A personal key acts as its user: the audit log and `created_by`
    /// name the user, with the key kept as `via`.)
    pub fn actor(&self) -> Actor {
        Actor {
            caller: self.record.clone(),
            at: crate::store::now().unix_timestamp(),
            person: None,
        }
    }

    /// Who the audit log names, and the personal key they acted through.
    pub fn audit_identity(&self) -> (String, Option<String>) {
        self.record.audit_identity()
    }

    /// The caller as the one admission step judges it
    /// (`keyward_domain::admit`), with this isolate's home principal.
    pub fn credential(&self) -> keyward_domain::admit::Credential<'_> {
        let token = &self.record.token;
        keyward_domain::admit::Credential {
            access: &self.access,
            expires_at: token.expires_at.map(|t| t.unix_timestamp()),
            enabled: token.enabled,
            not_before: token.not_before.map(|t| t.unix_timestamp()),
            retired: self.record.retired_until.is_some(),
            home_principal: Some(&self.principal),
        }
    }

    /// The caller's permissions inside `project`.
    pub fn principal_in(&self, catalog: &Catalog, project: &str) -> Principal {
        self.access.principal(catalog, project)
    }
}

pub fn bearer(req: &Request) -> ApiResult<String> {
    let header = req.headers().get("authorization")?.unwrap_or_default();
    let mut parts = header.trim().splitn(2, ' ');
    match (parts.next(), parts.next()) {
        (Some(scheme), Some(value))
            if scheme.eq_ignore_ascii_case("bearer") && !value.trim().is_empty() =>
        {
            Ok(value.trim().to_string())
        }
        _ => Err(ApiError::new(
            ErrorCode::MissingToken,
            "send the token as 'Authorization: Bearer <token>'",
        )),
    }
}

/// The client's address as the edge saw it. On Cloudflare
/// `CF-Connecting-IP` is always set by the edge (a client's own value is
/// overwritten). Local `wrangler dev` sets it to the connecting address,
/// but keeps one a client sent: in development the address is only as
/// good as the client. Without one the address is unknown, which a token
/// with an allow-list refuses; a value that is not an IP address counts
/// as unknown.
pub fn client_address(req: &Request) -> Option<IpAddr> {
    let raw = req.headers().get("cf-connecting-ip").ok().flatten()?;
    raw.trim().parse::<IpAddr>().ok()
}

/// Looks a key up, as presented from `from`. `Ok(Err(_))` is a rejection;
/// `Err(_)` is a storage failure, which callers turn into a denial.
pub async fn lookup(
    env: &Env,
    raw: &str,
    from: Option<IpAddr>,
) -> ApiResult<Result<AuthRecord, Rejection>> {
    Ok(lookup_known(env, raw, from)
        .await?
        .map(|known| known.record.clone()))
}

/// [`lookup`], sharing this isolate's parsed copy of the record.
pub async fn lookup_known(
    env: &Env,
    raw: &str,
    from: Option<IpAddr>,
) -> ApiResult<Result<Rc<Known>, Rejection>> {
    let replica = store::KvReplica(env.kv(store::KV_BINDING)?);
    let now = store::now();
    match authority::authenticate(&replica, raw, now, from).await? {
        Err(Rejection::NotFound) => {}
        other => return Ok(other),
    }
    // Unknown: perhaps the first use of the bootstrap secret.
    let Ok(secret) = Secret::parse(raw) else {
        return Ok(Err(Rejection::NotFound));
    };
    Ok(match bootstrap(env, &secret).await? {
        Some(record) => authority::verdict(&record, now, from)
            .map(|()| Rc::new(Known::new(record, String::new(), now.unix_timestamp()))),
        None => Err(Rejection::NotFound),
    })
}

/// The very first admin: when the presented secret hashes to the configured
/// `BOOTSTRAP_TOKEN_HASH` and no admin exists yet, the registry creates the
/// first admin with it. Only the hash is ever configured.
async fn bootstrap(env: &Env, secret: &Secret) -> ApiResult<Option<AuthRecord>> {
    let Ok(expected) = env.var("BOOTSTRAP_TOKEN_HASH").map(|v| v.to_string()) else {
        return Ok(None);
    };
    if expected.trim().is_empty()
        || secret.kind() != keyward_domain::TokenKind::Master
        || !bool::from(
            expected
                .trim()
                .as_bytes()
                .ct_eq(secret.hash().as_str().as_bytes()),
        )
    {
        return Ok(None);
    }
    let token: Option<Token> = Registry::from_env(env)?
        .call(&Command::Bootstrap {
            secret: NewSecret::of(secret),
        })
        .await?;
    Ok(token.map(|token| AuthRecord {
        token,
        retired_until: None,
        inherited: vec![],
        acting_as: None,
    }))
}

pub async fn authenticate(req: &Request, env: &Env) -> ApiResult<Caller> {
    let raw = bearer(req)?;
    Ok(Caller(lookup_known(env, &raw, client_address(req)).await??))
}
