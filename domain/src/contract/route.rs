//! The route table's vocabulary: a route's method, handler, audit
//! target and flags, its request and answers as the document states them.

use super::Endpoint;
use crate::paths::PathTemplate;
#[cfg(feature = "openapi")]
use schemars::{JsonSchema, Schema, SchemaGenerator};

/// The methods the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    /// As on the wire: `GET`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// As the document's path items name it: `get`.
    pub const fn lowercase(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Put => "put",
            Method::Patch => "patch",
            Method::Delete => "delete",
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the audit target is formed from the path's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// No target.
    None,
    /// The named parameter.
    Param(&'static str),
    /// `{bucket}/{key}`.
    Object,
}

/// What a route is besides its handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags {
    /// Reachable without a credential.
    pub public: bool,
    /// Changes tokens, invitations, admins or the directory (not the data
    /// a token works on): what a retired secret may never do.
    pub changes_control_plane: bool,
    /// A successful call is recorded by the registry in the same step as
    /// the change itself; the front records everything else.
    pub audited_by_registry: bool,
    /// A create that takes an `Idempotency-Key`.
    pub idempotent: bool,
    /// A change of one versioned thing, guarded by `If-Match`.
    pub if_match: bool,
}

const PLAIN: Flags = Flags {
    public: false,
    changes_control_plane: false,
    audited_by_registry: false,
    idempotent: false,
    if_match: false,
};
/// Writes a type's schema into the generator and answers its reference.
#[cfg(feature = "openapi")]
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// The schema of `T` (a reference for named types).
#[cfg(feature = "openapi")]
pub fn schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// Without the generator (the workers), a schema is a placeholder: the
/// route table keeps its shape, and links none of the schemas.
#[cfg(not(feature = "openapi"))]
pub type SchemaFn = fn();

#[cfg(not(feature = "openapi"))]
pub fn schema<T: ?Sized>() {}

/// What a request carries.
#[derive(Debug, Clone, Copy)]
pub enum Body {
    None,
    Json {
        schema: SchemaFn,
        required: bool,
    },
    /// Any bytes, with their content type (objects).
    Bytes,
}

/// What a response carries.
#[derive(Debug, Clone, Copy)]
pub enum Reply {
    Empty,
    Json(SchemaFn),
    /// This document (`OpenApiDocument`).
    AnyJson,
    Problem,
    Bytes,
}

#[derive(Debug, Clone, Copy)]
pub struct Response {
    pub status: u16,
    pub description: &'static str,
    pub reply: Reply,
    /// Name and description of each header it documents.
    pub headers: &'static [(&'static str, &'static str)],
}

impl Response {
    pub const fn headers(self, headers: &'static [(&'static str, &'static str)]) -> Response {
        Response { headers, ..self }
    }
}

pub const fn json(status: u16, description: &'static str, schema: SchemaFn) -> Response {
    reply(status, description, Reply::Json(schema))
}
pub const fn any_json(status: u16, description: &'static str) -> Response {
    reply(status, description, Reply::AnyJson)
}
pub const fn empty(status: u16, description: &'static str) -> Response {
    reply(status, description, Reply::Empty)
}
pub const fn bytes(status: u16, description: &'static str) -> Response {
    reply(status, description, Reply::Bytes)
}
pub const fn problem(status: u16, description: &'static str) -> Response {
    reply(status, description, Reply::Problem)
}
const fn reply(status: u16, description: &'static str, reply: Reply) -> Response {
    Response {
        status,
        description,
        reply,
        headers: &[],
    }
}

pub const RETRY_AFTER: &[(&str, &str)] =
    &[("Retry-After", "Seconds until a request is allowed again")];

/// A query parameter; its schema as JSON text.
#[derive(Debug, Clone, Copy)]
pub struct Query {
    pub name: &'static str,
    pub schema: &'static str,
    pub description: &'static str,
    /// An object sent as `name[key]=value` pairs (`style: deepObject`).
    pub deep_object: bool,
}

pub const fn query(name: &'static str, schema: &'static str, description: &'static str) -> Query {
    Query {
        name,
        schema,
        description,
        deep_object: false,
    }
}

/// An object-valued query parameter, one `name[key]=value` pair per entry
/// (`style: deepObject`, `explode: true`).
pub const fn deep_object_query(
    name: &'static str,
    schema: &'static str,
    description: &'static str,
) -> Query {
    Query {
        deep_object: true,
        ..query(name, schema, description)
    }
}

pub const LIMIT: Query = query(
    "limit",
    r#"{"type": "integer", "minimum": 1, "maximum": 100, "default": 20}"#,
    "",
);
pub const OFFSET: Query = query(
    "offset",
    r#"{"type": "integer", "minimum": 0, "default": 0, "maximum": 1000000000}"#,
    "",
);

/// One route: a method on a path template, the handler it runs, how the
/// audit log names it, what it is besides, and what the document says of
/// it.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    pub method: Method,
    pub path: PathTemplate,
    pub endpoint: Endpoint,
    /// The audit log's action name.
    pub action: &'static str,
    pub target: Target,
    pub flags: Flags,
    pub summary: &'static str,
    /// The document's short `summary` when the first clause of `summary`
    /// (which is the operation's `description`) does not make one.
    pub short: Option<&'static str>,
    /// Also answers under `/projects/{project}`, acting in that project.
    pub in_projects: bool,
    pub query: &'static [Query],
    pub body: Body,
    pub responses: &'static [Response],
}

const fn operation(
    method: Method,
    path: PathTemplate,
    endpoint: Endpoint,
    summary: &'static str,
) -> Operation {
    Operation {
        method,
        path,
        endpoint,
        action: "",
        target: Target::None,
        flags: PLAIN,
        summary,
        short: None,
        in_projects: false,
        query: &[],
        body: Body::None,
        responses: &[],
    }
}
pub const fn get(path: PathTemplate, endpoint: Endpoint, summary: &'static str) -> Operation {
    operation(Method::Get, path, endpoint, summary)
}
pub const fn post(path: PathTemplate, endpoint: Endpoint, summary: &'static str) -> Operation {
    operation(Method::Post, path, endpoint, summary)
}
pub const fn put(path: PathTemplate, endpoint: Endpoint, summary: &'static str) -> Operation {
    operation(Method::Put, path, endpoint, summary)
}
pub const fn patch(path: PathTemplate, endpoint: Endpoint, summary: &'static str) -> Operation {
    operation(Method::Patch, path, endpoint, summary)
}
pub const fn delete(path: PathTemplate, endpoint: Endpoint, summary: &'static str) -> Operation {
    operation(Method::Delete, path, endpoint, summary)
}

impl Operation {
    /// A short summary, for an operation whose `summary` starts with
    /// something other than what it does.
    pub const fn short(self, short: &'static str) -> Operation {
        Operation {
            short: Some(short),
            ..self
        }
    }
    pub const fn in_projects(self) -> Operation {
        Operation {
            in_projects: true,
            ..self
        }
    }
    pub const fn audit(self, action: &'static str, target: Target) -> Operation {
        Operation {
            action,
            target,
            ..self
        }
    }
    /// Reachable without a credential.
    pub const fn public(self) -> Operation {
        let flags = Flags {
            public: true,
            ..self.flags
        };
        Operation { flags, ..self }
    }
    /// Changes tokens, invitations, admins or the directory; the registry
    /// records it.
    pub const fn control(self) -> Operation {
        let flags = Flags {
            changes_control_plane: true,
            audited_by_registry: true,
            ..self.flags
        };
        Operation { flags, ..self }
    }
    pub const fn audited_by_registry(self) -> Operation {
        let flags = Flags {
            audited_by_registry: true,
            ..self.flags
        };
        Operation { flags, ..self }
    }
    /// A create a retry may repeat with the same `Idempotency-Key`.
    pub const fn idempotent(self) -> Operation {
        let flags = Flags {
            idempotent: true,
            ..self.flags
        };
        Operation { flags, ..self }
    }
    /// A change that takes `If-Match` with the version an `ETag` gave.
    pub const fn if_match(self) -> Operation {
        let flags = Flags {
            if_match: true,
            ..self.flags
        };
        Operation { flags, ..self }
    }
    pub const fn query(self, query: &'static [Query]) -> Operation {
        Operation { query, ..self }
    }
    pub const fn json_body(self, schema: SchemaFn) -> Operation {
        let body = Body::Json {
            schema,
            required: true,
        };
        Operation { body, ..self }
    }
    pub const fn optional_json_body(self, schema: SchemaFn) -> Operation {
        let body = Body::Json {
            schema,
            required: false,
        };
        Operation { body, ..self }
    }
    pub const fn bytes_body(self) -> Operation {
        Operation {
            body: Body::Bytes,
            ..self
        }
    }
    pub const fn responses(self, responses: &'static [Response]) -> Operation {
        Operation { responses, ..self }
    }
}
