//! Grants, effective permissions and the one authorization decision.

use crate::catalog::{Catalog, CatalogError};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// What a grant covers: every resource of the permission's type (now and
/// future), or one resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    All,
    Id(String),
}

impl Resource {
    pub fn as_str(&self) -> &str {
        match self {
            Resource::All => "*",
            Resource::Id(id) => id,
        }
    }
    pub fn parse(s: &str) -> Resource {
        if s == "*" {
            Resource::All
        } else {
            Resource::Id(s.to_string())
        }
    }
}

impl Serialize for Resource {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Resource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(Resource::parse(&s))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    pub service: String,
    pub permission: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
}

impl Grant {
    pub fn new(service: &str, permission: &str, resource: Option<Resource>) -> Grant {
        Grant {
            service: service.into(),
            permission: permission.into(),
            resource,
        }
    }

    /// Parses `service:permission` or `service:permission@resource`.
    pub fn parse_compact(s: &str) -> Option<Grant> {
        let (sp, resource) = match s.split_once('@') {
            Some((sp, r)) if !r.is_empty() => (sp, Some(Resource::parse(r))),
            Some(_) => return None,
            None => (s, None),
        };
        let (service, permission) = sp.split_once(':')?;
        if service.is_empty() || permission.is_empty() {
            return None;
        }
        Some(Grant::new(service, permission, resource))
    }

    /// Whether holding `self` covers `other`: the same permission; `*`
    /// covers every resource, and a resource covers its parts (a bucket
    /// its tables: `in.c-main` covers `in.c-main/orders`).
    pub fn covers(&self, other: &Grant) -> bool {
        self.service == other.service
            && self.permission == other.permission
            && match (&self.resource, &other.resource) {
                (None, None) => true,
                (Some(Resource::All), Some(_)) => true,
                (Some(Resource::Id(a)), Some(Resource::Id(b))) => {
                    a == b
                        || b.strip_prefix(a.as_str())
                            .is_some_and(|rest| rest.starts_with('/'))
                }
                _ => false,
            }
    }
}

impl fmt::Display for Grant {
    /// `service:permission@resource`, the form `detail` and the CLI use.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.service, self.permission)?;
        if let Some(r) = &self.resource {
            write!(f, "@{}", r.as_str())?;
        }
        Ok(())
    }
}

/// What a catalog admits as grants (here, with the grants, so that the
/// catalog itself knows nothing of them).
impl Catalog {
    /// Checks that a grant names something in the catalog with the right
    /// resource shape.
    pub fn check(&self, grant: &Grant) -> Result<(), CatalogError> {
        let service = self
            .service(&grant.service)
            .ok_or_else(|| CatalogError::UnknownService(grant.service.clone()))?;
        let def = service
            .permissions
            .iter()
            .find(|p| p.id == grant.permission)
            .ok_or_else(|| {
                CatalogError::UnknownPermission(format!("{}:{}", grant.service, grant.permission))
            })?;
        match (&def.resource_type, &grant.resource) {
            (Some(_), None) => Err(CatalogError::ResourceMismatch(format!(
                "{}:{} needs a resource (\"*\" or an id)",
                grant.service, grant.permission
            ))),
            (None, Some(_)) => Err(CatalogError::ResourceMismatch(format!(
                "{}:{} takes no resource",
                grant.service, grant.permission
            ))),
            (Some(_), Some(Resource::Id(id))) if !crate::validate::is_grant_resource(id) => {
                Err(CatalogError::InvalidResource(format!(
                    "'{id}' is not a valid resource id (1-96 characters of letters, digits, '.', '_', '-'; \
                     or a part of one, 'parent/part', such as a bucket's table 'in.c-main/orders')"
                )))
            }
            _ => Ok(()),
        }
    }

    /// Every grant in the catalog on `*`: what a master token holds.
    pub fn everything(&self) -> Vec<Grant> {
        self.services
            .iter()
            .flat_map(|s| {
                s.permissions.iter().map(move |p| Grant {
                    service: s.id.clone(),
                    permission: p.id.clone(),
                    resource: p.resource_type.as_ref().map(|_| Resource::All),
                })
            })
            .collect()
    }
}

/// A grant set closed under implication, with `*` absorbing per-resource
/// grants of the same permission, and a resource the grants on its parts. Each grant remembers which of the grants
/// it was built from produce it (themselves, or by implication), so that a
/// decision can say what admitted it: the derivation is a by-product of
/// the one decision, never a second computation.
#[derive(Debug, Clone, Default)]
pub struct Effective(BTreeMap<Grant, Vec<usize>>);

/// Two sets are equal when they allow the same grants; where each came
/// from is not part of what they allow.
impl PartialEq for Effective {
    fn eq(&self, other: &Effective) -> bool {
        self.0.keys().eq(other.0.keys())
    }
}
impl Eq for Effective {}

/// What admitted a grant: the effective grant that covers it, and the
/// indices (into the grants the set was built from) of those that produce
/// that effective grant, themselves or through an implication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission<'a> {
    pub by: &'a Grant,
    pub from: &'a [usize],
}

impl Effective {
    pub fn of(catalog: &Catalog, grants: &[Grant]) -> Effective {
        let mut map: BTreeMap<Grant, Vec<usize>> = BTreeMap::new();
        let mut note = |grant: Grant, i: usize| {
            let from = map.entry(grant).or_default();
            if from.last() != Some(&i) {
                from.push(i);
            }
        };
        for (i, g) in grants.iter().enumerate() {
            note(g.clone(), i);
            for implied in catalog.implied_by(&g.service, &g.permission) {
                note(
                    Grant {
                        service: g.service.clone(),
                        permission: implied,
                        resource: g.resource.clone(),
                    },
                    i,
                );
            }
        }
        let keys: BTreeSet<Grant> = map.keys().cloned().collect();
        map.retain(|g, _| !absorbed(g, |h| keys.contains(h)));
        Effective(map)
    }

    pub fn everything(catalog: &Catalog) -> Effective {
        Effective::of(catalog, &catalog.everything())
    }

    /// What admits `wanted`, if anything does. After normalization at most
    /// one effective grant covers any grant (a `*` absorbs the per-resource
    /// grants of its permission), so the answer is unique.
    pub fn admitting(&self, wanted: &Grant) -> Option<Admission<'_>> {
        self.0
            .iter()
            .find(|(g, _)| g.covers(wanted))
            .map(|(by, from)| Admission { by, from })
    }

    pub fn allows(&self, wanted: &Grant) -> bool {
        self.admitting(wanted).is_some()
    }

    pub fn grants(&self) -> impl Iterator<Item = &Grant> {
        self.0.keys()
    }

    /// The first requested grant (closed under implication) that this set
    /// does not cover.
    pub fn missing_from(&self, catalog: &Catalog, requested: &[Grant]) -> Option<Grant> {
        Effective::of(catalog, requested)
            .0
            .into_keys()
            .find(|g| !self.allows(g))
    }

    /// Grouped per service and permission, as `whoami` shows them.
    pub fn grouped(&self) -> Vec<ServicePermissions> {
        let mut by_service: BTreeMap<&str, BTreeMap<&str, Vec<String>>> = BTreeMap::new();
        for g in self.0.keys() {
            let resources = by_service
                .entry(&g.service)
                .or_default()
                .entry(&g.permission)
                .or_default();
            if let Some(r) = &g.resource {
                resources.push(r.as_str().to_string());
            }
        }
        by_service
            .into_iter()
            .map(|(service, perms)| ServicePermissions {
                service: service.to_string(),
                permissions: perms
                    .into_iter()
                    .map(|(permission, resources)| PermissionResources {
                        permission: permission.to_string(),
                        resources,
                    })
                    .collect(),
            })
            .collect()
    }
}

/// A per-resource grant that another grant of the set covers: the same
/// permission on `*`, or on the resource it is a part of (a table's
/// bucket). After this, at most one grant of a set covers any grant.
fn absorbed(g: &Grant, held: impl Fn(&Grant) -> bool) -> bool {
    let Some(Resource::Id(id)) = &g.resource else {
        return false;
    };
    let on = |r: Resource| {
        held(&Grant {
            service: g.service.clone(),
            permission: g.permission.clone(),
            resource: Some(r),
        })
    };
    on(Resource::All)
        || id
            .split_once('/')
            .is_some_and(|(parent, _)| on(Resource::Id(parent.to_string())))
}

fn normalize_set(set: BTreeSet<Grant>) -> BTreeSet<Grant> {
    let all = set.clone();
    set.into_iter()
        .filter(|g| !absorbed(g, |h| all.contains(h)))
        .collect()
}

/// A token's explicit grants as stored: deduplicated and sorted, each kept
/// as given. A grant that a `*` grant covers today is kept too (Celonis
/// lets a key hold "all pools" and one pool): `*` wins while both are
/// held, and removing the `*` later leaves the one resource, not nothing.
pub fn explicit(grants: Vec<Grant>) -> Vec<Grant> {
    grants
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Grants deduplicated and sorted, with per-resource grants dropped where
/// a `*` grant of the same permission covers them: the shortest statement
/// of what they allow.
pub fn normalize(grants: Vec<Grant>) -> Vec<Grant> {
    normalize_set(grants.into_iter().collect())
        .into_iter()
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ServicePermissions {
    pub service: String,
    pub permissions: Vec<PermissionResources>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PermissionResources {
    pub permission: String,
    pub resources: Vec<String>,
}

/// Who is asking: master tokens hold every permission in the catalog;
/// everyone else holds exactly their grants, closed under implication.
#[derive(Debug, Clone)]
pub struct Principal {
    pub effective: Effective,
    pub is_master: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Names the missing permission as `service:permission@resource`.
    Deny(Grant),
}

impl Principal {
    pub fn new(catalog: &Catalog, is_master: bool, grants: &[Grant]) -> Principal {
        let effective = if is_master {
            Effective::everything(catalog)
        } else {
            Effective::of(catalog, grants)
        };
        Principal {
            effective,
            is_master,
        }
    }

    /// The one question: may this principal do `service:permission@resource`?
    pub fn decide(&self, wanted: &Grant) -> Decision {
        match self.admit(wanted) {
            Ok(_) => Decision::Allow,
            Err(missing) => Decision::Deny(missing),
        }
    }

    /// [`Principal::decide`] with its derivation: what admitted `wanted`,
    /// or the grant that is missing. `decide` is this, so an explanation
    /// built on it cannot disagree with the edge.
    pub fn admit(&self, wanted: &Grant) -> Result<Admission<'_>, Grant> {
        self.effective
            .admitting(wanted)
            .ok_or_else(|| wanted.clone())
    }

    pub fn may(&self, service: &str, permission: &str, resource: Option<&str>) -> Decision {
        self.decide(&Grant::new(
            service,
            permission,
            resource.map(|r| Resource::Id(r.to_string())),
        ))
    }

    /// No privilege escalation: the grants of a token this principal
    /// creates or edits must be ones it effectively holds itself.
    pub fn may_delegate(&self, catalog: &Catalog, requested: &[Grant]) -> Result<(), Grant> {
        match self.effective.missing_from(catalog, requested) {
            None => Ok(()),
            Some(g) => Err(g),
        }
    }
}

/// Generators shared by the domain's property tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::{Grant, Resource};
    use crate::catalog::default_catalog;
    use proptest::prelude::*;

    /// Any grant of the shipped catalog, on `*`, a resource, or a part of
    /// one (a bucket's table).
    pub(crate) fn arb_grant() -> impl Strategy<Value = Grant> {
        let c = default_catalog();
        let perms: Vec<(String, String, bool)> = c
            .services
            .iter()
            .flat_map(|s| {
                s.permissions
                    .iter()
                    .map(move |p| (s.id.clone(), p.id.clone(), p.resource_type.is_some()))
            })
            .collect();
        (
            prop::sample::select(perms),
            prop_oneof![Just("*".to_string()), "[a-c]", "[a-c]/t"],
        )
            .prop_map(|((s, p, has_r), r)| Grant {
                service: s,
                permission: p,
                resource: has_r.then(|| Resource::parse(&r)),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::default_catalog;
    use proptest::prelude::*;

    fn g(s: &str) -> Grant {
        Grant::parse_compact(s).unwrap()
    }

    #[test]
    fn no_grants_no_access() {
        let c = default_catalog();
        let p = Principal::new(&c, false, &[]);
        assert_eq!(
            p.may("storage", "read", Some("b")),
            Decision::Deny(g("storage:read@b"))
        );
        assert!(p.effective.grouped().is_empty());
    }

    #[test]
    fn write_implies_read_on_the_same_resource_only() {
        let c = default_catalog();
        let p = Principal::new(&c, false, &[g("storage:write@in.c-tutorial")]);
        assert_eq!(
            p.may("storage", "read", Some("in.c-tutorial")),
            Decision::Allow
        );
        assert_eq!(
            p.may("storage", "write", Some("in.c-tutorial")),
            Decision::Allow
        );
        assert!(matches!(
            p.may("storage", "read", Some("other")),
            Decision::Deny(_)
        ));
    }

    #[test]
    fn star_covers_every_resource_and_wins_in_grouping() {
        let c = default_catalog();
        let p = Principal::new(&c, false, &[g("storage:read@a"), g("storage:read@*")]);
        assert_eq!(p.may("storage", "read", Some("zzz")), Decision::Allow);
        let grouped = p.effective.grouped();
        assert_eq!(grouped[0].permissions[0].resources, ["*"]);
    }

    #[test]
    fn master_holds_everything() {
        let c = default_catalog();
        let p = Principal::new(&c, true, &[]);
        assert_eq!(p.may("tokens", "manage", None), Decision::Allow);
        assert_eq!(p.may("storage", "write", Some("x")), Decision::Allow);
        assert!(p.may_delegate(&c, &c.everything()).is_ok());
    }

    #[test]
    fn delegation_is_limited_to_what_is_held() {
        let c = default_catalog();
        let p = Principal::new(&c, false, &[g("tokens:manage"), g("storage:read@*")]);
        assert!(p.may_delegate(&c, &[g("storage:read@x")]).is_ok());
        assert!(p.may_delegate(&c, &[g("tokens:read")]).is_ok());
        assert_eq!(
            p.may_delegate(&c, &[g("storage:write@x")]),
            Err(g("storage:write@x"))
        );
        // Implied permissions count: write on x would also need read on x.
        let q = Principal::new(&c, false, &[g("storage:read@x")]);
        assert!(q.may_delegate(&c, &[g("storage:read@*")]).is_err());
    }

    #[test]
    fn compact_form_round_trips() {
        for s in ["storage:read@*", "storage:write@in.c-main", "tokens:manage"] {
            assert_eq!(g(s).to_string(), s);
        }
        assert!(Grant::parse_compact("storage").is_none());
        assert!(Grant::parse_compact("storage:read@").is_none());
    }

    #[test]
    fn explicit_grants_keep_covered_ones_and_drop_duplicates() {
        let n = explicit(vec![
            g("storage:write@a"),
            g("storage:read@*"),
            g("storage:read@a"),
            g("storage:write@a"),
        ]);
        assert_eq!(
            n,
            vec![
                g("storage:read@*"),
                g("storage:read@a"),
                g("storage:write@a")
            ]
        );
    }

    #[test]
    fn normalize_drops_covered_and_duplicate_grants() {
        let n = normalize(vec![
            g("storage:read@a"),
            g("storage:read@*"),
            g("storage:write@a"),
            g("storage:write@a"),
        ]);
        assert_eq!(n, vec![g("storage:read@*"), g("storage:write@a")]);
    }

    use crate::grant::testing::arb_grant;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn closure_is_idempotent(grants in prop::collection::vec(arb_grant(), 0..8)) {
            let c = default_catalog();
            let once = Effective::of(&c, &grants);
            let twice = Effective::of(&c, &once.grants().cloned().collect::<Vec<_>>());
            prop_assert_eq!(once, twice);
        }

        #[test]
        fn closure_contains_every_implication(grants in prop::collection::vec(arb_grant(), 0..8)) {
            let c = default_catalog();
            let e = Effective::of(&c, &grants);
            for gr in &grants {
                prop_assert!(e.allows(gr));
                for i in c.implied_by(&gr.service, &gr.permission) {
                    let implied = Grant { permission: i, ..gr.clone() };
                    prop_assert!(e.allows(&implied));
                }
            }
        }

        #[test]
        fn star_covers_any_resource(grant in arb_grant(), id in "[a-z0-9]{1,8}") {
            if grant.resource.is_none() { return Ok(()); }
            let c = default_catalog();
            let e = Effective::of(&c, &[Grant { resource: Some(Resource::All), ..grant.clone() }]);
            let one = Grant { resource: Some(Resource::Id(id)), ..grant };
            prop_assert!(e.allows(&one));
        }

        #[test]
        fn nothing_outside_the_closure_is_allowed(grants in prop::collection::vec(arb_grant(), 0..6), wanted in arb_grant()) {
            let c = default_catalog();
            let p = Principal::new(&c, false, &grants);
            // Allowed only if some grant, or something it implies, covers it.
            let justified = grants.iter().any(|gr| {
                let mut perms = c.implied_by(&gr.service, &gr.permission);
                perms.push(gr.permission.clone());
                perms.into_iter().any(|perm| Grant { permission: perm, ..gr.clone() }.covers(&wanted))
            });
            prop_assert_eq!(p.decide(&wanted) == Decision::Allow, justified);
        }

        #[test]
        fn subsets_may_always_be_delegated(grants in prop::collection::vec(arb_grant(), 0..6), pick in prop::collection::vec(any::<prop::sample::Index>(), 0..6)) {
            let c = default_catalog();
            let p = Principal::new(&c, false, &grants);
            let subset: Vec<Grant> = if grants.is_empty() { vec![] } else { pick.iter().map(|i| grants[i.index(grants.len())].clone()).collect() };
            prop_assert!(p.may_delegate(&c, &subset).is_ok());
        }

        #[test]
        fn delegated_sets_never_exceed_the_delegator(held in prop::collection::vec(arb_grant(), 0..6), requested in prop::collection::vec(arb_grant(), 0..6), wanted in arb_grant()) {
            let c = default_catalog();
            let p = Principal::new(&c, false, &held);
            if p.may_delegate(&c, &requested).is_ok() {
                let child = Principal::new(&c, false, &requested);
                if child.decide(&wanted) == Decision::Allow {
                    prop_assert_eq!(p.decide(&wanted), Decision::Allow);
                }
            }
        }
    }
}
