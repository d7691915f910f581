//! The HTTP client: every call goes through here, speaks the shared API
//! types, and turns any failure into an [`ApiFailure`] carrying the problem.

use crate::session::Session;
use gloo_net::http::{Method, RequestBuilder};
use keyward_domain::{ErrorCode, Problem};
use leptos::prelude::*;
use serde::{de::DeserializeOwned, Serialize};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use wasm_bindgen::JsValue;

use keyward_domain::api::WhoAmI;
use keyward_domain::paths;
pub use keyward_domain::paths::BASE;
use serde::de::IgnoredAny;

/// Why a request did not give what was asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiFailure {
    /// 0 when the request never got an HTTP answer.
    pub status: u16,
    pub problem: Option<Problem>,
    pub message: String,
}

impl ApiFailure {
    /// A failure of the app's own making (a cancelled passkey ceremony, a
    /// bad answer), with no HTTP status.
    pub fn local(message: impl Into<String>) -> ApiFailure {
        ApiFailure::network(message)
    }

    fn network(message: impl Into<String>) -> ApiFailure {
        ApiFailure {
            status: 0,
            problem: None,
            message: message.into(),
        }
    }

    pub fn code(&self) -> Option<ErrorCode> {
        self.problem.as_ref().map(|p| p.code)
    }

    pub fn is_unauthorized(&self) -> bool {
        self.status == 401
    }

    pub fn is_forbidden(&self) -> bool {
        self.status == 403
    }

    /// The API's message for one form field (`name`, `expires_at`, `grants[0]`).
    pub fn field(&self, field: &str) -> Option<String> {
        let errors = self.problem.as_ref()?.errors.as_ref()?;
        let messages: Vec<&str> = errors
            .iter()
            .filter(|e| e.field == field || e.field.starts_with(&format!("{field}.")))
            .map(|e| e.message.as_str())
            .collect();
        (!messages.is_empty()).then(|| messages.join("; "))
    }

    /// The message for `field`; for `unique`, the field a name clash is
    /// about, a 409's detail when no field is named.
    pub fn field_or_conflict(&self, field: &str, unique: &str) -> Option<String> {
        let conflict = field == unique && self.code() == Some(ErrorCode::Conflict);
        self.field(field).or_else(|| {
            conflict
                .then(|| self.problem.as_ref().map(|p| p.detail.clone()))
                .flatten()
        })
    }

    /// Field errors whose field starts with `prefix` (e.g. every `grants[i]`).
    pub fn fields_with_prefix(&self, prefix: &str) -> Vec<(String, String)> {
        self.problem
            .as_ref()
            .and_then(|p| p.errors.as_ref())
            .map(|errors| {
                errors
                    .iter()
                    .filter(|e| e.field.starts_with(prefix))
                    .map(|e| (e.field.clone(), e.message.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Why a cookie session ended: with no cookie left (a sign-out in
    /// another tab cleared it), the API only says that nothing was sent.
    pub fn session_reason(&self) -> String {
        match self.code() {
            Some(ErrorCode::MissingToken) => {
                "Your session has ended: you signed out, perhaps in another tab.".to_string()
            }
            _ => self.signin_reason(),
        }
    }

    /// Why a sign-in or a session ended, in words for the sign-in page.
    pub fn signin_reason(&self) -> String {
        let detail = self
            .problem
            .as_ref()
            .map(|p| p.detail.clone())
            .unwrap_or_default();
        let lead = match self.code() {
            Some(ErrorCode::TokenExpired) => "This token has expired.",
            Some(ErrorCode::InvalidToken) => {
                "This token is not valid: it is unknown, was deleted, or was replaced by a refresh."
            }
            Some(ErrorCode::MalformedToken) => "That is not a Keyward token.",
            Some(ErrorCode::MissingToken) => "No token was sent.",
            Some(ErrorCode::SessionExpired) => {
                "Your session has ended: it expired, or you signed out everywhere."
            }
            Some(ErrorCode::PasskeyRejected) => "The passkey was not accepted.",
            _ => return self.to_string(),
        };
        if detail.is_empty() {
            lead.to_string()
        } else {
            format!("{lead} ({detail})")
        }
    }
}

impl fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            Some(p) if !p.detail.is_empty() => write!(f, "{}: {}", p.title, p.detail),
            Some(p) => f.write_str(&p.title),
            None => f.write_str(&self.message),
        }
    }
}

/// One request with an optional bearer secret; no session side effects.
pub async fn call<T: DeserializeOwned>(
    secret: Option<&str>,
    method: Method,
    path: &str,
    body: Option<String>,
) -> Result<T, ApiFailure> {
    decode(&call_text(secret, method, path, body).await?)
}

/// An answer's text as `T`.
// `ApiFailure` is the app's one error type, returned unboxed everywhere.
#[allow(clippy::result_large_err)]
fn decode<T: DeserializeOwned>(text: &str) -> Result<T, ApiFailure> {
    // 204 answers carry no body; `()` and friends decode from `null`.
    let text = if text.trim().is_empty() { "null" } else { text };
    serde_json::from_str(text)
        .map_err(|e| ApiFailure::network(format!("unexpected answer from the API: {e}")))
}

/// A request's answer as text, boxed.
type TextFuture<'a> = Pin<Box<dyn Future<Output = Result<String, ApiFailure>> + 'a>>;

/// Not generic, and boxed so that it is never inlined: every answer type
/// shares this one copy of the request code, and only decoding is made
/// per type (each inlined copy cost ~1.5 KB of the download).
fn call_text<'a>(
    secret: Option<&'a str>,
    method: Method,
    path: &'a str,
    body: Option<String>,
) -> TextFuture<'a> {
    Box::pin(async move {
        let body = body.map(|b| ("application/json".to_string(), JsValue::from_str(&b)));
        let resp = call_raw(secret, method, path, body, None).await?;
        Ok(resp.text().await.unwrap_or_default())
    })
}

/// One request whose body is anything `fetch` takes (a string, a `File`),
/// with its content type; a non-2xx answer becomes an [`ApiFailure`].
async fn call_raw(
    secret: Option<&str>,
    method: Method,
    path: &str,
    body: Option<(String, JsValue)>,
    if_match: Option<&str>,
) -> Result<gloo_net::http::Response, ApiFailure> {
    // Every request says it comes from the app: the worker refuses changes
    // made with the session cookie without it (cross-site requests).
    let mut req = RequestBuilder::new(&format!("{BASE}{path}"))
        .method(method)
        .header("X-Keyward-App", "1");
    if let Some(s) = secret {
        req = req.header("Authorization", &format!("Bearer {s}"));
    }
    if let Some(version) = if_match {
        req = req.header("If-Match", version);
    }
    let req = match body {
        Some((content_type, b)) => req
            .header("Content-Type", &content_type)
            .body(b)
            .map_err(|e| ApiFailure::network(e.to_string()))?,
        None => req
            .build()
            .map_err(|e| ApiFailure::network(e.to_string()))?,
    };
    let resp = req
        .send()
        .await
        .map_err(|e| ApiFailure::network(format!("the service could not be reached ({e})")))?;
    let status = resp.status();
    if (200..300).contains(&status) {
        return Ok(resp);
    }
    let text = resp.text().await.unwrap_or_default();
    let problem: Option<Problem> = serde_json::from_str(&text).ok();
    Err(ApiFailure {
        status,
        message: problem
            .as_ref()
            .map(|p| p.detail.clone())
            .unwrap_or_else(|| format!("HTTP {status}")),
        problem,
    })
}

/// The signed-in client: the session cookie goes along by itself (same
/// origin); a secret held in memory is sent as a bearer. Any 401 ends the
/// session, so every page falls back to sign-in with the reason.
#[derive(Clone, Copy)]
pub struct Api {
    session: Session,
}

pub fn use_api() -> Api {
    Api {
        session: expect_context::<Session>(),
    }
}

impl Api {
    pub fn new(session: Session) -> Api {
        Api { session }
    }

    /// The signed-in request, shared by every answer type (see
    /// [`call_text`]).
    fn run_text<'a>(
        &'a self,
        method: Method,
        path: &'a str,
        body: Option<String>,
    ) -> TextFuture<'a> {
        Box::pin(async move {
            let (epoch, secret) = self.current();
            let r = call_text(secret.as_deref(), method, path, body).await;
            if let Err(f) = &r {
                self.watch(f, epoch, &secret);
            }
            r
        })
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiFailure> {
        decode(&self.run_text(Method::GET, path, None).await?)
    }

    pub async fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<T, ApiFailure> {
        let body = serde_json::to_string(body)
            .map_err(|e| ApiFailure::network(format!("could not encode the request: {e}")))?;
        decode(&self.run_text(method, path, Some(body)).await?)
    }

    /// What `path` shows, and its version (`ETag`) for a later change.
    pub async fn get_versioned<T: DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<(T, Option<String>), ApiFailure> {
        let (epoch, secret) = self.current();
        let r = call_raw(secret.as_deref(), Method::GET, path, None, None).await;
        let resp = r.inspect_err(|f| self.watch(f, epoch, &secret))?;
        let version = resp.headers().get("etag");
        let text = resp.text().await.unwrap_or_default();
        Ok((decode(&text)?, version))
    }

    /// A change meant for `version` of what it changes (`If-Match`): if
    /// someone changed it meanwhile, it fails (412) and changes nothing.
    pub async fn send_if_match<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &B,
        version: Option<&str>,
    ) -> Result<T, ApiFailure> {
        let body = serde_json::to_string(body)
            .map_err(|e| ApiFailure::network(format!("could not encode the request: {e}")))?;
        let (epoch, secret) = self.current();
        let body = Some(("application/json".to_string(), JsValue::from_str(&body)));
        let r = call_raw(secret.as_deref(), method, path, body, version).await;
        let resp = r.inspect_err(|f| self.watch(f, epoch, &secret))?;
        decode(&resp.text().await.unwrap_or_default())
    }

    /// Sends raw bytes (a `File` or `Blob`) with their content type.
    pub async fn put_raw<T: DeserializeOwned>(
        &self,
        path: &str,
        content_type: &str,
        body: JsValue,
    ) -> Result<T, ApiFailure> {
        let (epoch, secret) = self.current();
        let r = call_raw(
            secret.as_deref(),
            Method::PUT,
            path,
            Some((content_type.to_string(), body)),
            None,
        )
        .await;
        let resp = r.inspect_err(|f| self.watch(f, epoch, &secret))?;
        let text = resp.text().await.unwrap_or_default();
        serde_json::from_str(&text)
            .map_err(|e| ApiFailure::network(format!("unexpected answer from the API: {e}")))
    }

    /// Fetches raw bytes and their content type.
    pub async fn get_bytes(&self, path: &str) -> Result<(Vec<u8>, String), ApiFailure> {
        let (epoch, secret) = self.current();
        let r = call_raw(secret.as_deref(), Method::GET, path, None, None).await;
        let resp = r.inspect_err(|f| self.watch(f, epoch, &secret))?;
        let content_type = resp
            .headers()
            .get("content-type")
            .unwrap_or_else(|| "application/octet-stream".into());
        let bytes = resp
            .binary()
            .await
            .map_err(|e| ApiFailure::network(format!("the download broke off ({e})")))?;
        Ok((bytes, content_type))
    }

    /// The session a request goes out with, and its bearer secret if any.
    fn current(&self) -> (u32, Option<String>) {
        (
            self.session.epoch.get_untracked(),
            self.session.secret.get_untracked(),
        )
    }

    /// Ends the session on a 401, if it is still the one that failed (not
    /// after a sign-in since, nor after a refresh of one's own token
    /// replaced the secret meanwhile).
    fn watch(&self, f: &ApiFailure, epoch: u32, secret: &Option<String>) {
        let s = self.session;
        if f.is_unauthorized()
            && s.epoch.get_untracked() == epoch
            && s.secret.with_untracked(|now| now == secret)
        {
            let reason = match secret {
                None => f.session_reason(),
                Some(_) => f.signin_reason(),
            };
            s.sign_out(Some(reason));
        }
    }

    /// Signs out: a cookie session is ended at the worker too (and its
    /// cookie cleared); a secret in memory is simply forgotten.
    pub async fn sign_out(&self) {
        if self.session.is_cookie() {
            let _ = call_text(None, Method::POST, paths::SIGN_OUT.template(), None).await;
        }
        self.session.sign_out(None);
    }

    /// A request whose body is JSON already (a dry run of a form's
    /// change, or none for a `DELETE`'s).
    pub async fn run_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<T, ApiFailure> {
        decode(&self.run_text(method, path, body).await?)
    }

    pub async fn delete(&self, path: &str) -> Result<(), ApiFailure> {
        self.run_text(Method::DELETE, path, None).await.map(drop)
    }
}

/// Percent-encodes a query value or path segment.
pub fn enc(s: &str) -> String {
    js_sys::encode_uri_component(s).into()
}

/// `?a=1&b=x` from pairs, leaving out empty values.
pub fn query(pairs: &[(&str, String)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// Whether a pasted secret is a person's own (an admin's master token, a
/// member's user token): those are exchanged for a cookie session.
pub fn is_person_secret(secret: &str) -> bool {
    secret.starts_with("kw_m_") || secret.starts_with("kw_u_")
}

/// Signs in with a pasted token. A person's token is exchanged for a
/// cookie session and forgotten at once (the answer then holds no secret);
/// any other token is checked and handed back, to be held in memory only.
pub async fn token_sign_in(candidate: String) -> Result<(Option<String>, WhoAmI), ApiFailure> {
    let whoami = paths::WHOAMI.template();
    if is_person_secret(&candidate) {
        // The answer (`SignedIn`) is not needed: whoami says the same and more.
        call::<IgnoredAny>(
            Some(&candidate),
            Method::POST,
            paths::SESSIONS.template(),
            None,
        )
        .await?;
        drop(candidate);
        Ok((None, call(None, Method::GET, whoami, None).await?))
    } else {
        let who = call(Some(&candidate), Method::GET, whoami, None).await?;
        Ok((Some(candidate), who))
    }
}
