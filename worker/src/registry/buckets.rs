//! Buckets, per project.

use super::audit::Entry;
use super::fault::{Fault, RegResult};
use super::rows::{i, s};
use super::{Actor, RegistryObject};
use crate::authority::ts;
use crate::store;
use keyward_domain::api::{Bucket, Outcome};
use keyward_domain::contract::Endpoint;

impl RegistryObject {
    pub(super) async fn create_bucket(
        &self,
        actor: &Actor,
        project: &str,
        id: String,
        description: String,
        now: i64,
    ) -> RegResult<Bucket> {
        if self.count(
            "SELECT COUNT(*) AS n FROM projects WHERE id = ?",
            vec![s(project)],
        )? == 0
        {
            return Err(Fault::not_found("project"));
        }
        if self.count(
            "SELECT COUNT(*) AS n FROM project_buckets WHERE project = ? AND id = ?",
            vec![s(project), s(&id)],
        )? > 0
        {
            return Err(Fault::conflict(format!("bucket {id} already exists")));
        }
        let bucket = Bucket {
            id: id.clone(),
            description,
            created_by: actor.client_id(),
            created_at: ts(now),
        };
        self.kv()?
            .put(&store::bucket_key(project, &id), "")?
            .metadata(&bucket)?
            .execute()
            .await?;
        self.sql().exec(
            "INSERT INTO project_buckets (project, id, description, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
            vec![
                s(project),
                s(&id),
                s(&bucket.description),
                s(&bucket.created_by),
                i(now),
            ],
        )?;
        self.audit_in(
            actor,
            Some(project),
            Entry::new(
                Endpoint::CreateBucket,
                &id,
                Outcome::Success,
                &format!("in project {project}"),
            ),
            now,
        )?;
        Ok(bucket)
    }
}
