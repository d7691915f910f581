//! The data the pages share, each as a resource over the API.

use crate::api::{Api, ApiFailure};
use keyward_domain::api::{Persona, PersonaList, Project, ProjectList};
use keyward_domain::paths;
use keyward_domain::Catalog;
use leptos::prelude::*;

/// `/projects/{p}/buckets`, or the caller's own project's `/buckets`.
pub fn buckets_path(project: Option<&str>) -> String {
    match project {
        Some(p) => format!(
            "{}{}",
            paths::PROJECT_SCOPE.with(&[p]),
            paths::BUCKETS.template()
        ),
        None => paths::BUCKETS.template().to_string(),
    }
}

/// A bucket's objects, in `project` or the caller's own.
pub fn objects_path(project: Option<&str>, bucket: &str) -> String {
    let objects = paths::OBJECTS.with(&[bucket]);
    match project {
        Some(p) => format!("{}{objects}", paths::PROJECT_SCOPE.with(&[p])),
        None => objects,
    }
}

/// Every persona, for pickers; none if the token may not list them.
pub fn personas_resource(api: Api) -> LocalResource<Vec<Persona>> {
    LocalResource::new(move || async move {
        api.get::<PersonaList>(paths::PERSONAS.template())
            .await
            .map(|l| l.items)
            .unwrap_or_default()
    })
}

/// The projects the signed-in token reaches.
pub fn projects_resource(api: Api) -> LocalResource<Vec<Project>> {
    LocalResource::new(move || async move {
        api.get::<ProjectList>(paths::PROJECTS.template())
            .await
            .map(|l| l.items)
            .unwrap_or_default()
    })
}

pub fn catalog_resource(api: Api) -> LocalResource<Result<Catalog, ApiFailure>> {
    LocalResource::new(move || async move { api.get::<Catalog>(paths::CATALOG.template()).await })
}
