//! The CLI's device authorization (RFC 8628 style): started, approved in
//! the app, and the token taken.

use crate::call::Call;
use crate::http::{self, ApiError, ApiResult};
use crate::registry::{Actor, Command, DeviceGrant, NewSecret, NewToken, SignInCommand};
use crate::store;
use keyward_domain::api::{
    DeviceApproval, DeviceApproved, DeviceAuthorization, DeviceTokenRequest, PersonKind,
    StartDeviceAuthorization, Token,
};
use keyward_domain::shapes::{Description, TokenName};
use keyward_domain::signin;
use keyward_domain::{secret, validate, TokenKind};
use worker::{Request, Response};

use super::*;

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
    let base = crate::handlers::invitations::public_base_url(call);
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
    crate::handlers::issued(200, token, &secret)
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
