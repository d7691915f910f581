//! A token's create and edit, parsed at the boundary: [`NewToken::parse`]
//! and [`TokenChanges::parse`] turn a request body into what the registry
//! carries out, or into the one 400 that names what is wrong. The handler
//! parses, asks the policy and calls the registry; whether the names,
//! personas and projects exist, and whether the caller may grant what it
//! asks, is the registry's (only it knows them).

use crate::api::{CreateToken, ProjectGrants, UpdateToken};
use crate::conditions::{self, Cidr, Meta};
use crate::expiry;
use crate::problem::{ErrorCode, FieldError, Problem};
use crate::quota::UsageLimit;
use crate::shapes::{Description, PersonaId, ProjectId, TokenName};
use crate::validate;
use crate::{Catalog, Grant, TokenKind};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A scoped token or a global key to create.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewToken {
    pub name: TokenName,
    pub description: Description,
    pub grants: Vec<Grant>,
    pub expires_at: Option<i64>,
    pub rate_limit: Option<u32>,
    pub kind: TokenKind,
    pub personas: Vec<PersonaId>,
    /// `None`: the actor's own project.
    pub project: Option<ProjectId>,
    pub project_grants: ProjectGrants,
    pub global_admin: bool,
    pub enabled: bool,
    pub not_before: Option<i64>,
    pub allowed_ips: Vec<Cidr>,
    pub meta: Meta,
    pub usage_limit: Option<UsageLimit>,
}

/// Changes to a token; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TokenChanges {
    pub name: Option<TokenName>,
    pub description: Option<Description>,
    pub grants: Option<Vec<Grant>>,
    pub expires_at: Option<NewExpiry>,
    pub rate_limit: Option<NewRateLimit>,
    pub personas: Option<Vec<PersonaId>>,
    pub project_grants: Option<ProjectGrants>,
    pub global_admin: Option<bool>,
    pub enabled: Option<bool>,
    pub not_before: Option<NewNotBefore>,
    pub allowed_ips: Option<Vec<Cidr>>,
    pub meta: Option<Meta>,
    pub usage_limit: Option<NewUsageLimit>,
}

/// A changed expiry; `at: None` is "never". (A bare `Option<Option<_>>`
/// would lose the difference between "unchanged" and "never" in JSON.)
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewExpiry {
    pub at: Option<i64>,
}

/// A changed not-before; `at: None` removes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewNotBefore {
    pub at: Option<i64>,
}

/// A changed rate limit; `per_minute: None` is the default limit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewRateLimit {
    pub per_minute: Option<u32>,
}

/// A changed usage limit; `limit: None` lifts it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewUsageLimit {
    pub limit: Option<UsageLimit>,
}

impl NewToken {
    /// The body of `POST /tokens`. Checks run in stages, each answering
    /// every bad field it finds: the plain fields, the kind, where the
    /// token lives, its grants (`unknown_permission`), its personas, its
    /// conditions.
    pub fn parse(
        body: CreateToken,
        catalog: &Catalog,
        now: OffsetDateTime,
    ) -> Result<NewToken, Box<Problem>> {
        let CreateToken {
            name,
            description,
            grants,
            expires_at,
            expires_in,
            rate_limit,
            kind,
            personas,
            project,
            project_grants,
            global_admin,
            enabled,
            not_before,
            allowed_ips,
            meta,
            usage_limit,
        } = body;
        let mut errors = vec![];
        let name = collect(&mut errors, TokenName::parse("name", &name));
        let description = collect(
            &mut errors,
            Description::parse("description", description.as_deref().unwrap_or("")),
        );
        let expires_at = collect(&mut errors, expiry::resolve(expires_at, expires_in, now));
        let rate_limit = match rate_limit {
            Some(r) => collect(&mut errors, validate::rate_limit("rate_limit", r)).map(Some),
            None => Some(None),
        };
        let (Some(name), Some(description), Some(expires_at), Some(rate_limit)) =
            (name, description, expires_at, rate_limit)
        else {
            return Err(Box::new(Problem::invalid(errors)));
        };
        let kind = kind.unwrap_or(TokenKind::Scoped);
        if !matches!(kind, TokenKind::Scoped | TokenKind::Global) {
            return Err(Box::new(Problem::invalid(vec![FieldError::new(
                "kind",
                "must be scoped or global (user tokens come with members, personal keys from /members/{id}/keys)",
            )])));
        }
        let scope = Scope::parse(kind, project, project_grants, global_admin)?;
        let grants = checked_grants(catalog, grants.unwrap_or_default())?;
        let project_grants = checked_project_grants(catalog, scope.project_grants)?;
        let personas = persona_ids(personas.unwrap_or_default())?;
        let Conditions {
            not_before,
            allowed_ips,
            meta,
            usage_limit,
        } = Conditions::parse(
            not_before.map(Some),
            allowed_ips,
            meta,
            usage_limit.map(Some),
            now,
        )?;
        Ok(NewToken {
            name,
            description,
            grants,
            expires_at: expires_at.map(|t| t.unix_timestamp()),
            rate_limit,
            kind,
            personas,
            project: scope.project,
            project_grants,
            global_admin: scope.global_admin,
            enabled: enabled.unwrap_or(true),
            not_before: not_before.and_then(|n| n.at),
            allowed_ips: allowed_ips.unwrap_or_default(),
            meta: meta.unwrap_or_default(),
            usage_limit: usage_limit.and_then(|u| u.limit),
        })
    }
}

impl TokenChanges {
    /// The body of `PATCH /tokens/{id}`, in the stages of
    /// [`NewToken::parse`]; what fits the token's kind is [`Self::fit`].
    pub fn parse(
        body: UpdateToken,
        catalog: &Catalog,
        now: OffsetDateTime,
    ) -> Result<TokenChanges, Box<Problem>> {
        let UpdateToken {
            name,
            description,
            grants,
            expires_at,
            rate_limit,
            personas,
            project_grants,
            global_admin,
            enabled,
            not_before,
            allowed_ips,
            meta,
            usage_limit,
        } = body;
        let mut errors = vec![];
        let name = match &name {
            Some(n) => collect(&mut errors, TokenName::parse("name", n)).map(Some),
            None => Some(None),
        };
        let description = match &description {
            Some(d) => collect(&mut errors, Description::parse("description", d)).map(Some),
            None => Some(None),
        };
        let expires_at = match expires_at {
            Some(Some(at)) => {
                collect(&mut errors, expiry::at_instant("expires_at", at, now)).map(|t| {
                    Some(NewExpiry {
                        at: Some(t.unix_timestamp()),
                    })
                })
            }
            Some(None) => Some(Some(NewExpiry { at: None })),
            None => Some(None),
        };
        let rate_limit = match rate_limit {
            Some(Some(r)) => collect(&mut errors, validate::rate_limit("rate_limit", r)).map(|r| {
                Some(NewRateLimit {
                    per_minute: Some(r),
                })
            }),
            Some(None) => Some(Some(NewRateLimit { per_minute: None })),
            None => Some(None),
        };
        let (Some(name), Some(description), Some(expires_at), Some(rate_limit)) =
            (name, description, expires_at, rate_limit)
        else {
            return Err(Box::new(Problem::invalid(errors)));
        };
        let grants = grants.map(|g| checked_grants(catalog, g)).transpose()?;
        let project_grants = project_grants
            .map(|pg| checked_project_grants(catalog, pg))
            .transpose()?;
        let personas = personas.map(persona_ids).transpose()?;
        let Conditions {
            not_before,
            allowed_ips,
            meta,
            usage_limit,
        } = Conditions::parse(not_before, allowed_ips, meta, usage_limit, now)?;
        Ok(TokenChanges {
            name,
            description,
            grants,
            expires_at,
            rate_limit,
            personas,
            project_grants,
            global_admin,
            enabled,
            not_before,
            allowed_ips,
            meta,
            usage_limit,
        })
    }

    /// What an edit may not change on a token of `kind`: a personal key
    /// has no grants or personas of its own, and only a global key has
    /// per-project grants or global admin.
    pub fn fit(&self, kind: TokenKind) -> Result<(), Vec<FieldError>> {
        let mut refused = vec![];
        if kind == TokenKind::Personal
            && (self.grants.as_ref().is_some_and(|g| !g.is_empty())
                || self.personas.as_ref().is_some_and(|p| !p.is_empty()))
        {
            refused.push(FieldError::new(
                "grants",
                "a personal key has no grants or personas of its own: it acts as its user",
            ));
        }
        if kind != TokenKind::Global
            && (self.project_grants.is_some() || self.global_admin.is_some())
        {
            refused.push(FieldError::new(
                if self.project_grants.is_some() {
                    "project_grants"
                } else {
                    "global_admin"
                },
                "only global keys carry per-project grants or global admin",
            ));
        }
        if refused.is_empty() {
            Ok(())
        } else {
            Err(refused)
        }
    }
}

/// Grants checked against the catalog, each bad one named by its place:
/// `unknown_permission`. What stays is the explicit set.
pub fn checked_grants(catalog: &Catalog, grants: Vec<Grant>) -> Result<Vec<Grant>, Box<Problem>> {
    let errors: Vec<FieldError> = grants
        .iter()
        .enumerate()
        .filter_map(|(i, g)| {
            catalog
                .check(g)
                .err()
                .map(|e| FieldError::new(format!("grants[{i}]"), e.to_string()))
        })
        .collect();
    if errors.is_empty() {
        return Ok(crate::grant::explicit(grants));
    }
    let detail = errors
        .iter()
        .map(|e| e.message.clone())
        .collect::<Vec<_>>()
        .join("; ");
    Err(Box::new(
        Problem::new(ErrorCode::UnknownPermission, detail).with_errors(errors),
    ))
}

/// Each project's grants checked like a token's, naming the project.
pub fn checked_project_grants(
    catalog: &Catalog,
    project_grants: ProjectGrants,
) -> Result<ProjectGrants, Box<Problem>> {
    let mut out = ProjectGrants::new();
    for (project, grants) in project_grants {
        ProjectId::parse(&format!("project_grants.{project}"), &project)
            .map_err(|e| Box::new(Problem::invalid(vec![e])))?;
        out.insert(project, checked_grants(catalog, grants)?);
    }
    Ok(out)
}

/// Persona ids, deduplicated in order; whether they exist is the
/// registry's to say.
pub fn persona_ids(ids: Vec<String>) -> Result<Vec<PersonaId>, Box<Problem>> {
    let mut errors = vec![];
    let mut out: Vec<PersonaId> = vec![];
    for (n, id) in ids.into_iter().enumerate() {
        match PersonaId::parse(&format!("personas[{n}]"), &id) {
            Ok(id) if out.contains(&id) => {}
            Ok(id) => out.push(id),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Box::new(Problem::invalid(errors)))
    }
}

/// Where a new token lives: a scoped token in one project, a global key
/// across projects.
struct Scope {
    project: Option<ProjectId>,
    project_grants: ProjectGrants,
    global_admin: bool,
}

impl Scope {
    fn parse(
        kind: TokenKind,
        project: Option<String>,
        project_grants: Option<ProjectGrants>,
        global_admin: Option<bool>,
    ) -> Result<Scope, Box<Problem>> {
        let mut errors = vec![];
        let global = kind == TokenKind::Global;
        if global && project.is_some() {
            errors.push(FieldError::new(
                "project",
                "a global key belongs to no project; give project_grants instead",
            ));
        }
        if !global && project_grants.is_some() {
            errors.push(FieldError::new(
                "project_grants",
                "only global keys (kind: global) carry per-project grants",
            ));
        }
        if !global && global_admin.is_some() {
            errors.push(FieldError::new(
                "global_admin",
                "only global keys (kind: global) can be global admins",
            ));
        }
        let project = match project {
            Some(p) => collect(&mut errors, ProjectId::parse("project", &p)),
            None => None,
        };
        if errors.is_empty() {
            Ok(Scope {
                project,
                project_grants: project_grants.unwrap_or_default(),
                global_admin: global_admin.unwrap_or(false),
            })
        } else {
            Err(Box::new(Problem::invalid(errors)))
        }
    }
}

/// The peer controls of a create or an edit, parsed together so that one
/// answer names every bad field.
struct Conditions {
    not_before: Option<NewNotBefore>,
    allowed_ips: Option<Vec<Cidr>>,
    meta: Option<Meta>,
    usage_limit: Option<NewUsageLimit>,
}

impl Conditions {
    fn parse(
        not_before: Option<Option<OffsetDateTime>>,
        allowed_ips: Option<Vec<String>>,
        meta: Option<Meta>,
        usage_limit: Option<Option<UsageLimit>>,
        now: OffsetDateTime,
    ) -> Result<Conditions, Box<Problem>> {
        let mut errors = vec![];
        let not_before = match not_before {
            Some(Some(at)) => collect(&mut errors, conditions::not_before("not_before", at, now))
                .map(|at| NewNotBefore { at: Some(at) }),
            Some(None) => Some(NewNotBefore { at: None }),
            None => None,
        };
        let allowed_ips = match allowed_ips {
            Some(raw) => match conditions::allowed_ips("allowed_ips", &raw) {
                Ok(list) => Some(list),
                Err(e) => {
                    errors.extend(e);
                    None
                }
            },
            None => None,
        };
        let meta = meta.and_then(|m| collect(&mut errors, Meta::parse("meta", m)));
        let usage_limit = match usage_limit {
            Some(Some(u)) => collect(&mut errors, u.check("usage_limit"))
                .map(|u| NewUsageLimit { limit: Some(u) }),
            Some(None) => Some(NewUsageLimit { limit: None }),
            None => None,
        };
        if errors.is_empty() {
            Ok(Conditions {
                not_before,
                allowed_ips,
                meta,
                usage_limit,
            })
        } else {
            Err(Box::new(Problem::invalid(errors)))
        }
    }
}

/// `r`'s value, or `None` with its error kept, so one answer names every
/// bad field of a stage.
pub fn collect<T>(errors: &mut Vec<FieldError>, r: Result<T, FieldError>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn catalog() -> Catalog {
        Catalog::from_json(include_str!("../../worker/catalog.json")).unwrap()
    }

    fn create(body: serde_json::Value) -> Result<NewToken, Box<Problem>> {
        let body: CreateToken = serde_json::from_value(body).unwrap();
        NewToken::parse(body, &catalog(), OffsetDateTime::now_utc())
    }

    fn fields(p: &Problem) -> Vec<&str> {
        p.errors
            .iter()
            .flatten()
            .map(|e| e.field.as_str())
            .collect()
    }

    #[test]
    fn one_answer_names_every_bad_plain_field() {
        let bad =
            create(json!({"name": " ", "description": "a\u{0}b", "rate_limit": 0})).unwrap_err();
        assert_eq!(bad.code, ErrorCode::InvalidRequest);
        assert_eq!(fields(&bad), vec!["name", "description", "rate_limit"]);
    }

    #[test]
    fn a_parsed_create_holds_parsed_values() {
        let new = create(json!({
            "name": "  ci deploy ",
            "personas": ["readers", "readers", "writers"],
            "project": "sales",
            "grants": [{"service": "storage", "permission": "read", "resource": "*"}]
        }))
        .unwrap();
        assert_eq!(new.name.as_str(), "ci deploy");
        assert_eq!(new.kind, TokenKind::Scoped);
        assert_eq!(
            new.personas.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            vec!["readers", "writers"]
        );
        assert_eq!(new.project.as_deref(), Some("sales"));
        assert!(new.enabled);
    }

    #[test]
    fn what_a_create_may_not_be_is_refused_by_stage() {
        let user = create(json!({"name": "x", "kind": "user"})).unwrap_err();
        assert_eq!(fields(&user), vec!["kind"]);
        let scope = create(json!({"name": "x", "project": "Not A Slug", "global_admin": true}))
            .unwrap_err();
        assert_eq!(fields(&scope), vec!["global_admin", "project"]);
        let unknown =
            create(json!({"name": "x", "grants": [{"service": "nope", "permission": "x"}]}))
                .unwrap_err();
        assert_eq!(unknown.code, ErrorCode::UnknownPermission);
        assert_eq!(fields(&unknown), vec!["grants[0]"]);
        let personas = create(json!({"name": "x", "personas": ["ok", "not ok"]})).unwrap_err();
        assert_eq!(fields(&personas), vec!["personas[1]"]);
        let reserved = create(json!({"name": "Master token of someone"})).unwrap_err();
        assert_eq!(fields(&reserved), vec!["name"]);
    }

    #[test]
    fn an_edit_fits_its_tokens_kind() {
        let body: UpdateToken = serde_json::from_value(json!({
            "grants": [{"service": "storage", "permission": "read", "resource": "*"}],
            "global_admin": true
        }))
        .unwrap();
        let changes = TokenChanges::parse(body, &catalog(), OffsetDateTime::now_utc()).unwrap();
        let fields = |kind| {
            changes
                .fit(kind)
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|e| e.field)
                .collect::<Vec<_>>()
        };
        assert_eq!(fields(TokenKind::Global), Vec::<String>::new());
        assert_eq!(fields(TokenKind::Scoped), vec!["global_admin"]);
        assert_eq!(fields(TokenKind::Personal), vec!["grants", "global_admin"]);
    }
}
