//! `/personas`, `/members` (with their personal keys) and `/projects`:
//! input is parsed here, every decision and change is the registry's.

use crate::call::Call;
use crate::handlers::invitations::{deliver, new_code};
use crate::http::{self, ApiError, ApiResult};
use crate::registry::directory::{DirectoryCommand, MemberDraft, NewMember, ProjectChanges};
use crate::registry::{Actor, Versioned};
use crate::registry::{Command, NewSecret};
use crate::store;
use keyward_domain::api::{
    Member, MemberCreated, MemberList, Persona, PersonaList, Project, ProjectList, Token, TokenList,
};
use keyward_domain::blast::BlastRadius;
use keyward_domain::directory_input::{
    MemberChanges, MemberInvitation, NewPersona, NewPersonalKey, NewProject, PersonaChanges,
    ProjectEdit,
};
use keyward_domain::{secret, FieldError, TokenKind};
use time::Duration;
use worker::{Request, Response};

async fn ask<T: serde::de::DeserializeOwned>(
    call: &Call<'_>,
    cmd: DirectoryCommand,
) -> ApiResult<T> {
    call.registry()?.call(&Command::Directory(cmd)).await
}

/// A directory change, made only for the version the caller's `If-Match`
/// names (when it names one).
fn guarded(
    req: &Request,
    actor: &Actor,
    target: Versioned,
    cmd: DirectoryCommand,
) -> ApiResult<Command> {
    super::guarded(req, actor, target, Command::Directory(cmd))
}

// ---- personas -------------------------------------------------------------

/// Anyone who may read tokens sees every persona (linking one needs to know
/// what it grants); any other token sees the personas it holds through.
pub async fn list_personas(call: &mut Call<'_>) -> ApiResult<Response> {
    let linked_to = match call.require("tokens", "read", None) {
        Ok(_) => None,
        Err(_) => Some(call.caller()?.token().id.clone()),
    };
    let list: PersonaList = ask(call, DirectoryCommand::ListPersonas { linked_to }).await?;
    http::json(200, &list)
}

pub async fn get_persona(id: &str, call: &mut Call<'_>) -> ApiResult<Response> {
    call.require("tokens", "read", None)?;
    let persona: Persona = ask(call, DirectoryCommand::GetPersona { id: id.into() }).await?;
    super::versioned(200, &persona)
}

pub async fn create_persona(req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.require_admin("managing personas")?;
    let NewPersona {
        name,
        description,
        grants,
    } = NewPersona::parse(http::json_body(req).await?, call.catalog)?;
    let persona: Persona = ask(
        call,
        DirectoryCommand::CreatePersona {
            actor: caller.actor(),
            name: name.into(),
            description: description.into(),
            grants,
        },
    )
    .await?;
    super::versioned(201, &persona)
}

pub async fn update_persona(
    id: &str,
    req: &mut Request,
    call: &mut Call<'_>,
) -> ApiResult<Response> {
    let caller = call.require_admin("managing personas")?;
    let dry_run = dry_run(req)?;
    let PersonaChanges {
        name,
        description,
        grants,
    } = PersonaChanges::parse(http::json_body(req).await?, call.catalog)?;
    let actor = caller.actor();
    let cmd = DirectoryCommand::UpdatePersona {
        actor: actor.clone(),
        id: id.into(),
        name: name.map(String::from),
        description: description.map(String::from),
        grants,
        dry_run,
    };
    if dry_run {
        return preview(call, cmd).await;
    }
    let cmd = guarded(req, &actor, Versioned::Persona(id.into()), cmd)?;
    let persona: Persona = call.registry()?.call(&cmd).await?;
    super::versioned(200, &persona)
}

/// `?unlink=true` confirms deleting a persona that tokens still link.
pub async fn delete_persona(
    id: &str,
    req: &mut Request,
    call: &mut Call<'_>,
) -> ApiResult<Response> {
    let caller = call.require_admin("managing personas")?;
    let mut unlink = false;
    let mut dry_run = false;
    for (k, v) in http::query_pairs(req)? {
        match (k.as_str(), v.as_str()) {
            ("unlink", "true") => unlink = true,
            ("unlink", "false") => unlink = false,
            ("dry_run", v) => dry_run = flag("dry_run", v)?,
            ("unlink", _) => {
                return Err(ApiError::invalid(vec![FieldError::new(
                    "unlink",
                    "must be true or false",
                )]))
            }
            (other, _) => {
                return Err(ApiError::invalid(vec![FieldError::new(
                    other,
                    "unknown query parameter",
                )]))
            }
        }
    }
    let actor = caller.actor();
    let cmd = DirectoryCommand::DeletePersona {
        actor: actor.clone(),
        id: id.into(),
        unlink,
        dry_run,
    };
    if dry_run {
        return preview(call, cmd).await;
    }
    let cmd = guarded(req, &actor, Versioned::Persona(id.into()), cmd)?;
    super::carried_out(call, cmd).await
}

// ---- members --------------------------------------------------------------

pub async fn list_members(call: &mut Call<'_>) -> ApiResult<Response> {
    call.require_admin("managing members")?;
    let list: MemberList = ask(call, DirectoryCommand::ListMembers).await?;
    http::json(200, &list)
}

/// Admins, or the member themself (their profile).
pub async fn get_member(id: &str, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.caller()?;
    let member: Member = ask(
        call,
        DirectoryCommand::GetMember {
            actor: caller.actor(),
            id: id.into(),
        },
    )
    .await?;
    super::versioned(200, &member)
}

/// Invites a member: their user token is created with a secret nobody
/// sees, and the invitation hands them a fresh one, once.
pub async fn create_member(req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.require_admin("inviting members")?;
    crate::handlers::invitations::require_email(call)?;
    let MemberInvitation {
        email,
        name,
        grants,
        personas,
        project,
        message,
        validity,
    } = MemberInvitation::parse(http::json_body(req).await?, call.catalog)?;
    let code = new_code();
    let unseen = store::new_secret(TokenKind::User);
    let created: MemberDraft = ask(
        call,
        DirectoryCommand::CreateMember {
            actor: caller.actor(),
            member: NewMember {
                email: email.into(),
                name: name.into(),
                grants,
                personas: personas.into_iter().map(String::from).collect(),
                project: project.map(String::from),
            },
            message,
            invitation_expires_at: (store::now() + Duration::seconds(validity as i64))
                .unix_timestamp(),
            code_hash: secret::hash_str(&code).0,
            secret: NewSecret::of(&unseen),
        },
    )
    .await?;
    let invitation = deliver(call, created.draft, &code).await?;
    let enrolment =
        super::signin::enrol_person(call, None, &format!("member:{}", created.member.id)).await?;
    http::json(
        201,
        &MemberCreated {
            member: created.member,
            invitation,
            enrolment: Some(enrolment),
        },
    )
}

pub async fn update_member(
    id: &str,
    req: &mut Request,
    call: &mut Call<'_>,
) -> ApiResult<Response> {
    let caller = call.require_admin("managing members")?;
    let dry_run = dry_run(req)?;
    let MemberChanges {
        name,
        grants,
        personas,
    } = MemberChanges::parse(http::json_body(req).await?, call.catalog)?;
    let actor = caller.actor();
    let cmd = DirectoryCommand::UpdateMember {
        actor: actor.clone(),
        id: id.into(),
        name: name.map(String::from),
        grants,
        personas: personas.map(|p| p.into_iter().map(String::from).collect()),
        dry_run,
    };
    if dry_run {
        return preview(call, cmd).await;
    }
    let cmd = guarded(req, &actor, Versioned::Member(id.into()), cmd)?;
    let member: Member = call.registry()?.call(&cmd).await?;
    super::versioned(200, &member)
}

pub async fn delete_member(
    id: &str,
    req: &mut Request,
    call: &mut Call<'_>,
) -> ApiResult<Response> {
    let caller = call.require_admin("managing members")?;
    let dry_run = dry_run(req)?;
    let actor = caller.actor();
    let cmd = DirectoryCommand::DeleteMember {
        actor: actor.clone(),
        id: id.into(),
        dry_run,
    };
    if dry_run {
        return preview(call, cmd).await;
    }
    let cmd = guarded(req, &actor, Versioned::Member(id.into()), cmd)?;
    super::carried_out(call, cmd).await
}

// ---- personal keys ----------------------------------------------------------

pub async fn list_keys(member_id: &str, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.caller()?;
    let list: TokenList = ask(
        call,
        DirectoryCommand::ListPersonalKeys {
            actor: caller.actor(),
            member_id: member_id.into(),
        },
    )
    .await?;
    http::json(200, &list)
}

pub async fn create_key(
    member_id: &str,
    req: &mut Request,
    call: &mut Call<'_>,
) -> ApiResult<Response> {
    let caller = call.caller()?;
    let NewPersonalKey {
        name,
        description,
        expires_at,
    } = NewPersonalKey::parse(http::json_body(req).await?, store::now())?;
    let secret = store::new_secret(TokenKind::Personal);
    let token: Token = ask(
        call,
        DirectoryCommand::CreatePersonalKey {
            actor: caller.actor(),
            member_id: member_id.into(),
            name: name.into(),
            description: description.into(),
            expires_at,
            secret: NewSecret::of(&secret),
        },
    )
    .await?;
    super::issued(201, token, &secret)
}

/// Deleting a personal key: the registry checks the key is that member's
/// and the caller is the member or an admin, in one step.
pub async fn delete_key(member_id: &str, key_id: &str, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.caller()?;
    let command = DirectoryCommand::DeletePersonalKey {
        actor: caller.actor(),
        member_id: member_id.into(),
        key_id: key_id.into(),
    };
    super::carried_out(call, Command::Directory(command)).await
}

// ---- projects ---------------------------------------------------------------

/// The projects the caller can reach.
pub async fn list_projects(call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.caller()?;
    let list: ProjectList = ask(
        call,
        DirectoryCommand::ListProjects {
            actor: caller.actor(),
        },
    )
    .await?;
    http::json(200, &list)
}

/// One project the caller can reach; out of reach is not there at all.
pub async fn get_project(id: &str, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.caller()?;
    let list: ProjectList = ask(
        call,
        DirectoryCommand::ListProjects {
            actor: caller.actor(),
        },
    )
    .await?;
    match list.items.into_iter().find(|p| p.id == id) {
        Some(project) => super::versioned(200, &project),
        None => Err(ApiError::not_found("project")),
    }
}

pub async fn create_project(req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.require_admin("creating projects")?;
    let NewProject {
        id,
        name,
        description,
        expiry_policy,
    } = NewProject::parse(http::json_body(req).await?)?;
    let project: Project = ask(
        call,
        DirectoryCommand::CreateProject {
            actor: caller.actor(),
            id: id.into(),
            name: name.into(),
            description: description.into(),
            expiry_policy,
        },
    )
    .await?;
    super::versioned(201, &project)
}

pub async fn update_project(
    id: &str,
    req: &mut Request,
    call: &mut Call<'_>,
) -> ApiResult<Response> {
    let caller = call.require_admin("editing projects")?;
    let dry_run = dry_run(req)?;
    let ProjectEdit {
        name,
        description,
        expiry_policy,
        leak_response,
        elevation_approval,
    } = ProjectEdit::parse(http::json_body(req).await?)?;
    let actor = caller.actor();
    let cmd = DirectoryCommand::UpdateProject {
        actor: actor.clone(),
        id: id.to_string(),
        changes: ProjectChanges {
            name: name.map(String::from),
            description: description.map(String::from),
            expiry_policy,
            leak_response,
            elevation_approval,
        },
        dry_run,
    };
    if dry_run {
        return preview(call, cmd).await;
    }
    let cmd = guarded(req, &actor, Versioned::Project(id.into()), cmd)?;
    let project: Project = call.registry()?.call(&cmd).await?;
    super::versioned(200, &project)
}

// ---- blast-radius previews (`?dry_run=true`) ---------------------------------

/// `true` or `false`, else 400 naming the parameter.
fn flag(name: &str, value: &str) -> ApiResult<bool> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ApiError::invalid(vec![FieldError::new(
            name,
            "must be true or false",
        )])),
    }
}

/// `?dry_run=` of a change that can be previewed, its only query
/// parameter: anything else is refused rather than ignored, so that a
/// misspelt `dry_run` never turns a preview into the change itself.
fn dry_run(req: &Request) -> ApiResult<bool> {
    let mut dry_run = false;
    for (k, v) in http::query_pairs(req)? {
        match k.as_str() {
            "dry_run" => dry_run = flag("dry_run", &v)?,
            other => {
                return Err(ApiError::invalid(vec![FieldError::new(
                    other,
                    "unknown query parameter",
                )]))
            }
        }
    }
    Ok(dry_run)
}

/// The registry's preview of a change, answered as it is: nothing was
/// written, so the call is audited as a read (`<action>.preview`).
async fn preview(call: &mut Call<'_>, cmd: DirectoryCommand) -> ApiResult<Response> {
    let radius: BlastRadius = ask(call, cmd).await?;
    call.dry_run.set(true);
    http::json(200, &radius)
}
