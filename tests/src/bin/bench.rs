//! `scripts/bench`: load figures for the edge. Starts a fresh worker under
//! `wrangler dev` (as the tests do) and a local upstream, creates tokens,
//! then drives each scenario for a fixed time over loopback and prints
//! requests/s and latency percentiles:
//!
//! (a) a validated API call: `GET /api/v1/whoami` with a scoped token
//!     (authentication, rate limiter, audit);
//! (b) a gateway route to the local upstream (authentication, rate
//!     limiter, grants, signed proxying, audit);
//! (c) a malformed token: rejected from its shape, no storage touched.
//!
//! `BENCH_SECONDS` (default 10) and `BENCH_CONNECTIONS` (default 32).

use keyward_tests::spawn_app_with;
use keyward_tests::upstream::Upstream;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Scenario {
    name: &'static str,
    method: reqwest::Method,
    url: String,
    secret: String,
    expect: u16,
}

struct Figures {
    requests: usize,
    unexpected: usize,
    elapsed: Duration,
    latencies_us: Vec<u64>,
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn drive(s: Arc<Scenario>, connections: usize, duration: Duration) -> Figures {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    // Warm-up: open the connections and the isolate's caches, unmeasured.
    let warm_until = Instant::now() + Duration::from_secs(1);
    let start_at = warm_until;
    let stop_at = start_at + duration;
    let mut tasks = vec![];
    for _ in 0..connections {
        let client = client.clone();
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(4096);
            let mut unexpected = 0usize;
            loop {
                let t0 = Instant::now();
                if t0 >= stop_at {
                    break;
                }
                let r = client
                    .request(s.method.clone(), &s.url)
                    .bearer_auth(&s.secret)
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
    let mut latencies_us = vec![];
    let mut unexpected = 0;
    for t in tasks {
        let (lat, bad) = t.await.expect("load task");
        latencies_us.extend(lat);
        unexpected += bad;
    }
    latencies_us.sort_unstable();
    Figures {
        requests: latencies_us.len(),
        unexpected,
        elapsed: duration,
        latencies_us,
    }
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

#[tokio::main]
async fn main() {
    let seconds = env_num("BENCH_SECONDS", 10);
    let connections = env_num("BENCH_CONNECTIONS", 32) as usize;
    let upstream = Upstream::start_quiet().await;
    eprintln!("starting wrangler dev …");
    let app = spawn_app_with(&[
        ("UPSTREAM_URL", &upstream.url),
        ("GATEWAY_SIGNING_KEY", "bench-signing-key"),
        // Every benchmark token has its own (maximum) limit; the default
        // only has to let the admin's setup through.
        ("DEFAULT_RATE_LIMIT", "100000"),
    ])
    .await;
    let make = |name: &'static str, grants: serde_json::Value| {
        let app = &app;
        async move {
            let r = app
                .post(
                    "/api/v1/tokens",
                    &app.admin_secret,
                    json!({"name": name, "grants": grants, "rate_limit": 100000}),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.text);
            r.json()["secret"].as_str().expect("secret").to_string()
        }
    };
    let api_token = make("bench-api", json!([])).await;
    let gw_token = make(
        "bench-gateway",
        json!([{"service": "components", "permission": "run", "resource": "bench"}]),
    )
    .await;
    let scenarios = [
        Scenario {
            name: "(a) GET /api/v1/whoami, valid scoped token",
            method: reqwest::Method::GET,
            url: app.url("/api/v1/whoami"),
            secret: api_token,
            expect: 200,
        },
        Scenario {
            name: "(b) POST /gw/components/bench/run → local upstream",
            method: reqwest::Method::POST,
            url: app.url("/gw/components/bench/run"),
            secret: gw_token,
            expect: 200,
        },
        Scenario {
            name: "(c) GET /api/v1/whoami, malformed token (401)",
            method: reqwest::Method::GET,
            url: app.url("/api/v1/whoami"),
            secret: "kw_s_not-a-real-secret".into(),
            expect: 401,
        },
    ];
    println!(
        "keyward bench: wrangler dev (workerd, local), loopback, {connections} connections, {seconds} s per scenario, {} CPU cores",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    println!(
        "{:<52} {:>9} {:>8} {:>8} {:>8} {:>8} {:>6}",
        "scenario", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors"
    );
    for s in scenarios {
        let s = Arc::new(s);
        let f = drive(s.clone(), connections, Duration::from_secs(seconds)).await;
        println!(
            "{:<52} {:>9.0} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>6}",
            s.name,
            f.requests as f64 / f.elapsed.as_secs_f64(),
            pct(&f.latencies_us, 0.50),
            pct(&f.latencies_us, 0.95),
            pct(&f.latencies_us, 0.99),
            pct(&f.latencies_us, 1.0),
            f.unexpected
        );
    }
    drop(app);
}
