//! The read-only per-service view of the permissions a token holds, and
//! whether whoami's permissions hold one (the console's buttons).

use super::words::*;
use crate::catalog::Catalog;
use crate::grant::{Effective, Grant, Resource};
use std::collections::BTreeSet;

/// One permission a token holds, for the read-only per-service view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldPermission {
    pub id: String,
    pub title: String,
    /// "All buckets", "in.c-tutorial, raw", or empty without a resource type.
    pub scope: String,
    /// Set when held only through another permission.
    pub implied_by: Vec<String>,
    /// Which of the sources given to [`held_permissions_via`] hold it
    /// (alone, implications and `*` included); empty from
    /// [`held_permissions`].
    pub via: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceView {
    pub id: String,
    pub title: String,
    pub permissions: Vec<HeldPermission>,
}

/// A token's permissions grouped per service, in catalog order, with
/// implied ones marked.
pub fn held_permissions(catalog: &Catalog, grants: &[Grant]) -> Vec<ServiceView> {
    let effective = Effective::of(catalog, grants);
    let mut out = vec![];
    for svc in &catalog.services {
        let mut perms = vec![];
        for def in &svc.permissions {
            let held: Vec<&Grant> = effective
                .grants()
                .filter(|g| g.service == svc.id && g.permission == def.id)
                .collect();
            if held.is_empty() {
                continue;
            }
            let scope = match &def.resource_type {
                None => String::new(),
                Some(rt) => {
                    if held.iter().any(|g| g.resource == Some(Resource::All)) {
                        all_label(catalog, rt)
                    } else {
                        held.iter()
                            .filter_map(|g| match &g.resource {
                                Some(Resource::Id(id))
                                    if id.contains('/') && part_noun(rt).is_some() =>
                                {
                                    Some(resource_words(catalog, rt, id))
                                }
                                r => r.as_ref().map(|r| r.as_str().to_string()),
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                }
            };
            let explicit = grants
                .iter()
                .any(|g| g.service == svc.id && g.permission == def.id);
            let implied_by = if explicit {
                vec![]
            } else {
                grants
                    .iter()
                    .filter(|g| g.service == svc.id)
                    .filter(|g| catalog.implied_by(&svc.id, &g.permission).contains(&def.id))
                    .map(|g| g.permission.clone())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect()
            };
            perms.push(HeldPermission {
                id: def.id.clone(),
                title: def.title.clone(),
                scope,
                implied_by,
                via: vec![],
            });
        }
        if !perms.is_empty() {
            out.push(ServiceView {
                id: svc.id.clone(),
                title: svc.title.clone(),
                permissions: perms,
            });
        }
    }
    out
}

/// [`held_permissions`] of every source's grants together, each permission
/// with the labels of the sources that hold it (the token page's "via"
/// chips: its own grants, a persona, its member). A source holds a
/// permission when its grants alone do, so a persona's `write` is named
/// beside the `read` it implies.
pub fn held_permissions_via(
    catalog: &Catalog,
    sources: &[(String, Vec<Grant>)],
) -> Vec<ServiceView> {
    let all: Vec<Grant> = sources
        .iter()
        .flat_map(|(_, g)| g.iter().cloned())
        .collect();
    let effective: Vec<(&String, Effective)> = sources
        .iter()
        .map(|(label, g)| (label, Effective::of(catalog, g)))
        .collect();
    let mut out = held_permissions(catalog, &all);
    for svc in &mut out {
        for p in &mut svc.permissions {
            p.via = effective
                .iter()
                .filter(|(_, e)| {
                    e.grants()
                        .any(|g| g.service == svc.id && g.permission == p.id)
                })
                .map(|(label, _)| (*label).clone())
                .collect();
        }
    }
    out
}

/// Whether whoami's effective permissions cover `service:permission` on
/// `resource` (a resource list holding `*` covers every resource, a
/// bucket its tables). The console decides which buttons to show with
/// this; the API still decides.
pub fn holds(
    permissions: &[crate::grant::ServicePermissions],
    service: &str,
    permission: &str,
    resource: &str,
) -> bool {
    resources_held(permissions, service, permission).any(|r| {
        r == "*"
            || r == resource
            || resource
                .strip_prefix(r)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// The parts of `parent` (a bucket's tables, by name) that whoami's
/// permissions hold `service:permission` on by themselves, in order; none
/// when the whole of `parent` is held. The console says which tables a
/// token may read, and where it may upload.
pub fn held_parts(
    permissions: &[crate::grant::ServicePermissions],
    service: &str,
    permission: &str,
    parent: &str,
) -> Vec<String> {
    if holds(permissions, service, permission, parent) {
        return vec![];
    }
    let parts: BTreeSet<String> = resources_held(permissions, service, permission)
        .filter_map(|r| crate::storage::table_of(parent, r))
        .map(String::from)
        .collect();
    parts.into_iter().collect()
}

fn resources_held<'a>(
    permissions: &'a [crate::grant::ServicePermissions],
    service: &'a str,
    permission: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    permissions
        .iter()
        .filter(move |s| s.service == service)
        .flat_map(|s| s.permissions.iter())
        .filter(move |p| p.permission == permission)
        .flat_map(|p| p.resources.iter().map(String::as_str))
}

/// The tables of `bucket` that its objects' keys show, as grant resources
/// (`in.c-main/orders`), sorted: an object whose key starts with
/// `<table>/` lives in that table ([`crate::storage::object_resource`]).
/// The grid's picker lists these under a bucket.
pub fn tables_of<'a>(bucket: &str, keys: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let tables: BTreeSet<String> = keys
        .into_iter()
        .map(|k| crate::storage::object_resource(bucket, k))
        .filter(|r| r.len() > bucket.len())
        .collect();
    tables.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::default_catalog;

    fn g(s: &str) -> Grant {
        Grant::parse_compact(s).unwrap()
    }

    #[test]
    fn holds_reads_whoami_permissions() {
        use crate::grant::{PermissionResources, ServicePermissions};
        let perms = vec![ServicePermissions {
            service: "storage".into(),
            permissions: vec![
                PermissionResources {
                    permission: "read".into(),
                    resources: vec!["*".into()],
                },
                PermissionResources {
                    permission: "write".into(),
                    resources: vec!["docs".into()],
                },
            ],
        }];
        assert!(holds(&perms, "storage", "write", "docs"));
        assert!(!holds(&perms, "storage", "write", "other"));
        assert!(holds(&perms, "storage", "read", "anything"));
        assert!(!holds(&perms, "tokens", "read", "docs"));
        assert!(!holds(&[], "storage", "read", "docs"));
    }

    #[test]
    fn whoami_tables_are_held_under_their_bucket() {
        use crate::grant::{PermissionResources, ServicePermissions};
        let perms = |read: &[&str], write: &[&str]| {
            let list = |p: &str, r: &[&str]| PermissionResources {
                permission: p.into(),
                resources: r.iter().map(|x| x.to_string()).collect(),
            };
            vec![ServicePermissions {
                service: "storage".into(),
                permissions: vec![list("read", read), list("write", write)],
            }]
        };
        let tables = perms(
            &["in.c-main/orders", "in.c-main/customers", "x/y"],
            &["in.c-main/orders"],
        );
        assert!(!holds(&tables, "storage", "read", "in.c-main"));
        assert!(holds(&tables, "storage", "read", "in.c-main/orders"));
        assert_eq!(
            held_parts(&tables, "storage", "read", "in.c-main"),
            ["customers", "orders"]
        );
        assert_eq!(
            held_parts(&tables, "storage", "write", "in.c-main"),
            ["orders"]
        );
        assert!(held_parts(&tables, "storage", "write", "x").is_empty());
        // The bucket covers its tables: no part is named on its own.
        let bucket = perms(&["in.c-main", "in.c-main/orders"], &[]);
        assert!(holds(&bucket, "storage", "read", "in.c-main/orders"));
        assert!(!holds(&bucket, "storage", "read", "in.c-mainx/orders"));
        assert!(held_parts(&bucket, "storage", "read", "in.c-main").is_empty());
    }

    #[test]
    fn a_buckets_tables_are_the_first_parts_of_its_keys() {
        let keys = [
            "orders/2024.csv",
            "customers/a.csv",
            "orders/2023.csv",
            "readme.txt",
            "empty/",
            "bad table/x",
        ];
        assert_eq!(
            tables_of("in.c-main", keys),
            ["in.c-main/customers", "in.c-main/orders"]
        );
        assert!(tables_of("in.c-main", ["readme.txt"]).is_empty());
    }

    #[test]
    fn held_permissions_group_per_service_and_mark_implied() {
        let c = default_catalog();
        let view = held_permissions(&c, &[g("storage:write@b1"), g("tokens:read")]);
        assert_eq!(view.len(), 2);
        assert_eq!(view[0].title, "Storage");
        assert_eq!(view[0].permissions[0].id, "read");
        assert_eq!(view[0].permissions[0].scope, "b1");
        assert_eq!(view[0].permissions[0].implied_by, ["write"]);
        assert!(view[0].permissions[1].implied_by.is_empty());
        let all = held_permissions(&c, &[g("storage:read@*")]);
        assert_eq!(all[0].permissions[0].scope, "All buckets");
    }

    #[test]
    fn via_names_each_source_that_holds_a_permission() {
        let c = default_catalog();
        let view = held_permissions_via(
            &c,
            &[
                ("own".into(), vec![g("storage:read@b1")]),
                ("persona Writers".into(), vec![g("storage:write@*")]),
            ],
        );
        let storage = &view[0].permissions;
        assert_eq!(storage[0].id, "read");
        assert_eq!(storage[0].via, ["own", "persona Writers"]);
        assert_eq!(storage[1].id, "write");
        assert_eq!(storage[1].via, ["persona Writers"]);
    }

    proptest::proptest! {
        /// The chips neither invent nor drop: the view is the one of all
        /// grants together, every permission it shows names at least one
        /// source, and a named source holds it on its own.
        #[test]
        fn via_agrees_with_each_source_alone(
            own in proptest::collection::vec(crate::grant::testing::arb_grant(), 0..4),
            persona in proptest::collection::vec(crate::grant::testing::arb_grant(), 0..4),
        ) {
            let c = default_catalog();
            let sources = vec![("own".to_string(), own.clone()), ("p".to_string(), persona.clone())];
            let view = held_permissions_via(&c, &sources);
            let mut all = own.clone();
            all.extend(persona.clone());
            let plain = held_permissions(&c, &all);
            proptest::prop_assert_eq!(view.len(), plain.len());
            for (s, v) in view.iter().zip(&plain) {
                proptest::prop_assert_eq!(s.permissions.len(), v.permissions.len());
                for p in &s.permissions {
                    proptest::prop_assert!(!p.via.is_empty(), "{}:{} has no source", s.id, p.id);
                    for (label, grants) in &sources {
                        let alone = held_permissions(&c, grants)
                            .iter()
                            .any(|x| x.id == s.id && x.permissions.iter().any(|q| q.id == p.id));
                        proptest::prop_assert_eq!(p.via.contains(label), alone, "{} {}:{}", label, s.id, p.id);
                    }
                }
            }
        }
    }
}
