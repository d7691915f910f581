//! A bearer value told apart by its shape, and a JWT decoded: its header,
//! its claims, the algorithm and type checks, the project it names.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::fmt;

/// What kind of credential a bearer value is, decided from its shape alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerShape {
    /// `kw_…`: a Keyward secret (its checksum is checked later).
    Keyward,
    /// Three non-empty base64url parts: a JWS compact serialization.
    Jwt,
    Malformed,
}

pub fn classify(bearer: &str) -> BearerShape {
    if bearer.starts_with("kw_") {
        return BearerShape::Keyward;
    }
    let parts: Vec<&str> = bearer.split('.').collect();
    let b64url = |p: &&str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if parts.len() == 3 && parts.iter().all(b64url) {
        BearerShape::Jwt
    } else {
        BearerShape::Malformed
    }
}

/// The two signature algorithms accepted. `none` and HMAC algorithms are
/// refused outright: a resource server must never accept unsigned tokens or
/// ones "signed" with a public key used as an HMAC secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Algorithm {
    RS256,
    ES256,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::RS256 => "RS256",
            Algorithm::ES256 => "ES256",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtError {
    Malformed(String),
    AlgNone,
    UnsupportedAlgorithm(String),
    UnknownIssuer(String),
    WrongAudience,
    Expired,
    NotYetValid,
    MissingClaim(&'static str),
    UnknownKey(String),
    BadSignature,
    /// A `typ` header that says this is not an access token.
    WrongType(String),
}

impl fmt::Display for JwtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwtError::Malformed(m) => write!(f, "the JWT is malformed: {m}"),
            JwtError::AlgNone => f.write_str("unsigned JWTs (alg none) are not accepted"),
            JwtError::UnsupportedAlgorithm(a) => write!(f, "the JWT algorithm {a} is not accepted"),
            JwtError::UnknownIssuer(i) => write!(f, "the JWT issuer '{i}' is not trusted here"),
            JwtError::WrongAudience => f.write_str("the JWT is not meant for this audience"),
            JwtError::Expired => f.write_str("the JWT has expired"),
            JwtError::NotYetValid => f.write_str("the JWT is not valid yet"),
            JwtError::MissingClaim(c) => write!(f, "the JWT has no '{c}' claim"),
            JwtError::UnknownKey(k) => write!(f, "no key '{k}' in the issuer's key set"),
            JwtError::BadSignature => f.write_str("the JWT signature does not verify"),
            JwtError::WrongType(t) => write!(
                f,
                "the JWT type '{t}' is not accepted (only JWT or at+jwt access tokens)"
            ),
        }
    }
}

/// The JOSE header fields that matter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoseHeader {
    pub alg: Algorithm,
    pub kid: Option<String>,
}

/// The registered claims that are checked, plus everything else for the
/// scope mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims(pub Map<String, Value>);

impl Claims {
    pub fn str(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }
    pub fn issuer(&self) -> Option<&str> {
        self.str("iss")
    }
    pub fn subject(&self) -> Option<&str> {
        self.str("sub")
    }
    pub(super) fn number(&self, name: &'static str) -> Result<Option<i64>, JwtError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().map(|f| f.floor() as i64))
                .map(Some)
                .ok_or_else(|| JwtError::Malformed(format!("'{name}' is not a number"))),
            Some(_) => Err(JwtError::Malformed(format!("'{name}' is not a number"))),
        }
    }
    /// `aud` as a list (it may be a string or an array of strings).
    pub fn audiences(&self) -> Vec<&str> {
        match self.0.get("aud") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        }
    }
    /// The values of a claim as words: a string is split on whitespace (the
    /// OAuth2 `scope` form), an array contributes its strings. For `scope`,
    /// the array form `scp` counts too.
    pub fn words(&self, claim: &str) -> Vec<&str> {
        fn add<'a>(out: &mut Vec<&'a str>, v: Option<&'a Value>) {
            match v {
                Some(Value::String(s)) => out.extend(s.split_whitespace()),
                Some(Value::Array(a)) => out.extend(a.iter().filter_map(Value::as_str)),
                _ => {}
            }
        }
        let mut out = vec![];
        add(&mut out, self.0.get(claim));
        if claim == "scope" {
            add(&mut out, self.0.get("scp"));
        }
        out
    }
}

/// A JWT as received: decoded, not yet trusted.
#[derive(Debug, Clone)]
pub struct UnverifiedJwt {
    pub header: JoseHeader,
    pub claims: Claims,
    /// `base64url(header) . base64url(payload)`, the signed bytes.
    pub signing_input: String,
    pub signature: Vec<u8>,
}

pub(super) fn b64(part: &str, what: &str) -> Result<Vec<u8>, JwtError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwtError::Malformed(format!("the {what} is not base64url")))
}

/// Decodes a compact JWS. Checks the header's `alg` first, so an `alg:
/// none` or HMAC token is refused before anything else is looked at.
pub fn decode(token: &str) -> Result<UnverifiedJwt, JwtError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed("not three parts".into()));
    };
    let header: Map<String, Value> = serde_json::from_slice(&b64(h, "header")?)
        .map_err(|_| JwtError::Malformed("the header is not a JSON object".into()))?;
    let alg = match header.get("alg").and_then(Value::as_str) {
        Some("RS256") => Algorithm::RS256,
        Some("ES256") => Algorithm::ES256,
        Some(a) if a.eq_ignore_ascii_case("none") => return Err(JwtError::AlgNone),
        Some(a) => return Err(JwtError::UnsupportedAlgorithm(a.to_string())),
        None => return Err(JwtError::Malformed("the header has no 'alg'".into())),
    };
    // A critical extension we do not understand must make the token invalid
    // (RFC 7515 §4.1.11).
    if header.contains_key("crit") {
        return Err(JwtError::Malformed(
            "'crit' extensions are not supported".into(),
        ));
    }
    check_type(header.get("typ"))?;
    let kid = match header.get("kid") {
        None | Some(Value::Null) => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(_) => return Err(JwtError::Malformed("'kid' is not a string".into())),
    };
    let claims: Map<String, Value> = serde_json::from_slice(&b64(p, "payload")?)
        .map_err(|_| JwtError::Malformed("the payload is not a JSON object".into()))?;
    let signature = b64(s, "signature")?;
    Ok(UnverifiedJwt {
        header: JoseHeader { alg, kid },
        claims: Claims(claims),
        signing_input: format!("{h}.{p}"),
        signature,
    })
}

/// The project a call acts in when its credential may act in `projects`:
/// the one it names, if listed, else the first. `Err` carries the list.
pub fn project_among<'a>(
    projects: &'a [String],
    named: Option<&str>,
) -> Result<String, &'a [String]> {
    match named {
        Some(p) if projects.iter().any(|q| q == p) => Ok(p.to_string()),
        Some(_) => Err(projects),
        None => projects.first().cloned().ok_or(projects),
    }
}

/// `typ` is optional (RFC 7519 §5.1), but when present it must say this is
/// a JWT or an RFC 9068 access token: an ID token's or a logout token's
/// type, or anything else another protocol signed with the same keys, is
/// not a bearer credential here. Media types compare case-insensitively
/// and may carry the `application/` prefix (RFC 7515 §4.1.9).
pub fn check_type(typ: Option<&Value>) -> Result<(), JwtError> {
    match typ {
        None => Ok(()),
        Some(Value::String(t)) => {
            let lower = t.to_ascii_lowercase();
            let bare = lower.strip_prefix("application/").unwrap_or(&lower);
            if matches!(bare, "jwt" | "at+jwt") {
                Ok(())
            } else {
                Err(JwtError::WrongType(t.chars().take(40).collect()))
            }
        }
        Some(other) => Err(JwtError::WrongType(
            other.to_string().chars().take(40).collect(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn shapes_are_told_apart() {
        assert_eq!(classify("kw_s_abc"), BearerShape::Keyward);
        assert_eq!(classify("aa.bb.cc"), BearerShape::Jwt);
        assert_eq!(classify("aa.bb"), BearerShape::Malformed);
        assert_eq!(classify("aa..cc"), BearerShape::Malformed);
        assert_eq!(classify("a+a.bb.cc"), BearerShape::Malformed);
        assert_eq!(classify("hello"), BearerShape::Malformed);
    }

    #[test]
    fn alg_none_and_hmac_are_refused_first() {
        let c = claims(json!({}));
        assert_eq!(
            decode(&token(json!({"alg": "none"}), c.clone())).unwrap_err(),
            JwtError::AlgNone
        );
        assert_eq!(
            decode(&token(json!({"alg": "NONE"}), c.clone())).unwrap_err(),
            JwtError::AlgNone
        );
        assert!(matches!(
            decode(&token(json!({"alg": "HS256"}), c.clone())),
            Err(JwtError::UnsupportedAlgorithm(_))
        ));
        assert!(matches!(
            decode(&token(json!({}), c.clone())),
            Err(JwtError::Malformed(_))
        ));
        assert!(matches!(
            decode(&token(json!({"alg": "ES256", "crit": ["x"]}), c)),
            Err(JwtError::Malformed(_))
        ));
    }

    #[test]
    fn a_typ_other_than_jwt_or_at_jwt_is_refused() {
        let c = claims(json!({}));
        for ok in [
            "JWT",
            "jwt",
            "Jwt",
            "at+jwt",
            "AT+JWT",
            "application/at+jwt",
            "application/JWT",
        ] {
            assert!(
                decode(&token(json!({"alg": "ES256", "typ": ok}), c.clone())).is_ok(),
                "{ok}"
            );
        }
        // No typ at all is fine (it is optional).
        assert!(decode(&token(json!({"alg": "ES256"}), c.clone())).is_ok());
        for bad in [
            json!("JWS"),
            json!("id_token+jwt"),
            json!("logout+jwt"),
            json!("dpop+jwt"),
            json!("secevent+jwt"),
            json!("application/jose"),
            json!(""),
            json!("JWT "),
            json!(1),
            json!(null),
            json!(["JWT"]),
        ] {
            assert!(
                matches!(
                    decode(&token(
                        json!({"alg": "ES256", "typ": bad.clone()}),
                        c.clone()
                    )),
                    Err(JwtError::WrongType(_))
                ),
                "{bad}"
            );
        }
    }

    proptest! {
        #[test]
        fn decode_never_panics(s in "[A-Za-z0-9_.-]{0,80}") {
            let _ = decode(&s);
            let _ = classify(&s);
        }
    }
}
