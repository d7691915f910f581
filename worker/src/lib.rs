//! Keyward's worker: the token authority at the edge.
//!
//! A thin fetch entry: resolve the route, authenticate, hand off to the
//! handler, record the call. Handlers live in `handlers/`; the registry
//! Durable Object owns every change.
//!
//! Built with the `control` feature (the default) this is the control
//! plane; without it, the edge worker (`edge.rs`): the same code for the
//! validated call and the gateway, and nothing else.
#![cfg_attr(not(feature = "control"), allow(dead_code, unused_imports))]

mod audit;
mod auth;
mod authority;
mod call;
mod catalog;
#[cfg(feature = "control")]
mod consumer;
#[cfg(not(feature = "control"))]
mod edge;
#[cfg(feature = "control")]
mod email;
mod gateway;
mod gateway_table;
mod guard;
mod handlers;
mod http;
#[cfg(feature = "control")]
mod idempotency;
mod incoming;
mod random;
mod ratelimit;
#[cfg(feature = "control")]
mod recovery;
mod refusal;
#[cfg(feature = "control")]
mod registry;
mod routes;
#[cfg(feature = "control")]
mod scanning;
mod store;
mod weburl;

use audit::CallAudit;
use call::Call;
use handlers::meta;
#[cfg(feature = "control")]
use handlers::{
    admins, directory, elevations, insight, invitations, leaks, signin, storage, tokens,
};
use http::ApiResult;
use keyward_domain::ErrorCode;
use routes::{Endpoint, Route};
use worker::{Context, Env, Request, Response};

#[cfg(feature = "control")]
pub use guard::FailureGuard;
#[cfg(feature = "control")]
pub use ratelimit::RateLimiter;
#[cfg(feature = "control")]
pub use registry::RegistryObject;

#[cfg(feature = "control")]
#[worker::event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    serve(req, None, env, ctx).await
}

/// A call as both workers answer it: the gateway, or an API route
/// authenticated, limited, handled and recorded. `resolved`: the route,
/// when the entry has matched it already (the edge, to decide).
async fn serve(
    req: incoming::Req,
    resolved: Option<Route>,
    env: Env,
    ctx: Context,
) -> worker::Result<Response> {
    let request_id = http::request_id(&req);
    let resp = answer(req, resolved, env, ctx, &request_id).await?;
    Ok(http::with_request_id(resp, &request_id))
}

async fn answer(
    mut req: incoming::Req,
    resolved: Option<Route>,
    env: Env,
    ctx: Context,
    request_id: &str,
) -> worker::Result<Response> {
    let refuse = |e: http::ApiError| http::problem_for(e, request_id);
    let client = guard::client_address(&req);
    if req.path().starts_with("/gw/") {
        if let Some(e) = guard::blocked(&client) {
            return Ok(refuse(e));
        }
        let resp = gateway::handle(req, &env, &ctx, request_id).await;
        if guard::counts_response(&resp) {
            if let Some(e) = guard::note_failure(&env, &client).await {
                return Ok(refuse(e));
            }
        }
        return Ok(resp);
    }
    let route =
        match resolved.map_or_else(|| routes::resolve(&req.inner().method(), &req.path()), Ok) {
            Ok(r) => r,
            Err(e) => return Ok(refuse(e)),
        };
    // Everything that takes a credential or an invitation code; health
    // and the OpenAPI document stay reachable.
    if !matches!(route.endpoint(), Endpoint::Health | Endpoint::OpenApi) {
        if let Some(e) = guard::blocked(&client) {
            return Ok(refuse(e));
        }
    }
    let catalog = catalog::catalog_ref();
    let caller = if route.is_public() {
        None
    } else {
        match auth::authenticate(&req, &env).await {
            // Only the control plane's registry writes it down.
            #[cfg(feature = "control")]
            Ok(mut c) => {
                c.request_id = Some(request_id.to_string());
                Some(c)
            }
            #[cfg(not(feature = "control"))]
            Ok(c) => Some(c),
            Err(e) => {
                if guard::counts(&e) {
                    if let Some(refused) = guard::note_failure(&env, &client).await {
                        return Ok(refuse(refused));
                    }
                }
                return Ok(refuse(e));
            }
        }
    };
    let limited = match caller.as_ref() {
        Some(c) => {
            let t = c.token();
            ratelimit::enforce(&env, &t.id, t.rate_limit, t.usage_limit)
                .await
                .map(Some)
        }
        None => Ok(None),
    };
    let allowance = match limited {
        Ok(a) => a,
        Err(e) => return Ok(refuse(e)),
    };
    // What the call's audit entry says, named as the gateway names its own.
    let audit = caller.as_ref().map(|c| CallAudit {
        person: c.person(),
        ..CallAudit::of(
            c.audit_identity(),
            Some(c.token().id.clone()),
            route.action().to_string(),
            route.target(),
        )
    });
    let mut call = Call {
        env: &env,
        ctx: &ctx,
        request_id,
        catalog,
        caller,
        project: None,
        used: Default::default(),
        dry_run: Default::default(),
    };
    // A retired secret is refused before any handler runs: it learns
    // nothing more from trying (not even whether the target exists).
    let retired_change = match (&call.caller, route.changes_control_plane()) {
        (Some(c), true) => retired_refusal(c),
        _ => None,
    };
    let mut result = match retired_change {
        Some(refusal) => Err(refusal.into()),
        None => carry_out(&route, &mut req, &mut call).await,
    };
    if let Err(e) = &result {
        if matches!(
            route.endpoint(),
            Endpoint::OpenInvitation
                | Endpoint::AcceptInvitation
                | Endpoint::OpenEnrolment
                | Endpoint::EnrolmentOptions
                | Endpoint::Enrol
                | Endpoint::ApproveDevice
        ) && e.code() == ErrorCode::NotFound
            || matches!(
                route.endpoint(),
                Endpoint::PasskeySignIn | Endpoint::DeviceToken
            ) && matches!(
                e.code(),
                ErrorCode::PasskeyRejected | ErrorCode::DeviceCodeExpired
            )
            || route.endpoint() == Endpoint::ReportLeaks
                && matches!(
                    e.code(),
                    ErrorCode::InvalidToken | ErrorCode::InvalidSignature
                )
        {
            if let Some(refused) = guard::note_failure(&env, &client).await {
                result = Err(refused);
            }
        }
    }
    if let Some(mut audit) = audit {
        // A change the registry recorded itself still counts as a use.
        // A preview wrote nothing, so nothing recorded it: it is logged
        // here, as a read.
        let preview = call.dry_run.get();
        audit.logged = preview || !(route.audited_by_registry() && result.is_ok());
        if preview {
            audit.action.push_str(".preview");
        }
        // The project the call acted in; an admin's call that names none
        // is the deployment's.
        audit.project = call
            .project
            .clone()
            .or_else(|| call.caller.as_ref().and_then(|c| c.access.project.clone()));
        audit.used = call.used.take();
        let outcome = result.as_ref().map(|_| String::new());
        audit.record(&env, &ctx, request_id, outcome);
    }
    let resp = match result {
        Ok(resp) => resp,
        Err(e) => refuse(e),
    };
    Ok(match allowance {
        Some(a) => http::with_allowance(resp, &a),
        None => resp,
    })
}

/// The handler's answer; a create with an `Idempotency-Key` answers once
/// per key, and a retry gets that answer again.
#[cfg(feature = "control")]
async fn carry_out(route: &Route, req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    match idempotency::start(req, route, call).await? {
        idempotency::Start::Unkeyed => dispatch(route, req, call).await,
        idempotency::Start::Replayed(resp) => Ok(resp),
        idempotency::Start::Held(held) => {
            let result = dispatch(route, req, call).await;
            idempotency::finish(held, result, call).await
        }
    }
}

#[cfg(not(feature = "control"))]
async fn carry_out(
    route: &Route,
    req: &mut incoming::Req,
    call: &mut Call<'_>,
) -> ApiResult<Response> {
    dispatch(route, req, call).await
}

/// A retired secret may not change anything (`policy::may_change`).
#[cfg(feature = "control")]
fn retired_refusal(caller: &auth::Caller) -> Option<keyward_domain::policy::Refusal> {
    keyward_domain::policy::may_change(&caller.actor().policy()).err()
}

/// The edge changes nothing: every route that does is the control plane's.
#[cfg(not(feature = "control"))]
fn retired_refusal(_: &auth::Caller) -> Option<keyward_domain::policy::Refusal> {
    None
}

/// The edge answers only the validated call itself; `edge::served_here`
/// sent every other route to the control plane before this.
#[cfg(not(feature = "control"))]
async fn dispatch(
    route: &Route,
    req: &mut incoming::Req,
    call: &mut Call<'_>,
) -> ApiResult<Response> {
    match route.endpoint() {
        Endpoint::WhoAmI => meta::whoami(call).await,
        Endpoint::Verify => meta::verify(req, call).await,
        _ => Err(http::ApiError::new(
            ErrorCode::NotFound,
            "this route is the control plane's",
        )),
    }
}

#[cfg(feature = "control")]
async fn dispatch(route: &Route, req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    if let Some(project) = route.project() {
        call.project = Some(project.to_string());
    }
    let p = |name| route.param(name);
    match route.endpoint() {
        Endpoint::ListPersonas => directory::list_personas(call).await,
        Endpoint::CreatePersona => directory::create_persona(req, call).await,
        Endpoint::GetPersona => directory::get_persona(p("id"), call).await,
        Endpoint::UpdatePersona => directory::update_persona(p("id"), req, call).await,
        Endpoint::DeletePersona => directory::delete_persona(p("id"), req, call).await,
        Endpoint::ListMembers => directory::list_members(call).await,
        Endpoint::CreateMember => directory::create_member(req, call).await,
        Endpoint::GetMember => directory::get_member(p("id"), call).await,
        Endpoint::UpdateMember => directory::update_member(p("id"), req, call).await,
        Endpoint::DeleteMember => directory::delete_member(p("id"), req, call).await,
        Endpoint::ListPersonalKeys => directory::list_keys(p("id"), call).await,
        Endpoint::CreatePersonalKey => directory::create_key(p("id"), req, call).await,
        Endpoint::DeletePersonalKey => directory::delete_key(p("id"), p("key"), call).await,
        Endpoint::ListProjects => directory::list_projects(call).await,
        Endpoint::CreateProject => directory::create_project(req, call).await,
        Endpoint::ReportLeaks => leaks::report(req, call).await,
        Endpoint::GetProject => directory::get_project(p("project"), call).await,
        Endpoint::UpdateProject => directory::update_project(p("project"), req, call).await,
        Endpoint::ExplainToken => insight::explain(p("id"), req, call).await,
        Endpoint::TokenRoutes => insight::routes(p("id"), req, call).await,
        Endpoint::TokenUsage => insight::usage(p("id"), req, call).await,
        Endpoint::NarrowToken => insight::narrow(p("id"), req, call).await,
        Endpoint::ElevateToken => elevations::elevate(p("id"), req, call).await,
        Endpoint::ApproveElevation => elevations::approve(p("id"), p("elevation"), call).await,
        Endpoint::EndElevation => elevations::end(p("id"), p("elevation"), call).await,
        Endpoint::Health => meta::health(call).await,
        Endpoint::OpenApi => meta::openapi(),
        Endpoint::Catalog => http::json(200, call.catalog),
        Endpoint::WhoAmI => meta::whoami(call).await,
        Endpoint::Verify => meta::verify(req, call).await,
        Endpoint::Audit => meta::audit(req, call).await,
        Endpoint::ListTokens => tokens::list(req, call).await,
        Endpoint::CreateToken => tokens::create(req, call).await,
        Endpoint::GetToken => tokens::get(p("id"), call).await,
        Endpoint::UpdateToken => tokens::update(p("id"), req, call).await,
        Endpoint::DeleteToken => tokens::delete(p("id"), req, call).await,
        Endpoint::RefreshToken => tokens::refresh(p("id"), req, call).await,
        Endpoint::RecoverToken => tokens::recover(p("id"), call).await,
        Endpoint::ListAdmins => admins::list(call).await,
        Endpoint::CreateAdmin => admins::create(req, call).await,
        Endpoint::DeleteAdmin => admins::delete(p("id"), call).await,
        Endpoint::ListBuckets => storage::list_buckets(req, call).await,
        Endpoint::CreateBucket => storage::create_bucket(req, call).await,
        Endpoint::ListObjects => storage::list_objects(p("bucket"), call).await,
        Endpoint::PutObject => storage::put_object(p("bucket"), p("key"), req, call).await,
        Endpoint::GetObject => storage::get_object(p("bucket"), p("key"), req, call).await,
        Endpoint::DeleteObject => storage::delete_object(p("bucket"), p("key"), call).await,
        Endpoint::CreateInvitation => invitations::create(p("id"), req, call).await,
        Endpoint::ListInvitations => invitations::list(req, call).await,
        Endpoint::RevokeInvitation => invitations::revoke(p("id"), call).await,
        Endpoint::ResendInvitation => invitations::resend(p("id"), call).await,
        Endpoint::OpenInvitation => invitations::open(p("code"), call).await,
        Endpoint::AcceptInvitation => invitations::accept(p("code"), call).await,
        Endpoint::Outbox => invitations::outbox(call).await,
        Endpoint::PasskeyOptions => signin::passkey_options(req, call).await,
        Endpoint::PasskeySignIn => signin::passkey_sign_in(req, call).await,
        Endpoint::OpenSession => signin::open_session(req, call).await,
        Endpoint::SignOut => signin::sign_out(req, call).await,
        Endpoint::StartDevice => signin::start_device(req, call).await,
        Endpoint::DeviceToken => signin::device_token(req, call).await,
        Endpoint::ApproveDevice => signin::approve_device(req, call).await,
        Endpoint::CreateEnrolment => signin::create_enrolment(req, call).await,
        Endpoint::OpenEnrolment => signin::open_enrolment(p("code"), call).await,
        Endpoint::EnrolmentOptions => signin::enrolment_options(p("code"), req, call).await,
        Endpoint::Enrol => signin::enrol(p("code"), req, call).await,
        Endpoint::ListSessions => signin::list_sessions(call).await,
        Endpoint::EndSessions => signin::end_sessions(req, call).await,
        Endpoint::EndSession => signin::end_session(p("id"), call).await,
        Endpoint::ListPasskeys => signin::list_passkeys(call).await,
        Endpoint::NewPasskeyOptions => signin::new_passkey_options(req, call).await,
        Endpoint::AddPasskey => signin::add_passkey(req, call).await,
        Endpoint::RenamePasskey => signin::rename_passkey(p("id"), req, call).await,
        Endpoint::RemovePasskey => signin::remove_passkey(p("id"), call).await,
    }
}

/// The Cron Trigger (`[triggers]` in wrangler.toml): the registry deletes
/// expired tokens and forgets finished overlaps. Never on a call's path.
#[cfg(feature = "control")]
#[worker::event(scheduled)]
async fn scheduled(_event: worker::ScheduledEvent, env: Env, _ctx: worker::ScheduleContext) {
    recovery::carry_out(&env).await;
    let swept = match registry::Registry::from_env(&env) {
        Ok(r) => r.call::<usize>(&registry::Command::Sweep).await,
        Err(e) => Err(e),
    };
    match swept {
        Ok(n) => worker::console_log!("sweep: {n} expired tokens deleted"),
        Err(e) => worker::console_error!("sweep failed: {}", e.problem.detail),
    }
}

/// The audit queue's consumer (the edge and the control plane produce).
#[cfg(feature = "control")]
#[worker::event(queue)]
async fn queue(
    batch: worker::MessageBatch<serde_json::Value>,
    env: Env,
    _ctx: Context,
) -> worker::Result<()> {
    consumer::consume(batch, &env).await
}
