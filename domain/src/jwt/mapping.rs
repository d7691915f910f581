//! Scopes and claims mapped to grants: word patterns with parameters,
//! and the mappings an issuer is configured with.

use crate::template::{GrantTemplate, ResourceTemplate};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A word pattern for a scope or claim value: literal text with at most one
/// `{param}` at the end, e.g. `components.run:{component}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordPattern {
    pub prefix: String,
    pub param: Option<String>,
}

impl WordPattern {
    pub fn parse(s: &str) -> Result<WordPattern, String> {
        match s.find('{') {
            None if !s.contains('}') && !s.is_empty() => Ok(WordPattern {
                prefix: s.to_string(),
                param: None,
            }),
            Some(i) => {
                let name = s[i + 1..]
                    .strip_suffix('}')
                    .filter(|n| {
                        !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    })
                    .ok_or_else(|| format!("'{s}': a parameter must end the pattern"))?;
                Ok(WordPattern {
                    prefix: s[..i].to_string(),
                    param: Some(name.to_string()),
                })
            }
            None => Err(format!("'{s}' is not a scope pattern")),
        }
    }

    pub fn matches(&self, word: &str) -> Option<BTreeMap<String, String>> {
        let mut params = BTreeMap::new();
        match &self.param {
            None => (word == self.prefix).then_some(params),
            Some(name) => {
                let value = word.strip_prefix(self.prefix.as_str())?;
                if value.is_empty() {
                    return None;
                }
                params.insert(name.clone(), value.to_string());
                Some(params)
            }
        }
    }
}

/// One rule of an issuer's mapping: a word of a claim (by default `scope`)
/// that matches `value` grants these (templated by the pattern's parameter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeMapping {
    pub claim: String,
    pub value: WordPattern,
    pub grants: Vec<GrantTemplate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    #[serde(default = "scope_claim")]
    claim: String,
    value: String,
    grants: Vec<String>,
}

pub(super) fn scope_claim() -> String {
    "scope".into()
}

impl<'de> Deserialize<'de> for ScopeMapping {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawMapping::deserialize(d)?;
        let value = WordPattern::parse(&raw.value).map_err(serde::de::Error::custom)?;
        let grants = raw
            .grants
            .iter()
            .map(|g| GrantTemplate::parse(g))
            .collect::<Result<Vec<_>, _>>()
            .map_err(serde::de::Error::custom)?;
        for g in &grants {
            if let ResourceTemplate::Param(names) = &g.resource {
                let p = names.join("}/{");
                if names.len() != 1 || value.param.as_deref() != Some(p.as_str()) {
                    return Err(serde::de::Error::custom(format!(
                        "{g}: '{p}' is not the parameter of '{}'",
                        raw.value
                    )));
                }
            }
        }
        Ok(ScopeMapping {
            claim: raw.claim,
            value,
            grants,
        })
    }
}
