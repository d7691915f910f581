//! The registry's protocol: the commands the front sends it, who acts,
//! and what the commands carry.

use super::directory;
use keyward_domain::api::{Admin, Invitation, InvitationWelcome, Token};
use keyward_domain::caller::Caller;
use keyward_domain::policy;
use keyward_domain::query::TokenQuery;
use keyward_domain::{Access, Grant, TokenKind};
use serde::{Deserialize, Serialize};

pub use keyward_domain::token_input::{NewToken, TokenChanges};

/// Who is acting: the caller the edge authenticated — its KV record, the
/// domain's one [`Caller`] — at the instant it did, and, once the registry
/// traced it ([`super::RegistryObject::traced`]), the person it acts for.
/// Everything the registry asks of it is derived from the record here.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Actor {
    pub caller: Caller,
    /// Unix seconds: when the edge authenticated the call.
    pub at: i64,
    #[serde(default)]
    pub person: Option<String>,
    /// The id of the call that asked, for the audit entries it causes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The session the call came with, when a person signed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionMark>,
}

/// A call that came with a session: whose, and how it was opened.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionMark {
    pub id: String,
    /// `admin:<id>` or `member:<id>`.
    pub person: String,
    pub method: keyward_domain::api::SignInMethod,
}

impl Actor {
    pub fn token_id(&self) -> &str {
        &self.caller.token.id
    }

    /// Who the audit log and `created_by` name: the token, or a personal
    /// key's user.
    pub fn client_id(&self) -> String {
        self.caller.audit_identity().0
    }

    /// The personal key a member acts through, or the kind of session.
    pub fn via(&self) -> Option<String> {
        match &self.session {
            Some(s) => Some(s.method.audit_via().to_string()),
            None => self.caller.audit_identity().1,
        }
    }

    /// An admin: a master token or a global admin key.
    pub fn is_master(&self) -> bool {
        self.access().is_admin()
    }

    pub fn kind(&self) -> TokenKind {
        self.caller.token.kind
    }

    pub fn member_id(&self) -> Option<&str> {
        self.caller.token.member_id.as_deref()
    }

    pub fn access(&self) -> Access {
        self.caller.access(self.at)
    }

    /// The actor as the policy sees it.
    pub fn policy(&self) -> policy::Actor {
        let person = self
            .person
            .clone()
            .unwrap_or_else(|| format!("client:{}", self.client_id()));
        self.caller.actor(self.at, person)
    }
}

/// What the registry learns of a new secret: never the secret itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewSecret {
    pub hash: String,
    pub hint: String,
}

impl NewSecret {
    pub fn of(secret: &keyward_domain::Secret) -> NewSecret {
        NewSecret {
            hash: secret.hash().0,
            hint: secret.hint(),
        }
    }
}

/// A reported secret, by hash (`None`: not a Keyward secret at all).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeakSighting {
    pub hash: Option<String>,
    pub url: Option<String>,
}

/// What the registry did with a report: an action per sighting, in order,
/// and what to tell the admins.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeakFound {
    pub actions: Vec<keyward_domain::leak::LeakAction>,
    pub notices: Vec<LeakNotice>,
    pub admins: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeakNotice {
    pub token_id: String,
    pub name: String,
    /// What recovers it: a master token is recovered by another admin.
    pub kind: TokenKind,
    pub project: Option<String>,
    pub action: keyward_domain::leak::LeakAction,
    pub url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Command {
    /// `command`, only if `target` is at a version `if_match` names.
    IfMatch {
        actor: Actor,
        target: super::Versioned,
        if_match: keyward_domain::version::IfMatch,
        command: Box<Command>,
    },
    Bootstrap {
        secret: NewSecret,
    },
    CreateToken {
        actor: Actor,
        new: NewToken,
        secret: NewSecret,
    },
    GetToken {
        /// Who asks: tokens in projects it cannot reach do not exist for it.
        #[serde(default)]
        actor: Option<Actor>,
        id: String,
    },
    ListTokens {
        #[serde(default)]
        actor: Option<Actor>,
        query: TokenQuery,
    },
    /// A token's grants with where each comes from (explain, usage), for
    /// an actor who may see it.
    TokenHoldings {
        actor: Actor,
        id: String,
    },
    /// The token's own grants narrowed to a usage proposal (`detail`
    /// says what was used), audited as `token.narrow`.
    NarrowToken {
        actor: Actor,
        id: String,
        grants: Vec<Grant>,
        detail: String,
    },
    UpdateToken {
        actor: Actor,
        id: String,
        changes: TokenChanges,
    },
    /// A time-boxed elevation (`token.elevate`).
    Elevate {
        actor: Actor,
        id: String,
        grants: Vec<Grant>,
        persona: Option<String>,
        until: i64,
        reason: String,
    },
    ApproveElevation {
        actor: Actor,
        id: String,
        elevation: String,
    },
    EndElevation {
        actor: Actor,
        id: String,
        elevation: String,
    },
    /// Personas, members, personal keys and projects.
    Directory(directory::DirectoryCommand),
    /// Passkeys, sessions, enrolment links and device codes.
    SignIn(super::signins::SignInCommand),
    /// The answers kept for `Idempotency-Key`s.
    Idempotency(super::IdempotencyCommand),
    DeleteToken {
        actor: Actor,
        id: String,
    },
    RefreshToken {
        actor: Actor,
        id: String,
        overlap_seconds: u64,
        secret: NewSecret,
    },
    /// Another admin recovers a master token: a new secret for its admin.
    RotateMaster {
        actor: Actor,
        id: String,
        secret: NewSecret,
    },
    /// The operator's recovery of an admin's master token (the Cron
    /// Trigger carries out what the operator wrote to KV).
    OperatorRecover {
        email: String,
        secret: NewSecret,
    },
    /// The Cron Trigger's sweep: expired tokens and finished overlaps.
    Sweep,
    /// Secrets a scanning partner found in public (`POST /leaks`).
    ReportLeaks {
        sightings: Vec<LeakSighting>,
    },
    /// Tokens used (token id, unix seconds of the last use), one command
    /// per audit batch.
    Touch {
        used: Vec<(String, i64)>,
    },
    ListAdmins,
    CreateAdmin {
        actor: Actor,
        email: String,
        name: String,
        secret: NewSecret,
    },
    DeleteAdmin {
        actor: Actor,
        id: String,
    },
    CreateBucket {
        actor: Actor,
        #[serde(default)]
        project: Option<String>,
        id: String,
        description: String,
    },
    CreateInvitation {
        actor: Actor,
        token_id: String,
        email: String,
        message: String,
        expires_at: i64,
        code_hash: String,
    },
    /// Records the outcome of sending the email: usable only once sent.
    InvitationSent {
        id: String,
        error: Option<String>,
    },
    ReissueInvitation {
        actor: Actor,
        id: String,
        code_hash: String,
    },
    RevokeInvitation {
        actor: Actor,
        id: String,
    },
    ListInvitations {
        /// Who asks: invitations for tokens it may not see are not listed.
        reader: Actor,
        token_id: Option<String>,
    },
    OpenInvitation {
        code_hash: String,
    },
    AcceptInvitation {
        code_hash: String,
        secret: NewSecret,
    },
}

/// An invitation ready to be emailed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InvitationDraft {
    pub invitation: Invitation,
    pub welcome: InvitationWelcome,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdminWithToken {
    pub admin: Admin,
    pub master_token: Token,
}
