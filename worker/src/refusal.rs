//! How the API answers an admission's refusal: the same words for an API
//! call, the gateway and `verify`.

use crate::http::ApiError;
use keyward_domain::admit::Stop;
use keyward_domain::{ErrorCode, Grant};

/// An admission's refusal as the API answers it.
pub fn stopped(stop: Stop) -> ApiError {
    match stop {
        Stop::Expired => ApiError::new(ErrorCode::TokenExpired, "the token has expired"),
        Stop::Disabled => ApiError::new(
            ErrorCode::TokenDisabled,
            "the token is disabled; an admin can enable it again",
        ),
        Stop::NotYetValid => ApiError::new(
            ErrorCode::TokenNotYetValid,
            "the token is not valid yet (see its not_before)",
        ),
        // The edge counts a call before it is admitted; the limiter's own
        // refusal was answered then.
        Stop::Limited(_) => ApiError::new(ErrorCode::RateLimited, "the token's limit is spent"),
        Stop::RetiredSecret(refusal) | Stop::OutOfReach(refusal) => refusal.into(),
        Stop::Missing(missing) => insufficient(&missing),
        Stop::Unmet(words) => ApiError::new(
            ErrorCode::InsufficientPermission,
            format!("this token lacks {words}"),
        ),
    }
}

pub fn insufficient(missing: &Grant) -> ApiError {
    ApiError::new(
        ErrorCode::InsufficientPermission,
        format!("this token lacks {missing}"),
    )
}
