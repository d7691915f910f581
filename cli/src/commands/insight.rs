//! `keyward explain` and `keyward usage` (issue 18): why a token may (not)
//! do something, and what its calls really use.

use super::Ctx;
use crate::cli::{ExplainArgs, UsageArgs};
use crate::error::CliError;
use crate::output::{self, Mode, Table};
use keyward_domain::api::Token;
use keyward_domain::explain::{Coverage, ExplainRequest, Explanation, RoutesReport, Verdict};
use keyward_domain::paths as P;
use keyward_domain::usage::{NarrowRequest, Usage};

pub fn explain(ctx: &Ctx, a: ExplainArgs) -> Result<(), CliError> {
    if a.routes {
        return routes(ctx, &a.id, a.project);
    }
    // clap requires both unless --routes.
    let (Some(service), Some(permission)) = (a.service, a.permission) else {
        return Err(CliError::Usage(
            "give a service and a permission, or --routes".into(),
        ));
    };
    let body = ExplainRequest {
        service,
        permission,
        resource: a.resource,
        project: a.project,
        secret_hint: a.secret_hint,
    };
    let e: Explanation = ctx
        .client()?
        .post(&P::TOKEN_EXPLAIN.with(&[&a.id]), &body)?;
    match ctx.mode {
        Mode::Json => output::json(&e)?,
        Mode::Quiet => {}
        Mode::Human => {
            let mut t = Table::new(vec!["VIA", "SOURCE", "IMPLIED", "WILDCARD"]);
            for v in &e.via {
                t.row(vec![
                    v.grant.to_string(),
                    v.source.to_string(),
                    yes_no(v.implied),
                    yes_no(v.wildcard),
                ]);
            }
            let mut fields = vec![
                ("token", e.token_id.clone()),
                ("project", e.project.clone()),
                ("asked", e.asked.to_string()),
                ("reason", e.reason.clone()),
            ];
            if let Some(s) = e.retry_after {
                fields.push(("retry after", format!("{s} s")));
            }
            if let Some(until) = until(&e) {
                fields.push(("secret works until", until));
            }
            output::out(&output::fields(&fields));
            if !e.via.is_empty() {
                t.print();
            }
        }
    }
    let code = serde_json::to_value(e.code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    match e.decision {
        Verdict::Allow => {
            if ctx.mode == Mode::Human {
                let mut message = format!("ALLOW ({code})");
                if let Some(until) = until(&e) {
                    message.push_str(&format!(": this secret works until {until}"));
                }
                output::note(&message);
            }
            Ok(())
        }
        Verdict::Deny => {
            let mut message = format!("DENY ({code})");
            if let Some(m) = &e.missing {
                message.push_str(&format!(": missing {m}"));
            }
            if let Some(s) = e.retry_after {
                message.push_str(&format!(": retry after {s} s"));
            }
            if let Some(until) = until(&e) {
                message.push_str(&format!(
                    ": this secret works until {until}, for the API only"
                ));
            }
            Err(CliError::Failed(message))
        }
    }
}

/// When a retired secret stops working, as RFC 3339.
fn until(e: &Explanation) -> Option<String> {
    e.secret_until.and_then(|t| {
        t.format(&time::format_description::well_known::Rfc3339)
            .ok()
    })
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "-" }.to_string()
}

fn coverage(c: Coverage) -> &'static str {
    match c {
        Coverage::All => "all",
        Coverage::Some => "some",
        Coverage::None => "none",
    }
}

fn routes(ctx: &Ctx, id: &str, project: Option<String>) -> Result<(), CliError> {
    let query: Vec<(&str, String)> = project.map(|p| ("project", p)).into_iter().collect();
    let r: RoutesReport = ctx.client()?.get(&P::TOKEN_ROUTES.with(&[id]), &query)?;
    match ctx.mode {
        Mode::Json => output::json(&r),
        Mode::Quiet => {
            let names: String = r
                .routes
                .iter()
                .filter(|x| x.callable != Coverage::None)
                .map(|x| format!("{}\n", x.name))
                .collect();
            output::out(&names);
            Ok(())
        }
        Mode::Human => {
            let mut t = Table::new(vec!["ROUTE", "METHODS", "PATH", "CALLABLE", "MISSING"]);
            for x in &r.routes {
                let missing: Vec<String> = x
                    .requires
                    .iter()
                    .filter_map(|q| match (&q.missing, q.resources.is_empty()) {
                        (Some(m), true) => Some(m.to_string()),
                        (Some(m), false) => Some(format!("{m} (holds {})", q.resources.join(", "))),
                        (None, _) => None,
                    })
                    .collect();
                t.row(vec![
                    x.name.clone(),
                    x.methods.join(","),
                    format!("/gw{}", x.path),
                    coverage(x.callable).to_string(),
                    output::or_dash(&missing.join("; ")),
                ]);
            }
            t.print();
            output::note(&format!("in project {}", r.project));
            Ok(())
        }
    }
}

pub fn usage(ctx: &Ctx, a: UsageArgs) -> Result<(), CliError> {
    let u: Usage = ctx.client()?.get(
        &P::TOKEN_USAGE.with(&[&a.id]),
        &[("days", a.days.get().to_string())],
    )?;
    show_usage(ctx, &u)?;
    if !a.apply {
        return Ok(());
    }
    super::confirm(
        a.yes,
        &format!(
            "Replace {}'s own grants with the {} proposed?",
            a.id,
            u.proposed_grants.len()
        ),
    )?;
    let token: Token = ctx.client()?.post(
        &P::TOKEN_NARROW.with(&[&a.id]),
        &NarrowRequest {
            days: Some(u.days),
            grants: u.proposed_grants.clone(),
        },
    )?;
    if ctx.mode == Mode::Human {
        output::note(&format!(
            "narrowed: {} now holds {}",
            token.id,
            output::grants(&token.grants)
        ));
    }
    Ok(())
}

fn show_usage(ctx: &Ctx, u: &Usage) -> Result<(), CliError> {
    match ctx.mode {
        Mode::Json => output::json(u),
        Mode::Quiet => {
            let grants: String = u.proposed_grants.iter().map(|g| format!("{g}\n")).collect();
            output::out(&grants);
            Ok(())
        }
        Mode::Human => {
            let mut t = Table::new(vec!["GRANT", "SOURCE", "CALLS", "LAST USED"]);
            for h in &u.grants {
                t.row(vec![
                    h.held.grant.to_string(),
                    h.held.source.to_string(),
                    h.calls.to_string(),
                    h.last_used_at
                        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
                        .map(|t| output::instant(&t))
                        .unwrap_or_else(|| "never".into()),
                ]);
            }
            t.print();
            let mut used = Table::new(vec!["USED", "CALLS"]);
            for e in &u.exercised {
                used.row(vec![e.grant.to_string(), e.count.to_string()]);
            }
            used.print();
            let list = |gs: &[keyward_domain::Grant]| {
                if gs.is_empty() {
                    "(none)".to_string()
                } else {
                    gs.iter()
                        .map(|g| g.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                }
            };
            output::out(&output::fields(&[
                ("calls", format!("{} in the last {} days", u.calls, u.days)),
                ("proposed", list(&u.proposed_grants)),
                ("removes", list(&u.removed)),
            ]));
            Ok(())
        }
    }
}
