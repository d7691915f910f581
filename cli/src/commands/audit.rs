//! `keyward audit`.

use super::Ctx;
use crate::cli::AuditArgs;
use crate::error::CliError;
use crate::output::{self, Mode, Table};
use keyward_domain::api::{AuditEntry, Page};
use keyward_domain::paths as P;

pub fn run(ctx: &Ctx, a: AuditArgs) -> Result<(), CliError> {
    let mut query: Vec<(&str, String)> = vec![];
    if let Some(v) = a.actor {
        query.push(("actor", v));
    }
    if let Some(v) = a.action {
        query.push(("action", v));
    }
    if let Some(v) = a.target {
        query.push(("target", v));
    }
    if let Some(v) = a.limit {
        query.push(("limit", v.to_string()));
    }
    if let Some(v) = a.offset {
        query.push(("offset", v.to_string()));
    }
    let page: Page<AuditEntry> = ctx.client()?.get(P::AUDIT.template(), &query)?;
    match ctx.mode {
        Mode::Json => output::json(&page),
        Mode::Quiet => {
            let ids: String = page.items.iter().map(|e| format!("{}\n", e.id)).collect();
            output::out(&ids);
            Ok(())
        }
        Mode::Human => {
            let mut t = Table::new(vec!["AT", "ACTOR", "ACTION", "TARGET", "OUTCOME", "DETAIL"]);
            for e in &page.items {
                t.row(vec![
                    output::instant(&e.at),
                    e.actor.clone(),
                    e.action.clone(),
                    output::or_dash(&e.target),
                    e.outcome.as_str().to_string(),
                    e.detail.clone(),
                ]);
            }
            t.print();
            output::note(&super::tokens::paging_note("entries", &page));
            Ok(())
        }
    }
}
