//! The registry's directory: personas (Atlan), members and their personal
//! keys (Dataiku), and projects. Every change that alters what a token
//! holds rewrites that token's KV records before it is answered, so the
//! edge sees it at once in the same location.

use super::fault::{Fault, RegResult};
use super::rows::{select, to_json, MemberRow, ProjectRow};
use super::{Actor, InvitationDraft, NewSecret, RegistryObject, NO_ARGS};
use crate::authority::TokenRow;
use keyward_domain::api::Member;
use keyward_domain::contract::Endpoint;
use keyward_domain::Grant;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "dir_op", rename_all = "snake_case")]
pub enum DirectoryCommand {
    ListPersonas {
        /// Only the personas this token holds through (its own, or its
        /// user's for a personal key); `None`: all.
        #[serde(default)]
        linked_to: Option<String>,
    },
    GetPersona {
        id: String,
    },
    CreatePersona {
        actor: Actor,
        name: String,
        description: String,
        grants: Vec<Grant>,
    },
    UpdatePersona {
        actor: Actor,
        id: String,
        name: Option<String>,
        description: Option<String>,
        grants: Option<Vec<Grant>>,
        /// Preview only (`?dry_run=true`): answer the blast radius and
        /// change nothing.
        #[serde(default)]
        dry_run: bool,
    },
    DeletePersona {
        actor: Actor,
        id: String,
        unlink: bool,
        /// Preview only (`?dry_run=true`): answer the blast radius and
        /// change nothing.
        #[serde(default)]
        dry_run: bool,
    },
    ListMembers,
    GetMember {
        actor: Actor,
        id: String,
    },
    CreateMember {
        actor: Actor,
        member: NewMember,
        message: String,
        invitation_expires_at: i64,
        code_hash: String,
        /// The user token's first secret, which nobody ever sees: accepting
        /// the invitation replaces it.
        secret: NewSecret,
    },
    UpdateMember {
        actor: Actor,
        id: String,
        name: Option<String>,
        grants: Option<Vec<Grant>>,
        personas: Option<Vec<String>>,
        /// Preview only (`?dry_run=true`): answer the blast radius and
        /// change nothing.
        #[serde(default)]
        dry_run: bool,
    },
    DeleteMember {
        actor: Actor,
        id: String,
        /// Preview only (`?dry_run=true`): answer the blast radius and
        /// change nothing.
        #[serde(default)]
        dry_run: bool,
    },
    ListPersonalKeys {
        actor: Actor,
        member_id: String,
    },
    /// One of the member's personal keys, audited as `personal_key.delete`.
    DeletePersonalKey {
        actor: Actor,
        member_id: String,
        key_id: String,
    },
    CreatePersonalKey {
        actor: Actor,
        member_id: String,
        name: String,
        description: String,
        expires_at: Option<i64>,
        secret: NewSecret,
    },
    ListProjects {
        actor: Actor,
    },
    CreateProject {
        actor: Actor,
        id: String,
        name: String,
        description: String,
        #[serde(default)]
        expiry_policy: keyward_domain::api::ExpiryPolicy,
    },
    UpdateProject {
        actor: Actor,
        id: String,
        changes: ProjectChanges,
        /// Preview only (`?dry_run=true`): answer the blast radius and
        /// change nothing.
        #[serde(default)]
        dry_run: bool,
    },
}

/// Changes to a project; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProjectChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub expiry_policy: Option<keyward_domain::api::ExpiryPolicy>,
    pub leak_response: Option<keyward_domain::api::LeakResponse>,
    #[serde(default)]
    pub elevation_approval: Option<bool>,
}

/// A member to invite, as validated by the front.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewMember {
    pub email: String,
    pub name: String,
    pub grants: Vec<Grant>,
    pub personas: Vec<String>,
    /// `None`: the default project.
    pub project: Option<String>,
}

/// A new member: the record, and the invitation to deliver.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MemberDraft {
    pub member: Member,
    pub draft: InvitationDraft,
}

pub(super) fn admins_only(actor: &Actor, what: &str) -> RegResult<()> {
    Ok(keyward_domain::policy::may_administer(
        &actor.policy(),
        what,
    )?)
}

impl RegistryObject {
    pub(super) async fn directory(&self, cmd: DirectoryCommand, now: i64) -> RegResult<String> {
        use DirectoryCommand::*;
        match cmd {
            ListPersonas { linked_to } => {
                let mut items = self.personas()?;
                if let Some(token_id) = linked_to {
                    let linked = self.personas_behind(&token_id)?;
                    items.retain(|p| linked.contains(&p.id));
                }
                to_json(&keyward_domain::api::PersonaList { items })
            }
            GetPersona { id } => to_json(&self.persona_view(&self.persona_row(&id)?)?),
            CreatePersona {
                actor,
                name,
                description,
                grants,
            } => to_json(&self.create_persona(&actor, name, description, grants, now)?),
            UpdatePersona {
                actor,
                id,
                name,
                description,
                grants,
                dry_run,
            } => self
                .update_persona(&actor, &id, name, description, grants, dry_run, now)
                .await?
                .to_json(),
            DeletePersona {
                actor,
                id,
                unlink,
                dry_run,
            } => self
                .delete_persona(&actor, &id, unlink, dry_run, now)
                .await?
                .to_json(),
            ListMembers => to_json(&keyward_domain::api::MemberList {
                items: select::<MemberRow>(
                    &self.sql(),
                    "SELECT * FROM members ORDER BY created_at, id",
                    NO_ARGS,
                )?
                .iter()
                .map(|m| self.member_view(m))
                .collect::<RegResult<_>>()?,
            }),
            GetMember { actor, id } => {
                self.check_member_or_admin(&actor, &id)?;
                to_json(&self.member_view(&self.member_row(&id)?)?)
            }
            CreateMember {
                actor,
                member,
                message,
                invitation_expires_at,
                code_hash,
                secret,
            } => {
                admins_only(&actor, "inviting members")?;
                let member = self.create_member(&actor, member, secret, now).await?;
                let draft = self.create_invitation(
                    &actor,
                    &member.user_token_id,
                    member.email.clone(),
                    message,
                    invitation_expires_at,
                    code_hash,
                    now,
                )?;
                to_json(&MemberDraft { member, draft })
            }
            UpdateMember {
                actor,
                id,
                name,
                grants,
                personas,
                dry_run,
            } => self
                .update_member(&actor, &id, name, grants, personas, dry_run, now)
                .await?
                .to_json(),
            DeleteMember { actor, id, dry_run } => self
                .delete_member(&actor, &id, dry_run, now)
                .await?
                .to_json(),
            ListPersonalKeys { actor, member_id } => {
                self.check_member_or_admin(&actor, &member_id)?;
                self.member_row(&member_id)?;
                to_json(&keyward_domain::api::TokenList {
                    items: self
                        .personal_keys(&member_id, now)?
                        .iter()
                        .map(TokenRow::view)
                        .collect(),
                })
            }
            DeletePersonalKey {
                actor,
                member_id,
                key_id,
            } => {
                self.check_member_or_admin(&actor, &member_id)?;
                self.member_row(&member_id)?;
                if !self
                    .personal_keys(&member_id, now)?
                    .iter()
                    .any(|k| k.id == key_id)
                {
                    return Err(Fault::not_found("personal key"));
                }
                let deleted = Endpoint::DeletePersonalKey;
                self.delete_token(&actor, &key_id, deleted, now).await?;
                to_json(&serde_json::Value::Null)
            }
            CreatePersonalKey {
                actor,
                member_id,
                name,
                description,
                expires_at,
                secret,
            } => to_json(
                &self
                    .create_personal_key(
                        &actor,
                        &member_id,
                        name,
                        description,
                        expires_at,
                        secret,
                        now,
                    )
                    .await?,
            ),
            ListProjects { actor } => to_json(&keyward_domain::api::ProjectList {
                items: select::<ProjectRow>(
                    &self.sql(),
                    "SELECT * FROM projects ORDER BY id",
                    NO_ARGS,
                )?
                .iter()
                .filter(|p| actor.access().reaches(&p.id))
                .map(ProjectRow::view)
                .collect(),
            }),
            CreateProject {
                actor,
                id,
                name,
                description,
                expiry_policy,
            } => {
                to_json(&self.create_project(&actor, id, name, description, expiry_policy, now)?)
            }
            UpdateProject {
                actor,
                id,
                changes,
                dry_run,
            } => self
                .update_project(&actor, &id, changes, dry_run, now)?
                .to_json(),
        }
    }
}
