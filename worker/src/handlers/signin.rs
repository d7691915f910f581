//! People signing in: passkey ceremonies, sessions, enrolment links and
//! the CLI's device authorization. The domain checks each ceremony
//! (`keyward_domain::webauthn`); Web Crypto checks the signature; the
//! registry takes challenges, codes and counters exactly once.

use crate::auth::{own_origin, require_same_site};
use crate::call::Call;
use crate::email::Mailer;
use crate::http::{self, ApiError, ApiResult};
use crate::registry::{
    Actor, Command, DeviceGrant, NewPasskey, NewSecret, NewSession, NewToken, Purpose, Registrant,
    SignInCommand, StoredPasskey,
};
use crate::store;
use keyward_domain::api::{
    CreateEnrolment, DeviceApproval, DeviceApproved, DeviceAuthorization, DeviceTokenRequest,
    Enrolment, EnrolmentWelcome, Passkey, PasskeyAlgorithm, PasskeyAssertion,
    PasskeyCreationOptions, PasskeyList, PasskeyRegistration, PasskeyRequestOptions, PasskeyUser,
    Person, PersonKind, RelyingParty, RenamePasskey, SessionList, SignedIn,
    StartDeviceAuthorization, Token,
};
use keyward_domain::invitation;
use keyward_domain::shapes::{Description, TokenName};
use keyward_domain::signin;
use keyward_domain::webauthn::{self, Expected, Rejected};
use keyward_domain::{secret, validate, ErrorCode, TokenKind};
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

pub async fn passkey_options(req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let party = party(req)?;
    let challenge = new_challenge(call, Purpose::SignIn).await?;
    http::json(
        200,
        &PasskeyRequestOptions {
            challenge,
            rp_id: party.rp_id,
            timeout_ms: TIMEOUT_MS,
            user_verification: "required".into(),
        },
    )
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

pub async fn passkey_sign_in(req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    require_same_site(req)?;
    let party = party(req)?;
    let body: PasskeyAssertion = http::json_body(req).await?;
    let credential_id = field("credential_id", &body.credential_id)?;
    let client_data_json = field("client_data_json", &body.client_data_json)?;
    let authenticator_data = field("authenticator_data", &body.authenticator_data)?;
    let signature = field("signature", &body.signature)?;
    let challenge = client_challenge(&client_data_json)?;
    // The challenge is used up here, whatever the checks below say.
    let stored: StoredPasskey = sign_in_cmd(
        call,
        SignInCommand::BeginSignIn {
            challenge: challenge.clone(),
            credential_id: webauthn::encode(&credential_id),
        },
    )
    .await?;
    if let Some(handle) = &body.user_handle {
        if field("user_handle", handle)? != field("user_handle", &user_handle(&stored.person))? {
            return Err(ApiError::new(
                ErrorCode::PasskeyRejected,
                "the passkey's user handle is not its person's",
            ));
        }
    }
    let expected = Expected {
        rp_id: &party.rp_id,
        origin: &party.origin,
        challenge: &challenge,
    };
    let assertion = webauthn::check_assertion(
        &expected,
        &client_data_json,
        &authenticator_data,
        &signature,
        stored.algorithm,
        stored.sign_count,
    )
    .map_err(rejected)?;
    let alg = match stored.algorithm {
        PasskeyAlgorithm::ES256 => keyward_domain::jwt::Algorithm::ES256,
        PasskeyAlgorithm::RS256 => keyward_domain::jwt::Algorithm::RS256,
    };
    if !crate::gateway::jwt::verify(
        alg,
        &stored.public_key,
        &assertion.signed,
        &assertion.signature,
    )
    .await
    {
        return Err(rejected(Rejected::Signature));
    }
    let (value, session) = new_session(req)?;
    let signed: SignedIn = sign_in_cmd(
        call,
        SignInCommand::FinishSignIn {
            passkey_id: stored.id,
            sign_count: assertion.sign_count,
            session,
        },
    )
    .await?;
    signed_in(call, req, 200, &signed, &value)
}

pub async fn open_session(req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    require_same_site(req)?;
    let caller = call.caller()?;
    if caller.signed_in.is_some() {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "already signed in; this exchanges a master or user token for a session",
        ));
    }
    let actor = caller.actor();
    let (value, session) = new_session(req)?;
    let signed: SignedIn = sign_in_cmd(call, SignInCommand::OpenSession { actor, session }).await?;
    signed_in(call, req, 201, &signed, &value)
}

pub async fn sign_out(req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.caller()?;
    let Some(signed_in) = &caller.signed_in else {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "signing out ends a session; this request came with a bearer token",
        ));
    };
    let _: serde_json::Value = sign_in_cmd(
        call,
        SignInCommand::EndSessions {
            actor: caller.actor(),
            id: Some(signed_in.session.id.clone()),
        },
    )
    .await?;
    with_cookie(
        http::no_content()?,
        &signin::clear_cookie(own_origin(req)?.1),
    )
}

pub async fn list_sessions(call: &mut Call<'_>) -> ApiResult<Response> {
    let actor = call.caller()?.actor();
    let list: SessionList = sign_in_cmd(call, SignInCommand::ListSessions { actor }).await?;
    http::json(200, &list)
}

pub async fn end_sessions(req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let actor = call.caller()?.actor();
    let _: serde_json::Value =
        sign_in_cmd(call, SignInCommand::EndSessions { actor, id: None }).await?;
    with_cookie(
        http::no_content()?,
        &signin::clear_cookie(own_origin(req)?.1),
    )
}

pub async fn end_session(id: &str, call: &mut Call<'_>) -> ApiResult<Response> {
    let actor = call.caller()?.actor();
    let _: serde_json::Value = sign_in_cmd(
        call,
        SignInCommand::EndSessions {
            actor,
            id: Some(id.to_string()),
        },
    )
    .await?;
    http::no_content()
}

pub async fn list_passkeys(call: &mut Call<'_>) -> ApiResult<Response> {
    let actor = call.caller()?.actor();
    let list: PasskeyList = sign_in_cmd(call, SignInCommand::ListPasskeys { actor }).await?;
    http::json(200, &list)
}

fn creation_options(
    party: &Party,
    registrant: Registrant,
    challenge: String,
) -> PasskeyCreationOptions {
    PasskeyCreationOptions {
        challenge,
        rp: RelyingParty {
            id: party.rp_id.clone(),
            name: "Keyward".into(),
        },
        user: PasskeyUser {
            id: user_handle(&registrant.person.key()),
            name: registrant.person.email.clone(),
            display_name: registrant.person.name.clone(),
        },
        algorithms: vec![
            PasskeyAlgorithm::ES256.cose(),
            PasskeyAlgorithm::RS256.cose(),
        ],
        timeout_ms: TIMEOUT_MS,
        exclude_credentials: registrant.existing,
        resident_key: "required".into(),
        user_verification: "required".into(),
        attestation: "none".into(),
    }
}

pub async fn new_passkey_options(req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let party = party(req)?;
    let actor = call.caller()?.actor();
    let registrant: Registrant = sign_in_cmd(call, SignInCommand::Registrant { actor }).await?;
    let challenge = new_challenge(
        call,
        Purpose::Add {
            person: registrant.person.key(),
        },
    )
    .await?;
    http::json(200, &creation_options(&party, registrant, challenge))
}

/// A registration as the domain checks it, ready to store, and the
/// challenge it answered (which the registry then takes).
fn registration(req: &Request, body: &PasskeyRegistration) -> ApiResult<(String, NewPasskey)> {
    let party = party(req)?;
    let name = match &body.name {
        Some(n) => validate::name("name", n).map_err(|e| ApiError::invalid(vec![e]))?,
        None => "Passkey".to_string(),
    };
    let credential_id = field("credential_id", &body.credential_id)?;
    let client_data_json = field("client_data_json", &body.client_data_json)?;
    let attestation_object = field("attestation_object", &body.attestation_object)?;
    let challenge = client_challenge(&client_data_json)?;
    let expected = Expected {
        rp_id: &party.rp_id,
        origin: &party.origin,
        challenge: &challenge,
    };
    let credential = webauthn::check_registration(
        &expected,
        &credential_id,
        &client_data_json,
        &attestation_object,
    )
    .map_err(rejected)?;
    Ok((
        challenge,
        NewPasskey {
            id: store::random_id("pk_", 16),
            credential_id: webauthn::encode(&credential.id),
            name,
            algorithm: credential.key.algorithm(),
            public_key: credential.key.jwk(),
            sign_count: credential.sign_count,
        },
    ))
}

pub async fn add_passkey(req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let actor = call.caller()?.actor();
    let body: PasskeyRegistration = http::json_body(req).await?;
    let (challenge, passkey) = registration(req, &body)?;
    let added: Passkey = sign_in_cmd(
        call,
        SignInCommand::AddPasskey {
            actor,
            challenge,
            passkey,
        },
    )
    .await?;
    http::json(201, &added)
}

pub async fn rename_passkey(
    id: &str,
    req: &mut Request,
    call: &mut Call<'_>,
) -> ApiResult<Response> {
    let actor = call.caller()?.actor();
    let body: RenamePasskey = http::json_body(req).await?;
    let name = validate::name("name", &body.name).map_err(|e| ApiError::invalid(vec![e]))?;
    let renamed: Passkey = sign_in_cmd(
        call,
        SignInCommand::RenamePasskey {
            actor,
            id: id.to_string(),
            name,
        },
    )
    .await?;
    http::json(200, &renamed)
}

pub async fn remove_passkey(id: &str, call: &mut Call<'_>) -> ApiResult<Response> {
    let actor = call.caller()?.actor();
    let _: serde_json::Value = sign_in_cmd(
        call,
        SignInCommand::RemovePasskey {
            actor,
            id: id.to_string(),
        },
    )
    .await?;
    http::no_content()
}

/// Enrolment codes are 32 random bytes, base64url: anything else is not
/// one of ours and never reaches storage.
fn enrolment_hash(code: &str) -> ApiResult<String> {
    let ours = code.len() == 43
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ours {
        Ok(secret::hash_str(code).0)
    } else {
        Err(ApiError::not_found("enrolment"))
    }
}

/// Creates an enrolment link for `person` and emails it. `actor: None` is
/// the registry's own follow-up of a creation it already audited.
pub(crate) async fn enrol_person(
    call: &Call<'_>,
    actor: Option<Actor>,
    person: &str,
) -> ApiResult<Enrolment> {
    let mailer = Mailer::from_env(call.env)?;
    let code = random_b64(32);
    let (enrolment, whom): (Enrolment, Person) = sign_in_cmd(
        call,
        SignInCommand::CreateEnrolment {
            actor,
            person: person.to_string(),
            id: store::random_id("enr_", 16),
            code_hash: secret::hash_str(&code).0,
            expires_at: store::now().unix_timestamp() + signin::ENROLMENT_SECONDS,
        },
    )
    .await?;
    let link = format!("{}/enrol/{code}", super::invitations::public_base_url(call));
    mailer
        .send(
            call.env,
            &whom.email,
            &invitation::enrolment_email(&whom, &link),
        )
        .await
        .map_err(|e| {
            ApiError::new(
                ErrorCode::EmailFailed,
                format!("{e}. Send a new enrolment link when the provider works again"),
            )
        })?;
    Ok(enrolment)
}

pub async fn create_enrolment(req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.require_admin("sending enrolment links")?;
    let actor = caller.actor();
    let body: CreateEnrolment = http::json_body(req).await?;
    if signin::parse_person(&body.person).is_none() {
        return Err(ApiError::invalid(vec![keyward_domain::FieldError::new(
            "person",
            "must be admin:<id> or member:<id>",
        )]));
    }
    let enrolment = enrol_person(call, Some(actor), &body.person).await?;
    http::json(201, &enrolment)
}

pub async fn open_enrolment(code: &str, call: &mut Call<'_>) -> ApiResult<Response> {
    let code_hash = enrolment_hash(code)?;
    let welcome: EnrolmentWelcome =
        sign_in_cmd(call, SignInCommand::OpenEnrolment { code_hash }).await?;
    http::json(200, &welcome)
}

pub async fn enrolment_options(
    code: &str,
    req: &mut Request,
    call: &mut Call<'_>,
) -> ApiResult<Response> {
    require_same_site(req)?;
    let party = party(req)?;
    let code_hash = enrolment_hash(code)?;
    let registrant: Registrant = sign_in_cmd(
        call,
        SignInCommand::EnrolmentRegistrant {
            code_hash: code_hash.clone(),
        },
    )
    .await?;
    let challenge = new_challenge(call, Purpose::Enrol { code_hash }).await?;
    http::json(200, &creation_options(&party, registrant, challenge))
}

pub async fn enrol(code: &str, req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    require_same_site(req)?;
    let code_hash = enrolment_hash(code)?;
    let body: PasskeyRegistration = http::json_body(req).await?;
    let (challenge, passkey) = registration(req, &body)?;
    let (value, session) = new_session(req)?;
    let signed: SignedIn = sign_in_cmd(
        call,
        SignInCommand::Enrol {
            code_hash,
            challenge,
            passkey,
            session,
        },
    )
    .await?;
    signed_in(call, req, 201, &signed, &value)
}

pub async fn start_device(req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let body: StartDeviceAuthorization = http::optional_json_body(req).await?;
    let client_name = match &body.client_name {
        Some(n) => validate::name("client_name", n).map_err(|e| ApiError::invalid(vec![e]))?,
        None => "keyward CLI".to_string(),
    };
    let device_code = random_b64(32);
    let mut random = [0u8; 8];
    store::fill_random(&mut random);
    let user_code = signin::user_code(random);
    let _: serde_json::Value = sign_in_cmd(
        call,
        SignInCommand::StartDevice {
            device_hash: secret::hash_str(&device_code).0,
            user_code: user_code.clone(),
            client_name,
            expires_at: store::now().unix_timestamp() + signin::DEVICE_CODE_SECONDS,
        },
    )
    .await?;
    let base = super::invitations::public_base_url(call);
    http::json(
        200,
        &DeviceAuthorization {
            device_code,
            verification_uri: format!("{base}/device"),
            verification_uri_complete: format!("{base}/device?code={user_code}"),
            user_code,
            expires_in: signin::DEVICE_CODE_SECONDS as u64,
            interval: signin::DEVICE_POLL_SECONDS,
        },
    )
}

pub async fn device_token(req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let body: DeviceTokenRequest = http::json_body(req).await?;
    let grant: DeviceGrant = sign_in_cmd(
        call,
        SignInCommand::TakeDevice {
            device_hash: secret::hash_str(&body.device_code).0,
        },
    )
    .await?;
    let now = store::now().unix_timestamp();
    // The CLI's token is issued by the person's own credential, as if
    // they had made it in the app: the same policy decides.
    let actor = Actor {
        caller: grant.caller.clone().upgraded(),
        at: now,
        person: Some(grant.person.key()),
        request_id: Some(call.request_id.to_string()),
        session: None,
    };
    let mut suffix = [0u8; 2];
    store::fill_random(&mut suffix);
    let name = format!(
        "CLI: {} ({:02x}{:02x})",
        grant.client_name.chars().take(80).collect::<String>(),
        suffix[0],
        suffix[1]
    );
    let expires_at = Some(now + signin::CLI_TOKEN_SECONDS);
    let description = format!("Issued to {} by `keyward login`", grant.person.email);
    let name = TokenName::parse("client_name", &name).map_err(|e| ApiError::invalid(vec![e]))?;
    let description =
        Description::parse("description", &description).map_err(|e| ApiError::invalid(vec![e]))?;
    let (token, secret): (Token, _) = match grant.person.kind {
        PersonKind::Admin => {
            let secret = store::new_secret(TokenKind::Global);
            let token = call
                .registry()?
                .call(&Command::CreateToken {
                    actor,
                    new: NewToken {
                        name,
                        description,
                        grants: vec![],
                        expires_at,
                        rate_limit: None,
                        kind: TokenKind::Global,
                        personas: vec![],
                        project: None,
                        project_grants: Default::default(),
                        global_admin: true,
                        enabled: true,
                        not_before: None,
                        allowed_ips: vec![],
                        meta: Default::default(),
                        usage_limit: None,
                    },
                    secret: NewSecret::of(&secret),
                })
                .await?;
            (token, secret)
        }
        PersonKind::Member => {
            let secret = store::new_secret(TokenKind::Personal);
            let token = call
                .registry()?
                .call(&Command::Directory(
                    crate::registry::directory::DirectoryCommand::CreatePersonalKey {
                        actor,
                        member_id: grant.person.id.clone(),
                        name: name.into_string(),
                        description: description.into_string(),
                        expires_at,
                        secret: NewSecret::of(&secret),
                    },
                ))
                .await?;
            (token, secret)
        }
    };
    super::issued(200, token, &secret)
}

pub async fn approve_device(req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let actor = call.caller()?.actor();
    let body: DeviceApproval = http::json_body(req).await?;
    let Some(user_code) = signin::normalize_user_code(&body.user_code) else {
        return Err(ApiError::not_found("device authorization"));
    };
    let approved: DeviceApproved =
        sign_in_cmd(call, SignInCommand::ApproveDevice { actor, user_code }).await?;
    http::json(200, &approved)
}
