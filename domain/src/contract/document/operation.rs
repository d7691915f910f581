//! One operation in the document: its parameters, bodies, answers and
//! headers, its id, tag and summary.

use super::super::*;
use crate::paths::PathTemplate;
use schemars::SchemaGenerator;
use serde_json::{json, Map, Value};

use super::*;

/// An operation's JSON; `in_project`: its variant under
/// `/projects/{project}`, which also answers 404 for an unknown project.
pub(super) fn operation_json(
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
pub(super) fn common_headers() -> Value {
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
pub(super) fn note_headers(op: &Operation, status: &str, response: &mut Value) {
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
pub(super) fn operation_id(op: &Operation, in_project: bool) -> String {
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
pub(super) const TAGS: &[(&str, &str, &[&str])] = &[
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
pub(super) fn tag(path: PathTemplate) -> &'static str {
    let first = path.template().split('/').nth(1).unwrap_or("");
    TAGS.iter()
        .find(|(_, _, segments)| segments.contains(&first))
        .map(|(name, _, _)| *name)
        .unwrap_or("meta")
}

/// The short `summary`: the operation's own, or the first clause of its
/// text (up to `; `, `: `, ` (`, `. ` or `, `).
pub(super) fn short_summary(op: &Operation) -> &'static str {
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

pub(super) fn response_json(r: &Response, answers: &mut SchemaGenerator) -> Value {
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

#[cfg(test)]
mod tests {
    use super::super::tests::catalog;

    use crate::contract::document;

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
}
