//! List queries (`?limit=&offset=&sort=...`) parsed at the boundary.

use crate::problem::FieldError;
use crate::secret::TokenKind;
use serde::{Deserialize, Serialize};

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenSortKey {
    Name,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
}

impl TokenSortKey {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenSortKey::Name => "name",
            TokenSortKey::CreatedAt => "created_at",
            TokenSortKey::ExpiresAt => "expires_at",
            TokenSortKey::LastUsedAt => "last_used_at",
        }
    }
}

/// A token list's query, as the registry receives it too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenQuery {
    pub limit: u32,
    pub offset: u64,
    pub sort: TokenSortKey,
    pub descending: bool,
    pub name: Option<String>,
    pub client_id: Option<String>,
    pub kind: Option<TokenKind>,
    pub q: Option<String>,
    /// Tokens of one project (global keys and master tokens belong to none).
    pub project: Option<String>,
    /// Tokens linking one persona.
    pub persona: Option<String>,
    /// `enabled=false`: the disabled ones.
    pub enabled: Option<bool>,
    /// `meta[<key>]=<value>` (or `meta.<key>=<value>`): tokens whose
    /// metadata has that value there.
    pub meta: Vec<(String, String)>,
    /// `unused_for=30d`: tokens not used for that long, in seconds (see
    /// [`unused_cutoff`]).
    pub unused_for: Option<u64>,
}

/// The instant a token must show no sign of life after to count as unused
/// for `unused_for` seconds at `now`: its last use, or, never used, its
/// creation (a token made yesterday has not been unused for 30 days).
/// The registry lists `COALESCE(last_used_at, created_at) <= cutoff`.
pub fn unused_cutoff(unused_for: u64, now: i64) -> i64 {
    now.saturating_sub(i64::try_from(unused_for).unwrap_or(i64::MAX))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    pub limit: u32,
    pub offset: u64,
    pub actor: Option<String>,
    pub target: Option<String>,
    pub action: Option<String>,
    /// `since=<RFC 3339>`: entries from that instant on.
    pub since_ms: Option<i64>,
    /// `after=<cursor>`: the log in the order the store received it,
    /// oldest first, from just after the cursor (`0`: from the start) —
    /// how a SIEM follows it without missing an entry that arrived late.
    pub after: Option<AuditCursor>,
}

/// A place in the audit log's order of arrival: when the store received
/// an entry (its own clock, in commit order) and the entry's id. Written
/// `<ms>.<id>`; clients treat it as opaque.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditCursor {
    pub received_ms: i64,
    pub id: String,
}

impl AuditCursor {
    pub fn parse(s: &str) -> Option<AuditCursor> {
        if s == "0" {
            return Some(AuditCursor::default());
        }
        let (ms, id) = s.split_once('.')?;
        let received_ms = ms.parse::<i64>().ok().filter(|ms| *ms >= 0)?;
        let id_ok = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        id_ok.then(|| AuditCursor {
            received_ms,
            id: id.to_string(),
        })
    }
}

impl std::fmt::Display for AuditCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.id.is_empty() {
            f.write_str("0")
        } else {
            write!(f, "{}.{}", self.received_ms, self.id)
        }
    }
}

fn paging(pairs: &[(String, String)], errors: &mut Vec<FieldError>) -> (u32, u64) {
    let mut limit = DEFAULT_LIMIT;
    let mut offset = 0;
    for (k, v) in pairs {
        match k.as_str() {
            "limit" => match v.parse::<u32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => limit = n,
                _ => errors.push(FieldError::new(
                    "limit",
                    format!("must be an integer from 1 to {MAX_LIMIT}"),
                )),
            },
            "offset" => match v.parse::<u64>() {
                Ok(n) if n <= 1_000_000_000 => offset = n,
                _ => errors.push(FieldError::new("offset", "must be a non-negative integer")),
            },
            _ => {}
        }
    }
    (limit, offset)
}

fn text(v: &str) -> Option<String> {
    (!v.is_empty()).then(|| v.to_string())
}

impl TokenQuery {
    pub fn parse(pairs: &[(String, String)]) -> Result<TokenQuery, Vec<FieldError>> {
        let mut errors = vec![];
        let (limit, offset) = paging(pairs, &mut errors);
        let mut query = TokenQuery {
            limit,
            offset,
            sort: TokenSortKey::CreatedAt,
            descending: false,
            name: None,
            client_id: None,
            kind: None,
            q: None,
            project: None,
            persona: None,
            enabled: None,
            meta: vec![],
            unused_for: None,
        };
        for (k, v) in pairs {
            match k.as_str() {
                "limit" | "offset" => {}
                "sort" => {
                    let (desc, key) = match v.strip_prefix('-') {
                        Some(rest) => (true, rest),
                        None => (false, v.as_str()),
                    };
                    query.descending = desc;
                    query.sort = match key {
                        "name" => TokenSortKey::Name,
                        "created_at" => TokenSortKey::CreatedAt,
                        "expires_at" => TokenSortKey::ExpiresAt,
                        "last_used_at" => TokenSortKey::LastUsedAt,
                        _ => {
                            errors.push(FieldError::new(
                                "sort",
                                "must be one of name, created_at, expires_at, last_used_at, optionally prefixed with -",
                            ));
                            continue;
                        }
                    };
                }
                "name" => query.name = text(v),
                "client_id" => query.client_id = text(v),
                "q" => query.q = text(v),
                "project" => query.project = text(v),
                "persona" => query.persona = text(v),
                "enabled" => match v.as_str() {
                    "true" => query.enabled = Some(true),
                    "false" => query.enabled = Some(false),
                    _ => errors.push(FieldError::new("enabled", "must be true or false")),
                },
                "unused_for" => match crate::expiry::parse_span(v) {
                    Ok(seconds) => query.unused_for = Some(seconds),
                    Err(e) => errors.push(FieldError::new("unused_for", e)),
                },
                key if key.starts_with("meta.") || key.starts_with("meta[") => {
                    // `meta.team` or, as OpenAPI's deepObject spells it,
                    // `meta[team]`.
                    let name = key
                        .strip_prefix("meta.")
                        .or_else(|| key.strip_prefix("meta[")?.strip_suffix(']'))
                        .unwrap_or("");
                    if crate::conditions::is_meta_key(name) && query.meta.len() < 8 {
                        query.meta.push((name.to_string(), v.clone()));
                    } else {
                        errors.push(FieldError::new(
                            key,
                            "meta filters name a key of letters, digits, '_' or '-' (at most 8 filters)",
                        ));
                    }
                }
                "kind" => match TokenKind::parse(v) {
                    Some(kind) => query.kind = Some(kind),
                    None => errors.push(FieldError::new(
                        "kind",
                        "must be master, scoped, personal, user or global",
                    )),
                },
                other => errors.push(FieldError::new(other, "unknown query parameter")),
            }
        }
        if errors.is_empty() {
            Ok(query)
        } else {
            Err(errors)
        }
    }
}

impl AuditQuery {
    pub fn parse(pairs: &[(String, String)]) -> Result<AuditQuery, Vec<FieldError>> {
        let mut errors = vec![];
        let (limit, offset) = paging(pairs, &mut errors);
        let mut query = AuditQuery {
            limit,
            offset,
            actor: None,
            target: None,
            action: None,
            since_ms: None,
            after: None,
        };
        for (k, v) in pairs {
            match k.as_str() {
                "limit" | "offset" => {}
                "actor" => query.actor = text(v),
                "target" => query.target = text(v),
                "action" => query.action = text(v),
                "since" => match time::OffsetDateTime::parse(
                    v,
                    &time::format_description::well_known::Rfc3339,
                ) {
                    Ok(at) => query.since_ms = Some((at.unix_timestamp_nanos() / 1_000_000) as i64),
                    Err(_) => errors.push(FieldError::new(
                        "since",
                        "must be an RFC 3339 instant, e.g. 2026-12-01T00:00:00Z",
                    )),
                },
                "after" => match AuditCursor::parse(v) {
                    Some(c) => query.after = Some(c),
                    None => errors.push(FieldError::new(
                        "after",
                        "must be a cursor from next_cursor, or 0 for the start",
                    )),
                },
                other => errors.push(FieldError::new(other, "unknown query parameter")),
            }
        }
        if query.after.is_some() && query.offset > 0 {
            errors.push(FieldError::new(
                "offset",
                "a cursor (after=) and an offset cannot be combined",
            ));
        }
        if errors.is_empty() {
            Ok(query)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(s: &[(&str, &str)]) -> Vec<(String, String)> {
        s.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn defaults_and_sorting() {
        let q = TokenQuery::parse(&[]).unwrap();
        assert_eq!(
            (q.limit, q.offset, q.sort, q.descending),
            (20, 0, TokenSortKey::CreatedAt, false)
        );
        let q = TokenQuery::parse(&pairs(&[("sort", "-name"), ("limit", "5")])).unwrap();
        assert_eq!(
            (q.limit, q.sort, q.descending),
            (5, TokenSortKey::Name, true)
        );
    }

    #[test]
    fn every_bad_parameter_is_named() {
        let e = TokenQuery::parse(&pairs(&[
            ("limit", "0"),
            ("sort", "colour"),
            ("kind", "x"),
            ("zzz", "1"),
        ]))
        .unwrap_err();
        let fields: Vec<_> = e.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["limit", "sort", "kind", "zzz"]);
        assert!(AuditQuery::parse(&pairs(&[("limit", "101")])).is_err());
        let follow = AuditQuery::parse(&pairs(&[
            ("after", "1796083200123.evt_0000000000001_abc"),
            ("since", "2026-12-01T00:00:00Z"),
        ]))
        .unwrap();
        let cursor = follow.after.clone().unwrap();
        assert_eq!(cursor.received_ms, 1_796_083_200_123);
        assert_eq!(cursor.to_string(), "1796083200123.evt_0000000000001_abc");
        assert_eq!(
            AuditQuery::parse(&pairs(&[("after", "0")])).unwrap().after,
            Some(AuditCursor::default())
        );
        assert!(AuditQuery::parse(&pairs(&[("after", "12.x'--")])).is_err());
        assert_eq!(follow.since_ms, Some(1_796_083_200_000));
        assert!(AuditQuery::parse(&pairs(&[("since", "yesterday")])).is_err());
        assert!(AuditQuery::parse(&pairs(&[("after", "-1")])).is_err());
        assert!(AuditQuery::parse(&pairs(&[("after", "0"), ("offset", "5")])).is_err());
    }

    #[test]
    fn meta_filters_are_read_in_both_spellings() {
        let q = TokenQuery::parse(&pairs(&[("meta.team", "data"), ("meta[env]", "prod")])).unwrap();
        assert_eq!(
            q.meta,
            [
                ("team".into(), "data".into()),
                ("env".into(), "prod".into())
            ]
        );
        for bad in [
            "meta[]",
            "meta[a",
            "meta[a.b]",
            "meta.",
            "meta[a]]",
            "meta.a]",
        ] {
            let e = TokenQuery::parse(&pairs(&[(bad, "x")])).unwrap_err();
            assert_eq!(e[0].field, bad);
        }
        let nine: Vec<(String, String)> = (0..9)
            .map(|i| (format!("meta[k{i}]"), "v".into()))
            .collect();
        assert!(TokenQuery::parse(&nine).is_err());
    }

    #[test]
    fn unused_for_is_a_span_and_its_cutoff_counts_back_from_now() {
        let q = TokenQuery::parse(&pairs(&[("unused_for", "30d")])).unwrap();
        assert_eq!(q.unused_for, Some(30 * 86_400));
        for bad in ["0d", "30", "soon", ""] {
            let e = TokenQuery::parse(&pairs(&[("unused_for", bad)])).unwrap_err();
            assert_eq!(e[0].field, "unused_for", "{bad:?}");
        }
        assert_eq!(unused_cutoff(86_400, 1_000_000), 913_600);
        assert_eq!(unused_cutoff(u64::MAX, 5), 5 - i64::MAX);
    }
}
