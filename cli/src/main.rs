//! `keyward`: the Keyward command-line tool for admins and CI pipelines.
//! It speaks the HTTP API (`/api/v1`) with the shared crate's types.

mod args;
mod cli;
mod client;
mod commands;
mod config;
mod error;
mod output;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // clap prints usage errors itself and exits 2; --help and --version 0.
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
