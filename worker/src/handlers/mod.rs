//! The API's handlers, one module per resource; `dispatch` (in `lib.rs`)
//! picks one per route and hands it the [`Call`](crate::call::Call).

pub mod admins;
pub mod directory;
pub mod invitations;
pub mod meta;
pub mod storage;
pub mod tokens;
