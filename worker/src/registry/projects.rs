//! The directory's projects.

use super::audit::Changed;
use super::audit::Entry;
use super::blast::Answer;
use super::directory::admins_only;
use super::directory::ProjectChanges;
use super::fault::{Fault, RegResult};
use super::rows::{i, oi, s, select, ProjectRow};
use super::{Actor, RegistryObject};
use crate::authority::{ts, TokenRow};
use keyward_domain::api::{ExpiryPolicy, Outcome, Project};
use keyward_domain::blast::{BlastRadius, ExpiryConflict};
use keyward_domain::contract::Endpoint;

impl RegistryObject {
    pub(super) fn create_project(
        &self,
        actor: &Actor,
        id: String,
        name: String,
        description: String,
        policy: ExpiryPolicy,
        now: i64,
    ) -> RegResult<Project> {
        admins_only(actor, "creating projects")?;
        if self.count(
            "SELECT COUNT(*) AS n FROM projects WHERE id = ?",
            vec![s(&id)],
        )? > 0
        {
            return Err(Fault::conflict(format!("project {id} already exists")));
        }
        let row = ProjectRow {
            id,
            name,
            description,
            created_by: actor.client_id(),
            created_at: now,
            max_lifetime: policy.max_lifetime_seconds.map(|s| s as i64),
            allow_never: i64::from(policy.allow_never),
            leak_response: None,
            elevation_approval: 0,
        };
        self.sql().exec(
            "INSERT INTO projects (id, name, description, created_by, created_at, max_lifetime, allow_never) VALUES (?, ?, ?, ?, ?, ?, ?)",
            vec![s(&row.id), s(&row.name), s(&row.description), s(&row.created_by), i(now), oi(row.max_lifetime), i(row.allow_never)],
        )?;
        self.audit_as(
            actor,
            Entry::new(
                Endpoint::CreateProject,
                &row.id,
                Outcome::Success,
                &format!("created project '{}'", row.name),
            ),
            now,
        )?;
        Ok(row.view())
    }

    pub(super) fn update_project(
        &self,
        actor: &Actor,
        id: &str,
        changes: ProjectChanges,
        dry_run: bool,
        now: i64,
    ) -> RegResult<Answer<Project>> {
        admins_only(actor, "editing projects")?;
        let mut row = self.project_row(id)?;
        // The preview and the change name the same tokens: a new policy
        // holds creations and expiry changes from now on, and the tokens it
        // would not admit keep their expiry.
        let mut radius = BlastRadius::new(Endpoint::UpdateProject.action());
        if let Some(p) = &changes.expiry_policy {
            radius.expiry = self.expiry_conflicts(id, p, now)?;
        }
        if dry_run {
            return Ok(Answer::Preview(radius));
        }
        let mut changed = Changed::default();
        changed.set("name", &mut row.name, changes.name);
        changed.set("description", &mut row.description, changes.description);
        if let Some(p) = changes.expiry_policy {
            changed.set(
                "expiry_policy",
                &mut row.max_lifetime,
                Some(p.max_lifetime_seconds.map(|s| s as i64)),
            );
            row.allow_never = i64::from(p.allow_never);
        }
        if let Some(r) = changes.leak_response {
            changed.set(
                "leak_response",
                &mut row.leak_response,
                Some(Some(r.as_str().into())),
            );
        }
        changed.set(
            "elevation_approval",
            &mut row.elevation_approval,
            changes.elevation_approval.map(i64::from),
        );
        self.sql().exec(
            "UPDATE projects SET name = ?, description = ?, max_lifetime = ?, allow_never = ?, leak_response = ?, elevation_approval = ? WHERE id = ?",
            vec![s(&row.name), s(&row.description), oi(row.max_lifetime), i(row.allow_never), s(row.leak_response().as_str()), i(row.elevation_approval), s(id)],
        )?;
        let kept = match radius.expiry.len() {
            0 => String::new(),
            n => format!("; {n} token(s) keep an expiry the new policy would not admit"),
        };
        self.audit_as(
            actor,
            Entry::new(
                Endpoint::UpdateProject,
                id,
                Outcome::Success,
                &format!("changed {}{kept}", changed.list()),
            ),
            now,
        )?;
        Ok(Answer::Done(row.view()))
    }

    /// The project's tokens whose current expiry `policy` would refuse if
    /// it were set now (expired ones are on their way out and not named).
    fn expiry_conflicts(
        &self,
        project: &str,
        policy: &ExpiryPolicy,
        now: i64,
    ) -> RegResult<Vec<ExpiryConflict>> {
        let rows = select::<TokenRow>(
            &self.sql(),
            "SELECT * FROM tokens WHERE (project = ? OR project IS NULL) AND (expires_at IS NULL OR expires_at > ?) ORDER BY name, id",
            vec![s(project), i(now)],
        )?;
        Ok(rows
            .into_iter()
            .filter(|t| t.project().as_deref() == Some(project))
            .filter_map(|t| {
                let refused = policy.admits(t.expires_at, now).err()?;
                Some(ExpiryConflict {
                    id: t.id.clone(),
                    name: t.name.clone(),
                    kind: t.kind,
                    expires_at: t.expires_at.map(ts),
                    reason: refused.message,
                    kept: true,
                })
            })
            .collect())
    }

    pub(super) fn project_row(&self, id: &str) -> RegResult<ProjectRow> {
        select::<ProjectRow>(
            &self.sql(),
            "SELECT * FROM projects WHERE id = ?",
            vec![s(id)],
        )?
        .into_iter()
        .next()
        .ok_or_else(|| Fault::not_found("project"))
    }

    /// Every project's expiry policy binds every credential acting in it:
    /// a token's own project, and each project a global key holds grants
    /// in. The first refusal names the project when it is not the home.
    pub(super) fn check_expiry_policies(&self, row: &TokenRow, now: i64) -> RegResult<()> {
        let home = row.project();
        self.expiry_policy(home.as_deref())?
            .admits(row.expires_at, now)
            .map_err(|e| Fault::invalid(vec![e]))?;
        for p in row.project_grants.keys() {
            self.expiry_policy(Some(p))?
                .admits(row.expires_at, now)
                .map_err(|e| {
                    Fault::invalid(vec![keyward_domain::FieldError::new(
                        e.field,
                        format!("{} (it holds grants in project '{p}')", e.message),
                    )])
                })?;
        }
        Ok(())
    }

    /// The expiry policy a token in `project` is held to (global keys and
    /// master tokens belong to none, and have none).
    pub(super) fn expiry_policy(&self, project: Option<&str>) -> RegResult<ExpiryPolicy> {
        match project {
            Some(p) => Ok(self.project_row(p)?.expiry_policy()),
            None => Ok(ExpiryPolicy::default()),
        }
    }
}
