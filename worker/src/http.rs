//! HTTP plumbing: problem responses, JSON bodies, limits and headers.

use futures_util::StreamExt;
use keyward_domain::{api, ErrorCode, FieldError, Problem};
use serde::{de::DeserializeOwned, Serialize};
use worker::{Headers, Request, Response};

/// JSON bodies larger than this are refused before parsing.
pub const JSON_BODY_LIMIT: usize = 64 * 1024;
/// Stored objects are limited to 1 MiB.
pub const OBJECT_LIMIT: usize = 1024 * 1024;

/// An error answer: a problem document plus the headers it needs.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// Boxed: error results travel through every handler, and a small
    /// `Err` keeps them cheap to move.
    pub problem: Box<Problem>,
    pub retry_after: Option<u64>,
    /// For 405: the methods the resource supports (RFC 9110 `Allow`).
    pub allow: Option<String>,
    /// For 429 `rate_limited`: the limit the call ran into.
    pub allowance: Option<Allowance>,
}

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> ApiError {
        ApiError {
            problem: Box::new(Problem::new(code, detail)),
            retry_after: None,
            allow: None,
            allowance: None,
        }
    }
    pub fn invalid(errors: Vec<FieldError>) -> ApiError {
        ApiError {
            problem: Box::new(Problem::invalid(errors)),
            retry_after: None,
            allow: None,
            allowance: None,
        }
    }
    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(ErrorCode::NotFound, format!("{what} not found"))
    }
    /// Storage failed: deny, never allow. The cause goes to the log only.
    pub fn unavailable(cause: impl std::fmt::Display) -> ApiError {
        #[cfg(target_arch = "wasm32")]
        worker::console_error!("storage failure: {cause}");
        #[cfg(not(target_arch = "wasm32"))]
        let _ = cause.to_string();
        ApiError::new(
            ErrorCode::Unavailable,
            "storage is unavailable; the request was not carried out",
        )
    }
    pub fn code(&self) -> ErrorCode {
        self.problem.code
    }
}

impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> Self {
        ApiError::unavailable(e)
    }
}

impl From<worker::kv::KvError> for ApiError {
    fn from(e: worker::kv::KvError) -> Self {
        ApiError::unavailable(e)
    }
}

impl From<Box<Problem>> for ApiError {
    fn from(problem: Box<Problem>) -> Self {
        ApiError {
            problem,
            retry_after: None,
            allow: None,
            allowance: None,
        }
    }
}

impl From<Problem> for ApiError {
    fn from(problem: Problem) -> Self {
        ApiError {
            problem: Box::new(problem),
            retry_after: None,
            allow: None,
            allowance: None,
        }
    }
}

/// The policy's refusals, in the contract's terms.
impl From<keyward_domain::policy::Refusal> for ApiError {
    fn from(r: keyward_domain::policy::Refusal) -> Self {
        use keyward_domain::policy::Refusal;
        let code = match &r {
            Refusal::Hidden => return ApiError::not_found("token"),
            Refusal::HiddenMember => return ApiError::not_found("member"),
            Refusal::RetiredSecret => ErrorCode::RetiredSecret,
            Refusal::Missing(_)
            | Refusal::AdminOnly(_)
            | Refusal::NotAPerson
            | Refusal::OutOfReach { .. } => ErrorCode::InsufficientPermission,
            Refusal::Escalation(_) => ErrorCode::PrivilegeEscalation,
            Refusal::SelfApproval => ErrorCode::SelfApproval,
        };
        ApiError::new(code, r.to_string())
    }
}

/// The registry's business refusals, in the contract's terms: the one
/// place they become HTTP problems.
impl From<keyward_domain::RegistryError> for ApiError {
    fn from(e: keyward_domain::RegistryError) -> Self {
        use keyward_domain::RegistryError as E;
        let code = match e {
            E::Invalid { errors } => return ApiError::invalid(errors),
            E::Policy(r) => return r.into(),
            E::NotFound { .. } => ErrorCode::NotFound,
            E::Conflict { .. } => ErrorCode::Conflict,
            E::PersonaInUse { .. } => ErrorCode::PersonaInUse,
            E::InvitationUsed => ErrorCode::InvitationUsed,
            E::InvitationExpired => ErrorCode::InvitationExpired,
            E::NotPermitted { .. } => ErrorCode::InsufficientPermission,
            E::SignIn { code, .. } => code,
            E::Changed { .. } => ErrorCode::PreconditionFailed,
        };
        ApiError::new(code, e.to_string())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Headers every API answer carries: no caching of anything that may hold
/// a secret, no sniffing.
fn base_headers(content_type: &str) -> Headers {
    thread_local! {
        /// The headers every answer carries, as JSON answers carry them:
        /// an answer copies this in one call into the runtime instead of
        /// setting each.
        static JSON_ANSWER: Option<web_sys::Headers> = {
            let h = Headers::new();
            let set = [
                h.set("content-type", "application/json"),
                h.set("cache-control", "no-store"),
                h.set("x-content-type-options", "nosniff"),
                h.set("referrer-policy", "no-referrer"),
            ];
            set.iter().all(Result::is_ok).then_some(h.0)
        };
    }
    let copied = JSON_ANSWER.with(|template| {
        template
            .as_ref()
            .and_then(|t| web_sys::Headers::new_with_headers(t).ok())
    });
    let (h, typed) = match copied {
        Some(h) => (Headers(h), content_type == "application/json"),
        None => {
            let h = Headers::new();
            let _ = h.set("cache-control", "no-store");
            let _ = h.set("x-content-type-options", "nosniff");
            let _ = h.set("referrer-policy", "no-referrer");
            (h, false)
        }
    };
    if !typed {
        let _ = h.set("content-type", content_type);
    }
    h
}

pub fn json<T: Serialize>(status: u16, value: &T) -> ApiResult<Response> {
    let body =
        serde_json::to_vec(value).map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    Ok(Response::from_bytes(body)?
        .with_status(status)
        .with_headers(base_headers("application/json")))
}

pub fn no_content() -> ApiResult<Response> {
    Ok(Response::empty()?
        .with_status(204)
        .with_headers(base_headers("text/plain")))
}

pub fn raw(status: u16, content_type: &str, body: Vec<u8>) -> ApiResult<Response> {
    Ok(Response::from_bytes(body)?
        .with_status(status)
        .with_headers(base_headers(content_type)))
}

/// What the answer tells the client of its rate limit (the IETF
/// `RateLimit` and `RateLimit-Policy` fields): calls per window, and
/// about how many are left. Other isolates hold leases of the same
/// budget, so `remaining` is this isolate's view: never more than is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    pub limit: u32,
    pub remaining: u32,
}

impl Allowance {
    /// `RateLimit-Policy` and `RateLimit`, as
    /// draft-ietf-httpapi-ratelimit-headers writes them: the budget is
    /// back within a window, or at `retry_after` for a refused call.
    pub fn fields(&self, retry_after: Option<u64>) -> [(&'static str, String); 2] {
        let window = keyward_domain::ratelimit::WINDOW_MS / 1000;
        let reset = retry_after.unwrap_or(window as u64);
        [
            (
                "ratelimit-policy",
                format!("\"per-minute\";q={};w={window}", self.limit),
            ),
            (
                "ratelimit",
                format!("\"per-minute\";r={};t={reset}", self.remaining),
            ),
        ]
    }
}

/// The id an answer, its problem and its audit entries share: Cloudflare's
/// ray id where the call came through Cloudflare (both workers see the
/// same one), else a random one.
pub fn request_id(req: &crate::incoming::Req) -> String {
    if let Ok(Some(ray)) = req.headers().get("cf-ray") {
        if !ray.is_empty()
            && ray.len() <= 64
            && ray.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return ray;
        }
    }
    crate::random::random_id("req_", 20)
}

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The answer with its request id. An answer whose headers cannot change
/// (one passed through as it came) keeps them.
pub fn with_request_id(mut resp: Response, request_id: &str) -> Response {
    let _ = resp.headers_mut().set(REQUEST_ID_HEADER, request_id);
    resp
}

/// The answer with the rate limit its call counted against.
pub fn with_allowance(mut resp: Response, allowance: &Allowance) -> Response {
    let headers = resp.headers_mut();
    for (name, value) in allowance.fields(None) {
        let _ = headers.set(name, &value);
    }
    resp
}

/// A JSON answer with the version (`ETag`) of what it shows.
pub fn json_versioned<T: Serialize>(status: u16, value: &T, version: &str) -> ApiResult<Response> {
    let mut resp = json(status, value)?;
    resp.headers_mut().set("etag", version)?;
    Ok(resp)
}

/// A change's `If-Match`, parsed; a header that names no version is a
/// mistake worth a 400, not a change made unguarded.
#[cfg(feature = "control")]
pub fn if_match(req: &crate::incoming::Req) -> ApiResult<Option<keyward_domain::version::IfMatch>> {
    match req.headers().get("if-match")? {
        None => Ok(None),
        Some(given) => keyward_domain::version::IfMatch::parse(&given)
            .map(Some)
            .ok_or_else(|| {
                ApiError::invalid(vec![FieldError::new(
                    "If-Match",
                    "must be * or one or more quoted versions, as the ETag header gave them",
                )])
            }),
    }
}

/// A problem answer that names the request it answers.
pub fn problem_for(mut err: ApiError, request_id: &str) -> Response {
    err.problem.request_id = Some(request_id.to_string());
    problem_response(&err)
}

pub fn problem_response(err: &ApiError) -> Response {
    let p = &err.problem;
    let body = serde_json::to_vec(p).unwrap_or_else(|_| b"{}".to_vec());
    let headers = base_headers("application/problem+json");
    if p.status == 401 {
        let _ = headers.set(
            "www-authenticate",
            &format!(
                "Bearer realm=\"keyward\", error=\"invalid_token\", error_description=\"{}\"",
                p.code.as_str()
            ),
        );
    }
    if let Some(methods) = &err.allow {
        let _ = headers.set("allow", methods);
    }
    if let Some(s) = err.retry_after {
        let _ = headers.set("retry-after", &s.to_string());
    }
    if let Some(allowance) = err.allowance {
        for (name, value) in allowance.fields(err.retry_after) {
            let _ = headers.set(name, &value);
        }
    }
    match Response::from_bytes(body) {
        Ok(r) => r.with_status(p.status).with_headers(headers),
        // Building a response from bytes does not fail in practice; if it
        // ever did, an empty 500 is still a denial.
        Err(_) => Response::empty()
            .map(|r| r.with_status(500))
            .unwrap_or_else(|_| Response::error("error", 500).expect("static response")),
    }
}

/// Reads a body up to `limit` bytes. The Content-Length is trusted only to
/// refuse early; the body is read chunk by chunk and refused as soon as it
/// passes the limit, so a chunked body without a length is never buffered
/// beyond it.
pub async fn read_body(req: &mut crate::incoming::Req, limit: usize) -> ApiResult<Vec<u8>> {
    if let Some(len) = req.headers().get("content-length")? {
        if len.parse::<usize>().map(|n| n > limit).unwrap_or(false) {
            return Err(too_large(limit));
        }
    }
    if req.inner().body().is_none() {
        return Ok(vec![]);
    }
    let unreadable = || {
        ApiError::new(
            ErrorCode::InvalidRequest,
            "the request body could not be read",
        )
    };
    let mut stream = req.stream().map_err(|_| unreadable())?;
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| unreadable())?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("the body is larger than {limit} bytes"),
    )
}

/// A JSON endpoint takes only JSON. A form or text body — what a page on
/// another site can post without a preflight — is refused before it is
/// parsed, whatever it holds.
pub fn require_json(req: &crate::incoming::Req) -> ApiResult<()> {
    let given = req.headers().get("content-type")?.unwrap_or_default();
    let media = given
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if media == "application/json" || media.starts_with("application/") && media.ends_with("+json")
    {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::UnsupportedMediaType,
        if media.is_empty() {
            "send the body as JSON, with Content-Type: application/json".to_string()
        } else {
            format!("the body must be JSON (Content-Type: application/json), not {media}")
        },
    ))
}

/// Reads and decodes a JSON body into a contract type.
pub async fn json_body<T: DeserializeOwned>(req: &mut crate::incoming::Req) -> ApiResult<T> {
    let body = read_body(req, JSON_BODY_LIMIT).await?;
    if !body.is_empty() {
        require_json(req)?;
    }
    api::decode(&body).map_err(ApiError::invalid)
}

/// Like [`json_body`], but an empty body means the type's default.
pub async fn optional_json_body<T: DeserializeOwned + Default>(
    req: &mut crate::incoming::Req,
) -> ApiResult<T> {
    let body = read_body(req, JSON_BODY_LIMIT).await?;
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(T::default());
    }
    require_json(req)?;
    api::decode(&body).map_err(ApiError::invalid)
}

/// A whole number in a URL's query, if it is there and parses.
pub fn query_number(url: &worker::Url, name: &str) -> Option<i64> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.parse().ok())
}

pub fn query_pairs(req: &Request) -> ApiResult<Vec<(String, String)>> {
    let url = req
        .url()
        .map_err(|_| ApiError::new(ErrorCode::InvalidRequest, "the URL could not be parsed"))?;
    Ok(url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect())
}

/// A document another service publishes (an issuer's JWKS, GitHub's
/// scanning keys), as text. Anything but a 200 within `timeout` is 503:
/// what cannot be checked is never let through.
pub async fn get_published(
    url: &str,
    what: &str,
    timeout: std::time::Duration,
) -> ApiResult<String> {
    use futures_util::future::{select, Either};
    let mut init = worker::RequestInit::new();
    init.with_method(worker::Method::Get);
    let mut req = worker::Request::new_with_init(url, &init)?;
    // GitHub's API refuses requests without a User-Agent.
    req.headers_mut()?.set("user-agent", "keyward")?;
    req.headers_mut()?.set("accept", "application/json")?;
    let fetch = worker::Fetch::Request(req);
    let send = Box::pin(fetch.send());
    let deadline = Box::pin(worker::Delay::from(timeout));
    let mut resp = match select(send, deadline).await {
        Either::Left((Ok(r), _)) if r.status_code() == 200 => r,
        Either::Left((Ok(r), _)) => {
            return Err(ApiError::unavailable(format!(
                "{what} ({url}) answered {}",
                r.status_code()
            )))
        }
        Either::Left((Err(e), _)) => {
            return Err(ApiError::unavailable(format!(
                "{what} ({url}) could not be fetched: {e}"
            )))
        }
        Either::Right(_) => {
            return Err(ApiError::unavailable(format!(
                "{what} ({url}) did not answer in time"
            )))
        }
    };
    Ok(resp.text().await?)
}
