//! The route table: method and path to a [`Route`], or a precise 404/405.

use crate::http::ApiError;
use keyward_domain::ErrorCode;
use worker::Method;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Health,
    OpenApi,
    Catalog,
    WhoAmI,
    Verify,
    Audit,
    ListTokens,
    CreateToken,
    GetToken(String),
    UpdateToken(String),
    DeleteToken(String),
    RefreshToken(String),
    ListAdmins,
    CreateAdmin,
    DeleteAdmin(String),
    ListBuckets,
    CreateBucket,
    ListObjects(String),
    PutObject(String, String),
    GetObject(String, String),
    DeleteObject(String, String),
    CreateInvitation(String),
    ListInvitations,
    RevokeInvitation(String),
    ResendInvitation(String),
    OpenInvitation(String),
    AcceptInvitation(String),
    Outbox,
    /// A storage route inside `/projects/{id}/`.
    InProject(String, Box<Route>),
    ListPersonas,
    CreatePersona,
    GetPersona(String),
    UpdatePersona(String),
    DeletePersona(String),
    ListMembers,
    CreateMember,
    GetMember(String),
    UpdateMember(String),
    DeleteMember(String),
    ListPersonalKeys(String),
    CreatePersonalKey(String),
    DeletePersonalKey(String, String),
    ListProjects,
    CreateProject,
}

impl Route {
    pub fn is_public(&self) -> bool {
        matches!(
            self,
            Route::Health | Route::OpenApi | Route::OpenInvitation(_) | Route::AcceptInvitation(_)
        )
    }

    /// The audit log's action name.
    pub fn action(&self) -> &'static str {
        match self {
            Route::InProject(_, inner) => inner.action(),
            Route::ListPersonas => "persona.list",
            Route::CreatePersona => "persona.create",
            Route::GetPersona(_) => "persona.read",
            Route::UpdatePersona(_) => "persona.update",
            Route::DeletePersona(_) => "persona.delete",
            Route::ListMembers => "member.list",
            Route::CreateMember => "member.create",
            Route::GetMember(_) => "member.read",
            Route::UpdateMember(_) => "member.update",
            Route::DeleteMember(_) => "member.delete",
            Route::ListPersonalKeys(_) => "personal_key.list",
            Route::CreatePersonalKey(_) => "personal_key.create",
            Route::DeletePersonalKey(..) => "token.delete",
            Route::ListProjects => "project.list",
            Route::CreateProject => "project.create",
            Route::Health => "health",
            Route::OpenApi => "openapi",
            Route::Catalog => "catalog.read",
            Route::WhoAmI => "whoami",
            Route::Verify => "token.verify",
            Route::Audit => "audit.read",
            Route::ListTokens => "token.list",
            Route::CreateToken => "token.create",
            Route::GetToken(_) => "token.read",
            Route::UpdateToken(_) => "token.update",
            Route::DeleteToken(_) => "token.delete",
            Route::RefreshToken(_) => "token.refresh",
            Route::ListAdmins => "admin.list",
            Route::CreateAdmin => "admin.create",
            Route::DeleteAdmin(_) => "admin.delete",
            Route::ListBuckets => "bucket.list",
            Route::CreateBucket => "bucket.create",
            Route::ListObjects(_) => "object.list",
            Route::PutObject(..) => "object.put",
            Route::GetObject(..) => "object.read",
            Route::DeleteObject(..) => "object.delete",
            Route::CreateInvitation(_) => "invitation.create",
            Route::ListInvitations => "invitation.list",
            Route::RevokeInvitation(_) => "invitation.revoke",
            Route::ResendInvitation(_) => "invitation.resend",
            Route::OpenInvitation(_) => "invitation.open",
            Route::AcceptInvitation(_) => "invitation.accept",
            Route::Outbox => "outbox.read",
        }
    }

    pub fn target(&self) -> String {
        match self {
            Route::InProject(p, inner) => format!("{p}:{}", inner.target()),
            Route::GetPersona(id)
            | Route::UpdatePersona(id)
            | Route::DeletePersona(id)
            | Route::GetMember(id)
            | Route::UpdateMember(id)
            | Route::DeleteMember(id)
            | Route::ListPersonalKeys(id)
            | Route::CreatePersonalKey(id)
            | Route::DeletePersonalKey(_, id) => id.clone(),
            Route::GetToken(id)
            | Route::UpdateToken(id)
            | Route::DeleteToken(id)
            | Route::RefreshToken(id)
            | Route::DeleteAdmin(id)
            | Route::ListObjects(id)
            | Route::CreateInvitation(id)
            | Route::RevokeInvitation(id)
            | Route::ResendInvitation(id) => id.clone(),
            Route::PutObject(b, k) | Route::GetObject(b, k) | Route::DeleteObject(b, k) => {
                format!("{b}/{k}")
            }
            _ => String::new(),
        }
    }

    /// Successful changes that the registry records in the same step as
    /// the change itself; the front records everything else.
    pub fn audited_by_registry(&self) -> bool {
        if let Route::InProject(_, inner) = self {
            return inner.audited_by_registry();
        }
        self.changes_control_plane() || matches!(self, Route::CreateBucket)
    }

    /// Changes to tokens, invitations, admins and the directory (not to
    /// the data a token works on): what a retired secret may never do.
    pub fn changes_control_plane(&self) -> bool {
        matches!(
            self,
            Route::CreatePersona
                | Route::UpdatePersona(_)
                | Route::DeletePersona(_)
                | Route::CreateMember
                | Route::UpdateMember(_)
                | Route::DeleteMember(_)
                | Route::CreatePersonalKey(_)
                | Route::DeletePersonalKey(..)
                | Route::CreateProject
                | Route::CreateToken
                | Route::UpdateToken(_)
                | Route::DeleteToken(_)
                | Route::RefreshToken(_)
                | Route::CreateAdmin
                | Route::DeleteAdmin(_)
                | Route::CreateInvitation(_)
                | Route::RevokeInvitation(_)
                | Route::ResendInvitation(_)
        )
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

pub fn resolve(raw_method: &str, path: &str) -> Result<Route, ApiError> {
    // An unknown method matches no route arm and so gets 405 with `Allow`.
    let method = &method(raw_method).unwrap_or(Method::Connect);
    let Some(rest) = path.strip_prefix("/api/v1/") else {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            format!("no API at {path}"),
        ));
    };
    let segments: Vec<String> = rest
        .trim_end_matches('/')
        .split('/')
        .map(decode_segment)
        .collect::<Result<_, _>>()?;
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    // Storage inside a project: the same routes, acting in that project.
    if let ["projects", project, "buckets", ..] = seg.as_slice() {
        let inner_path = format!("/api/v1/{}", rest.splitn(3, '/').nth(2).unwrap_or(""));
        let inner = resolve(raw_method, &inner_path)?;
        return Ok(Route::InProject(project.to_string(), Box::new(inner)));
    }
    use Method::*;
    let (allowed, route): (&[Method], Option<Route>) = match seg.as_slice() {
        ["health"] => (&[Get], matches!(method, Get).then_some(Route::Health)),
        ["openapi.json"] => (&[Get], matches!(method, Get).then_some(Route::OpenApi)),
        ["catalog"] => (&[Get], matches!(method, Get).then_some(Route::Catalog)),
        ["whoami"] => (&[Get], matches!(method, Get).then_some(Route::WhoAmI)),
        ["verify"] => (&[Post], matches!(method, Post).then_some(Route::Verify)),
        ["audit"] => (&[Get], matches!(method, Get).then_some(Route::Audit)),
        ["tokens"] => (
            &[Get, Post],
            match method {
                Get => Some(Route::ListTokens),
                Post => Some(Route::CreateToken),
                _ => None,
            },
        ),
        ["tokens", id] => (
            &[Get, Patch, Delete],
            match method {
                Get => Some(Route::GetToken(id.to_string())),
                Patch => Some(Route::UpdateToken(id.to_string())),
                Delete => Some(Route::DeleteToken(id.to_string())),
                _ => None,
            },
        ),
        ["tokens", id, "refresh"] => (
            &[Post],
            matches!(method, Post).then(|| Route::RefreshToken(id.to_string())),
        ),
        ["admins"] => (
            &[Get, Post],
            match method {
                Get => Some(Route::ListAdmins),
                Post => Some(Route::CreateAdmin),
                _ => None,
            },
        ),
        ["admins", id] => (
            &[Delete],
            matches!(method, Delete).then(|| Route::DeleteAdmin(id.to_string())),
        ),
        ["buckets"] => (
            &[Get, Post],
            match method {
                Get => Some(Route::ListBuckets),
                Post => Some(Route::CreateBucket),
                _ => None,
            },
        ),
        ["buckets", b, "objects"] => (
            &[Get],
            matches!(method, Get).then(|| Route::ListObjects(b.to_string())),
        ),
        ["buckets", b, "objects", key] => (
            &[Get, Put, Delete],
            match method {
                Get => Some(Route::GetObject(b.to_string(), key.to_string())),
                Put => Some(Route::PutObject(b.to_string(), key.to_string())),
                Delete => Some(Route::DeleteObject(b.to_string(), key.to_string())),
                _ => None,
            },
        ),
        ["tokens", id, "invitations"] => (
            &[Post],
            matches!(method, Post).then(|| Route::CreateInvitation(id.to_string())),
        ),
        ["invitations"] => (
            &[Get],
            matches!(method, Get).then_some(Route::ListInvitations),
        ),
        ["invitations", "open", code] => (
            &[Get],
            matches!(method, Get).then(|| Route::OpenInvitation(code.to_string())),
        ),
        ["invitations", "open", code, "accept"] => (
            &[Post],
            matches!(method, Post).then(|| Route::AcceptInvitation(code.to_string())),
        ),
        ["invitations", id] => (
            &[Delete],
            matches!(method, Delete).then(|| Route::RevokeInvitation(id.to_string())),
        ),
        ["invitations", id, "resend"] => (
            &[Post],
            matches!(method, Post).then(|| Route::ResendInvitation(id.to_string())),
        ),
        ["outbox"] => (&[Get], matches!(method, Get).then_some(Route::Outbox)),
        ["personas"] => (
            &[Get, Post],
            match method {
                Get => Some(Route::ListPersonas),
                Post => Some(Route::CreatePersona),
                _ => None,
            },
        ),
        ["personas", id] => (
            &[Get, Patch, Delete],
            match method {
                Get => Some(Route::GetPersona(id.to_string())),
                Patch => Some(Route::UpdatePersona(id.to_string())),
                Delete => Some(Route::DeletePersona(id.to_string())),
                _ => None,
            },
        ),
        ["members"] => (
            &[Get, Post],
            match method {
                Get => Some(Route::ListMembers),
                Post => Some(Route::CreateMember),
                _ => None,
            },
        ),
        ["members", id] => (
            &[Get, Patch, Delete],
            match method {
                Get => Some(Route::GetMember(id.to_string())),
                Patch => Some(Route::UpdateMember(id.to_string())),
                Delete => Some(Route::DeleteMember(id.to_string())),
                _ => None,
            },
        ),
        ["members", id, "keys"] => (
            &[Get, Post],
            match method {
                Get => Some(Route::ListPersonalKeys(id.to_string())),
                Post => Some(Route::CreatePersonalKey(id.to_string())),
                _ => None,
            },
        ),
        ["members", id, "keys", key] => (
            &[Delete],
            matches!(method, Delete)
                .then(|| Route::DeletePersonalKey(id.to_string(), key.to_string())),
        ),
        ["projects"] => (
            &[Get, Post],
            match method {
                Get => Some(Route::ListProjects),
                Post => Some(Route::CreateProject),
                _ => None,
            },
        ),
        _ => {
            return Err(ApiError::new(
                ErrorCode::NotFound,
                format!("no API at {path}"),
            ))
        }
    };
    route.ok_or_else(|| {
        let names: Vec<String> = allowed.iter().map(|m| m.to_string()).collect();
        let mut err = ApiError::new(
            ErrorCode::MethodNotAllowed,
            format!("{raw_method} is not allowed here; use {}", names.join(", ")),
        );
        err.allow = Some(names.join(", "));
        err
    })
}
