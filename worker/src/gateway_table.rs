//! The gateway's route table, shipped with the worker
//! (`worker/gateway.json`): what the gateway serves, and what `explain`
//! and the blast radius of a change look up.

use crate::http::{ApiError, ApiResult};
use keyward_domain::gateway::RouteTable;
use keyward_domain::ErrorCode;
use std::sync::OnceLock;

static TABLE: OnceLock<Result<RouteTable, String>> = OnceLock::new();

/// The shipped table, parsed once per isolate. It is checked by the domain
/// tests; should it ever be broken, every gateway call is refused.
pub(crate) fn table() -> ApiResult<&'static RouteTable> {
    TABLE
        .get_or_init(|| RouteTable::from_json(include_str!("../gateway.json")))
        .as_ref()
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("gateway.json: {e}")))
}
