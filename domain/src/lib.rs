//! Keyward's domain, shared by the worker and the app. Pure: no I/O, no
//! clock, no randomness of its own (callers pass `now` and a CSPRNG).

pub mod access;
pub mod admit;
pub mod api;
pub mod blast;
pub mod caller;
pub mod capability;
pub mod catalog;
pub mod conditions;
pub mod contract;
pub mod describe;
pub mod directory_input;
pub mod elevation;
pub mod expiry;
pub mod explain;
pub mod gateway;
pub mod grant;
pub mod invitation;
pub mod jwt;
pub mod leak;
pub mod lease;
pub mod level;
#[cfg(test)]
mod model;
pub mod paths;
pub mod policy;
pub mod problem;
pub mod query;
pub mod quota;
pub mod ratelimit;
pub mod registry_error;
pub mod requirement;
pub mod secret;
pub mod shapes;
pub mod signin;
pub mod storage;
pub mod template;
pub mod token_input;
pub mod usage;
pub mod validate;
pub mod version;
pub mod webauthn;

pub use access::{Access, DEFAULT_PROJECT};
pub use catalog::Catalog;
pub use grant::{Decision, Effective, Grant, Principal, Resource};
pub use problem::{ErrorCode, FieldError, Problem};
pub use registry_error::RegistryError;
pub use secret::{Secret, SecretError, SecretHash, TokenKind};
