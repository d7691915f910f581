//! The directory's members, their user tokens and their personal keys.

use super::audit::{Changed, Entry};
use super::blast::{Answer, Plan};
use super::directory::{admins_only, NewMember};
use super::fault::{Fault, RegResult};
use super::rows::{i, s, MemberRow, Typed};
use super::{Actor, NewSecret, RegistryObject};
use crate::authority::{self, ts, TokenRow};
use crate::store;
use keyward_domain::api::{Member, MemberStatus, Outcome, Token};
use keyward_domain::contract::Endpoint;
use keyward_domain::{Grant, RegistryError, TokenKind};

impl RegistryObject {
    pub(super) fn member_row(&self, id: &str) -> RegResult<MemberRow> {
        self.sql()
            .exec("SELECT * FROM members WHERE id = ?", vec![s(id)])?
            .rows::<MemberRow>()?
            .into_iter()
            .next()
            .ok_or_else(|| Fault::not_found("member"))
    }

    pub(super) fn user_token_of(&self, member_id: &str) -> RegResult<TokenRow> {
        self.ledger()
            .user_token(member_id)?
            .ok_or_else(|| Fault::unavailable("a member without a user token"))
    }

    pub(super) fn personal_keys(&self, member_id: &str, now: i64) -> RegResult<Vec<TokenRow>> {
        Ok(self
            .sql()
            .exec(
                "SELECT * FROM tokens WHERE member_id = ? AND kind = 'personal' AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at, id",
                vec![s(member_id), i(now)],
            )?
            .rows::<TokenRow>()?)
    }

    pub(super) fn member_view(&self, row: &MemberRow) -> RegResult<Member> {
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
            grants: user.grants.clone(),
            personas: user.personas.clone(),
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

    /// Admins see every member; a member sees themself
    /// (`policy::may_see_member`).
    pub(super) fn check_member_or_admin(&self, actor: &Actor, member_id: &str) -> RegResult<()> {
        Ok(keyward_domain::policy::may_see_member(
            &actor.policy(),
            member_id,
        )?)
    }

    pub(super) async fn create_member(
        &self,
        actor: &Actor,
        new: NewMember,
        secret: NewSecret,
        now: i64,
    ) -> RegResult<Member> {
        let NewMember {
            email,
            name,
            grants,
            personas,
            project,
        } = new;
        if self.count(
            "SELECT COUNT(*) AS n FROM members WHERE email = ?",
            vec![s(&email)],
        )? > 0
        {
            return Err(Fault::conflict(format!(
                "a member with email {email} already exists"
            )));
        }
        let project = project.unwrap_or_else(|| keyward_domain::DEFAULT_PROJECT.to_string());
        self.require_project("project", &project)?;
        self.require_personas(&personas)?;
        let token_name = format!("User token of {email}");
        if self.name_taken(&token_name, Some(&project), None)? {
            return Err(Fault::conflict(format!(
                "a token named '{token_name}' already exists"
            )));
        }
        let member = MemberRow {
            id: store::random_id("mem_", 16),
            email,
            name,
            created_by: actor.client_id(),
            created_at: now,
        };
        // A project that admits no never-expiring token gets the user
        // token it allows longest (a week where it names no cap). An
        // expired user token is kept (never purged), refused at the edge,
        // so the member stays listed until an admin removes them.
        let policy = self.expiry_policy(Some(&project))?;
        let expires_at = if policy.allow_never {
            None
        } else {
            Some(policy.latest(now).unwrap_or(now + 7 * 24 * 3600))
        };
        policy
            .admits(expires_at, now)
            .map_err(|e| Fault::invalid(vec![e]))?;
        let row = TokenRow {
            id: store::random_id("tok_", 20),
            client_id: store::random_id("cli_", 16),
            name: token_name,
            expires_at,
            description: format!("{} signs in with this token", member.name),
            kind: TokenKind::User,
            grants,
            created_by: actor.client_id(),
            created_at: now,
            updated_at: now,
            secret_hash: secret.hash,
            secret_hint: secret.hint,
            personas,
            project: Some(project),
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
            Entry::new(
                Endpoint::CreateMember,
                &member.id,
                Outcome::Success,
                &format!("invited member {}", member.email),
            ),
            now,
        )?;
        self.member_view(&member)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn update_member(
        &self,
        actor: &Actor,
        id: &str,
        name: Option<String>,
        grants: Option<Vec<Grant>>,
        personas: Option<Vec<String>>,
        dry_run: bool,
        now: i64,
    ) -> RegResult<Answer<Member>> {
        admins_only(actor, "managing members")?;
        let mut member = self.member_row(id)?;
        let stored = self.user_token_of(id)?;
        let mut user = stored.clone();
        let mut changed = Changed::default();
        let new_name = name.clone();
        changed.set("name", &mut member.name, name);
        changed.set("grants", &mut user.grants, grants);
        if let Some(p) = &personas {
            self.require_personas(p)?;
        }
        changed.set("personas", &mut user.personas, personas);
        user.updated_at = now;
        // One plan for the preview and the change: the user token as it
        // will be, reaching it and every personal key that acts as it.
        let mut reached = vec![stored.clone()];
        reached.extend(self.dependents(&stored)?);
        let plan = Plan::reaching(reached).token(&user.id, Some(user.clone()));
        let before = self.before(&plan)?;
        let radius = self.blast(Endpoint::UpdateMember.action(), &plan, &before)?;
        if dry_run {
            return Ok(Answer::Preview(radius));
        }
        if let Some(n) = &new_name {
            self.sql().exec(
                "UPDATE members SET name = ? WHERE id = ?",
                vec![s(n), s(id)],
            )?;
        }
        // The user token and, through it, every personal key: a permission
        // taken from the user is gone from their keys before this answers.
        for row in plan.written() {
            self.save_token(row, now).await?;
        }
        self.confirm(&plan, &before, &radius);
        self.audit_as(
            actor,
            Entry::new(
                Endpoint::UpdateMember,
                id,
                Outcome::Success,
                &format!("changed {}", changed.list()),
            ),
            now,
        )?;
        Ok(Answer::Done(self.member_view(&member)?))
    }

    pub(super) async fn delete_member(
        &self,
        actor: &Actor,
        id: &str,
        dry_run: bool,
        now: i64,
    ) -> RegResult<Answer<()>> {
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
            .rows::<TokenRow>()?;
        // One plan for the preview and the change: every one of them gone.
        let plan = keys.iter().fold(Plan::reaching(keys.clone()), |plan, key| {
            plan.token(&key.id, None)
        });
        let before = self.before(&plan)?;
        let radius = self.blast(Endpoint::DeleteMember.action(), &plan, &before)?;
        if dry_run {
            return Ok(Answer::Preview(radius));
        }
        for key in &keys {
            self.remove_token(key).await?;
        }
        self.confirm(&plan, &before, &radius);
        self.sql()
            .exec("DELETE FROM members WHERE id = ?", vec![s(id)])?;
        self.forget_sign_ins(&format!("member:{id}"))?;
        self.audit_as(
            actor,
            Entry::new(
                Endpoint::DeleteMember,
                id,
                Outcome::Success,
                &format!(
                    "removed member {} and {} token(s)",
                    member.email,
                    keys.len()
                ),
            ),
            now,
        )?;
        Ok(Answer::Done(()))
    }

    /// Dataiku: personal keys "can only be created by the end user".
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn create_personal_key(
        &self,
        actor: &Actor,
        member_id: &str,
        name: String,
        description: String,
        expires_at: Option<i64>,
        secret: NewSecret,
        now: i64,
    ) -> RegResult<Token> {
        keyward_domain::policy::may_change(&actor.policy())?;
        let is_user = actor.kind() == TokenKind::User;
        if !(is_user && actor.member_id() == Some(member_id)) {
            self.check_member_or_admin(actor, member_id)?;
            return Err(RegistryError::NotPermitted {
                detail: "a personal key can be created only by its member, signed in with their user token".into(),
            }
            .into());
        }
        let member = self.member_row(member_id)?;
        let user = self.user_token_of(member_id)?;
        self.purge_expired(now)?;
        // Token names are unique per project; two members may both call a
        // key "laptop".
        let full_name = format!("{} · {name}", member.email);
        if self.name_taken(&full_name, user.project().as_deref(), None)? {
            return Err(Fault::conflict(format!(
                "you already have a personal key named '{name}'"
            )));
        }
        self.expiry_policy(user.project().as_deref())?
            .admits(expires_at, now)
            .map_err(|e| Fault::invalid(vec![e]))?;
        let row = TokenRow {
            id: store::random_id("tok_", 20),
            client_id: store::random_id("cli_", 16),
            name: full_name,
            description,
            kind: TokenKind::Personal,
            created_by: user.client_id.clone(),
            created_at: now,
            updated_at: now,
            expires_at,
            secret_hash: secret.hash,
            secret_hint: secret.hint,
            project: user.project(),
            member_id: Some(member_id.to_string()),
            ..Default::default()
        };
        // Held to the one order like any credential: a key acting as its
        // user can do nothing its user cannot (it outlives no user token).
        self.check_may_issue(actor, None, &row)?;
        authority::create(&self.ledger(), &self.replica()?, &row, now).await?;
        self.audit_as(
            actor,
            Entry::new(
                Endpoint::CreatePersonalKey,
                &row.id,
                Outcome::Success,
                &format!("created personal key '{name}' ({})", row.client_id),
            ),
            now,
        )?;
        Ok(row.view())
    }
}
