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

/// What the API holds that pages list and mutations change. A mutation
/// that succeeds says which it changed ([`crate::mutation::Mutation::changes`]);
/// a resource that reads one tracks its version and so loads again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Data {
    Tokens,
    Invitations,
    Personas,
    Members,
    Keys,
    Admins,
    Objects,
    Sessions,
    Passkeys,
    Outbox,
    Projects,
}

/// A version per [`Data`], shared by the whole app (one context).
#[derive(Debug, Clone, Copy)]
pub struct Versions {
    tokens: RwSignal<u32>,
    invitations: RwSignal<u32>,
    personas: RwSignal<u32>,
    members: RwSignal<u32>,
    keys: RwSignal<u32>,
    admins: RwSignal<u32>,
    objects: RwSignal<u32>,
    sessions: RwSignal<u32>,
    passkeys: RwSignal<u32>,
    outbox: RwSignal<u32>,
    projects: RwSignal<u32>,
}

impl Versions {
    pub fn provide() -> Versions {
        let v = || RwSignal::new(0);
        let versions = Versions {
            tokens: v(),
            invitations: v(),
            personas: v(),
            members: v(),
            keys: v(),
            admins: v(),
            objects: v(),
            sessions: v(),
            passkeys: v(),
            outbox: v(),
            projects: v(),
        };
        provide_context(versions);
        versions
    }

    fn of(self, data: Data) -> RwSignal<u32> {
        match data {
            Data::Tokens => self.tokens,
            Data::Invitations => self.invitations,
            Data::Personas => self.personas,
            Data::Members => self.members,
            Data::Keys => self.keys,
            Data::Admins => self.admins,
            Data::Objects => self.objects,
            Data::Sessions => self.sessions,
            Data::Passkeys => self.passkeys,
            Data::Outbox => self.outbox,
            Data::Projects => self.projects,
        }
    }

    /// Called in a resource's fetcher: it loads again after a change.
    pub fn track(self, data: Data) {
        self.of(data).track();
    }

    /// What changed, so that what reads it loads again.
    pub fn bump(self, data: Data) {
        self.of(data).update(|n| *n = n.wrapping_add(1));
    }
}

/// The app's versions; outside the app (a component test), a fresh set.
pub fn use_versions() -> Versions {
    use_context::<Versions>().unwrap_or_else(Versions::provide)
}
