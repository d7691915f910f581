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
        matches!(
            self,
            Route::CreateToken
                | Route::UpdateToken(_)
                | Route::DeleteToken(_)
                | Route::RefreshToken(_)
                | Route::CreateAdmin
                | Route::DeleteAdmin(_)
                | Route::CreateBucket
                | Route::CreateInvitation(_)
                | Route::RevokeInvitation(_)
                | Route::ResendInvitation(_)
        )
    }
}

fn decode_segment(s: &str) -> Result<String, ApiError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::InvalidRequest,
                        "bad percent-encoding in the path",
                    )
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| ApiError::new(ErrorCode::InvalidRequest, "the path is not valid UTF-8"))
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
