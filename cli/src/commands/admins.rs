//! `keyward admins list|create|delete` (apinode-admin's admin-keys-list,
//! admin-key-create, admin-key-delete).

use super::{confirm, Ctx};
use crate::cli::AdminsCommand;
use crate::error::CliError;
use crate::output::{self, Mode, Table};
use keyward_domain::api::{AdminCreated, AdminList, CreateAdmin};
use keyward_domain::paths as P;

pub fn run(ctx: &Ctx, command: AdminsCommand) -> Result<(), CliError> {
    match command {
        AdminsCommand::List => list(ctx),
        AdminsCommand::Create { email, name } => create(ctx, email, name),
        AdminsCommand::Delete { id, yes } => delete(ctx, &id, yes),
    }
}

fn list(ctx: &Ctx) -> Result<(), CliError> {
    let admins: AdminList = ctx.client()?.get(P::ADMINS.template(), &[])?;
    match ctx.mode {
        Mode::Json => output::json(&admins),
        Mode::Quiet => {
            let ids: String = admins.items.iter().map(|a| format!("{}\n", a.id)).collect();
            output::out(&ids);
            Ok(())
        }
        Mode::Human => {
            let mut t = Table::new(vec!["ID", "EMAIL", "NAME", "CREATED", "MASTER TOKEN"]);
            for a in &admins.items {
                t.row(vec![
                    a.id.clone(),
                    a.email.clone(),
                    a.name.clone(),
                    output::instant(&a.created_at),
                    a.master_token_id.clone(),
                ]);
            }
            t.print();
            Ok(())
        }
    }
}

fn create(ctx: &Ctx, email: String, name: String) -> Result<(), CliError> {
    let created: AdminCreated = ctx.client()?.post(
        P::ADMINS.template(),
        // The CLI shows the master secret, as before passkeys; the new
        // admin is emailed an enrolment link as well.
        &CreateAdmin {
            email,
            name,
            master_secret: None,
        },
    )?;
    if ctx.mode == Mode::Json {
        return output::json(&created);
    }
    let a = &created.admin;
    let details = output::fields(&[
        ("admin id", a.id.clone()),
        ("email", a.email.clone()),
        ("name", a.name.clone()),
        ("created at", output::instant(&a.created_at)),
        ("master token", created.master_token.id.clone()),
        ("client id", created.master_token.client_id.clone()),
    ]);
    match &created.secret {
        Some(secret) => output::issued(ctx.mode, &details, secret),
        // A deployment that withheld it: the admin enrols with the link.
        None if ctx.mode == Mode::Quiet => {}
        None => output::out(&details),
    }
    Ok(())
}

fn delete(ctx: &Ctx, id: &str, yes: bool) -> Result<(), CliError> {
    let client = ctx.client()?;
    confirm(
        yes,
        &format!("Remove admin {id} and delete their master and personal tokens?"),
    )?;
    client.delete(&P::ADMIN.with(&[id]))?;
    match ctx.mode {
        Mode::Json => output::json(&serde_json::json!({"id": id, "deleted": true})),
        Mode::Quiet => Ok(()),
        Mode::Human => {
            output::out(&format!("Removed admin {id} and their tokens.\n"));
            Ok(())
        }
    }
}
