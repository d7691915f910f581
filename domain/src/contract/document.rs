//! The generator of the OpenAPI document (feature `openapi`): the
//! domain's tests and `examples/openapi.rs` use it; the workers do not.

use super::operations;
use super::*;
use crate::catalog::Catalog;
use crate::paths::{PathTemplate, BASE, PROJECT_SCOPE};
use crate::shapes;
use schemars::generate::{Contract, SchemaSettings};
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{json, Map, Value};

/// Bytes, as a request body or an answer.
fn binary() -> Value {
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
fn settle(value: &mut Value, named: &Map<String, Value>) {
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
fn merge_string_enums(map: &mut Map<String, Value>) {
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
fn split_nullable_enum(map: &mut Map<String, Value>) {
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
fn type_of(schema: &Value, named: &Map<String, Value>, depth: usize) -> Option<String> {
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

/// The document as the worker serves it: pretty-printed, with a final
/// newline.
pub fn render(catalog: &Catalog) -> String {
    let mut text = serde_json::to_string_pretty(&document(catalog)).unwrap_or_default();
    text.push('\n');
    text
}

fn generator(contract: Contract) -> SchemaGenerator {
    SchemaSettings::openapi3()
        .with(|s| s.contract = contract)
        .into_generator()
}

/// The path item of a template (under a prefix), created with its path
/// parameters on first use.
fn path_item(
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

fn path_parameter(path: PathTemplate, name: &str) -> Value {
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

/// An operation's JSON; `in_project`: its variant under
/// `/projects/{project}`, which also answers 404 for an unknown project.
fn operation_json(
    op: &Operation,
    in_project: bool,
    requests: &mut SchemaGenerator,
    answers: &mut SchemaGenerator,
) -> Value {
    let mut out = Map::new();
    out.insert("operationId".into(), operation_id(op, in_project).into());
    out.insert("tags".into(), json!([tag(op.path)]));
    let (summary, description) = if in_project {
        (
            format!("{} (in a project)", short_summary(op)),
            format!("{} — in the named project", op.summary),
        )
    } else {
        (short_summary(op).to_string(), op.summary.to_string())
    };
    out.insert("summary".into(), summary.into());
    out.insert("description".into(), description.into());
    if op.flags.public {
        out.insert("security".into(), json!([]));
    }
    if !op.query.is_empty() {
        let params: Vec<Value> = op
            .query
            .iter()
            .map(|q| {
                let schema: Value = serde_json::from_str(q.schema).unwrap_or(Value::Null);
                let mut param = json!({"name": q.name, "in": "query", "required": false, "schema": schema, "description": q.description});
                if q.deep_object {
                    param["style"] = "deepObject".into();
                    param["explode"] = true.into();
                }
                param
            })
            .collect();
        out.insert("parameters".into(), Value::Array(params));
    }
    match op.body {
        Body::None => {}
        Body::Json { schema, required } => {
            let schema = schema(requests).to_value();
            out.insert(
                "requestBody".into(),
                json!({"required": required, "content": {"application/json": {"schema": schema}}}),
            );
        }
        Body::Bytes => {
            out.insert(
                "requestBody".into(),
                json!({
                    "required": false,
                    "description": "The bytes, stored with the request's `Content-Type` (`application/octet-stream` when it has none), which downloads are served with. Any type is accepted; a JSON or text type must be valid JSON or UTF-8 (400 `invalid_request`, field `body`).",
                    "content": {"application/octet-stream": {"schema": binary()}},
                }),
            );
        }
    }
    let mut headers = vec![];
    if op.flags.idempotent {
        headers.push(json!({
            "name": "Idempotency-Key", "in": "header", "required": false,
            "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7E]+$"},
            "description": "Makes a retry safe: the same key and request within 24 hours answer what the first did (with `Idempotent-Replayed: true`; a secret it showed is issued anew, and the first one stops). Keys are per credential.",
        }));
    }
    if op.flags.if_match {
        headers.push(json!({
            "name": "If-Match", "in": "header", "required": false,
            "schema": {"type": "string"},
            "description": "The version (`ETag`) the change is meant for, or `*`; a stale one is 412 `precondition_failed` and changes nothing.",
        }));
    }
    if !headers.is_empty() {
        match out.get_mut("parameters") {
            Some(Value::Array(params)) => params.extend(headers),
            _ => {
                out.insert("parameters".into(), Value::Array(headers));
            }
        }
    }
    let mut responses = Map::new();
    for r in op.responses {
        responses.insert(r.status.to_string(), response_json(r, answers));
    }
    if in_project && !responses.contains_key("404") {
        let not_found = problem(404, "`not_found`");
        responses.insert("404".into(), response_json(&not_found, answers));
    }
    if (op.flags.if_match || op.flags.idempotent) && !responses.contains_key("400") {
        let bad = problem(400, "`invalid_request`: an `If-Match` that names no version, or an `Idempotency-Key` that is not 1-255 visible ASCII characters");
        responses.insert("400".into(), response_json(&bad, answers));
    }
    if op.flags.if_match && !responses.contains_key("412") {
        let stale = problem(
            412,
            "`precondition_failed`: `If-Match` named a version the thing no longer has",
        );
        responses.insert("412".into(), response_json(&stale, answers));
    }
    if op.flags.idempotent && !responses.contains_key("422") {
        let reused = problem(
            422,
            "`idempotency_key_reused`: the `Idempotency-Key` was used with another request",
        );
        responses.insert("422".into(), response_json(&reused, answers));
    }
    for (status, response) in responses.iter_mut() {
        note_headers(op, status, response);
    }
    out.insert("responses".into(), Value::Object(responses));
    Value::Object(out)
}

/// The headers many answers share, referenced from each.
fn common_headers() -> Value {
    json!({
        "X-Request-Id": {"schema": {"type": "string"}, "description": "The request's id, as in a problem's `request_id` and the audit entry"},
        "RateLimit-Policy": {"schema": {"type": "string"}, "description": "The token's rate limit: `\"per-minute\";q=<calls>;w=60`"},
        "RateLimit": {"schema": {"type": "string"}, "description": "About what is left of it: `\"per-minute\";r=<remaining>;t=<seconds>`"},
        "ETag": {"schema": {"type": "string"}, "description": "The version of what the answer shows, for `If-Match`"},
        "Idempotent-Replayed": {"schema": {"type": "string", "enum": ["true"]}, "description": "This is the kept answer to an earlier request with the same `Idempotency-Key`"},
    })
}

/// The shared headers a response carries: every answer its request id;
/// an authenticated call's its rate limit; a success that shows one
/// token, persona, member or project its version.
fn note_headers(op: &Operation, status: &str, response: &mut Value) {
    let Some(fields) = response.as_object_mut() else {
        return;
    };
    let mut names = vec!["X-Request-Id"];
    if !op.flags.public {
        names.extend(["RateLimit-Policy", "RateLimit"]);
    }
    let versioned = ["Token", "IssuedToken", "Persona", "Member", "Project"];
    let shows_one = fields
        .get("content")
        .and_then(|c| c.get("application/json"))
        .and_then(|m| m["schema"]["$ref"].as_str())
        .and_then(|r| r.rsplit('/').next())
        .is_some_and(|name| versioned.contains(&name));
    if status.starts_with('2') && shows_one {
        names.push("ETag");
    }
    if op.flags.idempotent && status.starts_with('2') {
        names.push("Idempotent-Replayed");
    }
    let headers = fields
        .entry("headers")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(h) = headers {
        for name in names {
            h.insert(
                name.into(),
                json!({"$ref": format!("#/components/headers/{name}")}),
            );
        }
    }
}

/// An operation's id: its handler's name in lowerCamelCase
/// (`Endpoint::CreateToken`: `createToken`), and `…InProject` for its
/// variant under `/projects/{project}`. Stable as long as the handler
/// keeps its name.
fn operation_id(op: &Operation, in_project: bool) -> String {
    let name = format!("{:?}", op.endpoint);
    let mut chars = name.chars();
    let mut id: String = chars
        .next()
        .map(|c| c.to_ascii_lowercase())
        .into_iter()
        .chain(chars)
        .collect();
    if in_project {
        id.push_str("InProject");
    }
    id
}

/// The document's tags: a name, what it groups, and the first path
/// segments (under `/api/v1`) whose operations carry it.
const TAGS: &[(&str, &str, &[&str])] = &[
    ("tokens", "Scoped tokens and global keys: create, list, edit, refresh, explain, narrow and elevate them; `whoami` and `verify`", &["tokens", "whoami", "verify"]),
    ("storage", "Buckets and their objects; each route also answers under `/projects/{project}`, acting in that project", &["buckets"]),
    ("personas", "Named sets of grants that tokens link", &["personas"]),
    ("members", "People without admin rights, their user tokens and personal keys", &["members"]),
    ("admins", "Admins and their master tokens", &["admins"]),
    ("projects", "Projects: their names, expiry policies and leak responses", &["projects"]),
    ("invitations", "Tokens sent by email, and the dev outbox that stands in for email", &["invitations", "outbox"]),
    ("audit", "The audit log", &["audit"]),
    ("leaks", "Secret scanning partners' reports of leaked secrets", &["leaks"]),
    ("sign-in", "Passkeys, sessions, enrolment links and the CLI's device authorization", &["auth", "enrolments", "me"]),
    ("meta", "Health, this document and the permission catalog", &["health", "openapi.json", "catalog"]),
];

/// The tag of an operation on `path`: from its first segment.
fn tag(path: PathTemplate) -> &'static str {
    let first = path.template().split('/').nth(1).unwrap_or("");
    TAGS.iter()
        .find(|(_, _, segments)| segments.contains(&first))
        .map(|(name, _, _)| *name)
        .unwrap_or("meta")
}

/// The short `summary`: the operation's own, or the first clause of its
/// text (up to `; `, `: `, ` (`, `. ` or `, `).
fn short_summary(op: &Operation) -> &'static str {
    if let Some(short) = op.short {
        return short;
    }
    let end = ["; ", ": ", " (", ". ", ", "]
        .iter()
        .filter_map(|sep| op.summary.find(sep))
        .min()
        .unwrap_or(op.summary.len());
    &op.summary[..end]
}

fn response_json(r: &Response, answers: &mut SchemaGenerator) -> Value {
    let mut out = Map::new();
    out.insert("description".into(), r.description.into());
    let content = match r.reply {
        Reply::Empty => None,
        Reply::Json(schema) => Some(("application/json", schema(answers).to_value())),
        Reply::AnyJson => Some((
            "application/json",
            json!({"$ref": "#/components/schemas/OpenApiDocument"}),
        )),
        Reply::Problem => Some((
            "application/problem+json",
            answers
                .subschema_for::<crate::problem::Problem>()
                .to_value(),
        )),
        Reply::Bytes => None,
    };
    if let Some((media, schema)) = content {
        out.insert("content".into(), json!({ media: {"schema": schema} }));
    }
    if let Reply::Bytes = r.reply {
        // Bytes come back with the type they were stored with: generators
        // take the first, `application/octet-stream`; `*/*` says any.
        out.insert(
            "content".into(),
            json!({
                "application/octet-stream": {"schema": binary()},
                "*/*": {"schema": binary()},
            }),
        );
    }
    if !r.headers.is_empty() {
        let headers: Map<String, Value> = r
            .headers
            .iter()
            .map(|(name, description)| {
                let kind = if *name == "Retry-After" {
                    "integer"
                } else {
                    "string"
                };
                (
                    name.to_string(),
                    json!({"schema": {"type": kind}, "description": description}),
                )
            })
            .collect();
        out.insert("headers".into(), Value::Object(headers));
    }
    Value::Object(out)
}

/// One alternative per permission of the catalog, so that a request naming
/// a permission the deployment does not offer fails the schema too.
fn grant_schema(catalog: &Catalog) -> Value {
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

trait InlineValue {
    fn json_schema_value() -> Value;
}

impl<T: JsonSchema> InlineValue for T {
    fn json_schema_value() -> Value {
        T::json_schema(&mut SchemaGenerator::default()).to_value()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;

    fn catalog() -> Catalog {
        Catalog::from_json(include_str!("../../../worker/catalog.json"))
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
    fn operation_ids_are_unique_and_every_operation_has_a_declared_tag() {
        let doc = document(&catalog());
        let declared: Vec<&str> = doc["tags"]
            .as_array()
            .map(|ts| ts.iter().filter_map(|t| t["name"].as_str()).collect())
            .unwrap_or_default();
        let mut ids = std::collections::BTreeSet::new();
        let mut count = 0;
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                if method == "parameters" {
                    continue;
                }
                count += 1;
                let id = op["operationId"].as_str().unwrap_or("");
                assert!(!id.is_empty(), "{method} {path} has no operationId");
                assert!(ids.insert(id.to_string()), "{id} twice ({method} {path})");
                let tags = op["tags"].as_array().cloned().unwrap_or_default();
                assert!(!tags.is_empty(), "{method} {path} has no tag");
                for t in tags {
                    assert!(
                        declared.contains(&t.as_str().unwrap_or("")),
                        "{t} is not declared"
                    );
                }
                assert!(
                    op["summary"]
                        .as_str()
                        .is_some_and(|s| !s.is_empty() && s.len() <= 80),
                    "{method} {path}: {}",
                    op["summary"]
                );
                assert!(
                    op["description"].as_str().is_some_and(|s| !s.is_empty()),
                    "{method} {path}"
                );
            }
        }
        assert_eq!(ids.len(), count);
        // Ids are the handlers' names: a client's function names.
        for id in [
            "createToken",
            "whoAmI",
            "listTokens",
            "putObject",
            "putObjectInProject",
            "verify",
        ] {
            assert!(ids.contains(id), "{id}");
        }
    }

    /// The worker serves `worker/openapi.json` as it is (`include_str!`).
    #[test]
    fn the_served_document_is_the_generated_one() {
        let served = include_str!("../../../worker/openapi.json");
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
