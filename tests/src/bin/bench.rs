//! `scripts/bench`: Keyward against its yardsticks, in one run with the
//! same settings, on the same runtime (`wrangler dev --local`, workerd),
//! over loopback. One scenario at a time, each for `BENCH_SECONDS`
//! (default 10) over `BENCH_CONNECTIONS` (default 32) connections after a
//! second of unmeasured warm-up:
//!
//! 1. a bare JS worker answering 200 (the JS ceiling, `bench/ref-bare`);
//! 2. a bare workers-rs worker answering 200 (the Rust ceiling,
//!    `bench/bare-rs`, built like Keyward's worker);
//!    (2b: the same behind an `[assets]` router, for context);
//! 3. the hand-written check a team would write instead (`bench/ref-check`:
//!    SHA-256 of the bearer, one KV get, one grant);
//! 4. Keyward's validated `GET /api/v1/whoami` with one token, and with
//!    1,000 distinct tokens: first one measured pass over all of them (each
//!    token's first use), then timed runs, each after an unmeasured pass
//!    (every token used a moment before, as under steady traffic), every
//!    connection cycling round-robin through its own offset;
//! 5. a gateway route to a local upstream;
//! 6. a malformed token (refused from its shape).
//!
//! Every worker is started first; then 4b runs once and the rest in
//! `BENCH_ROUNDS` (default 2) rounds, each scenario's best round counting.
//!
//! Then every goal with its verdict, the CPU comparisons, the cold starts
//! (module compile in a fresh V8 + a fresh runtime's first answer) and
//! the gzipped size of each worker's wasm.

use keyward_domain::secret::hash_str;
use keyward_domain::TokenKind;
use keyward_tests::upstream::Upstream;
use keyward_tests::{mint, repo_root, spawn_app_as_deployed};
use serde_json::json;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Scenario {
    name: &'static str,
    method: reqwest::Method,
    url: String,
    /// Every connection cycles through these, each from its own offset.
    secrets: Vec<String>,
    expect: u16,
    /// One pass over `secrets` instead of a timed run: each connection
    /// sends its share once, no warm-up, all measured.
    one_pass: bool,
    /// The process group of the runtime serving it (wrangler, workerd).
    server: i32,
}

struct Figures {
    rps: f64,
    p50: f64,
    p95: f64,
    p99: f64,
    unexpected: usize,
    /// Server CPU time per call at a fixed rate (see [`cost`]), in
    /// microseconds; not measured for one-pass scenarios.
    cpu_us: f64,
}

/// CPU time (user + system) of every process in a group, in seconds.
fn group_cpu_seconds(pgid: i32) -> f64 {
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let mut total = 0u64;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // Fields after the command name (which may hold spaces): state,
        // ppid, pgrp, …, utime (14th of the line), stime (15th).
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        if f.len() > 12 && f[2].parse::<i32>() == Ok(pgid) {
            total += f[11].parse::<u64>().unwrap_or(0) + f[12].parse::<u64>().unwrap_or(0);
        }
    }
    total as f64 / ticks
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn drive(s: Arc<Scenario>, connections: usize, duration: Duration) -> Figures {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    // Warm-up: open the connections and the isolate's caches, unmeasured.
    let began = Instant::now();
    let start_at = if s.one_pass {
        began
    } else {
        began + Duration::from_secs(1)
    };
    let stop_at = start_at + duration;
    let share = s.secrets.len().div_ceil(connections);
    let mut tasks = vec![];
    for c in 0..connections {
        let client = client.clone();
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(4096);
            let mut unexpected = 0usize;
            let first = c * share;
            let mut i = first;
            loop {
                let t0 = Instant::now();
                let done = if s.one_pass {
                    i >= (first + share).min(s.secrets.len())
                } else {
                    t0 >= stop_at
                };
                if done {
                    break;
                }
                let secret = &s.secrets[i % s.secrets.len()];
                i += 1;
                let r = client
                    .request(s.method.clone(), &s.url)
                    .bearer_auth(secret)
                    .send()
                    .await;
                let ok = match r {
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        let _ = resp.bytes().await;
                        status == s.expect
                    }
                    Err(_) => false,
                };
                if t0 >= start_at {
                    lat.push(t0.elapsed().as_micros() as u64);
                    if !ok {
                        unexpected += 1;
                    }
                }
            }
            (lat, unexpected)
        }));
    }
    let mut latencies = vec![];
    let mut unexpected = 0;
    for t in tasks {
        let (lat, bad) = t.await.expect("load task");
        latencies.extend(lat);
        unexpected += bad;
    }
    latencies.sort_unstable();
    let measured = if s.one_pass {
        began.elapsed()
    } else {
        duration
    };
    Figures {
        rps: latencies.len() as f64 / measured.as_secs_f64(),
        p50: pct(&latencies, 0.50),
        p95: pct(&latencies, 0.95),
        p99: pct(&latencies, 0.99),
        unexpected,
        cpu_us: f64::NAN,
    }
}

/// Calls per second offered when measuring a call's cost: below every
/// scenario's capacity on two cores, so each server does the same work.
const COST_RATE: u64 = 250;

/// The server CPU time one call costs, in microseconds: `COST_RATE` calls
/// a second for `seconds`, open loop, over the scenario's secrets, then
/// what they left behind (audit batches) for another 1.5 s. Unlike req/s
/// under saturation, this hardly depends on the load driver sharing the
/// cores, nor on other tenants of the machine.
async fn cost(s: Arc<Scenario>, seconds: u64) -> f64 {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let calls = COST_RATE * seconds;
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / COST_RATE));
    let before = group_cpu_seconds(s.server);
    let mut sent = tokio::task::JoinSet::new();
    for i in 0..calls as usize {
        tick.tick().await;
        let (client, s) = (client.clone(), s.clone());
        sent.spawn(async move {
            let r = client
                .request(s.method.clone(), &s.url)
                .bearer_auth(&s.secrets[i % s.secrets.len()])
                .send()
                .await;
            if let Ok(resp) = r {
                let _ = resp.bytes().await;
            }
        });
    }
    while sent.join_next().await.is_some() {}
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    (group_cpu_seconds(s.server) - before) * 1e6 / calls as f64
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

/// A reference worker under its own `wrangler dev`, on its own port and
/// state; the whole process group stops on drop.
struct Wrangler {
    child: Option<Child>,
    base_url: String,
    state: PathBuf,
    log_path: PathBuf,
    started: Instant,
}

fn wrangler_cmd() -> Command {
    let mut cmd = Command::new("node");
    cmd.arg(repo_root().join("node_modules/wrangler/bin/wrangler.js"))
        .current_dir(repo_root())
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env_remove("CI")
        .stdin(Stdio::null());
    cmd
}

impl Wrangler {
    fn state_dir(label: &str) -> PathBuf {
        let dir = repo_root()
            .join("target/bench-state")
            .join(format!("{}-{label}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("state dir");
        dir
    }

    /// Starts `wrangler dev` with `config`, or Keyward's two workers
    /// (`scripts/dev.mjs`) without one, persisting to `persist`; returns
    /// at once (see [`Wrangler::ready`]).
    fn spawn(
        config: Option<&Path>,
        persist: &Path,
        state: PathBuf,
        vars: &[(&str, String)],
    ) -> Wrangler {
        let port = free_port();
        let log_path = state.join("wrangler.log");
        let log = std::fs::File::create(&log_path).expect("log file");
        let mut cmd = match config {
            Some(config) => {
                let mut cmd = wrangler_cmd();
                cmd.arg("dev").arg("--config").arg(config);
                cmd
            }
            None => {
                let mut keyward = Command::new("node");
                keyward
                    .arg(repo_root().join("scripts/dev.mjs"))
                    .arg("--state")
                    .arg(&state)
                    .current_dir(repo_root())
                    .env("WRANGLER_SEND_METRICS", "false")
                    .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
                    .env_remove("CI")
                    .stdin(Stdio::null());
                keyward
            }
        };
        cmd.args(["--local", "--ip", "127.0.0.1"])
            .args(["--port", &port.to_string()])
            .args(["--inspector-port", &free_port().to_string()])
            .arg("--persist-to")
            .arg(persist)
            .stdout(Stdio::from(log.try_clone().expect("log")))
            .stderr(Stdio::from(log))
            .process_group(0);
        for (k, v) in vars {
            cmd.arg("--var").arg(format!("{k}:{v}"));
        }
        let started = Instant::now();
        Wrangler {
            child: Some(cmd.spawn().expect("wrangler starts")),
            base_url: format!("http://127.0.0.1:{port}"),
            state,
            log_path,
            started,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Waits for wrangler's "Ready on" line, without sending a request.
    async fn ready(&mut self) -> Instant {
        match self.try_ready().await {
            Ok(at) => at,
            Err(log) => panic!("{log}"),
        }
    }

    /// Like [`Wrangler::ready`]; `Err` with the log if wrangler exited.
    async fn try_ready(&mut self) -> Result<Instant, String> {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if self.log().contains("Ready on") {
                return Ok(Instant::now());
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                // Exited: nothing of it is left to stop, and its state
                // stays for another try.
                self.child = None;
                return Err(format!("wrangler exited ({status}): {}", self.log()));
            }
            assert!(
                Instant::now() < deadline,
                "wrangler not ready in 90 s: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// A reference worker: ready, and answering.
    async fn start(label: &str, config: &str) -> Wrangler {
        let state = Self::state_dir(label);
        let persist = state.join("persist");
        Self::start_on(label, config, &persist, state).await
    }

    async fn start_on(label: &str, config: &str, persist: &Path, state: PathBuf) -> Wrangler {
        eprintln!("starting {label} …");
        // A port found free can be taken by another runtime's own loopback
        // sockets before wrangler binds it: then again, on new ports.
        let mut attempt = 1;
        let w = loop {
            let mut w = Self::spawn(Some(&repo_root().join(config)), persist, state.clone(), &[]);
            match w.try_ready().await {
                Ok(_) => break w,
                Err(log) if attempt < 5 && log.contains("Address already in use") => attempt += 1,
                Err(log) => panic!("{label}: {log}"),
            }
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while client.get(&w.base_url).send().await.is_err() {
            assert!(Instant::now() < deadline, "{label} does not answer");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        w
    }
}

impl Wrangler {
    fn pgid(&self) -> i32 {
        self.child.as_ref().map(|c| c.id() as i32).unwrap_or(0)
    }
}

impl Drop for Wrangler {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pgid = child.id() as i32;
        unsafe {
            libc::kill(-pgid, libc::SIGINT);
        }
        let deadline = Instant::now() + Duration::from_secs(8);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
        let _ = child.wait();
        let _ = std::fs::remove_dir_all(&self.state);
    }
}

/// Writes one record into the reference check's local KV before it starts.
fn seed_kv(persist: &Path, key: &str, value: &str) {
    let out = wrangler_cmd()
        .args(["kv", "key", "put", key, value, "--binding", "TOKENS"])
        .arg("--config")
        .arg(repo_root().join("bench/ref-check/wrangler.toml"))
        .arg("--local")
        .arg("--persist-to")
        .arg(persist)
        .output()
        .expect("wrangler kv key put runs");
    assert!(
        out.status.success(),
        "seeding KV failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn gzipped_size(path: &Path) -> Option<(u64, u64)> {
    let raw = std::fs::metadata(path).ok()?.len();
    let out = Command::new("gzip").arg("-9c").arg(path).output().ok()?;
    out.status
        .success()
        .then_some((raw, out.stdout.len() as u64))
}

fn first_file(dir: &Path, suffix: &str) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(suffix))
}

struct Table {
    rows: Vec<(&'static str, Figures)>,
}

impl Table {
    fn header() {
        println!(
            "{:<58} {:>9} {:>8} {:>8} {:>8} {:>6} {:>9}",
            "scenario", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "µs/call"
        );
    }

    fn print(name: &str, f: &Figures) {
        println!(
            "{:<58} {:>9.0} {:>8.2} {:>8.2} {:>8.2} {:>6} {:>9.0}",
            name, f.rps, f.p50, f.p95, f.p99, f.unexpected, f.cpu_us
        );
    }

    async fn run(&mut self, s: Arc<Scenario>, connections: usize, seconds: u64) {
        if s.secrets.len() > connections && !s.one_pass {
            // Many tokens: one unmeasured pass over all of them first, so the
            // timed run finds each one used a moment ago (as in steady
            // traffic), whatever ran since its first use.
            let pass = Arc::new(Scenario {
                name: s.name,
                method: s.method.clone(),
                url: s.url.clone(),
                secrets: s.secrets.clone(),
                expect: s.expect,
                one_pass: true,
                server: s.server,
            });
            drive(pass, connections, Duration::ZERO).await;
        }
        let mut f = drive(s.clone(), connections, Duration::from_secs(seconds)).await;
        if !s.one_pass {
            f.cpu_us = cost(s.clone(), seconds.div_ceil(2)).await;
        }
        Self::print(s.name, &f);
        self.rows.push((s.name, f));
    }

    /// A scenario's lowest cost per call over the rounds.
    fn cost_of(&self, name: &str) -> f64 {
        self.rows
            .iter()
            .filter(|(n, f)| *n == name && f.cpu_us.is_finite())
            .map(|(_, f)| f.cpu_us)
            .fold(f64::INFINITY, f64::min)
    }

    /// A scenario's best round (the most calls per second).
    fn get(&self, name: &str) -> &Figures {
        self.rows
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, f)| f)
            .max_by(|a, b| a.rps.total_cmp(&b.rps))
            .expect("ran")
    }
}

const JS_BARE: &str = "1  bare JS worker, 200";
const RS_BARE: &str = "2  bare workers-rs worker, 200";
const RS_ASSETS: &str = "2b bare workers-rs behind an [assets] router";
const JS_CHECK: &str = "3  hand-written JS check (SHA-256, KV get, grant)";
const KW_ONE: &str = "4a Keyward GET /api/v1/whoami, 1 token";
const KW_FIRST: &str = "4b Keyward whoami, 1,000 tokens, first use of each";
const KW_MANY: &str = "4c Keyward whoami, 1,000 tokens round-robin, then";
const KW_GATEWAY: &str = "5  Keyward POST /gw/components/bench/run → upstream";
const KW_MALFORMED: &str = "6  Keyward whoami, malformed token (401)";

#[tokio::main]
async fn main() {
    let seconds = env_num("BENCH_SECONDS", 10);
    let connections = env_num("BENCH_CONNECTIONS", 32) as usize;
    if let Ok(what) = std::env::var("BENCH_PROFILE") {
        return profile(&what, connections, seconds).await;
    }
    let get = reqwest::Method::GET;
    let mut table = Table { rows: vec![] };
    println!(
        "keyward bench: wrangler dev --local (workerd), loopback, {connections} connections, \
         {seconds} s per scenario after 1 s warm-up, one scenario at a time, {} CPU cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    // Every worker is up before anything is measured, and the scenarios
    // run in rounds (`BENCH_ROUNDS`, default 2), each scenario's best round
    // counting: the machine's noise (other tenants, the load driver on the
    // same cores) then hits every row alike instead of one row's run.
    let rounds = env_num("BENCH_ROUNDS", 2).max(1);
    let ref_bare = Wrangler::start("ref-bare", "bench/ref-bare/wrangler.toml").await;
    let bare_rs = Wrangler::start("bare-rs", "bench/bare-rs/wrangler.toml").await;
    let bare_rs_assets =
        Wrangler::start("bare-rs-assets", "bench/bare-rs/wrangler-assets.toml").await;
    let check_secret = mint(TokenKind::Scoped).expose().to_string();
    let ref_check = {
        let state = Wrangler::state_dir("ref-check");
        let persist = state.join("persist");
        let record = json!({
            "id": "tok_bench", "name": "bench", "grants": ["tokens:read"],
            "expires_at": null, "revoked": false,
        });
        seed_kv(&persist, &hash_str(&check_secret).0, &record.to_string());
        let w = Wrangler::start_on(
            "ref-check",
            "bench/ref-check/wrangler.toml",
            &persist,
            state,
        )
        .await;
        let probe = reqwest::Client::new()
            .get(format!("{}/", w.base_url))
            .bearer_auth(&check_secret)
            .send()
            .await
            .expect("the reference check answers");
        assert_eq!(
            probe.status().as_u16(),
            200,
            "the seeded record is not found"
        );
        w
    };

    // Keyward.
    let upstream = Upstream::start_quiet().await;
    eprintln!("starting Keyward …");
    let app = spawn_app_as_deployed(&[
        ("UPSTREAM_URL", &upstream.url),
        ("GATEWAY_SIGNING_KEY", "bench-signing-key"),
        // Every benchmark token has its own (high) limit; the default only
        // has to let the admin's setup through.
        ("DEFAULT_RATE_LIMIT", "1000000"),
    ])
    .await;
    let create = {
        let client = app.client.clone();
        let url = app.url("/api/v1/tokens");
        let admin = app.admin_secret.clone();
        move |name: String, grants: serde_json::Value| {
            let client = client.clone();
            let url = url.clone();
            let admin = admin.clone();
            async move {
                let r = client
                    .post(url)
                    .bearer_auth(admin)
                    .json(&json!({"name": name, "grants": grants, "rate_limit": 100000}))
                    .send()
                    .await
                    .expect("the worker answers");
                let status = r.status().as_u16();
                let body: serde_json::Value = r.json().await.expect("JSON");
                assert_eq!(status, 201, "create token: {body}");
                body["secret"].as_str().expect("secret").to_string()
            }
        }
    };
    let api_token = create("bench-api".into(), json!([])).await;
    let gw_token = create(
        "bench-gateway".into(),
        json!([{"service": "components", "permission": "run", "resource": "bench"}]),
    )
    .await;
    eprintln!("creating 1,000 tokens …");
    let made = Instant::now();
    let mut many = vec![];
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..8usize {
        let create = create.clone();
        workers.spawn(async move {
            let mut out = vec![];
            for i in (w..1000).step_by(8) {
                out.push(create(format!("bench-many-{i:04}"), json!([])).await);
            }
            out
        });
    }
    while let Some(r) = workers.join_next().await {
        many.extend(r.expect("token creation"));
    }
    assert_eq!(many.len(), 1000);
    eprintln!("1,000 tokens in {:.1} s", made.elapsed().as_secs_f64());

    let keyward = app.process_group().expect("Keyward runs");
    let scenario = |name, server, method: &reqwest::Method, url, secrets, expect| {
        Arc::new(Scenario {
            name,
            method: method.clone(),
            url,
            secrets,
            expect,
            one_pass: false,
            server,
        })
    };
    let unused = || vec!["unused-but-sent-as-everywhere".to_string()];
    let whoami = app.url("/api/v1/whoami");
    let timed = [
        scenario(
            JS_BARE,
            ref_bare.pgid(),
            &get,
            format!("{}/", ref_bare.base_url),
            unused(),
            200,
        ),
        scenario(
            RS_BARE,
            bare_rs.pgid(),
            &get,
            format!("{}/", bare_rs.base_url),
            unused(),
            200,
        ),
        scenario(
            RS_ASSETS,
            bare_rs_assets.pgid(),
            &get,
            format!("{}/api/v1/whoami", bare_rs_assets.base_url),
            unused(),
            200,
        ),
        scenario(
            JS_CHECK,
            ref_check.pgid(),
            &get,
            format!("{}/", ref_check.base_url),
            vec![check_secret.clone()],
            200,
        ),
        scenario(
            KW_ONE,
            keyward,
            &get,
            whoami.clone(),
            vec![api_token.clone()],
            200,
        ),
        scenario(KW_MANY, keyward, &get, whoami.clone(), many.clone(), 200),
        scenario(
            KW_GATEWAY,
            keyward,
            &reqwest::Method::POST,
            app.url("/gw/components/bench/run"),
            vec![gw_token],
            200,
        ),
        scenario(
            KW_MALFORMED,
            keyward,
            &get,
            whoami.clone(),
            vec!["kw_s_not-a-real-secret".into()],
            401,
        ),
    ];
    Table::header();
    // Each of the 1,000 tokens' first call, once, before any round.
    table
        .run(
            Arc::new(Scenario {
                name: KW_FIRST,
                method: get.clone(),
                url: whoami.clone(),
                secrets: many,
                expect: 200,
                one_pass: true,
                server: keyward,
            }),
            connections,
            seconds,
        )
        .await;
    for round in 1..=rounds {
        eprintln!("round {round} of {rounds} …");
        for s in &timed {
            table.run(s.clone(), connections, seconds).await;
        }
    }
    drop((ref_bare, bare_rs, bare_rs_assets, ref_check));
    println!();
    println!("best of {rounds} rounds:");
    Table::header();
    for name in [
        JS_BARE,
        RS_BARE,
        RS_ASSETS,
        JS_CHECK,
        KW_ONE,
        KW_FIRST,
        KW_MANY,
        KW_GATEWAY,
        KW_MALFORMED,
    ] {
        Table::print(name, table.get(name));
    }

    // Cold starts, each in a fresh runtime on the same state: Keyward's
    // two workers (the edge answers) and the bare workers-rs worker.
    let mut app = app;
    app.stop();
    let keyward_vars = [
        ("BOOTSTRAP_TOKEN_HASH", hash_str(&app.admin_secret).0),
        ("DEFAULT_RATE_LIMIT", "1000000".into()),
        ("PUBLIC_BASE_URL", app.base_url.clone()),
    ];
    let runs = env_num("BENCH_COLD_RUNS", 5).max(1) as usize;
    eprintln!("cold starts: {runs} fresh runtimes each …");
    let bare_state = Wrangler::state_dir("bare-rs-cold");
    let bare_config = repo_root().join("bench/bare-rs/wrangler.toml");
    let mut kw_cold = vec![];
    let mut bare_cold = vec![];
    for _ in 0..runs {
        kw_cold.push(
            cold_start(
                None,
                &app.persist_dir,
                &keyward_vars,
                "/api/v1/whoami",
                &api_token,
            )
            .await,
        );
        bare_cold.push(
            cold_start(
                Some(&bare_config),
                &bare_state.join("persist"),
                &[],
                "/",
                "unused",
            )
            .await,
        );
    }
    let _ = std::fs::remove_dir_all(&bare_state);
    drop(app);
    drop(upstream);
    let root = repo_root();
    let edge_wasm = root.join("worker/build-edge/index_bg.wasm");
    let control_wasm = root.join("worker/build/index_bg.wasm");
    let bare_wasm = root.join("bench/bare-rs/build/index_bg.wasm");
    let compiled = compile_ms(runs, &[&edge_wasm, &control_wasm, &bare_wasm]);
    let (edge_compile, control_compile, bare_compile) = (compiled[0], compiled[1], compiled[2]);
    let kw_first = median(kw_cold.iter().map(|c| c.1).collect());
    let bare_first = median(bare_cold.iter().map(|c| c.1).collect());
    let kw_cold_ms = edge_compile + kw_first;
    let bare_cold_ms = bare_compile + bare_first;
    let edge_gz = gzipped_size(&edge_wasm).map(|(_, gz)| gz as f64 / 1024.0);

    let one = table.get(KW_ONE);
    let cpu_vs_check = table.cost_of(KW_ONE) / table.cost_of(JS_CHECK);
    let ratios = [
        (
            "Keyward 1 token ÷ JS check, req/s",
            one.rps / table.get(JS_CHECK).rps,
            ">=",
            1.0,
        ),
        (
            "Keyward 1 token ÷ bare workers-rs, req/s",
            one.rps / table.get(RS_BARE).rps,
            ">=",
            0.90,
        ),
        (
            "Keyward 1 token p99 ÷ JS check p99",
            one.p99 / table.get(JS_CHECK).p99,
            "<=",
            1.2,
        ),
        (
            "Keyward 1 token ÷ JS check, server CPU/call",
            cpu_vs_check,
            "<=",
            1.0,
        ),
        (
            "Keyward 1,000 tokens (4c) ÷ 1 token, req/s",
            table.get(KW_MANY).rps / one.rps,
            ">=",
            0.9,
        ),
        (
            "Keyward malformed ÷ bare workers-rs, req/s",
            table.get(KW_MALFORMED).rps / table.get(RS_BARE).rps,
            ">=",
            0.95,
        ),
        (
            "Keyward gateway ÷ validated call, req/s",
            table.get(KW_GATEWAY).rps / one.rps,
            ">=",
            0.8,
        ),
        (
            "edge worker cold start ÷ bare workers-rs",
            kw_cold_ms / bare_cold_ms,
            "<=",
            2.0,
        ),
        (
            "edge worker wasm, KiB gzipped",
            edge_gz.unwrap_or(f64::INFINITY),
            "<=",
            350.0,
        ),
    ];
    println!();
    println!("{:<46} {:>7} {:>9}  verdict", "goal", "value", "target");
    let mut missed = 0;
    for (name, value, op, goal) in ratios {
        let met = if op == ">=" {
            value >= goal
        } else {
            value <= goal
        };
        missed += usize::from(!met);
        println!(
            "{name:<46} {value:>7.2} {op:>3} {goal:<5.2} {}",
            if met { "met" } else { "missed" }
        );
    }
    println!("{} of {} goals met", 9 - missed, 9);
    // Not a goal: the [assets] hop a worker with the app's assets pays
    // (the control plane's; the edge has none).
    println!(
        "{:<46} {:>7.2}  (context: the [assets] hop alone)",
        "bare workers-rs behind [assets] ÷ bare, req/s",
        table.get(RS_ASSETS).rps / table.get(RS_BARE).rps
    );
    // The same comparisons in server CPU per call (the runtime's processes
    // only, so the load driver's share of the two cores and other tenants
    // of the machine weigh less): how much more work a call costs.
    println!();
    println!(
        "server CPU per call at {COST_RATE} calls/s (wrangler and workerd, audit work included):"
    );
    for (name, a, b) in [
        ("Keyward 1 token ÷ JS check", KW_ONE, JS_CHECK),
        ("Keyward 1 token ÷ bare workers-rs", KW_ONE, RS_BARE),
        ("Keyward 1,000 tokens ÷ 1 token", KW_MANY, KW_ONE),
        ("Keyward gateway ÷ 1 token", KW_GATEWAY, KW_ONE),
        ("Keyward malformed ÷ bare workers-rs", KW_MALFORMED, RS_BARE),
        (
            "bare workers-rs [assets] ÷ bare workers-rs",
            RS_ASSETS,
            RS_BARE,
        ),
    ] {
        let (x, y) = (table.cost_of(a), table.cost_of(b));
        println!("{name:<46} {:>7.2}  ({x:.0} µs ÷ {y:.0} µs)", x / y);
    }

    println!();
    println!(
        "cold start, median of {runs} fresh runtimes: module compile (a fresh Chromium V8) + \
         wrangler's \"Ready\" → first answer"
    );
    for (name, compile, first, spawned) in [
        (
            "Keyward edge, first validated whoami",
            edge_compile,
            kw_first,
            median(kw_cold.iter().map(|c| c.0).collect()),
        ),
        (
            "bare workers-rs, first answer",
            bare_compile,
            bare_first,
            median(bare_cold.iter().map(|c| c.0).collect()),
        ),
    ] {
        println!(
            "  {name:<40} {:>6.1} ms  ({compile:.1} ms compile + {first:.1} ms first answer; \
             {spawned:.0} ms from spawn to \"Ready\")",
            compile + first
        );
    }
    println!("  (the control plane's module, for comparison: {control_compile:.1} ms compile)");

    println!();
    let bundles = [
        (
            "edge worker (worker/build-edge/index_bg.wasm)",
            Some(edge_wasm),
        ),
        (
            "control-plane worker (worker/build/index_bg.wasm)",
            Some(control_wasm),
        ),
        (
            "admin app (dist/*_bg.wasm)",
            first_file(&root.join("dist"), "_bg.wasm"),
        ),
        (
            "bare workers-rs (bench/bare-rs/build/index_bg.wasm)",
            Some(bare_wasm),
        ),
    ];
    for (name, path) in bundles {
        match path.as_deref().and_then(gzipped_size) {
            Some((raw, gz)) => println!(
                "bundle: {name:<52} {:>7.1} KiB gzipped ({:.1} KiB raw)",
                gz as f64 / 1024.0,
                raw as f64 / 1024.0
            ),
            None => println!("bundle: {name:<52} not found"),
        }
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(f64::NAN)
}

/// A fresh runtime (Keyward's two workers without `config`): milliseconds
/// from spawn to wrangler's "Ready", and from "Ready" to the first answer
/// to `path` (nothing else has reached its isolates).
async fn cold_start(
    config: Option<&Path>,
    persist: &Path,
    vars: &[(&str, String)],
    path: &str,
    secret: &str,
) -> (f64, f64) {
    let state = Wrangler::state_dir("cold");
    let mut w = Wrangler::spawn(config, persist, state, vars);
    let ready = w.ready().await;
    let since_spawn = ready - w.started;
    let r = reqwest::Client::new()
        .get(format!("{}{path}", w.base_url))
        .bearer_auth(secret)
        .send()
        .await
        .expect("the fresh worker answers");
    let status = r.status().as_u16();
    let _ = r.bytes().await;
    let first = ready.elapsed();
    assert_eq!(status, 200, "first call on a fresh runtime: {}", w.log());
    (
        since_spawn.as_secs_f64() * 1000.0,
        first.as_secs_f64() * 1000.0,
    )
}

/// Milliseconds V8 takes to compile each module, the median of `runs`
/// fresh pages of headless Chromium (`bench/compile.mjs`; the engine
/// workerd runs): what an isolate pays before its first answer.
fn compile_ms(runs: usize, wasm: &[&Path]) -> Vec<f64> {
    let out = Command::new("node")
        .arg(repo_root().join("bench/compile.mjs"))
        .arg(runs.to_string())
        .args(wasm)
        .output()
        .expect("node runs");
    let figures: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    wasm.iter()
        .map(|w| {
            figures[w.to_string_lossy().as_ref()]
                .as_f64()
                .unwrap_or(f64::NAN)
        })
        .collect()
}

/// `BENCH_PROFILE=whoami|malformed scripts/bench`: instead of the table,
/// Keyward alone under one scenario's load while `bench/profile.mjs`
/// samples its isolate through the inspector; prints where the CPU goes
/// and leaves the profile in `target/bench-profile-<what>.cpuprofile`.
async fn profile(what: &str, connections: usize, seconds: u64) {
    let app = spawn_app_as_deployed(&[("DEFAULT_RATE_LIMIT", "1000000")]).await;
    let r = app
        .client
        .post(app.url("/api/v1/tokens"))
        .bearer_auth(&app.admin_secret)
        .json(&json!({"name": "bench-api", "grants": [], "rate_limit": 100000}))
        .send()
        .await
        .expect("the worker answers");
    let body: serde_json::Value = r.json().await.expect("JSON");
    let secret = body["secret"].as_str().expect("secret").to_string();
    let (secret, expect) = match what {
        "malformed" => ("kw_s_not-a-real-secret".to_string(), 401),
        _ => (secret, 200),
    };
    let s = Arc::new(Scenario {
        name: "profiled",
        method: reqwest::Method::GET,
        url: app.url("/api/v1/whoami"),
        secrets: vec![secret],
        expect,
        one_pass: false,
        server: app.process_group().expect("Keyward runs"),
    });
    let out = repo_root().join(format!("target/bench-profile-{what}.cpuprofile"));
    let load = tokio::spawn(drive(s, connections, Duration::from_secs(seconds + 1)));
    // Sample the steady state: after the warm-up, before the end.
    tokio::time::sleep(Duration::from_secs(2)).await;
    // wrangler's inspector proxies one worker; workerd's own ports list
    // each (the profiler picks the edge).
    let mut ports = vec![app.inspector_port];
    ports.extend(listening_ports(app.process_group().expect("Keyward runs")));
    let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
    let status = tokio::process::Command::new("node")
        .arg(repo_root().join("bench/profile.mjs"))
        .arg(ports.join(","))
        .arg(seconds.saturating_sub(2).max(1).to_string())
        .arg(&out)
        .status()
        .await
        .expect("node runs");
    let f = load.await.expect("load");
    println!(
        "{what}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} unexpected answers (while profiled)",
        f.rps, f.p50, f.p99, f.unexpected
    );
    assert!(status.success(), "the profiler failed");
}

/// The loopback TCP ports the processes of group `pgid` listen on.
fn listening_ports(pgid: i32) -> Vec<u16> {
    let text = |cmd: &mut Command| {
        cmd.output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    };
    let pids: Vec<String> = text(Command::new("pgrep").arg("-g").arg(pgid.to_string()))
        .lines()
        .map(|p| format!("pid={},", p.trim()))
        .collect();
    text(Command::new("ss").arg("-ltnpH"))
        .lines()
        .filter(|line| pids.iter().any(|p| line.contains(p.as_str())))
        .filter_map(|line| {
            let local = line.split_whitespace().nth(3)?;
            local.rsplit_once(':')?.1.parse().ok()
        })
        .collect()
}
