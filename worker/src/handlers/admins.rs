//! `/admins`: people whose master tokens hold everything.

use crate::call::Call;
use crate::email::Mailer;
use crate::http::{self, ApiError, ApiResult};
use crate::registry::{AdminWithToken, Command, NewSecret};
use crate::store;
use keyward_domain::api::{Admin, AdminCreated, AdminList, CreateAdmin};
use keyward_domain::shapes::{Email, Name};
use keyward_domain::token_input::collect;
use keyward_domain::TokenKind;
use worker::{Request, Response};

pub async fn list(call: &mut Call<'_>) -> ApiResult<Response> {
    call.require_master()?;
    let items: Vec<Admin> = call.registry()?.call(&Command::ListAdmins).await?;
    http::json(200, &AdminList { items })
}

pub async fn create(req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.require_master()?;
    let body: CreateAdmin = http::json_body(req).await?;
    let mut errors = vec![];
    let email = collect(&mut errors, Email::parse("email", &body.email));
    let name = collect(&mut errors, Name::parse("name", &body.name));
    let (Some(email), Some(name)) = (email, name) else {
        return Err(ApiError::invalid(errors));
    };
    let secret = store::new_secret(TokenKind::Master);
    let created: AdminWithToken = call
        .registry()?
        .call(&Command::CreateAdmin {
            actor: caller.actor(),
            email: email.into(),
            name: name.into(),
            secret: NewSecret::of(&secret),
        })
        .await?;
    // The new admin enrols a passkey with the emailed link; without an
    // email provider (or the dev outbox) there is no link, and the admin
    // signs in with their master secret until an enrolment is sent.
    let enrolment = if Mailer::from_env(call.env).is_ok() {
        Some(super::signin::enrol_person(call, None, &format!("admin:{}", created.admin.id)).await?)
    } else {
        None
    };
    http::json(
        201,
        &AdminCreated {
            admin: created.admin,
            master_token: created.master_token,
            secret: body
                .master_secret
                .unwrap_or(true)
                .then(|| secret.expose().to_string()),
            enrolment,
        },
    )
}

pub async fn delete(id: &str, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.require_master()?;
    super::carried_out(
        call,
        Command::DeleteAdmin {
            actor: caller.actor(),
            id: id.to_string(),
        },
    )
    .await
}
