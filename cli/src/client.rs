//! The HTTP client: one blocking request per call, the contract's problem
//! details turned into [`CliError::Api`], and every other failure named
//! with the URL that was tried.

use crate::config::Settings;
use crate::error::CliError;
use keyward_domain::Problem;
use reqwest::blocking::{RequestBuilder, Response};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;

pub struct Client {
    http: reqwest::blocking::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    pub fn new(settings: Settings) -> Result<Client, CliError> {
        let http = reqwest::blocking::Client::builder()
            .user_agent(concat!("keyward-cli/", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_secs(30))
            // The bearer secret must not follow a redirect to another host;
            // a deployment that redirects is misconfigured, say so instead.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| CliError::Network {
                url: settings.url.clone(),
                message: format!("cannot set up the HTTP client: {e}"),
            })?;
        Ok(Client {
            http,
            base: settings.url,
            token: settings.token,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    fn request(&self, method: Method, path: &str) -> Result<(String, RequestBuilder), CliError> {
        let token = self.token.as_deref().ok_or_else(|| {
            CliError::Usage(
                "no token: pass --token, set KEYWARD_TOKEN, or run `keyward login`".into(),
            )
        })?;
        let url = self.url(path);
        let req = self.http.request(method, &url).bearer_auth(token);
        Ok((url, req))
    }

    pub fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, CliError> {
        let (url, req) = self.request(Method::GET, path)?;
        decode(&url, send(&url, req.query(query))?)
    }

    pub fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, CliError> {
        let (url, req) = self.request(Method::POST, path)?;
        decode(&url, send(&url, req.json(body))?)
    }

    /// A `POST` without a bearer token: the public calls of the browser
    /// login (`/auth/device`, `/auth/device/token`).
    pub fn post_public<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, CliError> {
        let url = self.url(path);
        decode(&url, send(&url, self.http.post(&url).json(body))?)
    }

    pub fn patch<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, CliError> {
        let (url, req) = self.request(Method::PATCH, path)?;
        decode(&url, send(&url, req.json(body))?)
    }

    /// A `DELETE` that answers JSON (a `?dry_run=true` preview).
    pub fn delete_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, CliError> {
        let (url, req) = self.request(Method::DELETE, path)?;
        decode(&url, send(&url, req)?)
    }

    pub fn delete(&self, path: &str) -> Result<(), CliError> {
        let (url, req) = self.request(Method::DELETE, path)?;
        send(&url, req).map(drop)
    }
}

/// Sends, and turns any non-2xx answer into an error.
fn send(url: &str, req: RequestBuilder) -> Result<Response, CliError> {
    let resp = req.send().map_err(|e| CliError::Network {
        url: url.to_string(),
        message: root_cause(&e),
    })?;
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let text = resp.text().unwrap_or_default();
    if let Ok(p) = serde_json::from_str::<Problem>(&text) {
        return Err(CliError::Api(Box::new(p)));
    }
    let other = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| Some((v["code"].as_str()?.to_string(), v["detail"].clone())));
    match other {
        Some((code, detail)) => Err(CliError::ApiOther {
            code,
            detail: detail.as_str().unwrap_or_default().to_string(),
        }),
        None if status.is_redirection() => Err(CliError::Unexpected {
            url: url.to_string(),
            message: format!("HTTP {status} redirect; pass the deployment's final URL with --url"),
        }),
        None => Err(CliError::Unexpected {
            url: url.to_string(),
            message: format!("HTTP {status}: {}", snippet(&text)),
        }),
    }
}

fn decode<T: DeserializeOwned>(url: &str, resp: Response) -> Result<T, CliError> {
    let text = resp.text().map_err(|e| CliError::Network {
        url: url.to_string(),
        message: root_cause(&e),
    })?;
    serde_json::from_str(&text).map_err(|e| CliError::Unexpected {
        url: url.to_string(),
        message: format!("{e}: {}", snippet(&text)),
    })
}

/// reqwest's own message repeats the URL; the innermost cause ("Connection
/// refused", "dns error") is what the user can act on.
fn root_cause(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out after 30 s".into();
    }
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

fn snippet(text: &str) -> String {
    let t: String = text.trim().chars().take(200).collect();
    if t.is_empty() {
        "(empty body)".into()
    } else {
        t
    }
}
