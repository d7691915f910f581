//! The `keyward` CLI's tests: one binary, so the suite links once, with a
//! module per feature (as the HTTP tests are). Each test runs the real
//! binary against a fresh worker under `wrangler dev` (`common::spawn_app`).

mod common;

mod admins;
mod basics;
mod browser_login;
mod config;
mod controls;
mod elevations;
mod help;
mod insight;
mod invitations;
mod people;
mod tokens;
