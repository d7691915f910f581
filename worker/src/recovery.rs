//! The operator's recovery of a locked-out deployment (issue 25): when
//! every admin's master token is lost or disabled, nothing reachable from
//! outside can bring one back. The operator — whoever holds the Cloudflare
//! account — writes a request into KV (`wrangler kv key put`, which needs
//! the account's credentials), carrying the deployment's recovery key
//! (only its hash, `RECOVERY_KEY_HASH`, is configured) and the hash of a
//! master secret they minted. The Cron Trigger carries it out: that
//! admin's master token gets the new secret and is enabled, the old secret
//! stops, and the audit log says the operator did it. `scripts/recover-admin`
//! does all of it.

use crate::registry::{Command, NewSecret, Registry};
use crate::store::KV_BINDING;
use serde::Deserialize;
use subtle::ConstantTimeEq;
use worker::Env;

/// Where the operator's request waits for the next Cron Trigger.
pub const REQUEST_KEY: &str = "operator:recover";

#[derive(Deserialize)]
struct Request {
    /// The admin to recover, by email.
    email: String,
    /// The deployment's recovery key, in the clear (KV is the operator's).
    key: String,
    /// The new master secret's SHA-256 (hex) and hint.
    hash: String,
    hint: String,
}

/// Whether `key` is the deployment's recovery key.
fn is_recovery_key(env: &Env, key: &str) -> bool {
    let Some(expected) = env
        .secret("RECOVERY_KEY_HASH")
        .map(|s| s.to_string())
        .or_else(|_| env.var("RECOVERY_KEY_HASH").map(|v| v.to_string()))
        .ok()
        .filter(|s| !s.trim().is_empty())
    else {
        return false;
    };
    let presented = keyward_domain::secret::hash_str(key);
    bool::from(
        expected
            .trim()
            .as_bytes()
            .ct_eq(presented.as_str().as_bytes()),
    )
}

pub async fn carry_out(env: &Env) {
    let Ok(kv) = env.kv(KV_BINDING) else {
        return;
    };
    let raw = match kv.get(REQUEST_KEY).text().await {
        Ok(Some(raw)) => raw,
        Ok(None) => return,
        Err(e) => {
            worker::console_error!("recovery: the request could not be read: {e}");
            return;
        }
    };
    // Read once, whatever comes of it: a bad request is not retried.
    if let Err(e) = kv.delete(REQUEST_KEY).await {
        worker::console_error!("recovery: the request could not be removed: {e}");
        return;
    }
    let request = match serde_json::from_str::<Request>(&raw) {
        Ok(r) => r,
        Err(_) => {
            worker::console_error!("recovery: the request is not {{email, key, hash, hint}}");
            return;
        }
    };
    if !is_recovery_key(env, &request.key) {
        worker::console_error!(
            "recovery refused: the recovery key does not match RECOVERY_KEY_HASH"
        );
        return;
    }
    let hint = keyward_domain::secret::parse_hint(&request.hint).filter(|h| h.starts_with("kw_m_"));
    let well_formed = request.hash.len() == 64
        && request.hash.bytes().all(|b| b.is_ascii_hexdigit())
        && hint.is_some();
    if !well_formed {
        worker::console_error!("recovery refused: hash or hint malformed");
        return;
    }
    let answer = match Registry::from_env(env) {
        Ok(r) => {
            r.call::<keyward_domain::api::Token>(&Command::OperatorRecover {
                email: request.email.clone(),
                secret: NewSecret {
                    hash: request.hash.to_ascii_lowercase(),
                    hint: hint.unwrap_or_default(),
                },
            })
            .await
        }
        Err(e) => Err(e),
    };
    match answer {
        Ok(_) => worker::console_log!(
            "recovery: the master token of {} was recovered",
            request.email
        ),
        Err(e) => worker::console_error!("recovery failed: {}", e.problem.detail),
    }
}
