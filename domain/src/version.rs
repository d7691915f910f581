//! Versions of what admins edit — tokens, personas, members, projects —
//! as HTTP states them: an `ETag` on each answer, and `If-Match` on a
//! change, so that of two admins editing one token the later one is told
//! (412) instead of silently undoing the first one's edit.
//!
//! A version is a hash of the answer as a reader sees it, without what
//! changes by use rather than by edit (`last_used_at`, the uses left):
//! calling with a token does not make its editor's copy stale.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Fields that change by use, not by an edit.
const BY_USE: [&str; 2] = ["last_used_at", "remaining_uses"];

/// The strong entity tag of an answer, quoted as the header carries it.
pub fn tag<T: Serialize>(answer: &T) -> String {
    // Through the bytes the answer is written as anyway: a serializer of
    // its own per answer type would add a copy of each type's code to the
    // workers.
    let mut value: serde_json::Value = serde_json::to_vec(answer)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(serde_json::Value::Null);
    if let Some(fields) = value.as_object_mut() {
        for field in BY_USE {
            fields.remove(field);
        }
    }
    let digest = Sha256::digest(value.to_string().as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// An `If-Match` header: any current version (`*`), or one of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IfMatch {
    Any,
    OneOf(Vec<String>),
}

impl IfMatch {
    /// Parses the header (RFC 9110 §13.1.1). Weak tags never match: a
    /// change needs the version byte for byte. `None` for a header that
    /// names no tag at all.
    pub fn parse(header: &str) -> Option<IfMatch> {
        let header = header.trim();
        if header == "*" {
            return Some(IfMatch::Any);
        }
        let tags: Vec<String> = header
            .split(',')
            .map(str::trim)
            .filter(|t| t.len() >= 2 && t.starts_with('"') && t.ends_with('"'))
            .map(str::to_string)
            .collect();
        let weak = header
            .split(',')
            .map(str::trim)
            .any(|t| t.starts_with("W/"));
        if tags.is_empty() && !weak {
            return None;
        }
        Some(IfMatch::OneOf(tags))
    }

    pub fn admits(&self, current: &str) -> bool {
        match self {
            IfMatch::Any => true,
            IfMatch::OneOf(tags) => tags.iter().any(|t| t == current),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn use_does_not_change_the_version_and_an_edit_does() {
        let t = json!({"id": "t1", "name": "ci", "last_used_at": null, "remaining_uses": 5});
        let used = json!({"id": "t1", "name": "ci", "last_used_at": "2026-12-07T00:00:00Z", "remaining_uses": 4});
        let renamed = json!({"id": "t1", "name": "cd", "last_used_at": null});
        assert_eq!(tag(&t), tag(&used));
        assert_ne!(tag(&t), tag(&renamed));
        assert!(tag(&t).starts_with('"') && tag(&t).ends_with('"'));
        assert_eq!(tag(&t).len(), 34);
    }

    #[test]
    fn if_match_is_compared_strongly() {
        let v = tag(&json!({"id": "x"}));
        assert!(IfMatch::parse("*").unwrap().admits(&v));
        assert!(IfMatch::parse(&v).unwrap().admits(&v));
        assert!(IfMatch::parse(&format!("\"other\", {v}"))
            .unwrap()
            .admits(&v));
        assert!(!IfMatch::parse(&format!("W/{v}")).unwrap().admits(&v));
        assert!(!IfMatch::parse("\"other\"").unwrap().admits(&v));
        assert!(IfMatch::parse("").is_none());
        assert!(IfMatch::parse("garbage").is_none());
    }

    proptest! {
        /// Two answers that differ in anything an edit sets never share a
        /// version; the header round-trips its own tag.
        #[test]
        fn distinct_answers_have_distinct_versions(a in ".{0,40}", b in ".{0,40}", used in any::<u32>()) {
            let one = json!({"name": a, "last_used_at": used});
            let other = json!({"name": b, "last_used_at": null});
            prop_assert_eq!(a == b, tag(&one) == tag(&other));
            prop_assert!(IfMatch::parse(&tag(&one)).unwrap().admits(&tag(&one)));
        }
    }
}
