//! `keyward personas …`, `keyward members …` (with their personal keys) and
//! `keyward projects …`.

use super::{confirm, Ctx};
use crate::args::GrantArg;
use crate::cli::{KeysCommand, MembersCommand, PersonasCommand, ProjectsCommand};
use crate::error::CliError;
use crate::output::{self, Mode, Table};
use keyward_domain::api::{
    CreateMember, CreatePersona, CreatePersonalKey, CreateProject, ExpiryPolicy, IssuedToken,
    LeakResponse, Member, MemberCreated, MemberList, Persona, PersonaList, Project, ProjectList,
    TokenList, UpdateMember, UpdatePersona, UpdateProject,
};
use keyward_domain::blast::BlastRadius;
use keyward_domain::explain::Coverage;
use keyward_domain::paths as P;
use keyward_domain::Grant;

/// The complete set a `--grant … | --clear-grants` pair asks for, if any.
fn grant_set(grants: Vec<GrantArg>, clear: bool) -> Option<Vec<Grant>> {
    if clear {
        Some(vec![])
    } else if grants.is_empty() {
        None
    } else {
        Some(GrantArg::into_grants(grants))
    }
}

fn id_set(ids: Vec<String>, clear: bool) -> Option<Vec<String>> {
    if clear {
        Some(vec![])
    } else if ids.is_empty() {
        None
    } else {
        Some(ids)
    }
}

fn grants_text(grants: &[Grant]) -> String {
    if grants.is_empty() {
        "-".into()
    } else {
        grants
            .iter()
            .map(Grant::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A list as the API's JSON, one id a line (for `xargs`), or a table.
fn listing<T: serde::Serialize, R>(
    ctx: &Ctx,
    all: &T,
    items: &[R],
    id: impl Fn(&R) -> String,
    headers: Vec<&'static str>,
    row: impl Fn(&R) -> Vec<String>,
) -> Result<(), CliError> {
    match ctx.mode {
        Mode::Json => output::json(all),
        Mode::Quiet => {
            output::out(
                &items
                    .iter()
                    .map(|r| format!("{}\n", id(r)))
                    .collect::<String>(),
            );
            Ok(())
        }
        Mode::Human => {
            let mut t = Table::new(headers);
            for r in items {
                t.row(row(r));
            }
            t.print();
            Ok(())
        }
    }
}

fn done(ctx: &Ctx, json: serde_json::Value, human: String) -> Result<(), CliError> {
    match ctx.mode {
        Mode::Json => output::json(&json),
        Mode::Quiet => Ok(()),
        Mode::Human => {
            output::out(&human);
            Ok(())
        }
    }
}

pub fn personas(ctx: &Ctx, command: PersonasCommand) -> Result<(), CliError> {
    let client = ctx.client()?;
    match command {
        PersonasCommand::List => {
            let list: PersonaList = client.get(P::PERSONAS.template(), &[])?;
            listing(
                ctx,
                &list,
                &list.items,
                |p| p.id.clone(),
                vec!["ID", "NAME", "GRANTS", "TOKENS"],
                |p| {
                    vec![
                        p.id.clone(),
                        p.name.clone(),
                        grants_text(&p.grants),
                        p.linked_tokens.to_string(),
                    ]
                },
            )
        }
        PersonasCommand::Create {
            name,
            description,
            grants,
        } => {
            let grants = GrantArg::into_grants(grants);
            let p: Persona = client.post(
                P::PERSONAS.template(),
                &CreatePersona {
                    name,
                    description,
                    grants: (!grants.is_empty()).then_some(grants),
                },
            )?;
            show_persona(ctx, &p)
        }
        PersonasCommand::Update {
            id,
            name,
            description,
            grants,
            clear_grants,
            dry_run,
        } => {
            let body = UpdatePersona {
                name,
                description,
                grants: grant_set(grants, clear_grants),
            };
            if body == UpdatePersona::default() {
                return Err(CliError::Usage(
                    "nothing to update: give --name, --description, --grant or --clear-grants"
                        .into(),
                ));
            }
            if dry_run {
                let path = format!("{}?dry_run=true", P::PERSONA.with(&[&id]));
                return show_radius(ctx, &client.patch(&path, &body)?);
            }
            let p: Persona = client.patch(&P::PERSONA.with(&[&id]), &body)?;
            show_persona(ctx, &p)
        }
        PersonasCommand::Delete {
            id,
            unlink,
            yes,
            dry_run,
        } => {
            let path = format!(
                "{}{}",
                P::PERSONA.with(&[&id]),
                if unlink { "?unlink=true" } else { "" }
            );
            if dry_run {
                let sep = if unlink { '&' } else { '?' };
                return show_radius(
                    ctx,
                    &client.delete_json(&format!("{path}{sep}dry_run=true"))?,
                );
            }
            confirm(yes, &format!("Delete persona {id}?"))?;
            client.delete(&path)?;
            done(
                ctx,
                serde_json::json!({"id": id, "deleted": true}),
                format!("Deleted persona {id}.\n"),
            )
        }
    }
}

fn show_persona(ctx: &Ctx, p: &Persona) -> Result<(), CliError> {
    match ctx.mode {
        Mode::Json => output::json(p),
        Mode::Quiet => {
            output::out(&format!("{}\n", p.id));
            Ok(())
        }
        Mode::Human => {
            output::out(&output::fields(&[
                ("id", p.id.clone()),
                ("name", p.name.clone()),
                ("description", p.description.clone()),
                ("grants", grants_text(&p.grants)),
                ("linked tokens", p.linked_tokens.to_string()),
            ]));
            Ok(())
        }
    }
}

pub fn members(ctx: &Ctx, command: MembersCommand) -> Result<(), CliError> {
    let client = ctx.client()?;
    match command {
        MembersCommand::List => {
            let list: MemberList = client.get(P::MEMBERS.template(), &[])?;
            listing(
                ctx,
                &list,
                &list.items,
                |m| m.id.clone(),
                vec!["ID", "EMAIL", "NAME", "STATUS", "PROJECT", "GRANTS", "KEYS"],
                |m| {
                    vec![
                        m.id.clone(),
                        m.email.clone(),
                        m.name.clone(),
                        format!("{:?}", m.status).to_lowercase(),
                        m.project.clone(),
                        grants_text(&m.grants),
                        m.personal_keys.to_string(),
                    ]
                },
            )
        }
        MembersCommand::Invite {
            email,
            name,
            grants,
            personas,
            project,
            message,
        } => {
            let grants = GrantArg::into_grants(grants);
            let created: MemberCreated = client.post(
                P::MEMBERS.template(),
                &CreateMember {
                    email,
                    name,
                    grants: (!grants.is_empty()).then_some(grants),
                    personas: (!personas.is_empty()).then_some(personas),
                    project,
                    message,
                    expires_in: None,
                },
            )?;
            match ctx.mode {
                Mode::Json => output::json(&created),
                _ => {
                    show_member(ctx, &created.member)?;
                    output::note(&format!(
                        "Invitation {} sent to {}; it expires {}.",
                        created.invitation.id,
                        created.invitation.email,
                        output::instant(&created.invitation.expires_at)
                    ));
                    Ok(())
                }
            }
        }
        MembersCommand::Update {
            id,
            name,
            grants,
            clear_grants,
            personas,
            clear_personas,
            dry_run,
        } => {
            let body = UpdateMember {
                name,
                grants: grant_set(grants, clear_grants),
                personas: id_set(personas, clear_personas),
            };
            if body == UpdateMember::default() {
                return Err(CliError::Usage(
                    "nothing to update: give --name, --grant, --clear-grants, --persona or --clear-personas".into(),
                ));
            }
            if dry_run {
                let path = format!("{}?dry_run=true", P::MEMBER.with(&[&id]));
                return show_radius(ctx, &client.patch(&path, &body)?);
            }
            let m: Member = client.patch(&P::MEMBER.with(&[&id]), &body)?;
            show_member(ctx, &m)
        }
        MembersCommand::Delete { id, yes, dry_run } => {
            if dry_run {
                let path = format!("{}?dry_run=true", P::MEMBER.with(&[&id]));
                return show_radius(ctx, &client.delete_json(&path)?);
            }
            confirm(
                yes,
                &format!("Remove member {id}, their user token and personal keys?"),
            )?;
            client.delete(&P::MEMBER.with(&[&id]))?;
            done(
                ctx,
                serde_json::json!({"id": id, "deleted": true}),
                format!("Removed member {id} and their tokens.\n"),
            )
        }
        MembersCommand::Keys(k) => keys(ctx, k),
    }
}

fn show_member(ctx: &Ctx, m: &Member) -> Result<(), CliError> {
    match ctx.mode {
        Mode::Json => output::json(m),
        Mode::Quiet => {
            output::out(&format!("{}\n", m.id));
            Ok(())
        }
        Mode::Human => {
            output::out(&output::fields(&[
                ("id", m.id.clone()),
                ("email", m.email.clone()),
                ("name", m.name.clone()),
                ("status", format!("{:?}", m.status).to_lowercase()),
                ("project", m.project.clone()),
                ("grants", grants_text(&m.grants)),
                (
                    "personas",
                    if m.personas.is_empty() {
                        "-".into()
                    } else {
                        m.personas.join(", ")
                    },
                ),
                ("user token", m.user_token_id.clone()),
                ("personal keys", m.personal_keys.to_string()),
            ]));
            Ok(())
        }
    }
}

fn keys(ctx: &Ctx, command: KeysCommand) -> Result<(), CliError> {
    let client = ctx.client()?;
    match command {
        KeysCommand::List { member } => {
            let list: TokenList = client.get(&P::MEMBER_KEYS.with(&[&member]), &[])?;
            listing(
                ctx,
                &list,
                &list.items,
                |k| k.id.clone(),
                vec!["ID", "NAME", "EXPIRES", "LAST USED"],
                |k| {
                    vec![
                        k.id.clone(),
                        k.name.clone(),
                        output::opt_instant(&k.expires_at, "never"),
                        output::opt_instant(&k.last_used_at, "never"),
                    ]
                },
            )
        }
        KeysCommand::Create {
            member,
            name,
            expires_in,
        } => {
            let issued: IssuedToken = client.post(
                &P::MEMBER_KEYS.with(&[&member]),
                &CreatePersonalKey {
                    name,
                    expires_in: expires_in.map(|d| d.seconds()),
                    ..Default::default()
                },
            )?;
            match ctx.mode {
                Mode::Json => output::json(&issued),
                _ => {
                    output::issued(
                        ctx.mode,
                        &output::token_fields(&issued.token),
                        &issued.secret,
                    );
                    Ok(())
                }
            }
        }
        KeysCommand::Delete { member, key, yes } => {
            confirm(yes, &format!("Delete personal key {key}?"))?;
            client.delete(&P::MEMBER_KEY.with(&[&member, &key]))?;
            done(
                ctx,
                serde_json::json!({"id": key, "deleted": true}),
                format!("Deleted personal key {key}.\n"),
            )
        }
    }
}

pub fn projects(ctx: &Ctx, command: ProjectsCommand) -> Result<(), CliError> {
    let client = ctx.client()?;
    match command {
        ProjectsCommand::List => {
            let list: ProjectList = client.get(P::PROJECTS.template(), &[])?;
            listing(
                ctx,
                &list,
                &list.items,
                |p| p.id.clone(),
                vec!["ID", "NAME", "DESCRIPTION"],
                |p| vec![p.id.clone(), p.name.clone(), p.description.clone()],
            )
        }
        ProjectsCommand::Update {
            id,
            name,
            description,
            max_lifetime,
            no_max_lifetime,
            require_expiry,
            leak_response,
            elevation_approval,
            no_elevation_approval,
            dry_run,
        } => {
            let elevation_approval =
                (elevation_approval || no_elevation_approval).then_some(elevation_approval);
            let policy = (max_lifetime.is_some() || no_max_lifetime || require_expiry).then(|| {
                ExpiryPolicy {
                    max_lifetime_seconds: max_lifetime.map(|d| d.seconds()),
                    allow_never: !require_expiry,
                }
            });
            let body = UpdateProject {
                name,
                description,
                expiry_policy: policy,
                leak_response: leak_response.map(|r| match r.as_str() {
                    "revoke" => LeakResponse::Revoke,
                    _ => LeakResponse::Disable,
                }),
                elevation_approval,
            };
            if body == UpdateProject::default() {
                return Err(CliError::Usage(
                    "nothing to update: give --name, --description or a policy option".into(),
                ));
            }
            if dry_run {
                let path = format!("{}?dry_run=true", P::PROJECT.with(&[&id]));
                return show_radius(ctx, &client.patch(&path, &body)?);
            }
            let p: Project = client.patch(&P::PROJECT.with(&[&id]), &body)?;
            match ctx.mode {
                Mode::Json => output::json(&p),
                _ => {
                    output::out(&format!(
                        "Updated project {}: tokens live at most {}{}.\n",
                        p.id,
                        p.expiry_policy
                            .max_lifetime_seconds
                            .map_or("ten years".into(), keyward_domain::expiry::describe_span),
                        if p.expiry_policy.allow_never {
                            ", or never expire"
                        } else {
                            ""
                        }
                    ));
                    Ok(())
                }
            }
        }
        ProjectsCommand::Create {
            id,
            name,
            description,
            max_lifetime,
            require_expiry,
        } => {
            let p: Project = client.post(
                P::PROJECTS.template(),
                &CreateProject {
                    id,
                    name,
                    description,
                    expiry_policy: (max_lifetime.is_some() || require_expiry).then(|| {
                        ExpiryPolicy {
                            max_lifetime_seconds: max_lifetime.map(|d| d.seconds()),
                            allow_never: !require_expiry,
                        }
                    }),
                },
            )?;
            match ctx.mode {
                Mode::Json => output::json(&p),
                Mode::Quiet => {
                    output::out(&format!("{}\n", p.id));
                    Ok(())
                }
                Mode::Human => {
                    output::out(&format!("Created project {} ({}).\n", p.id, p.name));
                    Ok(())
                }
            }
        }
    }
}

/// A change's preview (`--dry-run`): the API's JSON, the ids of the tokens
/// it reaches (for `xargs`), or one paragraph per token.
fn show_radius(ctx: &Ctx, radius: &BlastRadius) -> Result<(), CliError> {
    match ctx.mode {
        Mode::Json => output::json(radius),
        Mode::Quiet => {
            let ids: String = radius
                .tokens
                .iter()
                .map(|t| format!("{}\n", t.id))
                .chain(radius.expiry.iter().map(|t| format!("{}\n", t.id)))
                .collect();
            output::out(&ids);
            Ok(())
        }
        Mode::Human => {
            output::out(&radius_text(radius));
            Ok(())
        }
    }
}

fn radius_text(radius: &BlastRadius) -> String {
    let mut out = format!(
        "Preview of {} (nothing was changed): {}.\n",
        radius.action,
        radius.summary()
    );
    for t in &radius.tokens {
        let gone = if t.deleted { ", deleted" } else { "" };
        out.push_str(&format!("  {} ({}){gone}\n", t.name, t.id));
        for p in &t.projects {
            let changes: Vec<String> = p
                .gained
                .iter()
                .map(|g| format!("+{g}"))
                .chain(p.lost.iter().map(|g| format!("-{g}")))
                .collect();
            out.push_str(&format!("    in {}: {}\n", p.project, changes.join(" ")));
            for r in &p.routes {
                let on = |rs: &[String]| {
                    if rs.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", rs.join(", "))
                    }
                };
                out.push_str(&format!(
                    "      gateway {} {}: {}{} -> {}{}\n",
                    r.methods.join(","),
                    r.path,
                    coverage(r.before),
                    on(&r.resources_before),
                    coverage(r.after),
                    on(&r.resources_after)
                ));
            }
        }
    }
    for t in &radius.expiry {
        out.push_str(&format!(
            "  {} ({}) keeps its expiry ({}): {}\n",
            t.name,
            t.id,
            t.expires_at
                .as_ref()
                .map_or("never".into(), output::instant),
            t.reason
        ));
    }
    out
}

fn coverage(c: Coverage) -> &'static str {
    match c {
        Coverage::All => "all",
        Coverage::Some => "some",
        Coverage::None => "none",
    }
}
