//! The schemas, settled: what schemars writes said the way OpenAPI 3.0.3
//! tools and generators take it, and the grant schema the catalog lists.

use crate::catalog::Catalog;
use crate::shapes;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{json, Map, Value};

/// What schemars' OpenAPI 3.0 output says in a way OpenAPI 3.0.3 tools
/// refuse or generators cannot use, said another way, everywhere in the
/// document:
/// - An `Option` of a type without a `type` of its own (a reference, a
///   union) is `anyOf: [T, {nullable: true, enum: [null]}]`: `nullable`
///   means nothing without a `type` beside it (3.0.3), so the null
///   alternative gets one, the type of `T` where it has one.
/// - An `Option` of an inline enum lists `null` among its values: it
///   becomes the enum or null, as an `Option` of a reference is (a
///   generator makes one enum of it, not one per reading of `null`).
/// - An enum whose variants have doc comments is a `oneOf` of one-value
///   string enums: it becomes one string enum (one enum in a client), the
///   variants' comments in its description.
/// - A field of a named object type with a `default` (`#[serde(default)]`)
///   is `allOf: [{$ref}]` with an object as `default`, which generators
///   cannot give a model; the default goes into its description.
pub(super) fn settle(value: &mut Value, named: &Map<String, Value>) {
    match value {
        Value::Object(map) => {
            merge_string_enums(map);
            split_nullable_enum(map);
            if let Some(Value::Array(alternatives)) = map.get_mut("anyOf") {
                let null = json!({"nullable": true, "enum": [null]});
                if let Some(at) = alternatives.iter().position(|a| *a == null) {
                    let types: std::collections::BTreeSet<Option<String>> = alternatives
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| *i != at)
                        .map(|(_, a)| type_of(a, named, 0))
                        .collect();
                    let kind = match types.into_iter().collect::<Vec<_>>().as_slice() {
                        [Some(kind)] => kind.clone(),
                        _ => "object".to_string(),
                    };
                    alternatives[at] = json!({"type": kind, "nullable": true, "enum": [null]});
                }
            }
            let model_default = map.contains_key("default")
                && matches!(map.get("allOf"), Some(Value::Array(all)) if all.len() == 1
                    && type_of(&all[0], named, 0).as_deref() == Some("object"));
            if model_default {
                let default = map.remove("default").unwrap_or(Value::Null);
                let text = map
                    .get("description")
                    .and_then(Value::as_str)
                    .map(|d| format!("{d}\n\n"))
                    .unwrap_or_default();
                map.insert(
                    "description".into(),
                    format!("{text}Default: `{default}`.").into(),
                );
            }
            for v in map.values_mut() {
                settle(v, named);
            }
        }
        Value::Array(items) => {
            for v in items {
                settle(v, named);
            }
        }
        _ => {}
    }
}

/// `{oneOf: [{type: string, enum: [a, b]}, {type: string, enum: [c],
/// description}]}` → `{type: string, enum: [a, b, c]}`, `c`'s description
/// in the enum's.
pub(super) fn merge_string_enums(map: &mut Map<String, Value>) {
    let key = match (map.get("oneOf"), map.get("anyOf")) {
        (Some(_), None) => "oneOf",
        (None, Some(_)) => "anyOf",
        _ => return,
    };
    let Some(Value::Array(alternatives)) = map.get(key) else {
        return;
    };
    let plain = |a: &Value| {
        a.as_object().is_some_and(|o| {
            o.get("type") == Some(&json!("string"))
                && o.keys()
                    .all(|k| ["type", "enum", "description"].contains(&k.as_str()))
                && o.get("enum")
                    .and_then(Value::as_array)
                    .is_some_and(|e| e.iter().all(Value::is_string))
        })
    };
    if alternatives.len() < 2 || !alternatives.iter().all(plain) {
        return;
    }
    let mut values = vec![];
    let mut notes = vec![];
    for a in alternatives {
        let these: Vec<Value> = a["enum"].as_array().cloned().unwrap_or_default();
        if let Some(d) = a.get("description").and_then(Value::as_str) {
            let names: Vec<String> = these
                .iter()
                .map(|v| format!("`{}`", v.as_str().unwrap_or("")))
                .collect();
            notes.push(format!("{}: {}", names.join(", "), d.replace('\n', " ")));
        }
        values.extend(these);
    }
    map.remove(key);
    map.insert("type".into(), "string".into());
    map.insert("enum".into(), Value::Array(values));
    if !notes.is_empty() {
        let mut text = map
            .get("description")
            .and_then(Value::as_str)
            .map(|d| format!("{d}\n\n"))
            .unwrap_or_default();
        text.push_str(&notes.join("\n\n"));
        map.insert("description".into(), text.into());
    }
}

/// `{type: string, enum: [a, b, null], nullable: true}` →
/// `{anyOf: [{type: string, enum: [a, b]}, {type: string, nullable: true, enum: [null]}]}`.
pub(super) fn split_nullable_enum(map: &mut Map<String, Value>) {
    let Some(Value::Array(values)) = map.get("enum") else {
        return;
    };
    if map.get("nullable") != Some(&Value::Bool(true))
        || !values.contains(&Value::Null)
        || values.iter().all(Value::is_null)
    {
        return;
    }
    let values: Vec<Value> = values.iter().filter(|v| !v.is_null()).cloned().collect();
    let mut base = std::mem::take(map);
    for key in ["description", "title", "default"] {
        if let Some(v) = base.remove(key) {
            map.insert(key.into(), v);
        }
    }
    base.remove("nullable");
    base.insert("enum".into(), Value::Array(values));
    let kind = base.get("type").cloned().unwrap_or_else(|| "string".into());
    map.insert(
        "anyOf".into(),
        json!([base, {"type": kind, "nullable": true, "enum": [null]}]),
    );
}

/// The JSON type a schema admits (besides null), when it is one: its
/// `type`, its reference's, or the one its alternatives agree on.
pub(super) fn type_of(schema: &Value, named: &Map<String, Value>, depth: usize) -> Option<String> {
    if depth > 8 {
        return None;
    }
    if let Some(kind) = schema.get("type").and_then(Value::as_str) {
        return Some(kind.to_string());
    }
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.strip_prefix("#/components/schemas/")?;
        return type_of(named.get(name)?, named, depth + 1);
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(alternatives)) = schema.get(key) {
            let kinds: std::collections::BTreeSet<Option<String>> = alternatives
                .iter()
                .filter(|a| a.get("enum") != Some(&json!([null])))
                .map(|a| type_of(a, named, depth + 1))
                .collect();
            return match kinds.into_iter().collect::<Vec<_>>().as_slice() {
                [Some(kind)] => Some(kind.clone()),
                _ => None,
            };
        }
    }
    None
}

/// One alternative per permission of the catalog, so that a request naming
/// a permission the deployment does not offer fails the schema too.
pub(super) fn grant_schema(catalog: &Catalog) -> Value {
    let one_of: Vec<Value> = catalog
        .services
        .iter()
        .flat_map(|service| {
            service.permissions.iter().map(move |p| {
                let mut properties = json!({
                    "service": {"type": "string", "enum": [service.id]},
                    "permission": {"type": "string", "enum": [p.id]},
                });
                let mut required = vec!["service", "permission"];
                if let Some(rt) = &p.resource_type {
                    let noun = rt.replace('_', " ");
                    properties["resource"] = json!({
                        "type": "string",
                        "pattern": shapes::grant_resource_pattern(),
                        "description": format!("`*` for every {noun}, one {noun} id, or a part of one as `id/part` (a bucket's table: `in.c-main/orders`), which a grant on the id covers"),
                    });
                    required.push("resource");
                }
                json!({
                    "type": "object",
                    // `storage: write`: readable, and generators make `StorageWrite` of it
                    // (of `storage:write`, `Storagewrite`).
                    "title": format!("{}: {}", service.id, p.id),
                    "required": required,
                    "additionalProperties": false,
                    "properties": properties,
                })
            })
        })
        .collect();
    json!({
        "description": "One permission of the catalog (`GET /api/v1/catalog`), on `*` or one resource for permissions with a resource type.",
        "oneOf": one_of,
    })
}

pub(super) trait InlineValue {
    fn json_schema_value() -> Value;
}

impl<T: JsonSchema> InlineValue for T {
    fn json_schema_value() -> Value {
        T::json_schema(&mut SchemaGenerator::default()).to_value()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::catalog;
    use super::*;
    use crate::contract::document;
    use proptest::strategy::Strategy;

    #[test]
    fn nullable_stands_beside_a_type_and_no_model_field_has_a_default() {
        fn walk(v: &Value, at: &str) {
            match v {
                Value::Object(map) => {
                    if map.contains_key("nullable") {
                        assert!(map.contains_key("type"), "{at}: nullable without type");
                    }
                    if map.contains_key("allOf") {
                        let default = map.get("default").unwrap_or(&Value::Null);
                        assert!(!default.is_object(), "{at}: an object default beside allOf");
                    }
                    for (k, v) in map {
                        walk(v, &format!("{at}/{k}"));
                    }
                }
                Value::Array(items) => {
                    for (i, v) in items.iter().enumerate() {
                        walk(v, &format!("{at}/{i}"));
                    }
                }
                _ => {}
            }
        }
        walk(&document(&catalog()), "#");
    }

    /// One enum in a client for each Rust enum, nullable or not.
    #[test]
    fn enums_are_one_string_enum() {
        let doc = document(&catalog());
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["TokenKind"]["enum"],
            json!(["master", "scoped", "personal", "user", "global"])
        );
        assert!(schemas["TokenKind"]["description"]
            .as_str()
            .is_some_and(|d| d.contains("`user`: A member's own credential")));
        assert_eq!(
            schemas["CreateToken"]["properties"]["kind"]["anyOf"],
            json!([
                {"type": "string", "enum": ["scoped", "global"]},
                {"type": "string", "nullable": true, "enum": [null]}
            ])
        );
    }

    #[test]
    fn the_grant_schema_lists_the_catalog() {
        let catalog = catalog();
        let doc = document(&catalog);
        let titles: Vec<&str> = doc["components"]["schemas"]["Grant"]["oneOf"]
            .as_array()
            .map(|a| a.iter().filter_map(|g| g["title"].as_str()).collect())
            .unwrap_or_default();
        let expected: usize = catalog.services.iter().map(|s| s.permissions.len()).sum();
        assert_eq!(titles.len(), expected);
        assert!(titles.contains(&"storage: write"));
    }

    /// The pattern of a grant's `resource`, from the document.
    fn resource_pattern(doc: &Value) -> regex::Regex {
        let storage_read = doc["components"]["schemas"]["Grant"]["oneOf"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|g| g["title"] == "storage: read")
            .expect("storage:read is in the catalog");
        let pattern = storage_read["properties"]["resource"]["pattern"]
            .as_str()
            .expect("a pattern");
        regex::Regex::new(pattern).expect("the pattern compiles")
    }

    /// What the API does with a grant naming `resource`.
    fn accepted(catalog: &Catalog, resource: &str) -> bool {
        let grant = crate::grant::Grant::new(
            "storage",
            "read",
            Some(crate::grant::Resource::parse(resource)),
        );
        catalog.check(&grant).is_ok()
    }

    #[test]
    fn the_grant_resource_pattern_admits_table_grants() {
        let catalog = catalog();
        let pattern = resource_pattern(&document(&catalog));
        let id = "x".repeat(crate::validate::RESOURCE_ID_MAX);
        for yes in [
            "*",
            "in.c-main",
            "in.c-main/orders",
            &id,
            &format!("{id}/{id}"),
        ] {
            assert!(accepted(&catalog, yes) && pattern.is_match(yes), "{yes}");
        }
        let long = format!("{id}x");
        for no in [
            "",
            "a/b/c",
            "*/orders",
            "in.c-main/*",
            "/orders",
            "orders/",
            "a b",
            &long,
        ] {
            assert!(!accepted(&catalog, no) && !pattern.is_match(no), "{no}");
        }
    }

    proptest::proptest! {
        /// The schema states exactly the parser's rule: a grant's resource
        /// the API accepts matches the pattern, and one it refuses does not.
        #[test]
        fn the_grant_resource_pattern_is_the_parsers_rule(resource in proptest::prop_oneof![
            // Ids, stars and odd characters joined by slashes, ids
            // around the length limit.
            proptest::collection::vec(
                proptest::prop_oneof![
                    "[A-Za-z0-9._-]{0,4}",
                    "[A-Za-z0-9._-]{95,97}",
                    proptest::strategy::Just("*".to_string()),
                    "[a* @:/]{1,2}",
                ],
                1..4,
            )
            .prop_map(|parts| parts.join("/")),
            "[a*/. @-]{0,6}",
            "\\PC{0,12}",
            ".{0,3}",
        ]) {
            static PATTERN: std::sync::OnceLock<(Catalog, regex::Regex)> = std::sync::OnceLock::new();
            let (catalog, pattern) = PATTERN.get_or_init(|| {
                let catalog = catalog();
                let pattern = resource_pattern(&document(&catalog));
                (catalog, pattern)
            });
            proptest::prop_assert_eq!(
                accepted(catalog, &resource),
                pattern.is_match(&resource),
                "{:?}",
                resource
            );
        }
    }
}
