//! GitHub's secret scanning partner protocol: a report is signed with
//! ECDSA P-256/SHA-256 over its raw body, by a key GitHub publishes and
//! names in `Github-Public-Key-Identifier`. The key set is fetched from
//! `SECRET_SCANNING_KEYS_URL` (GitHub's by default), kept per isolate, and
//! fetched again when a report names a key it does not hold (GitHub
//! rotated) — at most once per `SECRET_SCANNING_KEYS_REFRESH_SECONDS`, so
//! made-up key ids cannot make Keyward hammer GitHub's API (60 calls an
//! hour without a token). Anything that cannot be checked is refused.

use crate::http::{ApiError, ApiResult};
use js_sys::Uint8Array;
use keyward_domain::leak::{self, ScanningKeys};
use keyward_domain::ErrorCode;
use std::cell::RefCell;
use std::time::Duration;
use wasm_bindgen::JsValue;
use worker::Env;

/// A key set older than this is fetched again before it is trusted, so a
/// key GitHub withdrew stops verifying within the hour.
const MAX_AGE_SECONDS: i64 = 3600;
const DEFAULT_REFRESH_SECONDS: i64 = 60;
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

struct KeySet {
    url: String,
    fetched_at: i64,
    keys: Vec<(String, Vec<u8>)>,
}

thread_local! {
    static KEYS: RefCell<Option<KeySet>> = const { RefCell::new(None) };
}

/// Where the keys are, or `None` when signed reports are switched off
/// (the setting is there and empty).
pub fn keys_url(env: &Env) -> Option<String> {
    match env.var("SECRET_SCANNING_KEYS_URL") {
        Ok(v) => Some(v.to_string()).filter(|u| !u.trim().is_empty()),
        Err(_) => Some(leak::GITHUB_KEYS_URL.to_string()),
    }
}

fn refresh_seconds(env: &Env) -> i64 {
    env.var("SECRET_SCANNING_KEYS_REFRESH_SECONDS")
        .ok()
        .and_then(|v| v.to_string().trim().parse().ok())
        .filter(|s: &i64| *s >= 0)
        .unwrap_or(DEFAULT_REFRESH_SECONDS)
}

fn now_seconds() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

fn invalid(detail: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidSignature, detail)
}

/// Verifies a GitHub-signed report over its raw body.
pub async fn verify(
    env: &Env,
    url: &str,
    key_id: &str,
    signature: Option<&str>,
    body: &[u8],
) -> ApiResult<()> {
    let signature = signature.and_then(leak::github_signature).ok_or_else(|| {
        invalid(format!(
            "{} must carry a base64 DER ECDSA P-256 signature of the body",
            leak::GITHUB_SIGNATURE_HEADER
        ))
    })?;
    let key = key_for(env, url, key_id).await?;
    if verify_p256(&key, body, &signature).await {
        Ok(())
    } else {
        Err(invalid(format!(
            "the signature does not verify with key {key_id}"
        )))
    }
}

/// The key's DER SubjectPublicKeyInfo: from the kept set while it is
/// fresh and holds the key, otherwise from a fresh fetch.
async fn key_for(env: &Env, url: &str, key_id: &str) -> ApiResult<Vec<u8>> {
    let now = now_seconds();
    let (fetched_at, found) = KEYS.with(|k| match &*k.borrow() {
        Some(set) if set.url == url && now - set.fetched_at < MAX_AGE_SECONDS => (
            Some(set.fetched_at),
            set.keys
                .iter()
                .find(|(id, _)| id == key_id)
                .map(|(_, der)| der.clone()),
        ),
        _ => (None, None),
    });
    if let Some(der) = found {
        return Ok(der);
    }
    let may_fetch = fetched_at.is_none_or(|at| now - at >= refresh_seconds(env));
    if !may_fetch {
        return Err(invalid(format!("no published key has the id {key_id}")));
    }
    let keys = fetch(url).await?;
    let der = keys
        .iter()
        .find(|(id, _)| id == key_id)
        .map(|(_, der)| der.clone());
    KEYS.with(|k| {
        *k.borrow_mut() = Some(KeySet {
            url: url.to_string(),
            fetched_at: now,
            keys,
        })
    });
    der.ok_or_else(|| invalid(format!("no published key has the id {key_id}")))
}

/// The published keys. Failing to get them refuses the report (503): a
/// report that cannot be checked stops nothing.
async fn fetch(url: &str) -> ApiResult<Vec<(String, Vec<u8>)>> {
    let text = crate::http::get_published(url, "the secret scanning keys", FETCH_TIMEOUT).await?;
    let set: ScanningKeys = serde_json::from_str(&text).map_err(|_| {
        ApiError::unavailable(format!(
            "the secret scanning keys ({url}) are not GitHub's key set format"
        ))
    })?;
    Ok(set.spki())
}

/// Web Crypto's ECDSA P-256/SHA-256 verification; a key that does not
/// import is a failed verification.
async fn verify_p256(spki: &[u8], data: &[u8], signature: &[u8; 64]) -> bool {
    match verify_js(spki, data, signature).await {
        Ok(v) => v,
        Err(e) => {
            worker::console_error!("secret scanning signature check failed: {e:?}");
            false
        }
    }
}

async fn verify_js(spki: &[u8], data: &[u8], signature: &[u8; 64]) -> Result<bool, JsValue> {
    use crate::gateway::jwt::{algorithm, web_crypto_verify};
    web_crypto_verify(
        "spki",
        &Uint8Array::from(spki).into(),
        &algorithm("ECDSA", &[("namedCurve", "P-256")])?,
        &algorithm("ECDSA", &[("hash", "SHA-256")])?,
        data,
        signature,
    )
    .await
}
