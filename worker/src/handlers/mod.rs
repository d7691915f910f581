//! The API's handlers, one module per resource; `dispatch` (in `lib.rs`)
//! picks one per route and hands it the [`Call`](crate::call::Call).

pub mod admins;
pub mod directory;
pub mod elevations;
pub mod insight;
pub mod invitations;
pub mod leaks;
pub mod meta;
pub mod signin;
pub mod storage;
pub mod tokens;

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
fn issued(status: u16, token: Token, secret: &Secret) -> ApiResult<Response> {
    http::json(
        status,
        &IssuedToken {
            token,
            secret: secret.expose().to_string(),
        },
    )
}
