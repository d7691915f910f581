//! Keys from a JWKS, and the one a token's header picks.

use serde::Deserialize;

use super::*;

/// One public key of a JWKS (RFC 7517); unknown members are ignored.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub alg: Option<String>,
    #[serde(default, rename = "use")]
    pub use_: Option<String>,
    #[serde(default)]
    pub n: Option<String>,
    #[serde(default)]
    pub e: Option<String>,
    #[serde(default)]
    pub crv: Option<String>,
    #[serde(default)]
    pub x: Option<String>,
    #[serde(default)]
    pub y: Option<String>,
}

impl Jwk {
    /// Whether this key may verify `alg`: the key type must fit the
    /// algorithm (no RSA key for ES256 and the like), and a key that names
    /// its algorithm or use must name this one.
    pub fn fits(&self, alg: Algorithm) -> bool {
        let shape = match alg {
            Algorithm::RS256 => self.kty == "RSA" && self.n.is_some() && self.e.is_some(),
            Algorithm::ES256 => {
                self.kty == "EC"
                    && self.crv.as_deref() == Some("P-256")
                    && self.x.is_some()
                    && self.y.is_some()
            }
        };
        shape
            && self.alg.as_deref().is_none_or(|a| a == alg.as_str())
            && self.use_.as_deref().is_none_or(|u| u == "sig")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

impl Jwks {
    pub fn from_json(json: &str) -> Result<Jwks, String> {
        serde_json::from_str(json).map_err(|e| format!("not a JWKS: {e}"))
    }

    /// The key for this header: by `kid`, or, without one, the only key
    /// that fits the algorithm.
    pub fn select(&self, header: &JoseHeader) -> Result<&Jwk, JwtError> {
        match &header.kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|k| k.kid.as_deref() == Some(kid.as_str()))
                .filter(|k| k.fits(header.alg))
                .ok_or_else(|| JwtError::UnknownKey(kid.clone())),
            None => {
                let mut fitting = self.keys.iter().filter(|k| k.fits(header.alg));
                match (fitting.next(), fitting.next()) {
                    (Some(k), None) => Ok(k),
                    _ => Err(JwtError::UnknownKey("(no kid)".into())),
                }
            }
        }
    }
}

/// Where an issuer's keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// Fetched from the URL and cached.
    Url(String),
    Inline(Jwks),
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn keys_are_selected_by_kid_and_type() {
        let jwks = Jwks::from_json(
            r#"{"keys":[
            {"kty":"RSA","kid":"r1","n":"n","e":"AQAB","use":"sig"},
            {"kty":"EC","crv":"P-256","kid":"e1","x":"x","y":"y"},
            {"kty":"EC","crv":"P-384","kid":"e2","x":"x","y":"y"},
            {"kty":"RSA","kid":"enc","n":"n","e":"AQAB","use":"enc"}]}"#,
        )
        .unwrap();
        let h = |alg, kid: Option<&str>| JoseHeader {
            alg,
            kid: kid.map(str::to_string),
        };
        assert_eq!(
            jwks.select(&h(Algorithm::RS256, Some("r1")))
                .unwrap()
                .kid
                .as_deref(),
            Some("r1")
        );
        // The header's alg cannot steer an RSA key into ECDSA or back.
        assert!(jwks.select(&h(Algorithm::ES256, Some("r1"))).is_err());
        assert!(jwks.select(&h(Algorithm::ES256, Some("e2"))).is_err());
        assert!(jwks.select(&h(Algorithm::RS256, Some("enc"))).is_err());
        assert!(jwks.select(&h(Algorithm::RS256, Some("nope"))).is_err());
        assert_eq!(
            jwks.select(&h(Algorithm::ES256, None))
                .unwrap()
                .kid
                .as_deref(),
            Some("e1")
        );
        assert!(jwks.select(&h(Algorithm::RS256, None)).is_ok());
    }
}
