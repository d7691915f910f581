//! The permission grid: what is ticked, over a catalog, and how each row
//! looks (implied permissions locked, scopes, resources picked).

use super::words::*;
use crate::catalog::{Catalog, PermissionDef};
use crate::grant::{normalize, Effective, Grant, Resource};
use crate::level::Levels;
use crate::validate;
use std::collections::{BTreeMap, BTreeSet};

/// Which resources a resource-typed permission covers in the grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Only(BTreeSet<String>),
}

impl Default for Scope {
    /// Least privilege: a freshly ticked permission covers nothing until
    /// resources are picked or "All" is chosen deliberately.
    fn default() -> Self {
        Scope::Only(BTreeSet::new())
    }
}

/// One permission's own choice. The scope survives unticking so that
/// ticking again restores what was picked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Choice {
    pub ticked: bool,
    pub scope: Scope,
}

/// How one permission row of the grid looks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowView {
    /// Ticked explicitly or implied by another ticked permission.
    pub checked: bool,
    /// Implied, so it cannot be unticked here.
    pub locked: bool,
    /// Ticked explicitly (it may be implied as well).
    pub ticked: bool,
    /// The permissions (ids) that imply this one, in catalog order.
    pub implied_by: Vec<String>,
    /// Only for resource-typed permissions.
    pub scope: Option<ScopeView>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeView {
    pub all: bool,
    /// "All" comes from an implying permission: the radios are fixed.
    pub all_locked: bool,
    /// Resources to list, known ones first, with their state.
    pub resources: Vec<ResourceView>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceView {
    pub id: String,
    pub checked: bool,
    /// Covered by an implying permission's selection.
    pub locked: bool,
}

/// The permission grid: what the admin has ticked, over a catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    catalog: Catalog,
    choices: BTreeMap<(String, String), Choice>,
}

impl Grid {
    pub fn new(catalog: Catalog) -> Grid {
        Grid {
            catalog,
            choices: BTreeMap::new(),
        }
    }

    /// The grid showing an existing token's grants, for editing.
    pub fn from_grants(catalog: Catalog, grants: &[Grant]) -> Grid {
        let mut grid = Grid::new(catalog);
        for g in grants {
            let choice = grid
                .choices
                .entry((g.service.clone(), g.permission.clone()))
                .or_default();
            choice.ticked = true;
            match (&g.resource, &mut choice.scope) {
                (Some(Resource::All), scope) => *scope = Scope::All,
                (Some(Resource::Id(id)), Scope::Only(ids)) => {
                    ids.insert(id.clone());
                }
                _ => {}
            }
        }
        grid
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    fn def(&self, service: &str, permission: &str) -> Option<&PermissionDef> {
        self.catalog.permission(service, permission)
    }

    fn choice(&self, service: &str, permission: &str) -> Option<&Choice> {
        self.choices
            .get(&(service.to_string(), permission.to_string()))
    }

    fn choice_mut(&mut self, service: &str, permission: &str) -> &mut Choice {
        self.choices
            .entry((service.to_string(), permission.to_string()))
            .or_default()
    }

    pub fn is_ticked(&self, service: &str, permission: &str) -> bool {
        self.choice(service, permission).is_some_and(|c| c.ticked)
    }

    /// Ticked permissions of the same service that imply this one, on at
    /// least one resource: write on no bucket yet implies nothing.
    pub fn implied_by(&self, service: &str, permission: &str) -> Vec<String> {
        let Some(svc) = self.catalog.service(service) else {
            return vec![];
        };
        svc.permissions
            .iter()
            .filter(|p| p.id != permission && self.is_ticked(service, &p.id))
            .filter(|p| {
                p.resource_type.is_none()
                    || self
                        .choice(service, &p.id)
                        .is_some_and(|c| c.scope != Scope::Only(BTreeSet::new()))
            })
            .filter(|p| {
                self.catalog
                    .implied_by(service, &p.id)
                    .iter()
                    .any(|i| i == permission)
            })
            .map(|p| p.id.clone())
            .collect()
    }

    /// The union of the implying permissions' scopes.
    fn implied_scope(&self, service: &str, permission: &str) -> Option<Scope> {
        let mut out: Option<Scope> = None;
        for p in self.implied_by(service, permission) {
            let Some(c) = self.choice(service, &p) else {
                continue;
            };
            out = Some(match (out, &c.scope) {
                (_, Scope::All) | (Some(Scope::All), _) => Scope::All,
                (None, Scope::Only(ids)) => Scope::Only(ids.clone()),
                (Some(Scope::Only(mut a)), Scope::Only(b)) => {
                    a.extend(b.iter().cloned());
                    Scope::Only(a)
                }
            });
        }
        out
    }

    /// Ticks or unticks a permission. Implied permissions stay ticked:
    /// returns false when nothing changed for that reason.
    pub fn toggle(&mut self, service: &str, permission: &str) -> bool {
        if self.def(service, permission).is_none() {
            return false;
        }
        let ticked = self.is_ticked(service, permission);
        if !self.implied_by(service, permission).is_empty() {
            return false;
        }
        self.choice_mut(service, permission).ticked = !ticked;
        true
    }

    pub fn set_ticked(&mut self, service: &str, permission: &str, ticked: bool) -> bool {
        if self.is_ticked(service, permission) == ticked {
            return true;
        }
        self.toggle(service, permission)
    }

    /// "All <resources>" (true) or "Only selected" (false). Choosing a scope
    /// ticks the permission: the admin evidently wants it.
    pub fn set_all(&mut self, service: &str, permission: &str, all: bool) {
        if self
            .def(service, permission)
            .and_then(|d| d.resource_type.as_ref())
            .is_none()
        {
            return;
        }
        if matches!(self.implied_scope(service, permission), Some(Scope::All)) {
            return;
        }
        let choice = self.choice_mut(service, permission);
        choice.ticked = true;
        match (&choice.scope, all) {
            (Scope::All, false) => choice.scope = Scope::Only(BTreeSet::new()),
            (Scope::Only(_), true) => choice.scope = Scope::All,
            _ => {}
        }
    }

    /// Picks or unpicks one resource under "Only selected". Resources covered
    /// by an implying permission cannot be unpicked here.
    pub fn toggle_resource(&mut self, service: &str, permission: &str, id: &str) {
        if let Some(Scope::All) = self.implied_scope(service, permission) {
            return;
        }
        if let Some(Scope::Only(ids)) = self.implied_scope(service, permission) {
            if ids.contains(id) {
                return;
            }
        }
        let choice = self.choice_mut(service, permission);
        choice.ticked = true;
        match &mut choice.scope {
            Scope::All => {}
            Scope::Only(ids) => {
                if !ids.remove(id) {
                    ids.insert(id.to_string());
                }
            }
        }
    }

    /// Picks every one of `ids` under "Only selected" (a search's matches);
    /// those already picked, or covered by an implying permission, stay.
    pub fn select_resources(&mut self, service: &str, permission: &str, ids: &[String]) {
        if self
            .def(service, permission)
            .and_then(|d| d.resource_type.as_ref())
            .is_none()
        {
            return;
        }
        let covered = match self.implied_scope(service, permission) {
            Some(Scope::All) => return,
            Some(Scope::Only(ids)) => ids,
            None => BTreeSet::new(),
        };
        let choice = self.choice_mut(service, permission);
        choice.ticked = true;
        if let Scope::Only(picked) = &mut choice.scope {
            picked.extend(ids.iter().filter(|id| !covered.contains(*id)).cloned());
        }
    }

    /// Adds a typed resource id (it may not exist yet) to "Only selected":
    /// for a type with parts, one part of a resource as well
    /// (`in.c-main/orders`, a bucket's table).
    pub fn add_resource(
        &mut self,
        service: &str,
        permission: &str,
        raw: &str,
    ) -> Result<(), String> {
        let id = raw.trim();
        let Some(rt) = self
            .def(service, permission)
            .and_then(|d| d.resource_type.clone())
        else {
            return Err("this permission takes no resource".into());
        };
        let part = part_noun(&rt);
        let valid = if part.is_some() {
            validate::is_grant_resource(id)
        } else {
            validate::is_resource_id(id)
        };
        if !valid {
            let rule = format!(
                "use 1-{} letters, digits, '.', '_' or '-'",
                validate::RESOURCE_ID_MAX
            );
            return Err(match part {
                Some(part) => {
                    let noun = self.resource_noun(&rt);
                    format!("'{id}' is not a valid id: {rule} for {}, or {noun}/{part} for one of its {}", with_article(&noun), plural(part))
                }
                None => format!("'{id}' is not a valid id: {rule}"),
            });
        }
        let choice = self.choice_mut(service, permission);
        choice.ticked = true;
        if let Scope::Only(ids) = &mut choice.scope {
            ids.insert(id.to_string());
        }
        Ok(())
    }

    /// The level `control` is at: its ticked permissions, closed under
    /// implication. A widening of an implied permission (read on more
    /// buckets than write) does not change it.
    pub fn level(&self, service: &str, control: &Levels) -> usize {
        let ticked: BTreeSet<String> = control
            .permissions
            .iter()
            .filter(|p| self.is_ticked(service, p))
            .cloned()
            .collect();
        control.of(&self.catalog, service, &ticked)
    }

    /// Moves `control` to `level`. Only that control's permissions change,
    /// and the resources chosen travel with the level: read on a bucket
    /// becomes read and write on that bucket, and back. Going up drops an
    /// old top permission that the new one covers (it would be saved
    /// twice); one that reaches further stays, as a widening.
    pub fn set_level(&mut self, service: &str, control: &Levels, level: usize) {
        let Some(target) = control.levels.get(level) else {
            return;
        };
        let current = &control.levels[self.level(service, control)];
        let carried = current
            .top
            .iter()
            .filter_map(|p| self.choice(service, p).map(|c| c.scope.clone()))
            .reduce(union);
        for p in &control.permissions {
            let was_top = current.top.contains(p);
            if target.top.contains(p) {
                let choice = self.choice_mut(service, p);
                if !(was_top && choice.ticked) {
                    if let Some(carried) = &carried {
                        choice.scope = if choice.ticked {
                            union(choice.scope.clone(), carried.clone())
                        } else {
                            carried.clone()
                        };
                    }
                }
                choice.ticked = true;
            } else if !target.held.contains(p) {
                self.choice_mut(service, p).ticked = false;
            }
        }
        // Old tops now implied: kept only where they reach further.
        for p in &control.permissions {
            if target.top.contains(p) || !target.held.contains(p) || !current.top.contains(p) {
                continue;
            }
            let cover = target
                .top
                .iter()
                .filter(|t| self.catalog.implied_by(service, t).contains(p))
                .filter_map(|t| self.choice(service, t).map(|c| c.scope.clone()))
                .reduce(union);
            let choice = self.choice_mut(service, p);
            if cover.is_some_and(|c| covers(&c, &choice.scope)) {
                choice.ticked = false;
            }
        }
    }

    /// What the row of one permission shows; `known` lists the existing
    /// resources of its type (buckets from the API).
    pub fn row(&self, service: &str, permission: &str, known: &[String]) -> RowView {
        let implied_by = self.implied_by(service, permission);
        let own = self.choice(service, permission);
        let ticked = own.is_some_and(|c| c.ticked);
        let checked = ticked || !implied_by.is_empty();
        let has_type = self
            .def(service, permission)
            .is_some_and(|d| d.resource_type.is_some());
        let scope = has_type.then(|| {
            let implied = self.implied_scope(service, permission);
            let own_scope = own.map(|c| c.scope.clone()).unwrap_or_default();
            let all_locked = matches!(implied, Some(Scope::All));
            let all = all_locked || (ticked && own_scope == Scope::All);
            let implied_ids = match &implied {
                Some(Scope::Only(ids)) => ids.clone(),
                _ => BTreeSet::new(),
            };
            let own_ids = match (&own_scope, ticked) {
                (Scope::Only(ids), true) => ids.clone(),
                _ => BTreeSet::new(),
            };
            // Picked ids stay listed even after unticking, so re-picking is one click.
            let remembered = match &own_scope {
                Scope::Only(ids) => ids.clone(),
                Scope::All => BTreeSet::new(),
            };
            let mut ids: Vec<String> = known.to_vec();
            for id in implied_ids.iter().chain(remembered.iter()) {
                if !ids.contains(id) {
                    ids.push(id.clone());
                }
            }
            ScopeView {
                all,
                all_locked,
                resources: ids
                    .into_iter()
                    .map(|id| ResourceView {
                        checked: implied_ids.contains(&id) || own_ids.contains(&id),
                        locked: implied_ids.contains(&id),
                        id,
                    })
                    .collect(),
            }
        });
        RowView {
            checked,
            locked: !implied_by.is_empty(),
            ticked,
            implied_by,
            scope,
        }
    }

    /// The explicit grants the grid stands for, without those another
    /// ticked grant already implies: the complete set to send.
    pub fn grants(&self) -> Vec<Grant> {
        let raw = self.ticked_grants();
        raw.iter()
            .filter(|g| self.covering(&raw, g).is_none())
            .cloned()
            .collect()
    }

    /// The ticked grants that [`Grid::grants`] leaves out because another
    /// ticked permission covers them, each with one that covers it (read on
    /// a bucket under write on all buckets): shown, never dropped silently.
    pub fn absorbed(&self) -> Vec<(Grant, Grant)> {
        let raw = self.ticked_grants();
        raw.iter()
            .filter_map(|g| self.covering(&raw, g).map(|by| (g.clone(), by.clone())))
            .collect()
    }

    /// Another permission's grant among `raw` that implies `g`.
    fn covering<'a>(&self, raw: &'a [Grant], g: &Grant) -> Option<&'a Grant> {
        raw.iter().find(|other| {
            *other != g
                && other.permission != g.permission
                && Effective::of(&self.catalog, std::slice::from_ref(*other)).allows(g)
        })
    }

    /// Every ticked choice as grants, normalized.
    fn ticked_grants(&self) -> Vec<Grant> {
        let mut raw = vec![];
        for ((service, permission), choice) in &self.choices {
            if !choice.ticked {
                continue;
            }
            let Some(def) = self.def(service, permission) else {
                continue;
            };
            if def.resource_type.is_none() {
                raw.push(Grant::new(service, permission, None));
                continue;
            }
            match &choice.scope {
                Scope::All => raw.push(Grant::new(service, permission, Some(Resource::All))),
                Scope::Only(ids) => raw.extend(
                    ids.iter()
                        .map(|id| Grant::new(service, permission, Some(Resource::Id(id.clone())))),
                ),
            }
        }
        normalize(raw)
    }

    /// What blocks submitting: (service, permission, message).
    pub fn problems(&self) -> Vec<(String, String, String)> {
        let mut out = vec![];
        for ((service, permission), choice) in &self.choices {
            let Some(def) = self.def(service, permission) else {
                continue;
            };
            let Some(rt) = &def.resource_type else {
                continue;
            };
            // An implied permission already covers its implier's resources.
            if choice.ticked
                && choice.scope == Scope::Only(BTreeSet::new())
                && self.implied_by(service, permission).is_empty()
            {
                let noun = self.resource_noun(rt);
                out.push((
                    service.clone(),
                    permission.clone(),
                    format!(
                        "{}: choose at least one {noun}, or All {}",
                        def.title,
                        plural(&noun)
                    ),
                ));
            }
        }
        out
    }

    fn resource_noun(&self, resource_type: &str) -> String {
        resource_noun(&self.catalog, resource_type)
    }
}

fn union(a: Scope, b: Scope) -> Scope {
    match (a, b) {
        (Scope::Only(mut a), Scope::Only(b)) => {
            a.extend(b);
            Scope::Only(a)
        }
        _ => Scope::All,
    }
}

/// Whether `outer` includes every resource of `inner`.
fn covers(outer: &Scope, inner: &Scope) -> bool {
    match (outer, inner) {
        (Scope::All, _) => true,
        (Scope::Only(_), Scope::All) => false,
        (Scope::Only(o), Scope::Only(i)) => i.is_subset(o),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::default_catalog;
    use crate::describe::*;

    fn catalog_for_change() -> Catalog {
        Catalog::from_json(include_str!("../../../worker/catalog.json")).unwrap()
    }

    fn g(s: &str) -> Grant {
        Grant::parse_compact(s).unwrap()
    }

    #[test]
    fn selecting_a_searchs_matches_picks_them_all_at_once() {
        let mut grid = Grid::new(catalog_for_change());
        let ids: Vec<String> = (0..10_000).map(|i| format!("b{i:05}")).collect();
        let matching: Vec<String> = ids.iter().filter(|i| i.ends_with('7')).cloned().collect();
        grid.select_resources("storage", "read", &matching);
        let grants = grid.grants();
        assert_eq!(grants.len(), 1_000);
        assert!(grants.iter().all(|g| g.permission == "read"));
        // Under write on some buckets, read on those is implied and stays so.
        let mut grid = Grid::from_grants(
            catalog_for_change(),
            &[Grant::parse_compact("storage:write@b1").unwrap()],
        );
        grid.select_resources("storage", "read", &["b1".into(), "b2".into()]);
        assert_eq!(
            grid.grants(),
            [
                Grant::parse_compact("storage:read@b2").unwrap(),
                Grant::parse_compact("storage:write@b1").unwrap()
            ]
        );
        // A permission without a resource type takes none.
        let mut grid = Grid::new(catalog_for_change());
        grid.select_resources("audit", "read", &["x".into()]);
        assert!(grid.grants().is_empty());
    }

    #[test]
    fn a_grant_another_covers_is_named_not_dropped_silently() {
        let p = |x: &str| Grant::parse_compact(x).unwrap();
        let mut grid = Grid::from_grants(catalog_for_change(), &[p("storage:read@b1")]);
        assert!(grid.absorbed().is_empty());
        grid.toggle("storage", "write");
        grid.set_all("storage", "write", true);
        assert_eq!(grid.grants(), [p("storage:write@*")]);
        assert_eq!(
            grid.absorbed(),
            [(p("storage:read@b1"), p("storage:write@*"))]
        );
        // Unticking write keeps read on b1: the grid never forgot it.
        grid.toggle("storage", "write");
        assert_eq!(grid.grants(), [p("storage:read@b1")]);
        assert!(grid.absorbed().is_empty());
    }

    #[test]
    fn ticking_write_implies_read_and_locks_it() {
        let mut grid = Grid::new(default_catalog());
        assert!(grid.toggle("storage", "write"));
        // Issue 16, defect 3: write on no bucket yet implies nothing, so
        // read is not shown as implied (nor locked) before one is picked.
        let read = grid.row("storage", "read", &[]);
        assert!(!read.checked && !read.locked);
        grid.toggle_resource("storage", "write", "b1");
        let read = grid.row("storage", "read", &[]);
        assert!(read.checked && read.locked);
        assert_eq!(read.implied_by, ["write"]);
        // Unticking an implied permission is refused.
        assert!(!grid.toggle("storage", "read"));
        assert!(grid.row("storage", "read", &[]).checked);
        // Unticking write releases read.
        assert!(grid.toggle("storage", "write"));
        let read = grid.row("storage", "read", &[]);
        assert!(!read.checked && !read.locked);
    }

    #[test]
    fn scope_defaults_to_only_selected_and_must_be_filled() {
        let mut grid = Grid::new(default_catalog());
        grid.toggle("storage", "write");
        assert_eq!(grid.grants(), vec![]);
        assert_eq!(grid.problems().len(), 1);
        grid.toggle_resource("storage", "write", "in.c-tutorial");
        assert!(grid.problems().is_empty());
        assert_eq!(grid.grants(), vec![g("storage:write@in.c-tutorial")]);
        grid.set_all("storage", "write", true);
        assert_eq!(grid.grants(), vec![g("storage:write@*")]);
        // Back to "only selected" starts empty again: no silent widening.
        grid.set_all("storage", "write", false);
        assert_eq!(grid.grants(), vec![]);
    }

    #[test]
    fn implied_resources_are_locked_and_extra_ones_can_be_added() {
        let mut grid = Grid::new(default_catalog());
        grid.toggle("storage", "write");
        grid.toggle_resource("storage", "write", "in.c-tutorial");
        let known = vec!["in.c-tutorial".to_string(), "raw".to_string()];
        let read = grid.row("storage", "read", &known);
        let scope = read.scope.unwrap();
        assert!(!scope.all && !scope.all_locked);
        assert_eq!(
            scope.resources,
            vec![
                ResourceView {
                    id: "in.c-tutorial".into(),
                    checked: true,
                    locked: true
                },
                ResourceView {
                    id: "raw".into(),
                    checked: false,
                    locked: false
                },
            ]
        );
        // The implied bucket cannot be unpicked from read.
        grid.toggle_resource("storage", "read", "in.c-tutorial");
        assert_eq!(grid.grants(), vec![g("storage:write@in.c-tutorial")]);
        // Reading all buckets on top of writing one.
        grid.set_all("storage", "read", true);
        assert_eq!(
            grid.grants(),
            vec![g("storage:read@*"), g("storage:write@in.c-tutorial")]
        );
        assert_eq!(
            summary(grid.catalog(), &grid.grants()),
            "Read and write bucket in.c-tutorial; read all buckets; nothing else"
        );
        // Write on all buckets fixes read's scope to all.
        grid.set_all("storage", "write", true);
        let scope = grid.row("storage", "read", &known).scope.unwrap();
        assert!(scope.all && scope.all_locked);
        assert_eq!(grid.grants(), vec![g("storage:write@*")]);
    }

    #[test]
    fn narrowing_an_implied_permission_is_not_a_problem() {
        let mut grid = Grid::from_grants(
            default_catalog(),
            &[g("storage:read@*"), g("storage:write@a")],
        );
        grid.set_all("storage", "read", false);
        assert!(grid.problems().is_empty());
        assert_eq!(grid.grants(), vec![g("storage:write@a")]);
        // Without write, an empty read selection is flagged again.
        grid.toggle("storage", "write");
        assert_eq!(grid.problems().len(), 1);
    }

    #[test]
    fn redundant_explicit_grants_are_dropped() {
        let mut grid = Grid::new(default_catalog());
        grid.toggle_resource("storage", "read", "a");
        grid.toggle_resource("storage", "write", "a");
        assert_eq!(grid.grants(), vec![g("storage:write@a")]);
        grid.toggle("tokens", "read");
        grid.toggle("tokens", "manage");
        assert_eq!(
            grid.grants(),
            vec![g("storage:write@a"), g("tokens:manage")]
        );
    }

    #[test]
    fn typed_resources_are_validated_and_round_trip() {
        let mut grid = Grid::new(default_catalog());
        assert!(grid.add_resource("storage", "write", "not valid!").is_err());
        assert!(grid.add_resource("storage", "create_bucket", "x").is_err());
        grid.add_resource("storage", "write", " new-bucket ")
            .unwrap();
        grid.toggle("audit", "read");
        let grants = grid.grants();
        assert_eq!(grants, vec![g("audit:read"), g("storage:write@new-bucket")]);
        let again = Grid::from_grants(default_catalog(), &grants);
        assert_eq!(again.grants(), grants);
        assert!(again.row("storage", "read", &[]).locked);
    }

    #[test]
    fn a_buckets_table_can_be_typed_and_other_types_take_whole_ids_only() {
        let mut grid = Grid::new(default_catalog());
        grid.add_resource("storage", "read", " in.c-main/orders ")
            .unwrap();
        assert_eq!(grid.grants(), vec![g("storage:read@in.c-main/orders")]);
        let again = Grid::from_grants(default_catalog(), &grid.grants());
        assert_eq!(again.grants(), grid.grants());
        // Parts are one level deep, and need a bucket before the slash.
        for bad in ["in.c-main/orders/2024", "/orders", "in.c-main/", "a b/c"] {
            let e = grid.add_resource("storage", "read", bad).unwrap_err();
            assert!(e.contains("bucket/table"), "{bad}: {e}");
        }
        // A component has no parts: the error says nothing of them.
        let e = grid.add_resource("components", "run", "etl/x").unwrap_err();
        assert!(
            e.contains("not a valid id") && !e.contains("one of its"),
            "{e}"
        );
        assert_eq!(grid.grants(), vec![g("storage:read@in.c-main/orders")]);
    }

    #[test]
    fn unticking_keeps_the_selection_for_later() {
        let mut grid = Grid::new(default_catalog());
        grid.toggle_resource("storage", "read", "a");
        grid.toggle("storage", "read");
        assert_eq!(grid.grants(), vec![]);
        let row = grid.row("storage", "read", &[]);
        assert!(!row.checked);
        assert!(!row.scope.unwrap().resources[0].checked);
        grid.toggle("storage", "read");
        assert_eq!(grid.grants(), vec![g("storage:read@a")]);
    }

    mod levels {
        use super::*;
        use crate::level::{controls, Control, Levels};
        use proptest::prelude::*;

        fn level_controls(c: &Catalog) -> Vec<(String, Levels)> {
            c.services
                .iter()
                .flat_map(|s| {
                    controls(c, &s.id).into_iter().filter_map(|k| match k {
                        Control::Levels(l) => Some((s.id.clone(), l)),
                        Control::Tick(_) => None,
                    })
                })
                .collect()
        }

        fn storage(c: &Catalog) -> Levels {
            level_controls(c)
                .into_iter()
                .find(|(s, _)| s == "storage")
                .unwrap()
                .1
        }

        #[test]
        fn every_level_read_back_is_the_same_level_and_stores_its_top_only() {
            let c = default_catalog();
            for (service, control) in level_controls(&c) {
                for (i, level) in control.levels.iter().enumerate() {
                    for all in [true, false] {
                        let mut grid = Grid::new(c.clone());
                        grid.set_level(&service, &control, i);
                        assert_eq!(grid.level(&service, &control), i);
                        if control.resource_type.is_some() {
                            for p in &level.top {
                                if all {
                                    grid.set_all(&service, p, true);
                                } else {
                                    grid.toggle_resource(&service, p, "r1");
                                }
                            }
                        }
                        assert!(grid.problems().is_empty());
                        let grants = grid.grants();
                        let stored: BTreeSet<&str> =
                            grants.iter().map(|g| g.permission.as_str()).collect();
                        let top: BTreeSet<&str> = level.top.iter().map(String::as_str).collect();
                        assert_eq!(stored, top, "{service} {}", level.label);
                        for g in &grants {
                            assert!(c.check(g).is_ok(), "{g}");
                        }
                        let again = Grid::from_grants(c.clone(), &grants);
                        assert_eq!(
                            again.level(&service, &control),
                            i,
                            "{service} {}",
                            level.label
                        );
                    }
                }
            }
        }

        #[test]
        fn the_resources_travel_with_the_level() {
            let c = default_catalog();
            let s = storage(&c);
            let mut grid = Grid::new(c.clone());
            grid.set_level("storage", &s, 1);
            grid.toggle_resource("storage", "read", "b1");
            assert_eq!(grid.grants(), [g("storage:read@b1")]);
            grid.set_level("storage", &s, 2);
            assert_eq!(grid.grants(), [g("storage:write@b1")]);
            assert!(grid.absorbed().is_empty(), "read is not kept twice");
            grid.set_all("storage", "write", true);
            assert_eq!(grid.grants(), [g("storage:write@*")]);
            // Down again: read on what write was on, never nothing.
            grid.set_level("storage", &s, 1);
            assert_eq!(grid.grants(), [g("storage:read@*")]);
            grid.set_level("storage", &s, 0);
            assert!(grid.grants().is_empty());
            // A read that reaches further than write stays, both ways.
            let mut grid =
                Grid::from_grants(c.clone(), &[g("storage:read@*"), g("storage:write@b1")]);
            assert_eq!(grid.level("storage", &s), 2);
            grid.set_level("storage", &s, 1);
            assert_eq!(grid.grants(), [g("storage:read@*")]);
            grid.set_level("storage", &s, 2);
            assert_eq!(grid.grants(), [g("storage:write@*")]);
            // From nothing, a level starts on no resource: least privilege,
            // and read is implied only once write is on a bucket.
            let mut grid = Grid::new(c.clone());
            grid.set_level("storage", &s, 2);
            assert_eq!(grid.problems().len(), 1);
            assert!(!grid.row("storage", "read", &[]).checked);
            grid.toggle_resource("storage", "write", "b1");
            assert!(grid.row("storage", "read", &[]).locked);
        }

        #[derive(Debug, Clone)]
        enum Op {
            Level(usize, usize),
            Tick(usize),
            Pick(usize, usize, u8),
            All(usize, usize, bool),
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                (0..16usize, 0..8usize).prop_map(|(c, l)| Op::Level(c, l)),
                (0..40usize).prop_map(Op::Tick),
                (0..16usize, 0..4usize, 0..3u8).prop_map(|(c, p, r)| Op::Pick(c, p, r)),
                (0..16usize, 0..4usize, any::<bool>()).prop_map(|(c, p, a)| Op::All(c, p, a)),
            ]
        }

        fn apply(
            grid: &mut Grid,
            controls: &[(String, Levels)],
            perms: &[(String, String)],
            op: &Op,
        ) {
            match op {
                Op::Level(c, l) => {
                    let (s, k) = &controls[c % controls.len()];
                    grid.set_level(s, k, l % k.levels.len());
                }
                Op::Tick(p) => {
                    let (s, p) = &perms[p % perms.len()];
                    grid.toggle(s, p);
                }
                Op::Pick(c, p, r) => {
                    let (s, k) = &controls[c % controls.len()];
                    let p = &k.permissions[p % k.permissions.len()];
                    grid.toggle_resource(s, p, &format!("r{r}"));
                }
                Op::All(c, p, a) => {
                    let (s, k) = &controls[c % controls.len()];
                    let p = &k.permissions[p % k.permissions.len()];
                    grid.set_all(s, p, *a);
                }
            }
        }

        /// The other permissions' choices, and what they grant.
        type Outside = (Vec<(String, String, Option<Choice>)>, Vec<Grant>);

        proptest! {
            /// Defect 3 of issue 16: a level never rewrites another choice.
            /// Whatever the grid holds, moving one control changes neither
            /// the other permissions' choices nor what they grant, every
            /// grant is one the catalog knows, and a clean grid reads back
            /// as the same levels.
            #[test]
            fn a_level_changes_its_own_permissions_only(
                ops in proptest::collection::vec(op(), 0..12),
                c in 0..16usize,
                l in 0..8usize,
            ) {
                let cat = default_catalog();
                let controls = level_controls(&cat);
                let perms: Vec<(String, String)> = cat.services.iter()
                    .flat_map(|s| s.permissions.iter().map(move |p| (s.id.clone(), p.id.clone())))
                    .collect();
                let mut grid = Grid::new(cat.clone());
                for o in &ops {
                    apply(&mut grid, &controls, &perms, o);
                }
                let (service, control) = &controls[c % controls.len()];
                let outside = |g: &Grid| -> Outside {
                    let choices = perms.iter()
                        .filter(|(s, p)| !(s == service && control.contains(p)))
                        .map(|(s, p)| (s.clone(), p.clone(), g.choice(s, p).cloned()))
                        .collect();
                    let eff = Effective::of(&cat, &g.grants());
                    let held = eff.grants()
                        .filter(|x| !(x.service == *service && control.contains(&x.permission)))
                        .cloned()
                        .collect();
                    (choices, held)
                };
                let before = outside(&grid);
                let level = l % control.levels.len();
                grid.set_level(service, control, level);
                prop_assert_eq!(grid.level(service, control), level);
                prop_assert_eq!(outside(&grid), before);
                for x in grid.grants() {
                    prop_assert!(cat.check(&x).is_ok(), "{}", x);
                }
                if grid.problems().is_empty() && grid.absorbed().is_empty() {
                    let again = Grid::from_grants(cat.clone(), &grid.grants());
                    for (s, k) in &controls {
                        prop_assert_eq!(again.level(s, k), grid.level(s, k), "{} {}", s, k.key());
                    }
                }
            }
        }
    }
}
