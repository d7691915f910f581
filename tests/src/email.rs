//! A local stand-in for the email provider (the one third-party service we
//! cannot run here): an HTTP server speaking its JSON API, capturing every
//! message so tests can read it and follow its link.

use serde_json::Value;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Accept,
    Refuse,
    Hang,
}

#[derive(Debug, Clone)]
pub struct Captured {
    pub authorization: Option<String>,
    pub body: Value,
}

impl Captured {
    pub fn text(&self) -> String {
        self.body["text"].as_str().unwrap_or_default().to_string()
    }
    pub fn html(&self) -> String {
        self.body["html"].as_str().unwrap_or_default().to_string()
    }
    /// The `/invite/<code>` link in the plain-text body.
    pub fn invite_link(&self) -> Option<String> {
        self.text()
            .split_whitespace()
            .find(|w| w.contains("/invite/"))
            .map(str::to_string)
    }
}

#[derive(Clone)]
pub struct EmailProvider {
    pub url: String,
    pub messages: Arc<Mutex<Vec<Captured>>>,
    behaviour: Arc<Mutex<Behaviour>>,
}

impl EmailProvider {
    pub async fn start() -> EmailProvider {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/emails", listener.local_addr().expect("addr"));
        let provider = EmailProvider {
            url,
            messages: Arc::default(),
            behaviour: Arc::new(Mutex::new(Behaviour::Accept)),
        };
        let p = provider.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let p = p.clone();
                tokio::spawn(async move { p.serve(stream).await });
            }
        });
        provider
    }

    pub fn behave(&self, b: Behaviour) {
        *self.behaviour.lock().expect("lock") = b;
    }

    pub fn captured(&self) -> Vec<Captured> {
        self.messages.lock().expect("lock").clone()
    }

    async fn serve(&self, mut stream: TcpStream) {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        let header_end = loop {
            let Ok(n) = stream.read(&mut chunk).await else {
                return;
            };
            if n == 0 {
                return;
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
        let header = |name: &str| {
            head.lines()
                .find(|l| l.to_ascii_lowercase().starts_with(&format!("{name}:")))
                .map(|l| l[name.len() + 1..].trim().to_string())
        };
        let length: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < header_end + length {
            let Ok(n) = stream.read(&mut chunk).await else {
                return;
            };
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let body: Value = serde_json::from_slice(&buf[header_end..]).unwrap_or(Value::Null);
        let behaviour = *self.behaviour.lock().expect("lock");
        let (status, reply) = match behaviour {
            Behaviour::Accept => {
                self.messages.lock().expect("lock").push(Captured {
                    authorization: header("authorization"),
                    body,
                });
                ("200 OK", r#"{"id":"em_1"}"#)
            }
            Behaviour::Refuse => (
                "500 Internal Server Error",
                r#"{"message":"mailbox on fire"}"#,
            ),
            Behaviour::Hang => {
                tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                return;
            }
        };
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
            reply.len()
        );
        let _ = stream.write_all(response.as_bytes()).await;
    }
}
