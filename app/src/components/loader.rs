//! One way to draw what a load holds: "Loading…" while it runs, the
//! failure panel if it failed, the page once it came.

use crate::api::ApiFailure;
use crate::components::common::{FailurePanel, Loading};
use leptos::prelude::*;

/// A resource's state drawn: `loading` says what is coming, `needs` what the
/// token lacks if the API refuses it (see [`FailurePanel`]), `ok` the answer.
pub fn loaded<T>(
    state: Option<Result<T, ApiFailure>>,
    loading: &'static str,
    needs: &'static str,
    ok: impl FnOnce(T) -> AnyView,
) -> AnyView {
    match answer(state, loading, needs) {
        Ok(answer) => ok(answer),
        Err(instead) => instead,
    }
}

/// As [`loaded`], for a view that goes on with the answer: the answer, or
/// what to show instead of the view.
pub fn answer<T>(
    state: Option<Result<T, ApiFailure>>,
    loading: &'static str,
    needs: &'static str,
) -> Result<T, AnyView> {
    match state {
        Some(Ok(answer)) => Ok(answer),
        Some(Err(f)) => Err(not_loaded(Some(f), loading, needs)),
        None => Err(not_loaded(None, loading, needs)),
    }
}

/// Kept out of [`loaded`] so that it is compiled once, not once per answer.
fn not_loaded(failure: Option<ApiFailure>, loading: &'static str, needs: &'static str) -> AnyView {
    match failure {
        None => view! { <Loading what=loading /> }.into_any(),
        Some(f) => view! { <FailurePanel failure=f needs /> }.into_any(),
    }
}

/// Two loads as one: the first failure, else both answers once both came.
pub fn both<A, B>(
    a: Option<Result<A, ApiFailure>>,
    b: Option<Result<B, ApiFailure>>,
) -> Option<Result<(A, B), ApiFailure>> {
    match (a, b) {
        (Some(Err(f)), _) | (_, Some(Err(f))) => Some(Err(f)),
        (Some(Ok(a)), Some(Ok(b))) => Some(Ok((a, b))),
        _ => None,
    }
}
