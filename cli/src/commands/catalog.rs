//! `keyward catalog`: what `--grant` accepts.

use super::Ctx;
use crate::error::CliError;
use crate::output::{self, Mode, Table};
use keyward_domain::paths as P;
use keyward_domain::Catalog;

pub fn run(ctx: &Ctx) -> Result<(), CliError> {
    let catalog: Catalog = ctx.client()?.get(P::CATALOG.template(), &[])?;
    if ctx.mode == Mode::Json {
        return output::json(&catalog);
    }
    // Human and quiet alike: one grant pattern a line, ready to paste
    // into `--grant`, with its title and what it implies.
    let mut t = Table::new(vec!["GRANT", "TITLE", "IMPLIES"]);
    for s in &catalog.services {
        for p in &s.permissions {
            let grant = match &p.resource_type {
                Some(rt) => format!("{}:{}@<{rt}>", s.id, p.id),
                None => format!("{}:{}", s.id, p.id),
            };
            let implies = if p.implies.is_empty() {
                "-".to_string()
            } else {
                p.implies.join(", ")
            };
            t.row(vec![grant, format!("{}: {}", s.title, p.title), implies]);
        }
    }
    t.print();
    if ctx.mode == Mode::Human && !catalog.resource_types.is_empty() {
        output::out("\nResource types (use an id, or * for all, now and future):\n");
        let mut rt = Table::new(vec!["TYPE", "TITLE"]);
        for r in &catalog.resource_types {
            rt.row(vec![r.id.clone(), r.title.clone()]);
        }
        rt.print();
    }
    Ok(())
}
