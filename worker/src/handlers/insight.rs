//! Questions about one token (issue 18): why may it (not) do this
//! (`explain`), which gateway routes can it call (`routes`), and what do
//! its calls really use (`usage`). Reads only: the verdicts come from the
//! domain's `explain` and `usage`, which decide with the edge's own code.

use crate::call::Call;
use crate::http::{self, ApiError, ApiResult};
use crate::registry::Command;
use crate::store;
use keyward_domain::api::Token;
use keyward_domain::explain::{self, ExplainRequest, Holdings};
use keyward_domain::usage::{self, Days, NarrowRequest, Usage};
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
    // The token's limiter, asked without taking a slot: explaining never
    // counts against the token (only the caller's own call counts, against
    // the caller). Fail closed: if it cannot be asked, no answer is given
    // rather than one that might say allow while the edge refuses.
    let limiter = crate::ratelimit::peek(
        call.env,
        &holdings.token_id,
        holdings.rate_limit,
        holdings.usage_limit,
    )
    .await
    .map_err(|e| {
        worker::console_error!("rate limiter failed: {}", e.problem.detail);
        ApiError::new(
            ErrorCode::Unavailable,
            "the token's rate limiter could not be asked, so whether a call would pass now is unknown; retry",
        )
    })?;
    let answer = explain::explain_at(
        &holdings,
        call.catalog,
        question.project.as_deref(),
        &question.wanted,
        store::now().unix_timestamp(),
        &explain::Circumstances {
            limiter,
            secret_hint: question.secret_hint,
        },
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
    let table = crate::gateway_table::table()?;
    let report = explain::routes(
        &holdings,
        call.catalog,
        table,
        project.as_deref(),
        store::now().unix_timestamp(),
    );
    http::json(200, &report)
}

/// The usage summary of a token the caller may see and whose audit
/// entries it may read.
async fn summary(id: &str, days: Days, call: &Call<'_>) -> ApiResult<Usage> {
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
    Ok(usage::summarise(call.catalog, &holdings, &uses, days, now))
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
    http::json(200, &summary(id, days, call).await?)
}

/// Applies the proposal the caller reviewed, if it is still what the
/// audit log gives; the registry makes the edit with every usual check.
pub async fn narrow(id: &str, req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.require("tokens", "manage", None)?.actor();
    let body: NarrowRequest = http::json_body(req).await?;
    let days = Days::of(body.days).map_err(|e| ApiError::invalid(vec![e]))?;
    let reviewed = crate::catalog::check_grants(call.catalog, body.grants)?;
    let summary = summary(id, days, call).await?;
    if keyward_domain::grant::explicit(summary.proposed_grants.clone()) != reviewed {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "the proposal is no longer what the audit log gives (the token was used or changed since); read the usage again and review the new proposal",
        ));
    }
    let removed: Vec<String> = summary.removed.iter().map(ToString::to_string).collect();
    let detail = format!(
        "narrowed to what {} calls used in {} days; removed or narrowed: {}",
        summary.calls,
        summary.days,
        if removed.is_empty() {
            "nothing".to_string()
        } else {
            removed.join(", ")
        }
    );
    let token: Token = call
        .registry()?
        .call(&Command::NarrowToken {
            actor: caller,
            id: id.to_string(),
            grants: reviewed,
            detail,
        })
        .await?;
    http::json(200, &token)
}
