//! JWT access tokens from outside identity providers (OAuth2 resource
//! server, as on Dataiku's API node): the pure parts. Decoding, the header
//! and claim checks, key selection from a JWKS, and the mapping of scopes
//! and claims to grants live here; the signature itself is verified by the
//! worker with Web Crypto, against the key [`Jwks::select`] picked.
//!
//! Keyward never issues these tokens, and a JWT principal is never master.

use crate::catalog::Catalog;
use crate::grant::Grant;
use crate::template::{is_header_safe, GrantTemplate, ResourceTemplate, Setting};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;

/// Clock skew tolerated on `exp` and `nbf` unless an issuer says otherwise.
pub const DEFAULT_LEEWAY_SECONDS: i64 = 60;
/// How long a fetched JWKS is trusted before it is fetched again.
pub const DEFAULT_JWKS_CACHE_SECONDS: i64 = 300;

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
    fn number(&self, name: &'static str) -> Result<Option<i64>, JwtError> {
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

fn b64(part: &str, what: &str) -> Result<Vec<u8>, JwtError> {
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

/// A word pattern for a scope or claim value: literal text with at most one
/// `{param}` at the end, e.g. `components.run:{component}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordPattern {
    pub prefix: String,
    pub param: Option<String>,
}

impl WordPattern {
    pub fn parse(s: &str) -> Result<WordPattern, String> {
        match s.find('{') {
            None if !s.contains('}') && !s.is_empty() => Ok(WordPattern {
                prefix: s.to_string(),
                param: None,
            }),
            Some(i) => {
                let name = s[i + 1..]
                    .strip_suffix('}')
                    .filter(|n| {
                        !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    })
                    .ok_or_else(|| format!("'{s}': a parameter must end the pattern"))?;
                Ok(WordPattern {
                    prefix: s[..i].to_string(),
                    param: Some(name.to_string()),
                })
            }
            None => Err(format!("'{s}' is not a scope pattern")),
        }
    }

    pub fn matches(&self, word: &str) -> Option<BTreeMap<String, String>> {
        let mut params = BTreeMap::new();
        match &self.param {
            None => (word == self.prefix).then_some(params),
            Some(name) => {
                let value = word.strip_prefix(self.prefix.as_str())?;
                if value.is_empty() {
                    return None;
                }
                params.insert(name.clone(), value.to_string());
                Some(params)
            }
        }
    }
}

/// One rule of an issuer's mapping: a word of a claim (by default `scope`)
/// that matches `value` grants these (templated by the pattern's parameter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeMapping {
    pub claim: String,
    pub value: WordPattern,
    pub grants: Vec<GrantTemplate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    #[serde(default = "scope_claim")]
    claim: String,
    value: String,
    grants: Vec<String>,
}

fn scope_claim() -> String {
    "scope".into()
}

impl<'de> Deserialize<'de> for ScopeMapping {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawMapping::deserialize(d)?;
        let value = WordPattern::parse(&raw.value).map_err(serde::de::Error::custom)?;
        let grants = raw
            .grants
            .iter()
            .map(|g| GrantTemplate::parse(g))
            .collect::<Result<Vec<_>, _>>()
            .map_err(serde::de::Error::custom)?;
        for g in &grants {
            if let ResourceTemplate::Param(names) = &g.resource {
                let p = names.join("}/{");
                if names.len() != 1 || value.param.as_deref() != Some(p.as_str()) {
                    return Err(serde::de::Error::custom(format!(
                        "{g}: '{p}' is not the parameter of '{}'",
                        raw.value
                    )));
                }
            }
        }
        Ok(ScopeMapping {
            claim: raw.claim,
            value,
            grants,
        })
    }
}

/// An issuer as written in `gateway.json`; settings may come from the
/// environment. An issuer whose `issuer` or key source is unset is inactive.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    /// Short name: audit entries and `X-Keyward-Client-Id` use it.
    pub id: String,
    /// The exact `iss` value.
    pub issuer: Setting,
    pub audiences: Vec<Setting>,
    #[serde(default)]
    pub jwks_url: Option<Setting>,
    /// A JWKS document (JSON text) instead of a URL.
    #[serde(default)]
    pub jwks: Option<Setting>,
    #[serde(default = "both_algorithms")]
    pub algorithms: Vec<Algorithm>,
    #[serde(default = "default_leeway")]
    pub leeway_seconds: i64,
    #[serde(default = "default_cache")]
    pub jwks_cache_seconds: i64,
    #[serde(default)]
    pub mappings: Vec<ScopeMapping>,
    /// The projects this issuer's tokens may act in; the first is where
    /// they act when the call names none. Issuers are not bound to a
    /// Keyward project, so this is configuration: by default only the
    /// `default` project, never "any project the caller names".
    #[serde(default = "default_projects")]
    pub projects: Vec<String>,
}

fn default_projects() -> Vec<String> {
    vec![crate::access::DEFAULT_PROJECT.to_string()]
}

fn both_algorithms() -> Vec<Algorithm> {
    vec![Algorithm::RS256, Algorithm::ES256]
}
fn default_leeway() -> i64 {
    DEFAULT_LEEWAY_SECONDS
}
fn default_cache() -> i64 {
    DEFAULT_JWKS_CACHE_SECONDS
}

impl IssuerConfig {
    pub(crate) fn check_shape(&self) -> Result<(), String> {
        if self.jwks_url.is_some() == self.jwks.is_some() {
            return Err(format!(
                "issuer {}: give exactly one of jwks_url and jwks",
                self.id
            ));
        }
        if self.audiences.is_empty() {
            return Err(format!("issuer {}: no audiences", self.id));
        }
        if !(0..=600).contains(&self.leeway_seconds) {
            return Err(format!("issuer {}: leeway must be 0–600 s", self.id));
        }
        if self.projects.is_empty() {
            return Err(format!("issuer {}: no projects", self.id));
        }
        for p in &self.projects {
            crate::validate::project_id("projects", p)
                .map_err(|e| format!("issuer {}: project '{p}' {}", self.id, e.message))?;
        }
        Ok(())
    }

    pub(crate) fn check(&self, catalog: &Catalog) -> Result<(), String> {
        for m in &self.mappings {
            for g in &m.grants {
                g.check(catalog)
                    .map_err(|e| format!("issuer {}: {e}", self.id))?;
            }
        }
        Ok(())
    }

    /// The issuer with its settings resolved; `None` when inactive here,
    /// `Some(Err)` when configured but unusable (an inline JWKS that does
    /// not parse), which denies its tokens.
    pub fn resolve(&self, env: &dyn Fn(&str) -> Option<String>) -> Option<Result<Issuer, String>> {
        let issuer = self.issuer.resolve(env)?;
        let keys = match (&self.jwks_url, &self.jwks) {
            (Some(url), _) => KeySource::Url(url.resolve(env)?),
            (None, Some(doc)) => match Jwks::from_json(&doc.resolve(env)?) {
                Ok(j) => KeySource::Inline(j),
                Err(e) => return Some(Err(format!("issuer {}: {e}", self.id))),
            },
            (None, None) => return None,
        };
        Some(Ok(Issuer {
            id: self.id.clone(),
            issuer,
            audiences: self
                .audiences
                .iter()
                .filter_map(|a| a.resolve(env))
                .collect(),
            keys,
            algorithms: self.algorithms.clone(),
            leeway_seconds: self.leeway_seconds,
            jwks_cache_seconds: self.jwks_cache_seconds,
            mappings: self.mappings.clone(),
            projects: self.projects.clone(),
        }))
    }
}

/// A trusted issuer, ready to check tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    pub id: String,
    pub issuer: String,
    pub audiences: Vec<String>,
    pub keys: KeySource,
    pub algorithms: Vec<Algorithm>,
    pub leeway_seconds: i64,
    pub jwks_cache_seconds: i64,
    pub mappings: Vec<ScopeMapping>,
    /// Never empty (checked when the table is parsed).
    pub projects: Vec<String>,
}

impl Issuer {
    /// The project a call with this issuer's token acts in; see
    /// [`project_among`].
    pub fn project(&self, named: Option<&str>) -> Result<String, &[String]> {
        project_among(&self.projects, named)
    }

    /// Everything but the signature: algorithm allowed for this issuer,
    /// `iss` exact, an `aud` we answer to, `exp` required and not passed,
    /// `nbf` (if any) reached, both with `leeway_seconds` of skew, and a
    /// `sub` that can be carried in a header.
    pub fn check_claims(&self, jwt: &UnverifiedJwt, now: i64) -> Result<(), JwtError> {
        if !self.algorithms.contains(&jwt.header.alg) {
            return Err(JwtError::UnsupportedAlgorithm(
                jwt.header.alg.as_str().into(),
            ));
        }
        let c = &jwt.claims;
        match c.issuer() {
            Some(i) if i == self.issuer => {}
            Some(i) => return Err(JwtError::UnknownIssuer(i.to_string())),
            None => return Err(JwtError::MissingClaim("iss")),
        }
        if !c
            .audiences()
            .iter()
            .any(|a| self.audiences.iter().any(|ours| ours == a))
        {
            return Err(JwtError::WrongAudience);
        }
        let exp = c.number("exp")?.ok_or(JwtError::MissingClaim("exp"))?;
        if now >= exp.saturating_add(self.leeway_seconds) {
            return Err(JwtError::Expired);
        }
        if let Some(nbf) = c.number("nbf")? {
            if now.saturating_add(self.leeway_seconds) < nbf {
                return Err(JwtError::NotYetValid);
            }
        }
        match c.subject() {
            Some(s) if !s.is_empty() && is_header_safe(s) => Ok(()),
            Some(_) => Err(JwtError::Malformed("'sub' is not printable ASCII".into())),
            None => Err(JwtError::MissingClaim("sub")),
        }
    }

    /// The grants a verified token's claims map to. Words whose parameter is
    /// not a valid resource id grant nothing.
    pub fn grants_for(&self, claims: &Claims) -> Vec<Grant> {
        let mut out = vec![];
        for m in &self.mappings {
            for word in claims.words(&m.claim) {
                if let Some(params) = m.value.matches(word) {
                    out.extend(m.grants.iter().filter_map(|t| t.instantiate(&params).ok()));
                }
            }
        }
        crate::grant::normalize(out)
    }
}

/// Picks the issuer for an unverified token by its `iss`; the token is then
/// checked and verified against that issuer's keys only.
pub fn issuer_for<'a>(issuers: &'a [Issuer], jwt: &UnverifiedJwt) -> Result<&'a Issuer, JwtError> {
    let iss = jwt.claims.issuer().ok_or(JwtError::MissingClaim("iss"))?;
    issuers
        .iter()
        .find(|i| i.issuer == iss)
        .ok_or_else(|| JwtError::UnknownIssuer(iss.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn enc(v: &Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    }

    fn token(header: Value, claims: Value) -> String {
        format!(
            "{}.{}.{}",
            enc(&header),
            enc(&claims),
            URL_SAFE_NO_PAD.encode(b"sig")
        )
    }

    fn issuer() -> Issuer {
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

    fn claims(extra: Value) -> Value {
        let mut base = json!({"iss": "https://idp.example", "aud": "keyward-gateway", "sub": "alice", "exp": 2000, "nbf": 1000});
        if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        base
    }

    fn check(extra: Value, now: i64) -> Result<(), JwtError> {
        let t = decode(&token(json!({"alg": "ES256", "kid": "k1"}), claims(extra))).unwrap();
        issuer().check_claims(&t, now)
    }

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

    #[test]
    fn an_issuer_acts_in_its_projects_only() {
        let i = issuer();
        assert_eq!(i.projects, ["default"]);
        assert_eq!(i.project(None).as_deref(), Ok("default"));
        assert_eq!(i.project(Some("default")).as_deref(), Ok("default"));
        assert!(i.project(Some("beta")).is_err());
        let cfg: IssuerConfig = serde_json::from_value(json!({
            "id": "p", "issuer": "https://p", "audiences": ["a"], "jwks": "{}",
            "projects": ["alpha", "beta"]
        }))
        .unwrap();
        cfg.check_shape().unwrap();
        let mut bad = cfg.clone();
        bad.projects = vec![];
        assert!(bad.check_shape().is_err());
        bad.projects = vec!["Not A Project".into()];
        assert!(bad.check_shape().is_err());
    }

    #[test]
    fn time_claims_with_skew() {
        assert_eq!(check(json!({}), 1500), Ok(()));
        assert_eq!(check(json!({}), 2059), Ok(()));
        assert_eq!(check(json!({}), 2060), Err(JwtError::Expired));
        assert_eq!(check(json!({}), 941), Ok(()));
        assert_eq!(check(json!({}), 939), Err(JwtError::NotYetValid));
        assert_eq!(
            check(json!({"exp": null}), 1500),
            Err(JwtError::MissingClaim("exp"))
        );
        assert!(matches!(
            check(json!({"exp": "soon"}), 1500),
            Err(JwtError::Malformed(_))
        ));
    }

    #[test]
    fn issuer_and_audience_must_match() {
        assert_eq!(
            check(json!({"aud": ["other", "keyward-gateway"]}), 1500),
            Ok(())
        );
        assert_eq!(
            check(json!({"aud": "other"}), 1500),
            Err(JwtError::WrongAudience)
        );
        assert_eq!(
            check(json!({"aud": null}), 1500),
            Err(JwtError::WrongAudience)
        );
        assert!(matches!(
            check(json!({"iss": "https://evil"}), 1500),
            Err(JwtError::UnknownIssuer(_))
        ));
        assert_eq!(
            check(json!({"sub": null}), 1500),
            Err(JwtError::MissingClaim("sub"))
        );
        assert!(matches!(
            check(json!({"sub": "a\nb"}), 1500),
            Err(JwtError::Malformed(_))
        ));
        let t = decode(&token(
            json!({"alg": "ES256"}),
            claims(json!({"iss": "https://evil"})),
        ))
        .unwrap();
        assert!(issuer_for(&[issuer()], &t).is_err());
    }

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

    #[test]
    fn scopes_and_claims_map_to_grants() {
        let i = issuer();
        let c = Claims(claims(json!({"scope": "openid components.run:keboola.ex-db deploy", "groups": ["devops"], "scp": ["components.run:*"]})).as_object().unwrap().clone());
        let g: Vec<String> = i.grants_for(&c).iter().map(|g| g.to_string()).collect();
        assert_eq!(
            g,
            [
                "api_services:deploy@*",
                "components:run@keboola.ex-db",
                "infrastructures:admin@*",
                "infrastructures:deploy@*",
            ]
        );
        let none = Claims(
            claims(json!({"scope": "openid"}))
                .as_object()
                .unwrap()
                .clone(),
        );
        assert!(i.grants_for(&none).is_empty());
    }

    #[test]
    fn mapping_parameters_must_exist() {
        let bad: Result<ScopeMapping, _> = serde_json::from_value(
            json!({"value": "run", "grants": ["components:run@{component}"]}),
        );
        assert!(bad.is_err());
        assert!(WordPattern::parse("a{b}c").is_err());
    }

    #[test]
    fn inactive_without_settings() {
        let cfg: IssuerConfig = serde_json::from_value(
            json!({"id": "x", "issuer": "${ISS}", "audiences": ["a"], "jwks_url": "${URL}"}),
        )
        .unwrap();
        assert!(cfg.resolve(&|_| None).is_none());
        let broken: IssuerConfig = serde_json::from_value(
            json!({"id": "x", "issuer": "i", "audiences": ["a"], "jwks": "not json"}),
        )
        .unwrap();
        assert!(matches!(broken.resolve(&|_| None), Some(Err(_))));
    }

    proptest! {
        #[test]
        fn decode_never_panics(s in "[A-Za-z0-9_.-]{0,80}") {
            let _ = decode(&s);
            let _ = classify(&s);
        }

        #[test]
        fn expiry_is_monotonic(exp in 0i64..10_000, now in 0i64..10_000) {
            let r = check(json!({"exp": exp, "nbf": null}), now);
            prop_assert_eq!(r == Err(JwtError::Expired), now >= exp + DEFAULT_LEEWAY_SECONDS);
        }
    }
}
