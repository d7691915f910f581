//! The permission catalog shipped with the worker.

use keyward_domain::Catalog;
use std::sync::OnceLock;

static CATALOG: OnceLock<Catalog> = OnceLock::new();

/// The catalog shipped with the worker, parsed once per isolate.
pub fn catalog() -> Catalog {
    catalog_ref().clone()
}

pub fn catalog_ref() -> &'static Catalog {
    CATALOG.get_or_init(|| {
        Catalog::from_json(include_str!("../catalog.json"))
            .expect("catalog.json is checked by the tests")
    })
}
