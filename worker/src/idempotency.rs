//! `Idempotency-Key` on creates, the front half: the request's
//! fingerprint, the registry's verdict on the key, the answer kept after
//! the handler ran, and a replay. The registry keeps the keys
//! (`registry/idempotency.rs`), so two retries racing each other still
//! make one thing.

use crate::call::Call;
use crate::http::{self, ApiError, ApiResult};
use crate::registry::{Begun, Command, IdempotencyCommand, NewSecret};
use crate::routes::Route;
use crate::store;
use keyward_domain::api::Token;
use keyward_domain::ErrorCode;
use sha2::{Digest, Sha256};
use worker::{Request, Response};

pub const HEADER: &str = "idempotency-key";
const MAX_KEY: usize = 255;

/// A key this request holds: the handler's answer is kept under it.
pub struct Held {
    owner: String,
    key: String,
}

pub enum Start {
    /// No key (or a route that takes none): carry the request out.
    Unkeyed,
    Held(Held),
    /// The same request was answered before: its answer.
    Replayed(Response),
}

/// What to do with a create that may carry a key.
pub async fn start(req: &mut Request, route: &Route, call: &Call<'_>) -> ApiResult<Start> {
    if !route.idempotent() {
        return Ok(Start::Unkeyed);
    }
    let Some(key) = req.headers().get(HEADER)? else {
        return Ok(Start::Unkeyed);
    };
    if key.is_empty() || key.len() > MAX_KEY || !key.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return Err(ApiError::invalid(vec![keyward_domain::FieldError::new(
            "Idempotency-Key",
            format!("must be 1 to {MAX_KEY} visible ASCII characters, e.g. a UUID"),
        )]));
    }
    let owner = call.caller()?.token().id.clone();
    let mut copy = req.clone()?;
    let body = http::read_body(&mut copy, http::JSON_BODY_LIMIT).await?;
    let url = req.url()?;
    let mut digest = Sha256::new();
    digest.update(req.method().to_string().as_bytes());
    digest.update(b" ");
    digest.update(url.path().as_bytes());
    digest.update(b"?");
    digest.update(url.query().unwrap_or_default().as_bytes());
    digest.update(b"\n");
    digest.update(&body);
    let fingerprint: String = digest
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let begun: Begun = call
        .registry()?
        .call(&Command::Idempotency(IdempotencyCommand::Begin {
            owner: owner.clone(),
            key: key.clone(),
            fingerprint,
        }))
        .await?;
    match begun {
        Begun::Taken => Ok(Start::Held(Held { owner, key })),
        Begun::Answered {
            status,
            body,
            reissue,
        } => replay(status, body, reissue, call).await.map(Start::Replayed),
        Begun::OtherRequest => Err(ApiError::new(
            ErrorCode::IdempotencyKeyReused,
            "this Idempotency-Key was used with a different request; use a new key for a new request",
        )),
        Begun::InProgress => {
            let mut e = ApiError::new(
                ErrorCode::Conflict,
                "a request with this Idempotency-Key is still being carried out; retry in a moment",
            );
            e.retry_after = Some(1);
            Err(e)
        }
    }
}

/// Keeps the answer under the key; a server error frees the key instead,
/// so a retry carries the request out again.
pub async fn finish(
    held: Held,
    mut result: ApiResult<Response>,
    call: &Call<'_>,
) -> ApiResult<Response> {
    let kept = match &mut result {
        Ok(resp) if resp.status_code() < 500 => kept_answer(resp).await,
        Err(e) if e.problem.status < 500 => {
            let body = serde_json::to_string(&*e.problem).unwrap_or_default();
            Some((e.problem.status, body, None))
        }
        _ => None,
    };
    let cmd = match kept {
        Some((status, body, reissue)) => IdempotencyCommand::Finish {
            owner: held.owner,
            key: held.key,
            status,
            body,
            reissue,
        },
        None => IdempotencyCommand::Release {
            owner: held.owner,
            key: held.key,
        },
    };
    let done = match call.registry() {
        Ok(r) => {
            r.call::<serde_json::Value>(&Command::Idempotency(cmd))
                .await
        }
        Err(e) => Err(e),
    };
    if let Err(e) = done {
        // The create stands; only its retry would not find it.
        worker::console_error!("idempotency key not kept: {}", e.problem.detail);
    }
    result
}

/// The answer as kept: a secret it showed is left out (secrets are kept
/// only as hashes) and its token noted, to be issued a new one on replay.
async fn kept_answer(resp: &mut Response) -> Option<(u16, String, Option<String>)> {
    let mut copy = resp.cloned().ok()?;
    let text = copy.text().await.ok()?;
    let mut value: serde_json::Value = serde_json::from_str(&text).ok()?;
    let reissue = match value.get("secret") {
        Some(serde_json::Value::String(_)) => {
            let id = value["token"]["id"].as_str()?.to_string();
            value["secret"] = serde_json::Value::Null;
            Some(id)
        }
        _ => None,
    };
    Some((resp.status_code(), value.to_string(), reissue))
}

/// The kept answer again. One that showed a secret shows a new one: the
/// first answer's secret, which the caller never received, stops.
async fn replay(
    status: u16,
    body: String,
    reissue: Option<String>,
    call: &Call<'_>,
) -> ApiResult<Response> {
    let body = match reissue {
        None => body,
        Some(id) => {
            let mut value: serde_json::Value = serde_json::from_str(&body)
                .map_err(|_| ApiError::new(ErrorCode::Internal, "a kept answer did not parse"))?;
            let kind = serde_json::from_value(value["token"]["kind"].clone())
                .map_err(|_| ApiError::new(ErrorCode::Internal, "a kept answer has no kind"))?;
            let secret = store::new_secret(kind);
            let token: Token = call
                .registry()?
                .call(&Command::RefreshToken {
                    actor: call.caller()?.actor(),
                    id,
                    overlap_seconds: 0,
                    secret: NewSecret::of(&secret),
                })
                .await?;
            value["token"] = serde_json::to_vec(&token)
                .ok()
                .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                .ok_or_else(|| ApiError::new(ErrorCode::Internal, "the token did not encode"))?;
            value["secret"] = serde_json::Value::String(secret.expose().to_string());
            value.to_string()
        }
    };
    let content_type = if status >= 400 {
        "application/problem+json"
    } else {
        "application/json"
    };
    let mut resp = http::raw(status, content_type, body.into_bytes())?;
    resp.headers_mut().set("idempotent-replayed", "true")?;
    Ok(resp)
}
