//! Forwarding an allowed call to the upstream: method, path rest, query and
//! body (streamed, never buffered), minus the caller's credential, plus the
//! signed identity headers. The upstream's answer comes back as it is.

use crate::http::{ApiError, ApiResult};
use futures_util::future::{select, Either};
use keyward_domain::gateway::{
    self, Identity, HEADER_CLIENT_ID, HEADER_KIND, HEADER_PROJECT, HEADER_SIGNATURE,
    HEADER_SIGNATURE_V2, HEADER_TIMESTAMP, HEADER_TOKEN_ID,
};
use keyward_domain::ErrorCode;
use std::time::Duration;
use worker::{
    AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect, Response,
};

pub struct Target<'a> {
    /// The upstream base URL, e.g. `https://origin.internal/api`.
    pub base: &'a str,
    /// The raw path after `/gw`.
    pub rest: &'a str,
    pub query: Option<&'a str>,
    /// What the edge saw: the client's address (`CF-Connecting-IP`, which
    /// Cloudflare sets and clients cannot) and the scheme it was called on.
    pub client_ip: Option<&'a str>,
    pub scheme: &'a str,
}

/// Headers that must not travel: the caller's credential, hop-by-hop
/// headers (RFC 9110 §7.6.1), anything claiming to be ours, which only
/// the gateway may set, and what a client could use to make the upstream
/// (or a proxy before it) see another path or another client than the
/// edge did: `X-Original-URL`/`X-Rewrite-URL` (path overrides some
/// frameworks honour), `Forwarded`, `X-Forwarded-*` and `X-Real-IP`. The
/// gateway sets `X-Forwarded-For` and `X-Forwarded-Proto` itself.
fn forwardable(name: &str) -> bool {
    !(matches!(
        name,
        "authorization"
            | "proxy-authorization"
            | "host"
            | "connection"
            | "keep-alive"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "content-length"
            | "x-original-url"
            | "x-rewrite-url"
            | "forwarded"
            | "x-real-ip"
    ) || name.starts_with("x-keyward-")
        || name.starts_with("x-forwarded-")
        || name.starts_with("cf-"))
}

pub async fn forward(
    req: crate::incoming::Req,
    target: &Target<'_>,
    identity: &Identity,
    key: &[u8],
    timeout: Duration,
) -> ApiResult<Response> {
    let base = target.base.trim_end_matches('/');
    let url = match target.query {
        Some(q) => format!("{base}{}?{q}", target.rest),
        None => format!("{base}{}", target.rest),
    };
    let parsed = crate::weburl::WebUrl::parse(&url).map_err(|e| {
        worker::console_error!("gateway upstream URL '{url}': {e:?}");
        ApiError::new(
            ErrorCode::UpstreamUnavailable,
            "the upstream URL is not valid",
        )
    })?;
    // What the upstream sees on its request line is what gets signed.
    let path_and_query = match parsed.query() {
        Some(q) => format!("{}?{q}", parsed.path()),
        None => parsed.path().to_string(),
    };
    let method = req.inner().method();
    if [
        &identity.token_id,
        &identity.client_id,
        &identity.kind,
        &identity.project,
        &path_and_query,
    ]
    .iter()
    .any(|v| !gateway::is_header_safe(v))
    {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "the call cannot be signed (non-ASCII identity or path)",
        ));
    }
    let timestamp = super::now_seconds();
    let signature = gateway::sign(
        key,
        &gateway::string_to_sign(timestamp, &method, &path_and_query, identity),
    );
    let signature_v2 = gateway::sign_v2(
        key,
        &gateway::string_to_sign_v2(timestamp, &method, &path_and_query, identity),
    );

    let headers = Headers::new();
    for (name, value) in req.headers().entries() {
        if forwardable(&name.to_ascii_lowercase()) {
            headers.append(&name, &value)?;
        }
    }
    headers.set(HEADER_TOKEN_ID, &identity.token_id)?;
    headers.set(HEADER_CLIENT_ID, &identity.client_id)?;
    headers.set(HEADER_KIND, &identity.kind)?;
    headers.set(HEADER_PROJECT, &identity.project)?;
    headers.set(HEADER_TIMESTAMP, &timestamp.to_string())?;
    headers.set(HEADER_SIGNATURE, &signature)?;
    headers.set(HEADER_SIGNATURE_V2, &signature_v2)?;
    if let Some(ip) = target.client_ip {
        headers.set("x-forwarded-for", ip)?;
    }
    headers.set("x-forwarded-proto", target.scheme)?;

    let mut init = RequestInit::new();
    init.with_method(crate::routes::method(&method).unwrap_or(Method::Get))
        .with_headers(headers)
        // The upstream's redirects are its answer, not ours to follow.
        .with_redirect(RequestRedirect::Manual);
    if !matches!(method.as_str(), "GET" | "HEAD") {
        init.with_body(req.inner().body().map(Into::into));
    }
    let upstream_req = Request::new_with_init(parsed.as_str(), &init)?;

    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(upstream_req);
    let send = Box::pin(fetch.send_with_signal(&signal));
    let deadline = Box::pin(Delay::from(timeout));
    let outcome = match select(send, deadline).await {
        Either::Left((Ok(resp), _)) => Ok(resp),
        Either::Left((Err(e), _)) => {
            worker::console_error!("gateway upstream {base} failed: {e}");
            Err(ApiError::new(
                ErrorCode::UpstreamUnavailable,
                "the upstream could not be reached",
            ))
        }
        Either::Right(_) => {
            controller.abort();
            Err(ApiError::new(
                ErrorCode::UpstreamTimeout,
                format!(
                    "the upstream did not answer within {} ms",
                    timeout.as_millis()
                ),
            ))
        }
    };
    outcome
}
