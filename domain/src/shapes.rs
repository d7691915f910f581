//! The API's small fields as types: each parses its value at the boundary
//! (naming the field when it cannot) and states its schema from the same
//! limits, so a [`Name`] in hand is a valid name and the document says
//! what makes one. A request body keeps the wire's `String` (one 400
//! names every bad field at once, where a typed body would stop at the
//! first) and names its field's type for the document
//! (`#[schemars(with = "Name")]`); parsing it (`NewToken::parse`) yields
//! the type. The shapes without a parser of their own (instants,
//! lifetimes, limits) only carry a schema.
//!
//! A shape may say less than the parser enforces, never more: the contract
//! fuzzer sends what a shape forbids and expects a 4xx.

use crate::expiry::NEVER_SECONDS;
use crate::problem::FieldError;
use crate::validate;
use crate::validate::{
    DESCRIPTION_MAX, EMAIL_MAX, INVITATION_DEFAULT_SECONDS, INVITATION_MAX_SECONDS,
    MAX_LIFETIME_SECONDS, MAX_OVERLAP_SECONDS, MESSAGE_MAX, NAME_MAX, OBJECT_KEY_MAX,
    PROJECT_ID_MAX, RATE_LIMIT_MAX, RESOURCE_ID_MAX,
};
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// C0 and C1 controls, as a character-class body.
const CONTROLS: &str = r"\u0000-\u001F\u007F-\u009F";
/// Controls but tab and line feeds, which descriptions and messages keep.
const CONTROLS_BUT_LINES: &str = r"\u0000-\u0008\u000B-\u001F\u007F-\u009F";

/// A name: at least one visible character, no controls.
pub fn name_pattern() -> String {
    format!("^[^{CONTROLS}]*[^\\s{CONTROLS}][^{CONTROLS}]*$")
}

/// One resource id, unanchored: `validate::is_resource_id`.
fn resource_id() -> String {
    format!("[A-Za-z0-9._-]{{1,{RESOURCE_ID_MAX}}}")
}

/// A resource id (bucket, component, persona …).
pub fn resource_id_pattern() -> String {
    format!("^{}$", resource_id())
}

/// What a grant's `resource` may be: `*`, an id, or a part of one,
/// `parent/part` (`in.c-main/orders`): `Resource::parse` and
/// `validate::is_grant_resource`. Within the syntax JSON Schema (ECMA-262)
/// and the `regex` crate share, so a test can hold it to the parser.
pub fn grant_resource_pattern() -> String {
    let id = resource_id();
    format!("^(\\*|{id}(/{id})?)$")
}

pub fn project_id_pattern() -> String {
    format!("^[a-z][a-z0-9-]{{0,{}}}$", PROJECT_ID_MAX - 1)
}

pub fn object_key_pattern() -> String {
    format!("^[\\u0020-\\u007E]{{1,{OBJECT_KEY_MAX}}}$")
}

fn free_text_pattern() -> String {
    format!("^[^{CONTROLS_BUT_LINES}]*$")
}

fn email_pattern() -> String {
    let part = format!("[^@\\s.{CONTROLS}]+");
    format!("^[^@\\s{CONTROLS}]+@{part}(\\.{part})+$")
}

macro_rules! shape {
    ($(#[$doc:meta])* $name:ident => $schema:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                $schema
            }
        }
    };
}

shape!(/// An instant, RFC 3339.
    Timestamp => json_schema!({"type": "string", "format": "date-time"}));
macro_rules! field {
    ($(#[$doc:meta])* $name:ident, $parse:expr => $schema:expr) => {
        $(#[$doc])*
        ///
        /// Only [`Self::parse`] makes one from outside (deserializing is
        /// for what the front parsed already, on its way to the registry).
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// `raw` as one, or why not, naming `field`.
            pub fn parse(field: &str, raw: &str) -> Result<$name, FieldError> {
                let parse: fn(&str, &str) -> Result<String, FieldError> = $parse;
                parse(field, raw).map($name)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                $schema
            }
        }
    };
}

field!(/// A name: trimmed, 1 to 100 visible characters, no controls.
    Name, validate::name => json_schema!({
    "type": "string", "minLength": 1, "maxLength": NAME_MAX, "pattern": name_pattern()
}));
field!(/// A token's name as a person chooses it: a [`Name`] that does not
    /// start like the names Keyward gives its own tokens.
    TokenName, validate::token_name => json_schema!({
    "type": "string", "minLength": 1, "maxLength": NAME_MAX, "pattern": name_pattern()
}));
field!(/// Free text: at most 1000 characters, lines and tabs but no other controls.
    Description, validate::description => json_schema!({
    "type": "string", "maxLength": DESCRIPTION_MAX, "pattern": free_text_pattern()
}));
field!(/// An email address, lowercased.
    Email, validate::email => json_schema!({
    "type": "string", "maxLength": EMAIL_MAX, "pattern": email_pattern()
}));
field!(/// A bucket's, component's or other resource's id (`in.c-main`).
    ResourceId, validate::resource_id => json_schema!({"type": "string", "pattern": resource_id_pattern()}));
field!(/// A persona's id: a resource id.
    PersonaId, |field, raw| {
        validate::is_resource_id(raw)
            .then(|| raw.to_string())
            .ok_or_else(|| FieldError::new(field, "must be a persona id"))
    } => json_schema!({"type": "string", "pattern": resource_id_pattern()}));
field!(/// A project's id: lowercase letters, digits and '-', from a letter.
    ProjectId, validate::project_id => json_schema!({
    "type": "string", "pattern": project_id_pattern(), "maxLength": PROJECT_ID_MAX
}));
shape!(/// An invitation email's message (`invitation::message`).
    Message => json_schema!({
    "type": "string", "maxLength": MESSAGE_MAX, "pattern": free_text_pattern()
}));

shape!(/// Seconds from now, or Atlan's "never".
    Lifetime => json_schema!({
    "anyOf": [
        {"type": "integer", "minimum": 1, "maximum": MAX_LIFETIME_SECONDS},
        {"type": "integer", "enum": [NEVER_SECONDS]}
    ]
}));
shape!(/// Seconds the invitation stays valid.
    InvitationValidity => json_schema!({
    "type": "integer", "minimum": 1, "maximum": INVITATION_MAX_SECONDS,
    "default": INVITATION_DEFAULT_SECONDS
}));
shape!(/// Requests per minute.
    RateLimit => json_schema!({"type": "integer", "minimum": 1, "maximum": RATE_LIMIT_MAX}));
shape!(/// Seconds the old secret keeps working.
    Overlap => json_schema!({"type": "integer", "minimum": 0, "maximum": MAX_OVERLAP_SECONDS}));
shape!(/// The kinds of token `POST /tokens` makes.
    CreatableKind => json_schema!({"type": "string", "enum": ["scoped", "global"]}));
