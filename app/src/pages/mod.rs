pub mod admins;
pub mod audit;
pub mod invite;
pub mod signin;
pub mod token_detail;
pub mod token_new;
pub mod tokens;
