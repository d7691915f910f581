//! The edge gateway's pure parts: the route table shipped with the worker
//! (`worker/gateway.json`), path-pattern matching, the grants a matched call
//! needs, and the string the worker signs so the upstream can trust the
//! identity headers it adds.
//!
//! Parsing happens once, at the boundary: a [`RouteTable`] that exists is a
//! table whose patterns are well formed and whose grant templates only name
//! parameters their pattern captures.

use crate::catalog::Catalog;
use crate::grant::Grant;
use crate::jwt::IssuerConfig;
use crate::template::is_env_name_byte;
pub use crate::template::{is_header_safe, GrantTemplate, ResourceTemplate, Setting};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use std::collections::BTreeMap;

/// Upstream calls that take longer than this (until the response headers)
/// are answered 504, unless the table or `GATEWAY_TIMEOUT_MS` says otherwise.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;

/// One segment of a path pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    /// `{name}`: exactly one non-empty segment.
    Param(String),
    /// `{name*}`: the rest of the path, one or more segments; last only.
    Rest(String),
}

/// A path pattern relative to `/gw`, e.g. `/deployments/{service}/{infra}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPattern {
    pub source: String,
    pub segments: Vec<Segment>,
}

impl PathPattern {
    pub fn parse(source: &str) -> Result<PathPattern, String> {
        let Some(rest) = source.strip_prefix('/') else {
            return Err(format!("pattern '{source}' must start with '/'"));
        };
        let parts: Vec<&str> = rest.split('/').collect();
        let mut segments = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            if part.is_empty() {
                return Err(format!("pattern '{source}' has an empty segment"));
            }
            let seg = match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(inner) => {
                    let (name, rest) = match inner.strip_suffix('*') {
                        Some(n) => (n, true),
                        None => (inner, false),
                    };
                    if name.is_empty() || !name.bytes().all(is_env_name_byte) {
                        return Err(format!("pattern '{source}': bad parameter '{part}'"));
                    }
                    if rest && i + 1 != parts.len() {
                        return Err(format!(
                            "pattern '{source}': '{{{name}*}}' must be the last segment"
                        ));
                    }
                    if segments
                        .iter()
                        .any(|s: &Segment| s.param_name() == Some(name))
                    {
                        return Err(format!("pattern '{source}': '{name}' appears twice"));
                    }
                    if rest {
                        Segment::Rest(name.to_string())
                    } else {
                        Segment::Param(name.to_string())
                    }
                }
                None if part.contains(['{', '}']) => {
                    return Err(format!(
                        "pattern '{source}': a parameter must be a whole segment"
                    ))
                }
                None if matches!(*part, "." | "..") => {
                    return Err(format!("pattern '{source}': '{part}' is not a segment"))
                }
                None => Segment::Literal(part.to_string()),
            };
            segments.push(seg);
        }
        Ok(PathPattern {
            source: source.to_string(),
            segments,
        })
    }

    /// Matches a raw (still percent-encoded) path relative to `/gw`.
    /// Parameters come back decoded. `None` when the path does not fit;
    /// `Some(Err)` when it fits but a parameter or the tail is unsafe to
    /// forward (see [`safe_segment`]): such a call is refused, never tried
    /// against a later route.
    pub fn matches(&self, raw_path: &str) -> Option<Result<BTreeMap<String, String>, String>> {
        let rest = raw_path.strip_prefix('/')?;
        let parts: Vec<&str> = rest.split('/').collect();
        let mut params = BTreeMap::new();
        let mut unsafe_part: Option<String> = None;
        let mut check = |name: &str, raw: &str| -> Option<String> {
            match safe_segment(raw)? {
                Ok(decoded) => Some(decoded),
                Err(why) => {
                    unsafe_part.get_or_insert_with(|| format!("'{{{name}}}' {why}"));
                    Some(String::new())
                }
            }
        };
        for (i, seg) in self.segments.iter().enumerate() {
            match seg {
                Segment::Rest(name) => {
                    let tail = parts.get(i..)?;
                    if tail.is_empty() || tail.iter().any(|p| p.is_empty()) {
                        return None;
                    }
                    let decoded: Vec<String> =
                        tail.iter().map(|p| check(name, p)).collect::<Option<_>>()?;
                    params.insert(name.clone(), decoded.join("/"));
                    return Some(match unsafe_part {
                        Some(why) => Err(why),
                        None => Ok(params),
                    });
                }
                Segment::Literal(lit) => {
                    if percent_decode(parts.get(i)?)? != *lit {
                        return None;
                    }
                }
                Segment::Param(name) => {
                    let part = parts.get(i)?;
                    if part.is_empty() {
                        return None;
                    }
                    let decoded = check(name, part)?;
                    params.insert(name.clone(), decoded);
                }
            }
        }
        if parts.len() != self.segments.len() {
            return None;
        }
        Some(match unsafe_part {
            Some(why) => Err(why),
            None => Ok(params),
        })
    }

    fn has_param(&self, name: &str) -> bool {
        self.segments.iter().any(|s| s.param_name() == Some(name))
    }
}

impl Segment {
    fn param_name(&self) -> Option<&str> {
        match self {
            Segment::Param(n) | Segment::Rest(n) => Some(n),
            Segment::Literal(_) => None,
        }
    }
}

/// One raw path segment that lands in a parameter, decoded once, if it is
/// safe to authorize on and forward. `None` for bad escapes or non-UTF-8
/// (no route then fits); `Err` names what is refused.
///
/// The gateway authorizes on the decoded value but forwards the raw path,
/// so anything an upstream (or a proxy in front of it) might resolve
/// differently is refused: an encoded `/` or `\` that some servers decode
/// into a separator (`..%2F..%2Fprivate`), `;` path parameters that some
/// servers strip (`..;/private`, Tomcat), `.` and `..` segments or any
/// `..` at all, encoded dots (`%2E%2E`, which URL parsers treat as `..`),
/// a `%` left after one decode (double encoding), and control characters.
pub fn safe_segment(raw: &str) -> Option<Result<String, &'static str>> {
    let decoded = percent_decode(raw)?;
    let lower = raw.to_ascii_lowercase();
    let why = if lower.contains("%2f") {
        Some("contains an encoded '/'")
    } else if decoded.contains('/') {
        Some("contains '/'")
    } else if decoded.contains('\\') {
        Some("contains '\\'")
    } else if decoded.contains(';') {
        Some("contains ';'")
    } else if lower.contains("%2e") {
        Some("contains an encoded '.'")
    } else if decoded == "." || decoded.contains("..") {
        Some("is or contains a dot segment")
    } else if decoded.contains('%') {
        Some("is encoded twice")
    } else if decoded.chars().any(char::is_control) {
        Some("contains a control character")
    } else {
        None
    };
    Some(match why {
        Some(w) => Err(w),
        None => Ok(decoded),
    })
}

/// Percent-decoding of one path segment; `None` for bad escapes or
/// non-UTF-8, which then match no route.
pub fn percent_decode(s: &str) -> Option<String> {
    decode_percent(s).ok()
}

/// Why a percent-encoded path segment does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PercentError {
    /// A `%` not followed by exactly two hex digits.
    BadEscape,
    /// The decoded bytes are not UTF-8.
    NotUtf8,
}

/// Strict percent-decoding, the one decoder of every path segment (the
/// API's and the gateway's): each `%` starts exactly two hex digits — not
/// `%+5`, which a radix parser would read as 0x05 — and the result must be
/// UTF-8.
pub fn decode_percent(s: &str) -> Result<String, PercentError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                .ok_or(PercentError::BadEscape)?;
            let digit = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
            out.push(digit(hex[0]) << 4 | digit(hex[1]));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| PercentError::NotUtf8)
}

/// How a route's callers may prove who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Credential {
    /// A Keyward secret (`kw_…`).
    Keyward,
    /// A JWT access token from one of the configured issuers.
    Jwt,
}

/// One route of the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayRoute {
    pub name: String,
    pub methods: Vec<String>,
    pub pattern: PathPattern,
    /// All of them are needed.
    pub require: Vec<GrantTemplate>,
    pub upstream: Setting,
    pub accept: Vec<Credential>,
}

impl GatewayRoute {
    pub fn accepts(&self, c: Credential) -> bool {
        self.accept.contains(&c)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    name: String,
    methods: Vec<String>,
    path: String,
    #[serde(default)]
    require: Vec<String>,
    upstream: Setting,
    #[serde(default = "keyward_only")]
    accept: Vec<Credential>,
}

fn keyward_only() -> Vec<Credential> {
    vec![Credential::Keyward]
}

fn default_timeout() -> u64 {
    DEFAULT_TIMEOUT_MS
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    #[serde(default = "default_timeout")]
    timeout_ms: u64,
    routes: Vec<RawRoute>,
    #[serde(default)]
    issuers: Vec<IssuerConfig>,
}

/// The gateway configuration: routes in order (the first that fits wins)
/// and the JWT issuers routes may accept.
#[derive(Debug, Clone)]
pub struct RouteTable {
    pub timeout_ms: u64,
    pub routes: Vec<GatewayRoute>,
    pub issuers: Vec<IssuerConfig>,
}

const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// Why a call found no route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    NotFound,
    /// The path fits, the method does not; the methods that would.
    MethodNotAllowed(Vec<String>),
    /// The path fits a route but a parameter is unsafe to forward.
    UnsafePath(String),
}

/// A call that fits a route, with the grants it needs.
#[derive(Debug, Clone)]
pub struct RouteMatch<'a> {
    pub route: &'a GatewayRoute,
    pub params: BTreeMap<String, String>,
}

impl RouteMatch<'_> {
    /// Every grant the call needs; `Err` names a parameter that is not a
    /// valid resource id.
    pub fn required(&self) -> Result<Vec<Grant>, String> {
        self.route
            .require
            .iter()
            .map(|t| t.instantiate(&self.params))
            .collect()
    }
}

impl RouteTable {
    pub fn from_json(json: &str) -> Result<RouteTable, String> {
        let raw: RawTable = serde_json::from_str(json).map_err(|e| e.to_string())?;
        if raw.timeout_ms == 0 {
            return Err("timeout_ms must be positive".into());
        }
        let mut routes = Vec::with_capacity(raw.routes.len());
        for r in raw.routes {
            let pattern = PathPattern::parse(&r.path).map_err(|e| format!("{}: {e}", r.name))?;
            if r.methods.is_empty() {
                return Err(format!("{}: no methods", r.name));
            }
            for m in &r.methods {
                if !METHODS.contains(&m.as_str()) {
                    return Err(format!("{}: unknown method {m}", r.name));
                }
            }
            if r.accept.is_empty() {
                return Err(format!("{}: accepts no credential", r.name));
            }
            let require = r
                .require
                .iter()
                .map(|s| GrantTemplate::parse(s))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("{}: {e}", r.name))?;
            // An unguarded route would be an open proxy.
            if require.is_empty() {
                return Err(format!(
                    "{}: a route must require at least one grant",
                    r.name
                ));
            }
            for t in &require {
                if let Some(p) = t.params().iter().find(|p| !pattern.has_param(p)) {
                    return Err(format!(
                        "{}: {t} names '{p}', no parameter of the path",
                        r.name
                    ));
                }
            }
            routes.push(GatewayRoute {
                name: r.name,
                methods: r.methods,
                pattern,
                require,
                upstream: r.upstream,
                accept: r.accept,
            });
        }
        let mut ids = std::collections::BTreeSet::new();
        for i in &raw.issuers {
            if !ids.insert(i.id.clone()) {
                return Err(format!("duplicate issuer {}", i.id));
            }
            i.check_shape()?;
        }
        Ok(RouteTable {
            timeout_ms: raw.timeout_ms,
            routes,
            issuers: raw.issuers,
        })
    }

    /// Checks every grant named by a route or a scope mapping against the
    /// catalog (the worker's tests run this on the shipped files).
    pub fn check(&self, catalog: &Catalog) -> Result<(), String> {
        for r in &self.routes {
            for t in &r.require {
                t.check(catalog).map_err(|e| format!("{}: {e}", r.name))?;
            }
        }
        for i in &self.issuers {
            i.check(catalog)?;
        }
        Ok(())
    }

    /// The first route whose pattern and method fit.
    pub fn resolve(&self, method: &str, raw_path: &str) -> Result<RouteMatch<'_>, Miss> {
        let mut allowed: Vec<String> = vec![];
        for route in &self.routes {
            if let Some(fit) = route.pattern.matches(raw_path) {
                let params = fit.map_err(Miss::UnsafePath)?;
                if route.methods.iter().any(|m| m == method) {
                    return Ok(RouteMatch { route, params });
                }
                for m in &route.methods {
                    if !allowed.contains(m) {
                        allowed.push(m.clone());
                    }
                }
            }
        }
        if allowed.is_empty() {
            Err(Miss::NotFound)
        } else {
            Err(Miss::MethodNotAllowed(allowed))
        }
    }
}

/// The identity the gateway vouches for to the upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub token_id: String,
    pub client_id: String,
    pub kind: String,
    /// The project the call was authorized in.
    pub project: String,
}

/// Names of the headers the gateway adds (any the client sent are dropped).
pub const HEADER_TOKEN_ID: &str = "x-keyward-token-id";
pub const HEADER_CLIENT_ID: &str = "x-keyward-client-id";
pub const HEADER_KIND: &str = "x-keyward-kind";
pub const HEADER_PROJECT: &str = "x-keyward-project";
pub const HEADER_TIMESTAMP: &str = "x-keyward-timestamp";
/// `v1=<hex>`: kept for one release so existing verifiers keep working;
/// it does not cover the project.
pub const HEADER_SIGNATURE: &str = "x-keyward-signature";
/// `v2=<hex>`: covers the project too.
pub const HEADER_SIGNATURE_V2: &str = "x-keyward-signature-v2";

/// The request header a caller names the project with (the gateway's
/// counterpart of `/api/v1/projects/{project}/…`); never forwarded.
pub const REQUEST_HEADER_PROJECT: &str = "x-keyward-project";

/// The v1 string, lines joined by `\n`:
///
/// ```text
/// KEYWARD-HMAC-SHA256
/// <X-Keyward-Timestamp: unix seconds>
/// <method, upper case>
/// <path and query as sent upstream, e.g. /components/x/run?a=1>
/// <X-Keyward-Token-Id>
/// <X-Keyward-Client-Id>
/// <X-Keyward-Kind>
/// ```
///
/// The timestamp lets the upstream refuse replays outside a window; the
/// body is not signed (it is streamed, never buffered at the edge).
pub fn string_to_sign(timestamp: i64, method: &str, path_and_query: &str, id: &Identity) -> String {
    format!(
        "KEYWARD-HMAC-SHA256\n{timestamp}\n{method}\n{path_and_query}\n{}\n{}\n{}",
        id.token_id, id.client_id, id.kind
    )
}

/// The v2 string: its own first line (so no v1 string is ever a v2
/// string), the v1 lines, then the project:
///
/// ```text
/// KEYWARD-HMAC-SHA256-V2
/// <X-Keyward-Timestamp>
/// <METHOD>
/// <path?query as sent upstream>
/// <X-Keyward-Token-Id>
/// <X-Keyward-Client-Id>
/// <X-Keyward-Kind>
/// <X-Keyward-Project>
/// ```
pub fn string_to_sign_v2(
    timestamp: i64,
    method: &str,
    path_and_query: &str,
    id: &Identity,
) -> String {
    format!(
        "KEYWARD-HMAC-SHA256-V2\n{timestamp}\n{method}\n{path_and_query}\n{}\n{}\n{}\n{}",
        id.token_id, id.client_id, id.kind, id.project
    )
}

fn hmac_hex(key: &[u8], message: &str) -> String {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(message.as_bytes());
    let tag = mac.finalize().into_bytes();
    let mut out = String::with_capacity(tag.len() * 2);
    for b in tag {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// `v1=<lowercase hex HMAC-SHA256(key, string_to_sign)>`, the value of
/// `X-Keyward-Signature`.
pub fn sign(key: &[u8], string_to_sign: &str) -> String {
    format!("v1={}", hmac_hex(key, string_to_sign))
}

/// `v2=<lowercase hex HMAC-SHA256(key, string_to_sign_v2)>`, the value of
/// `X-Keyward-Signature-V2`.
pub fn sign_v2(key: &[u8], string_to_sign_v2: &str) -> String {
    format!("v2={}", hmac_hex(key, string_to_sign_v2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grant::Resource;

    #[test]
    fn percent_decoding_is_strict() {
        assert_eq!(decode_percent("a%41%c3%A9"), Ok("aAé".to_string()));
        for bad in ["%+5", "%-1", "% 5", "%5", "%", "%zz", "x%4"] {
            assert_eq!(decode_percent(bad), Err(PercentError::BadEscape), "{bad}");
        }
        assert_eq!(decode_percent("%FF"), Err(PercentError::NotUtf8));
        assert_eq!(percent_decode("%+5"), None);
    }
    use crate::catalog::default_catalog;
    use proptest::prelude::*;

    fn shipped() -> RouteTable {
        RouteTable::from_json(include_str!("../../worker/gateway.json"))
            .expect("the shipped gateway table parses")
    }

    #[test]
    fn the_shipped_table_fits_the_catalog() {
        let t = shipped();
        t.check(&default_catalog())
            .expect("every grant is in the catalog");
        assert!(!t.routes.is_empty());
    }

    #[test]
    fn deployment_needs_both_grants_from_the_path() {
        let t = shipped();
        let m = t
            .resolve("POST", "/deployments/churn/prod-k8s")
            .expect("route");
        let req: Vec<String> = m
            .required()
            .unwrap()
            .iter()
            .map(|g| g.to_string())
            .collect();
        assert_eq!(
            req,
            [
                "api_services:deploy@churn",
                "infrastructures:deploy@prod-k8s"
            ]
        );
    }

    #[test]
    fn component_route_and_read_only_reports() {
        let t = shipped();
        let m = t
            .resolve("POST", "/components/keboola.ex-db-snowflake/run")
            .unwrap();
        assert_eq!(
            m.required().unwrap()[0].to_string(),
            "components:run@keboola.ex-db-snowflake"
        );
        // A report in a table needs read on that table (which read on its
        // bucket covers); one at bucket level needs read on the bucket.
        let r = t.resolve("GET", "/reports/in.c-main/2024/q1.csv").unwrap();
        assert_eq!(r.route.name, "report.table.read");
        assert_eq!(r.params["path"], "q1.csv");
        assert_eq!(
            r.required().unwrap()[0].to_string(),
            "storage:read@in.c-main/2024"
        );
        let r = t.resolve("GET", "/reports/in.c-main/q1.csv").unwrap();
        assert_eq!(r.route.name, "report.read");
        assert_eq!(
            r.required().unwrap()[0].to_string(),
            "storage:read@in.c-main"
        );
        assert_eq!(
            t.resolve("DELETE", "/reports/in.c-main/x").unwrap_err(),
            Miss::MethodNotAllowed(vec!["GET".into(), "HEAD".into()])
        );
        assert_eq!(
            t.resolve("GET", "/nothing/here").unwrap_err(),
            Miss::NotFound
        );
        assert_eq!(
            t.resolve("GET", "/reports/in.c-main").unwrap_err(),
            Miss::NotFound
        );
    }

    #[test]
    fn a_table_report_is_read_with_the_table_or_its_bucket() {
        let t = shipped();
        let c = default_catalog();
        let needs = |path: &str| t.resolve("GET", path).unwrap().required().unwrap();
        let holder = |grant: &str| {
            crate::grant::Principal::new(&c, false, &[Grant::parse_compact(grant).unwrap()])
        };
        let orders = needs("/reports/in.c-main/orders/2024.csv");
        let customers = needs("/reports/in.c-main/customers/a.csv");
        let table = holder("storage:read@in.c-main/orders");
        assert!(table.admit(&orders[0]).is_ok());
        assert!(table.admit(&customers[0]).is_err());
        assert!(table
            .admit(&needs("/reports/in.c-main/readme.txt")[0])
            .is_err());
        let bucket = holder("storage:read@in.c-main");
        assert!(bucket.admit(&orders[0]).is_ok());
        assert!(bucket.admit(&customers[0]).is_ok());
        // A table id that is not an id is refused, not read as a bucket.
        let m = t.resolve("GET", "/reports/in.c-main/*/x.csv").unwrap();
        assert!(m.required().is_err());
    }

    #[test]
    fn part_templates_are_checked() {
        let route = |require: &str| {
            RouteTable::from_json(&format!(
                r#"{{"routes":[{{"name":"r","methods":["GET"],"path":"/{{a}}/{{b}}/{{c}}",
                "require":["{require}"],"upstream":"http://u"}}]}}"#
            ))
        };
        assert!(route("storage:read@{a}/{b}").is_ok());
        for bad in [
            "storage:read@{a}/{a}",
            "storage:read@{a}/{b}/{c}",
            "storage:read@{a}/b",
            "storage:read@{a}/",
            "storage:read@{a}/{}",
        ] {
            assert!(route(bad).is_err(), "{bad}");
        }
        let e = route("storage:read@{a}/{z}").unwrap_err();
        assert!(e.contains("'z'"), "{e}");
        let t = GrantTemplate::parse("storage:read@{bucket}/{table}").unwrap();
        assert_eq!(t.to_string(), "storage:read@{bucket}/{table}");
    }

    #[test]
    fn a_star_from_the_path_is_not_every_resource() {
        let t = shipped();
        let m = t.resolve("POST", "/components/*/run").unwrap();
        assert!(m.required().is_err());
        let m = t.resolve("POST", "/components/%2A/run").unwrap();
        assert!(m.required().is_err());
    }

    #[test]
    fn patterns_are_checked() {
        assert!(PathPattern::parse("no-slash").is_err());
        assert!(PathPattern::parse("/a//b").is_err());
        assert!(PathPattern::parse("/{rest*}/x").is_err());
        assert!(PathPattern::parse("/a{b}").is_err());
        assert!(PathPattern::parse("/{a}/{a}").is_err());
        assert!(PathPattern::parse("/a/../b").is_err());
        assert!(PathPattern::parse("/./b").is_err());
        let p = PathPattern::parse("/a/{b}").unwrap();
        assert!(p.matches("/a/x/").is_none());
        assert!(p.matches("/a/").is_none());
        assert_eq!(p.matches("/a/x%20y").unwrap().unwrap()["b"], "x y");
        assert!(p.matches("/a/%ZZ").is_none());
    }

    #[test]
    fn tables_are_checked() {
        let route = |require: &str| {
            format!(
                r#"{{"routes":[{{"name":"r","methods":["GET"],"path":"/a/{{b}}","require":[{require}],"upstream":"${{UP}}"}}]}}"#
            )
        };
        assert!(RouteTable::from_json(&route(r#""storage:read@{b}""#)).is_ok());
        assert!(RouteTable::from_json(&route(r#""storage:read@{c}""#)).is_err());
        assert!(RouteTable::from_json(&route("")).is_err());
        let t = RouteTable::from_json(&route(r#""storage:fly@{b}""#)).unwrap();
        assert!(t.check(&default_catalog()).is_err());
        assert_eq!(t.routes[0].upstream, Setting::Env("UP".into()));
        assert_eq!(t.routes[0].accept, [Credential::Keyward]);
    }

    #[test]
    fn settings_come_from_the_environment() {
        let env = |n: &str| (n == "SET").then(|| "v".to_string());
        assert_eq!(Setting::parse("${SET}").resolve(&env), Some("v".into()));
        assert_eq!(Setting::parse("${UNSET}").resolve(&env), None);
        assert_eq!(
            Setting::parse("http://x").resolve(&env),
            Some("http://x".into())
        );
        assert_eq!(Setting::parse("${a b}"), Setting::Literal("${a b}".into()));
    }

    #[test]
    fn signature_matches_rfc_4231_and_the_documented_string() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign(b"Jefe", "what do ya want for nothing?"),
            "v1=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let id = Identity {
            token_id: "tok_1".into(),
            client_id: "cl_1".into(),
            kind: "scoped".into(),
            project: "alpha".into(),
        };
        assert_eq!(
            string_to_sign(1700000000, "POST", "/components/x/run?a=1", &id),
            "KEYWARD-HMAC-SHA256\n1700000000\nPOST\n/components/x/run?a=1\ntok_1\ncl_1\nscoped"
        );
    }

    #[test]
    fn the_v2_signature_covers_the_project() {
        let id = Identity {
            token_id: "tok_1".into(),
            client_id: "cl_1".into(),
            kind: "scoped".into(),
            project: "alpha".into(),
        };
        let v2 = string_to_sign_v2(1700000000, "POST", "/components/x/run?a=1", &id);
        assert_eq!(
            v2,
            "KEYWARD-HMAC-SHA256-V2\n1700000000\nPOST\n/components/x/run?a=1\ntok_1\ncl_1\nscoped\nalpha"
        );
        // A fixed vector, so any verifier can check its implementation.
        assert_eq!(
            sign_v2(b"test-gateway-signing-key", &v2),
            "v2=43ad60476ef6061e62b5db40bb6ba2b673da471df8f52785e9bf8aa7e50dcc3d"
        );
        let beta = Identity {
            project: "beta".into(),
            ..id.clone()
        };
        assert_ne!(
            sign_v2(b"k", &v2),
            sign_v2(
                b"k",
                &string_to_sign_v2(1700000000, "POST", "/components/x/run?a=1", &beta)
            )
        );
        // The v1 string does not see the project: why v2 exists.
        assert_eq!(
            string_to_sign(1, "GET", "/", &id),
            string_to_sign(1, "GET", "/", &beta)
        );
    }

    #[test]
    fn smuggled_paths_are_refused_not_authorized() {
        let t = shipped();
        for path in [
            "/reports/pub/..%2F..%2Fprivate%2Fx",
            "/reports/pub/..;/private/x",
            "/reports/pub/x;jsessionid=1",
            "/reports/pub/a%2fb",
            "/reports/pub/a%5Cb",
            "/reports/pub/a\\b",
            "/reports/pub/%2E%2E/private",
            "/reports/pub/.%2e/private",
            "/reports/pub/./x",
            "/reports/pub/../x",
            "/reports/pub/x/..",
            "/reports/pub/a..b",
            "/reports/pub/%252F",
            "/reports/pub/%00",
            "/reports/..%2Fprivate/x",
            "/reports/pub%3B/x",
            "/components/..%2Fadmin/run",
            "/components/%2e%2e/run",
        ] {
            assert!(
                matches!(t.resolve("GET", path), Err(Miss::UnsafePath(_))),
                "{path}: {:?}",
                t.resolve("GET", path).map(|m| m.params)
            );
        }
        // Refused whatever the method: the path is the problem.
        assert!(matches!(
            t.resolve("DELETE", "/reports/pub/..;/x"),
            Err(Miss::UnsafePath(_))
        ));
        // Ordinary names still pass, dots and spaces included.
        let ok = t.resolve("GET", "/reports/pub/2024/q1.v2.csv").unwrap();
        assert_eq!(
            (ok.params["table"].as_str(), ok.params["path"].as_str()),
            ("2024", "q1.v2.csv")
        );
        let ok = t.resolve("GET", "/reports/pub/my%20file.csv").unwrap();
        assert_eq!(ok.params["path"], "my file.csv");
        assert!(t.resolve("GET", "/reports/pub/.hidden").is_ok());
    }

    proptest! {
        #[test]
        fn params_round_trip_through_encoding(a in "[a-z0-9._-]{1,20}", b in "[A-Za-z0-9 ./é-]{1,20}") {
            let p = PathPattern::parse("/x/{a}/{b*}").unwrap();
            let enc: String = b.bytes().map(|c| if c.is_ascii_alphanumeric() || c == b'/' || c == b'-' || c == b'.' { (c as char).to_string() } else { format!("%{c:02X}") }).collect();
            let path = format!("/x/{a}/{enc}");
            match p.matches(&path) {
                Some(Ok(m)) => {
                    prop_assert_eq!(&m["a"], &a);
                    prop_assert_eq!(&m["b"], &b);
                }
                // `.`/`..` segments (or parameters) are refused.
                Some(Err(_)) => prop_assert!(a.contains("..") || a == "." || b.split('/').any(|s| s == "." || s.contains(".."))),
                // Empty segments (`//`) in the rest never match.
                None => prop_assert!(b.split('/').any(|s| s.is_empty())),
            }
        }

        #[test]
        fn no_accepted_parameter_hides_a_separator_or_a_dot_segment(
            a in "([a-z.;/\\\\%]|%2[eEfF]|%5[cC]|%3[bB]|%25|%00){1,12}",
            b in "([a-z.;/\\\\%]|%2[eEfF]|%5[cC]|%3[bB]|%25|%00){1,24}",
        ) {
            let p = PathPattern::parse("/x/{a}/{b*}").unwrap();
            if let Some(Ok(m)) = p.matches(&format!("/x/{a}/{b}")) {
                for bad in ["..", "/", "\\", ";", "%"] {
                    prop_assert!(!m["a"].contains(bad), "{:?}", m);
                }
                prop_assert!(m["a"] != ".");
                for seg in m["b"].split('/') {
                    prop_assert!(!seg.is_empty() && seg != ".");
                    for bad in ["..", "\\", ";", "%"] {
                        prop_assert!(!seg.contains(bad), "{:?}", m);
                    }
                }
                // What is forwarded has no encoded separator or dot either.
                let raw = format!("{a}/{b}").to_ascii_lowercase();
                for enc in ["%2f", "%2e", "%5c"] {
                    prop_assert!(!raw.contains(enc), "{raw}");
                }
            }
        }

        #[test]
        fn safe_segments_decode_to_what_was_encoded(s in "[A-Za-z0-9 _~é-]{1,20}") {
            let enc: String = s.bytes().map(|c| if c.is_ascii_alphanumeric() { (c as char).to_string() } else { format!("%{c:02X}") }).collect();
            prop_assert_eq!(safe_segment(&enc), Some(Ok(s)));
        }

        #[test]
        fn resolved_grants_only_name_ids_from_the_path(service in "[a-z0-9-]{1,12}", infra in "[a-z0-9-]{1,12}") {
            let t = shipped();
            let m = t.resolve("POST", &format!("/deployments/{service}/{infra}")).unwrap();
            let req = m.required().unwrap();
            prop_assert_eq!(req.len(), 2);
            prop_assert_eq!(&req[0].resource, &Some(Resource::Id(service)));
            prop_assert_eq!(&req[1].resource, &Some(Resource::Id(infra)));
        }

        #[test]
        fn different_lines_sign_differently(m in "[A-Z]{3,6}", p in "/[a-z/?=&]{0,20}", q in "/[a-z/?=&]{0,20}") {
            let id = Identity { token_id: "t".into(), client_id: "c".into(), kind: "scoped".into(), project: "default".into() };
            if p != q {
                prop_assert_ne!(sign(b"k", &string_to_sign(1, &m, &p, &id)), sign(b"k", &string_to_sign(1, &m, &q, &id)));
            }
        }
    }
}
