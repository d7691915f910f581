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

/// Checks every grant against the catalog, naming each one at fault.
pub fn check_grants(
    catalog: &keyward_domain::Catalog,
    grants: Vec<keyward_domain::Grant>,
) -> crate::http::ApiResult<Vec<keyward_domain::Grant>> {
    Ok(keyward_domain::token_input::checked_grants(
        catalog, grants,
    )?)
}
