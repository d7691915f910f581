//! The registry's rows, typed, and the SQL boundary: each row is read as
//! SQLite returns it ([`Row::Sql`]) and converted once into its typed form
//! (token kinds, grant lists, statuses); statements take typed values back
//! through the helpers at the end. Nothing past this file compares or
//! parses stored strings.

mod audit;
mod directory;
mod signins;
mod tokens;

pub(super) use audit::*;
pub(super) use directory::*;
pub(super) use signins::*;
pub(super) use tokens::*;

use super::fault::{Fault, RegResult};
use crate::authority::StoreError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use worker::{SqlCursor, SqlStorage, SqlStorageValue};

/// A row as its table stores it, and how it becomes typed.
pub(super) trait Row: Sized {
    type Sql: DeserializeOwned;
    fn typed(sql: Self::Sql) -> Result<Self, StoreError>;
}

/// A query's rows, typed.
pub(super) trait Typed {
    fn rows<T: Row>(&self) -> Result<Vec<T>, StoreError>;
}

impl Typed for SqlCursor {
    fn rows<T: Row>(&self) -> Result<Vec<T>, StoreError> {
        self.to_array::<T::Sql>()?
            .into_iter()
            .map(T::typed)
            .collect()
    }
}

/// Every row `query` returns, typed.
pub(super) fn select<T: Row>(
    sql: &SqlStorage,
    query: &str,
    args: impl Into<Option<Vec<SqlStorageValue>>>,
) -> Result<Vec<T>, StoreError> {
    sql.exec(query, args)?.rows()
}

/// Rows whose columns need no conversion.
macro_rules! plain_rows {
    ($($t:ty),*) => {$(
        impl Row for $t {
            type Sql = $t;
            fn typed(sql: $t) -> Result<$t, StoreError> {
                Ok(sql)
            }
        }
    )*};
}
plain_rows!(
    AdminRow,
    MemberRow,
    ProjectRow,
    Count,
    RetiredSql,
    EnrolmentRow,
    DeviceRow,
    ChallengeRow
);

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError(format!("a stored {what} is unreadable: {e}"))
}

/// `1`, a column's default.
fn one() -> i64 {
    1
}

fn json_column<T: DeserializeOwned>(what: &str, raw: &str) -> Result<T, StoreError> {
    serde_json::from_str(raw).map_err(|e| corrupt(what, e))
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Count {
    pub(super) n: i64,
}

/// `retired_secrets` rows.
pub(super) type RetiredSql = crate::authority::RetiredRow;

pub(super) fn s(v: impl Into<String>) -> SqlStorageValue {
    SqlStorageValue::String(v.into())
}
pub(super) fn i(v: i64) -> SqlStorageValue {
    SqlStorageValue::Integer(v)
}
pub(super) fn os(v: Option<&str>) -> SqlStorageValue {
    match v {
        Some(v) => s(v),
        None => SqlStorageValue::Null,
    }
}
pub(super) fn oi(v: Option<i64>) -> SqlStorageValue {
    v.map(SqlStorageValue::Integer)
        .unwrap_or(SqlStorageValue::Null)
}
/// A JSON column (grant lists, persona lists, per-project grants).
pub(super) fn json<T: Serialize>(v: &T) -> Result<SqlStorageValue, StoreError> {
    serde_json::to_string(v)
        .map(SqlStorageValue::String)
        .map_err(|e| StoreError(e.to_string()))
}

/// An answer to the front.
pub(super) fn to_json<T: Serialize>(v: &T) -> RegResult<String> {
    serde_json::to_string(v).map_err(|e| Fault::Internal(e.to_string()))
}
