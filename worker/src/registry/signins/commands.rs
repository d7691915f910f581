//! What the registry is asked to do for people signing in, and the
//! records it hands back.

use crate::registry::Actor;
use keyward_domain::api::{PasskeyAlgorithm, Person, SessionInfo};
use keyward_domain::caller::Caller;
use keyward_domain::jwt::Jwk;
use serde::{Deserialize, Serialize};

/// What a ceremony's challenge was handed out for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "for", rename_all = "snake_case")]
pub enum Purpose {
    SignIn,
    /// Registering with an enrolment link (by its code's hash).
    Enrol {
        code_hash: String,
    },
    /// A signed-in person adding a passkey.
    Add {
        person: String,
    },
}

impl Purpose {
    pub(super) fn key(&self) -> String {
        match self {
            Purpose::SignIn => "sign_in".into(),
            Purpose::Enrol { code_hash } => format!("enrol:{code_hash}"),
            Purpose::Add { person } => format!("add:{person}"),
        }
    }
}

/// A passkey to store, as the front checked it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewPasskey {
    pub id: String,
    pub credential_id: String,
    pub name: String,
    pub algorithm: PasskeyAlgorithm,
    pub public_key: Jwk,
    pub sign_count: u32,
}

/// A session to open: its id, the hash of its secret, the browser.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewSession {
    pub id: String,
    pub hash: String,
    pub user_agent: String,
}

/// A stored passkey, for checking an assertion.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredPasskey {
    pub id: String,
    pub person: String,
    pub algorithm: PasskeyAlgorithm,
    pub public_key: Jwk,
    pub sign_count: u32,
}

/// Who a ceremony registers for, and their passkeys already there.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Registrant {
    pub person: Person,
    pub existing: Vec<String>,
}

/// A session's person, acting through their own credential.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionCaller {
    pub caller: Caller,
    pub person: Person,
    pub session: SessionInfo,
}

/// A redeemed device code: whose token the CLI gets.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceGrant {
    pub client_name: String,
    pub person: Person,
    pub caller: Caller,
}

// Built once and serialized straight away: the size of its largest
// variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "sign_in_op", rename_all = "snake_case")]
pub enum SignInCommand {
    Challenge {
        challenge: String,
        purpose: Purpose,
        expires_at: i64,
    },
    /// Takes a sign-in challenge (used up whatever follows) and finds the
    /// passkey.
    BeginSignIn {
        challenge: String,
        credential_id: String,
    },
    FinishSignIn {
        passkey_id: String,
        sign_count: u32,
        session: NewSession,
    },
    OpenSession {
        actor: Actor,
        session: NewSession,
    },
    /// The session a cookie names, touched; refused once ended.
    Session {
        hash: String,
    },
    ListSessions {
        actor: Actor,
    },
    /// `id: None` ends every session of the person.
    EndSessions {
        actor: Actor,
        id: Option<String>,
    },
    ListPasskeys {
        actor: Actor,
    },
    Registrant {
        actor: Actor,
    },
    EnrolmentRegistrant {
        code_hash: String,
    },
    AddPasskey {
        actor: Actor,
        challenge: String,
        passkey: NewPasskey,
    },
    RenamePasskey {
        actor: Actor,
        id: String,
        name: String,
    },
    RemovePasskey {
        actor: Actor,
        id: String,
    },
    CreateEnrolment {
        actor: Option<Actor>,
        person: String,
        id: String,
        code_hash: String,
        expires_at: i64,
    },
    OpenEnrolment {
        code_hash: String,
    },
    Enrol {
        code_hash: String,
        challenge: String,
        passkey: NewPasskey,
        session: NewSession,
    },
    StartDevice {
        device_hash: String,
        user_code: String,
        client_name: String,
        expires_at: i64,
    },
    ApproveDevice {
        actor: Actor,
        user_code: String,
    },
    TakeDevice {
        device_hash: String,
    },
}
