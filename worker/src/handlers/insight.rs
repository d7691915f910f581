//! Questions about one token (issue 18): why may it (not) do this
//! (`explain`), which gateway routes can it call (`routes`), and what do
//! its calls really use (`usage`). Reads only: the verdicts come from the
//! domain's `explain` and `usage`, which decide with the edge's own code.

use crate::call::Call;
use crate::http::{self, ApiError, ApiResult};
use crate::registry::Command;
use crate::store;
use keyward_domain::explain::{self, ExplainRequest, Holdings};
use keyward_domain::usage::{self, Days};
use keyward_domain::{policy, ErrorCode, Problem};
use worker::{Request, Response};

/// The token's grants with their sources, if the caller may see it (else
/// 404, like every token route).
async fn holdings(id: &str, call: &Call<'_>) -> ApiResult<Holdings> {
    let caller = call.caller()?;
    call.registry()?
        .call(&Command::TokenHoldings {
            actor: caller.actor(),
            id: id.to_string(),
        })
        .await
}

pub async fn explain(id: &str, req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let body: ExplainRequest = http::json_body(req).await?;
    let question = body.parse(call.catalog).map_err(|(unknown, errors)| {
        if unknown {
            let detail = errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; ");
            ApiError::from(Problem::new(ErrorCode::UnknownPermission, detail).with_errors(errors))
        } else {
            ApiError::invalid(errors)
        }
    })?;
    let holdings = holdings(id, call).await?;
    let answer = explain::explain(
        &holdings,
        call.catalog,
        question.project.as_deref(),
        &question.wanted,
        store::now().unix_timestamp(),
    );
    http::json(200, &answer)
}

pub async fn routes(id: &str, req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    // Other parameters are ignored, as on every other read.
    let project = http::query_pairs(req)?
        .into_iter()
        .find(|(k, _)| k == "project")
        .map(|(_, v)| keyward_domain::validate::project_id("project", &v))
        .transpose()
        .map_err(|e| ApiError::invalid(vec![e]))?;
    let holdings = holdings(id, call).await?;
    let table = crate::gateway::table()?;
    let report = explain::routes(
        &holdings,
        call.catalog,
        table,
        project.as_deref(),
        store::now().unix_timestamp(),
    );
    http::json(200, &report)
}

pub async fn usage(id: &str, req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let pairs = http::query_pairs(req)?;
    let days = Days::parse(
        pairs
            .iter()
            .find(|(k, _)| k == "days")
            .map(|(_, v)| v.as_str()),
    )
    .map_err(|e| ApiError::invalid(vec![e]))?;
    let holdings = holdings(id, call).await?;
    // Seeing the token is not enough: its usage comes from the audit log,
    // which the caller must be allowed to read for the token's project.
    policy::may_read_usage(
        &call.caller()?.actor().policy(),
        &holdings.subject(),
        call.catalog,
    )?;
    let now = store::now().unix_timestamp();
    let uses =
        crate::audit::uses(call.env, &holdings.token_id, (now - days.seconds()) * 1000).await?;
    http::json(
        200,
        &usage::summarise(call.catalog, &holdings, &uses, days, now),
    )
}
