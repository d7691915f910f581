//! JWT access tokens from outside identity providers (OAuth2 resource
//! server, as on Dataiku's API node): the pure parts. Decoding, the header
//! and claim checks, key selection from a JWKS, and the mapping of scopes
//! and claims to grants live here; the signature itself is verified by the
//! worker with Web Crypto, against the key [`Jwks::select`] picked.
//!
//! Keyward never issues these tokens, and a JWT principal is never master.

mod issuer;
mod keys;
mod mapping;
mod token;

pub use issuer::*;
pub use keys::*;
pub use mapping::*;
pub use token::*;

/// Clock skew tolerated on `exp` and `nbf` unless an issuer says otherwise.
pub const DEFAULT_LEEWAY_SECONDS: i64 = 60;
/// How long a fetched JWKS is trusted before it is fetched again.
pub const DEFAULT_JWKS_CACHE_SECONDS: i64 = 300;

/// What the tests of the parts start from: tokens, an issuer, claims.
#[cfg(test)]
mod fixtures {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use serde_json::{json, Value};

    pub fn enc(v: &Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    }

    pub fn token(header: Value, claims: Value) -> String {
        format!(
            "{}.{}.{}",
            enc(&header),
            enc(&claims),
            URL_SAFE_NO_PAD.encode(b"sig")
        )
    }

    pub fn issuer() -> Issuer {
        let cfg: IssuerConfig = serde_json::from_value(json!({
            "id": "idp",
            "issuer": "https://idp.example",
            "audiences": ["keyward-gateway"],
            "jwks": "${JWKS}",
            "mappings": [
                {"value": "components.run:{component}", "grants": ["components:run@{component}"]},
                {"value": "deploy", "grants": ["api_services:deploy@*", "infrastructures:deploy@*"]},
                {"claim": "groups", "value": "devops", "grants": ["infrastructures:admin@*"]}
            ]
        }))
        .unwrap();
        let env = |n: &str| {
            (n == "JWKS").then(|| {
                r#"{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b","kid":"k1"}]}"#.to_string()
            })
        };
        cfg.resolve(&env).unwrap().unwrap()
    }

    pub fn claims(extra: Value) -> Value {
        let mut base = json!({"iss": "https://idp.example", "aud": "keyward-gateway", "sub": "alice", "exp": 2000, "nbf": 1000});
        if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        base
    }

    pub fn check(extra: Value, now: i64) -> Result<(), JwtError> {
        let t = decode(&token(json!({"alg": "ES256", "kid": "k1"}), claims(extra))).unwrap();
        issuer().check_claims(&t, now)
    }
}
