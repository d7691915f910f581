//! Resolution over the route table (`keyward_domain::contract::OPERATIONS`):
//! the request's method and path to its entry and decoded parameters, or a
//! precise 404/405. The audit names, the flags and dispatch all come from
//! the entry.

use crate::http::ApiError;
pub use keyward_domain::contract::Endpoint;
use keyward_domain::contract::{Operation, Target, OPERATIONS};
use keyward_domain::paths as P;
use keyward_domain::ErrorCode;
use worker::Method;

/// A request's route: its table entry, the decoded path parameters, and
/// the project it acts in (the storage routes under `/projects/{project}/`).
#[derive(Debug, Clone)]
pub struct Route {
    def: &'static Operation,
    params: Vec<(&'static str, String)>,
    project: Option<String>,
}

impl Route {
    pub fn endpoint(&self) -> Endpoint {
        self.def.endpoint
    }

    /// The project named in the path (`/projects/{project}/buckets…`).
    pub fn project(&self) -> Option<&str> {
        self.project.as_deref()
    }

    /// A path parameter, percent-decoded. The names are the table's.
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("route {} has no parameter {name}", self.def.path.template()))
    }

    pub fn is_public(&self) -> bool {
        self.def.flags.public
    }

    /// The audit log's action name.
    pub fn action(&self) -> &'static str {
        self.def.action
    }

    pub fn target(&self) -> String {
        let target = match self.def.target {
            Target::None => String::new(),
            Target::Param(name) => self.param(name).to_string(),
            Target::Object => format!("{}/{}", self.param("bucket"), self.param("key")),
        };
        match &self.project {
            Some(p) => format!("{p}:{target}"),
            None => target,
        }
    }

    /// Successful changes that the registry records in the same step as
    /// the change itself; the front records everything else.
    pub fn audited_by_registry(&self) -> bool {
        self.def.flags.audited_by_registry
    }

    /// Changes to tokens, invitations, admins and the directory (not to
    /// the data a token works on): what a retired secret may never do.
    pub fn changes_control_plane(&self) -> bool {
        self.def.flags.changes_control_plane
    }

    /// A create that takes an `Idempotency-Key`.
    pub fn idempotent(&self) -> bool {
        self.def.flags.idempotent
    }
}

fn decode_segment(s: &str) -> Result<String, ApiError> {
    use keyward_domain::gateway::{decode_percent, PercentError};
    decode_percent(s).map_err(|e| match e {
        PercentError::BadEscape => ApiError::new(
            ErrorCode::InvalidRequest,
            "bad percent-encoding in the path",
        ),
        PercentError::NotUtf8 => {
            ApiError::new(ErrorCode::InvalidRequest, "the path is not valid UTF-8")
        }
    })
}

/// Parses the request method exactly. (worker's own conversion maps every
/// unknown method to GET, which would let `QUERY /api/v1/...` act as a GET.)
pub fn method(raw: &str) -> Option<Method> {
    Some(match raw {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "PATCH" => Method::Patch,
        "DELETE" => Method::Delete,
        "OPTIONS" => Method::Options,
        "TRACE" => Method::Trace,
        _ => return None,
    })
}

type Router = matchit::Router<Vec<&'static Operation>>;

thread_local! {
    /// The table as a matcher, built once per isolate: path template to
    /// its entries, in table order.
    static ROUTER: &'static Router = Box::leak(Box::new(build_router()));
}

fn build_router() -> Router {
    let mut paths: Vec<(&'static str, Vec<&'static Operation>)> = Vec::new();
    for def in OPERATIONS {
        match paths.iter_mut().find(|(p, _)| *p == def.path.template()) {
            Some((_, defs)) => defs.push(def),
            None => paths.push((def.path.template(), vec![def])),
        }
    }
    let mut router = Router::new();
    for (path, defs) in paths {
        // matchit 0.7 spells a parameter `:name`.
        let template = path.replace('{', ":").replace('}', "");
        if let Err(e) = router.insert(template, defs) {
            panic!("route table: {path}: {e}");
        }
    }
    router
}

/// A decoded segment as matched: `%` and `/` escaped again so that a
/// decoded slash stays inside its segment, and an empty segment as a lone
/// `%` (which no escaped segment is) so that it still fills a parameter.
fn match_segment(decoded: &str) -> String {
    if decoded.is_empty() {
        return "%".to_string();
    }
    decoded.replace('%', "%25").replace('/', "%2F")
}

fn unmatch_segment(matched: &str) -> String {
    if matched == "%" {
        return String::new();
    }
    keyward_domain::gateway::decode_percent(matched).unwrap_or_else(|_| matched.to_string())
}

pub fn resolve(raw_method: &str, path: &str) -> Result<Route, ApiError> {
    let not_found = || ApiError::new(ErrorCode::NotFound, format!("no API at {path}"));
    let Some(rest) = path.strip_prefix(P::BASE).and_then(|p| p.strip_prefix('/')) else {
        return Err(not_found());
    };
    // Every segment is decoded before matching: a bad escape anywhere is
    // a 400, and literals match in any spelling.
    let segments: Vec<String> = rest
        .trim_end_matches('/')
        .split('/')
        .map(decode_segment)
        .collect::<Result<_, _>>()?;
    // Storage inside a project: the same routes, acting in that project.
    if let [first, project, third, ..] = segments.as_slice() {
        if first == "projects" && third == "buckets" {
            let inner_path = format!("/api/v1/{}", rest.splitn(3, '/').nth(2).unwrap_or(""));
            let mut inner = resolve(raw_method, &inner_path)?;
            inner.project = Some(project.clone());
            return Ok(inner);
        }
    }
    let matched_path: String = segments
        .iter()
        .map(|s| format!("/{}", match_segment(s)))
        .collect();
    let router = ROUTER.with(|r| *r);
    let matched = router.at(&matched_path).map_err(|_| not_found())?;
    // An unknown method matches no entry and so gets 405 with `Allow`;
    // methods are case-sensitive.
    let Some(def) = matched
        .value
        .iter()
        .find(|d| d.method.as_str() == raw_method)
    else {
        let names: Vec<String> = matched.value.iter().map(|d| d.method.to_string()).collect();
        let mut err = ApiError::new(
            ErrorCode::MethodNotAllowed,
            format!("{raw_method} is not allowed here; use {}", names.join(", ")),
        );
        err.allow = Some(names.join(", "));
        return Err(err);
    };
    Ok(Route {
        def,
        params: matched
            .params
            .iter()
            .map(|(name, value)| (name, unmatch_segment(value)))
            .collect(),
        project: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_domain::paths::PathTemplate;

    /// A concrete path for a template: each `{name}` filled with `x-name`.
    fn concrete(template: PathTemplate) -> String {
        let filled: Vec<String> = template
            .template()
            .split('/')
            .map(|s| match s.strip_prefix('{') {
                Some(name) => format!("x-{}", name.trim_end_matches('}')),
                None => s.to_string(),
            })
            .collect();
        format!("/api/v1{}", filled.join("/"))
    }

    fn err(method: &str, path: &str) -> ApiError {
        resolve(method, path).expect_err(path)
    }

    #[test]
    fn every_entry_resolves_to_itself() {
        for def in OPERATIONS {
            let path = concrete(def.path);
            let route = resolve(def.method.as_str(), &path).expect(&path);
            assert!(std::ptr::eq(route.def, def), "{} {path}", def.method);
            for name in def.path.params() {
                assert_eq!(route.param(name), format!("x-{name}"));
            }
            assert!(route.project().is_none());
            // Every name the target uses is a parameter of the path.
            route.target();
        }
    }

    #[test]
    fn storage_routes_also_answer_in_a_project() {
        let route = resolve("PUT", "/api/v1/projects/p1/buckets/b/objects/k").unwrap();
        assert_eq!(route.endpoint(), Endpoint::PutObject);
        assert_eq!(route.project(), Some("p1"));
        assert_eq!(route.target(), "p1:b/k");
        assert_eq!(route.action(), "object.put");
        let e = err("GET", "/api/v1/projects/p1/buckets/b/x");
        assert_eq!(e.problem.detail, "no API at /api/v1/buckets/b/x");
    }

    #[test]
    fn a_wrong_method_lists_the_tables_methods() {
        for def in OPERATIONS {
            let path = concrete(def.path);
            let expected: Vec<String> = OPERATIONS
                .iter()
                .filter(|d| d.path == def.path)
                .map(|d| d.method.to_string())
                .collect();
            for wrong in ["OPTIONS", "TRACE", "HEAD", "QUERY", "get"] {
                let e = err(wrong, &path);
                assert_eq!(e.code(), ErrorCode::MethodNotAllowed);
                assert_eq!(e.allow.as_deref(), Some(expected.join(", ").as_str()));
                assert_eq!(
                    e.problem.detail,
                    format!("{wrong} is not allowed here; use {}", expected.join(", "))
                );
            }
        }
        assert_eq!(
            err("PUT", "/api/v1/tokens/t1").allow.as_deref(),
            Some("GET, PATCH, DELETE")
        );
    }

    #[test]
    fn an_unknown_path_is_404() {
        for path in [
            "/api/v1/nope",
            "/api/v1/",
            "/api/v1",
            "/elsewhere",
            "/api/v1/tokens/a/b/c",
        ] {
            let e = err("GET", path);
            assert_eq!(e.code(), ErrorCode::NotFound);
            assert_eq!(e.problem.detail, format!("no API at {path}"));
        }
    }

    #[test]
    fn an_encoded_slash_stays_in_its_parameter() {
        let route = resolve("GET", "/api/v1/tokens/a%2Fb").unwrap();
        assert_eq!(route.endpoint(), Endpoint::GetToken);
        assert_eq!(route.param("id"), "a/b");
        let route = resolve("DELETE", "/api/v1/buckets/b%2F1/objects/k%2F%252F").unwrap();
        assert_eq!(route.param("bucket"), "b/1");
        assert_eq!(route.param("key"), "k/%2F");
        assert_eq!(route.target(), "b/1/k/%2F");
        // Trailing slashes are ignored; an empty segment is an empty parameter.
        assert_eq!(
            resolve("GET", "/api/v1/tokens/t1/").unwrap().param("id"),
            "t1"
        );
        assert_eq!(
            resolve("POST", "/api/v1/tokens//refresh")
                .unwrap()
                .param("id"),
            ""
        );
    }

    #[test]
    fn a_bad_escape_is_400() {
        for (path, detail) in [
            ("/api/v1/tokens/a%zz", "bad percent-encoding in the path"),
            ("/api/v1/nowhere/%+5", "bad percent-encoding in the path"),
            ("/api/v1/tokens/%ff", "the path is not valid UTF-8"),
        ] {
            let e = err("GET", path);
            assert_eq!(e.code(), ErrorCode::InvalidRequest, "{path}");
            assert_eq!(e.problem.detail, detail);
        }
    }

    #[test]
    fn actions_are_named_and_entries_unique() {
        for (i, def) in OPERATIONS.iter().enumerate() {
            assert!(!def.action.is_empty(), "{} {:?}", def.method, def.path);
            assert!(
                !OPERATIONS[..i]
                    .iter()
                    .any(|d| d.method == def.method && d.path == def.path),
                "{} {:?} twice",
                def.method,
                def.path
            );
            // A control-plane change is always recorded by the registry.
            assert!(!def.flags.changes_control_plane || def.flags.audited_by_registry);
        }
    }
}
