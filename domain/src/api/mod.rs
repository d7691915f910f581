//! The HTTP contract's bodies, shared by the worker (which serves them) and
//! the app (which sends and reads them), so the two cannot drift apart.
//!
//! One file per area; every body is `crate::api::<Name>`.

use crate::conditions::{Cidr, Meta};
pub use crate::expiry::Policy as ExpiryPolicy;
use crate::grant::{Grant, ServicePermissions};
pub use crate::leak::LeakResponse;
use crate::problem::FieldError;
use crate::quota::UsageLimit;
use crate::requirement::Requirement;
use crate::secret::TokenKind;
use crate::shapes::*;
pub use crate::webauthn::PasskeyAlgorithm;
use schemars::JsonSchema;
use serde::{de::DeserializeOwned, Deserialize, Deserializer, Serialize};
use serde_with::skip_serializing_none;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// A global key's grants, per project id.
pub type ProjectGrants = BTreeMap<String, Vec<Grant>>;

mod audit;
mod deployment;
mod directory;
mod invitations;
mod signin;
mod tokens;

pub use audit::*;
pub use deployment::*;
pub use directory::*;
pub use invitations::*;
pub use signin::*;
pub use tokens::*;

/// Decodes a JSON body, naming the field at fault ("parse, don't validate").
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, Vec<FieldError>> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(vec![FieldError::new("body", "a JSON object is required")]);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    match value {
        Ok(v) => {
            if de.end().is_err() {
                return Err(vec![FieldError::new(
                    "body",
                    "trailing characters after the JSON value",
                )]);
            }
            Ok(v)
        }
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let mut message = strip_position(&inner.to_string());
            if message == "recursion limit exceeded" {
                message = "nests objects and arrays too deeply".into();
            }
            let field = if inner.is_syntax() || inner.is_eof() {
                "body".to_string()
            } else if path == "." {
                missing_field_name(&message).unwrap_or_else(|| "body".to_string())
            } else if let Some(missing) = missing_field_name(&message) {
                format!("{path}.{missing}")
            } else {
                path
            };
            Err(vec![FieldError::new(field, message)])
        }
    }
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn missing_field_name(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decode_names_the_field() {
        let e = decode::<CreateToken>(br#"{"description":"x"}"#).unwrap_err();
        assert_eq!(e[0].field, "name");
        let e = decode::<CreateToken>(br#"{"name":5}"#).unwrap_err();
        assert_eq!(e[0].field, "name");
        let e = decode::<CreateToken>(br#"{"name":"a","grants":[{"service":"s"}]}"#).unwrap_err();
        assert_eq!(e[0].field, "grants[0].permission");
        let e = decode::<CreateToken>(br#"{"name":"a","expires_at":"tomorrow"}"#).unwrap_err();
        assert_eq!(e[0].field, "expires_at");
        let e = decode::<CreateToken>(br#"{"name":"a","colour":"red"}"#).unwrap_err();
        assert_eq!(e[0].field, "colour");
        let e = decode::<CreateToken>(b"{not json").unwrap_err();
        assert_eq!(e[0].field, "body");
        let e = decode::<CreateToken>(b"").unwrap_err();
        assert_eq!(e[0].field, "body");
    }

    #[test]
    fn update_distinguishes_absent_from_null_expiry() {
        let u: UpdateToken = decode(br#"{"description":"d"}"#).unwrap();
        assert_eq!(u.expires_at, None);
        let u: UpdateToken = decode(br#"{"expires_at":null}"#).unwrap();
        assert_eq!(u.expires_at, Some(None));
        let u: UpdateToken = decode(br#"{"expires_at":"2030-01-01T00:00:00Z"}"#).unwrap();
        assert!(matches!(u.expires_at, Some(Some(_))));
        let back = serde_json::to_string(&UpdateToken {
            expires_at: Some(None),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(back, r#"{"expires_at":null}"#);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn decoding_arbitrary_bytes_never_panics(body in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode::<CreateToken>(&body);
            let _ = decode::<UpdateToken>(&body);
            let _ = decode::<VerifyRequest>(&body);
        }

        #[test]
        fn decoding_arbitrary_json_text_never_panics(body in "\\PC{0,120}") {
            if let Ok(v) = decode::<CreateToken>(body.as_bytes()) {
                // Whatever decodes re-encodes to something that decodes the same.
                let again: CreateToken = decode(serde_json::to_string(&v).unwrap().as_bytes()).unwrap();
                prop_assert_eq!(again, v);
            }
        }
    }
}
