//! What is handed over when a token is sent by invitation: what it can
//! do, phrased as the detail page says it, and what deserves a warning
//! (a token that can do nothing, a token that never expires). Plain data,
//! tested natively.

use keyward_domain::api::ProjectGrants;
use keyward_domain::describe::summary;
use keyward_domain::{Catalog, Grant};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handover {
    /// One sentence per place the token works (its own and its personas'
    /// grants first, then each project's of a global key).
    pub can_do: Vec<String>,
    /// It holds no permission anywhere: the recipient could only ask who
    /// the token is and refresh it.
    pub nothing: bool,
    pub never_expires: bool,
}

/// `everything`: a master token or a global admin key; `grants`: its own
/// grants with its personas'.
pub fn handover(
    catalog: &Catalog,
    everything: bool,
    grants: &[Grant],
    project_grants: &ProjectGrants,
    never_expires: bool,
) -> Handover {
    if everything {
        return Handover {
            can_do: vec!["Everything in the catalog, on all resources, in every project".into()],
            nothing: false,
            never_expires,
        };
    }
    let per_project: Vec<(&String, &Vec<Grant>)> = project_grants
        .iter()
        .filter(|(_, g)| !g.is_empty())
        .collect();
    let nothing = grants.is_empty() && per_project.is_empty();
    let mut can_do = vec![];
    if !grants.is_empty() || per_project.is_empty() {
        can_do.push(summary(catalog, grants));
    }
    for (p, g) in per_project {
        can_do.push(format!("In project {p}: {}", summary(catalog, g)));
    }
    Handover {
        can_do,
        nothing,
        never_expires,
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog::from_json(include_str!("../../../worker/catalog.json")).unwrap()
    }

    fn g(s: &str) -> Grant {
        Grant::parse_compact(s).unwrap()
    }

    #[test]
    fn a_token_with_grants_says_what_it_can_do() {
        let h = handover(
            &catalog(),
            false,
            &[g("storage:read@b1")],
            &ProjectGrants::new(),
            false,
        );
        assert_eq!(h.can_do, ["Read bucket b1; nothing else"]);
        assert!(!h.nothing && !h.never_expires);
    }

    #[test]
    fn a_token_with_no_permissions_is_nothing_and_says_so() {
        let h = handover(&catalog(), false, &[], &ProjectGrants::new(), true);
        assert!(h.nothing && h.never_expires);
        assert_eq!(h.can_do, ["Nothing: this token cannot do anything"]);
        // Empty per-project lists are still nothing.
        let empty = ProjectGrants::from([("p1".to_string(), vec![])]);
        assert!(handover(&catalog(), false, &[], &empty, false).nothing);
    }

    #[test]
    fn a_global_keys_project_grants_count_and_are_listed() {
        let pg = ProjectGrants::from([("p1".to_string(), vec![g("audit:read")])]);
        let h = handover(&catalog(), false, &[], &pg, false);
        assert!(!h.nothing);
        assert_eq!(
            h.can_do,
            ["In project p1: Read the audit log; nothing else"]
        );
    }

    #[test]
    fn an_admin_key_can_do_everything() {
        let h = handover(&catalog(), true, &[], &ProjectGrants::new(), true);
        assert!(!h.nothing);
        assert!(h.can_do[0].starts_with("Everything"));
    }
}
