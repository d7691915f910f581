//! The question asked: which permission on which resource, checked
//! against the catalog.

use crate::catalog::Catalog;
use crate::grant::{Grant, Resource};
use crate::problem::FieldError;
use crate::validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `POST /tokens/{id}/explain`: may the token do this?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplainRequest {
    pub service: String,
    pub permission: String,
    /// A resource id or `*`; for permissions that take a resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The project the call would act in; default the token's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// The secret the call would present, by its hint as the API shows a
    /// token's `secret_hint` (`kw_s_…Ab3x`; `...` is taken for `…`):
    /// the current secret, one a refresh replaced (inside its overlap it
    /// may use the API, never change the control plane), or none that
    /// works. Default: the current secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_hint: Option<String>,
}

/// An [`ExplainRequest`] that names a grant of the catalog and a valid
/// project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub wanted: Grant,
    pub project: Option<String>,
    /// In [`crate::secret::Secret::hint`]'s form.
    pub secret_hint: Option<String>,
}

impl ExplainRequest {
    /// Checks the asked grant against the catalog (resource shape
    /// included) and the project's shape. `Err` holds the field errors;
    /// `unknown` tells whether they are about the catalog (answered
    /// `unknown_permission`) rather than the request's shape.
    pub fn parse(self, catalog: &Catalog) -> Result<Question, (bool, Vec<FieldError>)> {
        let mut errors = vec![];
        let project = match self.project {
            Some(p) => match validate::project_id("project", &p) {
                Ok(p) => Some(p),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
            None => None,
        };
        let secret_hint = match self.secret_hint {
            Some(h) => match crate::secret::parse_hint(&h) {
                Some(h) => Some(h),
                None => {
                    errors.push(FieldError::new(
                        "secret_hint",
                        "must be a secret's hint as the API shows it: kw_<kind letter>_…<last four characters>, e.g. kw_s_…Ab3x",
                    ));
                    None
                }
            },
            None => None,
        };
        if !errors.is_empty() {
            return Err((false, errors));
        }
        let wanted = Grant::new(
            &self.service,
            &self.permission,
            self.resource.as_deref().map(Resource::parse),
        );
        if let Err(e) = catalog.check(&wanted) {
            let field = match e {
                crate::catalog::CatalogError::UnknownService(_) => "service",
                crate::catalog::CatalogError::UnknownPermission(_) => "permission",
                _ => "resource",
            };
            return Err((true, vec![FieldError::new(field, e.to_string())]));
        }
        Ok(Question {
            wanted,
            project,
            secret_hint,
        })
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::catalog::default_catalog;

    #[test]
    fn questions_are_checked_against_the_catalog() {
        let c = default_catalog();
        let ask = |s: &str, p: &str, r: Option<&str>, project: Option<&str>| ExplainRequest {
            service: s.into(),
            permission: p.into(),
            resource: r.map(Into::into),
            project: project.map(Into::into),
            secret_hint: None,
        };
        assert!(ask("storage", "read", Some("b"), None).parse(&c).is_ok());
        let (unknown, e) = ask("nope", "read", None, None).parse(&c).unwrap_err();
        assert!(unknown);
        assert_eq!(e[0].field, "service");
        let (unknown, e) = ask("storage", "fly", Some("b"), None)
            .parse(&c)
            .unwrap_err();
        assert!(unknown);
        assert_eq!(e[0].field, "permission");
        let (_, e) = ask("storage", "read", None, None).parse(&c).unwrap_err();
        assert_eq!(e[0].field, "resource");
        let (unknown, e) = ask("storage", "read", Some("b"), Some("../x"))
            .parse(&c)
            .unwrap_err();
        assert!(!unknown);
        assert_eq!(e[0].field, "project");
        let hinted = |h: &str| ExplainRequest {
            secret_hint: Some(h.into()),
            ..ask("storage", "read", Some("b"), None)
        };
        assert_eq!(
            hinted("kw_s_...Ab3x")
                .parse(&c)
                .unwrap()
                .secret_hint
                .as_deref(),
            Some("kw_s_…Ab3x")
        );
        let (unknown, e) = hinted("Ab3x").parse(&c).unwrap_err();
        assert!(!unknown);
        assert_eq!(e[0].field, "secret_hint");
    }
}
