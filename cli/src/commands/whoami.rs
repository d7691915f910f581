//! `keyward whoami`.

use super::Ctx;
use crate::error::CliError;
use crate::output::{self, Mode, Table};
use keyward_domain::api::WhoAmI;
use keyward_domain::paths as P;

pub fn run(ctx: &Ctx) -> Result<(), CliError> {
    let client = ctx.client()?;
    let me: WhoAmI = client.get(P::WHOAMI.template(), &[])?;
    match ctx.mode {
        Mode::Json => output::json(&me),
        // The client id is what the audit log shows, so it is the one thing
        // a script asking "who am I" wants.
        Mode::Quiet => {
            output::out(&format!("{}\n", me.token.client_id));
            Ok(())
        }
        Mode::Human => {
            output::out(&output::token_fields(&me.token));
            output::out("\nEffective permissions:\n");
            let mut t = Table::new(vec!["SERVICE", "PERMISSION", "RESOURCES"]);
            for s in &me.permissions {
                for p in &s.permissions {
                    let resources = if p.resources.is_empty() {
                        "-".to_string()
                    } else {
                        p.resources.join(", ")
                    };
                    t.row(vec![s.service.clone(), p.permission.clone(), resources]);
                }
            }
            t.print();
            Ok(())
        }
    }
}
