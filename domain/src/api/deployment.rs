//! Admins, buckets and objects, and the service's health.

use super::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Admin {
    pub id: String,
    pub email: String,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub created_at: OffsetDateTime,
    pub master_token_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAdmin {
    #[schemars(with = "Email")]
    pub email: String,
    #[schemars(with = "Name")]
    pub name: String,
    /// `false`: the new admin signs in with a passkey only (an enrolment
    /// link is emailed either way) and the answer carries no secret.
    /// Absent or `true`: the master secret is shown once, for automation
    /// and for clients written before passkeys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_secret: Option<bool>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AdminCreated {
    pub admin: Admin,
    pub master_token: Token,
    /// The master secret, shown this once; absent with `master_secret: false`.
    pub secret: Option<String>,
    /// The enrolment link sent to the new admin.
    pub enrolment: Option<Enrolment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AdminList {
    pub items: Vec<Admin>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Bucket {
    pub id: String,
    pub description: String,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub created_at: OffsetDateTime,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBucket {
    #[schemars(with = "ResourceId")]
    pub id: String,
    #[schemars(with = "Option<Description>")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BucketList {
    pub items: Vec<Bucket>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
    pub content_type: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Timestamp")]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ObjectList {
    pub items: Vec<ObjectInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Health {
    #[schemars(extend("enum" = ["ok", "degraded"]))]
    pub status: String,
    pub version: String,
    /// Whether a KV write and read just succeeded.
    #[schemars(extend("enum" = ["ok", "error"]))]
    pub kv: String,
}
