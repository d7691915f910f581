//! `keyward verify`: the check another backend makes, from a terminal.

use super::Ctx;
use crate::args::GrantArg;
use crate::cli::VerifyArgs;
use crate::error::CliError;
use crate::output::{self, Mode};
use keyward_domain::api::{VerifyCode, VerifyRequest, VerifyResponse};
use keyward_domain::paths as P;
use keyward_domain::requirement::Requirement;
use std::io::Read;

pub fn run(ctx: &Ctx, a: VerifyArgs) -> Result<(), CliError> {
    let key = if a.key == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| CliError::Usage(format!("cannot read the key from stdin: {e}")))?;
        s.trim().to_string()
    } else {
        a.key
    };
    let grant = |g| Requirement::Grant(g);
    let mut all: Vec<Requirement> = GrantArg::into_grants(a.require)
        .into_iter()
        .map(grant)
        .collect();
    let any: Vec<Requirement> = GrantArg::into_grants(a.any)
        .into_iter()
        .map(grant)
        .collect();
    if !any.is_empty() {
        all.push(Requirement::Any(any));
    }
    let body = VerifyRequest {
        key,
        require: (!all.is_empty()).then_some(Requirement::All(all)),
        project: a.project,
        ip: a.ip,
        dry_run: a.dry_run.then_some(true),
    };
    let answer: VerifyResponse = ctx.client()?.post(P::VERIFY.template(), &body)?;
    match ctx.mode {
        Mode::Json => output::json(&answer)?,
        Mode::Quiet => {}
        Mode::Human => {
            if let Some(t) = &answer.token {
                output::out(&output::token_fields(t));
            }
            if let Some(p) = &answer.project {
                output::note(&format!("checked in project {p}"));
            }
        }
    }
    if answer.valid {
        if ctx.mode == Mode::Human {
            output::note("VALID");
        }
        return Ok(());
    }
    let code = match answer.code {
        VerifyCode::Valid => "VALID",
        VerifyCode::Malformed => "MALFORMED",
        VerifyCode::NotFound => "NOT_FOUND",
        VerifyCode::Expired => "EXPIRED",
        VerifyCode::Disabled => "DISABLED",
        VerifyCode::NotYetValid => "NOT_YET_VALID",
        VerifyCode::IpNotAllowed => "IP_NOT_ALLOWED",
        VerifyCode::InsufficientPermissions => "INSUFFICIENT_PERMISSIONS",
        VerifyCode::RateLimited => "RATE_LIMITED",
        VerifyCode::UsageExhausted => "USAGE_EXHAUSTED",
    };
    let mut message = format!("not valid: {code}");
    if let Some(s) = answer.retry_after {
        message.push_str(&format!(" (retry in {s} s)"));
    }
    if let Some(m) = &answer.missing {
        message.push_str(&format!(" (missing {m})"));
    }
    Err(CliError::Failed(message))
}
