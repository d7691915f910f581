//! One module per area; each command reads its arguments, calls the API
//! through [`Client`], and prints in the chosen [`Mode`].

mod admins;
mod audit;
mod catalog;
mod elevations;
mod insight;
mod invitations;
mod login;
mod people;
mod tokens;
mod verify;
mod whoami;

use crate::cli::{Cli, Command};
use crate::client::Client;
use crate::config;
use crate::error::CliError;
use crate::output::Mode;
use std::io::{BufRead, IsTerminal, Write};

/// What every command gets: the output mode and, on demand, a client for
/// the configured deployment.
pub struct Ctx {
    pub mode: Mode,
    url: Option<String>,
    token: Option<String>,
}

impl Ctx {
    pub fn client(&self) -> Result<Client, CliError> {
        Client::new(config::resolve(self.url.clone(), self.token.clone())?)
    }
}

pub fn run(cli: Cli) -> Result<(), CliError> {
    let mode = if cli.global.json {
        Mode::Json
    } else if cli.global.quiet {
        Mode::Quiet
    } else {
        Mode::Human
    };
    let ctx = Ctx {
        mode,
        url: cli.global.url,
        token: cli.global.token,
    };
    match cli.command {
        Command::Login(a) => login::login(&ctx, a),
        Command::Logout => login::logout(&ctx),
        Command::Whoami => whoami::run(&ctx),
        Command::Catalog => catalog::run(&ctx),
        Command::Tokens(c) => tokens::run(&ctx, c),
        Command::Admins(c) => admins::run(&ctx, c),
        Command::Invitations(c) => invitations::run(&ctx, c),
        Command::Personas(c) => people::personas(&ctx, c),
        Command::Members(c) => people::members(&ctx, c),
        Command::Projects(c) => people::projects(&ctx, c),
        Command::Audit(a) => audit::run(&ctx, a),
        Command::Verify(a) => verify::run(&ctx, a),
        Command::Explain(a) => insight::explain(&ctx, a),
        Command::Usage(a) => insight::usage(&ctx, a),
        Command::Elevations(c) => elevations::run(&ctx, c),
        Command::Completions { shell } => {
            // Into a buffer first: clap_complete panics on a write error,
            // and `keyward completions bash | head` closes the pipe early.
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "keyward", &mut script);
            crate::output::out(&String::from_utf8_lossy(&script));
            Ok(())
        }
    }
}

/// Irreversible commands ask on a terminal; without one (CI, pipes) they
/// require `--yes`, so a script never deletes by accident nor hangs on a
/// prompt nobody sees.
pub fn confirm(yes: bool, question: &str) -> Result<(), CliError> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(format!(
            "{question} Refusing without --yes when stdin is not a terminal."
        )));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::Usage(format!("cannot read the answer: {e}")))?;
    if matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
        Ok(())
    } else {
        Err(CliError::Usage("cancelled".into()))
    }
}
