//! Sending a token by invitation (Keboola's "Send token"), done securely:
//! the email carries a single-use link, never a secret; accepting issues
//! the token's secret once, as a refresh.

use crate::call::Call;
use crate::email::{Mailer, OUTBOX_PREFIX};
use crate::http::{self, ApiError, ApiResult};
use crate::registry::{Command, InvitationDraft, NewSecret};
use crate::store::{self, InvitationReplica};
use keyward_domain::api::{
    CreateInvitation, Invitation, InvitationCreated, InvitationList, InvitationWelcome, OutboxList,
    OutboxMessage, Token,
};
use keyward_domain::shapes::Email;
use keyward_domain::{invitation, secret, ErrorCode, FieldError, TokenKind};
use time::Duration;
use worker::{Request, Response};

pub(crate) fn new_code() -> String {
    invitation::new_code(store::fill_random)
}

/// Codes that cannot be ours (wrong shape or checksum, or issued before
/// codes had one) are refused before any storage is touched.
fn code_hash(code: &str) -> ApiResult<String> {
    if invitation::is_code(code) {
        Ok(secret::hash_str(code).0)
    } else {
        Err(ApiError::not_found("invitation"))
    }
}

/// Invitations go out by email: without a provider (or the dev outbox,
/// switched on explicitly) none is created.
pub(crate) fn require_email(call: &Call<'_>) -> ApiResult<()> {
    Mailer::from_env(call.env).map(|_| ())
}

pub(crate) fn public_base_url(call: &Call<'_>) -> String {
    call.env
        .var("PUBLIC_BASE_URL")
        .map(|v| v.to_string())
        .unwrap_or_else(|_| "http://localhost:8787".to_string())
        .trim_end_matches('/')
        .to_string()
}

/// Emails the draft and records the outcome; a failed delivery leaves a
/// `failed` invitation that cannot be used but can be re-sent.
pub(crate) async fn deliver(
    call: &Call<'_>,
    draft: InvitationDraft,
    code: &str,
) -> ApiResult<Invitation> {
    let link = format!("{}/invite/{code}", public_base_url(call));
    let email = invitation::email(&draft.welcome, &link);
    let outcome = Mailer::from_env(call.env)?
        .send(call.env, &draft.invitation.email, &email)
        .await;
    let recorded: Invitation = call
        .registry()?
        .call(&Command::InvitationSent {
            id: draft.invitation.id.clone(),
            error: outcome.clone().err(),
        })
        .await?;
    match outcome {
        Ok(()) => Ok(recorded),
        Err(e) => Err(ApiError::new(
            ErrorCode::EmailFailed,
            format!(
                "{e}. The invitation {} is marked failed; re-send it when the provider works again",
                recorded.id
            ),
        )),
    }
}

pub async fn create(token_id: &str, req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.require("tokens", "manage", None)?;
    require_email(call)?;
    let body: CreateInvitation = http::json_body(req).await?;
    let mut errors: Vec<FieldError> = vec![];
    let email = Email::parse("email", &body.email)
        .map_err(|e| errors.push(e))
        .ok();
    let message = invitation::message(body.message.as_deref())
        .map_err(|e| errors.push(e))
        .ok();
    let validity = invitation::validity(body.expires_in)
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(email), Some(message), Some(validity)) = (email, message, validity) else {
        return Err(ApiError::invalid(errors));
    };
    let code = new_code();
    let expires_at = store::now() + Duration::seconds(validity as i64);
    let draft: InvitationDraft = call
        .registry()?
        .call(&Command::CreateInvitation {
            actor: caller.actor(),
            token_id: token_id.to_string(),
            email: email.into(),
            message,
            expires_at: expires_at.unix_timestamp(),
            code_hash: secret::hash_str(&code).0,
        })
        .await?;
    let invitation = deliver(call, draft, &code).await?;
    http::json(201, &InvitationCreated { invitation })
}

pub async fn resend(id: &str, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.require("tokens", "manage", None)?;
    require_email(call)?;
    let code = new_code();
    let draft: InvitationDraft = call
        .registry()?
        .call(&Command::ReissueInvitation {
            actor: caller.actor(),
            id: id.to_string(),
            code_hash: secret::hash_str(&code).0,
        })
        .await?;
    let invitation = deliver(call, draft, &code).await?;
    http::json(200, &InvitationCreated { invitation })
}

pub async fn list(req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let reader = call.require("tokens", "read", None)?.actor();
    let mut token_id = None;
    for (k, v) in http::query_pairs(req)? {
        match k.as_str() {
            "token_id" if !v.is_empty() => token_id = Some(v),
            "token_id" => {}
            other => {
                return Err(ApiError::invalid(vec![FieldError::new(
                    other,
                    "unknown query parameter",
                )]))
            }
        }
    }
    let items: Vec<Invitation> = call
        .registry()?
        .call(&Command::ListInvitations { reader, token_id })
        .await?;
    http::json(200, &InvitationList { items })
}

pub async fn revoke(id: &str, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.require("tokens", "manage", None)?;
    super::carried_out(
        call,
        Command::RevokeInvitation {
            actor: caller.actor(),
            id: id.to_string(),
        },
    )
    .await
}

/// What KV says about a code. Public endpoints answer from KV alone: an
/// unknown code never reaches the registry.
async fn replica(call: &Call<'_>, hash: &str) -> ApiResult<InvitationWelcome> {
    let kv = call.env.kv(store::KV_BINDING)?;
    match kv
        .get(&store::invitation_key(hash))
        .json::<InvitationReplica>()
        .await?
    {
        None => Err(ApiError::not_found("invitation")),
        Some(InvitationReplica::Accepted { .. }) => Err(ApiError::new(
            ErrorCode::InvitationUsed,
            "this invitation was already accepted; ask the sender for a new one",
        )),
        Some(InvitationReplica::Pending(welcome)) if welcome.expires_at <= store::now() => {
            Err(ApiError::new(
                ErrorCode::InvitationExpired,
                "this invitation has expired; ask the sender for a new one",
            ))
        }
        Some(InvitationReplica::Pending(welcome)) => Ok(*welcome),
    }
}

/// Public: the welcome page's data, from KV.
pub async fn open(code: &str, call: &mut Call<'_>) -> ApiResult<Response> {
    let hash = code_hash(code)?;
    http::json(200, &replica(call, &hash).await?)
}

/// Public: accept once, receive the secret once. KV turns away unknown,
/// used and expired codes; the registry decides the rest exactly once.
pub async fn accept(code: &str, call: &mut Call<'_>) -> ApiResult<Response> {
    let hash = code_hash(code)?;
    let welcome = replica(call, &hash).await?;
    // The secret's kind letter is the invited token's (a member's user
    // token, or a scoped token); a token's kind never changes.
    let secret = store::new_secret(welcome.token_kind.unwrap_or(TokenKind::Scoped));
    let token: Token = call
        .registry()?
        .call(&Command::AcceptInvitation {
            code_hash: hash,
            secret: NewSecret::of(&secret),
        })
        .await?;
    super::issued(200, token, &secret)
}

/// The dev outbox (no email provider configured): admins only, as the
/// messages hold live invitation links.
pub async fn outbox(call: &mut Call<'_>) -> ApiResult<Response> {
    call.require_master()?;
    let kv = call.env.kv(store::KV_BINDING)?;
    let keys = kv
        .list()
        .prefix(OUTBOX_PREFIX.to_string())
        .execute()
        .await?
        .keys;
    let mut items: Vec<OutboxMessage> = vec![];
    for k in keys.iter().rev().take(100) {
        if let Some(m) = kv.get(&k.name).json::<OutboxMessage>().await? {
            items.push(m);
        }
    }
    http::json(200, &OutboxList { items })
}
