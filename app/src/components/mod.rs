pub mod audit_table;
pub mod common;
pub mod grid;
pub mod handover;
pub mod keys;
pub mod personas;
pub mod toast;
pub mod token_form;
