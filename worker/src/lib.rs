//! Keyward's worker: the token authority at the edge.
//!
//! A thin fetch entry: resolve the route, authenticate, hand off to the
//! handler, record the call. Handlers live in `handlers/`; the registry
//! Durable Object owns every change.

mod audit;
mod auth;
mod authority;
mod call;
mod catalog;
mod consumer;
mod email;
mod gateway;
mod guard;
mod handlers;
mod http;
mod ratelimit;
mod registry;
mod routes;
mod store;

use call::{record, Call};
use handlers::{admins, directory, invitations, meta, storage, tokens};
use http::ApiResult;
use keyward_domain::api::Outcome;
use keyward_domain::ErrorCode;
use routes::Route;
use worker::{event, Context, Env, Request, Response};

pub use guard::FailureGuard;
pub use ratelimit::RateLimiter;
pub use registry::RegistryObject;

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let client = guard::client_address(&req);
    if req.path().starts_with("/gw/") {
        if let Some(e) = guard::blocked(&client) {
            return Ok(http::problem_response(&e));
        }
        let resp = gateway::handle(req, &env, &ctx).await;
        if guard::counts_response(&resp) {
            if let Some(e) = guard::note_failure(&env, &client).await {
                return Ok(http::problem_response(&e));
            }
        }
        return Ok(resp);
    }
    let route = match routes::resolve(&req.inner().method(), &req.path()) {
        Ok(r) => r,
        Err(e) => return Ok(http::problem_response(&e)),
    };
    // Everything that takes a credential or an invitation code; health
    // and the OpenAPI document stay reachable.
    if !matches!(route, Route::Health | Route::OpenApi) {
        if let Some(e) = guard::blocked(&client) {
            return Ok(http::problem_response(&e));
        }
    }
    let catalog = catalog::catalog_ref();
    let caller = if route.is_public() {
        None
    } else {
        match auth::authenticate(&req, &env).await {
            Ok(c) => Some(c),
            Err(e) => {
                if guard::counts(&e) {
                    if let Some(refused) = guard::note_failure(&env, &client).await {
                        return Ok(http::problem_response(&refused));
                    }
                }
                return Ok(http::problem_response(&e));
            }
        }
    };
    let limited = match caller.as_ref() {
        Some(c) => ratelimit::enforce(&env, &c.token().id, c.token().rate_limit).await,
        None => Ok(()),
    };
    if let Err(e) = limited {
        return Ok(http::problem_response(&e));
    }
    let audit_identity = caller
        .as_ref()
        .map(|c| (c.audit_identity(), c.token().id.clone()));
    let mut call = Call {
        env: &env,
        catalog,
        caller,
        project: None,
    };
    // A retired secret is refused before any handler runs: it learns
    // nothing more from trying (not even whether the target exists).
    let retired_change = match (&call.caller, route.changes_control_plane()) {
        (Some(c), true) => keyward_domain::policy::may_change(&c.actor().policy()).err(),
        _ => None,
    };
    let mut result = match retired_change {
        Some(refusal) => Err(refusal.into()),
        None => dispatch(&route, &mut req, &mut call).await,
    };
    if let Err(e) = &result {
        if matches!(route, Route::OpenInvitation(_) | Route::AcceptInvitation(_))
            && e.code() == ErrorCode::NotFound
        {
            if let Some(refused) = guard::note_failure(&env, &client).await {
                result = Err(refused);
            }
        }
    }
    if let Some(((actor, via), token_id)) = audit_identity {
        let (outcome, detail) = match &result {
            Ok(_) => (Outcome::Success, String::new()),
            Err(e) if e.problem.status == 403 => (Outcome::Denied, e.problem.detail.clone()),
            Err(e) => (
                Outcome::Failed,
                format!("{}: {}", e.code().as_str(), e.problem.detail),
            ),
        };
        // A change the registry recorded itself still counts as a use.
        let logged = !(route.audited_by_registry() && outcome == Outcome::Success);
        // The project the call acted in; an admin's call that names none
        // is the deployment's.
        let project = call
            .project
            .clone()
            .or_else(|| call.caller.as_ref().and_then(|c| c.access.project.clone()));
        record(
            &env,
            &ctx,
            (actor, via),
            Some(token_id),
            project,
            &route,
            outcome,
            detail,
            logged,
        );
    }
    Ok(match result {
        Ok(resp) => resp,
        Err(e) => http::problem_response(&e),
    })
}

async fn dispatch(route: &Route, req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    match route {
        Route::InProject(project, inner) => {
            call.project = Some(project.clone());
            Box::pin(dispatch(inner, req, call)).await
        }
        Route::ListPersonas => directory::list_personas(call).await,
        Route::CreatePersona => directory::create_persona(req, call).await,
        Route::GetPersona(id) => directory::get_persona(id, call).await,
        Route::UpdatePersona(id) => directory::update_persona(id, req, call).await,
        Route::DeletePersona(id) => directory::delete_persona(id, req, call).await,
        Route::ListMembers => directory::list_members(call).await,
        Route::CreateMember => directory::create_member(req, call).await,
        Route::GetMember(id) => directory::get_member(id, call).await,
        Route::UpdateMember(id) => directory::update_member(id, req, call).await,
        Route::DeleteMember(id) => directory::delete_member(id, call).await,
        Route::ListPersonalKeys(id) => directory::list_keys(id, call).await,
        Route::CreatePersonalKey(id) => directory::create_key(id, req, call).await,
        Route::DeletePersonalKey(member, key) => directory::delete_key(member, key, call).await,
        Route::ListProjects => directory::list_projects(call).await,
        Route::CreateProject => directory::create_project(req, call).await,
        Route::Health => meta::health(call).await,
        Route::OpenApi => meta::openapi(),
        Route::Catalog => http::json(200, call.catalog),
        Route::WhoAmI => meta::whoami(call),
        Route::Verify => meta::verify(req, call).await,
        Route::Audit => meta::audit(req, call).await,
        Route::ListTokens => tokens::list(req, call).await,
        Route::CreateToken => tokens::create(req, call).await,
        Route::GetToken(id) => tokens::get(id, call).await,
        Route::UpdateToken(id) => tokens::update(id, req, call).await,
        Route::DeleteToken(id) => tokens::delete(id, call).await,
        Route::RefreshToken(id) => tokens::refresh(id, req, call).await,
        Route::ListAdmins => admins::list(call).await,
        Route::CreateAdmin => admins::create(req, call).await,
        Route::DeleteAdmin(id) => admins::delete(id, call).await,
        Route::ListBuckets => storage::list_buckets(call).await,
        Route::CreateBucket => storage::create_bucket(req, call).await,
        Route::ListObjects(b) => storage::list_objects(b, call).await,
        Route::PutObject(b, k) => storage::put_object(b, k, req, call).await,
        Route::GetObject(b, k) => storage::get_object(b, k, req, call).await,
        Route::DeleteObject(b, k) => storage::delete_object(b, k, call).await,
        Route::CreateInvitation(id) => invitations::create(id, req, call).await,
        Route::ListInvitations => invitations::list(req, call).await,
        Route::RevokeInvitation(id) => invitations::revoke(id, call).await,
        Route::ResendInvitation(id) => invitations::resend(id, call).await,
        Route::OpenInvitation(code) => invitations::open(code, call).await,
        Route::AcceptInvitation(code) => invitations::accept(code, call).await,
        Route::Outbox => invitations::outbox(call).await,
    }
}

/// The audit queue's consumer (this worker consumes its own queue).
#[event(queue)]
async fn queue(
    batch: worker::MessageBatch<serde_json::Value>,
    env: Env,
    _ctx: Context,
) -> worker::Result<()> {
    consumer::consume(batch, &env).await
}
