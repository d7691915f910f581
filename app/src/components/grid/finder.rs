//! The resource picker's source: existing buckets (and a bucket's tables)
//! found through the API, a page at a time.

use crate::api::{query, Api};
use crate::resources::{buckets_path, objects_path};
use keyward_domain::api::{BucketList, ObjectList};
use keyward_domain::describe::tables_of;
use leptos::prelude::*;

/// How many resources a picker lists at once; a search finds the others.
pub(super) const SHOWN: usize = 100;

/// How long typing pauses before the picker asks the API.
pub(super) const SEARCH_PAUSE_MS: u32 = 200;

/// Where the picker finds existing resources: the API's bucket search in
/// one project. Searching on the server keeps the picker as fast at 10,000
/// buckets as at ten; ids of any type can still be typed. A search holding
/// `/` ("in.c-main/ord") lists that bucket's tables instead.
#[derive(Clone, Copy)]
pub struct Finder {
    source: Source,
}

#[derive(Clone, Copy)]
enum Source {
    Api {
        api: Api,
        /// `None`: the caller's own project.
        project: Signal<Option<String>>,
    },
    /// A list already at hand, searched here (the component tests).
    Fixed(StoredValue<Vec<String>>),
}

impl Finder {
    pub fn buckets(api: Api, project: Signal<Option<String>>) -> Finder {
        Finder {
            source: Source::Api { api, project },
        }
    }

    pub fn fixed(buckets: Vec<String>) -> Finder {
        Finder {
            source: Source::Fixed(StoredValue::new(buckets)),
        }
    }

    /// The same search in another project (a global key's per-project grids).
    pub fn in_project(self, project: String) -> Finder {
        match self.source {
            Source::Api { api, .. } => Finder::buckets(api, Signal::stored(Some(project))),
            Source::Fixed(_) => self,
        }
    }

    /// Subscribes the caller to what the search depends on besides its
    /// text (the project chosen on the page).
    pub(super) fn track(self) {
        if let Source::Api { project, .. } = self.source {
            project.track();
        }
    }

    /// Up to `limit` ids of `resource_type` containing `q` (any case),
    /// first by id; with `bucket/` in front, that bucket's tables whose
    /// name contains the rest. `None` for types that cannot be listed.
    pub(super) async fn search(
        self,
        resource_type: &str,
        q: &str,
        limit: usize,
    ) -> Option<Vec<String>> {
        if resource_type != "bucket" {
            return None;
        }
        let q = q.trim().to_string();
        let table = q
            .split_once('/')
            .map(|(b, t)| (b.to_string(), t.to_lowercase()));
        // A table's id is its bucket's, '/', its name: the name is searched.
        let in_bucket = |id: &str, (bucket, needle): &(String, String)| {
            id.strip_prefix(bucket.as_str())
                .and_then(|rest| rest.strip_prefix('/'))
                .is_some_and(|name| name.to_lowercase().contains(needle))
        };
        match (self.source, table) {
            (Source::Fixed(ids), table) => Some(ids.with_value(|ids| {
                let needle = q.to_lowercase();
                let mut found: Vec<String> = ids
                    .iter()
                    .filter(|id| match &table {
                        Some(t) => in_bucket(id, t),
                        None => !id.contains('/') && id.to_lowercase().contains(&needle),
                    })
                    .cloned()
                    .collect();
                found.sort();
                found.truncate(limit);
                found
            })),
            (Source::Api { api, project }, Some(t)) => {
                if !keyward_domain::validate::is_resource_id(&t.0) {
                    return Some(vec![]);
                }
                // Tables are not stored as such: they are the first parts
                // of the bucket's object keys.
                let path = objects_path(project.get_untracked().as_deref(), &t.0);
                let objects = api.get::<ObjectList>(&path).await.map(|l| l.items);
                let keys = objects.iter().flatten().map(|o| o.key.as_str());
                let mut found = tables_of(&t.0, keys);
                found.retain(|id| in_bucket(id, &t));
                found.truncate(limit);
                Some(found)
            }
            (Source::Api { api, project }, None) => {
                let path = buckets_path(project.get_untracked().as_deref());
                let path = format!("{path}{}", query(&[("q", q), ("limit", limit.to_string())]));
                // A token that cannot list buckets still gets the grid: ids
                // can be typed.
                Some(
                    api.get::<BucketList>(&path)
                        .await
                        .map(|l| l.items.into_iter().map(|b| b.id).collect())
                        .unwrap_or_default(),
                )
            }
        }
    }
}
