//! `keyward tokens list|get|create|update|refresh|delete`.

use super::{confirm, Ctx};
use crate::args::{GrantArg, MetaArg};
use crate::cli::{TokensCommand, TokensCreateArgs, TokensListArgs, TokensUpdateArgs};
use crate::error::CliError;
use crate::output::{self, Mode, Table};
use keyward_domain::api::{CreateToken, IssuedToken, Page, RefreshToken, Token, UpdateToken};
use keyward_domain::conditions::Meta;
use keyward_domain::paths as P;
use keyward_domain::quota::UsageLimit;
use keyward_domain::Grant;
use time::OffsetDateTime;

pub fn run(ctx: &Ctx, command: TokensCommand) -> Result<(), CliError> {
    match command {
        TokensCommand::List(a) => list(ctx, a),
        TokensCommand::Get { id } => get(ctx, &id),
        TokensCommand::Create(a) => create(ctx, a),
        TokensCommand::Update(a) => update(ctx, a),
        TokensCommand::Refresh { id, overlap } => refresh(ctx, &id, overlap.map(|d| d.seconds())),
        TokensCommand::Recover { id } => recover(ctx, &id),
        TokensCommand::Delete { id, yes } => delete(ctx, &id, yes),
    }
}

fn path(id: &str) -> String {
    P::TOKEN.with(&[id])
}

fn list(ctx: &Ctx, a: TokensListArgs) -> Result<(), CliError> {
    let meta = a
        .meta
        .iter()
        .map(|m| match m.split_once('=') {
            Some((k, v)) => Ok((format!("meta.{k}"), v.to_string())),
            None => Err(CliError::Usage(format!("--meta '{m}' is not KEY=VALUE"))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut query: Vec<(&str, String)> = vec![];
    if let Some(v) = a.name {
        query.push(("name", v));
    }
    if let Some(v) = a.client_id {
        query.push(("client_id", v));
    }
    if let Some(v) = a.kind {
        query.push(("kind", v.kind().as_str().to_string()));
    }
    if let Some(v) = a.search {
        query.push(("q", v));
    }
    if let Some(v) = a.sort {
        query.push(("sort", v.as_str().to_string()));
    }
    if let Some(v) = a.limit {
        query.push(("limit", v.to_string()));
    }
    if let Some(v) = a.offset {
        query.push(("offset", v.to_string()));
    }
    if let Some(v) = a.project {
        query.push(("project", v));
    }
    if let Some(v) = a.persona {
        query.push(("persona", v));
    }
    if a.disabled {
        query.push(("enabled", "false".into()));
    }
    if let Some(v) = a.unused_for {
        query.push(("unused_for", v.to_string()));
    }
    for (k, v) in &meta {
        query.push((k.as_str(), v.clone()));
    }
    let page: Page<Token> = ctx.client()?.get(P::TOKENS.template(), &query)?;
    match ctx.mode {
        Mode::Json => output::json(&page),
        // One id a line, for `xargs`.
        Mode::Quiet => {
            let ids: String = page.items.iter().map(|t| format!("{}\n", t.id)).collect();
            output::out(&ids);
            Ok(())
        }
        Mode::Human => {
            let mut t = Table::new(vec!["ID", "NAME", "KIND", "GRANTS", "EXPIRES", "LAST USED"]);
            for tok in &page.items {
                t.row(vec![
                    tok.id.clone(),
                    tok.name.clone(),
                    tok.kind.to_string(),
                    output::token_grants(tok),
                    output::opt_instant(&tok.expires_at, "never"),
                    output::opt_instant(&tok.last_used_at, "never"),
                ]);
            }
            t.print();
            output::note(&paging_note("tokens", &page));
            Ok(())
        }
    }
}

/// "3 of 42 tokens (offset 20); more with --offset 23": where the page
/// sits, on stderr so that stdout stays the table.
pub fn paging_note<T>(plural: &str, page: &Page<T>) -> String {
    let shown = page.items.len() as u64;
    let mut s = format!("{shown} of {} {plural}", page.total);
    if page.offset > 0 {
        s.push_str(&format!(" (offset {})", page.offset));
    }
    let next = page.offset + shown;
    if shown > 0 && next < page.total {
        s.push_str(&format!("; more with --offset {next}"));
    }
    s
}

fn get(ctx: &Ctx, id: &str) -> Result<(), CliError> {
    let token: Token = ctx.client()?.get(&path(id), &[])?;
    show_token(ctx.mode, &token)
}

fn show_token(mode: Mode, token: &Token) -> Result<(), CliError> {
    match mode {
        Mode::Json => output::json(token),
        Mode::Quiet | Mode::Human => {
            output::out(&output::token_fields(token));
            Ok(())
        }
    }
}

fn show_issued(mode: Mode, issued: &IssuedToken) -> Result<(), CliError> {
    match mode {
        Mode::Json => output::json(issued),
        _ => {
            output::issued(mode, &output::token_fields(&issued.token), &issued.secret);
            Ok(())
        }
    }
}

fn create(ctx: &Ctx, a: TokensCreateArgs) -> Result<(), CliError> {
    let grants = GrantArg::into_grants(a.grants);
    let body = CreateToken {
        name: a.name,
        description: a.description,
        grants: (!grants.is_empty()).then_some(grants),
        expires_at: a.expires_at.map(|i| i.0),
        expires_in: a.expires_in.map(|d| d.seconds()),
        rate_limit: a.rate_limit,
        kind: a.global.then_some(keyward_domain::TokenKind::Global),
        personas: (!a.personas.is_empty()).then_some(a.personas),
        project: a.project,
        project_grants: (!a.project_grants.is_empty())
            .then(|| crate::args::ProjectGrantArg::into_map(a.project_grants)),
        global_admin: a.global_admin.then_some(true),
        enabled: a.disabled.then_some(false),
        not_before: a.not_before.map(|i| i.0),
        allowed_ips: (!a.allowed_ips.is_empty()).then_some(a.allowed_ips),
        meta: (!a.meta.is_empty()).then(|| MetaArg::into_meta(a.meta)),
        usage_limit: a.uses.map(|uses| UsageLimit {
            uses,
            refill: a.refill.map(|r| r.refill()),
        }),
    };
    let issued: IssuedToken = ctx.client()?.post(P::TOKENS.template(), &body)?;
    show_issued(ctx.mode, &issued)
}

fn update(ctx: &Ctx, a: TokensUpdateArgs) -> Result<(), CliError> {
    let client = ctx.client()?;
    let expires_at = if a.never_expires {
        Some(None)
    } else if let Some(at) = a.expires_at {
        Some(Some(at.0))
    } else if let Some(d) = a.expires_in {
        // PATCH takes an instant; the span counts from now, on this clock.
        Some(Some(
            d.after(OffsetDateTime::now_utc())
                .map_err(CliError::Usage)?,
        ))
    } else {
        None
    };
    let grants = if a.clear_grants {
        Some(vec![])
    } else if !a.grants.is_empty() {
        Some(GrantArg::into_grants(a.grants))
    } else if !a.add_grants.is_empty() || !a.remove_grants.is_empty() {
        // The API takes the complete set, so relative changes start from
        // the current one.
        let current: Token = client.get(&path(&a.id), &[])?;
        Some(adjust(
            current.grants,
            GrantArg::into_grants(a.add_grants),
            GrantArg::into_grants(a.remove_grants),
        ))
    } else {
        None
    };
    let body = UpdateToken {
        name: a.name,
        description: a.description,
        grants,
        expires_at,
        rate_limit: if a.default_rate_limit {
            Some(None)
        } else {
            a.rate_limit.map(Some)
        },
        personas: if a.clear_personas {
            Some(vec![])
        } else {
            (!a.personas.is_empty()).then_some(a.personas)
        },
        enabled: if a.disable {
            Some(false)
        } else {
            a.enable.then_some(true)
        },
        not_before: if a.clear_not_before {
            Some(None)
        } else {
            a.not_before.map(|i| Some(i.0))
        },
        allowed_ips: if a.any_ip {
            Some(vec![])
        } else {
            (!a.allowed_ips.is_empty()).then_some(a.allowed_ips)
        },
        meta: if a.clear_meta {
            Some(Meta::default())
        } else {
            (!a.meta.is_empty()).then(|| MetaArg::into_meta(a.meta))
        },
        usage_limit: if a.unlimited_uses {
            Some(None)
        } else {
            a.uses.map(|uses| {
                Some(UsageLimit {
                    uses,
                    refill: a.refill.map(|r| r.refill()),
                })
            })
        },
        ..Default::default()
    };
    if body == UpdateToken::default() {
        return Err(CliError::Usage(
            "nothing to update: give --name, --description, a grant, persona or expiry option"
                .into(),
        ));
    }
    let token: Token = client.patch(&path(&a.id), &body)?;
    match ctx.mode {
        Mode::Quiet => Ok(()),
        mode => show_token(mode, &token),
    }
}

/// `current + add - remove`, in the order given; removing a grant the
/// token does not have is a no-op (with a note), so scripts are idempotent.
fn adjust(current: Vec<Grant>, add: Vec<Grant>, remove: Vec<Grant>) -> Vec<Grant> {
    let mut out = current;
    for g in add {
        if !out.contains(&g) {
            out.push(g);
        }
    }
    for g in remove {
        let before = out.len();
        out.retain(|x| x != &g);
        if out.len() == before {
            output::note(&format!(
                "note: the token has no grant {g}; nothing to remove"
            ));
        }
    }
    out
}

fn refresh(ctx: &Ctx, id: &str, overlap_seconds: Option<u64>) -> Result<(), CliError> {
    let body = RefreshToken { overlap_seconds };
    let issued: IssuedToken = ctx
        .client()?
        .post(&format!("{}/refresh", path(id)), &body)?;
    if ctx.mode == Mode::Human {
        output::note(&match overlap_seconds {
            Some(s) if s > 0 => format!("The old secret keeps working for {s} s."),
            _ => "The old secret has stopped working.".to_string(),
        });
    }
    show_issued(ctx.mode, &issued)
}

fn recover(ctx: &Ctx, id: &str) -> Result<(), CliError> {
    let recovered: keyward_domain::api::RecoveredMaster = ctx
        .client()?
        .post(&P::TOKEN_RECOVER.with(&[id]), &serde_json::json!({}))?;
    match ctx.mode {
        Mode::Json => output::json(&recovered),
        Mode::Quiet => Ok(()),
        Mode::Human => {
            output::out(&format!(
                "Recovered {id}: a new secret was sent to {}; the old one no longer works.\n",
                recovered.delivered_to
            ));
            Ok(())
        }
    }
}

fn delete(ctx: &Ctx, id: &str, yes: bool) -> Result<(), CliError> {
    let client = ctx.client()?;
    confirm(yes, &format!("Delete token {id}? This cannot be undone."))?;
    client.delete(&path(id))?;
    match ctx.mode {
        Mode::Json => output::json(&serde_json::json!({"id": id, "deleted": true})),
        Mode::Quiet => Ok(()),
        Mode::Human => {
            output::out(&format!("Deleted token {id}.\n"));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjust_adds_and_removes() {
        let g = |s: &str| Grant::parse_compact(s).unwrap();
        let out = adjust(
            vec![g("storage:read@a"), g("tokens:read")],
            vec![g("storage:write@a"), g("tokens:read")],
            vec![g("tokens:read"), g("storage:read@zzz")],
        );
        assert_eq!(out, vec![g("storage:read@a"), g("storage:write@a")]);
    }

    #[test]
    fn paging_note_points_at_the_next_page() {
        let page = Page::<u8> {
            items: vec![1, 2],
            total: 5,
            limit: 2,
            offset: 2,
            next_cursor: None,
        };
        assert_eq!(
            paging_note("tokens", &page),
            "2 of 5 tokens (offset 2); more with --offset 4"
        );
    }
}
