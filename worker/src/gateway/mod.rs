//! The edge gateway: `/gw/*` calls are matched against the route table
//! shipped with the worker (`worker/gateway.json`), authenticated (Keyward
//! secret or JWT), rate limited, authorized against **every** grant the
//! route requires, and proxied to the upstream with signed identity headers.
//!
//! Order of checks: route (404/405), credential (401), rate limit (429),
//! grants (403), upstream (502/504). Nothing reaches the upstream unless
//! all of them pass.

mod jwt;
mod proxy;

use crate::auth;
use crate::http::{self, ApiError, ApiResult};
use crate::store;
use keyward_domain::api::Outcome;
use keyward_domain::gateway::{Credential, Identity, Miss, RouteTable};
use keyward_domain::jwt::{classify, BearerShape};
use keyward_domain::{Decision, ErrorCode, Principal};
use std::sync::OnceLock;
use std::time::Duration;
use worker::{Context, Env, Request, Response};

pub const PREFIX: &str = "/gw";

static TABLE: OnceLock<Result<RouteTable, String>> = OnceLock::new();

/// The shipped table, parsed once per isolate. It is checked by the domain
/// tests; should it ever be broken, every gateway call is refused.
fn table() -> ApiResult<&'static RouteTable> {
    TABLE
        .get_or_init(|| RouteTable::from_json(include_str!("../../gateway.json")))
        .as_ref()
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("gateway.json: {e}")))
}

/// A setting from a secret or a var; empty counts as unset.
pub(crate) fn setting(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// Who called (and through which personal key), the Keyward token, the
/// action and the target.
type GatewayAudit = ((String, Option<String>), Option<String>, String, String);

/// Who the gateway let through.
struct Authenticated {
    identity: Identity,
    principal: Principal,
    /// The rate limiter's key and the caller's own limit.
    limit_key: String,
    limit: Option<u32>,
    /// For the audit log: who, and the personal key they acted through.
    actor: (String, Option<String>),
    /// A Keyward token's id (JWTs have none), for `last_used_at`.
    token_id: Option<String>,
}

pub async fn handle(req: Request, env: &Env, ctx: &Context) -> Response {
    let mut audit: Option<GatewayAudit> = None;
    let result = serve(req, env, &mut audit).await;
    if let Some((actor, token_id, action, target)) = audit {
        let (outcome, detail) = match &result {
            Ok(resp) => (Outcome::Success, format!("upstream {}", resp.status_code())),
            Err(e) if e.problem.status == 403 => (Outcome::Denied, e.problem.detail.clone()),
            Err(e) => (
                Outcome::Failed,
                format!("{}: {}", e.code().as_str(), e.problem.detail),
            ),
        };
        record(env, ctx, actor, token_id, action, target, outcome, detail);
    }
    match result {
        Ok(resp) => resp,
        Err(e) => http::problem_response(&e),
    }
}

async fn serve(req: Request, env: &Env, audit: &mut Option<GatewayAudit>) -> ApiResult<Response> {
    let table = table()?;
    let url = req
        .url()
        .map_err(|_| ApiError::new(ErrorCode::InvalidRequest, "the URL could not be parsed"))?;
    // The raw (still percent-encoded) path: the upstream gets it unchanged.
    let rest = url
        .path()
        .strip_prefix(PREFIX)
        .unwrap_or_default()
        .to_string();
    let method = req.inner().method();
    let matched = table.resolve(&method, &rest).map_err(|miss| match miss {
        Miss::NotFound => ApiError::new(
            ErrorCode::NotFound,
            format!("no gateway route at {}", url.path()),
        ),
        Miss::MethodNotAllowed(allowed) => {
            let mut e = ApiError::new(
                ErrorCode::MethodNotAllowed,
                format!("{method} is not allowed here; use {}", allowed.join(", ")),
            );
            e.allow = Some(allowed.join(", "));
            e
        }
    })?;
    let route = matched.route;
    let required = matched
        .required()
        .map_err(|e| ApiError::new(ErrorCode::InvalidRequest, e))?;

    let who = authenticate(
        &req,
        env,
        table,
        route.accepts(Credential::Keyward),
        route.accepts(Credential::Jwt),
    )
    .await?;
    *audit = Some((
        who.actor.clone(),
        who.token_id.clone(),
        format!("gateway.{}", route.name),
        rest.clone(),
    ));
    crate::ratelimit::enforce(env, &who.limit_key, who.limit).await?;
    for wanted in &required {
        if let Decision::Deny(missing) = who.principal.decide(wanted) {
            return Err(crate::insufficient(&missing));
        }
    }

    let upstream = route
        .upstream
        .resolve(&|name| setting(env, name))
        .ok_or_else(|| {
            worker::console_error!("gateway route {}: no upstream configured", route.name);
            ApiError::new(
                ErrorCode::UpstreamUnavailable,
                "no upstream is configured for this route",
            )
        })?;
    // Never forward identity headers that the upstream could not verify.
    let key = setting(env, "GATEWAY_SIGNING_KEY").ok_or_else(|| {
        ApiError::unavailable("GATEWAY_SIGNING_KEY is not set; the gateway refuses to forward")
    })?;
    let timeout_ms = setting(env, "GATEWAY_TIMEOUT_MS")
        .and_then(|s| s.trim().parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .unwrap_or(table.timeout_ms);
    proxy::forward(
        req,
        &proxy::Target {
            base: &upstream,
            rest: &rest,
            query: url.query(),
        },
        &who.identity,
        key.as_bytes(),
        Duration::from_millis(timeout_ms),
    )
    .await
}

async fn authenticate(
    req: &Request,
    env: &Env,
    table: &RouteTable,
    keyward_ok: bool,
    jwt_ok: bool,
) -> ApiResult<Authenticated> {
    let raw = auth::bearer(req)?;
    match classify(&raw) {
        BearerShape::Keyward => {
            if !keyward_ok {
                return Err(ApiError::new(
                    ErrorCode::InvalidToken,
                    "this route does not accept Keyward tokens",
                ));
            }
            let record = auth::lookup(env, &raw).await??;
            let access = record.access();
            let principal = access.principal(crate::catalog_ref(), access.home());
            let caller = auth::Caller {
                record,
                access,
                principal,
            };
            let token = caller.token();
            Ok(Authenticated {
                identity: Identity {
                    token_id: token.id.clone(),
                    client_id: token.client_id.clone(),
                    kind: token.kind.as_str().to_string(),
                },
                limit_key: token.id.clone(),
                token_id: Some(token.id.clone()),
                limit: token.rate_limit,
                actor: caller.audit_identity(),
                principal: caller.principal,
            })
        }
        BearerShape::Jwt => {
            if !jwt_ok {
                return Err(ApiError::new(
                    ErrorCode::InvalidToken,
                    "this route does not accept JWTs",
                ));
            }
            let verified = jwt::authenticate(&raw, env, table).await?;
            let client_id = format!("{}:{}", verified.issuer_id, verified.subject);
            Ok(Authenticated {
                identity: Identity {
                    token_id: verified.jti.unwrap_or_default(),
                    client_id: client_id.clone(),
                    kind: "jwt".into(),
                },
                principal: Principal::new(crate::catalog_ref(), false, &verified.grants),
                limit_key: format!("jwt:{client_id}"),
                token_id: None,
                limit: None,
                actor: (client_id, None),
            })
        }
        BearerShape::Malformed => Err(ApiError::new(
            ErrorCode::MalformedToken,
            "the bearer value is neither a Keyward secret nor a JWT",
        )),
    }
}

#[allow(clippy::too_many_arguments)]
fn record(
    env: &Env,
    ctx: &Context,
    (actor, via): (String, Option<String>),
    token_id: Option<String>,
    action: String,
    target: String,
    outcome: Outcome,
    detail: String,
) {
    let at_ms = worker::Date::now().as_millis() as i64;
    crate::audit::record(
        env,
        ctx,
        crate::audit::AuditEvent {
            id: crate::audit::event_id(at_ms),
            at_ms,
            actor,
            via,
            project: None,
            action,
            target,
            outcome,
            detail,
            token_id,
            logged: true,
        },
    );
}

/// Seconds since the epoch, from the runtime's clock.
pub(crate) fn now_seconds() -> i64 {
    store::now().unix_timestamp()
}
