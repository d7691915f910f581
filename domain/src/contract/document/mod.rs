//! The generator of the OpenAPI document (feature `openapi`): the
//! domain's tests and `examples/openapi.rs` use it; the workers do not.

mod operation;
mod schemas;

use super::operations;
use crate::catalog::Catalog;
use crate::paths::{PathTemplate, BASE, PROJECT_SCOPE};
use crate::shapes;
use schemars::generate::{Contract, SchemaSettings};
use schemars::SchemaGenerator;
use serde_json::{json, Map, Value};

use operation::*;
use schemas::*;

/// Bytes, as a request body or an answer.
pub(super) fn binary() -> Value {
    json!({"type": "string", "format": "binary"})
}

/// The generated document for a deployment's catalog.
pub fn document(catalog: &Catalog) -> Value {
    // Requests are described as they are read, answers as they are written
    // (a field with a default may be left out of a request, yet is always
    // in an answer).
    let mut requests = generator(Contract::Deserialize);
    let mut answers = generator(Contract::Serialize);
    let mut paths = Map::new();
    let mut scoped = Map::new();
    for op in operations::OPERATIONS {
        let item = path_item(&mut paths, op.path, None);
        let json = operation_json(op, false, &mut requests, &mut answers);
        item.insert(op.method.lowercase().into(), json);
        if op.in_projects {
            let item = path_item(&mut scoped, op.path, Some(PROJECT_SCOPE));
            let json = operation_json(op, true, &mut requests, &mut answers);
            item.insert(op.method.lowercase().into(), json);
        }
    }
    paths.extend(scoped);
    let mut schemas = answers.take_definitions(true);
    for (name, schema) in requests.take_definitions(true) {
        schemas.entry(name).or_insert(schema);
    }
    schemas.insert("Grant".into(), grant_schema(catalog));
    schemas.insert(
        "OpenApiDocument".into(),
        json!({
            "type": "object",
            "description": "An OpenAPI 3.0 document: this one.",
            "required": ["openapi", "info", "paths"],
            "properties": {
                "openapi": {"type": "string", "pattern": "^3\\.0\\.[0-9]+$"},
                "info": {"type": "object", "additionalProperties": true},
                "paths": {"type": "object", "additionalProperties": true},
                "components": {"type": "object", "additionalProperties": true},
            },
            "additionalProperties": true,
        }),
    );
    let named = schemas.clone();
    let mut doc = json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Keyward",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Scoped API tokens enforced at the edge. Errors are application/problem+json with a stable `code`. Every answer names its request in `X-Request-Id` (also `request_id` in a problem and in the call's audit entry); every answer a token's rate limit governs states it in `RateLimit-Policy` and `RateLimit`. Tokens, personas, members and projects carry their version in `ETag`; a change with `If-Match` applies only to that version (412 `precondition_failed` otherwise). Creates take an `Idempotency-Key`: the same key and request within 24 hours get the first answer again (a secret it showed is issued anew); another request under the key is 422 `idempotency_key_reused`. JSON bodies must be sent as `application/json` (415 otherwise).",
            "license": {"name": env!("CARGO_PKG_LICENSE"), "url": "https://www.apache.org/licenses/LICENSE-2.0"},
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "tags": TAGS.iter().map(|(name, description, _)| json!({"name": name, "description": description})).collect::<Vec<_>>(),
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "kw_<m|s|p|u|g>_<random><checksum>"}
            },
            "schemas": schemas,
            "headers": common_headers(),
        },
    });
    settle(&mut doc, &named);
    doc
}

/// The document as the worker serves it: pretty-printed, with a final
/// newline.
pub fn render(catalog: &Catalog) -> String {
    let mut text = serde_json::to_string_pretty(&document(catalog)).unwrap_or_default();
    text.push('\n');
    text
}

pub(super) fn generator(contract: Contract) -> SchemaGenerator {
    SchemaSettings::openapi3()
        .with(|s| s.contract = contract)
        .into_generator()
}

/// The path item of a template (under a prefix), created with its path
/// parameters on first use.
pub(super) fn path_item(
    paths: &mut Map<String, Value>,
    path: PathTemplate,
    prefix: Option<PathTemplate>,
) -> &mut Map<String, Value> {
    let full = format!(
        "{BASE}{}{}",
        prefix.map(|p| p.template()).unwrap_or(""),
        path.template()
    );
    let item = paths.entry(full).or_insert_with(|| {
        let names = prefix
            .into_iter()
            .flat_map(|p| p.params())
            .chain(path.params());
        let params: Vec<Value> = names.map(|n| path_parameter(path, n)).collect();
        let mut item = Map::new();
        if !params.is_empty() {
            item.insert("parameters".into(), Value::Array(params));
        }
        Value::Object(item)
    });
    match item {
        Value::Object(map) => map,
        _ => unreachable!("path items are objects"),
    }
}

pub(super) fn path_parameter(path: PathTemplate, name: &str) -> Value {
    let (schema, description) = match name {
        "project" => (shapes::ProjectId::json_schema_value(), "A project id"),
        "bucket" => (shapes::ResourceId::json_schema_value(), "A bucket id"),
        "key" if path.template().contains("{bucket}") => (
            json!({"type": "string", "pattern": shapes::object_key_pattern()}),
            "1-256 printable ASCII characters; '/' must be percent-encoded",
        ),
        _ => (json!({"type": "string"}), ""),
    };
    json!({"name": name, "in": "path", "required": true, "schema": schema, "description": description})
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn catalog() -> Catalog {
        Catalog::from_json(include_str!("../../../../worker/catalog.json"))
            .expect("the shipped catalog")
    }

    #[test]
    fn every_operation_is_documented_once_with_its_parameters() {
        let doc = document(&catalog());
        let mut seen = std::collections::BTreeSet::new();
        for op in operations::OPERATIONS {
            assert!(
                seen.insert((op.method, op.path)),
                "{} {:?} twice",
                op.method,
                op.path
            );
            let path = format!("{BASE}{}", op.path.template());
            let item = &doc["paths"][&path];
            assert!(
                item[op.method.lowercase()].is_object(),
                "{} {path}",
                op.method
            );
            let documented: Vec<&str> = item["parameters"]
                .as_array()
                .map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect())
                .unwrap_or_default();
            assert_eq!(documented, op.path.params().collect::<Vec<_>>(), "{path}");
        }
    }

    #[test]
    fn the_served_document_is_the_generated_one() {
        let served = include_str!("../../../../worker/openapi.json");
        assert!(
            served == render(&catalog()),
            "worker/openapi.json is not what the API types generate; run\n  \
             cargo run -q -p keyward-domain --example openapi > worker/openapi.json"
        );
    }

    #[test]
    fn every_reference_resolves() {
        let doc = document(&catalog());
        let text = doc.to_string();
        for piece in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = piece.split('"').next().unwrap_or("");
            assert!(doc["components"]["schemas"][name].is_object(), "{name}");
        }
    }

    /// OpenAPI 3.0.3: `nullable` only widens a `type` beside it; and a
    /// model's field cannot carry an object as its default.

    #[test]
    fn requests_refuse_unknown_fields_and_answers_always_carry_their_fields() {
        let doc = document(&catalog());
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["CreateToken"]["additionalProperties"], json!(false));
        assert_eq!(schemas["CreateToken"]["required"], json!(["name"]));
        let token_required = schemas["Token"]["required"].to_string();
        for field in ["expires_at", "last_used_at", "rate_limit", "personas"] {
            assert!(token_required.contains(field), "{field}: {token_required}");
        }
        assert_eq!(
            schemas["Token"]["properties"]["expires_at"]["nullable"],
            json!(true)
        );
    }
}
