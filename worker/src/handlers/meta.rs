//! Health, the OpenAPI document, whoami, verify and the audit log.

use crate::auth::{self, Rejection};
use crate::call::Call;
use crate::catalog::check_grants;
use crate::http::{self, ApiError, ApiResult};
use crate::store;
use keyward_domain::admit::{admit, Credential, Stop};
use keyward_domain::api::{
    AuditEntry, Health, Page, ProjectPermissions, VerifyCode, VerifyRequest, VerifyResponse, WhoAmI,
};
use keyward_domain::conditions::Unusable;
use keyward_domain::query::AuditQuery;
use keyward_domain::ratelimit::Standing;
use keyward_domain::requirement::Requirement;
use keyward_domain::{ErrorCode, FieldError};

use worker::{Request, Response};

#[cfg(feature = "control")]
const OPENAPI: &str = include_str!("../../openapi.json");

#[cfg(feature = "control")]
/// Reads KV, so "ok" means storage answers. Only reads: health is public,
/// and a public endpoint that wrote on every call would let anyone spend
/// the deployment's KV writes.
pub async fn health(call: &mut Call<'_>) -> ApiResult<Response> {
    let kv_ok = async {
        let kv = call.env.kv(store::KV_BINDING)?;
        kv.get("health:probe").text().await?;
        Ok::<(), ApiError>(())
    }
    .await
    .is_ok();
    let body = Health {
        status: if kv_ok { "ok" } else { "degraded" }.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        kv: if kv_ok { "ok" } else { "error" }.into(),
    };
    http::json(if kv_ok { 200 } else { 503 }, &body)
}

#[cfg(feature = "control")]
pub fn openapi() -> ApiResult<Response> {
    http::raw(200, "application/json", OPENAPI.as_bytes().to_vec())
}

pub async fn whoami(call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.caller()?;
    // The usual answer: written once per record (and elevation period),
    // with only this call's instant put in. A usage-limited token's uses
    // left and a session's person change between calls; those are
    // written whole.
    if caller.token().usage_limit.is_none() && caller.signed_in.is_none() {
        let parts = caller.whoami_parts(|| {
            serde_json::to_string(&whoami_answer(caller, call.catalog, None, None)).ok()
        });
        if let Some((before, after)) = parts {
            let stamp = serde_json::to_string(&Stamp(crate::store::now()))
                .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
            return http::raw(
                200,
                "application/json",
                [before.as_bytes(), stamp.as_bytes(), after.as_bytes()].concat(),
            );
        }
    }
    let uses = crate::ratelimit::token_remaining_uses(call.env, caller.token()).await;
    http::json(
        200,
        &whoami_answer(caller, call.catalog, Some(crate::store::now()), uses),
    )
}

/// An instant as the contract writes it (RFC 3339).
#[derive(serde::Serialize)]
struct Stamp(#[serde(with = "time::serde::rfc3339")] time::OffsetDateTime);

/// `whoami`'s answer for `caller`, used last at `used`.
fn whoami_answer(
    caller: &crate::auth::Caller,
    catalog: &keyward_domain::Catalog,
    used: Option<time::OffsetDateTime>,
    remaining_uses: Option<u32>,
) -> WhoAmI {
    let mut token = caller.token().clone();
    // This call is the token's latest use (the edge's copy of the record
    // does not follow every use; the registry's does, within the audit
    // delay).
    token.last_used_at = used;
    // The record keeps an ended elevation until the token's next write;
    // the edge ignores it from its end, and so does this answer.
    let now = crate::store::now().unix_timestamp();
    token.elevations.retain(|e| e.is_current(now));
    token.remaining_uses = remaining_uses;
    WhoAmI {
        token,
        permissions: caller.principal.effective.grouped(),
        project: caller.access.home().to_string(),
        projects: projects_of(caller, catalog),
        acting_as: caller.record.acting_as.clone(),
        person: caller.signed_in.as_ref().map(|s| s.person.clone()),
        session: caller.signed_in.as_ref().map(|s| s.session.clone()),
    }
}

/// A global key's permissions in each project it has grants for.
fn projects_of(
    caller: &crate::auth::Caller,
    catalog: &keyward_domain::Catalog,
) -> Vec<ProjectPermissions> {
    if caller.access.kind != keyward_domain::TokenKind::Global {
        return vec![];
    }
    caller
        .access
        .project_grants
        .keys()
        .map(|p| ProjectPermissions {
            project: p.clone(),
            permissions: caller.principal_in(catalog, p).effective.grouped(),
        })
        .collect()
}

/// For other backends: is this key valid, and does it hold these grants
/// in this project (the key's own unless the request names one)?
pub async fn verify(req: &mut crate::incoming::Req, call: &mut Call<'_>) -> ApiResult<Response> {
    call.require("tokens", "verify", None)?;
    let body: VerifyRequest = http::json_body(req).await?;
    let require = body.require.unwrap_or(Requirement::All(vec![]));
    check_grants(
        call.catalog,
        require.grants().into_iter().cloned().collect(),
    )?;
    let named = match body.project {
        Some(p) => Some(
            keyward_domain::validate::project_id("project", &p)
                .map_err(|e| ApiError::invalid(vec![e]))?,
        ),
        None => None,
    };
    let from = match body.ip.as_deref().map(str::trim) {
        Some(raw) => Some(raw.parse::<std::net::IpAddr>().map_err(|_| {
            ApiError::invalid(vec![FieldError::new(
                "ip",
                "must be an IPv4 or IPv6 address",
            )])
        })?),
        None => None,
    };
    let answer = match auth::lookup(call.env, &body.key, from).await? {
        Err(Rejection::Malformed(_)) => verdict(VerifyCode::Malformed),
        Err(Rejection::NotFound) => verdict(VerifyCode::NotFound),
        Err(Rejection::Expired) => verdict(VerifyCode::Expired),
        Err(Rejection::Unusable(Unusable::Disabled)) => verdict(VerifyCode::Disabled),
        Err(Rejection::Unusable(Unusable::NotYetValid)) => verdict(VerifyCode::NotYetValid),
        Err(Rejection::Unusable(Unusable::AddressNotAllowed)) => verdict(VerifyCode::IpNotAllowed),
        Ok(record) => {
            // Verifying is the use (the Unkey model): it spends what a
            // call at the edge would, unless the verifier only looks.
            let token = &record.token;
            if body.dry_run != Some(true) {
                if let Err(e) = crate::ratelimit::enforce(
                    call.env,
                    &token.id,
                    token.rate_limit,
                    token.usage_limit,
                )
                .await
                {
                    let code = match e.code() {
                        ErrorCode::RateLimited => VerifyCode::RateLimited,
                        ErrorCode::UsageExhausted => VerifyCode::UsageExhausted,
                        // The limiter could not be asked: fail closed.
                        _ => return Err(e),
                    };
                    let mut refused = verdict(code);
                    refused.retry_after = e.retry_after;
                    refused.project = Some(
                        named
                            .clone()
                            .unwrap_or_else(|| record.access(0).home().to_string()),
                    );
                    if code == VerifyCode::UsageExhausted {
                        refused.remaining = Some(0);
                    }
                    return http::json(200, &refused);
                }
            }
            let remaining = match token.usage_limit {
                Some(quota) => {
                    Some(crate::ratelimit::remaining_uses(call.env, &token.id, quota).await?)
                }
                None => None,
            };
            let now = crate::store::now().unix_timestamp();
            let access = record.access(now);
            let project = named.unwrap_or_else(|| access.home().to_string());
            let credential = Credential {
                access: &access,
                expires_at: token.expires_at.map(|t| t.unix_timestamp()),
                enabled: token.enabled,
                not_before: token.not_before.map(|t| t.unix_timestamp()),
                retired: record.retired_until.is_some(),
                home_principal: None,
            };
            // The edge's own admission step, for this key and requirement.
            let missing = match admit(
                &credential,
                call.catalog,
                Some(&project),
                &require,
                now,
                Standing::Room,
            ) {
                Ok(_) => None,
                // Nothing holds there, not even an empty `require`.
                Err(Stop::OutOfReach(_)) => Some(format!("project '{project}'")),
                Err(Stop::RetiredSecret(_)) => Some(
                    "tokens:manage (this secret was replaced by a refresh: it changes nothing)"
                        .to_string(),
                ),
                // In the words verify has always answered with.
                Err(_) => require
                    .unmet(
                        call.catalog,
                        &access.principal(call.catalog, &project).effective,
                    )
                    .or_else(|| Some(require.to_string())),
            };
            VerifyResponse {
                valid: missing.is_none(),
                code: match missing {
                    None => VerifyCode::Valid,
                    Some(_) => VerifyCode::InsufficientPermissions,
                },
                token: Some(record.token),
                missing,
                project: Some(project),
                retry_after: None,
                remaining,
            }
        }
    };
    http::json(200, &answer)
}

fn verdict(code: VerifyCode) -> VerifyResponse {
    VerifyResponse {
        valid: false,
        code,
        token: None,
        missing: None,
        project: None,
        retry_after: None,
        remaining: None,
    }
}

#[cfg(feature = "control")]
pub async fn audit(req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let reader = call.require("audit", "read", None)?.actor();
    let query = AuditQuery::parse(&http::query_pairs(req)?).map_err(ApiError::invalid)?;
    let reach = keyward_domain::policy::audit_reach(&reader.policy(), call.catalog);
    let page: Page<AuditEntry> = crate::audit::list(call.env, reach, &query).await?;
    http::json(200, &page)
}
