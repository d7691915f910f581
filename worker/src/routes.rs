//! The route table: one entry per method and path, from which resolution
//! (with its precise 404/405), the audit names, the flags and dispatch all
//! derive.

use crate::http::ApiError;
use keyward_domain::paths::{self as P, PathTemplate};
use keyward_domain::ErrorCode;
use worker::Method;

/// The handler a route runs; `dispatch` in `lib.rs` has one arm per name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Health,
    OpenApi,
    Catalog,
    WhoAmI,
    Verify,
    Audit,
    ListTokens,
    CreateToken,
    GetToken,
    UpdateToken,
    DeleteToken,
    RefreshToken,
    ListAdmins,
    CreateAdmin,
    DeleteAdmin,
    ListBuckets,
    CreateBucket,
    ListObjects,
    PutObject,
    GetObject,
    DeleteObject,
    CreateInvitation,
    ListInvitations,
    RevokeInvitation,
    ResendInvitation,
    OpenInvitation,
    AcceptInvitation,
    Outbox,
    ListPersonas,
    CreatePersona,
    GetPersona,
    UpdatePersona,
    DeletePersona,
    ListMembers,
    CreateMember,
    GetMember,
    UpdateMember,
    DeleteMember,
    ListPersonalKeys,
    CreatePersonalKey,
    DeletePersonalKey,
    ListProjects,
    CreateProject,
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
}

const PLAIN: Flags = Flags {
    public: false,
    changes_control_plane: false,
    audited_by_registry: false,
};
const PUBLIC: Flags = Flags {
    public: true,
    ..PLAIN
};
/// Every control-plane change is recorded by the registry.
const CONTROL: Flags = Flags {
    changes_control_plane: true,
    audited_by_registry: true,
    ..PLAIN
};
const REGISTRY: Flags = Flags {
    audited_by_registry: true,
    ..PLAIN
};

/// One route: method, path template under `/api/v1` (`{name}` is one
/// path segment), handler, audit action, audit target, flags.
#[derive(Debug)]
pub struct RouteDef {
    pub method: Method,
    pub path: PathTemplate,
    pub endpoint: Endpoint,
    pub action: &'static str,
    pub target: Target,
    pub flags: Flags,
}

const fn def(
    method: Method,
    path: PathTemplate,
    endpoint: Endpoint,
    action: &'static str,
    target: Target,
    flags: Flags,
) -> RouteDef {
    RouteDef {
        method,
        path,
        endpoint,
        action,
        target,
        flags,
    }
}

use Endpoint as E;
use Method::{Delete, Get, Patch, Post, Put};
use Target::{Object, Param};

/// Every API route. For one path, the order of its entries is the order
/// of the methods in a 405's `Allow`. The storage routes (`/buckets…`)
/// also answer inside `/projects/{project}/`, acting in that project.
#[rustfmt::skip]
pub static ROUTES: &[RouteDef] = &[
    def(Get, P::HEALTH, E::Health, "health", Target::None, PUBLIC),
    def(Get, P::OPENAPI, E::OpenApi, "openapi", Target::None, PUBLIC),
    def(Get, P::CATALOG, E::Catalog, "catalog.read", Target::None, PLAIN),
    def(Get, P::WHOAMI, E::WhoAmI, "whoami", Target::None, PLAIN),
    def(Post, P::VERIFY, E::Verify, "token.verify", Target::None, PLAIN),
    def(Get, P::AUDIT, E::Audit, "audit.read", Target::None, PLAIN),
    def(Get, P::TOKENS, E::ListTokens, "token.list", Target::None, PLAIN),
    def(Post, P::TOKENS, E::CreateToken, "token.create", Target::None, CONTROL),
    def(Get, P::TOKEN, E::GetToken, "token.read", Param("id"), PLAIN),
    def(Patch, P::TOKEN, E::UpdateToken, "token.update", Param("id"), CONTROL),
    def(Delete, P::TOKEN, E::DeleteToken, "token.delete", Param("id"), CONTROL),
    def(Post, P::TOKEN_REFRESH, E::RefreshToken, "token.refresh", Param("id"), CONTROL),
    def(Get, P::ADMINS, E::ListAdmins, "admin.list", Target::None, PLAIN),
    def(Post, P::ADMINS, E::CreateAdmin, "admin.create", Target::None, CONTROL),
    def(Delete, P::ADMIN, E::DeleteAdmin, "admin.delete", Param("id"), CONTROL),
    def(Get, P::BUCKETS, E::ListBuckets, "bucket.list", Target::None, PLAIN),
    def(Post, P::BUCKETS, E::CreateBucket, "bucket.create", Target::None, REGISTRY),
    def(Get, P::OBJECTS, E::ListObjects, "object.list", Param("bucket"), PLAIN),
    def(Get, P::OBJECT, E::GetObject, "object.read", Object, PLAIN),
    def(Put, P::OBJECT, E::PutObject, "object.put", Object, PLAIN),
    def(Delete, P::OBJECT, E::DeleteObject, "object.delete", Object, PLAIN),
    def(Post, P::TOKEN_INVITATIONS, E::CreateInvitation, "invitation.create", Param("id"), CONTROL),
    def(Get, P::INVITATIONS, E::ListInvitations, "invitation.list", Target::None, PLAIN),
    def(Get, P::INVITATION_OPEN, E::OpenInvitation, "invitation.open", Target::None, PUBLIC),
    def(Post, P::INVITATION_ACCEPT, E::AcceptInvitation, "invitation.accept", Target::None, PUBLIC),
    def(Delete, P::INVITATION, E::RevokeInvitation, "invitation.revoke", Param("id"), CONTROL),
    def(Post, P::INVITATION_RESEND, E::ResendInvitation, "invitation.resend", Param("id"), CONTROL),
    def(Get, P::OUTBOX, E::Outbox, "outbox.read", Target::None, PLAIN),
    def(Get, P::PERSONAS, E::ListPersonas, "persona.list", Target::None, PLAIN),
    def(Post, P::PERSONAS, E::CreatePersona, "persona.create", Target::None, CONTROL),
    def(Get, P::PERSONA, E::GetPersona, "persona.read", Param("id"), PLAIN),
    def(Patch, P::PERSONA, E::UpdatePersona, "persona.update", Param("id"), CONTROL),
    def(Delete, P::PERSONA, E::DeletePersona, "persona.delete", Param("id"), CONTROL),
    def(Get, P::MEMBERS, E::ListMembers, "member.list", Target::None, PLAIN),
    def(Post, P::MEMBERS, E::CreateMember, "member.create", Target::None, CONTROL),
    def(Get, P::MEMBER, E::GetMember, "member.read", Param("id"), PLAIN),
    def(Patch, P::MEMBER, E::UpdateMember, "member.update", Param("id"), CONTROL),
    def(Delete, P::MEMBER, E::DeleteMember, "member.delete", Param("id"), CONTROL),
    def(Get, P::MEMBER_KEYS, E::ListPersonalKeys, "personal_key.list", Param("id"), PLAIN),
    def(Post, P::MEMBER_KEYS, E::CreatePersonalKey, "personal_key.create", Param("id"), CONTROL),
    def(Delete, P::MEMBER_KEY, E::DeletePersonalKey, "token.delete", Param("key"), CONTROL),
    def(Get, P::PROJECTS, E::ListProjects, "project.list", Target::None, PLAIN),
    def(Post, P::PROJECTS, E::CreateProject, "project.create", Target::None, CONTROL),
];

/// A request's route: its table entry, the decoded path parameters, and
/// the project it acts in (the storage routes under `/projects/{project}/`).
#[derive(Debug, Clone)]
pub struct Route {
    def: &'static RouteDef,
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

type Router = matchit::Router<Vec<&'static RouteDef>>;

thread_local! {
    /// The table as a matcher, built once per isolate: path template to
    /// its entries, in table order.
    static ROUTER: &'static Router = Box::leak(Box::new(build_router()));
}

fn build_router() -> Router {
    let mut paths: Vec<(&'static str, Vec<&'static RouteDef>)> = Vec::new();
    for def in ROUTES {
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
    // An unknown method matches no entry and so gets 405 with `Allow`.
    let method = method(raw_method);
    let Some(def) = matched
        .value
        .iter()
        .find(|d| Some(&d.method) == method.as_ref())
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
        for def in ROUTES {
            let path = concrete(def.path);
            let route = resolve(def.method.as_ref(), &path).expect(&path);
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
        for def in ROUTES {
            let path = concrete(def.path);
            let expected: Vec<String> = ROUTES
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
        for (i, def) in ROUTES.iter().enumerate() {
            assert!(!def.action.is_empty(), "{} {:?}", def.method, def.path);
            assert!(
                !ROUTES[..i]
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
