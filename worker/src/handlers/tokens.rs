//! `/tokens`: create, list, read, edit, refresh, delete.

use crate::call::Call;
use crate::http::{self, ApiError, ApiResult};
use crate::registry::{
    Command, NewExpiry, NewNotBefore, NewRateLimit, NewSecret, NewToken, NewUsageLimit,
    TokenChanges, Versioned,
};
use crate::store;
use keyward_domain::api::{
    self, CreateToken, Page, ProjectGrants, RefreshToken, Token, UpdateToken,
};
use keyward_domain::conditions::{self, Cidr, Meta};
use keyward_domain::query::TokenQuery;
use keyward_domain::quota::UsageLimit;
use keyward_domain::validate::{self, MAX_OVERLAP_SECONDS};
use keyward_domain::{expiry, Catalog, ErrorCode, FieldError, TokenKind};
use time::OffsetDateTime;
use worker::{Request, Response};

pub use crate::catalog::check_grants;

/// Where a new token lives: a scoped token in one project, a global key
/// across projects.
struct Scope {
    project: Option<String>,
    project_grants: ProjectGrants,
    global_admin: bool,
}

impl Scope {
    fn parse(
        kind: TokenKind,
        project: Option<String>,
        project_grants: Option<ProjectGrants>,
        global_admin: Option<bool>,
    ) -> ApiResult<Scope> {
        let mut errors = vec![];
        let global = kind == TokenKind::Global;
        if global && project.is_some() {
            errors.push(FieldError::new(
                "project",
                "a global key belongs to no project; give project_grants instead",
            ));
        }
        if !global && project_grants.is_some() {
            errors.push(FieldError::new(
                "project_grants",
                "only global keys (kind: global) carry per-project grants",
            ));
        }
        if !global && global_admin.is_some() {
            errors.push(FieldError::new(
                "global_admin",
                "only global keys (kind: global) can be global admins",
            ));
        }
        let project = match project {
            Some(p) => collect(&mut errors, validate::project_id("project", &p)),
            None => None,
        };
        if errors.is_empty() {
            Ok(Scope {
                project,
                project_grants: project_grants.unwrap_or_default(),
                global_admin: global_admin.unwrap_or(false),
            })
        } else {
            Err(ApiError::invalid(errors))
        }
    }
}

/// Each project's grants checked like a token's, naming the project.
pub fn check_project_grants(catalog: &Catalog, pg: ProjectGrants) -> ApiResult<ProjectGrants> {
    let mut out = ProjectGrants::new();
    for (project, grants) in pg {
        validate::project_id(&format!("project_grants.{project}"), &project)
            .map_err(|e| ApiError::invalid(vec![e]))?;
        out.insert(project, check_grants(catalog, grants)?);
    }
    Ok(out)
}

/// Persona ids, deduplicated; whether they exist is the registry's call.
pub fn persona_ids(ids: Vec<String>) -> ApiResult<Vec<String>> {
    let mut errors = vec![];
    let mut out: Vec<String> = vec![];
    for (n, id) in ids.into_iter().enumerate() {
        if validate::is_resource_id(&id) {
            if !out.contains(&id) {
                out.push(id);
            }
        } else {
            errors.push(FieldError::new(
                format!("personas[{n}]"),
                "must be a persona id",
            ));
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::invalid(errors))
    }
}

/// The peer controls of a create or an edit, parsed together so that one
/// answer names every bad field.
struct Controls {
    not_before: Option<NewNotBefore>,
    allowed_ips: Option<Vec<Cidr>>,
    meta: Option<Meta>,
    usage_limit: Option<NewUsageLimit>,
}

impl Controls {
    fn parse(
        not_before: Option<Option<OffsetDateTime>>,
        allowed_ips: Option<Vec<String>>,
        meta: Option<Meta>,
        usage_limit: Option<Option<UsageLimit>>,
        now: OffsetDateTime,
    ) -> ApiResult<Controls> {
        let mut errors = vec![];
        let not_before = match not_before {
            Some(Some(at)) => collect(&mut errors, conditions::not_before("not_before", at, now))
                .map(|at| NewNotBefore { at: Some(at) }),
            Some(None) => Some(NewNotBefore { at: None }),
            None => None,
        };
        let allowed_ips = match allowed_ips {
            Some(raw) => match conditions::allowed_ips("allowed_ips", &raw) {
                Ok(list) => Some(list),
                Err(e) => {
                    errors.extend(e);
                    None
                }
            },
            None => None,
        };
        let meta = meta.and_then(|m| collect(&mut errors, Meta::parse("meta", m)));
        let usage_limit = match usage_limit {
            Some(Some(u)) => collect(&mut errors, u.check("usage_limit"))
                .map(|u| NewUsageLimit { limit: Some(u) }),
            Some(None) => Some(NewUsageLimit { limit: None }),
            None => None,
        };
        if errors.is_empty() {
            Ok(Controls {
                not_before,
                allowed_ips,
                meta,
                usage_limit,
            })
        } else {
            Err(ApiError::invalid(errors))
        }
    }
}

fn collect<T>(errors: &mut Vec<FieldError>, r: Result<T, FieldError>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

pub async fn create(req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.require("tokens", "manage", None)?;
    let body: CreateToken = http::json_body(req).await?;
    let now = store::now();
    let mut errors = vec![];
    let name = collect(&mut errors, validate::token_name("name", &body.name));
    let description = collect(
        &mut errors,
        validate::description("description", body.description.as_deref().unwrap_or("")),
    );
    let expires_at = collect(
        &mut errors,
        expiry::resolve(body.expires_at, body.expires_in, now),
    );
    let rate_limit = match body.rate_limit {
        Some(r) => collect(&mut errors, validate::rate_limit("rate_limit", r)).map(Some),
        None => Some(None),
    };
    let (Some(name), Some(description), Some(expires_at), Some(rate_limit)) =
        (name, description, expires_at, rate_limit)
    else {
        return Err(ApiError::invalid(errors));
    };
    let kind = body.kind.unwrap_or(TokenKind::Scoped);
    if !matches!(kind, TokenKind::Scoped | TokenKind::Global) {
        return Err(ApiError::invalid(vec![FieldError::new(
            "kind",
            "must be scoped or global (user tokens come with members, personal keys from /members/{id}/keys)",
        )]));
    }
    let scope = Scope::parse(kind, body.project, body.project_grants, body.global_admin)?;
    let grants = check_grants(call.catalog, body.grants.unwrap_or_default())?;
    let project_grants = check_project_grants(call.catalog, scope.project_grants)?;
    let personas = persona_ids(body.personas.unwrap_or_default())?;
    let controls = Controls::parse(
        body.not_before.map(Some),
        body.allowed_ips,
        body.meta,
        body.usage_limit.map(Some),
        now,
    )?;
    // The registry decides escalation: only it knows the personas' grants.
    let secret = store::new_secret(kind);
    let token: Token = call
        .registry()?
        .call(&Command::CreateToken {
            actor: caller.actor(),
            new: NewToken {
                name,
                description,
                grants,
                expires_at: expires_at.map(|t| t.unix_timestamp()),
                rate_limit,
                kind,
                personas,
                project: scope.project,
                project_grants,
                global_admin: scope.global_admin,
                enabled: body.enabled.unwrap_or(true),
                not_before: controls.not_before.and_then(|n| n.at),
                allowed_ips: controls.allowed_ips.unwrap_or_default(),
                meta: controls.meta.unwrap_or_default(),
                usage_limit: controls.usage_limit.and_then(|u| u.limit),
            },
            secret: NewSecret::of(&secret),
        })
        .await?;
    super::issued(201, token, &secret)
}

pub async fn list(req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.require("tokens", "read", None)?;
    let query = TokenQuery::parse(&http::query_pairs(req)?).map_err(ApiError::invalid)?;
    let page: Page<Token> = call
        .registry()?
        .call(&Command::ListTokens {
            actor: Some(caller.actor()),
            query,
        })
        .await?;
    http::json(200, &page)
}

pub use crate::ratelimit::token_remaining_uses as remaining_uses;

pub async fn get(id: &str, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.require("tokens", "read", None)?;
    let mut token: Token = call
        .registry()?
        .call(&Command::GetToken {
            actor: Some(caller.actor()),
            id: id.to_string(),
        })
        .await?;
    token.remaining_uses = remaining_uses(call.env, &token).await;
    super::versioned(200, &token)
}

pub async fn update(id: &str, req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.require("tokens", "manage", None)?;
    let body: UpdateToken = http::json_body(req).await?;
    let now = store::now();
    let mut errors = vec![];
    let name = match &body.name {
        Some(n) => collect(&mut errors, validate::token_name("name", n)).map(Some),
        None => Some(None),
    };
    let description = match &body.description {
        Some(d) => collect(&mut errors, validate::description("description", d)).map(Some),
        None => Some(None),
    };
    let expires_at = match body.expires_at {
        Some(Some(at)) => {
            collect(&mut errors, expiry::at_instant("expires_at", at, now)).map(|t| {
                Some(NewExpiry {
                    at: Some(t.unix_timestamp()),
                })
            })
        }
        Some(None) => Some(Some(NewExpiry { at: None })),
        None => Some(None),
    };
    let rate_limit = match body.rate_limit {
        Some(Some(r)) => collect(&mut errors, validate::rate_limit("rate_limit", r)).map(|r| {
            Some(NewRateLimit {
                per_minute: Some(r),
            })
        }),
        Some(None) => Some(Some(NewRateLimit { per_minute: None })),
        None => Some(None),
    };
    let (Some(name), Some(description), Some(expires_at), Some(rate_limit)) =
        (name, description, expires_at, rate_limit)
    else {
        return Err(ApiError::invalid(errors));
    };
    let grants = body
        .grants
        .map(|g| check_grants(call.catalog, g))
        .transpose()?;
    let project_grants = body
        .project_grants
        .map(|pg| check_project_grants(call.catalog, pg))
        .transpose()?;
    let personas = body.personas.map(persona_ids).transpose()?;
    let controls = Controls::parse(
        body.not_before,
        body.allowed_ips,
        body.meta,
        body.usage_limit,
        now,
    )?;
    let actor = caller.actor();
    let update = Command::UpdateToken {
        actor: actor.clone(),
        id: id.to_string(),
        changes: TokenChanges {
            name,
            description,
            grants,
            expires_at,
            rate_limit,
            personas,
            project_grants,
            global_admin: body.global_admin,
            enabled: body.enabled,
            not_before: controls.not_before,
            allowed_ips: controls.allowed_ips,
            meta: controls.meta,
            usage_limit: controls.usage_limit,
        },
    };
    let cmd = super::guarded(req, &actor, Versioned::Token(id.to_string()), update)?;
    let token: Token = call.registry()?.call(&cmd).await?;
    super::versioned(200, &token)
}

pub async fn delete(id: &str, req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.require("tokens", "manage", None)?;
    let actor = caller.actor();
    let delete = Command::DeleteToken {
        actor: actor.clone(),
        id: id.to_string(),
    };
    let cmd = super::guarded(req, &actor, Versioned::Token(id.to_string()), delete)?;
    super::carried_out(call, cmd).await
}

/// Any token may refresh itself; refreshing another needs `tokens:manage`.
pub async fn refresh(id: &str, req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.caller()?;
    if caller.token().id != id {
        call.require("tokens", "manage", None)?;
    }
    let body: RefreshToken = http::optional_json_body(req).await?;
    let overlap = body.overlap_seconds.unwrap_or(0);
    if overlap > MAX_OVERLAP_SECONDS {
        return Err(ApiError::invalid(vec![FieldError::new(
            "overlap_seconds",
            format!("must be at most {MAX_OVERLAP_SECONDS} seconds"),
        )]));
    }
    // The secret's kind letter is the refreshed token's, not the caller's.
    let kind = if caller.token().id == id {
        caller.token().kind
    } else {
        call.registry()?
            .call::<Token>(&Command::GetToken {
                actor: Some(caller.actor()),
                id: id.to_string(),
            })
            .await?
            .kind
    };
    let secret = store::new_secret(kind);
    let token: api::Token = call
        .registry()?
        .call(&Command::RefreshToken {
            actor: caller.actor(),
            id: id.to_string(),
            overlap_seconds: overlap,
            secret: NewSecret::of(&secret),
        })
        .await?;
    super::issued(200, token, &secret)
}

/// Another admin recovers a master token (issue 25): a new secret goes to
/// its admin by email (or the dev outbox), never into this answer, and the
/// old one stops at once. Without a way to send it nothing is changed.
pub async fn recover(id: &str, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.require_admin("recovering another admin's master token")?;
    let (actor, (by, _)) = (caller.actor(), caller.audit_identity());
    let mailer = crate::email::Mailer::from_env(call.env)?;
    let secret = store::new_secret(TokenKind::Master);
    let reissued: crate::registry::ReissuedMaster = call
        .registry()?
        .call(&Command::RotateMaster {
            actor,
            id: id.to_string(),
            secret: NewSecret::of(&secret),
        })
        .await?;
    let email = keyward_domain::invitation::recovered_master_email(secret.expose(), &by);
    if let Err(e) = mailer.send(call.env, &reissued.email, &email).await {
        return Err(ApiError::new(
            ErrorCode::EmailFailed,
            format!(
                "the master token was given a new secret, but it could not be sent to {}: {e}; \
                 recover it again once email works (its old secret no longer works)",
                reissued.email
            ),
        ));
    }
    http::json(
        200,
        &api::RecoveredMaster {
            token: reissued.token,
            delivered_to: reissued.email,
        },
    )
}
