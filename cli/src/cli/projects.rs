//! Projects: list, create, update.

use crate::args::DurationArg;
use clap::Subcommand;

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
