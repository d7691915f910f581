//! People signing in: passkey ceremonies, sessions, enrolment links and
//! the CLI's device authorization. The domain checks each ceremony
//! (`keyward_domain::webauthn`); Web Crypto checks the signature; the
//! registry takes challenges, codes and counters exactly once.

mod device;
mod enrolment;
mod passkeys;
mod sessions;

pub use device::{approve_device, device_token, start_device};
pub(crate) use enrolment::enrol_person;
pub use enrolment::{create_enrolment, enrol, enrolment_options, open_enrolment};
pub use passkeys::{
    add_passkey, list_passkeys, new_passkey_options, remove_passkey, rename_passkey,
};
pub use sessions::{
    end_session, end_sessions, list_sessions, open_session, passkey_options, passkey_sign_in,
    sign_out,
};

use crate::auth::own_origin;
use crate::call::Call;
use crate::http::{self, ApiError, ApiResult};
use crate::registry::{Command, NewSession, Purpose, SignInCommand};
use crate::store;
use keyward_domain::api::SignedIn;
use keyward_domain::signin;
use keyward_domain::webauthn::{self, Rejected};
use keyward_domain::{secret, ErrorCode};
use sha2::{Digest, Sha256};
use worker::{Request, Response};

const TIMEOUT_MS: u32 = (signin::CHALLENGE_SECONDS * 1000) as u32;

fn random_b64(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    store::fill_random(&mut bytes);
    webauthn::encode(&bytes)
}

fn rejected(e: Rejected) -> ApiError {
    ApiError::new(ErrorCode::PasskeyRejected, e.to_string())
}

/// The relying party and origin: the deployment as this request reached
/// it. The browser binds a passkey to the host it was made on, so a
/// deployment answers for the hosts it is served from.
struct Party {
    rp_id: String,
    origin: String,
}

fn party(req: &Request) -> ApiResult<Party> {
    let (origin, _) = own_origin(req)?;
    let rp_id = req
        .url()?
        .host_str()
        .map(str::to_string)
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidRequest, "the request names no host"))?;
    Ok(Party { rp_id, origin })
}

/// A person's WebAuthn user handle: opaque, stable, no personal data.
fn user_handle(person: &str) -> String {
    let digest = Sha256::digest(format!("keyward person {person}").as_bytes());
    webauthn::encode(&digest[..16])
}

/// A new session: its secret goes to the cookie only, its hash to the
/// registry.
fn new_session(req: &Request) -> ApiResult<(String, NewSession)> {
    let value = random_b64(32);
    let agent = req.headers().get("user-agent")?.unwrap_or_default();
    let user_agent: String = agent
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    Ok((
        value.clone(),
        NewSession {
            id: store::random_id("ses_", 16),
            hash: secret::hash_str(&value).0,
            user_agent,
        },
    ))
}

fn with_cookie(mut resp: Response, cookie: &str) -> ApiResult<Response> {
    resp.headers_mut().set("set-cookie", cookie)?;
    Ok(resp)
}

fn signed_in(
    call: &Call<'_>,
    req: &Request,
    status: u16,
    signed: &SignedIn,
    value: &str,
) -> ApiResult<Response> {
    let https = own_origin(req)?.1;
    let cookie = signin::set_cookie(https, value, store::session_lifetimes(call.env).absolute);
    with_cookie(http::json(status, signed)?, &cookie)
}

async fn sign_in_cmd<T: serde::de::DeserializeOwned>(
    call: &Call<'_>,
    cmd: SignInCommand,
) -> ApiResult<T> {
    call.registry()?.call(&Command::SignIn(cmd)).await
}

/// How long a challenge may be answered: five minutes, or
/// `PASSKEY_CHALLENGE_SECONDS` (which the tests shorten).
fn challenge_seconds(call: &Call<'_>) -> i64 {
    call.env
        .var("PASSKEY_CHALLENGE_SECONDS")
        .ok()
        .and_then(|v| v.to_string().trim().parse::<i64>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(signin::CHALLENGE_SECONDS)
}

async fn new_challenge(call: &Call<'_>, purpose: Purpose) -> ApiResult<String> {
    let challenge = random_b64(32);
    let _: serde_json::Value = sign_in_cmd(
        call,
        SignInCommand::Challenge {
            challenge: challenge.clone(),
            purpose,
            expires_at: store::now().unix_timestamp() + challenge_seconds(call),
        },
    )
    .await?;
    Ok(challenge)
}

fn field(name: &'static str, value: &str) -> ApiResult<Vec<u8>> {
    webauthn::decode(name, value).map_err(|_| {
        ApiError::invalid(vec![keyward_domain::FieldError::new(
            name,
            "must be base64url",
        )])
    })
}

fn client_challenge(client_data_json: &[u8]) -> ApiResult<String> {
    webauthn::client_data(client_data_json)
        .map(|c| c.challenge.trim_end_matches('=').to_string())
        .map_err(rejected)
}
