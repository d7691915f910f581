//! What a token may reach, project by project (Dataiku's project-level and
//! global keys, Keboola's projects).
//!
//! A project-level token acts only inside its own project: in any other
//! project it holds nothing, whatever its grants say. A global key carries
//! grants per project, and may be a global admin (everything, everywhere).
//! Master tokens are global admins by construction.

use crate::catalog::Catalog;
use crate::grant::{Grant, Principal};
use crate::secret::TokenKind;
use std::collections::{BTreeMap, BTreeSet};

/// The project that existed before projects did: single-project data
/// lives here.
pub const DEFAULT_PROJECT: &str = "default";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub kind: TokenKind,
    /// The home project of a project-level token (`None` for master and
    /// global keys).
    pub project: Option<String>,
    /// Grants that hold wherever the token may act: its own, plus those it
    /// inherits (its personas; for a personal key, its user's).
    pub grants: Vec<Grant>,
    /// A global key's grants per project.
    pub project_grants: BTreeMap<String, Vec<Grant>>,
    pub global_admin: bool,
}

impl Access {
    /// Where the token acts when a request names no project.
    pub fn home(&self) -> &str {
        self.project.as_deref().unwrap_or(DEFAULT_PROJECT)
    }

    /// The grants that hold in `project`, before implication.
    pub fn grants_in(&self, project: &str) -> Vec<Grant> {
        if self.kind == TokenKind::Global {
            let mut all = self.grants.clone();
            all.extend(
                self.project_grants
                    .get(project)
                    .cloned()
                    .unwrap_or_default(),
            );
            all
        } else if self.home() == project {
            self.grants.clone()
        } else {
            vec![]
        }
    }

    /// The one authorization question, asked inside one project.
    pub fn principal(&self, catalog: &Catalog, project: &str) -> Principal {
        if self.is_admin() {
            Principal::new(catalog, true, &[])
        } else {
            Principal::new(catalog, false, &self.grants_in(project))
        }
    }
}

/// The one definition of an admin: master tokens and global admin keys.
pub fn is_admin(kind: TokenKind, global_admin: bool) -> bool {
    kind == TokenKind::Master || (kind == TokenKind::Global && global_admin)
}

/// The policy's answers as methods of the access they are about.
impl Access {
    /// Master tokens and global admin keys: every permission in every
    /// project, and the administration of the deployment.
    pub fn is_admin(&self) -> bool {
        is_admin(self.kind, self.global_admin)
    }

    /// Whether the token can act in `project` at all.
    pub fn reaches(&self, project: &str) -> bool {
        reachable_projects(self).contains(project)
    }
}

/// Where an actor may act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    Everywhere,
    Only(BTreeSet<String>),
}

impl Reach {
    pub fn contains(&self, project: &str) -> bool {
        match self {
            Reach::Everywhere => true,
            Reach::Only(set) => set.contains(project),
        }
    }
}

/// The projects in which `access` holds anything at all.
pub fn reachable_projects(access: &Access) -> Reach {
    if access.is_admin() || (access.kind == TokenKind::Global && !access.grants.is_empty()) {
        return Reach::Everywhere;
    }
    match access.kind {
        TokenKind::Global => Reach::Only(access.project_grants.keys().cloned().collect()),
        _ => Reach::Only(BTreeSet::from([access.home().to_string()])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::default_catalog;
    use crate::Decision;
    use proptest::prelude::*;

    fn g(s: &str) -> Grant {
        Grant::parse_compact(s).unwrap()
    }

    fn project_key(project: &str, grants: &[&str]) -> Access {
        Access {
            kind: TokenKind::Scoped,
            project: Some(project.into()),
            grants: grants.iter().map(|s| g(s)).collect(),
            project_grants: BTreeMap::new(),
            global_admin: false,
        }
    }

    #[test]
    fn a_project_key_holds_nothing_outside_its_project() {
        let c = default_catalog();
        let key = project_key("alpha", &["storage:write@*", "storage:create_bucket"]);
        assert_eq!(
            key.principal(&c, "alpha")
                .may("storage", "write", Some("b")),
            Decision::Allow
        );
        assert!(matches!(
            key.principal(&c, "beta").may("storage", "read", Some("b")),
            Decision::Deny(_)
        ));
        assert!(!key.reaches("beta"));
    }

    #[test]
    fn a_global_key_has_different_grants_per_project() {
        let c = default_catalog();
        let key = Access {
            kind: TokenKind::Global,
            project: None,
            grants: vec![],
            project_grants: BTreeMap::from([
                ("alpha".to_string(), vec![g("storage:read@*")]),
                ("beta".to_string(), vec![g("storage:write@*")]),
            ]),
            global_admin: false,
        };
        let alpha = key.principal(&c, "alpha");
        assert_eq!(alpha.may("storage", "read", Some("x")), Decision::Allow);
        assert!(matches!(
            alpha.may("storage", "write", Some("x")),
            Decision::Deny(_)
        ));
        let beta = key.principal(&c, "beta");
        assert_eq!(beta.may("storage", "write", Some("x")), Decision::Allow);
        assert_eq!(beta.may("storage", "read", Some("x")), Decision::Allow);
        assert!(!key.reaches("gamma"));
        assert!(!key.principal(&c, "gamma").is_master);
    }

    #[test]
    fn a_global_admin_holds_everything_everywhere() {
        let c = default_catalog();
        let key = Access {
            kind: TokenKind::Global,
            project: None,
            grants: vec![],
            project_grants: BTreeMap::new(),
            global_admin: true,
        };
        assert!(key.is_admin());
        for p in ["default", "alpha", "anything"] {
            let principal = key.principal(&c, p);
            assert!(principal.is_master);
            assert_eq!(principal.may("tokens", "manage", None), Decision::Allow);
        }
    }

    proptest! {
        /// Whatever a project key's grants, no permission holds in another
        /// project.
        #[test]
        fn project_keys_never_cross(grants in prop::collection::vec("[a-z]{1,8}:[a-z_]{1,8}(@[a-z*]{1,4})?", 0..6),
                                    home in "[a-z]{1,6}", other in "[a-z]{1,6}") {
            prop_assume!(home != other);
            let c = default_catalog();
            let key = Access {
                kind: TokenKind::Scoped,
                project: Some(home),
                grants: grants.iter().filter_map(|s| Grant::parse_compact(s)).collect(),
                project_grants: BTreeMap::new(),
                global_admin: false,
            };
            let p = key.principal(&c, &other);
            prop_assert!(p.effective.grants().next().is_none());
            prop_assert!(!p.is_master);
        }
    }
}
