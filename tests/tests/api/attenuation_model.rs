//! Issue 25, black-box: the authorization invariants of the domain's
//! model test (`domain/src/model.rs`), checked against the real worker.
//! A seeded driver replays a few hundred generated operations — create,
//! edit (self-edits included), elevate, approve, end — by generated
//! credentials over HTTP, and after each one the registry's answers (read
//! by an admin) and the edge must agree that nothing was issued beyond
//! what its issuer holds for good, no limit was loosened, four-eyes took
//! two people, and an ended elevation left nothing behind.
//!
//! `KEYWARD_MODEL_SEED=<n>` replays a run; a failure prints its seed.

use keyward_domain::catalog::Catalog;
use keyward_domain::{Access, Decision, Grant, TokenKind};
use keyward_tests::{spawn_app_with, Answer, TestApp};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

const STEPS: usize = 300;
const PROJECTS: [&str; 2] = ["default", "alpha"];
const GRANTS: [&str; 7] = [
    "tokens:manage",
    "tokens:read",
    "storage:read@b",
    "storage:write@b",
    "storage:read@*",
    "storage:write@*",
    "audit:read",
];

/// A small deterministic generator (xorshift), so a seed replays a run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

#[derive(Clone)]
struct Cred {
    id: String,
    secret: String,
    /// Who it acts for: the admin whose tree it was issued in.
    person: &'static str,
    admin: bool,
}

fn g(s: &str) -> Grant {
    Grant::parse_compact(s).unwrap()
}

fn at(secs: i64) -> String {
    (OffsetDateTime::now_utc() + time::Duration::seconds(secs))
        .format(&Rfc3339)
        .unwrap()
}

/// A token as the registry shows it, reduced to what the invariants read.
#[derive(Debug, Clone)]
struct Shown {
    kind: String,
    project: String,
    grants: Vec<Grant>,
    live_elevation_grants: Vec<Grant>,
    pending: Vec<(String, String)>,
    active: Vec<String>,
    expires_at: Option<OffsetDateTime>,
    uses: Option<(u64, bool)>,
    rate_limit: Option<u64>,
}

fn shown(v: &Value) -> Shown {
    let grants = |list: &Value| -> Vec<Grant> {
        list.as_array()
            .into_iter()
            .flatten()
            .map(|x| serde_json::from_value(x.clone()).unwrap())
            .collect()
    };
    let elevations = v["elevations"].as_array().cloned().unwrap_or_default();
    Shown {
        kind: v["kind"].as_str().unwrap_or_default().to_string(),
        project: v["project"].as_str().unwrap_or("default").to_string(),
        grants: grants(&v["grants"]),
        live_elevation_grants: elevations
            .iter()
            .filter(|e| e["status"] == "active")
            .flat_map(|e| grants(&e["grants"]))
            .collect(),
        pending: elevations
            .iter()
            .filter(|e| e["status"] == "pending")
            .map(|e| {
                (
                    e["id"].as_str().unwrap().to_string(),
                    e["requested_by_person"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect(),
        active: elevations
            .iter()
            .filter(|e| e["status"] == "active")
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect(),
        expires_at: v["expires_at"]
            .as_str()
            .map(|s| OffsetDateTime::parse(s, &Rfc3339).unwrap()),
        uses: v["usage_limit"]["uses"]
            .as_u64()
            .map(|u| (u, v["usage_limit"]["refill"].is_string())),
        rate_limit: v["rate_limit"].as_u64(),
    }
}

/// Every (project, grant) the grants admit in the token's project.
fn atoms(kind: &str, project: &str, grants: &[Grant]) -> BTreeSet<(String, String)> {
    let catalog = Catalog::from_json(include_str!("../../../worker/catalog.json"))
        .expect("the shipped catalog");
    let access = Access {
        kind: if kind == "master" {
            TokenKind::Master
        } else {
            TokenKind::Scoped
        },
        project: Some(project.to_string()),
        grants: grants.to_vec(),
        project_grants: BTreeMap::new(),
        global_admin: false,
    };
    let principal = access.principal(&catalog, project);
    GRANTS
        .iter()
        .filter(|w| principal.decide(&g(w)) == Decision::Allow)
        .map(|w| (project.to_string(), w.to_string()))
        .collect()
}

struct Driver {
    app: TestApp,
    rng: Rng,
    creds: Vec<Cred>,
    seed: u64,
    step: usize,
    admitted: usize,
    /// The registry's names for people (`admin:<id>`) → the model's.
    people: BTreeMap<String, &'static str>,
    /// Admitted steps by kind.
    kinds: BTreeMap<&'static str, usize>,
    /// Tokens some elevation was admitted for.
    raised: Vec<String>,
}

impl Driver {
    async fn show(&self, id: &str) -> Option<Shown> {
        let r = self
            .app
            .get(&format!("/api/v1/tokens/{id}"), &self.app.admin_secret)
            .await;
        match r.status {
            200 => Some(shown(&r.json())),
            404 => None,
            s => panic!("{}: GET token {id} answered {s}: {}", self.at(), r.text),
        }
    }

    fn at(&self) -> String {
        format!(
            "seed {} step {} (replay: KEYWARD_MODEL_SEED={})",
            self.seed, self.step, self.seed
        )
    }

    /// A refusal is fine; a failure of the worker never is.
    fn admitted(&mut self, what: &'static str, r: &Answer) -> bool {
        assert!(
            r.status < 500,
            "{}: {what} answered {}: {}",
            self.at(),
            r.status,
            r.text
        );
        if r.status < 300 {
            self.admitted += 1;
            *self.kinds.entry(what).or_default() += 1;
            true
        } else {
            assert!(
                // 429: the acting credential spent its own uses or rate.
                [400, 403, 404, 409, 429].contains(&r.status),
                "{}: {what} answered {}: {}",
                self.at(),
                r.status,
                r.text
            );
            false
        }
    }

    fn pick_grants(&mut self) -> Vec<Grant> {
        let n = self.rng.below(3);
        (0..n)
            .map(|_| g(GRANTS[self.rng.below(GRANTS.len())]))
            .collect()
    }

    /// What `after` holds beyond `by`'s lasting grants, and limits it
    /// loosened: must be nothing for a non-admin issuer.
    fn check_issued(&self, by: &Cred, mine: &Shown, after: &Shown, new_elevation: &[Grant]) {
        if by.admin {
            return;
        }
        let held = atoms(&mine.kind, &mine.project, &mine.grants);
        let mut issued = after.grants.clone();
        issued.extend(new_elevation.iter().cloned());
        let theirs = atoms(&after.kind, &after.project, &issued);
        let beyond: Vec<_> = theirs.difference(&held).collect();
        assert!(
            beyond.is_empty(),
            "{}: {} issued {beyond:?} which it does not hold for good (it holds {held:?})",
            self.at(),
            by.id
        );
        if let Some(mine_exp) = mine.expires_at {
            assert!(
                after.expires_at.is_some_and(|e| e <= mine_exp),
                "{}: expiry loosened",
                self.at()
            );
        }
        if let Some((mine_uses, mine_refill)) = mine.uses {
            let (uses, refill) = after
                .uses
                .unwrap_or_else(|| panic!("{}: usage limit dropped", self.at()));
            assert!(
                uses <= mine_uses && (!refill || mine_refill),
                "{}: usage limit loosened",
                self.at()
            );
        }
        let mine_rate = mine.rate_limit.unwrap_or(1_000_000);
        assert!(
            after.rate_limit.unwrap_or(1_000_000) <= mine_rate,
            "{}: rate limit loosened",
            self.at()
        );
        assert_eq!(after.project, mine.project, "{}: reach", self.at());
    }

    async fn step(&mut self) {
        // The first five (two admins, A's key, two managers) act often:
        // the pool soon fills with their children.
        let by = if self.rng.chance(50) {
            self.creds[self.rng.below(5)].clone()
        } else {
            self.creds[self.rng.below(self.creds.len())].clone()
        };
        let Some(mine) = self.show(&by.id).await else {
            return;
        };
        match self.rng.below(10) {
            0..=2 => self.create(&by, &mine).await,
            3..=4 => self.update(&by, &mine).await,
            5..=6 => self.elevate(&by, &mine).await,
            7..=8 => self.approve(&by).await,
            _ => self.end(&by).await,
        }
    }

    async fn create(&mut self, by: &Cred, mine: &Shown) {
        let project = if by.admin {
            PROJECTS[self.rng.below(2)].to_string()
        } else {
            mine.project.clone()
        };
        // Half the time a child its issuer could make (a part of its own
        // grants, limits no looser), else anything: both sides of the
        // line get tried.
        let within = !by.admin && self.rng.chance(50);
        let grants = if within && !mine.grants.is_empty() {
            vec![mine.grants[self.rng.below(mine.grants.len())].clone()]
        } else {
            self.pick_grants()
        };
        let mut body = json!({
            "name": format!("t{}-{}", self.step, self.rng.below(1000)),
            "project": project,
            "grants": grants,
        });
        if within {
            if let Some((uses, _)) = mine.uses {
                body["usage_limit"] = json!({"uses": 1 + self.rng.below(uses as usize)});
            }
            if let Some(exp) = mine.expires_at {
                let left = (exp - OffsetDateTime::now_utc()).whole_seconds().max(120);
                body["expires_at"] = json!(at(60 + self.rng.below(left as usize - 60) as i64));
            }
        } else {
            if self.rng.chance(60) {
                body["usage_limit"] = json!({"uses": 1 + self.rng.below(2000)});
            }
            if self.rng.chance(60) {
                body["expires_at"] = json!(at(600 + self.rng.below(90_000) as i64));
            }
            if self.rng.chance(40) {
                body["rate_limit"] = json!(1 + self.rng.below(1200));
            }
        }
        let r = self.app.post("/api/v1/tokens", &by.secret, body).await;
        if self.admitted("create", &r) {
            let v = r.json();
            let id = v["token"]["id"].as_str().unwrap().to_string();
            let after = self.show(&id).await.expect("the new token");
            self.check_issued(by, mine, &after, &[]);
            self.creds.push(Cred {
                id,
                secret: v["secret"].as_str().unwrap().to_string(),
                person: by.person,
                admin: false,
            });
        }
    }

    async fn update(&mut self, by: &Cred, mine: &Shown) {
        // Self-edits half the time: the edits an escalation needs.
        let target = if self.rng.chance(50) {
            by.clone()
        } else {
            self.creds[self.rng.below(self.creds.len())].clone()
        };
        if target.admin {
            return;
        }
        let mut body = json!({});
        if self.rng.chance(60) {
            let mut grants = self.pick_grants();
            if self.rng.chance(50) {
                // Try to keep what an elevation gives.
                if let Some(t) = self.show(&target.id).await {
                    grants.extend(t.grants);
                    grants.extend(t.live_elevation_grants);
                }
            }
            body["grants"] = json!(grants);
        }
        if self.rng.chance(40) {
            body["usage_limit"] = match self.rng.below(3) {
                0 => Value::Null,
                1 => json!({"uses": 1 + self.rng.below(5000)}),
                _ => json!({"uses": 1 + self.rng.below(50), "refill": "daily"}),
            };
        }
        if self.rng.chance(30) {
            body["expires_at"] = if self.rng.chance(30) {
                Value::Null
            } else {
                json!(at(600 + self.rng.below(200_000) as i64))
            };
        }
        let r = self
            .app
            .patch(&format!("/api/v1/tokens/{}", target.id), &by.secret, body)
            .await;
        if self.admitted("update", &r) {
            let after = self.show(&target.id).await.expect("the edited token");
            // An edit re-issues the token: judged against the issuer as it
            // was (for a self-edit, before the edit).
            self.check_issued(by, mine, &after, &[]);
        }
    }

    async fn elevate(&mut self, by: &Cred, _mine: &Shown) {
        let target = self.creds[self.rng.below(self.creds.len())].clone();
        let Some(before) = self.show(&target.id).await else {
            return;
        };
        let mut grants = self.pick_grants();
        if grants.is_empty() {
            grants.push(g(GRANTS[self.rng.below(GRANTS.len())]));
        }
        let long = self.rng.chance(30);
        let r = self
            .app
            .post(
                &format!("/api/v1/tokens/{}/elevations", target.id),
                &by.secret,
                json!({"grants": grants, "until": at(if long { 20 * 86_400 } else { 3600 }), "reason": "model"}),
            )
            .await;
        if self.admitted("elevate", &r) {
            self.raised.push(target.id.clone());
            let mine = self.show(&by.id).await.expect("the issuer");
            let after = self.show(&target.id).await.expect("the raised token");
            let mut base = after.clone();
            base.grants = before.grants.clone();
            // Judged as if the elevation were given for good.
            self.check_issued(
                by,
                &mine_without(&mine, &before, &by.id, &target.id),
                &base,
                &grants,
            );
        }
    }

    /// A credential some elevation was asked for, when there is one.
    fn raised(&mut self) -> Cred {
        if !self.raised.is_empty() && self.rng.chance(80) {
            let id = self.raised[self.rng.below(self.raised.len())].clone();
            if let Some(c) = self.creds.iter().find(|c| c.id == id) {
                return c.clone();
            }
        }
        self.creds[self.rng.below(self.creds.len())].clone()
    }

    async fn approve(&mut self, by: &Cred) {
        let target = self.raised();
        let Some(t) = self.show(&target.id).await else {
            return;
        };
        let Some((elevation, requester)) = t.pending.first().cloned() else {
            return;
        };
        let r = self
            .app
            .post(
                &format!(
                    "/api/v1/tokens/{}/elevations/{elevation}/approve",
                    target.id
                ),
                &by.secret,
                json!({}),
            )
            .await;
        if self.admitted("approve", &r) {
            // The requester's person, as the model knows people.
            let requested_by = self.people.get(&requester).copied().unwrap_or("unknown");
            assert_ne!(
                requested_by,
                by.person,
                "{}: {} approved an elevation its own person requested",
                self.at(),
                by.id
            );
        }
    }

    async fn end(&mut self, by: &Cred) {
        let target = self.raised();
        let Some(t) = self.show(&target.id).await else {
            return;
        };
        let Some(elevation) = t.active.first().cloned() else {
            return;
        };
        let r = self
            .app
            .delete(
                &format!("/api/v1/tokens/{}/elevations/{elevation}", target.id),
                &by.secret,
            )
            .await;
        if self.admitted("end", &r) {
            let after = self.show(&target.id).await.expect("the token");
            assert!(
                !after.active.contains(&elevation),
                "{}: an ended elevation is still listed",
                self.at()
            );
            // At the edge, what it holds now is its grants and the other
            // running elevations, nothing of the ended one.
            let me = self.app.get("/api/v1/whoami", &target.secret).await;
            if me.status == 200 {
                let mut held = after.grants.clone();
                held.extend(after.live_elevation_grants.clone());
                let expected = atoms(&after.kind, &after.project, &held);
                let edge: BTreeSet<(String, String)> = GRANTS
                    .iter()
                    .filter(|w| edge_holds(&me.json(), w))
                    .map(|w| (after.project.clone(), w.to_string()))
                    .collect();
                assert!(
                    edge.is_subset(&expected),
                    "{}: the edge holds {:?} beyond {:?}",
                    self.at(),
                    edge.difference(&expected).collect::<Vec<_>>(),
                    expected
                );
            }
        }
    }
}

/// The issuer as the invariant judges an elevation: for a self-elevation,
/// what it held before it (never the elevation being asked for).
fn mine_without(mine: &Shown, before: &Shown, by: &str, target: &str) -> Shown {
    if by == target {
        before.clone()
    } else {
        mine.clone()
    }
}

/// Whether whoami's permissions list `wanted` (`service:permission[@res]`).
fn edge_holds(whoami: &Value, wanted: &str) -> bool {
    let w = g(wanted);
    whoami["permissions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["service"] == w.service.as_str())
        .flat_map(|s| s["permissions"].as_array().cloned().unwrap_or_default())
        .any(|p| {
            p["permission"] == w.permission.as_str()
                && match &w.resource {
                    None => true,
                    Some(r) => {
                        let r = r.as_str();
                        p["resources"]
                            .as_array()
                            .is_some_and(|rs| rs.iter().any(|x| x == "*" || *x == r))
                    }
                }
        })
}

#[tokio::test]
async fn generated_operations_keep_the_invariants_at_the_edge() {
    let seed = std::env::var("KEYWARD_MODEL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| OffsetDateTime::now_utc().unix_timestamp_nanos() as u64 | 1);
    println!("attenuation model: seed {seed}");
    // The driver reads every token through the admin after every step:
    // far more calls a minute than the default limit lets one token make.
    let app = spawn_app_with(&[("DEFAULT_RATE_LIMIT", "1000000")]).await;
    let a = app.admin_secret.clone();
    app.create_project("alpha").await;
    let r = app
        .patch(
            "/api/v1/projects/alpha",
            &a,
            json!({"elevation_approval": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    app.create_bucket("b").await;
    let b = app
        .post(
            "/api/v1/admins",
            &a,
            json!({"email": "b@example.com", "name": "B"}),
        )
        .await;
    assert_eq!(b.status, 201, "{}", b.text);
    let me = app.get("/api/v1/whoami", &a).await.json();
    let mut creds = vec![
        Cred {
            id: me["token"]["id"].as_str().unwrap().to_string(),
            secret: a.clone(),
            person: "a",
            admin: true,
        },
        Cred {
            id: b.json()["master_token"]["id"].as_str().unwrap().to_string(),
            secret: b.json()["secret"].as_str().unwrap().to_string(),
            person: "b",
            admin: true,
        },
    ];
    // A's global admin key: still A.
    let key = app
        .post(
            "/api/v1/tokens",
            &a,
            json!({"name": "a-key", "kind": "global", "global_admin": true}),
        )
        .await;
    assert_eq!(key.status, 201, "{}", key.text);
    creds.push(Cred {
        id: key.json()["token"]["id"].as_str().unwrap().to_string(),
        secret: key.json()["secret"].as_str().unwrap().to_string(),
        person: "a",
        admin: true,
    });
    for (n, project) in PROJECTS.iter().enumerate() {
        let r = app
            .post(
                "/api/v1/tokens",
                &a,
                json!({"name": format!("manager-{n}"), "project": project,
                       "grants": [g("tokens:manage"), g("tokens:read"), g("storage:read@*")],
                       "usage_limit": {"uses": 5000}, "expires_at": at(86_400)}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        creds.push(Cred {
            id: r.json()["token"]["id"].as_str().unwrap().to_string(),
            secret: r.json()["secret"].as_str().unwrap().to_string(),
            person: "a",
            admin: false,
        });
    }
    let mut people = BTreeMap::new();
    let admins = app.get("/api/v1/admins", &a).await.json();
    for admin in admins["items"].as_array().unwrap() {
        let person = if admin["email"] == "b@example.com" {
            "b"
        } else {
            "a"
        };
        people.insert(format!("admin:{}", admin["id"].as_str().unwrap()), person);
    }
    let mut driver = Driver {
        app,
        rng: Rng(seed),
        creds,
        seed,
        step: 0,
        admitted: 0,
        people,
        kinds: BTreeMap::new(),
        raised: vec![],
    };
    for step in 0..STEPS {
        driver.step = step;
        driver.step().await;
    }
    println!(
        "attenuation model: {STEPS} steps, {} admitted ({:?}), {} credentials",
        driver.admitted,
        driver.kinds,
        driver.creds.len()
    );
    // A run that admits next to nothing proves nothing.
    assert!(
        driver.admitted >= STEPS / 10,
        "seed {seed}: only {} of {STEPS} steps admitted",
        driver.admitted
    );
    for kind in ["create", "update", "elevate"] {
        assert!(
            driver.kinds.get(kind).is_some_and(|n| *n > 0),
            "seed {seed}: no {kind} admitted: {:?}",
            driver.kinds
        );
    }
}
