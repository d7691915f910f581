pub mod common;
pub mod grid;
pub mod token_form;
