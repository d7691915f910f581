//! Personas, members with their personal keys, and projects.

use super::*;

/// A named, reusable set of grants (Atlan): linking it to a token gives
/// the token its grants, and editing it changes every linked token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Persona {
    pub id: String,
    pub name: String,
    pub description: String,
    pub grants: Vec<Grant>,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub updated_at: OffsetDateTime,
    /// How many tokens link it.
    pub linked_tokens: u64,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePersona {
    #[schemars(with = "Name")]
    pub name: String,
    #[schemars(with = "Option<Description>")]
    pub description: Option<String>,
    pub grants: Option<Vec<Grant>>,
}

/// Absent fields stay; `grants` is a complete set.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePersona {
    #[schemars(with = "Option<Name>")]
    pub name: Option<String>,
    #[schemars(with = "Option<Description>")]
    pub description: Option<String>,
    /// The complete set: what is left out is removed.
    pub grants: Option<Vec<Grant>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PersonaList {
    pub items: Vec<Persona>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MemberStatus {
    /// Invited; the invitation has not been accepted yet.
    Invited,
    Active,
}

/// A person with their own grants and personas (Dataiku's users). Their
/// user token is what they sign in with; their personal keys act as them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Member {
    pub id: String,
    pub email: String,
    pub name: String,
    pub project: String,
    pub grants: Vec<Grant>,
    pub personas: Vec<String>,
    pub user_token_id: String,
    pub status: MemberStatus,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub created_at: OffsetDateTime,
    pub personal_keys: u64,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMember {
    #[schemars(with = "Email")]
    pub email: String,
    #[schemars(with = "Name")]
    pub name: String,
    pub grants: Option<Vec<Grant>>,
    #[schemars(with = "Option<Vec<ResourceId>>")]
    pub personas: Option<Vec<String>>,
    #[schemars(with = "Option<ProjectId>")]
    pub project: Option<String>,
    /// The invitation email's message.
    #[schemars(with = "Option<Message>")]
    pub message: Option<String>,
    #[schemars(with = "Option<InvitationValidity>")]
    pub expires_in: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MemberCreated {
    pub member: Member,
    pub invitation: Invitation,
    /// The enrolment link sent to the member, to sign in with a passkey.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrolment: Option<Enrolment>,
}

/// Absent fields stay; `grants` and `personas` are complete sets.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMember {
    #[schemars(with = "Option<Name>")]
    pub name: Option<String>,
    /// The complete set: what is left out is removed.
    pub grants: Option<Vec<Grant>>,
    /// The complete set of linked personas.
    #[schemars(with = "Option<Vec<ResourceId>>")]
    pub personas: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MemberList {
    pub items: Vec<Member>,
}

/// A personal key: no grants of its own, it acts as its user.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePersonalKey {
    #[schemars(with = "Name")]
    pub name: String,
    #[schemars(with = "Option<Description>")]
    pub description: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    /// Must lie in the future and within ten years; give this or
    /// `expires_in`.
    #[schemars(with = "Option<Timestamp>")]
    pub expires_at: Option<OffsetDateTime>,
    /// Seconds from now; `409968000` means never (as in Atlan's API).
    #[schemars(with = "Option<Lifetime>")]
    pub expires_in: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TokenList {
    pub items: Vec<Token>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub description: String,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub created_at: OffsetDateTime,
    /// How long its tokens may live.
    #[serde(default)]
    pub expiry_policy: ExpiryPolicy,
    /// What happens to a token whose secret a scanner finds in public.
    #[serde(default)]
    pub leak_response: LeakResponse,
    /// Whether its tokens' elevations wait for a second admin's approval.
    #[serde(default)]
    pub elevation_approval: bool,
}

/// `PATCH /projects/{project}` (admins): absent fields stay.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProject {
    #[schemars(with = "Option<Name>")]
    pub name: Option<String>,
    #[schemars(with = "Option<Description>")]
    pub description: Option<String>,
    /// Held by token creations and expiry changes from now on; existing
    /// tokens keep their expiry.
    #[schemars(with = "Option<crate::expiry::PolicyInput>")]
    pub expiry_policy: Option<ExpiryPolicy>,
    /// `disable` (the default) or `revoke`.
    pub leak_response: Option<LeakResponse>,
    /// Elevations of its tokens start only once a second admin approves.
    pub elevation_approval: Option<bool>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProject {
    #[schemars(with = "ProjectId")]
    pub id: String,
    #[schemars(with = "Name")]
    pub name: String,
    #[schemars(with = "Option<Description>")]
    pub description: Option<String>,
    /// Default: no cap beyond the deployment's, "never" allowed.
    #[schemars(with = "Option<crate::expiry::PolicyInput>")]
    pub expiry_policy: Option<ExpiryPolicy>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProjectList {
    pub items: Vec<Project>,
}
