//! Access levels: the permission grid's one control per group of
//! permissions linked by implication ("No access / Read / Read and
//! write"), derived from the catalog alone so that every service renders
//! without special cases.
//!
//! A level is a set of permissions closed under implication (everything
//! held at that level); what the API stores for it is its strongest
//! permissions only, since the implied ones follow from them. A group whose
//! levels would be too many to list (Dataiku's project `admin` over two
//! read/write pairs and a scenario right gives 19) shows its strongest
//! permissions as ticks and is split again below them.

use crate::catalog::Catalog;
use std::collections::BTreeSet;

/// More levels than this in one list would no longer read as a scale.
pub const MAX_LEVELS: usize = 8;

/// Groups larger than this are never enumerated (2^n subsets).
const MAX_GROUP: usize = 12;

/// One control of a service in the grid, in catalog order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// One access level over permissions linked by implication.
    Levels(Levels),
    /// A permission outside any chain, ticked on its own.
    Tick(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Levels {
    pub resource_type: Option<String>,
    /// The permissions this control sets, in catalog order.
    pub permissions: Vec<String>,
    /// "No access" first, then by how much they hold; the last holds all.
    pub levels: Vec<Level>,
    /// What the permissions are about when their ids say it alike
    /// (`read_data`, `write_data` → "data"); names the control.
    pub subject: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    /// Every permission held at this level, in catalog order.
    pub held: Vec<String>,
    /// The grants stored for it: the held permissions no other held one
    /// implies, in catalog order. Empty for "No access".
    pub top: Vec<String>,
    pub label: String,
}

impl Level {
    /// A stable name for the level, for element values: its top
    /// permissions joined by `+`, or `none`.
    pub fn value(&self) -> String {
        if self.top.is_empty() {
            "none".into()
        } else {
            self.top.join("+")
        }
    }
}

impl Levels {
    /// The id of the strongest permission; names the control in element ids.
    pub fn key(&self) -> &str {
        self.levels
            .last()
            .and_then(|l| l.top.first())
            .map_or("", String::as_str)
    }

    pub fn contains(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }

    /// The level whose held set is `held` closed under implication (within
    /// this control); "No access" when none matches.
    pub fn of(&self, catalog: &Catalog, service: &str, held: &BTreeSet<String>) -> usize {
        let closed = close(catalog, service, held, &self.permissions);
        self.levels
            .iter()
            .position(|l| l.held.iter().cloned().collect::<BTreeSet<_>>() == closed)
            .unwrap_or(0)
    }

    pub fn by_value(&self, value: &str) -> Option<usize> {
        self.levels.iter().position(|l| l.value() == value)
    }
}

/// `held` and what it implies, restricted to `within`.
fn close(
    catalog: &Catalog,
    service: &str,
    held: &BTreeSet<String>,
    within: &[String],
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for p in held.iter().filter(|p| within.contains(p)) {
        out.insert(p.clone());
        out.extend(
            catalog
                .implied_by(service, p)
                .into_iter()
                .filter(|i| within.contains(i)),
        );
    }
    out
}

/// The controls of one service, in the catalog order of their first
/// permission.
pub fn controls(catalog: &Catalog, service: &str) -> Vec<Control> {
    let Some(svc) = catalog.service(service) else {
        return vec![];
    };
    let all: Vec<String> = svc.permissions.iter().map(|p| p.id.clone()).collect();
    let mut out = vec![];
    split(catalog, service, &all, &mut out);
    let index = |p: &str| all.iter().position(|q| q == p).unwrap_or(usize::MAX);
    out.sort_by_key(|c| match c {
        Control::Tick(p) => index(p),
        Control::Levels(l) => l.permissions.first().map_or(usize::MAX, |p| index(p)),
    });
    out
}

fn split(catalog: &Catalog, service: &str, perms: &[String], out: &mut Vec<Control>) {
    let implies = |a: &str, b: &str| catalog.implied_by(service, a).iter().any(|i| i == b);
    for group in components(perms, &implies) {
        if group.len() == 1 {
            out.push(Control::Tick(group[0].clone()));
            continue;
        }
        let downsets = (group.len() <= MAX_GROUP)
            .then(|| downsets(&group, &implies))
            .filter(|d| d.len() <= MAX_LEVELS);
        match downsets {
            Some(sets) => out.push(Control::Levels(levels(catalog, service, &group, sets))),
            None => {
                // The strongest become ticks; the rest is grouped again.
                let (top, rest): (Vec<String>, Vec<String>) = group
                    .iter()
                    .cloned()
                    .partition(|p| !group.iter().any(|q| q != p && implies(q, p)));
                out.extend(top.into_iter().map(Control::Tick));
                split(catalog, service, &rest, out);
            }
        }
    }
}

/// Groups of `perms` linked by implication, each in the given order.
fn components(perms: &[String], implies: &dyn Fn(&str, &str) -> bool) -> Vec<Vec<String>> {
    let mut group_of: Vec<usize> = (0..perms.len()).collect();
    fn root(g: &mut [usize], mut i: usize) -> usize {
        while g[i] != i {
            i = g[i];
        }
        i
    }
    for a in 0..perms.len() {
        for b in 0..perms.len() {
            if a != b && implies(&perms[a], &perms[b]) {
                let (ra, rb) = (root(&mut group_of, a), root(&mut group_of, b));
                group_of[ra.max(rb)] = ra.min(rb);
            }
        }
    }
    let mut out: Vec<(usize, Vec<String>)> = vec![];
    for (i, p) in perms.iter().enumerate() {
        let r = root(&mut group_of, i);
        match out.iter_mut().find(|(k, _)| *k == r) {
            Some((_, g)) => g.push(p.clone()),
            None => out.push((r, vec![p.clone()])),
        }
    }
    out.into_iter().map(|(_, g)| g).collect()
}

/// Every subset of `group` closed under implication, as index masks,
/// smallest first, then in catalog order.
fn downsets(group: &[String], implies: &dyn Fn(&str, &str) -> bool) -> Vec<u32> {
    let n = group.len();
    let below: Vec<u32> = (0..n)
        .map(|a| {
            (0..n)
                .filter(|&b| a != b && implies(&group[a], &group[b]))
                .fold(0, |m, b| m | (1 << b))
        })
        .collect();
    let mut sets: Vec<u32> = (0..(1u32 << n))
        .filter(|&m| (0..n).all(|a| m & (1 << a) == 0 || below[a] & !m == 0))
        .collect();
    let order = |m: &u32| {
        let members: Vec<usize> = (0..n).filter(|a| m & (1 << a) != 0).collect();
        (members.len(), members)
    };
    sets.sort_by_key(order);
    sets
}

fn levels(catalog: &Catalog, service: &str, group: &[String], sets: Vec<u32>) -> Levels {
    let implies = |a: &str, b: &str| catalog.implied_by(service, a).iter().any(|i| i == b);
    let subject = common_suffix(group);
    let levels = sets
        .into_iter()
        .map(|m| {
            let held: Vec<String> = (0..group.len())
                .filter(|a| m & (1 << a) != 0)
                .map(|a| group[a].clone())
                .collect();
            let top: Vec<String> = held
                .iter()
                .filter(|p| !held.iter().any(|q| q != *p && implies(q, p)))
                .cloned()
                .collect();
            let label = label(&held, subject.as_deref());
            Level { held, top, label }
        })
        .collect();
    Levels {
        resource_type: catalog
            .permission(service, &group[0])
            .and_then(|d| d.resource_type.clone()),
        permissions: group.to_vec(),
        levels,
        subject,
    }
}

/// The `_suffix` every id shares ("data" of `read_data`, `write_data`).
fn common_suffix(ids: &[String]) -> Option<String> {
    let first = ids.first()?.rsplit_once('_')?.1;
    ids.iter()
        .all(|id| id.rsplit_once('_').is_some_and(|(_, s)| s == first))
        .then(|| first.to_string())
}

/// "No access", "Read", "Read and write", "Read and write data".
fn label(held: &[String], subject: Option<&str>) -> String {
    if held.is_empty() {
        return "No access".into();
    }
    let words: Vec<String> = held
        .iter()
        .map(|p| match subject {
            Some(s) => p
                .strip_suffix(&format!("_{s}"))
                .unwrap_or(p)
                .replace('_', " "),
            None => p.replace('_', " "),
        })
        .collect();
    let joined = match words.as_slice() {
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
        [] => String::new(),
    };
    let text = match subject {
        Some(s) => format!("{joined} {s}"),
        None => joined,
    };
    let mut c = text.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::default_catalog;

    fn shape(c: &Catalog, service: &str) -> Vec<String> {
        controls(c, service)
            .into_iter()
            .map(|c| match c {
                Control::Tick(p) => format!("tick {p}"),
                Control::Levels(l) => l
                    .levels
                    .iter()
                    .map(|l| l.label.clone())
                    .collect::<Vec<_>>()
                    .join(" / "),
            })
            .collect()
    }

    #[test]
    fn the_shipped_catalog_reads_as_levels_and_ticks() {
        let c = default_catalog();
        assert_eq!(
            shape(&c, "storage"),
            ["No access / Read / Read and write", "tick create_bucket"]
        );
        assert_eq!(shape(&c, "components"), ["tick run"]);
        assert_eq!(
            shape(&c, "tokens"),
            ["No access / Read / Read and manage", "tick verify"]
        );
        assert_eq!(shape(&c, "audit"), ["tick read"]);
        // A diamond: write and deploy each imply read, admin both.
        assert_eq!(
            shape(&c, "api_services"),
            ["No access / Read / Read and write / Read and deploy / Read, write and deploy / Read, write, deploy and admin"]
        );
        assert_eq!(
            shape(&c, "infrastructures"),
            ["No access / View / View and deploy / View, deploy and admin"]
        );
        // 19 levels under admin: admin is a tick, the pairs are levels and
        // running scenarios stays a tick.
        assert_eq!(
            shape(&c, "projects"),
            [
                "No access / Read conf / Read and write conf",
                "No access / Read data / Read and write data",
                "tick run_scenarios",
                "tick admin"
            ]
        );
        assert_eq!(
            shape(&c, "datasets"),
            [
                "No access / Read data / Read and write data",
                "No access / Read metadata / Read and write metadata",
                "No access / Read schema / Read and write schema"
            ]
        );
    }

    #[test]
    fn a_level_stores_only_its_strongest_permissions() {
        let c = default_catalog();
        let Control::Levels(api) = &controls(&c, "api_services")[0] else {
            panic!("levels")
        };
        assert_eq!(api.key(), "admin");
        assert_eq!(api.levels[4].top, ["write", "deploy"]);
        assert_eq!(api.levels[4].value(), "write+deploy");
        assert_eq!(api.levels[5].top, ["admin"]);
        assert_eq!(api.levels[0].value(), "none");
        assert_eq!(api.by_value("deploy"), Some(3));
        let held = |ps: &[&str]| ps.iter().map(|p| p.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(api.of(&c, "api_services", &held(&["write", "deploy"])), 4);
        assert_eq!(api.of(&c, "api_services", &held(&["admin"])), 5);
        assert_eq!(api.of(&c, "api_services", &held(&[])), 0);
    }

    #[test]
    fn every_catalog_permission_is_in_exactly_one_control() {
        let c = default_catalog();
        for svc in &c.services {
            let mut seen = vec![];
            for control in controls(&c, &svc.id) {
                match control {
                    Control::Tick(p) => seen.push(p),
                    Control::Levels(l) => {
                        assert!(l.levels.len() <= MAX_LEVELS);
                        assert!(l.levels[0].held.is_empty());
                        assert_eq!(l.levels.last().unwrap().held, l.permissions);
                        seen.extend(l.permissions)
                    }
                }
            }
            seen.sort();
            let mut want: Vec<String> = svc.permissions.iter().map(|p| p.id.clone()).collect();
            want.sort();
            assert_eq!(seen, want, "{}", svc.id);
        }
    }
}
