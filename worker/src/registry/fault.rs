//! How a registry command fails: refused for a business reason (a
//! [`RegistryError`], which the front turns into its HTTP problem), or
//! because storage failed (fail closed: 503, nothing granted).

use crate::authority::StoreError;
use keyward_domain::policy::Refusal;
use keyward_domain::{FieldError, RegistryError};

#[derive(Debug, Clone)]
pub(crate) enum Fault {
    Refused(RegistryError),
    /// Storage failed; the cause goes to the log only.
    Storage(String),
    /// A command or an answer that could not be (de)serialized.
    Internal(String),
}

pub(crate) type RegResult<T> = Result<T, Fault>;

impl Fault {
    pub(crate) fn not_found(what: &str) -> Fault {
        RegistryError::not_found(what).into()
    }
    pub(crate) fn conflict(detail: impl Into<String>) -> Fault {
        RegistryError::conflict(detail).into()
    }
    pub(crate) fn invalid(errors: Vec<FieldError>) -> Fault {
        RegistryError::Invalid { errors }.into()
    }
    pub(crate) fn unavailable(cause: impl std::fmt::Display) -> Fault {
        Fault::Storage(cause.to_string())
    }
}

impl From<RegistryError> for Fault {
    fn from(e: RegistryError) -> Fault {
        Fault::Refused(e)
    }
}
impl From<Refusal> for Fault {
    fn from(r: Refusal) -> Fault {
        Fault::Refused(r.into())
    }
}
impl From<StoreError> for Fault {
    fn from(e: StoreError) -> Fault {
        Fault::Storage(e.0)
    }
}
impl From<worker::Error> for Fault {
    fn from(e: worker::Error) -> Fault {
        Fault::Storage(e.to_string())
    }
}
impl From<worker::kv::KvError> for Fault {
    fn from(e: worker::kv::KvError) -> Fault {
        Fault::Storage(e.to_string())
    }
}
