//! The data the pages share, each as a resource over the API.

use crate::api::{Api, ApiFailure};
use crate::components::grid::Known;
use keyward_domain::api::{BucketList, Persona, PersonaList, Project, ProjectList};
use keyward_domain::paths;
use keyward_domain::Catalog;
use leptos::prelude::*;

/// Existing buckets for the grid's picker. A token that cannot list
/// buckets still gets the grid: ids can be typed.
pub fn known_resources(api: Api) -> LocalResource<Known> {
    known_in(api, Signal::stored(None))
}

/// The buckets of `project` (the caller's own when `None`).
pub fn known_in(api: Api, project: Signal<Option<String>>) -> LocalResource<Known> {
    LocalResource::new(move || {
        let path = buckets_path(project.get().as_deref());
        async move {
            let mut known = Known::new();
            if let Ok(list) = api.get::<BucketList>(&path).await {
                known.insert(
                    "bucket".into(),
                    list.items.into_iter().map(|b| b.id).collect(),
                );
            }
            known
        }
    })
}

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
