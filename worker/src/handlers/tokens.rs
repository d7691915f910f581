//! `/tokens`: create, list, read, edit, refresh, delete.

use crate::call::Call;
use crate::http::{self, ApiError, ApiResult};
use crate::registry::{Command, NewSecret, NewToken, TokenChanges, Versioned};
use crate::store;
use keyward_domain::api::{self, Page, RefreshToken, Token};
use keyward_domain::query::TokenQuery;
use keyward_domain::validate::MAX_OVERLAP_SECONDS;
use keyward_domain::{ErrorCode, FieldError, TokenKind};
use worker::{Request, Response};

pub async fn create(req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.require("tokens", "manage", None)?;
    let new = NewToken::parse(http::json_body(req).await?, call.catalog, store::now())?;
    // The registry decides escalation: only it knows the personas' grants.
    let secret = store::new_secret(new.kind);
    let token: Token = call
        .registry()?
        .call(&Command::CreateToken {
            actor: caller.actor(),
            new,
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
    let changes = TokenChanges::parse(http::json_body(req).await?, call.catalog, store::now())?;
    let actor = caller.actor();
    let update = Command::UpdateToken {
        actor: actor.clone(),
        id: id.to_string(),
        changes,
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
