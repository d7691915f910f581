//! The OpenAPI document, generated: paths from [`operations::OPERATIONS`]
//! (whose templates the worker's route table uses too), schemas from the
//! API types, the grant schema from the catalog. `worker/openapi.json` is
//! this output, and a test fails when the two differ.

mod action;
pub mod operations;
mod route;

pub use action::{Action, Event};
pub use operations::{Endpoint, OPERATIONS};
pub use route::*;

#[cfg(feature = "openapi")]
mod document;
#[cfg(feature = "openapi")]
pub use document::{document, render};

use crate::grant::Grant;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use std::borrow::Cow;

/// Grants are checked against the deployment's catalog, so their schema is
/// the document's `grant_schema`; this stands in until the document replaces it.
impl JsonSchema for Grant {
    fn schema_name() -> Cow<'static, str> {
        "Grant".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "object"})
    }
}
