//! What `POST /verify` asks of a key (Unkey's permission queries): a list
//! of grants that must all hold — the original form — or `{"all": [...]}`
//! and `{"any": [...]}` of grants and of each other, nested.

use crate::catalog::Catalog;
use crate::grant::{Effective, Grant};
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::borrow::Cow;

/// How deep `all`/`any` may nest: enough for any real query, and a bound
/// on the work one request can ask for.
pub const MAX_DEPTH: usize = 8;
/// How many grants one requirement may name in all.
pub const MAX_GRANTS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    Grant(Grant),
    /// Every one holds (also the plain list).
    All(Vec<Requirement>),
    /// At least one holds; `{"any": []}` never does.
    Any(Vec<Requirement>),
}

impl Requirement {
    /// Every grant named anywhere inside, in order.
    pub fn grants(&self) -> Vec<&Grant> {
        match self {
            Requirement::Grant(g) => vec![g],
            Requirement::All(items) | Requirement::Any(items) => {
                items.iter().flat_map(Requirement::grants).collect()
            }
        }
    }

    /// What is not met, in the words `verify` answers with: the first
    /// missing grant of an `all` (closed under implication, as before), or
    /// `any of (a, b)` when no alternative of an `any` holds.
    pub fn unmet(&self, catalog: &Catalog, held: &Effective) -> Option<String> {
        match self {
            Requirement::Grant(g) => held
                .missing_from(catalog, std::slice::from_ref(g))
                .map(|m| m.to_string()),
            Requirement::All(items) => {
                // A list of grants alone answers as `verify` always has:
                // the first missing grant of the list closed under
                // implication, in the catalog's order.
                let grants: Vec<Grant> = items
                    .iter()
                    .filter_map(|r| match r {
                        Requirement::Grant(g) => Some(g.clone()),
                        _ => None,
                    })
                    .collect();
                if grants.len() == items.len() {
                    held.missing_from(catalog, &grants).map(|m| m.to_string())
                } else {
                    items.iter().find_map(|r| r.unmet(catalog, held))
                }
            }
            Requirement::Any(items) => {
                if items.iter().any(|r| r.unmet(catalog, held).is_none()) {
                    None
                } else {
                    let names: Vec<String> = items.iter().map(Requirement::to_string).collect();
                    Some(format!("any of ({})", names.join(", ")))
                }
            }
        }
    }

    /// Parses the JSON form, naming the place at fault (`require.all[1]`).
    pub fn from_value(value: &Value) -> Result<Requirement, String> {
        let mut count = 0;
        parse(value, "require", 0, &mut count)
    }

    fn to_value(&self) -> Value {
        match self {
            Requirement::Grant(g) => serde_json::to_value(g).unwrap_or(Value::Null),
            // The original form, which every server version reads.
            Requirement::All(items) => {
                Value::Array(items.iter().map(Requirement::to_value).collect())
            }
            Requirement::Any(items) => {
                serde_json::json!({"any": items.iter().map(Requirement::to_value).collect::<Vec<_>>()})
            }
        }
    }
}

fn parse(value: &Value, at: &str, depth: usize, count: &mut usize) -> Result<Requirement, String> {
    if depth > MAX_DEPTH {
        return Err(format!("{at}: nests deeper than {MAX_DEPTH} levels"));
    }
    let items = |list: &Vec<Value>, name: &str, count: &mut usize| {
        list.iter()
            .enumerate()
            .map(|(i, v)| parse(v, &format!("{name}[{i}]"), depth + 1, count))
            .collect::<Result<Vec<_>, _>>()
    };
    match value {
        Value::Array(list) => Ok(Requirement::All(items(list, at, count)?)),
        Value::Object(map) if map.len() == 1 && map.contains_key("all") => match &map["all"] {
            Value::Array(list) => Ok(Requirement::All(items(list, &format!("{at}.all"), count)?)),
            _ => Err(format!("{at}.all: must be an array")),
        },
        Value::Object(map) if map.len() == 1 && map.contains_key("any") => match &map["any"] {
            Value::Array(list) => Ok(Requirement::Any(items(list, &format!("{at}.any"), count)?)),
            _ => Err(format!("{at}.any: must be an array")),
        },
        Value::Object(_) => {
            *count += 1;
            if *count > MAX_GRANTS {
                return Err(format!("{at}: more than {MAX_GRANTS} grants"));
            }
            Grant::deserialize(value)
                .map(Requirement::Grant)
                .map_err(|e| {
                    format!("{at}: not a grant, nor {{\"all\": […]}} or {{\"any\": […]}}: {e}")
                })
        }
        _ => Err(format!(
            "{at}: must be a grant, a list of grants, {{\"all\": […]}} or {{\"any\": […]}}"
        )),
    }
}

impl std::fmt::Display for Requirement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |items: &[Requirement]| {
            items
                .iter()
                .map(Requirement::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Requirement::Grant(g) => write!(f, "{g}"),
            Requirement::All(items) => write!(f, "all of ({})", list(items)),
            Requirement::Any(items) => write!(f, "any of ({})", list(items)),
        }
    }
}

impl Serialize for Requirement {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Requirement {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        Requirement::from_value(&value).map_err(serde::de::Error::custom)
    }
}

/// The schema says the forms generators can follow: recursion goes
/// through the named objects `RequirementAll` and `RequirementAny` only (a
/// union whose own alternative is a list of itself defeats them). A list
/// nested in a list, which the parser also reads as "all of", is stated as
/// a list of anything: the schema says less than the parser checks, never
/// more.
impl JsonSchema for Requirement {
    fn schema_name() -> Cow<'static, str> {
        "Requirement".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let grant = generator.subschema_for::<Grant>();
        let item = generator.subschema_for::<RequirementItem>();
        let all = generator.subschema_for::<RequirementAll>();
        let any = generator.subschema_for::<RequirementAny>();
        json_schema!({
            "description": format!("Grants that must all hold (a list), one grant, or {{\"all\": [...]}} / {{\"any\": [...]}} of grants and of each other, nested at most {MAX_DEPTH} deep, naming at most {MAX_GRANTS} grants."),
            "anyOf": [{"type": "array", "items": item}, grant, all, any]
        })
    }
}

/// One item of a list, an `all` or an `any`.
struct RequirementItem;

impl JsonSchema for RequirementItem {
    fn schema_name() -> Cow<'static, str> {
        "RequirementItem".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let grant = generator.subschema_for::<Grant>();
        let all = generator.subschema_for::<RequirementAll>();
        let any = generator.subschema_for::<RequirementAny>();
        json_schema!({
            "description": "A grant, an `all` or an `any`; or a list, which is all of its items (each one of these).",
            "anyOf": [grant, all, any, {"type": "array", "items": {}}]
        })
    }
}

/// `{"all": [...]}`.
struct RequirementAll;

impl JsonSchema for RequirementAll {
    fn schema_name() -> Cow<'static, str> {
        "RequirementAll".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let item = generator.subschema_for::<RequirementItem>();
        json_schema!({
            "type": "object",
            "description": "Every item holds; `{\"all\": []}` always does.",
            "required": ["all"],
            "additionalProperties": false,
            "properties": {"all": {"type": "array", "items": item}}
        })
    }
}

/// `{"any": [...]}`.
struct RequirementAny;

impl JsonSchema for RequirementAny {
    fn schema_name() -> Cow<'static, str> {
        "RequirementAny".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let item = generator.subschema_for::<RequirementItem>();
        json_schema!({
            "type": "object",
            "description": "At least one item holds; `{\"any\": []}` never does.",
            "required": ["any"],
            "additionalProperties": false,
            "properties": {"any": {"type": "array", "items": item}}
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::default_catalog;
    use proptest::prelude::*;
    use serde_json::json;

    fn g(compact: &str) -> Grant {
        Grant::parse_compact(compact).expect("a grant")
    }

    fn parse_json(v: Value) -> Result<Requirement, String> {
        Requirement::from_value(&v)
    }

    #[test]
    fn the_plain_list_is_all_of_it() {
        let r = parse_json(json!([
            {"service": "storage", "permission": "read", "resource": "a"}
        ]))
        .unwrap();
        assert_eq!(
            r,
            Requirement::All(vec![Requirement::Grant(g("storage:read@a"))])
        );
    }

    #[test]
    fn nested_all_and_any() {
        let c = default_catalog();
        let held = Effective::of(&c, &[g("storage:write@a"), g("tokens:read")]);
        let r = parse_json(json!({"all": [
            {"service": "tokens", "permission": "read"},
            {"any": [
                {"service": "storage", "permission": "read", "resource": "b"},
                {"service": "storage", "permission": "read", "resource": "a"}
            ]}
        ]}))
        .unwrap();
        // write@a implies read@a, so the `any` holds.
        assert_eq!(r.unmet(&c, &held), None);
        let r = parse_json(json!({"any": [
            {"service": "storage", "permission": "read", "resource": "b"},
            {"all": [{"service": "audit", "permission": "read"}]}
        ]}))
        .unwrap();
        assert_eq!(
            r.unmet(&c, &held).as_deref(),
            Some("any of (storage:read@b, all of (audit:read))")
        );
        assert!(parse_json(json!({"any": []}))
            .unwrap()
            .unmet(&c, &held)
            .is_some());
        assert!(parse_json(json!({"all": []}))
            .unwrap()
            .unmet(&c, &held)
            .is_none());
    }

    #[test]
    fn bad_shapes_name_their_place() {
        let e = parse_json(json!({"all": [{"any": 5}]})).unwrap_err();
        assert!(e.starts_with("require.all[0].any: must be an array"), "{e}");
        let e = parse_json(json!({"all": [], "any": []})).unwrap_err();
        assert!(e.starts_with("require: not a grant"), "{e}");
        let e = parse_json(json!("storage:read")).unwrap_err();
        assert!(e.starts_with("require: must be"), "{e}");
        let mut deep = json!([]);
        for _ in 0..=MAX_DEPTH {
            deep = json!({"all": [deep]});
        }
        assert!(parse_json(deep).unwrap_err().contains("deeper"));
        let many: Vec<Value> = (0..=MAX_GRANTS)
            .map(|_| json!({"service": "tokens", "permission": "read"}))
            .collect();
        assert!(parse_json(Value::Array(many))
            .unwrap_err()
            .contains("more than"));
    }

    fn arb_grant() -> impl Strategy<Value = Grant> {
        prop_oneof![
            Just(g("storage:read@a")),
            Just(g("storage:read@b")),
            Just(g("storage:write@a")),
            Just(g("storage:read@*")),
            Just(g("tokens:read")),
            Just(g("tokens:manage")),
            Just(g("audit:read")),
        ]
    }

    fn arb_requirement() -> impl Strategy<Value = Requirement> {
        arb_grant()
            .prop_map(Requirement::Grant)
            .prop_recursive(4, 24, 4, |inner| {
                prop_oneof![
                    proptest::collection::vec(inner.clone(), 0..4).prop_map(Requirement::All),
                    proptest::collection::vec(inner, 0..4).prop_map(Requirement::Any),
                ]
            })
    }

    /// The obvious reading of the query, grant by grant, through the same
    /// `allows` the edge decides with.
    fn holds(r: &Requirement, c: &Catalog, held: &Effective) -> bool {
        match r {
            Requirement::Grant(g) => held.missing_from(c, std::slice::from_ref(g)).is_none(),
            Requirement::All(items) => items.iter().all(|i| holds(i, c, held)),
            Requirement::Any(items) => items.iter().any(|i| holds(i, c, held)),
        }
    }

    proptest! {
        #[test]
        fn unmet_agrees_with_the_boolean_reading_and_survives_json(
            r in arb_requirement(),
            grants in proptest::collection::vec(arb_grant(), 0..4),
        ) {
            let c = default_catalog();
            let held = Effective::of(&c, &grants);
            prop_assert_eq!(r.unmet(&c, &held).is_none(), holds(&r, &c, &held));
            let back = Requirement::from_value(&serde_json::to_value(&r).unwrap()).unwrap();
            prop_assert_eq!(back, r);
        }

        #[test]
        fn a_plain_list_answers_as_it_did_before(grants in proptest::collection::vec(arb_grant(), 0..4),
                                                 required in proptest::collection::vec(arb_grant(), 0..4)) {
            let c = default_catalog();
            let held = Effective::of(&c, &grants);
            let r = Requirement::All(required.iter().cloned().map(Requirement::Grant).collect());
            prop_assert_eq!(
                r.unmet(&c, &held),
                held.missing_from(&c, &required).map(|m| m.to_string())
            );
        }
    }
}
