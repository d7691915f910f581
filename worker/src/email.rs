//! Email delivery: an HTTP email API in the style of Resend/Postmark
//! (`EMAIL_API_URL`, `EMAIL_API_KEY`, `EMAIL_FROM`), or, only when
//! `DEV_OUTBOX = "true"` says so, the dev outbox: messages kept in KV,
//! listed in the admin app and logged to the console. With neither,
//! invitations are refused (503 `email_not_configured`): a deployment that
//! forgot its provider must not quietly keep live links in KV.

use crate::http::{ApiError, ApiResult};
use crate::store;
use futures_util::future::{select, Either};
use keyward_domain::api::OutboxMessage;
use keyward_domain::invitation::Email;
use keyward_domain::ErrorCode;
use std::time::Duration;
use worker::{AbortController, Delay, Env, Fetch, Headers, Method, Request, RequestInit};

pub const OUTBOX_PREFIX: &str = "outbox:";
const DEFAULT_FROM: &str = "Keyward <keyward@localhost>";

pub enum Mailer {
    Provider {
        url: String,
        key: String,
        from: String,
        timeout: Duration,
    },
    Outbox {
        from: String,
    },
}

fn setting(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// The dev outbox is on only when asked for by name.
fn dev_outbox(env: &Env) -> bool {
    setting(env, "DEV_OUTBOX").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

impl Mailer {
    pub fn from_env(env: &Env) -> ApiResult<Mailer> {
        let from = setting(env, "EMAIL_FROM").unwrap_or_else(|| DEFAULT_FROM.to_string());
        match setting(env, "EMAIL_API_URL") {
            Some(url) => Ok(Mailer::Provider {
                url,
                key: setting(env, "EMAIL_API_KEY").unwrap_or_default(),
                from,
                timeout: Duration::from_millis(
                    setting(env, "EMAIL_TIMEOUT_MS")
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(10_000),
                ),
            }),
            None if dev_outbox(env) => Ok(Mailer::Outbox { from }),
            None => Err(ApiError::new(
                ErrorCode::EmailNotConfigured,
                "no email provider is configured (EMAIL_API_URL), so no invitation was created; \
                 for local development set DEV_OUTBOX = \"true\"",
            )),
        }
    }

    /// Sends one message. `Err` says why, in words fit for the admin.
    pub async fn send(&self, env: &Env, to: &str, email: &Email) -> Result<(), String> {
        match self {
            Mailer::Provider {
                url,
                key,
                from,
                timeout,
            } => send_via_provider(url, key, from, *timeout, to, email).await,
            Mailer::Outbox { from } => {
                let message = OutboxMessage {
                    id: store::random_id("msg_", 12),
                    to: to.to_string(),
                    from: from.clone(),
                    subject: email.subject.clone(),
                    text: email.text.clone(),
                    html: email.html.clone(),
                    sent_at: store::now(),
                };
                let key = format!(
                    "{OUTBOX_PREFIX}{:013}-{}",
                    worker::Date::now().as_millis(),
                    message.id
                );
                let json = serde_json::to_string(&message).map_err(|e| e.to_string())?;
                let kv = env
                    .kv(store::KV_BINDING)
                    .map_err(|e| format!("outbox unavailable: {e}"))?;
                kv.put(&key, json)
                    .map_err(|e| format!("outbox unavailable: {e}"))?
                    .expiration_ttl(7 * 24 * 3600)
                    .execute()
                    .await
                    .map_err(|e| format!("outbox unavailable: {e}"))?;
                worker::console_log!(
                    "[dev outbox] to {to}: {}\n{}",
                    message.subject,
                    message.text
                );
                Ok(())
            }
        }
    }
}

async fn send_via_provider(
    url: &str,
    key: &str,
    from: &str,
    timeout: Duration,
    to: &str,
    email: &Email,
) -> Result<(), String> {
    let body = serde_json::json!({
        "from": from,
        "to": [to],
        "subject": email.subject,
        "text": email.text,
        "html": email.html,
    });
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/json");
    if !key.is_empty() {
        let _ = headers.set("authorization", &format!("Bearer {key}"));
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(wasm_bindgen::JsValue::from_str(&body.to_string())));
    let req = Request::new_with_init(url, &init).map_err(|e| format!("bad EMAIL_API_URL: {e}"))?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(req);
    let send = Box::pin(fetch.send_with_signal(&signal));
    let deadline = Box::pin(Delay::from(timeout));
    let outcome = match select(send, deadline).await {
        Either::Left((Ok(mut resp), _)) => {
            let status = resp.status_code();
            if (200..300).contains(&status) {
                Ok(())
            } else {
                let text = resp.text().await.unwrap_or_default();
                let short: String = text.chars().take(200).collect();
                Err(format!("the email provider answered {status}: {short}"))
            }
        }
        Either::Left((Err(e), _)) => Err(format!("the email provider could not be reached: {e}")),
        Either::Right(_) => {
            controller.abort();
            Err(format!(
                "the email provider did not answer within {} ms",
                timeout.as_millis()
            ))
        }
    };
    outcome
}
