//! The edge worker's entry (this crate built without `control`): the
//! data plane. It answers the gateway (`/gw/*`) and a bearer token's
//! `whoami` and `verify` with the control plane's own code, and hands
//! every other request, untouched, to the control-plane worker over the
//! `CONTROL` service binding — the app's pages, sessions, every change.
//!
//! Why two workers: an isolate compiles its whole module before its first
//! answer, and the control plane (the registry, SQL, explain, the
//! OpenAPI document, the assets router) is most of it. The edge carries
//! only what a validated call needs, so it starts and answers faster.

use crate::http::{self, ApiError};
use crate::incoming::{path_of, EdgeRequest};
use crate::routes::{self, Endpoint, Route};
use keyward_domain::{ErrorCode, Secret, TokenKind};
use subtle::ConstantTimeEq;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use worker::{Context, Env, Response};

/// The service binding to the control-plane worker (wrangler.toml).
const CONTROL: &str = "CONTROL";

/// Takes the runtime's request as it is (no `worker::Request`, whose
/// conversion reads `request.cf`): the hand-off reads the method, the URL
/// and one header.
#[worker::event(fetch)]
async fn fetch(req: web_sys::Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let path = path_of(&req.url());
    let headers = req.headers();
    let authorization = headers.get("authorization").ok().flatten();
    let route = match served_here(&req, &path, authorization.as_deref(), &env) {
        Some(Here::Gateway) => None,
        Some(Here::Api(route)) => Some(route),
        None => return Ok(forward(req, &env).await),
    };
    let req = EdgeRequest::new(req, headers, path, authorization);
    crate::serve(req, route, env, ctx).await
}

/// What the edge answers itself.
enum Here {
    Gateway,
    /// `whoami` or `verify`, as matched.
    Api(Route),
}

/// What the edge answers, if anything (its route, matched once); the
/// control plane answers the rest: everything but the gateway and the
/// validated call with a bearer token. A call without `Authorization` may
/// carry a session cookie, which only the registry can resolve; and the
/// bootstrap secret's calls go there too, since the registry makes the
/// first admin from it on its first use.
fn served_here(
    req: &web_sys::Request,
    path: &str,
    authorization: Option<&str>,
    env: &Env,
) -> Option<Here> {
    if path.starts_with("/gw/") {
        return Some(Here::Gateway);
    }
    let route = routes::resolve(&req.method(), path)
        .ok()
        .filter(|r| matches!(r.endpoint(), Endpoint::WhoAmI | Endpoint::Verify))?;
    match authorization {
        Some(value) if !is_bootstrap_secret(value, env) => Some(Here::Api(route)),
        _ => None,
    }
}

/// The configured bootstrap secret (`BOOTSTRAP_TOKEN_HASH`), presented as
/// a bearer token: only the hash is compared, and only a master secret
/// can be it.
fn is_bootstrap_secret(authorization: &str, env: &Env) -> bool {
    thread_local! {
        /// An isolate's settings do not change while it lives: read once.
        static EXPECTED: std::cell::OnceCell<String> = const { std::cell::OnceCell::new() };
    }
    let expected = EXPECTED.with(|e| {
        e.get_or_init(|| {
            env.var("BOOTSTRAP_TOKEN_HASH")
                .map(|v| v.to_string().trim().to_string())
                .unwrap_or_default()
        })
        .clone()
    });
    if expected.is_empty() {
        return false;
    }
    let Some(raw) = authorization
        .trim()
        .split_once(' ')
        .map(|(_, token)| token.trim())
    else {
        return false;
    };
    match Secret::parse(raw) {
        Ok(secret) => {
            secret.kind() == TokenKind::Master
                && bool::from(secret.hash().as_str().as_bytes().ct_eq(expected.as_bytes()))
        }
        Err(_) => false,
    }
}

/// The control plane's answer, or 503: a request it could not reach is
/// never answered as if it had been (fails closed).
async fn forward(req: web_sys::Request, env: &Env) -> Response {
    let answered = async {
        let control: worker::worker_sys::Fetcher = env.service(CONTROL)?.into_rpc();
        let answer = wasm_bindgen_futures::JsFuture::from(control.fetch(&req)?).await?;
        Ok::<_, worker::Error>(Response::from(answer.dyn_into::<web_sys::Response>()?))
    }
    .await;
    answered.unwrap_or_else(|e| {
        worker::console_error!("the control plane did not answer: {e}");
        let request_id = crate::store::random_id("req_", 20);
        http::with_request_id(
            http::problem_for(
                ApiError::new(
                    ErrorCode::Unavailable,
                    "the control plane is unavailable; try again",
                ),
                &request_id,
            ),
            &request_id,
        )
    })
}

#[wasm_bindgen]
extern "C" {
    /// A service binding's `scheduled()`: runs the bound worker's Cron
    /// handler.
    #[wasm_bindgen(extends = js_sys::Object)]
    type ScheduledTarget;

    #[wasm_bindgen(method, catch)]
    fn scheduled(this: &ScheduledTarget, controller: &JsValue) -> Result<js_sys::Promise, JsValue>;
}

/// The Cron Trigger is the control plane's (`wrangler.control.toml`); one
/// that reaches the edge (`wrangler dev --test-scheduled` runs the first
/// worker's) is passed on to it.
#[worker::event(scheduled)]
async fn scheduled(event: worker::ScheduledEvent, env: Env, _ctx: worker::ScheduleContext) {
    let passed = async {
        let target: ScheduledTarget = env.service(CONTROL)?.into_rpc();
        let controller = js_sys::Object::new();
        js_sys::Reflect::set(&controller, &"cron".into(), &event.cron().into())?;
        let promise = target.scheduled(&controller)?;
        wasm_bindgen_futures::JsFuture::from(promise).await?;
        Ok::<(), worker::Error>(())
    }
    .await;
    if let Err(e) = passed {
        worker::console_error!("the control plane's scheduled run failed: {e}");
    }
}
