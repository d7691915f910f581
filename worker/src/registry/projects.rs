//! The directory's projects.

use super::audit::Changed;
use super::audit::Entry;
use super::directory::admins_only;
use super::directory::ProjectChanges;
use super::fault::{Fault, RegResult};
use super::rows::{i, oi, s, select, ProjectRow};
use super::{Actor, RegistryObject};
use keyward_domain::api::{ExpiryPolicy, Outcome, Project};

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
            created_by: actor.client_id.clone(),
            created_at: now,
            max_lifetime: policy.max_lifetime_seconds.map(|s| s as i64),
            allow_never: i64::from(policy.allow_never),
            leak_response: None,
        };
        self.sql().exec(
            "INSERT INTO projects (id, name, description, created_by, created_at, max_lifetime, allow_never) VALUES (?, ?, ?, ?, ?, ?, ?)",
            vec![s(&row.id), s(&row.name), s(&row.description), s(&row.created_by), i(now), oi(row.max_lifetime), i(row.allow_never)],
        )?;
        self.audit_as(
            actor,
            Entry::new(
                "project.create",
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
        now: i64,
    ) -> RegResult<Project> {
        admins_only(actor, "editing projects")?;
        let mut row = self.project_row(id)?;
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
        self.sql().exec(
            "UPDATE projects SET name = ?, description = ?, max_lifetime = ?, allow_never = ?, leak_response = ? WHERE id = ?",
            vec![s(&row.name), s(&row.description), oi(row.max_lifetime), i(row.allow_never), s(row.leak_response().as_str()), s(id)],
        )?;
        self.audit_as(
            actor,
            Entry::new(
                "project.update",
                id,
                Outcome::Success,
                &format!("changed {}", changed.list()),
            ),
            now,
        )?;
        Ok(row.view())
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

    /// The expiry policy a token in `project` is held to (global keys and
    /// master tokens belong to none, and have none).
    pub(super) fn expiry_policy(&self, project: Option<&str>) -> RegResult<ExpiryPolicy> {
        match project {
            Some(p) => Ok(self.project_row(p)?.expiry_policy()),
            None => Ok(ExpiryPolicy::default()),
        }
    }
}
