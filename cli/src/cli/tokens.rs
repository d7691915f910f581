//! Tokens: list, get, create, update, refresh, recover, delete; and
//! their elevations (grants for a while, approved by another admin).

use crate::args::{
    parse_limit, DurationArg, GrantArg, InstantArg, KindArg, MetaArg, ProjectGrantArg, SortArg,
};
use clap::{Args, Subcommand};

use super::parse_id;

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
