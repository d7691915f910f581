//! Argument types parsed at the boundary: once clap hands a command a
//! `GrantArg` or a `DurationArg`, it is known to be well-formed, and a
//! malformed one is a usage error (exit 2) before any request is sent.

use keyward_domain::{Grant, TokenKind};
use std::fmt;
use std::str::FromStr;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A grant in the compact form `service:permission[@resource]`, the same
/// form the API's problem details and the `Display` of [`Grant`] use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantArg(pub Grant);

impl FromStr for GrantArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Grant::parse_compact(s.trim()).map(GrantArg).ok_or_else(|| {
            format!(
                "'{s}' is not a grant; expected service:permission or \
                 service:permission@resource (e.g. storage:read@in.c-main)"
            )
        })
    }
}

impl GrantArg {
    pub fn into_grants(args: Vec<GrantArg>) -> Vec<Grant> {
        args.into_iter().map(|g| g.0).collect()
    }
}

/// A positive span written as a number and one unit: `90s`, `15m`, `1h`,
/// `30d`. One unit only, so `1h30m` is refused rather than half-read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationArg {
    seconds: u64,
}

impl DurationArg {
    pub fn seconds(self) -> u64 {
        self.seconds
    }

    /// `now + self`, for endpoints that take an instant rather than a span.
    pub fn after(self, now: OffsetDateTime) -> Result<OffsetDateTime, String> {
        i64::try_from(self.seconds)
            .ok()
            .and_then(|s| now.checked_add(time::Duration::seconds(s)))
            .ok_or_else(|| format!("{self} is too far in the future"))
    }
}

impl FromStr for DurationArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        keyward_domain::expiry::parse_span(s).map(|seconds| DurationArg { seconds })
    }
}

impl fmt::Display for DurationArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.seconds;
        if s.is_multiple_of(86_400) {
            write!(f, "{}d", s / 86_400)
        } else if s.is_multiple_of(3_600) {
            write!(f, "{}h", s / 3_600)
        } else if s.is_multiple_of(60) {
            write!(f, "{}m", s / 60)
        } else {
            write!(f, "{s}s")
        }
    }
}

/// An instant in RFC 3339 (`2030-01-01T00:00:00Z`), the API's own format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstantArg(pub OffsetDateTime);

impl FromStr for InstantArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OffsetDateTime::parse(s.trim(), &Rfc3339)
            .map(InstantArg)
            .map_err(|_| format!("'{s}' is not an RFC 3339 instant (e.g. 2030-01-01T00:00:00Z)"))
    }
}

/// `--meta KEY=VALUE`: the value as JSON when it is JSON (`2`, `true`,
/// `{"a":1}`), else as a string, so `--meta team=payments` needs no quotes.
#[derive(Debug, Clone, PartialEq)]
pub struct MetaArg(pub String, pub serde_json::Value);

impl FromStr for MetaArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (k, v) = s
            .split_once('=')
            .ok_or_else(|| format!("'{s}' is not KEY=VALUE"))?;
        if !keyward_domain::conditions::is_meta_key(k) {
            return Err(format!(
                "'{k}': keys are 1 to 64 letters, digits, '_' or '-'"
            ));
        }
        let value = serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.into()));
        Ok(MetaArg(k.to_string(), value))
    }
}

impl MetaArg {
    pub fn into_meta(args: Vec<MetaArg>) -> keyward_domain::conditions::Meta {
        keyward_domain::conditions::Meta::from_object(
            args.into_iter().map(|MetaArg(k, v)| (k, v)).collect(),
        )
    }
}

/// `tokens list --sort`: a key, `-` in front for descending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortArg(String);

impl SortArg {
    pub const KEYS: [&'static str; 4] = ["name", "created_at", "expires_at", "last_used_at"];

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for SortArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.strip_prefix('-').unwrap_or(s);
        if Self::KEYS.contains(&key) {
            Ok(SortArg(s.to_string()))
        } else {
            Err(format!(
                "'{s}' is not a sort key; expected one of {} (prefix '-' for descending)",
                Self::KEYS.join(", ")
            ))
        }
    }
}

/// `tokens list --kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KindArg {
    Master,
    Scoped,
    Personal,
    User,
    Global,
}

impl KindArg {
    pub fn kind(self) -> TokenKind {
        match self {
            KindArg::Master => TokenKind::Master,
            KindArg::Scoped => TokenKind::Scoped,
            KindArg::Personal => TokenKind::Personal,
            KindArg::User => TokenKind::User,
            KindArg::Global => TokenKind::Global,
        }
    }
}

/// A global key's grant in one project: `PROJECT=service:permission[@resource]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectGrantArg {
    pub project: String,
    pub grant: Grant,
}

impl FromStr for ProjectGrantArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (project, grant) = s.split_once('=').ok_or_else(|| {
            format!("'{s}' is not a project grant; expected PROJECT=service:permission[@resource]")
        })?;
        let project = keyward_domain::validate::project_id("project", project.trim())
            .map_err(|e| format!("'{project}' {}", e.message))?;
        Ok(ProjectGrantArg {
            project,
            grant: grant.parse::<GrantArg>()?.0,
        })
    }
}

impl ProjectGrantArg {
    pub fn into_map(args: Vec<ProjectGrantArg>) -> keyward_domain::api::ProjectGrants {
        let mut map = keyward_domain::api::ProjectGrants::new();
        for a in args {
            map.entry(a.project).or_default().push(a.grant);
        }
        map
    }
}

/// `--limit` within the API's 1..=100.
pub fn parse_limit(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(n) if (1..=keyward_domain::query::MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(format!(
            "'{s}' is not a limit; expected an integer from 1 to {}",
            keyward_domain::query::MAX_LIMIT
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spans themselves are the domain's (`expiry::parse_span`, tested
    /// there); the argument reads them and writes them back in one unit.
    #[test]
    fn durations_are_the_domains_spans() {
        assert_eq!("30d".parse::<DurationArg>().unwrap().seconds(), 30 * 86_400);
        assert!("1h30m".parse::<DurationArg>().is_err());
        assert_eq!("48h".parse::<DurationArg>().unwrap().to_string(), "2d");
    }

    #[test]
    fn grants_use_the_compact_form() {
        let g: GrantArg = "storage:read@in.c-main".parse().unwrap();
        assert_eq!(g.0.to_string(), "storage:read@in.c-main");
        let g: GrantArg = "tokens:manage".parse().unwrap();
        assert_eq!(g.0.resource, None);
        for bad in ["storage", "storage:", ":read", "storage:read@", "", "@x"] {
            assert!(bad.parse::<GrantArg>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn sort_keys() {
        assert_eq!("-name".parse::<SortArg>().unwrap().as_str(), "-name");
        assert!("size".parse::<SortArg>().is_err());
        assert!("--name".parse::<SortArg>().is_err());
    }
}
