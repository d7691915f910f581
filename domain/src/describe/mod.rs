//! App-facing, pure descriptions of grants: the permission grid's state and
//! its transitions, the plain-language summary of what a token can do, the
//! per-service permission view, and expiry wording. Kept here (not in the
//! app) so it is tested natively and cannot drift from the decision logic.

mod expiry;
mod grid;
mod held;
mod summary;
mod words;

pub use expiry::{expiry_state, relative, ExpiryChoice, ExpiryState, EXPIRES_SOON};
pub use grid::{Choice, Grid, ResourceView, RowView, Scope, ScopeView};
pub use held::{
    held_parts, held_permissions, held_permissions_via, holds, tables_of, HeldPermission,
    ServiceView,
};
pub use summary::{change, summary};
pub use words::{all_label, noun, part_noun, plural, with_article};
