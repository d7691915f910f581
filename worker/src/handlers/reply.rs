//! The answers many control-plane handlers share.

use crate::call::Call;
use crate::http::{self, ApiResult};
use crate::registry::Command;
use keyward_domain::api::{IssuedToken, Token};
use keyward_domain::Secret;
use worker::Response;

/// A registry command that answers nothing: 204 once it is carried out.
pub(crate) async fn carried_out(call: &mut Call<'_>, cmd: Command) -> ApiResult<Response> {
    call.registry()?.call::<serde_json::Value>(&cmd).await?;
    http::no_content()
}

/// The one answer that shows a secret: the token, and its new secret.
pub(super) fn issued(status: u16, token: Token, secret: &Secret) -> ApiResult<Response> {
    http::json(
        status,
        &IssuedToken {
            token,
            secret: secret.expose().to_string(),
        },
    )
}
