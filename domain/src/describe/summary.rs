//! What a token can do, and what a change of its grants does, in one
//! plain-language sentence.

use super::words::*;
use crate::catalog::Catalog;
use crate::grant::{Effective, Grant, Resource};
use std::collections::{BTreeMap, BTreeSet};

/// A plain-language sentence of everything `grants` allow, e.g.
/// "Read and write bucket in.c-tutorial; read all buckets; nothing else".
/// Implied permissions are spelt out, so nothing is left to inference.
pub fn summary(catalog: &Catalog, grants: &[Grant]) -> String {
    let mut parts: Vec<String> = vec![];
    for svc in &catalog.services {
        let mine: Vec<&Grant> = grants.iter().filter(|g| g.service == svc.id).collect();
        if mine.is_empty() {
            continue;
        }
        // Per resource type: resource → permissions held on it, closed
        // under implication on the same resource.
        let mut by_type: BTreeMap<&str, BTreeMap<Resource, BTreeSet<String>>> = BTreeMap::new();
        let mut plain: BTreeSet<String> = BTreeSet::new();
        for g in &mine {
            let mut perms = vec![g.permission.clone()];
            perms.extend(catalog.implied_by(&svc.id, &g.permission));
            for p in perms {
                let Some(def) = catalog.permission(&svc.id, &p) else {
                    continue;
                };
                match (&def.resource_type, &g.resource) {
                    (Some(rt), Some(r)) => {
                        by_type
                            .entry(rt.as_str())
                            .or_default()
                            .entry(r.clone())
                            .or_default()
                            .insert(p);
                    }
                    (None, _) => {
                        plain.insert(p);
                    }
                    _ => {}
                }
            }
        }
        let order = |set: &BTreeSet<String>| -> Vec<String> {
            svc.permissions
                .iter()
                .filter(|p| set.contains(&p.id))
                .map(|p| p.id.replace('_', " "))
                .collect()
        };
        let mut types: Vec<&str> = vec![];
        for p in &svc.permissions {
            if let Some(rt) = &p.resource_type {
                if !types.contains(&rt.as_str()) {
                    types.push(rt);
                }
            }
        }
        for rt in types {
            let Some(map) = by_type.get(rt) else {
                continue;
            };
            let noun = resource_noun(catalog, rt);
            let on_all = map.get(&Resource::All).cloned().unwrap_or_default();
            // Group ids with the same permissions, dropping ids "all" covers.
            let mut groups: Vec<(BTreeSet<String>, Vec<String>)> = vec![];
            for (r, perms) in map {
                let Resource::Id(id) = r else { continue };
                if perms.is_subset(&on_all) {
                    continue;
                }
                // A part whose parent holds as much says nothing more.
                let parent = id.split_once('/').map(|(p, _)| Resource::Id(p.into()));
                if parent
                    .and_then(|p| map.get(&p))
                    .is_some_and(|held| perms.is_subset(held))
                {
                    continue;
                }
                match groups.iter_mut().find(|(p, _)| p == perms) {
                    Some((_, ids)) => ids.push(id.clone()),
                    None => groups.push((perms.clone(), vec![id.clone()])),
                }
            }
            for (perms, ids) in groups {
                let how = join_and(&order(&perms));
                for what in named(catalog, rt, &ids) {
                    parts.push(format!("{how} {what}"));
                }
            }
            if !on_all.is_empty() {
                parts.push(format!(
                    "{} all {}",
                    join_and(&order(&on_all)),
                    plural(&noun)
                ));
            }
        }
        for p in &svc.permissions {
            if plain.contains(&p.id) {
                parts.push(lower_first(&p.title));
            }
        }
    }
    if parts.is_empty() {
        return "Nothing: this token cannot do anything".into();
    }
    parts.push("nothing else".into());
    upper_first(&parts.join("; "))
}

/// What saving `after` in place of `before` changes, in the summary's
/// words ("Adds read all buckets; removes read the audit log"), compared
/// as effective permissions (closed under implication, `*` covering each
/// resource), so a change of wording that grants the same is no change.
/// `None`: nothing changes.
pub fn change(catalog: &Catalog, before: &[Grant], after: &[Grant]) -> Option<String> {
    let (b, a) = (
        Effective::of(catalog, before),
        Effective::of(catalog, after),
    );
    let added: Vec<Grant> = a.grants().filter(|g| !b.allows(g)).cloned().collect();
    let removed: Vec<Grant> = b.grants().filter(|g| !a.allows(g)).cloned().collect();
    let phrase =
        |gs: &[Grant]| lower_first(summary(catalog, gs).trim_end_matches("; nothing else"));
    let mut parts = vec![];
    if !added.is_empty() {
        parts.push(format!("adds {}", phrase(&added)));
    }
    if !removed.is_empty() {
        parts.push(format!("removes {}", phrase(&removed)));
    }
    (!parts.is_empty()).then(|| upper_first(&parts.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::default_catalog;
    use crate::describe::*;

    fn catalog_for_change() -> Catalog {
        Catalog::from_json(include_str!("../../../worker/catalog.json")).unwrap()
    }

    fn g(s: &str) -> Grant {
        Grant::parse_compact(s).unwrap()
    }

    #[test]
    fn a_change_says_what_it_adds_and_removes_as_effective_permissions() {
        let c = catalog_for_change();
        let g = |x: &str| Grant::parse_compact(x).unwrap();
        let before = [g("storage:write@b1")];
        assert_eq!(
            change(&c, &before, &[g("storage:write@b1"), g("storage:read@*")]).as_deref(),
            Some("Adds read all buckets")
        );
        assert_eq!(
            change(&c, &before, &[g("audit:read")]).as_deref(),
            Some("Adds read the audit log; removes read and write bucket b1")
        );
        // Read on b1 stated again beside write on b1 grants nothing new.
        assert_eq!(
            change(&c, &before, &[g("storage:write@b1"), g("storage:read@b1")]),
            None
        );
        assert_eq!(change(&c, &[], &[]), None);
        assert_eq!(
            change(&c, &[g("storage:read@*")], &[g("storage:read@b1")]).as_deref(),
            Some("Removes read all buckets")
        );
    }

    #[test]
    fn summary_spells_out_implied_and_all() {
        let c = default_catalog();
        assert_eq!(
            summary(&c, &[g("storage:write@in.c-tutorial"), g("storage:read@*")]),
            "Read and write bucket in.c-tutorial; read all buckets; nothing else"
        );
        assert_eq!(
            summary(&c, &[g("storage:write@a"), g("storage:write@b")]),
            "Read and write buckets a and b; nothing else"
        );
        assert_eq!(
            summary(&c, &[g("storage:read@x"), g("storage:read@*")]),
            "Read all buckets; nothing else"
        );
        assert_eq!(
            summary(&c, &[g("tokens:manage"), g("audit:read"), g("storage:create_bucket")]),
            "Create buckets; view tokens and invitations; create, edit, refresh and delete tokens; read the audit log; nothing else"
        );
        assert_eq!(
            summary(&c, &[g("components:run@etl")]),
            "Run component etl; nothing else"
        );
        assert_eq!(summary(&c, &[]), "Nothing: this token cannot do anything");
    }

    #[test]
    fn transitive_implications_and_acronyms() {
        let c = default_catalog();
        if c.service("api_services").is_none() {
            return;
        }
        assert_eq!(
            summary(&c, &[g("api_services:admin@churn")]),
            "Read, write, deploy and admin API service churn; nothing else"
        );
        assert_eq!(
            summary(&c, &[g("infrastructures:deploy@*")]),
            "View and deploy all infrastructures; nothing else"
        );
        assert_eq!(all_label(&c, "api_service"), "All API services");
        assert_eq!(with_article(&noun(&c, "api_service")), "an API service");
        assert_eq!(with_article(&noun(&c, "bucket")), "a bucket");
        let mut grid = Grid::new(c);
        grid.toggle("api_services", "admin");
        grid.set_all("api_services", "admin", true);
        let read = grid.row("api_services", "read", &[]);
        assert!(read.locked);
        assert_eq!(read.implied_by, ["admin"]);
        // write is implied by admin too, so it cannot be unticked on its own.
        assert!(!grid.toggle("api_services", "write"));
        assert!(grid.row("api_services", "write", &[]).locked);
        assert_eq!(grid.grants(), vec![g("api_services:admin@*")]);
    }

    #[test]
    fn a_table_is_described_as_itself_in_its_bucket() {
        let c = default_catalog();
        assert_eq!(
            summary(&c, &[g("storage:read@in.c-main/orders")]),
            "Read the table orders in bucket in.c-main; nothing else"
        );
        assert_eq!(
            summary(
                &c,
                &[
                    g("storage:write@in.c-main/orders"),
                    g("storage:write@in.c-main/customers"),
                    g("storage:read@raw")
                ]
            ),
            "Read and write the tables customers and orders in bucket in.c-main; read bucket raw; nothing else"
        );
        // Its bucket, held as much, says it all.
        assert_eq!(
            summary(
                &c,
                &[
                    g("storage:write@in.c-main"),
                    g("storage:read@in.c-main/orders")
                ]
            ),
            "Read and write bucket in.c-main; nothing else"
        );
        assert_eq!(
            summary(
                &c,
                &[g("storage:read@in.c-main"), g("storage:write@in.c-main/orders")]
            ),
            "Read bucket in.c-main; read and write the table orders in bucket in.c-main; nothing else"
        );
        assert_eq!(
            change(&c, &[], &[g("storage:read@in.c-main/orders")]).as_deref(),
            Some("Adds read the table orders in bucket in.c-main")
        );
        let held = held_permissions(
            &c,
            &[g("storage:read@in.c-main/orders"), g("storage:read@raw")],
        );
        assert_eq!(
            held[0].permissions[0].scope,
            "the table orders in bucket in.c-main, raw"
        );
    }
}
