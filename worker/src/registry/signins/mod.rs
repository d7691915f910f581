//! People signing in: passkeys, sessions, enrolment links, ceremony
//! challenges and the CLI's device codes. Everything that must happen once
//! (a challenge answered, an enrolment link used, a device code redeemed,
//! a counter moved on) happens here, in the registry's one-at-a-time turn;
//! only hashes of session secrets, enrolment codes and device codes are
//! kept.

mod commands;
mod dispatch;
mod passkeys;
mod sessions;

pub use commands::{
    DeviceGrant, NewPasskey, NewSession, Purpose, Registrant, SessionCaller, SignInCommand,
    StoredPasskey,
};

use super::fault::Fault;
use keyward_domain::{ErrorCode, RegistryError};

fn refused(code: ErrorCode, detail: impl Into<String>) -> Fault {
    RegistryError::SignIn {
        code,
        detail: detail.into(),
    }
    .into()
}

fn rejected(detail: impl Into<String>) -> Fault {
    refused(ErrorCode::PasskeyRejected, detail)
}
