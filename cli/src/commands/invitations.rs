//! `keyward invitations send|list|revoke`.

use super::Ctx;
use crate::cli::InvitationsCommand;
use crate::error::CliError;
use crate::output::{self, Mode, Table};
use keyward_domain::api::{CreateInvitation, Invitation, InvitationCreated, InvitationList};
use keyward_domain::paths as P;

pub fn run(ctx: &Ctx, command: InvitationsCommand) -> Result<(), CliError> {
    match command {
        InvitationsCommand::Send {
            token_id,
            email,
            message,
            expires_in,
        } => {
            let body = CreateInvitation {
                email,
                message,
                expires_in: expires_in.map(|d| d.seconds()),
            };
            let created: InvitationCreated = ctx
                .client()?
                .post(&P::TOKEN_INVITATIONS.with(&[&token_id]), &body)?;
            show(ctx.mode, &created)
        }
        InvitationsCommand::Resend { id } => {
            let sent: InvitationCreated = ctx
                .client()?
                .post(&P::INVITATION_RESEND.with(&[&id]), &serde_json::json!({}))?;
            show(ctx.mode, &sent)
        }
        InvitationsCommand::List { token_id } => {
            let query: Vec<(&str, String)> =
                token_id.into_iter().map(|t| ("token_id", t)).collect();
            let list: InvitationList = ctx.client()?.get(P::INVITATIONS.template(), &query)?;
            match ctx.mode {
                Mode::Json => output::json(&list),
                Mode::Quiet => {
                    let ids: String = list.items.iter().map(|i| format!("{}\n", i.id)).collect();
                    output::out(&ids);
                    Ok(())
                }
                Mode::Human => {
                    let mut t = Table::new(vec![
                        "ID",
                        "EMAIL",
                        "STATUS",
                        "TOKEN",
                        "EXPIRES",
                        "INVITED BY",
                    ]);
                    for i in &list.items {
                        t.row(vec![
                            i.id.clone(),
                            i.email.clone(),
                            i.status.as_str().to_string(),
                            format!("{} ({})", i.token_name, i.token_id),
                            output::instant(&i.expires_at),
                            i.created_by.clone(),
                        ]);
                    }
                    t.print();
                    Ok(())
                }
            }
        }
        InvitationsCommand::Revoke { id } => {
            ctx.client()?.delete(&P::INVITATION.with(&[&id]))?;
            match ctx.mode {
                Mode::Json => output::json(&serde_json::json!({"id": id, "revoked": true})),
                Mode::Quiet => Ok(()),
                Mode::Human => {
                    output::out(&format!("Revoked invitation {id}.\n"));
                    Ok(())
                }
            }
        }
    }
}

fn show(mode: Mode, created: &InvitationCreated) -> Result<(), CliError> {
    match mode {
        Mode::Json => output::json(created),
        Mode::Quiet => {
            output::out(&format!("{}\n", created.invitation.id));
            Ok(())
        }
        Mode::Human => {
            output::out(&fields(&created.invitation));
            Ok(())
        }
    }
}

fn fields(i: &Invitation) -> String {
    let mut pairs = vec![
        ("id", i.id.clone()),
        ("email", i.email.clone()),
        ("status", i.status.as_str().to_string()),
        ("token", format!("{} ({})", i.token_name, i.token_id)),
        ("message", output::or_dash(&i.message)),
        ("expires at", output::instant(&i.expires_at)),
        ("invited by", i.created_by.clone()),
        ("created at", output::instant(&i.created_at)),
    ];
    if let Some(e) = &i.delivery_error {
        pairs.push(("delivery error", e.clone()));
    }
    output::fields(&pairs)
}
