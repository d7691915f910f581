//! Signing in with a passkey, opening a session with a token, signing
//! out, and a person's sessions.

use crate::auth::{own_origin, require_same_site};
use crate::call::Call;
use crate::http::{self, ApiError, ApiResult};
use crate::registry::{Purpose, SignInCommand, StoredPasskey};
use keyward_domain::api::{
    PasskeyAlgorithm, PasskeyAssertion, PasskeyRequestOptions, SessionList, SignedIn,
};
use keyward_domain::signin;
use keyward_domain::webauthn::{self, Expected, Rejected};
use keyward_domain::ErrorCode;
use worker::{Request, Response};

use super::*;

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
