//! The data the pages share, each as a resource over the API.

use crate::api::{Api, ApiFailure};
use keyward_domain::api::{Persona, PersonaList, Project, ProjectList};
use keyward_domain::paths;
use keyward_domain::Catalog;
use leptos::prelude::*;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

/// A fetcher whose future is boxed.
type Fetch<T> = Rc<dyn Fn() -> Pin<Box<dyn Future<Output = T>>>>;

/// `LocalResource::new`, with the fetcher and its future behind one boxed
/// type per answer: the resource machinery is then compiled once per answer
/// type rather than once per page that loads something (it is most of the
/// app's download otherwise).
pub fn load<T, Fut>(fetch: impl Fn() -> Fut + 'static) -> LocalResource<T>
where
    T: 'static,
    Fut: Future<Output = T> + 'static,
{
    load_boxed(Rc::new(move || {
        Box::pin(fetch()) as Pin<Box<dyn Future<Output = T>>>
    }))
}

fn load_boxed<T: 'static>(fetch: Fetch<T>) -> LocalResource<T> {
    LocalResource::new(move || fetch())
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
    load(move || async move {
        api.get::<PersonaList>(paths::PERSONAS.template())
            .await
            .map(|l| l.items)
            .unwrap_or_default()
    })
}

/// The projects the signed-in token reaches.
pub fn projects_resource(api: Api) -> LocalResource<Vec<Project>> {
    load(move || async move {
        api.get::<ProjectList>(paths::PROJECTS.template())
            .await
            .map(|l| l.items)
            .unwrap_or_default()
    })
}

pub fn catalog_resource(api: Api) -> LocalResource<Result<Catalog, ApiFailure>> {
    load(move || async move { api.get::<Catalog>(paths::CATALOG.template()).await })
}
