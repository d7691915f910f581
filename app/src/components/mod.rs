pub mod common;
pub mod grid;
pub mod personas;
pub mod token_form;
