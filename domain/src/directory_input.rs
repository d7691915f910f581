//! The directory's creates and edits (personas, members, personal keys,
//! projects), parsed at the boundary like a token's
//! ([`crate::token_input`]): a body becomes typed values, or the one 400
//! that names every bad field of a stage. Whether ids exist and who may
//! change what is the registry's.

use crate::api::{
    CreateMember, CreatePersona, CreatePersonalKey, CreateProject, ExpiryPolicy, LeakResponse,
    UpdateMember, UpdatePersona, UpdateProject,
};
use crate::expiry;
use crate::invitation;
use crate::problem::{FieldError, Problem};
use crate::shapes::{Description, Email, Name, PersonaId, ProjectId};
use crate::token_input::{checked_grants, collect, persona_ids};
use crate::{Catalog, Grant};
use time::OffsetDateTime;

type Parsed<T> = Result<T, Box<Problem>>;

fn invalid(errors: Vec<FieldError>) -> Box<Problem> {
    Box::new(Problem::invalid(errors))
}

/// `POST /personas`.
pub struct NewPersona {
    pub name: Name,
    pub description: Description,
    pub grants: Vec<Grant>,
}

impl NewPersona {
    pub fn parse(body: CreatePersona, catalog: &Catalog) -> Parsed<NewPersona> {
        let CreatePersona {
            name,
            description,
            grants,
        } = body;
        let mut errors = vec![];
        let name = collect(&mut errors, Name::parse("name", &name));
        let description = collect(
            &mut errors,
            Description::parse("description", description.as_deref().unwrap_or("")),
        );
        let (Some(name), Some(description)) = (name, description) else {
            return Err(invalid(errors));
        };
        Ok(NewPersona {
            name,
            description,
            grants: checked_grants(catalog, grants.unwrap_or_default())?,
        })
    }
}

/// `PATCH /personas/{id}`; `None` leaves a field as it is.
pub struct PersonaChanges {
    pub name: Option<Name>,
    pub description: Option<Description>,
    pub grants: Option<Vec<Grant>>,
}

impl PersonaChanges {
    pub fn parse(body: UpdatePersona, catalog: &Catalog) -> Parsed<PersonaChanges> {
        let UpdatePersona {
            name,
            description,
            grants,
        } = body;
        let mut errors = vec![];
        let name = name.and_then(|n| collect(&mut errors, Name::parse("name", &n)));
        let description =
            description.and_then(|d| collect(&mut errors, Description::parse("description", &d)));
        if !errors.is_empty() {
            return Err(invalid(errors));
        }
        Ok(PersonaChanges {
            name,
            description,
            grants: grants.map(|g| checked_grants(catalog, g)).transpose()?,
        })
    }
}

/// `POST /members`: the member, and the invitation that goes to them.
pub struct MemberInvitation {
    pub email: Email,
    pub name: Name,
    pub grants: Vec<Grant>,
    pub personas: Vec<PersonaId>,
    /// `None`: the default project.
    pub project: Option<ProjectId>,
    pub message: String,
    /// Seconds the invitation stays valid.
    pub validity: u64,
}

impl MemberInvitation {
    pub fn parse(body: CreateMember, catalog: &Catalog) -> Parsed<MemberInvitation> {
        let CreateMember {
            email,
            name,
            grants,
            personas,
            project,
            message,
            expires_in,
        } = body;
        let mut errors = vec![];
        let email = collect(&mut errors, Email::parse("email", &email));
        let name = collect(&mut errors, Name::parse("name", &name));
        let message = collect(&mut errors, invitation::message(message.as_deref()));
        let validity = collect(&mut errors, invitation::validity(expires_in));
        let project = match &project {
            Some(p) => collect(&mut errors, ProjectId::parse("project", p)).map(Some),
            None => Some(None),
        };
        let (Some(email), Some(name), Some(message), Some(validity), Some(project)) =
            (email, name, message, validity, project)
        else {
            return Err(invalid(errors));
        };
        Ok(MemberInvitation {
            email,
            name,
            grants: checked_grants(catalog, grants.unwrap_or_default())?,
            personas: persona_ids(personas.unwrap_or_default())?,
            project,
            message,
            validity,
        })
    }
}

/// `PATCH /members/{id}`; `None` leaves a field as it is.
pub struct MemberChanges {
    pub name: Option<Name>,
    pub grants: Option<Vec<Grant>>,
    pub personas: Option<Vec<PersonaId>>,
}

impl MemberChanges {
    pub fn parse(body: UpdateMember, catalog: &Catalog) -> Parsed<MemberChanges> {
        let UpdateMember {
            name,
            grants,
            personas,
        } = body;
        let name = name
            .map(|n| Name::parse("name", &n))
            .transpose()
            .map_err(|e| invalid(vec![e]))?;
        Ok(MemberChanges {
            name,
            grants: grants.map(|g| checked_grants(catalog, g)).transpose()?,
            personas: personas.map(persona_ids).transpose()?,
        })
    }
}

/// `POST /members/{id}/keys`.
pub struct NewPersonalKey {
    pub name: Name,
    pub description: Description,
    pub expires_at: Option<i64>,
}

impl NewPersonalKey {
    pub fn parse(body: CreatePersonalKey, now: OffsetDateTime) -> Parsed<NewPersonalKey> {
        let CreatePersonalKey {
            name,
            description,
            expires_at,
            expires_in,
        } = body;
        let mut errors = vec![];
        let name = collect(&mut errors, Name::parse("name", &name));
        let description = collect(
            &mut errors,
            Description::parse("description", description.as_deref().unwrap_or("")),
        );
        let expires_at = collect(&mut errors, expiry::resolve(expires_at, expires_in, now));
        let (Some(name), Some(description), Some(expires_at)) = (name, description, expires_at)
        else {
            return Err(invalid(errors));
        };
        Ok(NewPersonalKey {
            name,
            description,
            expires_at: expires_at.map(|t| t.unix_timestamp()),
        })
    }
}

/// `POST /projects`.
pub struct NewProject {
    pub id: ProjectId,
    pub name: Name,
    pub description: Description,
    pub expiry_policy: ExpiryPolicy,
}

impl NewProject {
    pub fn parse(body: CreateProject) -> Parsed<NewProject> {
        let CreateProject {
            id,
            name,
            description,
            expiry_policy,
        } = body;
        let mut errors = vec![];
        let id = collect(&mut errors, ProjectId::parse("id", &id));
        let name = collect(&mut errors, Name::parse("name", &name));
        let description = collect(
            &mut errors,
            Description::parse("description", description.as_deref().unwrap_or("")),
        );
        let policy = collect(
            &mut errors,
            expiry_policy.unwrap_or_default().check("expiry_policy"),
        );
        let (Some(id), Some(name), Some(description), Some(expiry_policy)) =
            (id, name, description, policy)
        else {
            return Err(invalid(errors));
        };
        Ok(NewProject {
            id,
            name,
            description,
            expiry_policy,
        })
    }
}

/// `PATCH /projects/{project}`; `None` leaves a field as it is.
pub struct ProjectEdit {
    pub name: Option<Name>,
    pub description: Option<Description>,
    pub expiry_policy: Option<ExpiryPolicy>,
    pub leak_response: Option<LeakResponse>,
    pub elevation_approval: Option<bool>,
}

impl ProjectEdit {
    pub fn parse(body: UpdateProject) -> Parsed<ProjectEdit> {
        let UpdateProject {
            name,
            description,
            expiry_policy,
            leak_response,
            elevation_approval,
        } = body;
        let mut errors = vec![];
        let name = name.and_then(|n| collect(&mut errors, Name::parse("name", &n)));
        let description =
            description.and_then(|d| collect(&mut errors, Description::parse("description", &d)));
        let expiry_policy =
            expiry_policy.and_then(|p| collect(&mut errors, p.check("expiry_policy")));
        if !errors.is_empty() {
            return Err(invalid(errors));
        }
        Ok(ProjectEdit {
            name,
            description,
            expiry_policy,
            leak_response,
            elevation_approval,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(p: &Problem) -> Vec<&str> {
        p.errors
            .iter()
            .flatten()
            .map(|e| e.field.as_str())
            .collect()
    }

    #[test]
    fn a_member_invitation_names_every_bad_field_at_once() {
        let catalog = Catalog::from_json(include_str!("../../worker/catalog.json")).unwrap();
        let body: CreateMember = serde_json::from_value(json!({
            "email": "not an email", "name": "", "project": "Bad", "expires_in": 0
        }))
        .unwrap();
        let Err(bad) = MemberInvitation::parse(body, &catalog) else {
            panic!("a bad invitation parsed");
        };
        assert_eq!(fields(&bad), vec!["email", "name", "expires_in", "project"]);
        let body: CreateMember = serde_json::from_value(json!({
            "email": " Ann@Example.com ", "name": " Ann ", "personas": ["r", "r"]
        }))
        .unwrap();
        let Ok(ok) = MemberInvitation::parse(body, &catalog) else {
            panic!("a good invitation was refused");
        };
        assert_eq!(ok.email.as_str(), "ann@example.com");
        assert_eq!(ok.name.as_str(), "Ann");
        assert_eq!(ok.personas.len(), 1);
    }

    #[test]
    fn a_project_edit_keeps_what_it_does_not_name() {
        let body: UpdateProject = serde_json::from_value(json!({"name": "Sales"})).unwrap();
        let Ok(edit) = ProjectEdit::parse(body) else {
            panic!("a good edit was refused");
        };
        assert_eq!(edit.name.as_deref(), Some("Sales"));
        assert!(edit.description.is_none() && edit.expiry_policy.is_none());
        let body: UpdateProject =
            serde_json::from_value(json!({"name": " ", "description": "a\u{1}"})).unwrap();
        let Err(bad) = ProjectEdit::parse(body) else {
            panic!("a bad edit parsed");
        };
        assert_eq!(fields(&bad), vec!["name", "description"]);
    }
}
