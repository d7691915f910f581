//! Enrolment links: sent, opened, and a first passkey registered with
//! one.

use crate::auth::require_same_site;
use crate::call::Call;
use crate::email::Mailer;
use crate::http::{self, ApiError, ApiResult};
use crate::registry::{Actor, Purpose, Registrant, SignInCommand};
use crate::store;
use keyward_domain::api::{
    CreateEnrolment, Enrolment, EnrolmentWelcome, PasskeyRegistration, Person, SignedIn,
};
use keyward_domain::invitation;
use keyward_domain::signin;
use keyward_domain::{secret, ErrorCode};
use worker::{Request, Response};

use super::passkeys::{creation_options, registration};
use super::*;

/// Enrolment codes are 32 random bytes, base64url: anything else is not
/// one of ours and never reaches storage.
pub(super) fn enrolment_hash(code: &str) -> ApiResult<String> {
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
    let link = format!(
        "{}/enrol/{code}",
        crate::handlers::invitations::public_base_url(call)
    );
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
