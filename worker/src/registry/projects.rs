//! The directory's projects.

use super::audit::Entry;
use super::directory::admins_only;
use super::fault::{Fault, RegResult};
use super::rows::{i, s, ProjectRow};
use super::{Actor, RegistryObject};
use keyward_domain::api::{Outcome, Project};

impl RegistryObject {
    pub(super) fn create_project(
        &self,
        actor: &Actor,
        id: String,
        name: String,
        description: String,
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
        };
        self.sql().exec(
            "INSERT INTO projects (id, name, description, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
            vec![s(&row.id), s(&row.name), s(&row.description), s(&row.created_by), i(now)],
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
}
