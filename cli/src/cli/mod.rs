//! The command line, as clap parses it. Every value is parsed into its
//! domain type here, so a malformed one is a usage error (exit 2) before
//! any request is sent.

mod insight;
mod people;
mod projects;
mod tokens;

pub use insight::{AuditArgs, ExplainArgs, UsageArgs, VerifyArgs};
pub use people::{AdminsCommand, InvitationsCommand, KeysCommand, MembersCommand, PersonasCommand};
pub use projects::ProjectsCommand;
pub use tokens::{
    ElevationsCommand, TokensCommand, TokensCreateArgs, TokensListArgs, TokensUpdateArgs,
};

use clap::{Args, Parser, Subcommand};

const MAIN_AFTER_HELP: &str = "\
Configuration (first found wins):
  1. --url / --token
  2. KEYWARD_URL / KEYWARD_TOKEN
  3. the config file written by `keyward login`: $KEYWARD_CONFIG (a file, or a
     directory holding config.toml), else $XDG_CONFIG_HOME/keyward/config.toml,
     else ~/.config/keyward/config.toml. The file's token is only sent to the
     file's URL.

Output:
  Tables for people by default; --json prints the API's JSON for scripts;
  --quiet prints only what a script needs (a new secret, alone on stdout).

Exit codes:
  0  success
  1  the API refused the request (its problem `code: detail` is printed on
     stderr), the API could not be reached (network errors name the URL tried),
     `verify` found the key not valid, or the config file cannot be read
     or written
  2  usage error: bad arguments (a malformed grant or duration, ...), or no
     URL/token configured

Examples:
  keyward login --url https://keyward.example.com     # approve in the browser
  keyward tokens create ci-deploy --grant storage:write@in.c-main --expires-in 30d
  SECRET=$(keyward tokens create nightly -g 'storage:read@*' --quiet)
  keyward tokens list --kind scoped --sort -created_at --json | jq '.items[].name'
  keyward completions bash > /etc/bash_completion.d/keyward";

#[derive(Debug, Parser)]
#[command(
    name = "keyward",
    version,
    about = "Manage Keyward scoped API tokens, admins, invitations and the audit log",
    after_help = MAIN_AFTER_HELP,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// Base URL of the Keyward deployment (e.g. https://keyward.example.com)
    #[arg(long, env = "KEYWARD_URL", global = true, value_name = "URL")]
    pub url: Option<String>,

    /// Bearer token (secret) to call the API with; prefer KEYWARD_TOKEN or
    /// `keyward login` over the flag, which other users can see in `ps`
    #[arg(
        long,
        env = "KEYWARD_TOKEN",
        hide_env_values = true,
        global = true,
        value_name = "SECRET"
    )]
    pub token: Option<String>,

    /// Print the API's JSON instead of tables
    #[arg(long, global = true, conflicts_with = "quiet")]
    pub json: bool,

    /// Print only what a script needs: a new secret alone, nothing else
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign in (in the browser, or with a token) and save the URL and token in the config file
    #[command(after_help = "\
How the token is obtained:
  --web (and plain `keyward login` when no token is given and stdin is a
  terminal): the browser flow. keyward prints a one-time code and a link; open
  the link, sign in to the app, check that the code matches and approve. keyward
  then receives a key of its own for you (an admin's global admin key, a
  member's personal key) that expires in 30 days, named \"CLI: keyward CLI on
  <host>\". The code expires after 10 minutes.

  Otherwise: with --with-token the token is read from stdin (a hidden prompt
  on a terminal); else it is taken from --token or KEYWARD_TOKEN, else read
  from stdin when stdin is not a terminal. It is checked with `whoami` before
  anything is written.

Either way the URL and token are saved in the config file (see `keyward
--help`: $KEYWARD_CONFIG, else $XDG_CONFIG_HOME/keyward/config.toml, else
~/.config/keyward/config.toml), written with mode 0600, and the secret is never
printed.

Examples:
  keyward login --url https://keyward.example.com          # approve in the browser
  keyward login --web --url https://keyward.example.com
  keyward login --with-token --url https://keyward.example.com   # paste a token
  printf '%s\\n' \"$ADMIN_SECRET\" | keyward login --url http://localhost:8787")]
    Login(LoginArgs),

    /// Revoke the key `keyward login --web` made, and remove the saved URL and token
    #[command(after_help = "\
Logging out first asks the deployment who the saved token is. A key that
`keyward login --web` made (a global or personal key named \"CLI: ...\") is
revoked there, so the secret stops working everywhere. A token you gave
`keyward login` yourself (a master token, a user token, a scoped token) is not
revoked, only forgotten: it may be in use elsewhere. A token the deployment
already refuses (expired, revoked) is simply forgotten.

The config file is removed in every case, even when the revocation fails (the
deployment cannot be reached, or refuses): the error then says so and the exit
code is 1; revoke the key in the app or with `keyward tokens delete <id>`.
--url, --token and their environment variables are not used: logout acts on
the config file only.

Example:
  keyward logout")]
    Logout,

    /// Show the calling token and its effective permissions
    #[command(
        after_help = "Examples:\n  keyward whoami\n  keyward whoami --json | jq -r .token.client_id"
    )]
    Whoami,

    /// List the services, permissions and resource types tokens can be granted
    #[command(after_help = "Examples:\n  keyward catalog\n  keyward catalog --json")]
    Catalog,

    /// Create, list, change, refresh and delete tokens
    #[command(
        subcommand,
        after_help = "\
Grants are written service:permission[@resource] (see `keyward catalog`);
durations as a number and s, m, h or d.

Examples:
  keyward tokens list --kind scoped
  keyward tokens create ci-deploy -g storage:write@in.c-main --expires-in 30d
  keyward tokens refresh tok_8f3k2... --overlap 1h --quiet
  keyward tokens delete tok_8f3k2... --yes"
    )]
    Tokens(TokensCommand),

    /// Add, list and remove admins (and their master tokens); needs a master token
    #[command(
        subcommand,
        after_help = "\
Examples:
  keyward admins list
  keyward admins create --email ops@example.com --name Ops --quiet
  keyward admins delete adm_3k9... --yes"
    )]
    Admins(AdminsCommand),

    /// Invite people by email to receive a token
    #[command(
        subcommand,
        after_help = "\
Examples:
  keyward invitations send tok_8f3k2... --email dev@example.com
  keyward invitations list
  keyward invitations revoke inv_2m..."
    )]
    Invitations(InvitationsCommand),

    /// Manage personas: named sets of grants that tokens link (admins)
    #[command(
        subcommand,
        after_help = "\
Examples:
  keyward personas create \"Finance readers\" -g storage:read@finance
  keyward tokens update tok_8f3k2... --persona per_4k2... --persona per_9x1...
  keyward personas update per_4k2... -g 'storage:read@*'
  keyward personas delete per_4k2... --unlink --yes"
    )]
    Personas(PersonasCommand),

    /// Invite and manage members, and their personal keys
    #[command(
        subcommand,
        after_help = "\
Examples:
  keyward members invite --email dana@example.com --name Dana -g 'storage:read@*'
  keyward members update mem_3k... --persona per_4k2...
  keyward members keys create mem_3k... laptop --expires-in 90d   # as the member
  keyward members keys list mem_3k..."
    )]
    Members(MembersCommand),

    /// List and create projects
    #[command(
        subcommand,
        after_help = "\
Examples:
  keyward projects list
  keyward projects create beta --name \"Project Beta\"
  keyward tokens create beta-writer --project beta -g 'storage:write@*'
  keyward tokens create deployer --global --project-grant alpha=storage:read@* --project-grant beta=storage:write@*"
    )]
    Projects(ProjectsCommand),

    /// Read the audit log
    #[command(after_help = "\
Examples:
  keyward audit
  keyward audit --action token.delete --limit 50
  keyward audit --actor cli_4f2a... --json")]
    Audit(AuditArgs),

    /// Check a key as a backend would (needs tokens:verify); exit 1 if not valid
    #[command(after_help = "\
Exit status is 0 when the key is valid (and holds every --require grant),
1 otherwise, with the verdict (MALFORMED, NOT_FOUND, EXPIRED,
INSUFFICIENT_PERMISSIONS) on stderr.

Examples:
  keyward verify \"$KEY\" --require storage:read@in.c-main
  printf '%s' \"$KEY\" | keyward verify - --json")]
    Verify(VerifyArgs),

    /// Explain the edge's decision: may this token do service:permission[@resource], and why (or why not); exit 1 if not
    #[command(after_help = "\
Prints the decision and its derivation: the grant that admits the call and
where it comes from (the token's own grants, a persona, its member's, a `*`
grant, implied by a stronger permission), or why not (no grant, with the
missing one; a project out of reach; expired). Exit status is 0 when allowed,
1 when denied. Anyone who may see the token may ask. With --routes, lists the
gateway routes the token can call and the grant missing for the others.

Examples:
  keyward explain tok_8f3k2... storage read --resource in.c-main
  keyward explain tok_8f3k2... tokens manage --project beta --json
  keyward explain tok_8f3k2... tokens manage --secret-hint 'kw_s_...Ab3x'
  keyward explain tok_8f3k2... --routes")]
    Explain(ExplainArgs),

    /// What a token's calls used in the last N days, its unused grants, and a narrowed grant set
    #[command(after_help = "\
Summarises the audit log: per grant the calls needed (with counts and last
use), the grants the token holds but never used, and a proposed complete grant
set. --apply narrows the token's own grants to that proposal in one step
(refused with 409 if the audit log changed meanwhile; needs tokens:manage).
Needs to see the token and audit:read in its project.

Examples:
  keyward usage tok_8f3k2...
  keyward usage tok_8f3k2... --days 90 --json | jq '.proposed_grants'
  keyward usage tok_8f3k2... --apply --yes")]
    Usage(UsageArgs),

    /// Raise a token's grants until an instant, for a reason; list, approve and end elevations
    #[command(
        subcommand,
        after_help = "\
An elevation ends by itself at its instant: the edge stops counting it then,
with no command needed. Where the token's project requires approval, it waits
until another admin approves it.

Examples:
  keyward elevations add tok_8f3k2... -g api_services:deploy@churn --for 4h --reason \"Deploy churn v2 (OPS-42)\"
  keyward elevations add tok_8f3k2... --persona prs_4k2... --until 2030-01-01T18:00:00Z --reason \"Month-end load\"
  keyward elevations list tok_8f3k2...
  keyward elevations approve tok_8f3k2... elv_9x1...
  keyward elevations end tok_8f3k2... elv_9x1... --yes"
    )]
    Elevations(ElevationsCommand),

    /// Print a shell completion script
    #[command(after_help = "\
Examples:
  keyward completions bash > ~/.local/share/bash-completion/completions/keyward
  keyward completions zsh > \"${fpath[1]}/_keyward\"
  keyward completions fish > ~/.config/fish/completions/keyward.fish")]
    Completions {
        /// The shell to generate for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// An object id from the command line: never empty, never a dot segment
/// that would change the request path.
pub fn parse_id(s: &str) -> Result<String, String> {
    match s.trim() {
        "" | "." | ".." => Err(format!("'{s}' is not an id")),
        id => Ok(id.to_string()),
    }
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Sign in in the browser: approve a one-time code in the app, and
    /// keyward receives a key of its own for you (expires in 30 days)
    #[arg(long, conflicts_with = "with_token")]
    pub web: bool,

    /// Read the token from stdin even on a terminal (a hidden prompt),
    /// instead of the browser flow
    #[arg(long)]
    pub with_token: bool,
}

fn parse_project(s: &str) -> Result<String, String> {
    keyward_domain::validate::project_id("project", s.trim())
        .map_err(|e| format!("'{s}' {}", e.message))
}

fn parse_secret_hint(s: &str) -> Result<String, String> {
    keyward_domain::secret::parse_hint(s).ok_or_else(|| {
        format!("'{s}' is not a secret's hint: kw_<kind letter>_…<last four characters>, e.g. kw_s_…Ab3x")
    })
}

fn parse_days(s: &str) -> Result<keyward_domain::usage::Days, String> {
    keyward_domain::usage::Days::parse(Some(s)).map_err(|e| format!("'{s}' {}", e.message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
