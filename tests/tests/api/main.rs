//! Keyward's black-box HTTP tests: one binary, so the suite links once,
//! with a module per feature. Each test starts the real worker under
//! `wrangler dev` with its own state (`keyward_tests::spawn_app`).
//!
//! `scripts/test` runs the hardening modules (authorization matrix,
//! contract fuzzing, durability, load) on their own, one at a time, so
//! that their figures are printed; every other module runs in the `http`
//! suite.

mod admins;
mod atlan;
mod attenuation;
mod attenuation_model;
mod authorization_matrix;
mod bad_input;
mod blast_radius;
mod celonis;
mod contract_fuzz;
mod data_plane;
mod dataiku;
mod durability;
mod elevation;
mod escalation;
mod explain;
mod foundation;
mod gateway;
mod hardening;
mod http_habits;
mod invitations;
mod jwt;
mod keboola;
mod leaks;
mod load;
mod members;
mod passkeys;
mod peers;
mod personas;
mod policy;
mod projects;
mod rate_limit;
mod secrets_at_rest;
mod upgrade;
mod verify;
