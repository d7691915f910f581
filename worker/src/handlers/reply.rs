//! The answers many control-plane handlers share.

use crate::call::Call;
use crate::http::{self, ApiResult};
use crate::incoming::Req;
use crate::registry::{Actor, Command, Versioned};
use keyward_domain::api::{IssuedToken, Token};
use keyward_domain::{version, Secret};
use serde::Serialize;
use worker::Response;

/// A JSON answer showing one token, persona, member or project, with its
/// version (`ETag`) for a later `If-Match`.
pub(crate) fn versioned<T: Serialize>(status: u16, value: &T) -> ApiResult<Response> {
    http::json_versioned(status, value, &version::tag(value))
}

/// The change, made only if `target` is still at a version the caller's
/// `If-Match` names (the registry compares, in the same turn as the
/// change); without the header, made as before.
pub(crate) fn guarded(
    req: &Req,
    actor: &Actor,
    target: Versioned,
    cmd: Command,
) -> ApiResult<Command> {
    Ok(match http::if_match(req)? {
        None => cmd,
        Some(if_match) => Command::IfMatch {
            actor: actor.clone(),
            target,
            if_match,
            command: Box::new(cmd),
        },
    })
}

/// A registry command that answers nothing: 204 once it is carried out.
pub(crate) async fn carried_out(call: &mut Call<'_>, cmd: Command) -> ApiResult<Response> {
    call.registry()?.call::<serde_json::Value>(&cmd).await?;
    http::no_content()
}

/// The one answer that shows a secret: the token, and its new secret.
pub(super) fn issued(status: u16, token: Token, secret: &Secret) -> ApiResult<Response> {
    let tag = version::tag(&token);
    http::json_versioned(
        status,
        &IssuedToken {
            token,
            secret: secret.expose().to_string(),
        },
        &tag,
    )
}
