//! Why a token may or may not do something (issue 18, "explain a
//! decision"), and which of the gateway's routes it can call.
//!
//! Nothing here decides on its own: the verdict is the edge's
//! ([`Access::principal`](crate::Access::principal) and
//! [`Principal::admit`](crate::Principal::admit), which
//! [`Principal::decide`](crate::Principal::decide) is built on, after the
//! same expiry and reach checks), and the derivation is what that decision returns. What
//! this module adds is where each grant came from, which only the registry
//! knows ([`Holdings`]): the token's own grants, a persona's, a member's.
//!
//! Two facts come from outside the registry, as plain data
//! ([`Circumstances`]): the token's rate limiter as it stands now (the
//! worker peeks at it without taking a slot,
//! [`Standing`](crate::ratelimit::Standing)), and which of
//! the token's secrets the call would present (by its hint: the current
//! one, one a refresh replaced that is still inside its overlap, or none
//! that works).

mod decision;
mod holdings;
mod request;
mod routes;

pub use decision::{explain, explain_at, Circumstances, ExplainCode, Explanation, Verdict, Via};
pub use holdings::{Held, Holdings, Presented, RetiredSecret, Source};
pub use request::{ExplainRequest, Question};
pub use routes::{reach, routes, Coverage, RequirementReach, RouteReach, RoutesReport};

use time::OffsetDateTime;

/// An instant (unix seconds) as RFC 3339, or the number if out of range.
fn rfc3339(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| secs.to_string())
}
