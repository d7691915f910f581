//! Which of the gateway's routes a token can call, requirement by
//! requirement.

use super::decision::*;
use super::holdings::*;
use crate::catalog::Catalog;
use crate::gateway::RouteTable;
use crate::grant::{Grant, Principal, Resource};
use crate::policy::{self};
use crate::template::ResourceTemplate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How much of a requirement, or of a route, the token holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    /// Whatever the path's parameters are.
    All,
    /// For some values of the path's parameters (see `resources`).
    Some,
    None,
}

/// One grant a gateway route requires, and how much of it the token holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RequirementReach {
    /// As the route writes it: `components:run@{component}`.
    pub require: String,
    pub held: Coverage,
    /// On `some`: the resources the token holds it on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// Unless `all`: the grant that would cover every call
    /// (`components:run@*`, or the fixed grant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<Grant>,
}

/// One shipped gateway route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RouteReach {
    pub name: String,
    pub methods: Vec<String>,
    /// The path under `/gw`.
    pub path: String,
    /// `all`: every call of the route passes authorization; `some`: calls
    /// on the resources listed; `none`: none.
    pub callable: Coverage,
    /// Whether the route takes Keyward secrets at all (some take only JWTs).
    pub accepts_keyward: bool,
    pub requires: Vec<RequirementReach>,
}

/// `GET /tokens/{id}/routes`' answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RoutesReport {
    pub token_id: String,
    pub project: String,
    /// Set when nothing can be called at all: `token_expired` or
    /// `out_of_reach`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<ExplainCode>,
    pub routes: Vec<RouteReach>,
}

/// Which of `table`'s routes the token can call in `project` (default its
/// own), requirement by requirement, decided with the edge's principal.
pub fn routes(
    holdings: &Holdings,
    catalog: &Catalog,
    table: &RouteTable,
    project: Option<&str>,
    now: i64,
) -> RoutesReport {
    let access = holdings.access();
    let project = project.unwrap_or(access.home()).to_string();
    let blocked = if holdings.expired(now) {
        Some(ExplainCode::TokenExpired)
    } else if !holdings.enabled {
        Some(ExplainCode::TokenDisabled)
    } else if holdings.not_before.is_some_and(|nb| now < nb) {
        Some(ExplainCode::TokenNotYetValid)
    } else if policy::may_act_in(&access, &project).is_err() {
        Some(ExplainCode::OutOfReach)
    } else {
        None
    };
    // A blocked token holds nothing: every requirement is missing.
    let principal = match blocked {
        Some(_) => Principal::new(catalog, false, &[]),
        None => access.principal(catalog, &project),
    };
    RoutesReport {
        token_id: holdings.token_id.clone(),
        project,
        code: blocked,
        routes: reach(&principal, table),
    }
}

/// Which of `table`'s routes `principal` can call, requirement by
/// requirement: what [`routes`] reports and the blast-radius preview
/// compares before and after a change (one computation for both).
pub fn reach(principal: &Principal, table: &RouteTable) -> Vec<RouteReach> {
    table
        .routes
        .iter()
        .map(|route| {
            let requires: Vec<RequirementReach> = route
                .require
                .iter()
                .map(|t| requirement_reach(principal, t))
                .collect();
            let accepts_keyward = route.accepts(crate::gateway::Credential::Keyward);
            let callable = if !accepts_keyward || requires.iter().any(|r| r.held == Coverage::None)
            {
                Coverage::None
            } else if requires.iter().all(|r| r.held == Coverage::All) {
                Coverage::All
            } else {
                Coverage::Some
            };
            RouteReach {
                name: route.name.clone(),
                methods: route.methods.clone(),
                path: route.pattern.source.clone(),
                callable,
                accepts_keyward,
                requires,
            }
        })
        .collect()
}

fn requirement_reach(
    principal: &Principal,
    t: &crate::template::GrantTemplate,
) -> RequirementReach {
    let exact = |resource| Grant::new(&t.service, &t.permission, resource);
    let (wanted_all, per_param) = match &t.resource {
        ResourceTemplate::None => (exact(None), false),
        ResourceTemplate::Fixed(r) => (exact(Some(r.clone())), false),
        ResourceTemplate::Param(_) => (exact(Some(Resource::All)), true),
    };
    let mut out = RequirementReach {
        require: t.to_string(),
        held: Coverage::All,
        resources: vec![],
        missing: None,
    };
    if principal.admit(&wanted_all).is_ok() {
        return out;
    }
    out.missing = Some(wanted_all);
    // Per-resource grants admit the calls on their resource: each is
    // checked through the same decision.
    if per_param {
        out.resources = principal
            .effective
            .grants()
            .filter(|g| g.service == t.service && g.permission == t.permission)
            .filter_map(|g| match &g.resource {
                Some(Resource::Id(id)) if principal.admit(g).is_ok() => Some(id.clone()),
                _ => None,
            })
            .collect();
    }
    out.held = if out.resources.is_empty() {
        Coverage::None
    } else {
        Coverage::Some
    };
    out
}

#[cfg(test)]
mod tests {
    use super::super::holdings::fixtures::*;
    use super::*;
    use crate::catalog::default_catalog;

    #[test]
    fn shipped_routes_name_what_is_missing() {
        let c = default_catalog();
        let table = RouteTable::from_json(include_str!("../../../worker/gateway.json")).unwrap();
        let h = scoped(vec![
            held("components:run@*", Source::Own),
            held("api_services:deploy@svc", persona("prs_d")),
        ]);
        let r = routes(&h, &c, &table, None, 0);
        assert_eq!(r.code, None);
        let by_name = |n: &str| r.routes.iter().find(|x| x.name == n).unwrap().clone();
        let run = by_name("component.run");
        assert_eq!(run.callable, Coverage::All);
        let deploy = by_name("deployment.create");
        assert_eq!(deploy.callable, Coverage::None);
        assert_eq!(deploy.requires[0].held, Coverage::Some);
        assert_eq!(deploy.requires[0].resources, vec!["svc".to_string()]);
        assert_eq!(deploy.requires[1].held, Coverage::None);
        assert_eq!(
            deploy.requires[1].missing,
            Some(g("infrastructures:deploy@*"))
        );
        let r = routes(&h, &c, &table, Some("other"), 0);
        assert_eq!(r.code, Some(ExplainCode::OutOfReach));
        assert!(r.routes.iter().all(|x| x.callable == Coverage::None));
    }
}
