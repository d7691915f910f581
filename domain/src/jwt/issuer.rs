//! Issuers: their configuration resolved from settings, their claim
//! checks, the grants a token gets, and which issuer a token names.

use crate::catalog::Catalog;
use crate::grant::Grant;
use crate::template::{is_header_safe, Setting};
use serde::Deserialize;

use super::*;

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

pub(super) fn default_projects() -> Vec<String> {
    vec![crate::access::DEFAULT_PROJECT.to_string()]
}

pub(super) fn both_algorithms() -> Vec<Algorithm> {
    vec![Algorithm::RS256, Algorithm::ES256]
}
pub(super) fn default_leeway() -> i64 {
    DEFAULT_LEEWAY_SECONDS
}
pub(super) fn default_cache() -> i64 {
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
    use super::super::fixtures::*;
    use super::*;

    use proptest::prelude::*;
    use serde_json::json;

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
        fn expiry_is_monotonic(exp in 0i64..10_000, now in 0i64..10_000) {
            let r = check(json!({"exp": exp, "nbf": null}), now);
            prop_assert_eq!(r == Err(JwtError::Expired), now >= exp + DEFAULT_LEEWAY_SECONDS);
        }
    }
}
