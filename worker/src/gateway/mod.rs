//! The edge gateway: `/gw/*` calls are matched against the route table
//! shipped with the worker (`worker/gateway.json`), authenticated (Keyward
//! secret or JWT), rate limited, authorized against **every** grant the
//! route requires, and proxied to the upstream with signed identity headers.
//!
//! Order of checks: route (404/405, 400 for a smuggled path), credential
//! (401), rate limit (429), project and grants (403), upstream (502/504).
//! Nothing reaches the upstream unless all of them pass.
//!
//! Every call is authorized inside one project, as the API's calls are:
//! the caller's own unless `X-Keyward-Project` names another it reaches.

pub(crate) mod jwt;
mod proxy;

use crate::audit::CallAudit;
use crate::auth;
use crate::http::{self, ApiError, ApiResult};
use crate::incoming::Req as Request;
use crate::store;
use keyward_domain::admit::{admit, Stop};
use keyward_domain::gateway::{Credential, Identity, Miss, RouteTable, REQUEST_HEADER_PROJECT};
use keyward_domain::jwt::{classify, BearerShape};
use keyward_domain::ratelimit::Standing;
use keyward_domain::requirement::Requirement;
use keyward_domain::{Decision, ErrorCode, Grant, Principal};
use std::time::Duration;
use worker::{Context, Env, Response};

pub const PREFIX: &str = "/gw";

/// A setting from a secret or a var; empty counts as unset.
pub(crate) fn setting(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
        .filter(|s| !s.trim().is_empty())
}

impl Authenticated {
    /// The project the call acts in (the one named, else the caller's
    /// own), once the caller holds every grant the route requires there.
    /// A Keyward token goes through the domain's one admission step, as
    /// every API call does; a JWT holds its claims' grants in each of its
    /// issuer's projects.
    /// A refusal says the project when the caller reached it.
    fn admit(
        &self,
        named: Option<&str>,
        required: &[Grant],
    ) -> Result<String, (ApiError, Option<String>)> {
        let catalog = crate::catalog::catalog_ref();
        match &self.reach {
            Reach::Keyward(caller) => {
                let wanted =
                    Requirement::All(required.iter().cloned().map(Requirement::Grant).collect());
                let admission = admit(
                    &caller.credential(),
                    catalog,
                    named,
                    &wanted,
                    crate::store::now().unix_timestamp(),
                    Standing::Room,
                )
                .map_err(|stop| {
                    let reached = matches!(stop, Stop::Missing(_) | Stop::Unmet(_))
                        .then(|| named.unwrap_or(caller.access.home()).to_string());
                    (crate::refusal::stopped(stop), reached)
                })?;
                Ok(admission.project)
            }
            Reach::Jwt { projects, grants } => {
                let project = keyward_domain::jwt::project_among(projects, named).map_err(
                    |may| {
                        (
                            ApiError::new(
                                ErrorCode::InsufficientPermission,
                                format!(
                                    "tokens of this issuer act in project '{}' and cannot reach project '{}'",
                                    may.join("', '"),
                                    named.unwrap_or_default()
                                ),
                            ),
                            None,
                        )
                    },
                )?;
                let principal = Principal::new(catalog, false, grants);
                for wanted in required {
                    if let Decision::Deny(missing) = principal.decide(wanted) {
                        return Err((crate::refusal::insufficient(&missing), Some(project)));
                    }
                }
                Ok(project)
            }
        }
    }
}

/// The project the request names in `X-Keyward-Project`, if any; a value
/// that is not a project id is a 400, never "no project named".
fn named_project(req: &Request) -> ApiResult<Option<String>> {
    let Some(raw) = req.headers().get(REQUEST_HEADER_PROJECT)? else {
        return Ok(None);
    };
    let raw = raw.trim();
    keyward_domain::validate::project_id(REQUEST_HEADER_PROJECT, raw).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!("X-Keyward-Project {}", e.message),
        )
    })?;
    Ok(Some(raw.to_string()))
}

/// Where a credential may act.
enum Reach {
    Keyward(Box<auth::Caller>),
    /// A JWT: its issuer's projects (the first when none is named) and the
    /// grants its claims map to, which hold in each of them.
    Jwt {
        projects: Vec<String>,
        grants: Vec<Grant>,
    },
}

/// Who the gateway let through.
struct Authenticated {
    /// Without its project until [`Authenticated::project`] chose it.
    identity: Identity,
    reach: Reach,
    /// The rate limiter's key and the caller's own limit.
    limit_key: String,
    limit: Option<u32>,
    /// A usage-limited token's uses.
    quota: Option<keyward_domain::quota::UsageLimit>,
    /// For the audit log: who, and the personal key they acted through.
    actor: (String, Option<String>),
    /// A Keyward token's id (JWTs have none), for `last_used_at`.
    token_id: Option<String>,
}

pub async fn handle(req: Request, env: &Env, ctx: &Context, request_id: &str) -> Response {
    let mut audit: Option<CallAudit> = None;
    let result = serve(req, env, &mut audit).await;
    if let Some(audit) = audit {
        let outcome = result
            .as_ref()
            .map(|resp| format!("upstream {}", resp.status_code()));
        audit.record(env, ctx, request_id, outcome);
    }
    match result {
        Ok(resp) => resp,
        Err(e) => http::problem_for(e, request_id),
    }
}

async fn serve(req: Request, env: &Env, audit: &mut Option<CallAudit>) -> ApiResult<Response> {
    let table = crate::gateway_table::table()?;
    let url = crate::weburl::WebUrl::parse(&req.inner().url())
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
        Miss::UnsafePath(why) => ApiError::new(
            ErrorCode::InvalidRequest,
            format!("the gateway path is refused: {why}"),
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

    let named = named_project(&req)?;
    let mut who = authenticate(
        &req,
        env,
        table,
        route.accepts(Credential::Keyward),
        route.accepts(Credential::Jwt),
    )
    .await?;
    let audit = audit.insert(CallAudit::of(
        who.actor.clone(),
        who.token_id.clone(),
        format!("gateway.{}", route.name),
        rest.clone(),
    ));
    let allowance = crate::ratelimit::enforce(env, &who.limit_key, who.limit, who.quota).await?;
    // A call refused for a grant acted in a project all the same.
    let project = who
        .admit(named.as_deref(), &required)
        .map_err(|(e, reached)| {
            audit.project = reached;
            e
        })?;
    audit.project = Some(project.clone());
    audit.used = required;
    who.identity.project = project;

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
    let client_ip = auth::client_address(&req).map(|ip| ip.to_string());
    proxy::forward(
        req,
        &proxy::Target {
            base: &upstream,
            rest: &rest,
            query: url.query(),
            client_ip: client_ip.as_deref(),
            scheme: url.scheme(),
        },
        &who.identity,
        key.as_bytes(),
        Duration::from_millis(timeout_ms),
    )
    .await
    .map(|resp| http::with_allowance(resp, &allowance))
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
            let caller =
                auth::Caller::of(auth::lookup_known(env, &raw, auth::client_address(req)).await??);
            let token = caller.token();
            Ok(Authenticated {
                identity: Identity {
                    token_id: token.id.clone(),
                    client_id: token.client_id.clone(),
                    kind: token.kind.as_str().to_string(),
                    project: String::new(),
                },
                limit_key: token.id.clone(),
                token_id: Some(token.id.clone()),
                limit: token.rate_limit,
                quota: token.usage_limit,
                actor: caller.audit_identity(),
                reach: Reach::Keyward(Box::new(caller)),
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
                    project: String::new(),
                },
                reach: Reach::Jwt {
                    projects: verified.projects,
                    grants: verified.grants,
                },
                limit_key: format!("jwt:{client_id}"),
                token_id: None,
                limit: None,
                quota: None,
                actor: (client_id, None),
            })
        }
        BearerShape::Malformed => Err(ApiError::new(
            ErrorCode::MalformedToken,
            "the bearer value is neither a Keyward secret nor a JWT",
        )),
    }
}

/// Seconds since the epoch, from the runtime's clock.
pub(crate) fn now_seconds() -> i64 {
    store::now().unix_timestamp()
}
