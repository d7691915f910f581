//! `POST /leaks`: secret scanning partners report Keyward secrets they
//! found in public: GitHub with a signed report (`scanning.rs`), other
//! scanners with the shared partner key.

use crate::call::Call;
use crate::email::Mailer;
use crate::http::{self, ApiError, ApiResult};
use crate::registry::{Command, LeakFound, LeakNotice, LeakSighting, Registry};
use crate::scanning;
use keyward_domain::invitation::Email;
use keyward_domain::leak::{
    self, GithubVerdict, Label, LeakAction, Sighting, Verdict, PARTNER_KEY_HEADER,
};
use keyward_domain::{ErrorCode, FieldError, TokenKind};
use subtle::ConstantTimeEq;
use worker::{Request, Response};

/// The partner key is compared by its SHA-256, in constant time; only the
/// hash is configured. Without one, reporting is off (404: this deployment
/// has no such endpoint), never open.
fn partner(req: &Request, env: &worker::Env) -> ApiResult<()> {
    let expected = env
        .secret("LEAK_PARTNER_KEY_HASH")
        .map(|s| s.to_string())
        .or_else(|_| env.var("LEAK_PARTNER_KEY_HASH").map(|v| v.to_string()))
        .ok()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotFound,
                "leak reporting is not enabled on this deployment (LEAK_PARTNER_KEY_HASH is not set)",
            )
        })?;
    let given = req.headers().get(PARTNER_KEY_HEADER)?.unwrap_or_default();
    if given.trim().is_empty() {
        return Err(ApiError::new(
            ErrorCode::MissingToken,
            format!("send the partner key in {PARTNER_KEY_HEADER}"),
        ));
    }
    let hash = keyward_domain::secret::hash_str(given.trim()).0;
    if bool::from(
        hash.as_bytes()
            .ct_eq(expected.trim().to_ascii_lowercase().as_bytes()),
    ) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidToken,
            "the partner key is not valid",
        ))
    }
}

/// How a report proved who sent it, which also decides the answer's shape.
enum Reporter {
    /// Signed by a key GitHub publishes: answered in GitHub's format.
    GitHub,
    /// The shared partner key: GitHub's format plus what was done.
    Partner,
}

pub async fn report(req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let key_id = req
        .headers()
        .get(leak::GITHUB_KEY_ID_HEADER)?
        .filter(|k| !k.trim().is_empty());
    let (reporter, body) = match key_id {
        Some(key_id) => {
            let url = scanning::keys_url(call.env).ok_or_else(|| {
                ApiError::new(
                    ErrorCode::NotFound,
                    "GitHub secret scanning reports are not enabled on this deployment \
                     (SECRET_SCANNING_KEYS_URL is empty)",
                )
            })?;
            let signature = req.headers().get(leak::GITHUB_SIGNATURE_HEADER)?;
            let body = http::read_body(req, leak::REPORT_BODY_LIMIT).await?;
            scanning::verify(call.env, &url, key_id.trim(), signature.as_deref(), &body).await?;
            (Reporter::GitHub, body)
        }
        None => {
            partner(req, call.env)?;
            (
                Reporter::Partner,
                http::read_body(req, leak::REPORT_BODY_LIMIT).await?,
            )
        }
    };
    http::require_json(req)?;
    let sightings: Vec<Sighting> = keyward_domain::api::decode(&body).map_err(ApiError::invalid)?;
    if sightings.len() > leak::MAX_REPORTED {
        return Err(ApiError::invalid(vec![FieldError::new(
            "body",
            format!("at most {} secrets per report", leak::MAX_REPORTED),
        )]));
    }
    // Only well-formed secrets with a valid checksum are looked up.
    let found: LeakFound = Registry::from_env(call.env)?
        .call(&Command::ReportLeaks {
            sightings: sightings
                .iter()
                .map(|s| LeakSighting {
                    hash: leak::secret_of(s).map(|secret| secret.hash().0),
                    url: s.url.clone(),
                })
                .collect(),
        })
        .await?;
    let verdicts: Vec<Verdict> = sightings
        .into_iter()
        .zip(
            found
                .actions
                .iter()
                .copied()
                .chain(std::iter::repeat(LeakAction::None)),
        )
        .map(|(s, action)| Verdict {
            token_raw: s.token,
            token_type: s.kind,
            label: if action == LeakAction::None {
                Label::FalsePositive
            } else {
                Label::TruePositive
            },
            action,
        })
        .collect();
    // The tokens are stopped already; the emails go out after the answer,
    // so a slow provider never holds the scanner past its time limit.
    if !found.notices.is_empty() {
        let env = call.env.clone();
        call.ctx
            .wait_until(async move { notify(&env, &found).await });
    }
    match reporter {
        Reporter::GitHub => http::json(
            200,
            &verdicts
                .into_iter()
                .map(GithubVerdict::from)
                .collect::<Vec<_>>(),
        ),
        Reporter::Partner => http::json(200, &verdicts),
    }
}

/// Tells every admin, through the email provider or the dev outbox. A
/// failed email does not undo the stop: the audit log has it either way.
async fn notify(env: &worker::Env, found: &LeakFound) {
    if found.notices.is_empty() {
        return;
    }
    let mailer = match Mailer::from_env(env) {
        Ok(m) => m,
        Err(e) => {
            worker::console_error!("leak notice not sent: {}", e.problem.detail);
            return;
        }
    };
    let email = notice(&found.notices);
    for admin in &found.admins {
        if let Err(e) = mailer.send(env, admin, &email).await {
            worker::console_error!("leak notice to an admin failed: {e}");
        }
    }
}

fn notice(notices: &[LeakNotice]) -> Email {
    let lines: Vec<String> = notices
        .iter()
        .map(|n| {
            format!(
                "- '{}' ({}) in project {}: {}{}",
                n.name,
                n.token_id,
                n.project
                    .as_deref()
                    .unwrap_or("(none: a global key or master token)"),
                match n.action {
                    LeakAction::Disabled if n.kind == TokenKind::Master => {
                        "disabled; another admin recovers it (POST /api/v1/tokens/{id}/recover \
                         sends its admin a new secret and enables it), or, with no other admin, \
                         the operator (scripts/recover-admin)"
                    }
                    LeakAction::Disabled => "disabled; refresh it (the leaked secret stops at once), then enable it again",
                    LeakAction::Revoked => "deleted",
                    LeakAction::RetiredSecretEnded => "an old, replaced secret stopped working",
                    _ => "already disabled",
                },
                n.url
                    .as_deref()
                    .map_or(String::new(), |u| format!(" (found at {u})")),
            )
        })
        .collect();
    let text = format!(
        "A secret scanning partner found Keyward secrets in public. Keyward stopped them:\n\n{}\n\nEvery step is in the audit log as token.leak.\n",
        lines.join("\n")
    );
    let html = format!(
        "<p>A secret scanning partner found Keyward secrets in public. Keyward stopped them:</p><ul>{}</ul><p>Every step is in the audit log as <code>token.leak</code>.</p>",
        lines
            .iter()
            .map(|l| format!("<li>{}</li>", escape(l.trim_start_matches("- "))))
            .collect::<String>()
    );
    Email {
        subject: format!(
            "Keyward stopped {} leaked token{}",
            notices.len(),
            if notices.len() == 1 { "" } else { "s" }
        ),
        text,
        html,
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
