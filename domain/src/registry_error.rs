//! The registry's business refusals: what it says no to, and why, in
//! domain terms. They travel over the registry's protocol as they are
//! (serde) and become HTTP problems only at the worker's HTTP edge.
//! Storage failures are not among them: those fail closed on a path of
//! their own.

use crate::policy::Refusal;
use crate::problem::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistryError {
    /// Nothing of that kind with that id, or nothing the actor may see.
    NotFound {
        what: String,
    },
    /// The change contradicts what is stored: a name or email taken, a
    /// token kind that does not take this change, an invitation in the
    /// wrong state, the last admin.
    Conflict {
        detail: String,
    },
    /// Deleting a persona that tokens still link, without unlinking them.
    PersonaInUse {
        persona: String,
        tokens: usize,
    },
    InvitationUsed,
    InvitationExpired,
    /// Fields that refer to nothing, or that this token cannot carry.
    Invalid {
        errors: Vec<FieldError>,
    },
    /// Something only a particular actor may do (a personal key: its member).
    NotPermitted {
        detail: String,
    },
    /// The one policy said no.
    Policy(Refusal),
    /// `If-Match` named a version the thing no longer has.
    Changed {
        what: String,
        current: String,
    },
    /// A sign-in refused for its own reason (`passkey_rejected`,
    /// `session_expired`, `enrolment_used`, `authorization_pending` …).
    SignIn {
        code: crate::ErrorCode,
        detail: String,
    },
}

impl RegistryError {
    pub fn not_found(what: impl Into<String>) -> RegistryError {
        RegistryError::NotFound { what: what.into() }
    }

    pub fn conflict(detail: impl Into<String>) -> RegistryError {
        RegistryError::Conflict {
            detail: detail.into(),
        }
    }

    /// One field that refers to nothing or cannot be carried.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> RegistryError {
        RegistryError::Invalid {
            errors: vec![FieldError::new(field, message)],
        }
    }
}

impl From<Refusal> for RegistryError {
    fn from(r: Refusal) -> RegistryError {
        RegistryError::Policy(r)
    }
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::NotFound { what } => write!(f, "{what} not found"),
            RegistryError::Conflict { detail } | RegistryError::NotPermitted { detail } => {
                f.write_str(detail)
            }
            RegistryError::PersonaInUse { persona, tokens } => write!(
                f,
                "{tokens} token(s) link the persona '{persona}'; delete with ?unlink=true to unlink them too"
            ),
            RegistryError::InvitationUsed => f.write_str(
                "this invitation was already accepted; ask the sender for a new one",
            ),
            RegistryError::InvitationExpired => {
                f.write_str("this invitation has expired; ask the sender for a new one")
            }
            RegistryError::Invalid { errors } => {
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                write!(f, "invalid fields: {}", fields.join(", "))
            }
            RegistryError::Policy(r) => r.fmt(f),
            RegistryError::SignIn { detail, .. } => f.write_str(detail),
            RegistryError::Changed { what, current } => write!(
                f,
                "the {what} was changed since you read it (it is now version {current}); \
                 read it again and apply your change to what is there"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Grant;

    #[test]
    fn every_refusal_survives_the_protocol() {
        let all = [
            RegistryError::not_found("token"),
            RegistryError::conflict("the last admin cannot be removed"),
            RegistryError::PersonaInUse {
                persona: "Analyst".into(),
                tokens: 2,
            },
            RegistryError::InvitationUsed,
            RegistryError::InvitationExpired,
            RegistryError::Changed {
                what: "token".into(),
                current: "\"abc\"".into(),
            },
            RegistryError::invalid("project", "there is no project 'x'"),
            RegistryError::NotPermitted {
                detail: "only its member".into(),
            },
            Refusal::Hidden.into(),
            RegistryError::SignIn {
                code: crate::ErrorCode::SessionExpired,
                detail: "the session has ended".into(),
            },
            Refusal::Missing(Grant::new("tokens", "manage", None)).into(),
            Refusal::OutOfReach {
                home: Some("a".into()),
                project: "b".into(),
            }
            .into(),
        ];
        for e in all {
            let wire = serde_json::to_string(&e).unwrap();
            let back: RegistryError = serde_json::from_str(&wire).unwrap();
            assert_eq!(back, e, "{wire}");
        }
    }

    #[test]
    fn details_read_as_before() {
        assert_eq!(
            RegistryError::not_found("member").to_string(),
            "member not found"
        );
        assert_eq!(
            RegistryError::PersonaInUse {
                persona: "Analyst".into(),
                tokens: 2
            }
            .to_string(),
            "2 token(s) link the persona 'Analyst'; delete with ?unlink=true to unlink them too"
        );
    }
}
