//! A local stand-in for the origin behind the gateway: an HTTP/1.1 server
//! (keep-alive, Content-Length or chunked bodies) that records every request
//! and echoes it back as JSON, so tests can see exactly what the gateway
//! forwarded. It also serves a JWKS for the JWT tests.
//!
//! The query steers the answer: `status=NNN` answers that status,
//! `delay_ms=N` waits before answering (a slow upstream).

use serde_json::{json, Map, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as the upstream received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    /// The request-target: path and query, as on the request line.
    pub target: String,
    /// Header names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k == &name.to_ascii_lowercase())
            .map(|(_, v)| v.clone())
    }
}

#[derive(Clone)]
pub struct Upstream {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    jwks: Arc<Mutex<Value>>,
    /// GitHub's secret scanning key set, as `/meta/public_keys/secret_scanning`.
    scanning_keys: Arc<Mutex<Value>>,
    /// When false, requests are not recorded (the benchmark).
    record: bool,
}

impl Upstream {
    pub async fn start() -> Upstream {
        Self::start_with(true).await
    }

    /// An upstream that keeps no record (for load).
    pub async fn start_quiet() -> Upstream {
        Self::start_with(false).await
    }

    async fn start_with(record: bool) -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let upstream = Upstream {
            url,
            received: Arc::default(),
            jwks: Arc::new(Mutex::new(json!({"keys": []}))),
            scanning_keys: Arc::new(Mutex::new(json!({"public_keys": []}))),
            record,
        };
        let u = upstream.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let u = u.clone();
                tokio::spawn(async move { u.serve(stream).await });
            }
        });
        upstream
    }

    /// The URL at which [`Upstream::set_jwks`]'s document is served.
    pub fn jwks_url(&self) -> String {
        format!("{}/.well-known/jwks.json", self.url)
    }

    pub fn set_jwks(&self, jwks: Value) {
        *self.jwks.lock().expect("lock") = jwks;
    }

    /// The URL at which [`Upstream::set_scanning_keys`]'s key set is
    /// served, at GitHub's path.
    pub fn scanning_keys_url(&self) -> String {
        format!("{}/meta/public_keys/secret_scanning", self.url)
    }

    pub fn set_scanning_keys(&self, keys: Value) {
        *self.scanning_keys.lock().expect("lock") = keys;
    }

    /// How often the scanning key set was fetched.
    pub fn scanning_key_fetches(&self) -> usize {
        self.received()
            .iter()
            .filter(|r| r.target.starts_with("/meta/public_keys/"))
            .count()
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }

    /// The requests other than JWKS fetches.
    pub fn calls(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| {
                !r.target.starts_with("/.well-known/")
                    && !r.target.starts_with("/meta/public_keys/")
            })
            .collect()
    }

    pub fn last(&self) -> Option<Received> {
        self.calls().pop()
    }

    async fn serve(&self, mut stream: TcpStream) {
        let mut buf: Vec<u8> = Vec::new();
        loop {
            let Some(req) = read_request(&mut stream, &mut buf).await else {
                return;
            };
            if self.record {
                self.received.lock().expect("lock").push(req.clone());
            }
            let response = self.answer(&req).await;
            if stream.write_all(&response).await.is_err() {
                return;
            }
        }
    }

    async fn answer(&self, req: &Received) -> Vec<u8> {
        if req.target.starts_with("/.well-known/jwks.json") {
            let body = self.jwks.lock().expect("lock").to_string();
            return response(200, "application/json", &[], body.as_bytes());
        }
        if req.target.starts_with("/meta/public_keys/secret_scanning") {
            let body = self.scanning_keys.lock().expect("lock").to_string();
            return response(200, "application/json", &[], body.as_bytes());
        }
        let query: Map<String, Value> = req
            .target
            .split_once('?')
            .map(|(_, q)| {
                q.split('&')
                    .filter_map(|kv| kv.split_once('='))
                    .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        let num = |k: &str| {
            query
                .get(k)
                .and_then(Value::as_str)
                .and_then(|v| v.parse::<u64>().ok())
        };
        if let Some(ms) = num("delay_ms") {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        let status = num("status").unwrap_or(200) as u16;
        let body = json!({
            "method": req.method,
            "target": req.target,
            "headers": req.headers.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
            "body": String::from_utf8_lossy(&req.body),
        });
        response(
            status,
            "application/json",
            &[("x-upstream", "echo"), ("set-cookie", "upstream=1; Path=/")],
            body.to_string().as_bytes(),
        )
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        404 => "Not Found",
        418 => "I'm a teapot",
        500 => "Internal Server Error",
        _ => "Status",
    }
}

fn response(status: u16, content_type: &str, extra: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n",
        reason(status),
        body.len()
    );
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

/// Reads one request (keep-alive: leftover bytes stay in `buf`).
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Received> {
    let mut chunk = [0u8; 16384];
    let header_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_string();
    let target = request_line.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    buf.drain(..header_end);
    let body = if get("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(i) = buf.windows(2).position(|w| w == b"\r\n") {
                    break i;
                }
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            };
            let size_line = String::from_utf8_lossy(&buf[..line_end]).to_string();
            let size = usize::from_str_radix(size_line.split(';').next()?.trim(), 16).ok()?;
            while buf.len() < line_end + 2 + size + 2 {
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            body.extend_from_slice(&buf[line_end + 2..line_end + 2 + size]);
            buf.drain(..line_end + 2 + size + 2);
            if size == 0 {
                break;
            }
        }
        body
    } else {
        let length: usize = get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < length {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        buf.drain(..length).collect()
    };
    Some(Received {
        method,
        target,
        headers,
        body,
    })
}
