//! The catalog: which services exist, which permissions they offer, on which
//! resource type, and which permissions imply others. It is configuration
//! shipped with the worker (`worker/catalog.json`) and served to clients.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Catalog {
    pub services: Vec<Service>,
    pub resource_types: Vec<ResourceType>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Service {
    pub id: String,
    pub title: String,
    pub permissions: Vec<PermissionDef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PermissionDef {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// Permissions of the same service that this one implies.
    #[serde(default)]
    pub implies: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ResourceType {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogError {
    UnknownService(String),
    UnknownPermission(String),
    /// A resource was given for a permission that has none, or left out for
    /// one that needs it.
    ResourceMismatch(String),
    InvalidResource(String),
}

impl std::fmt::Display for CatalogError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CatalogError::UnknownService(s) => write!(f, "unknown service '{s}'"),
            CatalogError::UnknownPermission(p) => write!(f, "unknown permission '{p}'"),
            CatalogError::ResourceMismatch(m) => f.write_str(m),
            CatalogError::InvalidResource(m) => f.write_str(m),
        }
    }
}

/// Why a catalog file is not usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogDefinitionError(pub String);

impl Catalog {
    /// Parses and checks a catalog: unique ids, known resource types, and
    /// implications that point at permissions of the same service.
    pub fn from_json(json: &str) -> Result<Catalog, CatalogDefinitionError> {
        let catalog: Catalog =
            serde_json::from_str(json).map_err(|e| CatalogDefinitionError(e.to_string()))?;
        let types: BTreeSet<&str> = catalog
            .resource_types
            .iter()
            .map(|t| t.id.as_str())
            .collect();
        let mut services = BTreeSet::new();
        for s in &catalog.services {
            if !services.insert(s.id.as_str()) {
                return Err(CatalogDefinitionError(format!(
                    "duplicate service {}",
                    s.id
                )));
            }
            let mut perms = BTreeSet::new();
            for p in &s.permissions {
                if !perms.insert(p.id.as_str()) {
                    return Err(CatalogDefinitionError(format!(
                        "duplicate permission {}:{}",
                        s.id, p.id
                    )));
                }
                if let Some(t) = &p.resource_type {
                    if !types.contains(t.as_str()) {
                        return Err(CatalogDefinitionError(format!("unknown resource type {t}")));
                    }
                }
            }
            for p in &s.permissions {
                for i in &p.implies {
                    let Some(target) = s.permissions.iter().find(|q| &q.id == i) else {
                        return Err(CatalogDefinitionError(format!(
                            "{}:{} implies unknown {}",
                            s.id, p.id, i
                        )));
                    };
                    if target.resource_type != p.resource_type {
                        return Err(CatalogDefinitionError(format!(
                            "{}:{} implies {} on another resource type",
                            s.id, p.id, i
                        )));
                    }
                }
            }
        }
        Ok(catalog)
    }

    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }

    pub fn permission(&self, service: &str, permission: &str) -> Option<&PermissionDef> {
        self.service(service)?
            .permissions
            .iter()
            .find(|p| p.id == permission)
    }

    pub fn resource_type(&self, id: &str) -> Option<&ResourceType> {
        self.resource_types.iter().find(|t| t.id == id)
    }

    /// Implied permissions of one permission, transitively, itself excluded.
    pub fn implied_by(&self, service: &str, permission: &str) -> Vec<String> {
        let Some(svc) = self.service(service) else {
            return vec![];
        };
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut stack = vec![permission.to_string()];
        while let Some(p) = stack.pop() {
            if let Some(def) = svc.permissions.iter().find(|d| d.id == p) {
                for i in &def.implies {
                    if i != permission && seen.insert(i.clone()) {
                        stack.push(i.clone());
                    }
                }
            }
        }
        seen.into_iter().collect()
    }
}

/// The catalog the worker ships, for the domain's own tests.
#[cfg(test)]
pub(crate) fn default_catalog() -> Catalog {
    Catalog::from_json(include_str!("../../worker/catalog.json"))
        .expect("the shipped catalog is valid")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grant::{Grant, Resource};

    #[test]
    fn default_catalog_has_the_documented_services() {
        let c = default_catalog();
        let ids: Vec<_> = c.services.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "storage",
                "components",
                "tokens",
                "audit",
                "api_services",
                "infrastructures",
                "projects",
                "datasets"
            ]
        );
        // Dataiku DSS project keys: admin ⇒ everything project-wide;
        // write ⇒ read, for configuration and for data.
        assert_eq!(
            c.implied_by("projects", "admin"),
            [
                "read_conf",
                "read_data",
                "run_scenarios",
                "write_conf",
                "write_data"
            ]
        );
        assert_eq!(c.implied_by("projects", "write_conf"), ["read_conf"]);
        assert!(c.implied_by("projects", "read_conf").is_empty());
        // … and per dataset.
        for (write, read) in [
            ("write_data", "read_data"),
            ("write_metadata", "read_metadata"),
            ("write_schema", "read_schema"),
        ] {
            assert_eq!(c.implied_by("datasets", write), [read]);
            assert_eq!(
                c.permission("datasets", read)
                    .unwrap()
                    .resource_type
                    .as_deref(),
                Some("dataset")
            );
        }
        // Dataiku API Deployer: admin ⇒ write and deploy ⇒ read; admin ⇒ deploy ⇒ view.
        assert_eq!(
            c.implied_by("api_services", "admin"),
            ["deploy", "read", "write"]
        );
        assert_eq!(c.implied_by("infrastructures", "admin"), ["deploy", "view"]);
        assert_eq!(c.implied_by("storage", "write"), ["read"]);
        assert_eq!(c.implied_by("tokens", "manage"), ["read"]);
        assert!(c
            .permission("storage", "create_bucket")
            .unwrap()
            .resource_type
            .is_none());
        assert_eq!(
            c.permission("components", "run")
                .unwrap()
                .resource_type
                .as_deref(),
            Some("component")
        );
    }

    #[test]
    fn rejects_broken_catalogs() {
        let bad = r#"{"services":[{"id":"a","title":"A","permissions":[{"id":"x","title":"X","implies":["y"]}]}],"resource_types":[]}"#;
        assert!(Catalog::from_json(bad).is_err());
        let bad_type = r#"{"services":[{"id":"a","title":"A","permissions":[{"id":"x","title":"X","resource_type":"nope"}]}],"resource_types":[]}"#;
        assert!(Catalog::from_json(bad_type).is_err());
    }

    #[test]
    fn check_names_what_is_wrong() {
        let c = default_catalog();
        let g = |s: &str, p: &str, r: Option<Resource>| Grant {
            service: s.into(),
            permission: p.into(),
            resource: r,
        };
        assert!(c.check(&g("storage", "read", Some(Resource::All))).is_ok());
        assert!(matches!(
            c.check(&g("nope", "read", None)),
            Err(CatalogError::UnknownService(_))
        ));
        assert!(matches!(
            c.check(&g("storage", "fly", None)),
            Err(CatalogError::UnknownPermission(_))
        ));
        assert!(matches!(
            c.check(&g("storage", "read", None)),
            Err(CatalogError::ResourceMismatch(_))
        ));
        assert!(matches!(
            c.check(&g("storage", "create_bucket", Some(Resource::All))),
            Err(CatalogError::ResourceMismatch(_))
        ));
        assert!(matches!(
            c.check(&g("storage", "read", Some(Resource::Id("a b".into())))),
            Err(CatalogError::InvalidResource(_))
        ));
    }
}
