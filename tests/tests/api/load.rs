//! Load: 60 s at 64 connections on the validated API path and on a gateway
//! route to a local upstream. Every answer must be the expected one (no
//! errors, no unexpected statuses), and workerd's memory must not run away;
//! the figures are printed. `KEYWARD_LOAD_SECONDS` shortens the run.
//!
//! Under `wrangler dev` workerd's RSS grows with every request, static
//! assets (no Keyward code at all) included, at a similar rate per request:
//! that growth belongs to the local dev runtime. The bound below catches
//! growth that accelerates in the second minute, which would be ours.

use keyward_tests::spawn_app_with;
use keyward_tests::upstream::Upstream;
use serde_json::json;
use std::time::{Duration, Instant};

fn load_seconds() -> u64 {
    std::env::var("KEYWARD_LOAD_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60)
}

/// Resident memory of the workerd processes under this app's process group.
fn workerd_rss_kib(group: i32) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // Field 5 (after the parenthesised name) is the process group.
        let Some(rest) = stat.rsplit_once(") ").map(|(_, r)| r) else {
            continue;
        };
        let pgrp: i32 = rest
            .split(' ')
            .nth(2)
            .and_then(|p| p.parse().ok())
            .unwrap_or(-1);
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if pgrp == group && comm.trim() == "workerd" {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            total += status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    total
}

struct Figures {
    ok: usize,
    bad: usize,
    p50_ms: f64,
    p99_ms: f64,
    per_second: f64,
}

async fn drive(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    secret: String,
    expect: u16,
    seconds: u64,
) -> Figures {
    let stop = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = vec![];
    for _ in 0..64 {
        let (client, method, url, secret) =
            (client.clone(), method.clone(), url.clone(), secret.clone());
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut bad, mut lat) = (0usize, 0usize, vec![]);
            while Instant::now() < stop {
                let t0 = Instant::now();
                let r = client
                    .request(method.clone(), &url)
                    .bearer_auth(&secret)
                    .send()
                    .await;
                match r {
                    Ok(resp) if resp.status().as_u16() == expect => {
                        let _ = resp.bytes().await;
                        ok += 1;
                    }
                    Ok(resp) => {
                        eprintln!(
                            "unexpected {}: {}",
                            resp.status(),
                            resp.text().await.unwrap_or_default()
                        );
                        bad += 1;
                    }
                    Err(e) => {
                        eprintln!("error: {e}");
                        bad += 1;
                    }
                }
                lat.push(t0.elapsed().as_micros() as u64);
            }
            (ok, bad, lat)
        }));
    }
    let (mut ok, mut bad, mut lat) = (0, 0, vec![]);
    for t in tasks {
        let (o, b, l) = t.await.expect("task");
        ok += o;
        bad += b;
        lat.extend(l);
    }
    lat.sort_unstable();
    let pick = |q: f64| {
        lat.get(((lat.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or(0) as f64
            / 1000.0
    };
    Figures {
        ok,
        bad,
        p50_ms: pick(0.5),
        p99_ms: pick(0.99),
        per_second: (ok + bad) as f64 / started.elapsed().as_secs_f64(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_seconds_at_64_connections() {
    let upstream = Upstream::start_quiet().await;
    let app = spawn_app_with(&[
        ("UPSTREAM_URL", upstream.url.as_str()),
        ("GATEWAY_SIGNING_KEY", "load-signing-key"),
        ("DEFAULT_RATE_LIMIT", "1000000"),
    ])
    .await;
    let (_, api_secret) = app
        .create_token(
            "load-api",
            json!([{"service": "storage", "permission": "read", "resource": "*"}]),
        )
        .await;
    let (_, gw_secret) = app
        .create_token(
            "load-gw",
            json!([{"service": "components", "permission": "run", "resource": "load"}]),
        )
        .await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let group = app.process_group().expect("running");
    let seconds = load_seconds();
    let rss_start = workerd_rss_kib(group);
    assert!(rss_start > 0, "workerd found");
    let api = drive(
        &client,
        reqwest::Method::GET,
        app.url("/api/v1/whoami"),
        api_secret,
        200,
        seconds,
    )
    .await;
    let rss_mid = workerd_rss_kib(group);
    let gw = drive(
        &client,
        reqwest::Method::POST,
        app.url("/gw/components/load/run"),
        gw_secret,
        200,
        seconds,
    )
    .await;
    let rss_end = workerd_rss_kib(group);
    for (name, f) in [
        ("validated GET /api/v1/whoami", &api),
        ("gateway POST /gw/components/load/run", &gw),
    ] {
        println!(
            "load: {name}: {} ok, {} errors or unexpected, {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms",
            f.ok, f.bad, f.per_second, f.p50_ms, f.p99_ms
        );
    }
    println!(
        "load: workerd RSS start {} MiB, after API {} MiB, end {} MiB",
        rss_start / 1024,
        rss_mid / 1024,
        rss_end / 1024
    );
    assert_eq!(api.bad, 0, "errors or unexpected statuses on the API path");
    assert_eq!(gw.bad, 0, "errors or unexpected statuses on the gateway");
    assert!(api.ok > 100 && gw.ok > 100, "the load ran");
    // Not running away: the second minute may not grow memory faster per
    // request than the first (the dev runtime's own growth is per request).
    let per_request = |from: u64, to: u64, requests: usize| {
        to.saturating_sub(from) as f64 / requests.max(1) as f64
    };
    let first = per_request(rss_start, rss_mid, api.ok + api.bad);
    let second = per_request(rss_mid, rss_end, gw.ok + gw.bad);
    println!("load: workerd growth {first:.1} KiB per request in the first minute, {second:.1} in the second");
    assert!(
        second <= 2.0 * first + 32.0,
        "workerd memory growth accelerated: {first:.1} then {second:.1} KiB per request"
    );
}
