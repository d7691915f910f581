//! Time-boxed elevations (issue 18): the front checks the request's
//! fields; the registry decides with the policy and writes the record.

use crate::call::Call;
use crate::http::{self, ApiError, ApiResult};
use crate::registry::Command;
use crate::store;
use keyward_domain::elevation::{ElevateRequest, Elevation, Raise};
use worker::{Request, Response};

pub async fn elevate(id: &str, req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.require("tokens", "manage", None)?;
    let body: ElevateRequest = http::json_body(req).await?;
    // The token's own expiry is checked where the token is read.
    let request = body
        .parse(store::now().unix_timestamp())
        .map_err(ApiError::invalid)?;
    let (grants, persona) = match request.raise {
        Raise::Grants(g) => (crate::catalog::check_grants(call.catalog, g)?, None),
        Raise::Persona(p) => (vec![], Some(p)),
    };
    let elevation: Elevation = call
        .registry()?
        .call(&Command::Elevate {
            actor: caller.actor(),
            id: id.to_string(),
            grants,
            persona,
            until: request.until,
            reason: request.reason,
        })
        .await?;
    http::json(201, &elevation)
}

pub async fn approve(id: &str, elevation: &str, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.require("tokens", "manage", None)?;
    let approved: Elevation = call
        .registry()?
        .call(&Command::ApproveElevation {
            actor: caller.actor(),
            id: id.to_string(),
            elevation: elevation.to_string(),
        })
        .await?;
    http::json(200, &approved)
}

pub async fn end(id: &str, elevation: &str, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.require("tokens", "manage", None)?;
    super::carried_out(
        call,
        Command::EndElevation {
            actor: caller.actor(),
            id: id.to_string(),
            elevation: elevation.to_string(),
        },
    )
    .await
}
