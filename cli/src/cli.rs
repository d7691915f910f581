//! The command line, as clap parses it. Every value is parsed into its
//! domain type here, so a malformed one is a usage error (exit 2) before
//! any request is sent.

use crate::args::{
    parse_limit, DurationArg, GrantArg, InstantArg, KindArg, MetaArg, ProjectGrantArg, SortArg,
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

#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// List tokens, with the API's filters, sort and paging
    #[command(after_help = "\
Examples:
  keyward tokens list
  keyward tokens list --kind scoped --search deploy --sort -created_at
  keyward tokens list --limit 100 --offset 100 --json
  keyward tokens list --unused-for 90d
  keyward tokens list --unused-for 90d --limit 100 --quiet | xargs -n1 keyward tokens update --disable")]
    List(TokensListArgs),

    /// Show one token
    #[command(
        after_help = "Examples:\n  keyward tokens get tok_8f3k2...\n  keyward tokens get tok_8f3k2... --json"
    )]
    Get {
        /// The token's id (`tokens list` shows it)
        #[arg(value_parser = parse_id)]
        id: String,
    },

    /// Create a scoped token; its secret is printed once
    #[command(after_help = "\
A new token has exactly the grants given (none by default) and never expires
unless --expires-in or --expires-at says otherwise.

Examples:
  keyward tokens create ci-deploy --grant storage:write@in.c-main --expires-in 30d
  keyward tokens create reader -g 'storage:read@*' -g tokens:read --description \"dashboards\"
  SECRET=$(keyward tokens create nightly -g storage:read@in.c-main --quiet)")]
    Create(TokensCreateArgs),

    /// Change a token's name, description, grants or expiry
    #[command(after_help = "\
--grant replaces the whole set (what is left out is removed); --add-grant and
--remove-grant change it relative to the current set.

Examples:
  keyward tokens update tok_8f3k2... --name ci-deploy-eu
  keyward tokens update tok_8f3k2... --grant 'storage:read@*' --grant tokens:read
  keyward tokens update tok_8f3k2... --add-grant storage:write@in.c-main
  keyward tokens update tok_8f3k2... --expires-in 7d
  keyward tokens update tok_8f3k2... --never-expires")]
    Update(TokensUpdateArgs),

    /// Issue a new secret for a token; the old one stops working (after --overlap)
    #[command(after_help = "\
Examples:
  keyward tokens refresh tok_8f3k2...
  NEW=$(keyward tokens refresh tok_8f3k2... --overlap 1h --quiet)")]
    Refresh {
        /// The token's id
        #[arg(value_parser = parse_id)]
        id: String,
        /// How long the old secret keeps working (e.g. 10m, 1h); default: it stops now
        #[arg(long, value_name = "DURATION")]
        overlap: Option<DurationArg>,
    },

    /// Recover another admin's master token (leaked or lost): a new secret
    /// is emailed to its admin, the old one stops, the token is enabled
    #[command(after_help = "\
Examples:
  keyward tokens recover tok_8f3k2...")]
    Recover {
        /// The master token's id
        #[arg(value_parser = parse_id)]
        id: String,
    },

    /// Delete a token for good
    #[command(after_help = "\
Asks for confirmation on a terminal; elsewhere --yes is required.

Examples:
  keyward tokens delete tok_8f3k2...
  keyward tokens delete tok_8f3k2... --yes")]
    Delete {
        /// The token's id
        #[arg(value_parser = parse_id)]
        id: String,
        /// Do not ask for confirmation
        #[arg(short, long)]
        yes: bool,
    },
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

#[derive(Debug, Args)]
pub struct TokensListArgs {
    /// Only tokens with exactly this name
    #[arg(long)]
    pub name: Option<String>,
    /// Only the token with this client id
    #[arg(long)]
    pub client_id: Option<String>,
    /// Only tokens of this kind
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    /// Only tokens whose name or description contains this text
    #[arg(long, visible_alias = "q", value_name = "TEXT")]
    pub search: Option<String>,
    /// Sort key: name, created_at, expires_at, last_used_at; prefix '-' for descending
    #[arg(long, allow_hyphen_values = true, value_name = "KEY")]
    pub sort: Option<SortArg>,
    /// How many tokens (1-100; the API's default is 20)
    #[arg(long, value_parser = parse_limit)]
    pub limit: Option<u32>,
    /// How many tokens to skip
    #[arg(long)]
    pub offset: Option<u64>,
    /// Only tokens of this project
    #[arg(long)]
    pub project: Option<String>,
    /// Only tokens linking this persona (its id)
    #[arg(long, value_name = "PERSONA_ID")]
    pub persona: Option<String>,
    /// Only disabled tokens
    #[arg(long)]
    pub disabled: bool,
    /// Only tokens not used for this long (30d, 12h); never-used ones count from their creation
    #[arg(long, value_name = "DURATION")]
    pub unused_for: Option<DurationArg>,
    /// Only tokens whose metadata has this value at this key, KEY=VALUE; repeat for more
    #[arg(long = "meta", value_name = "KEY=VALUE")]
    pub meta: Vec<String>,
}

#[derive(Debug, Args)]
pub struct TokensCreateArgs {
    /// A unique name for the token
    pub name: String,
    /// What the token is for
    #[arg(long)]
    pub description: Option<String>,
    /// A grant, service:permission[@resource]; repeat for more
    #[arg(short, long = "grant", value_name = "GRANT")]
    pub grants: Vec<GrantArg>,
    /// Expire after this long: a number and s, m, h or d (e.g. 30d)
    #[arg(long, value_name = "DURATION", conflicts_with_all = ["expires_at", "never_expires"])]
    pub expires_in: Option<DurationArg>,
    /// Expire at this RFC 3339 instant (e.g. 2030-01-01T00:00:00Z)
    #[arg(long, value_name = "INSTANT", conflicts_with = "never_expires")]
    pub expires_at: Option<InstantArg>,
    /// Never expire (the default; say it to be explicit)
    #[arg(long)]
    pub never_expires: bool,
    /// Requests per minute this token may make (default: the deployment's)
    #[arg(long, value_name = "PER_MINUTE")]
    pub rate_limit: Option<u32>,
    /// Link this persona (its id); repeat for more
    #[arg(long = "persona", value_name = "PERSONA_ID")]
    pub personas: Vec<String>,
    /// The project the token belongs to (default: your own)
    #[arg(long, conflicts_with = "global")]
    pub project: Option<String>,
    /// Create a global key (admins only): grants per project, see --project-grant
    #[arg(long)]
    pub global: bool,
    /// A global key's grant in one project, PROJECT=GRANT; repeat for more
    #[arg(
        long = "project-grant",
        value_name = "PROJECT=GRANT",
        requires = "global"
    )]
    pub project_grants: Vec<ProjectGrantArg>,
    /// Make the global key a global admin: everything, in every project
    #[arg(long, requires = "global")]
    pub global_admin: bool,
    /// Create it disabled: it works once enabled (`tokens update --enable`)
    #[arg(long)]
    pub disabled: bool,
    /// Not usable before this RFC 3339 instant
    #[arg(long, value_name = "INSTANT")]
    pub not_before: Option<InstantArg>,
    /// A network (CIDR) or address it may be used from; repeat for more
    #[arg(long = "allow-ip", value_name = "CIDR")]
    pub allowed_ips: Vec<String>,
    /// Metadata, KEY=VALUE (VALUE as JSON if it is JSON); repeat for more
    #[arg(long = "meta", value_name = "KEY=VALUE")]
    pub meta: Vec<MetaArg>,
    /// How many times the token may be used (in total, or per --refill period)
    #[arg(long, value_name = "N")]
    pub uses: Option<u32>,
    /// Refill the uses: daily or monthly (00:00 UTC)
    #[arg(long, value_enum, requires = "uses")]
    pub refill: Option<RefillArg>,
}

/// `--refill`: when a usage-limited token's uses come back.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RefillArg {
    Daily,
    Monthly,
}

impl RefillArg {
    pub fn refill(self) -> keyward_domain::quota::Refill {
        match self {
            RefillArg::Daily => keyward_domain::quota::Refill::Daily,
            RefillArg::Monthly => keyward_domain::quota::Refill::Monthly,
        }
    }
}

#[derive(Debug, Args)]
pub struct TokensUpdateArgs {
    /// The token's id
    #[arg(value_parser = parse_id)]
    pub id: String,
    /// A new name
    #[arg(long)]
    pub name: Option<String>,
    /// A new description
    #[arg(long)]
    pub description: Option<String>,
    /// The complete new grant set (repeat); replaces every current grant
    #[arg(
        short,
        long = "grant",
        value_name = "GRANT",
        conflicts_with_all = ["add_grants", "remove_grants", "clear_grants"]
    )]
    pub grants: Vec<GrantArg>,
    /// Add this grant to the current set (repeat)
    #[arg(long = "add-grant", value_name = "GRANT")]
    pub add_grants: Vec<GrantArg>,
    /// Remove this grant from the current set (repeat)
    #[arg(long = "remove-grant", value_name = "GRANT")]
    pub remove_grants: Vec<GrantArg>,
    /// Remove every grant
    #[arg(long, conflicts_with_all = ["add_grants", "remove_grants"])]
    pub clear_grants: bool,
    /// Expire this long from now: a number and s, m, h or d (e.g. 30d)
    #[arg(long, value_name = "DURATION", conflicts_with_all = ["expires_at", "never_expires"])]
    pub expires_in: Option<DurationArg>,
    /// Expire at this RFC 3339 instant
    #[arg(long, value_name = "INSTANT", conflicts_with = "never_expires")]
    pub expires_at: Option<InstantArg>,
    /// Remove the expiry: the token never expires
    #[arg(long)]
    pub never_expires: bool,
    /// Requests per minute this token may make
    #[arg(long, value_name = "PER_MINUTE", conflicts_with = "default_rate_limit")]
    pub rate_limit: Option<u32>,
    /// Return the token to the deployment's default rate limit
    #[arg(long)]
    pub default_rate_limit: bool,
    /// The complete set of linked personas (repeat); any other is unlinked
    #[arg(
        long = "persona",
        value_name = "PERSONA_ID",
        conflicts_with = "clear_personas"
    )]
    pub personas: Vec<String>,
    /// Unlink every persona
    #[arg(long)]
    pub clear_personas: bool,
    /// Turn the token off: every use answers 401 token_disabled
    #[arg(long, conflicts_with = "enable")]
    pub disable: bool,
    /// Turn a disabled token back on
    #[arg(long)]
    pub enable: bool,
    /// Not usable before this RFC 3339 instant
    #[arg(long, value_name = "INSTANT", conflicts_with = "clear_not_before")]
    pub not_before: Option<InstantArg>,
    /// Remove the not-before instant
    #[arg(long)]
    pub clear_not_before: bool,
    /// The complete list of networks it may be used from (repeat)
    #[arg(long = "allow-ip", value_name = "CIDR", conflicts_with = "any_ip")]
    pub allowed_ips: Vec<String>,
    /// Allow every address again
    #[arg(long)]
    pub any_ip: bool,
    /// The complete new metadata, KEY=VALUE (repeat); replaces the old
    #[arg(long = "meta", value_name = "KEY=VALUE", conflicts_with = "clear_meta")]
    pub meta: Vec<MetaArg>,
    /// Remove all metadata
    #[arg(long)]
    pub clear_meta: bool,
    /// A new usage limit: how many times it may be used
    #[arg(long, value_name = "N", conflicts_with = "unlimited_uses")]
    pub uses: Option<u32>,
    /// With --uses: refill daily or monthly (00:00 UTC)
    #[arg(long, value_enum, requires = "uses")]
    pub refill: Option<RefillArg>,
    /// Lift the usage limit
    #[arg(long)]
    pub unlimited_uses: bool,
}

#[derive(Debug, Subcommand)]
pub enum AdminsCommand {
    /// List admins
    #[command(after_help = "Examples:\n  keyward admins list\n  keyward admins list --json")]
    List,

    /// Add an admin; their master token's secret is printed once
    #[command(after_help = "\
Examples:
  keyward admins create --email ops@example.com --name \"Ops team\"
  MASTER=$(keyward admins create --email ci@example.com --name CI --quiet)")]
    Create {
        /// The admin's email address (unique)
        #[arg(long)]
        email: String,
        /// The admin's display name
        #[arg(long)]
        name: String,
    },

    /// Remove an admin and their master and personal tokens
    #[command(after_help = "\
The last admin cannot be removed. Asks for confirmation on a terminal;
elsewhere --yes is required.

Examples:
  keyward admins delete adm_3k9...
  keyward admins delete adm_3k9... --yes")]
    Delete {
        /// The admin's id (`admins list` shows it)
        #[arg(value_parser = parse_id)]
        id: String,
        /// Do not ask for confirmation
        #[arg(short, long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum InvitationsCommand {
    /// Email someone an invitation to receive a token
    #[command(after_help = "\
Examples:
  keyward invitations send tok_8f3k2... --email dev@example.com
  keyward invitations send tok_8f3k2... --email dev@example.com --message \"For the EU pipeline\" --expires-in 3d")]
    Send {
        /// The id of the token the invitation hands over
        #[arg(value_parser = parse_id)]
        token_id: String,
        /// Who to invite
        #[arg(long)]
        email: String,
        /// A note shown on the welcome page
        #[arg(long)]
        message: Option<String>,
        /// How long the invitation stays open (e.g. 7d)
        #[arg(long, value_name = "DURATION")]
        expires_in: Option<DurationArg>,
    },

    /// List invitations: pending, accepted, expired, revoked
    #[command(
        after_help = "Examples:\n  keyward invitations list\n  keyward invitations list --token-id tok_8f3k2... --json"
    )]
    List {
        /// Only invitations for this token
        #[arg(long, value_name = "ID")]
        token_id: Option<String>,
    },

    /// Send a failed or pending invitation's email again
    #[command(after_help = "Example:\n  keyward invitations resend inv_2m...")]
    Resend {
        /// The invitation's id
        #[arg(value_parser = parse_id)]
        id: String,
    },

    /// Revoke a pending invitation
    #[command(after_help = "Example:\n  keyward invitations revoke inv_2m...")]
    Revoke {
        /// The invitation's id
        #[arg(value_parser = parse_id)]
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PersonasCommand {
    /// List personas and how many tokens link each
    #[command(after_help = "Example:\n  keyward personas list")]
    List,
    /// Create a persona
    #[command(
        after_help = "Example:\n  keyward personas create \"Finance readers\" -g storage:read@finance"
    )]
    Create {
        /// A unique name
        name: String,
        /// What the persona is for
        #[arg(long)]
        description: Option<String>,
        /// A grant, service:permission[@resource]; repeat for more
        #[arg(short, long = "grant", value_name = "GRANT")]
        grants: Vec<GrantArg>,
    },
    /// Change a persona; every token linking it changes at once
    #[command(after_help = "Example:\n  keyward personas update per_4k2... -g 'storage:read@*'")]
    Update {
        /// The persona's id
        #[arg(value_parser = parse_id)]
        id: String,
        /// A new name
        #[arg(long)]
        name: Option<String>,
        /// A new description
        #[arg(long)]
        description: Option<String>,
        /// The complete new grant set (repeat)
        #[arg(
            short,
            long = "grant",
            value_name = "GRANT",
            conflicts_with = "clear_grants"
        )]
        grants: Vec<GrantArg>,
        /// Remove every grant
        #[arg(long)]
        clear_grants: bool,
        /// Preview: list the tokens that would gain or lose permissions (and the gateway routes that flip); change nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Delete a persona; with --unlink also when tokens still link it
    #[command(after_help = "Example:\n  keyward personas delete per_4k2... --unlink --yes")]
    Delete {
        /// The persona's id
        #[arg(value_parser = parse_id)]
        id: String,
        /// Unlink it from every token that links it
        #[arg(long)]
        unlink: bool,
        /// Do not ask for confirmation
        #[arg(short, long)]
        yes: bool,
        /// Preview: list the tokens that would gain or lose permissions (and the gateway routes that flip); change nothing
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum MembersCommand {
    /// List members
    #[command(after_help = "Example:\n  keyward members list")]
    List,
    /// Invite a member by email; accepting gives them their user token
    #[command(
        after_help = "Example:\n  keyward members invite --email dana@example.com --name Dana -g 'storage:read@*'"
    )]
    Invite {
        /// Their email address (unique)
        #[arg(long)]
        email: String,
        /// Their display name
        #[arg(long)]
        name: String,
        /// A grant; repeat for more
        #[arg(short, long = "grant", value_name = "GRANT")]
        grants: Vec<GrantArg>,
        /// A persona to link (its id); repeat for more
        #[arg(long = "persona", value_name = "PERSONA_ID")]
        personas: Vec<String>,
        /// Their project (default: default)
        #[arg(long)]
        project: Option<String>,
        /// A note shown in the email and on the welcome page
        #[arg(long)]
        message: Option<String>,
    },
    /// Change a member's name, grants or personas; their keys follow at once
    #[command(
        after_help = "Example:\n  keyward members update mem_3k... -g 'storage:read@*' --persona per_4k2..."
    )]
    Update {
        /// The member's id
        #[arg(value_parser = parse_id)]
        id: String,
        /// A new name
        #[arg(long)]
        name: Option<String>,
        /// The complete new grant set (repeat)
        #[arg(
            short,
            long = "grant",
            value_name = "GRANT",
            conflicts_with = "clear_grants"
        )]
        grants: Vec<GrantArg>,
        /// Remove every grant
        #[arg(long)]
        clear_grants: bool,
        /// The complete set of linked personas (repeat)
        #[arg(
            long = "persona",
            value_name = "PERSONA_ID",
            conflicts_with = "clear_personas"
        )]
        personas: Vec<String>,
        /// Unlink every persona
        #[arg(long)]
        clear_personas: bool,
        /// Preview: list the tokens that would gain or lose permissions (and the gateway routes that flip); change nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Remove a member, their user token and their personal keys
    #[command(after_help = "Example:\n  keyward members delete mem_3k... --yes")]
    Delete {
        /// The member's id
        #[arg(value_parser = parse_id)]
        id: String,
        /// Do not ask for confirmation
        #[arg(short, long)]
        yes: bool,
        /// Preview: list the tokens that would gain or lose permissions (and the gateway routes that flip); change nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// A member's personal keys: only the member creates them
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List a member's personal keys (admins, or the member)
    #[command(after_help = "Example:\n  keyward members keys list mem_3k...")]
    List {
        /// The member's id
        #[arg(value_parser = parse_id)]
        member: String,
    },
    /// Create a personal key, signed in as the member; the secret is printed once
    #[command(
        after_help = "Example:\n  KEY=$(keyward members keys create mem_3k... laptop --expires-in 90d --quiet)"
    )]
    Create {
        /// The member's id (your own)
        #[arg(value_parser = parse_id)]
        member: String,
        /// A name for the key
        name: String,
        /// Expire after this long (e.g. 90d)
        #[arg(long, value_name = "DURATION")]
        expires_in: Option<DurationArg>,
    },
    /// Delete a personal key (admins, or the member)
    #[command(after_help = "Example:\n  keyward members keys delete mem_3k... tok_8f3k2... --yes")]
    Delete {
        /// The member's id
        #[arg(value_parser = parse_id)]
        member: String,
        /// The key's token id
        #[arg(value_parser = parse_id)]
        key: String,
        /// Do not ask for confirmation
        #[arg(short, long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProjectsCommand {
    /// The projects you can reach
    #[command(after_help = "Example:\n  keyward projects list")]
    List,
    /// Create a project (admins)
    #[command(after_help = "Example:\n  keyward projects create beta --name \"Project Beta\"")]
    Create {
        /// The project id: lowercase letters, digits and '-'
        id: String,
        /// A display name
        #[arg(long)]
        name: String,
        /// What the project is for
        #[arg(long)]
        description: Option<String>,
        /// The longest its tokens may live: a number and s, m, h or d (e.g. 90d)
        #[arg(long, value_name = "DURATION")]
        max_lifetime: Option<DurationArg>,
        /// Every token of the project must expire
        #[arg(long)]
        require_expiry: bool,
    },
    /// Edit a project's name, description or expiry policy (admins)
    #[command(
        after_help = "Example:\n  keyward projects update default --max-lifetime 90d --require-expiry"
    )]
    Update {
        /// The project id
        id: String,
        /// A new display name
        #[arg(long)]
        name: Option<String>,
        /// A new description
        #[arg(long)]
        description: Option<String>,
        /// The longest its tokens may live from now on (e.g. 90d); sets the whole policy
        #[arg(long, value_name = "DURATION", conflicts_with = "no_max_lifetime")]
        max_lifetime: Option<DurationArg>,
        /// No cap beyond the deployment's; sets the whole policy
        #[arg(long)]
        no_max_lifetime: bool,
        /// With a policy option: every token must expire
        #[arg(long)]
        require_expiry: bool,
        /// What a leaked secret's token gets: disable (the default) or revoke
        #[arg(long, value_parser = ["disable", "revoke"])]
        leak_response: Option<String>,
        /// Elevations of the project's tokens wait for a second admin's approval
        #[arg(long, conflicts_with = "no_elevation_approval")]
        elevation_approval: bool,
        /// Elevations start at once (the default)
        #[arg(long)]
        no_elevation_approval: bool,
        /// Preview: list the project's tokens whose expiry the new policy would not admit (they keep it); change nothing
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only entries by this client id
    #[arg(long)]
    pub actor: Option<String>,
    /// Only entries with this action (e.g. token.create, token.delete, admin.create)
    #[arg(long)]
    pub action: Option<String>,
    /// Only entries about this target (e.g. a token id)
    #[arg(long)]
    pub target: Option<String>,
    /// How many entries (1-100; the API's default is 20)
    #[arg(long, value_parser = parse_limit)]
    pub limit: Option<u32>,
    /// How many entries to skip
    #[arg(long)]
    pub offset: Option<u64>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The key to check, or '-' to read it from stdin (keeps it out of `ps`)
    pub key: String,
    /// A grant the key must hold, service:permission[@resource]; repeat for more
    #[arg(short, long = "require", value_name = "GRANT")]
    pub require: Vec<GrantArg>,
    /// A grant of which at least one must hold (besides every --require);
    /// repeat for the alternatives
    #[arg(long = "any", value_name = "GRANT")]
    pub any: Vec<GrantArg>,
    /// The project the grants must hold in (default: the key's own)
    #[arg(long, value_name = "PROJECT")]
    pub project: Option<String>,
    /// The address the key was presented from (checked against its allowed networks)
    #[arg(long, value_name = "IP")]
    pub ip: Option<String>,
    /// Only look: spend nothing of the key's rate and usage limits (a
    /// verification is otherwise a use of the key)
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The token's id
    #[arg(value_parser = parse_id)]
    pub id: String,
    /// The service (see `keyward catalog`)
    #[arg(required_unless_present = "routes")]
    pub service: Option<String>,
    /// The permission
    #[arg(required_unless_present = "routes")]
    pub permission: Option<String>,
    /// The resource (an id, or '*' for every resource of its type)
    #[arg(long, value_name = "RESOURCE")]
    pub resource: Option<String>,
    /// The project the call would act in (default: the token's own)
    #[arg(long, value_name = "PROJECT", value_parser = parse_project)]
    pub project: Option<String>,
    /// Ask about the secret with this hint (as `keyward tokens get` shows it, e.g. kw_s_…Ab3x or kw_s_...Ab3x): a secret a refresh replaced works until its overlap ends, and never changes tokens
    #[arg(long, value_name = "HINT", value_parser = parse_secret_hint, conflicts_with = "routes")]
    pub secret_hint: Option<String>,
    /// List the gateway routes the token can call instead
    #[arg(long, conflicts_with_all = ["service", "permission", "resource"])]
    pub routes: bool,
}

#[derive(Debug, Subcommand)]
pub enum ElevationsCommand {
    /// Raise a project token's grants (or add a persona's) until an instant
    Add {
        /// The token's id
        #[arg(value_parser = parse_id)]
        id: String,
        /// A grant to add, service:permission[@resource]; repeat for more
        #[arg(
            short,
            long = "grant",
            value_name = "GRANT",
            required_unless_present = "persona"
        )]
        grants: Vec<GrantArg>,
        /// Add the grants this persona has now (its id) instead
        #[arg(long, value_name = "PERSONA_ID", conflicts_with = "grants")]
        persona: Option<String>,
        /// End after this long: a number and s, m, h or d (e.g. 4h)
        #[arg(
            long = "for",
            value_name = "DURATION",
            required_unless_present = "until",
            conflicts_with = "until"
        )]
        lasting: Option<DurationArg>,
        /// End at this RFC 3339 instant
        #[arg(long, value_name = "INSTANT")]
        until: Option<InstantArg>,
        /// Why: the audit log and the approver read it
        #[arg(long)]
        reason: String,
    },
    /// The token's running and pending elevations
    List {
        /// The token's id
        #[arg(value_parser = parse_id)]
        id: String,
    },
    /// Approve a pending elevation (an admin other than its requester)
    Approve {
        /// The token's id
        #[arg(value_parser = parse_id)]
        id: String,
        /// The elevation's id
        #[arg(value_parser = parse_id)]
        elevation: String,
    },
    /// End an elevation now (or withdraw a pending one)
    End {
        /// The token's id
        #[arg(value_parser = parse_id)]
        id: String,
        /// The elevation's id
        #[arg(value_parser = parse_id)]
        elevation: String,
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Args)]
pub struct UsageArgs {
    /// The token's id
    #[arg(value_parser = parse_id)]
    pub id: String,
    /// The window in days, 1 to 365
    #[arg(long, default_value = "30", value_parser = parse_days)]
    pub days: keyward_domain::usage::Days,
    /// Narrow the token's own grants to the proposal shown (audited as token.narrow)
    #[arg(long)]
    pub apply: bool,
    /// With --apply: do not ask (required when stdin is not a terminal)
    #[arg(long, requires = "apply")]
    pub yes: bool,
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
