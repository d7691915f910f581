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
use crate::incoming::{ReadHeader, Req};
#[cfg(feature = "control")]
use crate::registry::{
    Actor, Command, NewSecret, Registry, SessionCaller, SessionMark, SignInCommand,
};
use crate::store::{self, Known};
use keyward_domain::api::Token;
use keyward_domain::api::{Person, SessionInfo};
use keyward_domain::signin;
use keyward_domain::{Catalog, ErrorCode, Principal, Secret};
use std::net::IpAddr;
use std::ops::Deref;
use std::rc::Rc;
use subtle::ConstantTimeEq;
use worker::Env;
#[cfg(feature = "control")]
use worker::Request;

pub use crate::authority::Rejection;

/// An authenticated caller: a credential, and the session it came with
/// when a person signed in.
pub struct Caller {
    known: Rc<Known>,
    pub signed_in: Option<SignedInPerson>,
    /// The call's id, which the registry's audit entries carry too.
    pub request_id: Option<String>,
}

/// A session's person and the session itself.
pub struct SignedInPerson {
    pub person: Person,
    pub session: SessionInfo,
}

impl Deref for Caller {
    type Target = Known;
    fn deref(&self) -> &Known {
        &self.known
    }
}

impl Caller {
    pub fn of(known: Rc<Known>) -> Caller {
        Caller {
            known,
            signed_in: None,
            request_id: None,
        }
    }

    pub fn token(&self) -> &Token {
        &self.record.token
    }
    #[cfg(feature = "control")]
    /// The caller as the registry receives it: its KV record, as of now.
    /// (A personal key acts as its user: the audit log and `created_by`
    /// name the user, with the key kept as `via`.)
    pub fn actor(&self) -> Actor {
        Actor {
            caller: self.record.clone(),
            at: crate::store::now().unix_timestamp(),
            person: self.person(),
            request_id: self.request_id.clone(),
            session: self.signed_in.as_ref().map(|s| SessionMark {
                id: s.session.id.clone(),
                person: s.person.key(),
                method: s.session.method,
            }),
        }
    }

    /// Who the audit log names, and the personal key or the kind of
    /// session they acted through.
    pub fn audit_identity(&self) -> (String, Option<String>) {
        let (who, via) = self.record.audit_identity();
        match &self.signed_in {
            Some(s) => (who, Some(s.session.method.audit_via().to_string())),
            None => (who, via),
        }
    }

    /// The person who signed in, when the call came with a session.
    pub fn person(&self) -> Option<String> {
        self.signed_in.as_ref().map(|s| s.person.key())
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

pub fn bearer(req: &Req) -> ApiResult<String> {
    bearer_in(req.header("authorization")?)
}

/// The token of an `Authorization: Bearer <token>` header's value.
fn bearer_in(header: Option<String>) -> ApiResult<String> {
    let header = header.unwrap_or_default();
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
pub fn client_address(req: &Req) -> Option<IpAddr> {
    let raw = req.header("cf-connecting-ip").ok().flatten()?;
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
    unknown(env, raw, now, from).await
}

/// An unknown secret at the edge: unknown. Only the control plane's
/// registry can take the bootstrap secret's first use; the edge hands
/// that secret there (`edge::served_here`).
#[cfg(not(feature = "control"))]
async fn unknown(
    _env: &Env,
    _raw: &str,
    _now: time::OffsetDateTime,
    _from: Option<IpAddr>,
) -> ApiResult<Result<Rc<Known>, Rejection>> {
    Ok(Err(Rejection::NotFound))
}

/// An unknown secret: perhaps the first use of the bootstrap secret.
#[cfg(feature = "control")]
async fn unknown(
    env: &Env,
    raw: &str,
    now: time::OffsetDateTime,
    from: Option<IpAddr>,
) -> ApiResult<Result<Rc<Known>, Rejection>> {
    let Ok(secret) = Secret::parse(raw) else {
        return Ok(Err(Rejection::NotFound));
    };
    Ok(match bootstrap(env, &secret).await? {
        Some(record) => authority::verdict(&record, now, from)
            .map(|()| Rc::new(Known::new(record, String::new(), now.unix_timestamp()))),
        None => Err(Rejection::NotFound),
    })
}

#[cfg(feature = "control")]
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

/// The caller: a bearer token when `Authorization` is sent (a cookie
/// beside it is ignored), else the session the cookie names.
pub async fn authenticate(req: &Req, env: &Env) -> ApiResult<Caller> {
    let authorization = req.header("authorization")?;
    #[cfg(feature = "control")]
    if authorization.is_none() {
        if let Some(hash) = session_hash(req)? {
            return session_caller(req, env, &hash).await;
        }
    }
    let raw = bearer_in(authorization)?;
    Ok(Caller::of(
        lookup_known(env, &raw, client_address(req)).await??,
    ))
}

#[cfg(feature = "control")]
/// The request's own origin (`https://keyward.example`) and whether it
/// came over HTTPS.
pub fn own_origin(req: &Request) -> ApiResult<(String, bool)> {
    let url = req.url()?;
    Ok((url.origin().ascii_serialization(), url.scheme() == "https"))
}

#[cfg(feature = "control")]
/// The SHA-256 of the session cookie's secret, if the request carries one.
pub fn session_hash(req: &Request) -> ApiResult<Option<String>> {
    let (_, https) = own_origin(req)?;
    let cookies = req.headers().get("cookie")?.unwrap_or_default();
    Ok(signin::cookie_value(&cookies, https).map(|v| keyward_domain::secret::hash_str(v).0))
}

#[cfg(feature = "control")]
/// Refuses a cookie-carried or session-opening request that is not the
/// app's own (`signin::same_site`): 403 before anything is looked up.
pub fn require_same_site(req: &Request) -> ApiResult<()> {
    let (own, _) = own_origin(req)?;
    let origin = req.headers().get("origin")?;
    let app = req.headers().get(signin::APP_HEADER)?.is_some();
    signin::same_site(&req.inner().method(), origin.as_deref(), &own, app)
        .map_err(|e| ApiError::new(ErrorCode::CrossSiteRequest, e.to_string()))
}

#[cfg(feature = "control")]
async fn session_caller(req: &Request, env: &Env, hash: &str) -> ApiResult<Caller> {
    require_same_site(req)?;
    let found: SessionCaller = Registry::from_env(env)?
        .call(&Command::SignIn(SignInCommand::Session {
            hash: hash.to_string(),
        }))
        .await?;
    let now = store::now();
    let record = found.caller.upgraded();
    // The person's credential still decides: a disabled master token or an
    // expired user token ends what its sessions may do.
    authority::verdict(&record, now, client_address(req)).map_err(ApiError::from)?;
    Ok(Caller {
        known: Rc::new(Known::new(record, String::new(), now.unix_timestamp())),
        signed_in: Some(SignedInPerson {
            person: found.person,
            session: found.session,
        }),
        request_id: None,
    })
}
