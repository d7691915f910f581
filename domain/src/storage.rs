//! Where an object lives, for permissions: Keboola's buckets hold tables,
//! and a grant may name one table (`in.c-main/orders`). An object whose
//! key starts with `<table>/` lives in that table; any other object lives
//! at bucket level. A grant on the bucket covers all of them.

use crate::grant::{Decision, Principal, Resource};
use crate::validate::is_resource_id;

/// What of a bucket a principal may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readable {
    /// The bucket, so every table and object in it.
    Bucket,
    /// Only these tables (resources `bucket/table`) and their objects.
    Tables(Vec<String>),
    Nothing,
}

/// The one rule for reading in a bucket, from the principal's decision.
pub fn readable(principal: &Principal, bucket: &str) -> Readable {
    if principal.may("storage", "read", Some(bucket)) == Decision::Allow {
        return Readable::Bucket;
    }
    let tables: Vec<String> = principal
        .effective
        .grants()
        .filter(|g| g.service == "storage" && g.permission == "read")
        .filter_map(|g| match &g.resource {
            Some(Resource::Id(r)) if table_of(bucket, r).is_some() => Some(r.clone()),
            _ => None,
        })
        .collect();
    if tables.is_empty() {
        Readable::Nothing
    } else {
        Readable::Tables(tables)
    }
}

/// The resource a grant must cover to read or write `key` in `bucket`.
pub fn object_resource(bucket: &str, key: &str) -> String {
    match key.split_once('/') {
        Some((table, rest)) if is_resource_id(table) && !rest.is_empty() => {
            format!("{bucket}/{table}")
        }
        _ => bucket.to_string(),
    }
}

/// The table a resource names within `bucket`, if it names one.
pub fn table_of<'a>(bucket: &str, resource: &'a str) -> Option<&'a str> {
    resource
        .strip_prefix(bucket)?
        .strip_prefix('/')
        .filter(|t| is_resource_id(t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::default_catalog;
    use crate::grant::{Grant, Principal};

    #[test]
    fn objects_live_in_tables_or_at_bucket_level() {
        assert_eq!(
            object_resource("in.c-main", "orders/2024.csv"),
            "in.c-main/orders"
        );
        assert_eq!(object_resource("in.c-main", "readme.txt"), "in.c-main");
        assert_eq!(object_resource("in.c-main", "orders/"), "in.c-main");
        assert_eq!(table_of("in.c-main", "in.c-main/orders"), Some("orders"));
        assert_eq!(table_of("in.c-main", "in.c-mainx/orders"), None);
        assert_eq!(table_of("in.c-main", "in.c-main"), None);
    }

    #[test]
    fn a_bucket_grant_covers_its_tables_and_a_table_grant_only_its_table() {
        let c = default_catalog();
        let g = |s: &str| Grant::parse_compact(s).unwrap();
        let bucket = Principal::new(&c, false, &[g("storage:read@in.c-main")]);
        assert!(bucket.effective.allows(&g("storage:read@in.c-main/orders")));
        let table = Principal::new(&c, false, &[g("storage:write@in.c-main/orders")]);
        assert!(
            table.effective.allows(&g("storage:read@in.c-main/orders")),
            "write implies read on the table"
        );
        assert!(!table.effective.allows(&g("storage:read@in.c-main")));
        assert!(!table
            .effective
            .allows(&g("storage:read@in.c-main/customers")));
        assert!(!table
            .effective
            .allows(&g("storage:read@in.c-main/orders-old")));
        // Held together, the bucket absorbs the table: one grant admits.
        let both = Principal::new(
            &c,
            false,
            &[
                g("storage:read@in.c-main/orders"),
                g("storage:read@in.c-main"),
            ],
        );
        assert_eq!(both.effective.grants().count(), 1);
        assert!(c.check(&g("storage:read@in.c-main/orders")).is_ok());
        assert!(c.check(&g("storage:read@in.c-main/orders/x")).is_err());
        assert!(c.check(&g("storage:read@/orders")).is_err());
        assert_eq!(readable(&bucket, "in.c-main"), Readable::Bucket);
        assert_eq!(
            readable(&table, "in.c-main"),
            Readable::Tables(vec!["in.c-main/orders".into()])
        );
        assert_eq!(readable(&table, "in.c-other"), Readable::Nothing);
    }
}
