//! The workers-rs ceiling on this runtime: the same SDK and build as
//! Keyward's worker, no work per request.

use worker::{event, Context, Env, Request, Response, Result};

#[event(fetch)]
async fn fetch(_req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    Response::ok("ok")
}
