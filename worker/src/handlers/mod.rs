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

// What the control plane's handlers answer with (`carried_out`, `issued`).
#[cfg(feature = "control")]
mod reply;
#[cfg(feature = "control")]
use reply::{carried_out, guarded, issued, versioned};
