//! Questions about a deployment: the audit log, whether a key is valid,
//! why a token may or may not do something, and usage.

use crate::args::{parse_limit, GrantArg};
use clap::Args;

use super::{parse_days, parse_id, parse_project, parse_secret_hint};

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
