//! The registry's directory: personas (Atlan), members and their personal
//! keys (Dataiku), and projects. Every change that alters what a token
//! holds rewrites that token's KV records before it is answered, so the
//! edge sees it at once in the same location.

use super::rows::{i, s, to_json, MemberRow, PersonaRow, ProjectRow};
use super::{Actor, InvitationDraft, NewSecret, RegistryObject, NO_ARGS};
use crate::authority::{self, ts, TokenRow};
use crate::http::{ApiError, ApiResult};
use crate::store;
use keyward_domain::api::{Member, MemberStatus, Outcome, Persona, Project, Token};
use keyward_domain::{ErrorCode, Grant, TokenKind};
use serde::de::DeserializeOwned;
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
    },
    DeletePersona {
        actor: Actor,
        id: String,
        unlink: bool,
    },
    ListMembers,
    GetMember {
        actor: Actor,
        id: String,
    },
    CreateMember {
        actor: Actor,
        email: String,
        name: String,
        grants: Vec<Grant>,
        personas: Vec<String>,
        project: Option<String>,
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
    },
    DeleteMember {
        actor: Actor,
        id: String,
    },
    ListPersonalKeys {
        actor: Actor,
        member_id: String,
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
    },
}

/// A new member: the record, and the invitation to deliver.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MemberDraft {
    pub member: Member,
    pub draft: InvitationDraft,
}

fn admins_only(actor: &Actor, what: &str) -> ApiResult<()> {
    Ok(keyward_domain::policy::may_administer(
        &actor.policy(),
        what,
    )?)
}

fn json_list<T: DeserializeOwned>(raw: &str) -> ApiResult<Vec<T>> {
    serde_json::from_str(raw).map_err(ApiError::unavailable)
}

/// `LIKE` pattern for an id inside a JSON list column.
fn in_list(id: &str) -> String {
    format!("%\"{id}\"%")
}

impl RegistryObject {
    pub(super) async fn directory(&self, cmd: DirectoryCommand, now: i64) -> ApiResult<String> {
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
            } => to_json(
                &self
                    .update_persona(&actor, &id, name, description, grants, now)
                    .await?,
            ),
            DeletePersona { actor, id, unlink } => {
                self.delete_persona(&actor, &id, unlink, now).await?;
                to_json(&serde_json::Value::Null)
            }
            ListMembers => to_json(&keyward_domain::api::MemberList {
                items: self
                    .sql()
                    .exec("SELECT * FROM members ORDER BY created_at, id", NO_ARGS)?
                    .to_array::<MemberRow>()?
                    .iter()
                    .map(|m| self.member_view(m))
                    .collect::<ApiResult<_>>()?,
            }),
            GetMember { actor, id } => {
                self.check_member_or_admin(&actor, &id)?;
                to_json(&self.member_view(&self.member_row(&id)?)?)
            }
            CreateMember {
                actor,
                email,
                name,
                grants,
                personas,
                project,
                message,
                invitation_expires_at,
                code_hash,
                secret,
            } => {
                admins_only(&actor, "inviting members")?;
                let member = self
                    .create_member(&actor, email, name, grants, personas, project, secret, now)
                    .await?;
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
            } => to_json(
                &self
                    .update_member(&actor, &id, name, grants, personas, now)
                    .await?,
            ),
            DeleteMember { actor, id } => {
                self.delete_member(&actor, &id, now).await?;
                to_json(&serde_json::Value::Null)
            }
            ListPersonalKeys { actor, member_id } => {
                self.check_member_or_admin(&actor, &member_id)?;
                self.member_row(&member_id)?;
                to_json(&keyward_domain::api::TokenList {
                    items: self
                        .personal_keys(&member_id, now)?
                        .iter()
                        .map(TokenRow::view)
                        .collect::<ApiResult<_>>()?,
                })
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
                items: self
                    .sql()
                    .exec("SELECT * FROM projects ORDER BY id", NO_ARGS)?
                    .to_array::<ProjectRow>()?
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
            } => to_json(&self.create_project(&actor, id, name, description, now)?),
        }
    }

    // ---- personas -------------------------------------------------------

    fn personas(&self) -> ApiResult<Vec<Persona>> {
        self.sql()
            .exec("SELECT * FROM personas ORDER BY name", NO_ARGS)?
            .to_array::<PersonaRow>()?
            .iter()
            .map(|p| self.persona_view(p))
            .collect()
    }

    /// The personas a token holds through: its own, or its user's.
    fn personas_behind(&self, token_id: &str) -> ApiResult<Vec<String>> {
        let row = self.token_row(token_id)?;
        match (&row.member_id, row.kind.as_str()) {
            (Some(member), "personal") => self.user_token_of(member)?.persona_ids(),
            _ => row.persona_ids(),
        }
    }

    fn persona_row(&self, id: &str) -> ApiResult<PersonaRow> {
        self.sql()
            .exec("SELECT * FROM personas WHERE id = ?", vec![s(id)])?
            .to_array::<PersonaRow>()?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::not_found("persona"))
    }

    fn persona_view(&self, row: &PersonaRow) -> ApiResult<Persona> {
        Ok(Persona {
            id: row.id.clone(),
            name: row.name.clone(),
            description: row.description.clone(),
            grants: json_list(&row.grants)?,
            created_by: row.created_by.clone(),
            created_at: ts(row.created_at),
            updated_at: ts(row.updated_at),
            linked_tokens: self.linking(&row.id)?.len() as u64,
        })
    }

    /// Every token that links the persona.
    fn linking(&self, persona_id: &str) -> ApiResult<Vec<TokenRow>> {
        Ok(self
            .sql()
            .exec(
                "SELECT * FROM tokens WHERE personas LIKE ?",
                vec![s(in_list(persona_id))],
            )?
            .to_array::<TokenRow>()?
            .into_iter()
            // LIKE is a pre-filter; the JSON list decides.
            .filter(|t| {
                t.persona_ids()
                    .map(|ids| ids.iter().any(|i| i == persona_id))
                    .unwrap_or(false)
            })
            .collect())
    }

    fn persona_name_taken(&self, name: &str, except: &str) -> ApiResult<bool> {
        Ok(self.count(
            "SELECT COUNT(*) AS n FROM personas WHERE name = ? AND id != ?",
            vec![s(name), s(except)],
        )? > 0)
    }

    fn create_persona(
        &self,
        actor: &Actor,
        name: String,
        description: String,
        grants: Vec<Grant>,
        now: i64,
    ) -> ApiResult<Persona> {
        admins_only(actor, "managing personas")?;
        if self.persona_name_taken(&name, "")? {
            return Err(ApiError::conflict(format!(
                "a persona named '{name}' already exists"
            )));
        }
        let row = PersonaRow {
            id: store::random_id("per_", 16),
            name,
            description,
            grants: to_json(&grants)?,
            created_by: actor.client_id.clone(),
            created_at: now,
            updated_at: now,
        };
        self.sql().exec(
            "INSERT INTO personas (id, name, description, grants, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            vec![s(&row.id), s(&row.name), s(&row.description), s(&row.grants), s(&row.created_by), i(now), i(now)],
        )?;
        self.audit_as(
            actor,
            "persona.create",
            &row.id,
            Outcome::Success,
            &format!("created persona '{}'", row.name),
            now,
        )?;
        self.persona_view(&row)
    }

    /// The tokens plus the personal keys of any user token among them.
    fn stale_with(&self, linked: &[TokenRow]) -> ApiResult<Vec<TokenRow>> {
        let mut stale = linked.to_vec();
        for row in linked {
            stale.extend(self.dependents(row)?);
        }
        Ok(stale)
    }

    async fn update_persona(
        &self,
        actor: &Actor,
        id: &str,
        name: Option<String>,
        description: Option<String>,
        grants: Option<Vec<Grant>>,
        now: i64,
    ) -> ApiResult<Persona> {
        admins_only(actor, "managing personas")?;
        let mut row = self.persona_row(id)?;
        let mut changed = vec![];
        if let Some(n) = name {
            if n != row.name && self.persona_name_taken(&n, id)? {
                return Err(ApiError::conflict(format!(
                    "a persona named '{n}' already exists"
                )));
            }
            row.name = n;
            changed.push("name");
        }
        if let Some(d) = description {
            row.description = d;
            changed.push("description");
        }
        if let Some(g) = grants {
            row.grants = to_json(&g)?;
            changed.push("grants");
        }
        row.updated_at = now;
        // Within this command, before the answer: the lock keeps any other
        // change out until every linked token holds the new grants.
        let linked = self.linking(id)?;
        let stale = self.stale_with(&linked)?;
        self.note_stale(&stale)?;
        self.sql().exec(
            "UPDATE personas SET name = ?, description = ?, grants = ?, updated_at = ? WHERE id = ?",
            vec![s(&row.name), s(&row.description), s(&row.grants), i(now), s(id)],
        )?;
        self.rewrite_stale(&stale, now).await?;
        let tokens = linked.len();
        self.audit_as(
            actor,
            "persona.update",
            id,
            Outcome::Success,
            &format!(
                "changed {}; {tokens} linked token(s) updated",
                changed.join(", ")
            ),
            now,
        )?;
        self.persona_view(&row)
    }

    async fn delete_persona(
        &self,
        actor: &Actor,
        id: &str,
        unlink: bool,
        now: i64,
    ) -> ApiResult<()> {
        admins_only(actor, "managing personas")?;
        let row = self.persona_row(id)?;
        let linked = self.linking(id)?;
        if !linked.is_empty() && !unlink {
            return Err(ApiError::new(
                ErrorCode::PersonaInUse,
                format!(
                    "{} token(s) link the persona '{}'; delete with ?unlink=true to unlink them too",
                    linked.len(),
                    row.name
                ),
            ));
        }
        // The tokens are noted stale first; then every registry change, in
        // one step; then their KV records.
        let stale = self.stale_with(&linked)?;
        self.note_stale(&stale)?;
        for token in &linked {
            let kept: Vec<String> = token
                .persona_ids()?
                .into_iter()
                .filter(|p| p != id)
                .collect();
            self.sql().exec(
                "UPDATE tokens SET personas = ?, updated_at = ? WHERE id = ?",
                vec![s(to_json(&kept)?), i(now), s(&token.id)],
            )?;
        }
        self.sql()
            .exec("DELETE FROM personas WHERE id = ?", vec![s(id)])?;
        self.rewrite_stale(&stale, now).await?;
        self.audit_as(
            actor,
            "persona.delete",
            id,
            Outcome::Success,
            &format!(
                "deleted persona '{}', unlinked from {} token(s)",
                row.name,
                linked.len()
            ),
            now,
        )
    }

    // ---- members and personal keys ---------------------------------------

    fn member_row(&self, id: &str) -> ApiResult<MemberRow> {
        self.sql()
            .exec("SELECT * FROM members WHERE id = ?", vec![s(id)])?
            .to_array::<MemberRow>()?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::not_found("member"))
    }

    fn user_token_of(&self, member_id: &str) -> ApiResult<TokenRow> {
        self.ledger()
            .user_token(member_id)?
            .ok_or_else(|| ApiError::unavailable("a member without a user token"))
    }

    fn personal_keys(&self, member_id: &str, now: i64) -> ApiResult<Vec<TokenRow>> {
        Ok(self
            .sql()
            .exec(
                "SELECT * FROM tokens WHERE member_id = ? AND kind = 'personal' AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at, id",
                vec![s(member_id), i(now)],
            )?
            .to_array::<TokenRow>()?)
    }

    fn member_view(&self, row: &MemberRow) -> ApiResult<Member> {
        let user = self.user_token_of(&row.id)?;
        let accepted = self.count(
            "SELECT COUNT(*) AS n FROM invitations WHERE token_id = ? AND status = 'accepted'",
            vec![s(&user.id)],
        )? > 0;
        Ok(Member {
            id: row.id.clone(),
            email: row.email.clone(),
            name: row.name.clone(),
            project: user.project().unwrap_or_default(),
            grants: user.grant_list()?,
            personas: user.persona_ids()?,
            user_token_id: user.id.clone(),
            status: if accepted {
                MemberStatus::Active
            } else {
                MemberStatus::Invited
            },
            created_by: row.created_by.clone(),
            created_at: ts(row.created_at),
            personal_keys: self.personal_keys(&row.id, self.now())?.len() as u64,
        })
    }

    /// Admins see every member; a member sees themself.
    fn check_member_or_admin(&self, actor: &Actor, member_id: &str) -> ApiResult<()> {
        if actor.is_master || actor.member_id.as_deref() == Some(member_id) {
            Ok(())
        } else if actor.member_id.is_some() {
            Err(ApiError::not_found("member"))
        } else {
            Err(keyward_domain::policy::Refusal::AdminOnly("managing members".into()).into())
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn create_member(
        &self,
        actor: &Actor,
        email: String,
        name: String,
        grants: Vec<Grant>,
        personas: Vec<String>,
        project: Option<String>,
        secret: NewSecret,
        now: i64,
    ) -> ApiResult<Member> {
        if self.count(
            "SELECT COUNT(*) AS n FROM members WHERE email = ?",
            vec![s(&email)],
        )? > 0
        {
            return Err(ApiError::conflict(format!(
                "a member with email {email} already exists"
            )));
        }
        let project = project.unwrap_or_else(|| keyward_domain::DEFAULT_PROJECT.to_string());
        self.require_project("project", &project)?;
        self.require_personas(&personas)?;
        let token_name = format!("User token of {email}");
        if self.name_taken(&token_name, Some(&project), None)? {
            return Err(ApiError::conflict(format!(
                "a token named '{token_name}' already exists"
            )));
        }
        let member = MemberRow {
            id: store::random_id("mem_", 16),
            email,
            name,
            created_by: actor.client_id.clone(),
            created_at: now,
        };
        let row = TokenRow {
            id: store::random_id("tok_", 20),
            client_id: store::random_id("cli_", 16),
            name: token_name,
            description: format!("{} signs in with this token", member.name),
            kind: TokenKind::User.as_str().into(),
            grants: to_json(&grants)?,
            created_by: actor.client_id.clone(),
            created_at: now,
            updated_at: now,
            secret_hash: secret.hash,
            secret_hint: secret.hint,
            personas: to_json(&personas)?,
            project: Some(project),
            project_grants: "{}".into(),
            member_id: Some(member.id.clone()),
            ..Default::default()
        };
        authority::create(&self.ledger(), &self.replica()?, &row, now).await?;
        self.sql().exec(
            "INSERT INTO members (id, email, name, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
            vec![
                s(&member.id),
                s(&member.email),
                s(&member.name),
                s(&member.created_by),
                i(now),
            ],
        )?;
        self.audit_as(
            actor,
            "member.create",
            &member.id,
            Outcome::Success,
            &format!("invited member {}", member.email),
            now,
        )?;
        self.member_view(&member)
    }

    async fn update_member(
        &self,
        actor: &Actor,
        id: &str,
        name: Option<String>,
        grants: Option<Vec<Grant>>,
        personas: Option<Vec<String>>,
        now: i64,
    ) -> ApiResult<Member> {
        admins_only(actor, "managing members")?;
        let mut member = self.member_row(id)?;
        let mut user = self.user_token_of(id)?;
        let mut changed = vec![];
        if let Some(n) = name {
            member.name = n;
            self.sql().exec(
                "UPDATE members SET name = ? WHERE id = ?",
                vec![s(&member.name), s(id)],
            )?;
            changed.push("name");
        }
        if let Some(g) = grants {
            user.grants = to_json(&g)?;
            changed.push("grants");
        }
        if let Some(p) = personas {
            self.require_personas(&p)?;
            user.personas = to_json(&p)?;
            changed.push("personas");
        }
        user.updated_at = now;
        // The user token and, through it, every personal key: a permission
        // taken from the user is gone from their keys before this answers.
        self.save_token(&user, now).await?;
        self.audit_as(
            actor,
            "member.update",
            id,
            Outcome::Success,
            &format!("changed {}", changed.join(", ")),
            now,
        )?;
        self.member_view(&member)
    }

    async fn delete_member(&self, actor: &Actor, id: &str, now: i64) -> ApiResult<()> {
        admins_only(actor, "managing members")?;
        let member = self.member_row(id)?;
        // Keys first, the user token last: a failure midway leaves the
        // member listed, so the delete can be retried.
        let keys = self
            .sql()
            .exec(
                "SELECT * FROM tokens WHERE member_id = ? ORDER BY kind = 'user'",
                vec![s(id)],
            )?
            .to_array::<TokenRow>()?;
        for key in &keys {
            self.remove_token(key).await?;
        }
        self.sql()
            .exec("DELETE FROM members WHERE id = ?", vec![s(id)])?;
        self.audit_as(
            actor,
            "member.delete",
            id,
            Outcome::Success,
            &format!(
                "removed member {} and {} token(s)",
                member.email,
                keys.len()
            ),
            now,
        )
    }

    /// Dataiku: personal keys "can only be created by the end user".
    #[allow(clippy::too_many_arguments)]
    async fn create_personal_key(
        &self,
        actor: &Actor,
        member_id: &str,
        name: String,
        description: String,
        expires_at: Option<i64>,
        secret: NewSecret,
        now: i64,
    ) -> ApiResult<Token> {
        keyward_domain::policy::may_change(&actor.policy())?;
        let is_user = actor.kind == TokenKind::User;
        if !(is_user && actor.member_id.as_deref() == Some(member_id)) {
            self.check_member_or_admin(actor, member_id)?;
            return Err(ApiError::new(
                ErrorCode::InsufficientPermission,
                "a personal key can be created only by its member, signed in with their user token",
            ));
        }
        let member = self.member_row(member_id)?;
        let user = self.user_token_of(member_id)?;
        self.purge_expired(now)?;
        // Token names are unique per project; two members may both call a
        // key "laptop".
        let full_name = format!("{} · {name}", member.email);
        if self.name_taken(&full_name, user.project().as_deref(), None)? {
            return Err(ApiError::conflict(format!(
                "you already have a personal key named '{name}'"
            )));
        }
        let row = TokenRow {
            id: store::random_id("tok_", 20),
            client_id: store::random_id("cli_", 16),
            name: full_name,
            description,
            kind: TokenKind::Personal.as_str().into(),
            grants: "[]".into(),
            created_by: user.client_id.clone(),
            created_at: now,
            updated_at: now,
            expires_at,
            secret_hash: secret.hash,
            secret_hint: secret.hint,
            personas: "[]".into(),
            project: user.project(),
            project_grants: "{}".into(),
            member_id: Some(member_id.to_string()),
            ..Default::default()
        };
        authority::create(&self.ledger(), &self.replica()?, &row, now).await?;
        self.audit_as(
            actor,
            "personal_key.create",
            &row.id,
            Outcome::Success,
            &format!("created personal key '{name}' ({})", row.client_id),
            now,
        )?;
        row.view()
    }

    // ---- projects ----------------------------------------------------------

    fn create_project(
        &self,
        actor: &Actor,
        id: String,
        name: String,
        description: String,
        now: i64,
    ) -> ApiResult<Project> {
        admins_only(actor, "creating projects")?;
        if self.count(
            "SELECT COUNT(*) AS n FROM projects WHERE id = ?",
            vec![s(&id)],
        )? > 0
        {
            return Err(ApiError::conflict(format!("project {id} already exists")));
        }
        let row = ProjectRow {
            id,
            name,
            description,
            created_by: actor.client_id.clone(),
            created_at: now,
        };
        self.sql().exec(
            "INSERT INTO projects (id, name, description, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
            vec![s(&row.id), s(&row.name), s(&row.description), s(&row.created_by), i(now)],
        )?;
        self.audit_as(
            actor,
            "project.create",
            &row.id,
            Outcome::Success,
            &format!("created project '{}'", row.name),
            now,
        )?;
        Ok(row.view())
    }
}
