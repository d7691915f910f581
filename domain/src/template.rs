//! What the gateway's routes and its JWT issuers are written with: grant
//! templates (`service:permission@{param}`), settings that may name an
//! environment variable, and the one rule for values that go into headers.

use crate::catalog::Catalog;
use crate::grant::{Grant, Resource};
use crate::validate;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// A configuration value that is either written in the file or taken from
/// the environment: `"${NAME}"` (the whole string) names a variable, so that
/// URLs and keys differ per deployment while the routes ship with the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting {
    Literal(String),
    Env(String),
}

impl Setting {
    pub fn parse(s: &str) -> Setting {
        match s.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
            Some(name) if !name.is_empty() && name.bytes().all(is_env_name_byte) => {
                Setting::Env(name.to_string())
            }
            _ => Setting::Literal(s.to_string()),
        }
    }

    /// The value, or `None` when the variable is unset or empty: a setting
    /// that is not there leaves its route or issuer inactive, never open.
    pub fn resolve(&self, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        match self {
            Setting::Literal(s) => Some(s.clone()),
            Setting::Env(name) => env(name).filter(|v| !v.trim().is_empty()),
        }
    }
}

pub(crate) fn is_env_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'de> Deserialize<'de> for Setting {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Setting::parse(&String::deserialize(d)?))
    }
}

/// Where a required grant's resource comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceTemplate {
    None,
    Fixed(Resource),
    /// `{param}`, or `{parent}/{part}` for a part of a resource (a Keboola
    /// table of a bucket: `{bucket}/{table}`), which a grant on the parent
    /// covers as well.
    Param(Vec<String>),
}

/// `service:permission@{param}` or `@{parent}/{part}` (or a fixed
/// resource, or none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantTemplate {
    pub service: String,
    pub permission: String,
    pub resource: ResourceTemplate,
}

impl GrantTemplate {
    pub fn parse(s: &str) -> Result<GrantTemplate, String> {
        let bad = || format!("'{s}' is not a grant (service:permission[@resource|@{{param}}])");
        let (sp, resource) = match s.split_once('@') {
            Some((sp, r)) => {
                let res = if r.starts_with('{') {
                    ResourceTemplate::Param(parse_params(r).ok_or_else(bad)?)
                } else if r.is_empty() || r.contains(['{', '}']) {
                    return Err(bad());
                } else {
                    ResourceTemplate::Fixed(Resource::parse(r))
                };
                (sp, res)
            }
            None => (s, ResourceTemplate::None),
        };
        let (service, permission) = sp.split_once(':').ok_or_else(bad)?;
        if service.is_empty() || permission.is_empty() {
            return Err(bad());
        }
        Ok(GrantTemplate {
            service: service.to_string(),
            permission: permission.to_string(),
            resource,
        })
    }

    /// The concrete grant for these parameters. A parameter used as a
    /// resource must be a valid resource id: `*` from a path must never
    /// turn into "every resource".
    pub fn instantiate(&self, params: &BTreeMap<String, String>) -> Result<Grant, String> {
        let resource = match &self.resource {
            ResourceTemplate::None => None,
            ResourceTemplate::Fixed(r) => Some(r.clone()),
            ResourceTemplate::Param(names) => {
                let mut parts = Vec::with_capacity(names.len());
                for name in names {
                    let value = params
                        .get(name)
                        .ok_or_else(|| format!("no parameter '{name}'"))?;
                    // Each part on its own: a `/` inside one would name
                    // another resource's part.
                    if !validate::is_resource_id(value) {
                        return Err(format!("'{value}' is not a valid {name}"));
                    }
                    parts.push(value.as_str());
                }
                Some(Resource::Id(parts.join("/")))
            }
        };
        Ok(Grant::new(&self.service, &self.permission, resource))
    }

    /// The path parameters the resource is made of, in order.
    pub(crate) fn params(&self) -> &[String] {
        match &self.resource {
            ResourceTemplate::Param(names) => names,
            _ => &[],
        }
    }

    /// Checks the shape against the catalog with a stand-in resource id.
    pub fn check(&self, catalog: &Catalog) -> Result<(), String> {
        let mut params = BTreeMap::new();
        for p in self.params() {
            params.insert(p.to_string(), "x".to_string());
        }
        let g = self.instantiate(&params)?;
        catalog.check(&g).map_err(|e| e.to_string())
    }
}

impl fmt::Display for GrantTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.service, self.permission)?;
        match &self.resource {
            ResourceTemplate::None => Ok(()),
            ResourceTemplate::Fixed(r) => write!(f, "@{}", r.as_str()),
            ResourceTemplate::Param(names) => {
                let braced: Vec<String> = names.iter().map(|n| format!("{{{n}}}")).collect();
                write!(f, "@{}", braced.join("/"))
            }
        }
    }
}

/// `{name}` or `{parent}/{part}`: the names, when each is a whole braced
/// segment, distinct, and there are at most two (a grant resource has at
/// most one part below its parent, see [`validate::is_grant_resource`]).
fn parse_params(r: &str) -> Option<Vec<String>> {
    let names: Vec<String> = r
        .split('/')
        .map(|seg| {
            seg.strip_prefix('{')
                .and_then(|s| s.strip_suffix('}'))
                .filter(|n| !n.is_empty() && n.bytes().all(is_env_name_byte))
                .map(str::to_string)
        })
        .collect::<Option<_>>()?;
    let distinct = names.len() == 1 || names.first() != names.get(1);
    (names.len() <= 2 && distinct).then_some(names)
}

/// A value safe to carry in a header and in the signed lines: visible
/// ASCII only, so no line break can forge another line.
pub fn is_header_safe(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7f).contains(&b))
}
