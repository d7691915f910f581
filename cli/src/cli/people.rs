//! People: admins, invitations, members and their personal keys, and
//! the personas whose grants members inherit.

use crate::args::{DurationArg, GrantArg};
use clap::Subcommand;

use super::parse_id;

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
