//! The browser's half of the passkey ceremonies: `navigator.credentials`
//! with the worker's options, and the authenticator's answer as the API
//! takes it (binary values as base64url without padding). Called through
//! `Reflect` on plain objects, so no WebAuthn bindings are compiled in.

use crate::api::ApiFailure;
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use keyward_domain::api::{
    PasskeyAssertion, PasskeyCreationOptions, PasskeyRegistration, PasskeyRequestOptions,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding.
pub fn b64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
        }
    }
    out
}

/// base64url, with or without padding; `None` if it is not.
pub fn from_b64url(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

fn set(o: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(o, &JsValue::from_str(key), &value.into());
}

fn get(o: &JsValue, key: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// A base64url value from the worker as the bytes WebAuthn wants.
// `ApiFailure` is the app's one error type, returned unboxed everywhere.
#[allow(clippy::result_large_err)]
fn bytes(s: &str) -> Result<Uint8Array, ApiFailure> {
    from_b64url(s)
        .map(|b| Uint8Array::from(b.as_slice()))
        .ok_or_else(|| ApiFailure::local("The service sent a passkey request the app cannot read."))
}

/// An `ArrayBuffer` of the authenticator's answer, as base64url.
fn field(response: &JsValue, key: &str) -> String {
    let value = get(response, key);
    if value.is_null() || value.is_undefined() {
        return String::new();
    }
    b64url(&Uint8Array::new(&value).to_vec())
}

/// A failed or cancelled ceremony, in words.
fn explain(e: JsValue) -> ApiFailure {
    let name = get(&e, "name").as_string().unwrap_or_default();
    let message = match name.as_str() {
        "NotAllowedError" | "AbortError" => {
            "The passkey request was cancelled or timed out. Try again when you are ready.".into()
        }
        "InvalidStateError" => {
            "This device already holds a passkey for you: use that one, or choose another device."
                .into()
        }
        "SecurityError" => {
            "Passkeys do not work at this address: open Keyward at its https address (or http://localhost)."
                .into()
        }
        "NotSupportedError" => {
            "This device offers no kind of passkey Keyward accepts (ES256 or RS256).".into()
        }
        _ => {
            let detail = get(&e, "message").as_string().unwrap_or_default();
            format!("The passkey request failed ({name}: {detail}).")
        }
    };
    ApiFailure::local(message)
}

/// Whether this browser can use passkeys at all.
pub fn supported() -> bool {
    web_sys::window().is_some_and(|w| !get(&w, "PublicKeyCredential").is_undefined())
}

/// `navigator.credentials.<method>({publicKey})`.
async fn ceremony(method: &str, public_key: Object) -> Result<JsValue, ApiFailure> {
    let unsupported = || ApiFailure::local("This browser does not support passkeys.");
    if !supported() {
        return Err(unsupported());
    }
    let window = web_sys::window().ok_or_else(unsupported)?;
    let credentials = get(&window.navigator(), "credentials");
    let call: Function = get(&credentials, method)
        .dyn_into()
        .map_err(|_| unsupported())?;
    let options = Object::new();
    set(&options, "publicKey", public_key);
    let promise: Promise = call
        .call1(&credentials, &options)
        .map_err(explain)?
        .dyn_into()
        .map_err(|_| unsupported())?;
    let credential = JsFuture::from(promise).await.map_err(explain)?;
    if credential.is_null() || credential.is_undefined() {
        return Err(ApiFailure::local("No passkey was chosen."));
    }
    Ok(credential)
}

/// Signs in with a discoverable passkey: the browser offers the ones it
/// holds for this site (no list of credentials is sent).
pub async fn sign_in(o: &PasskeyRequestOptions) -> Result<PasskeyAssertion, ApiFailure> {
    let pk = Object::new();
    set(&pk, "challenge", bytes(&o.challenge)?);
    set(&pk, "rpId", o.rp_id.as_str());
    set(&pk, "timeout", o.timeout_ms);
    set(&pk, "userVerification", o.user_verification.as_str());
    let credential = ceremony("get", pk).await?;
    let response = get(&credential, "response");
    let user_handle = field(&response, "userHandle");
    Ok(PasskeyAssertion {
        credential_id: field(&credential, "rawId"),
        client_data_json: field(&response, "clientDataJSON"),
        authenticator_data: field(&response, "authenticatorData"),
        signature: field(&response, "signature"),
        user_handle: (!user_handle.is_empty()).then_some(user_handle),
    })
}

/// `{type: "public-key", …}`.
fn public_key_item(key: &str, value: JsValue) -> Object {
    let o = Object::new();
    set(&o, "type", "public-key");
    set(&o, key, value);
    o
}

/// Makes a new passkey on this device, named `name` in Keyward.
pub async fn create(
    o: &PasskeyCreationOptions,
    name: Option<String>,
) -> Result<PasskeyRegistration, ApiFailure> {
    let pk = Object::new();
    set(&pk, "challenge", bytes(&o.challenge)?);
    let rp = Object::new();
    set(&rp, "id", o.rp.id.as_str());
    set(&rp, "name", o.rp.name.as_str());
    set(&pk, "rp", rp);
    let user = Object::new();
    set(&user, "id", bytes(&o.user.id)?);
    set(&user, "name", o.user.name.as_str());
    set(&user, "displayName", o.user.display_name.as_str());
    set(&pk, "user", user);
    let algorithms: Array = o
        .algorithms
        .iter()
        .map(|alg| public_key_item("alg", JsValue::from_f64(*alg as f64)))
        .collect();
    set(&pk, "pubKeyCredParams", algorithms);
    set(&pk, "timeout", o.timeout_ms);
    let exclude = Array::new();
    for id in &o.exclude_credentials {
        exclude.push(&public_key_item("id", bytes(id)?.into()));
    }
    set(&pk, "excludeCredentials", exclude);
    let selection = Object::new();
    set(&selection, "residentKey", o.resident_key.as_str());
    set(&selection, "requireResidentKey", true);
    set(&selection, "userVerification", o.user_verification.as_str());
    set(&pk, "authenticatorSelection", selection);
    set(&pk, "attestation", o.attestation.as_str());
    let credential = ceremony("create", pk).await?;
    let response = get(&credential, "response");
    Ok(PasskeyRegistration {
        name,
        credential_id: field(&credential, "rawId"),
        client_data_json: field(&response, "clientDataJSON"),
        attestation_object: field(&response, "attestationObject"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips_without_padding() {
        for (bytes, text) in [
            (&b""[..], ""),
            (b"f", "Zg"),
            (b"fo", "Zm8"),
            (b"foo", "Zm9v"),
            (b"\xfb\xff\xfe", "-__-"),
        ] {
            assert_eq!(b64url(bytes), text);
            assert_eq!(from_b64url(text).as_deref(), Some(bytes));
        }
        assert_eq!(from_b64url("Zg==").as_deref(), Some(&b"f"[..]));
        assert_eq!(from_b64url("Z!"), None);
    }
}
