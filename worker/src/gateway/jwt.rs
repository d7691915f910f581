//! JWT bearer tokens at the gateway: the domain decodes and checks claims;
//! here the issuer's keys are fetched (and cached per isolate) and the
//! signature is verified with Web Crypto, so no RSA/ECDSA code ships in the
//! wasm.

use crate::http::{ApiError, ApiResult};
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use keyward_domain::gateway::RouteTable;
use keyward_domain::jwt::{self, Algorithm, Issuer, Jwk, Jwks, JwtError, KeySource};
use keyward_domain::{ErrorCode, Grant};
use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use worker::Env;

/// A JWKS fetched no more often than this when an unknown `kid` asks for a
/// refresh (key rotation), so garbage tokens cannot hammer the issuer.
const REFRESH_MIN_SECONDS: i64 = 30;
const JWKS_TIMEOUT: Duration = Duration::from_secs(5);

thread_local! {
    /// URL → (fetched at, keys). Workers run one thread per isolate.
    static JWKS_CACHE: RefCell<HashMap<String, (i64, Jwks)>> = RefCell::new(HashMap::new());
}

pub struct Verified {
    pub issuer_id: String,
    pub subject: String,
    pub jti: Option<String>,
    pub grants: Vec<Grant>,
    /// The issuer's projects, the first where calls act by default.
    pub projects: Vec<String>,
}

fn reject(e: JwtError) -> ApiError {
    let code = match e {
        JwtError::Expired => ErrorCode::TokenExpired,
        JwtError::Malformed(_) => ErrorCode::MalformedToken,
        _ => ErrorCode::InvalidToken,
    };
    ApiError::new(code, e.to_string())
}

pub async fn authenticate(raw: &str, env: &Env, table: &RouteTable) -> ApiResult<Verified> {
    let token = jwt::decode(raw).map_err(reject)?;
    let issuers: Vec<Issuer> = table
        .issuers
        .iter()
        .filter_map(|c| c.resolve(&|name| super::setting(env, name)))
        .filter_map(|r| match r {
            Ok(i) => Some(i),
            Err(e) => {
                // Its tokens then find no issuer: denied, never trusted.
                worker::console_error!("{e}");
                None
            }
        })
        .collect();
    let issuer = jwt::issuer_for(&issuers, &token).map_err(reject)?;
    issuer
        .check_claims(&token, super::now_seconds())
        .map_err(reject)?;
    let key = key_for(issuer, &token.header).await?;
    let ok = verify(
        token.header.alg,
        &key,
        token.signing_input.as_bytes(),
        &token.signature,
    )
    .await;
    if !ok {
        return Err(reject(JwtError::BadSignature));
    }
    Ok(Verified {
        issuer_id: issuer.id.clone(),
        subject: token.claims.subject().unwrap_or_default().to_string(),
        jti: token
            .claims
            .str("jti")
            .filter(|j| keyward_domain::gateway::is_header_safe(j))
            .map(str::to_string),
        grants: issuer.grants_for(&token.claims),
        projects: issuer.projects.clone(),
    })
}

/// The key for this token: from the inline set, or from the cached JWKS,
/// refetched when stale or (rate-limited) when the `kid` is unknown.
async fn key_for(issuer: &Issuer, header: &jwt::JoseHeader) -> ApiResult<Jwk> {
    let url = match &issuer.keys {
        KeySource::Inline(jwks) => return jwks.select(header).cloned().map_err(reject),
        KeySource::Url(url) => url,
    };
    let now = super::now_seconds();
    let cached = JWKS_CACHE.with(|c| c.borrow().get(url).cloned());
    let (fetched_at, jwks) = match cached {
        Some((at, jwks)) if now - at < issuer.jwks_cache_seconds => (at, jwks),
        _ => (now, fetch_jwks(url).await?),
    };
    match jwks.select(header) {
        Ok(k) => Ok(k.clone()),
        Err(e) if fetched_at != now && now - fetched_at >= REFRESH_MIN_SECONDS => {
            let fresh = fetch_jwks(url).await?;
            fresh.select(header).cloned().map_err(|_| reject(e))
        }
        Err(e) => Err(reject(e)),
    }
}

/// Fetches and caches a JWKS. Failing to get the keys denies the call
/// (503): a token that cannot be checked is not let through.
async fn fetch_jwks(url: &str) -> ApiResult<Jwks> {
    let text = crate::http::get_published(url, "the JWKS", JWKS_TIMEOUT).await?;
    let jwks = Jwks::from_json(&text).map_err(ApiError::unavailable)?;
    let now = super::now_seconds();
    JWKS_CACHE.with(|c| c.borrow_mut().insert(url.to_string(), (now, jwks.clone())));
    Ok(jwks)
}

fn set(obj: &Object, key: &str, value: &JsValue) -> Result<(), JsValue> {
    Reflect::set(obj, &JsValue::from_str(key), value).map(|_| ())
}

pub(crate) fn algorithm(name: &str, extra: &[(&str, &str)]) -> Result<Object, JsValue> {
    let o = Object::new();
    set(&o, "name", &name.into())?;
    for (k, v) in extra {
        set(&o, k, &(*v).into())?;
    }
    Ok(o)
}

/// Web Crypto verification. Any failure (a key that does not import, a
/// signature of the wrong length) is a failed verification.
pub(crate) async fn verify(alg: Algorithm, key: &Jwk, data: &[u8], signature: &[u8]) -> bool {
    match verify_js(alg, key, data, signature).await {
        Ok(v) => v,
        Err(e) => {
            worker::console_error!("JWT verification error: {e:?}");
            false
        }
    }
}

async fn verify_js(
    alg: Algorithm,
    key: &Jwk,
    data: &[u8],
    signature: &[u8],
) -> Result<bool, JsValue> {
    let jwk = Object::new();
    set(&jwk, "kty", &key.kty.as_str().into())?;
    let (import_alg, verify_alg) = match alg {
        Algorithm::RS256 => {
            set(&jwk, "n", &key.n.as_deref().unwrap_or_default().into())?;
            set(&jwk, "e", &key.e.as_deref().unwrap_or_default().into())?;
            (
                algorithm("RSASSA-PKCS1-v1_5", &[("hash", "SHA-256")])?,
                algorithm("RSASSA-PKCS1-v1_5", &[])?,
            )
        }
        Algorithm::ES256 => {
            set(&jwk, "crv", &"P-256".into())?;
            set(&jwk, "x", &key.x.as_deref().unwrap_or_default().into())?;
            set(&jwk, "y", &key.y.as_deref().unwrap_or_default().into())?;
            (
                algorithm("ECDSA", &[("namedCurve", "P-256")])?,
                algorithm("ECDSA", &[("hash", "SHA-256")])?,
            )
        }
    };
    web_crypto_verify("jwk", &jwk, &import_alg, &verify_alg, data, signature).await
}

/// Imports a public key (`format`: `jwk`, `spki` …) and verifies
/// `signature` over `data` with Web Crypto, so no RSA or ECDSA code ships
/// in the wasm.
pub(crate) async fn web_crypto_verify(
    format: &str,
    key: &JsValue,
    import_alg: &Object,
    verify_alg: &Object,
    data: &[u8],
    signature: &[u8],
) -> Result<bool, JsValue> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into())?;
    let subtle = Reflect::get(&crypto, &"subtle".into())?;
    let import: Function = Reflect::get(&subtle, &"importKey".into())?.dyn_into()?;
    let usages = Array::of1(&"verify".into());
    let imported = Reflect::apply(
        &import,
        &subtle,
        &Array::of5(&format.into(), key, import_alg, &false.into(), &usages),
    )?;
    let crypto_key = JsFuture::from(imported.dyn_into::<Promise>()?).await?;
    let verify: Function = Reflect::get(&subtle, &"verify".into())?.dyn_into()?;
    let result = Reflect::apply(
        &verify,
        &subtle,
        &Array::of4(
            verify_alg,
            &crypto_key,
            &Uint8Array::from(signature),
            &Uint8Array::from(data),
        ),
    )?;
    Ok(JsFuture::from(result.dyn_into::<Promise>()?)
        .await?
        .as_bool()
        .unwrap_or(false))
}
