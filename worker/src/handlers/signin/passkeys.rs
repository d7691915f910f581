//! A person's passkeys: listed, added (a registration ceremony),
//! renamed, removed.

use crate::call::Call;
use crate::http::{self, ApiError, ApiResult};
use crate::registry::{NewPasskey, Purpose, Registrant, SignInCommand};
use crate::store;
use keyward_domain::api::{
    Passkey, PasskeyAlgorithm, PasskeyCreationOptions, PasskeyList, PasskeyRegistration,
    PasskeyUser, RelyingParty, RenamePasskey,
};
use keyward_domain::validate;
use keyward_domain::webauthn::{self, Expected};
use worker::{Request, Response};

use super::*;

pub async fn list_passkeys(call: &mut Call<'_>) -> ApiResult<Response> {
    let actor = call.caller()?.actor();
    let list: PasskeyList = sign_in_cmd(call, SignInCommand::ListPasskeys { actor }).await?;
    http::json(200, &list)
}

pub(super) fn creation_options(
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
pub(super) fn registration(
    req: &Request,
    body: &PasskeyRegistration,
) -> ApiResult<(String, NewPasskey)> {
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
