//! App-facing, pure descriptions of grants: the permission grid's state and
//! its transitions, the plain-language summary of what a token can do, the
//! per-service permission view, and expiry wording. Kept here (not in the
//! app) so it is tested natively and cannot drift from the decision logic.

use crate::catalog::{Catalog, PermissionDef};
use crate::grant::{normalize, Effective, Grant, Resource};
use crate::level::Levels;
use crate::validate;
use std::collections::{BTreeMap, BTreeSet};
use time::{Date, Duration, OffsetDateTime, Time};

/// Tokens expiring sooner than this are flagged in lists.
pub const EXPIRES_SOON: Duration = Duration::days(7);

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

/// What a resource of this type holds as parts, a grant naming one as
/// `parent/part`: Keboola's buckets hold tables (`in.c-main/orders`,
/// [`crate::storage`]). `None`: its ids are whole.
pub fn part_noun(resource_type: &str) -> Option<&'static str> {
    (resource_type == "bucket").then_some("table")
}

/// A resource in words: "bucket in.c-main", and a part as itself in its
/// parent, "the table orders in bucket in.c-main".
fn resource_words(catalog: &Catalog, resource_type: &str, id: &str) -> String {
    named(catalog, resource_type, &[id.to_string()]).concat()
}

/// Resources of one type in words, parts grouped by their parent:
/// "buckets a and b", "the tables customers and orders in bucket in.c-main".
/// `ids` are sorted, so the parts of one parent are neighbours.
fn named(catalog: &Catalog, resource_type: &str, ids: &[String]) -> Vec<String> {
    let noun = resource_noun(catalog, resource_type);
    let part = part_noun(resource_type);
    let has_parts = part.is_some();
    let whole: Vec<String> = ids
        .iter()
        .filter(|id| !(has_parts && id.contains('/')))
        .cloned()
        .collect();
    let mut out = vec![];
    match whole.as_slice() {
        [] => {}
        [one] => out.push(format!("{noun} {one}")),
        many => out.push(format!("{} {}", plural(&noun), join_and(many))),
    }
    let mut parts: Vec<(&str, Vec<String>)> = vec![];
    let split = ids
        .iter()
        .filter(|_| has_parts)
        .filter_map(|id| id.split_once('/'));
    for (parent, name) in split {
        match parts.last_mut() {
            Some((p, names)) if *p == parent => names.push(name.into()),
            _ => parts.push((parent, vec![name.into()])),
        }
    }
    let part = part.unwrap_or_default();
    for (parent, names) in parts {
        let what = if names.len() == 1 {
            part.to_string()
        } else {
            plural(part)
        };
        out.push(format!(
            "the {what} {} in {noun} {parent}",
            join_and(&names)
        ));
    }
    out
}

fn resource_noun(catalog: &Catalog, resource_type: &str) -> String {
    catalog
        .resource_type(resource_type)
        .map(|t| sentence_case(&t.title))
        .unwrap_or_else(|| resource_type.replace('_', " "))
}

/// A title as a noun inside a sentence: "Bucket" → "bucket", while
/// acronyms stay ("API service").
fn sentence_case(title: &str) -> String {
    let first_word = title.split_whitespace().next().unwrap_or("");
    let acronym = first_word.chars().filter(|c| c.is_alphabetic()).count() > 1
        && first_word
            .chars()
            .filter(|c| c.is_alphabetic())
            .all(char::is_uppercase);
    if acronym {
        title.to_string()
    } else {
        lower_first(title)
    }
}

/// "a bucket", "an API service".
pub fn with_article(noun: &str) -> String {
    let vowel = noun
        .chars()
        .next()
        .is_some_and(|c| "aeiouAEIOU".contains(c));
    format!("{} {noun}", if vowel { "an" } else { "a" })
}

/// English plural of a resource noun ("bucket" → "buckets").
pub fn plural(noun: &str) -> String {
    if noun.ends_with('s') || noun.ends_with('x') || noun.ends_with("ch") {
        format!("{noun}es")
    } else {
        format!("{noun}s")
    }
}

/// The "All <buckets>" label of a scope choice.
pub fn all_label(catalog: &Catalog, resource_type: &str) -> String {
    format!("All {}", plural(&resource_noun(catalog, resource_type)))
}

/// Noun for one resource type, e.g. "bucket".
pub fn noun(catalog: &Catalog, resource_type: &str) -> String {
    resource_noun(catalog, resource_type)
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// A plain-language sentence of everything `grants` allow, e.g.
/// "Read and write bucket in.c-tutorial; read all buckets; nothing else".
/// Implied permissions are spelt out, so nothing is left to inference.
pub fn summary(catalog: &Catalog, grants: &[Grant]) -> String {
    let mut parts: Vec<String> = vec![];
    for svc in &catalog.services {
        let mine: Vec<&Grant> = grants.iter().filter(|g| g.service == svc.id).collect();
        if mine.is_empty() {
            continue;
        }
        // Per resource type: resource → permissions held on it, closed
        // under implication on the same resource.
        let mut by_type: BTreeMap<&str, BTreeMap<Resource, BTreeSet<String>>> = BTreeMap::new();
        let mut plain: BTreeSet<String> = BTreeSet::new();
        for g in &mine {
            let mut perms = vec![g.permission.clone()];
            perms.extend(catalog.implied_by(&svc.id, &g.permission));
            for p in perms {
                let Some(def) = catalog.permission(&svc.id, &p) else {
                    continue;
                };
                match (&def.resource_type, &g.resource) {
                    (Some(rt), Some(r)) => {
                        by_type
                            .entry(rt.as_str())
                            .or_default()
                            .entry(r.clone())
                            .or_default()
                            .insert(p);
                    }
                    (None, _) => {
                        plain.insert(p);
                    }
                    _ => {}
                }
            }
        }
        let order = |set: &BTreeSet<String>| -> Vec<String> {
            svc.permissions
                .iter()
                .filter(|p| set.contains(&p.id))
                .map(|p| p.id.replace('_', " "))
                .collect()
        };
        let mut types: Vec<&str> = vec![];
        for p in &svc.permissions {
            if let Some(rt) = &p.resource_type {
                if !types.contains(&rt.as_str()) {
                    types.push(rt);
                }
            }
        }
        for rt in types {
            let Some(map) = by_type.get(rt) else {
                continue;
            };
            let noun = resource_noun(catalog, rt);
            let on_all = map.get(&Resource::All).cloned().unwrap_or_default();
            // Group ids with the same permissions, dropping ids "all" covers.
            let mut groups: Vec<(BTreeSet<String>, Vec<String>)> = vec![];
            for (r, perms) in map {
                let Resource::Id(id) = r else { continue };
                if perms.is_subset(&on_all) {
                    continue;
                }
                // A part whose parent holds as much says nothing more.
                let parent = id.split_once('/').map(|(p, _)| Resource::Id(p.into()));
                if parent
                    .and_then(|p| map.get(&p))
                    .is_some_and(|held| perms.is_subset(held))
                {
                    continue;
                }
                match groups.iter_mut().find(|(p, _)| p == perms) {
                    Some((_, ids)) => ids.push(id.clone()),
                    None => groups.push((perms.clone(), vec![id.clone()])),
                }
            }
            for (perms, ids) in groups {
                let how = join_and(&order(&perms));
                for what in named(catalog, rt, &ids) {
                    parts.push(format!("{how} {what}"));
                }
            }
            if !on_all.is_empty() {
                parts.push(format!(
                    "{} all {}",
                    join_and(&order(&on_all)),
                    plural(&noun)
                ));
            }
        }
        for p in &svc.permissions {
            if plain.contains(&p.id) {
                parts.push(lower_first(&p.title));
            }
        }
    }
    if parts.is_empty() {
        return "Nothing: this token cannot do anything".into();
    }
    parts.push("nothing else".into());
    upper_first(&parts.join("; "))
}

/// What saving `after` in place of `before` changes, in the summary's
/// words ("Adds read all buckets; removes read the audit log"), compared
/// as effective permissions (closed under implication, `*` covering each
/// resource), so a change of wording that grants the same is no change.
/// `None`: nothing changes.
pub fn change(catalog: &Catalog, before: &[Grant], after: &[Grant]) -> Option<String> {
    let (b, a) = (
        Effective::of(catalog, before),
        Effective::of(catalog, after),
    );
    let added: Vec<Grant> = a.grants().filter(|g| !b.allows(g)).cloned().collect();
    let removed: Vec<Grant> = b.grants().filter(|g| !a.allows(g)).cloned().collect();
    let phrase =
        |gs: &[Grant]| lower_first(summary(catalog, gs).trim_end_matches("; nothing else"));
    let mut parts = vec![];
    if !added.is_empty() {
        parts.push(format!("adds {}", phrase(&added)));
    }
    if !removed.is_empty() {
        parts.push(format!("removes {}", phrase(&removed)));
    }
    (!parts.is_empty()).then(|| upper_first(&parts.join("; ")))
}

/// One permission a token holds, for the read-only per-service view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldPermission {
    pub id: String,
    pub title: String,
    /// "All buckets", "in.c-tutorial, raw", or empty without a resource type.
    pub scope: String,
    /// Set when held only through another permission.
    pub implied_by: Vec<String>,
    /// Which of the sources given to [`held_permissions_via`] hold it
    /// (alone, implications and `*` included); empty from
    /// [`held_permissions`].
    pub via: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceView {
    pub id: String,
    pub title: String,
    pub permissions: Vec<HeldPermission>,
}

/// A token's permissions grouped per service, in catalog order, with
/// implied ones marked.
pub fn held_permissions(catalog: &Catalog, grants: &[Grant]) -> Vec<ServiceView> {
    let effective = Effective::of(catalog, grants);
    let mut out = vec![];
    for svc in &catalog.services {
        let mut perms = vec![];
        for def in &svc.permissions {
            let held: Vec<&Grant> = effective
                .grants()
                .filter(|g| g.service == svc.id && g.permission == def.id)
                .collect();
            if held.is_empty() {
                continue;
            }
            let scope = match &def.resource_type {
                None => String::new(),
                Some(rt) => {
                    if held.iter().any(|g| g.resource == Some(Resource::All)) {
                        all_label(catalog, rt)
                    } else {
                        held.iter()
                            .filter_map(|g| match &g.resource {
                                Some(Resource::Id(id))
                                    if id.contains('/') && part_noun(rt).is_some() =>
                                {
                                    Some(resource_words(catalog, rt, id))
                                }
                                r => r.as_ref().map(|r| r.as_str().to_string()),
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                }
            };
            let explicit = grants
                .iter()
                .any(|g| g.service == svc.id && g.permission == def.id);
            let implied_by = if explicit {
                vec![]
            } else {
                grants
                    .iter()
                    .filter(|g| g.service == svc.id)
                    .filter(|g| catalog.implied_by(&svc.id, &g.permission).contains(&def.id))
                    .map(|g| g.permission.clone())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect()
            };
            perms.push(HeldPermission {
                id: def.id.clone(),
                title: def.title.clone(),
                scope,
                implied_by,
                via: vec![],
            });
        }
        if !perms.is_empty() {
            out.push(ServiceView {
                id: svc.id.clone(),
                title: svc.title.clone(),
                permissions: perms,
            });
        }
    }
    out
}

/// [`held_permissions`] of every source's grants together, each permission
/// with the labels of the sources that hold it (the token page's "via"
/// chips: its own grants, a persona, its member). A source holds a
/// permission when its grants alone do, so a persona's `write` is named
/// beside the `read` it implies.
pub fn held_permissions_via(
    catalog: &Catalog,
    sources: &[(String, Vec<Grant>)],
) -> Vec<ServiceView> {
    let all: Vec<Grant> = sources
        .iter()
        .flat_map(|(_, g)| g.iter().cloned())
        .collect();
    let effective: Vec<(&String, Effective)> = sources
        .iter()
        .map(|(label, g)| (label, Effective::of(catalog, g)))
        .collect();
    let mut out = held_permissions(catalog, &all);
    for svc in &mut out {
        for p in &mut svc.permissions {
            p.via = effective
                .iter()
                .filter(|(_, e)| {
                    e.grants()
                        .any(|g| g.service == svc.id && g.permission == p.id)
                })
                .map(|(label, _)| (*label).clone())
                .collect();
        }
    }
    out
}

/// Where a token stands with respect to its expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryState {
    Never,
    Expired,
    /// Within [`EXPIRES_SOON`].
    Soon,
    Later,
}

pub fn expiry_state(expires_at: Option<OffsetDateTime>, now: OffsetDateTime) -> ExpiryState {
    match expires_at {
        None => ExpiryState::Never,
        Some(at) if at <= now => ExpiryState::Expired,
        Some(at) if at - now <= EXPIRES_SOON => ExpiryState::Soon,
        Some(_) => ExpiryState::Later,
    }
}

/// "in 3 days", "5 minutes ago", "just now".
pub fn relative(at: OffsetDateTime, now: OffsetDateTime) -> String {
    let d = at - now;
    let secs = d.whole_seconds().abs();
    let (n, unit) = if secs < 60 {
        return "just now".into();
    } else if secs < 3600 {
        (secs / 60, "minute")
    } else if secs < 86_400 {
        (secs / 3600, "hour")
    } else if secs < 86_400 * 60 {
        (secs / 86_400, "day")
    } else if secs < 86_400 * 730 {
        (secs / (86_400 * 30), "month")
    } else {
        (secs / (86_400 * 365), "year")
    };
    let unit = if n == 1 {
        unit.to_string()
    } else {
        format!("{unit}s")
    };
    if d.is_positive() {
        format!("in {n} {unit}")
    } else {
        format!("{n} {unit} ago")
    }
}

/// The expiry options of the token form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryChoice {
    Days(u32),
    /// Expires at the end of that day (UTC).
    On(Date),
    Never,
}

impl ExpiryChoice {
    /// The instant this choice means, checked to be in the future.
    pub fn expires_at(self, now: OffsetDateTime) -> Result<Option<OffsetDateTime>, String> {
        match self {
            ExpiryChoice::Never => Ok(None),
            ExpiryChoice::Days(n) => Ok(Some(crate::expiry::truncate(
                now + Duration::days(i64::from(n)),
            ))),
            ExpiryChoice::On(date) => {
                let at = date
                    .with_time(Time::from_hms(23, 59, 59).unwrap_or(Time::MIDNIGHT))
                    .assume_utc();
                if at <= now {
                    Err("choose a date in the future".into())
                } else if at - now > Duration::seconds(validate::MAX_LIFETIME_SECONDS as i64) {
                    Err("choose a date within ten years".into())
                } else {
                    Ok(Some(at))
                }
            }
        }
    }

    /// Parses the value of an `<input type="date">` ("2026-12-31").
    /// Read by hand: `time`'s format-description parser would add its whole
    /// machinery to the app's wasm for this one shape.
    pub fn parse_date(s: &str) -> Option<Date> {
        let s = s.trim();
        let b = s.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        if !(digits(0..4) && digits(5..7) && digits(8..10)) {
            return None;
        }
        let year: i32 = s[0..4].parse().ok()?;
        let month: u8 = s[5..7].parse().ok()?;
        let day: u8 = s[8..10].parse().ok()?;
        Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()
    }
}

/// Whether whoami's effective permissions cover `service:permission` on
/// `resource` (a resource list holding `*` covers every resource, a
/// bucket its tables). The console decides which buttons to show with
/// this; the API still decides.
pub fn holds(
    permissions: &[crate::grant::ServicePermissions],
    service: &str,
    permission: &str,
    resource: &str,
) -> bool {
    resources_held(permissions, service, permission).any(|r| {
        r == "*"
            || r == resource
            || resource
                .strip_prefix(r)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// The parts of `parent` (a bucket's tables, by name) that whoami's
/// permissions hold `service:permission` on by themselves, in order; none
/// when the whole of `parent` is held. The console says which tables a
/// token may read, and where it may upload.
pub fn held_parts(
    permissions: &[crate::grant::ServicePermissions],
    service: &str,
    permission: &str,
    parent: &str,
) -> Vec<String> {
    if holds(permissions, service, permission, parent) {
        return vec![];
    }
    let parts: BTreeSet<String> = resources_held(permissions, service, permission)
        .filter_map(|r| crate::storage::table_of(parent, r))
        .map(String::from)
        .collect();
    parts.into_iter().collect()
}

fn resources_held<'a>(
    permissions: &'a [crate::grant::ServicePermissions],
    service: &'a str,
    permission: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    permissions
        .iter()
        .filter(move |s| s.service == service)
        .flat_map(|s| s.permissions.iter())
        .filter(move |p| p.permission == permission)
        .flat_map(|p| p.resources.iter().map(String::as_str))
}

/// The tables of `bucket` that its objects' keys show, as grant resources
/// (`in.c-main/orders`), sorted: an object whose key starts with
/// `<table>/` lives in that table ([`crate::storage::object_resource`]).
/// The grid's picker lists these under a bucket.
pub fn tables_of<'a>(bucket: &str, keys: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let tables: BTreeSet<String> = keys
        .into_iter()
        .map(|k| crate::storage::object_resource(bucket, k))
        .filter(|r| r.len() > bucket.len())
        .collect();
    tables.into_iter().collect()
}

#[cfg(test)]
mod tests {

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
    fn a_change_says_what_it_adds_and_removes_as_effective_permissions() {
        let c = catalog_for_change();
        let g = |x: &str| Grant::parse_compact(x).unwrap();
        let before = [g("storage:write@b1")];
        assert_eq!(
            change(&c, &before, &[g("storage:write@b1"), g("storage:read@*")]).as_deref(),
            Some("Adds read all buckets")
        );
        assert_eq!(
            change(&c, &before, &[g("audit:read")]).as_deref(),
            Some("Adds read the audit log; removes read and write bucket b1")
        );
        // Read on b1 stated again beside write on b1 grants nothing new.
        assert_eq!(
            change(&c, &before, &[g("storage:write@b1"), g("storage:read@b1")]),
            None
        );
        assert_eq!(change(&c, &[], &[]), None);
        assert_eq!(
            change(&c, &[g("storage:read@*")], &[g("storage:read@b1")]).as_deref(),
            Some("Removes read all buckets")
        );
    }

    fn catalog_for_change() -> Catalog {
        Catalog::from_json(include_str!("../../worker/catalog.json")).unwrap()
    }

    use super::*;
    use crate::catalog::default_catalog;
    use time::macros::{date, datetime};

    fn g(s: &str) -> Grant {
        Grant::parse_compact(s).unwrap()
    }

    #[test]
    fn holds_reads_whoami_permissions() {
        use crate::grant::{PermissionResources, ServicePermissions};
        let perms = vec![ServicePermissions {
            service: "storage".into(),
            permissions: vec![
                PermissionResources {
                    permission: "read".into(),
                    resources: vec!["*".into()],
                },
                PermissionResources {
                    permission: "write".into(),
                    resources: vec!["docs".into()],
                },
            ],
        }];
        assert!(holds(&perms, "storage", "write", "docs"));
        assert!(!holds(&perms, "storage", "write", "other"));
        assert!(holds(&perms, "storage", "read", "anything"));
        assert!(!holds(&perms, "tokens", "read", "docs"));
        assert!(!holds(&[], "storage", "read", "docs"));
    }

    #[test]
    fn summary_spells_out_implied_and_all() {
        let c = default_catalog();
        assert_eq!(
            summary(&c, &[g("storage:write@in.c-tutorial"), g("storage:read@*")]),
            "Read and write bucket in.c-tutorial; read all buckets; nothing else"
        );
        assert_eq!(
            summary(&c, &[g("storage:write@a"), g("storage:write@b")]),
            "Read and write buckets a and b; nothing else"
        );
        assert_eq!(
            summary(&c, &[g("storage:read@x"), g("storage:read@*")]),
            "Read all buckets; nothing else"
        );
        assert_eq!(
            summary(&c, &[g("tokens:manage"), g("audit:read"), g("storage:create_bucket")]),
            "Create buckets; view tokens and invitations; create, edit, refresh and delete tokens; read the audit log; nothing else"
        );
        assert_eq!(
            summary(&c, &[g("components:run@etl")]),
            "Run component etl; nothing else"
        );
        assert_eq!(summary(&c, &[]), "Nothing: this token cannot do anything");
    }

    #[test]
    fn transitive_implications_and_acronyms() {
        let c = default_catalog();
        if c.service("api_services").is_none() {
            return;
        }
        assert_eq!(
            summary(&c, &[g("api_services:admin@churn")]),
            "Read, write, deploy and admin API service churn; nothing else"
        );
        assert_eq!(
            summary(&c, &[g("infrastructures:deploy@*")]),
            "View and deploy all infrastructures; nothing else"
        );
        assert_eq!(all_label(&c, "api_service"), "All API services");
        assert_eq!(with_article(&noun(&c, "api_service")), "an API service");
        assert_eq!(with_article(&noun(&c, "bucket")), "a bucket");
        let mut grid = Grid::new(c);
        grid.toggle("api_services", "admin");
        grid.set_all("api_services", "admin", true);
        let read = grid.row("api_services", "read", &[]);
        assert!(read.locked);
        assert_eq!(read.implied_by, ["admin"]);
        // write is implied by admin too, so it cannot be unticked on its own.
        assert!(!grid.toggle("api_services", "write"));
        assert!(grid.row("api_services", "write", &[]).locked);
        assert_eq!(grid.grants(), vec![g("api_services:admin@*")]);
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
    fn a_table_is_described_as_itself_in_its_bucket() {
        let c = default_catalog();
        assert_eq!(
            summary(&c, &[g("storage:read@in.c-main/orders")]),
            "Read the table orders in bucket in.c-main; nothing else"
        );
        assert_eq!(
            summary(
                &c,
                &[
                    g("storage:write@in.c-main/orders"),
                    g("storage:write@in.c-main/customers"),
                    g("storage:read@raw")
                ]
            ),
            "Read and write the tables customers and orders in bucket in.c-main; read bucket raw; nothing else"
        );
        // Its bucket, held as much, says it all.
        assert_eq!(
            summary(
                &c,
                &[
                    g("storage:write@in.c-main"),
                    g("storage:read@in.c-main/orders")
                ]
            ),
            "Read and write bucket in.c-main; nothing else"
        );
        assert_eq!(
            summary(
                &c,
                &[g("storage:read@in.c-main"), g("storage:write@in.c-main/orders")]
            ),
            "Read bucket in.c-main; read and write the table orders in bucket in.c-main; nothing else"
        );
        assert_eq!(
            change(&c, &[], &[g("storage:read@in.c-main/orders")]).as_deref(),
            Some("Adds read the table orders in bucket in.c-main")
        );
        let held = held_permissions(
            &c,
            &[g("storage:read@in.c-main/orders"), g("storage:read@raw")],
        );
        assert_eq!(
            held[0].permissions[0].scope,
            "the table orders in bucket in.c-main, raw"
        );
    }

    #[test]
    fn whoami_tables_are_held_under_their_bucket() {
        use crate::grant::{PermissionResources, ServicePermissions};
        let perms = |read: &[&str], write: &[&str]| {
            let list = |p: &str, r: &[&str]| PermissionResources {
                permission: p.into(),
                resources: r.iter().map(|x| x.to_string()).collect(),
            };
            vec![ServicePermissions {
                service: "storage".into(),
                permissions: vec![list("read", read), list("write", write)],
            }]
        };
        let tables = perms(
            &["in.c-main/orders", "in.c-main/customers", "x/y"],
            &["in.c-main/orders"],
        );
        assert!(!holds(&tables, "storage", "read", "in.c-main"));
        assert!(holds(&tables, "storage", "read", "in.c-main/orders"));
        assert_eq!(
            held_parts(&tables, "storage", "read", "in.c-main"),
            ["customers", "orders"]
        );
        assert_eq!(
            held_parts(&tables, "storage", "write", "in.c-main"),
            ["orders"]
        );
        assert!(held_parts(&tables, "storage", "write", "x").is_empty());
        // The bucket covers its tables: no part is named on its own.
        let bucket = perms(&["in.c-main", "in.c-main/orders"], &[]);
        assert!(holds(&bucket, "storage", "read", "in.c-main/orders"));
        assert!(!holds(&bucket, "storage", "read", "in.c-mainx/orders"));
        assert!(held_parts(&bucket, "storage", "read", "in.c-main").is_empty());
    }

    #[test]
    fn a_buckets_tables_are_the_first_parts_of_its_keys() {
        let keys = [
            "orders/2024.csv",
            "customers/a.csv",
            "orders/2023.csv",
            "readme.txt",
            "empty/",
            "bad table/x",
        ];
        assert_eq!(
            tables_of("in.c-main", keys),
            ["in.c-main/customers", "in.c-main/orders"]
        );
        assert!(tables_of("in.c-main", ["readme.txt"]).is_empty());
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

    #[test]
    fn held_permissions_group_per_service_and_mark_implied() {
        let c = default_catalog();
        let view = held_permissions(&c, &[g("storage:write@b1"), g("tokens:read")]);
        assert_eq!(view.len(), 2);
        assert_eq!(view[0].title, "Storage");
        assert_eq!(view[0].permissions[0].id, "read");
        assert_eq!(view[0].permissions[0].scope, "b1");
        assert_eq!(view[0].permissions[0].implied_by, ["write"]);
        assert!(view[0].permissions[1].implied_by.is_empty());
        let all = held_permissions(&c, &[g("storage:read@*")]);
        assert_eq!(all[0].permissions[0].scope, "All buckets");
    }

    #[test]
    fn via_names_each_source_that_holds_a_permission() {
        let c = default_catalog();
        let view = held_permissions_via(
            &c,
            &[
                ("own".into(), vec![g("storage:read@b1")]),
                ("persona Writers".into(), vec![g("storage:write@*")]),
            ],
        );
        let storage = &view[0].permissions;
        assert_eq!(storage[0].id, "read");
        assert_eq!(storage[0].via, ["own", "persona Writers"]);
        assert_eq!(storage[1].id, "write");
        assert_eq!(storage[1].via, ["persona Writers"]);
    }

    proptest::proptest! {
        /// The chips neither invent nor drop: the view is the one of all
        /// grants together, every permission it shows names at least one
        /// source, and a named source holds it on its own.
        #[test]
        fn via_agrees_with_each_source_alone(
            own in proptest::collection::vec(crate::grant::testing::arb_grant(), 0..4),
            persona in proptest::collection::vec(crate::grant::testing::arb_grant(), 0..4),
        ) {
            let c = default_catalog();
            let sources = vec![("own".to_string(), own.clone()), ("p".to_string(), persona.clone())];
            let view = held_permissions_via(&c, &sources);
            let mut all = own.clone();
            all.extend(persona.clone());
            let plain = held_permissions(&c, &all);
            proptest::prop_assert_eq!(view.len(), plain.len());
            for (s, v) in view.iter().zip(&plain) {
                proptest::prop_assert_eq!(s.permissions.len(), v.permissions.len());
                for p in &s.permissions {
                    proptest::prop_assert!(!p.via.is_empty(), "{}:{} has no source", s.id, p.id);
                    for (label, grants) in &sources {
                        let alone = held_permissions(&c, grants)
                            .iter()
                            .any(|x| x.id == s.id && x.permissions.iter().any(|q| q.id == p.id));
                        proptest::prop_assert_eq!(p.via.contains(label), alone, "{} {}:{}", label, s.id, p.id);
                    }
                }
            }
        }
    }

    #[test]
    fn expiry_wording() {
        let now = datetime!(2026-11-24 12:00 UTC);
        assert_eq!(expiry_state(None, now), ExpiryState::Never);
        assert_eq!(
            expiry_state(Some(now - Duration::hours(1)), now),
            ExpiryState::Expired
        );
        assert_eq!(
            expiry_state(Some(now + Duration::days(3)), now),
            ExpiryState::Soon
        );
        assert_eq!(
            expiry_state(Some(now + Duration::days(30)), now),
            ExpiryState::Later
        );
        assert_eq!(relative(now + Duration::days(3), now), "in 3 days");
        assert_eq!(relative(now - Duration::minutes(1), now), "1 minute ago");
        assert_eq!(relative(now, now), "just now");
        assert_eq!(
            ExpiryChoice::Days(7).expires_at(now),
            Ok(Some(datetime!(2026-12-01 12:00 UTC)))
        );
        assert_eq!(
            ExpiryChoice::On(date!(2026 - 12 - 31)).expires_at(now),
            Ok(Some(datetime!(2026-12-31 23:59:59 UTC)))
        );
        assert!(ExpiryChoice::On(date!(2026 - 01 - 01))
            .expires_at(now)
            .is_err());
        assert_eq!(
            ExpiryChoice::parse_date("2026-12-31"),
            Some(date!(2026 - 12 - 31))
        );
        assert_eq!(ExpiryChoice::parse_date("31/12/2026"), None);
        assert_eq!(
            ExpiryChoice::parse_date(" 2026-02-28 "),
            Some(date!(2026 - 02 - 28))
        );
        for bad in [
            "2026-02-30",
            "2026-13-01",
            "2026-1-01",
            "26-01-01",
            "",
            "2026-01-01x",
        ] {
            assert_eq!(ExpiryChoice::parse_date(bad), None, "{bad}");
        }
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
