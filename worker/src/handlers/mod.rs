//! The API's handlers, one module per resource; `dispatch` (in `lib.rs`)
//! picks one per route and hands it the [`Call`](crate::call::Call).

#[cfg(feature = "control")]
pub mod admins;
#[cfg(feature = "control")]
pub mod directory;
#[cfg(feature = "control")]
pub mod elevations;
#[cfg(feature = "control")]
pub mod insight;
#[cfg(feature = "control")]
pub mod invitations;
#[cfg(feature = "control")]
pub mod leaks;
pub mod meta;
#[cfg(feature = "control")]
pub mod signin;
#[cfg(feature = "control")]
pub mod storage;
#[cfg(feature = "control")]
pub mod tokens;

#[cfg(feature = "control")]
use crate::call::Call;
#[cfg(feature = "control")]
use crate::http::{self, ApiResult};
#[cfg(feature = "control")]
use crate::registry::Command;
#[cfg(feature = "control")]
use keyward_domain::api::{IssuedToken, Token};
#[cfg(feature = "control")]
use keyward_domain::Secret;
#[cfg(feature = "control")]
use worker::Response;

/// A registry command that answers nothing: 204 once it is carried out.
#[cfg(feature = "control")]
pub(crate) async fn carried_out(call: &mut Call<'_>, cmd: Command) -> ApiResult<Response> {
    call.registry()?.call::<serde_json::Value>(&cmd).await?;
    http::no_content()
}

/// The one answer that shows a secret: the token, and its new secret.
#[cfg(feature = "control")]
fn issued(status: u16, token: Token, secret: &Secret) -> ApiResult<Response> {
    http::json(
        status,
        &IssuedToken {
            token,
            secret: secret.expose().to_string(),
        },
    )
}
