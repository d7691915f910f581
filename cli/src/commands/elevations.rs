//! `keyward elevations` (issue 18): time-boxed grants for a token.

use super::Ctx;
use crate::cli::ElevationsCommand;
use crate::error::CliError;
use crate::output::{self, Mode, Table};
use keyward_domain::api::Token;
use keyward_domain::elevation::{ElevateRequest, Elevation, ElevationStatus};
use keyward_domain::paths as P;
use time::OffsetDateTime;

pub fn run(ctx: &Ctx, cmd: ElevationsCommand) -> Result<(), CliError> {
    match cmd {
        ElevationsCommand::Add {
            id,
            grants,
            persona,
            lasting,
            until,
            reason,
        } => {
            let until = match (lasting, until) {
                (Some(d), _) => d
                    .after(OffsetDateTime::now_utc())
                    .map_err(CliError::Usage)?,
                (None, Some(at)) => at.0,
                (None, None) => {
                    return Err(CliError::Usage("give --for or --until".into()));
                }
            };
            let body = ElevateRequest {
                grants: persona
                    .is_none()
                    .then(|| grants.into_iter().map(|g| g.0).collect()),
                persona,
                until: Some(until),
                reason: Some(reason),
            };
            let e: Elevation = ctx
                .client()?
                .post(&P::TOKEN_ELEVATIONS.with(&[&id]), &body)?;
            show_one(ctx, &e, &id)
        }
        ElevationsCommand::List { id } => {
            let token: Token = ctx.client()?.get(&P::TOKEN.with(&[&id]), &[])?;
            match ctx.mode {
                Mode::Json => output::json(&token.elevations),
                Mode::Quiet => {
                    let ids: String = token
                        .elevations
                        .iter()
                        .map(|e| format!("{}\n", e.id))
                        .collect();
                    output::out(&ids);
                    Ok(())
                }
                Mode::Human => {
                    let now = OffsetDateTime::now_utc();
                    let mut t = Table::new(vec![
                        "ID",
                        "STATUS",
                        "GRANTS",
                        "UNTIL",
                        "REASON",
                        "REQUESTED BY",
                        "APPROVED BY",
                    ]);
                    // Those past their end are over even if not yet dropped.
                    for e in token.elevations.iter().filter(|e| e.until > now) {
                        t.row(vec![
                            e.id.clone(),
                            status(e).into(),
                            output::grants(&e.grants),
                            output::instant(&e.until),
                            e.reason.clone(),
                            e.requested_by.clone(),
                            e.approved_by.clone().unwrap_or_else(|| "-".into()),
                        ]);
                    }
                    t.print();
                    Ok(())
                }
            }
        }
        ElevationsCommand::Approve { id, elevation } => {
            let e: Elevation = ctx.client()?.post(
                &P::TOKEN_ELEVATION_APPROVE.with(&[&id, &elevation]),
                &serde_json::json!({}),
            )?;
            show_one(ctx, &e, &id)
        }
        ElevationsCommand::End { id, elevation, yes } => {
            super::confirm(yes, &format!("End elevation {elevation} of {id} now?"))?;
            ctx.client()?
                .delete(&P::TOKEN_ELEVATION.with(&[&id, &elevation]))?;
            if ctx.mode == Mode::Human {
                output::note(&format!("ended: {elevation} no longer counts for {id}"));
            }
            Ok(())
        }
    }
}

fn status(e: &Elevation) -> &'static str {
    match e.status {
        ElevationStatus::Active => "active",
        ElevationStatus::Pending => "pending approval",
    }
}

fn show_one(ctx: &Ctx, e: &Elevation, token: &str) -> Result<(), CliError> {
    match ctx.mode {
        Mode::Json => output::json(e),
        Mode::Quiet => {
            output::out(&format!("{}\n", e.id));
            Ok(())
        }
        Mode::Human => {
            output::out(&output::fields(&[
                ("elevation", e.id.clone()),
                ("token", token.to_string()),
                ("status", status(e).into()),
                ("grants", output::grants(&e.grants)),
                ("until", output::instant(&e.until)),
                ("reason", e.reason.clone()),
            ]));
            if e.status == ElevationStatus::Pending {
                output::note("waiting for another admin: keyward elevations approve");
            }
            Ok(())
        }
    }
}
