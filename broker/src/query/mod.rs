//! Running gated queries on a grant's own pool: READ ONLY transaction,
//! prepared-statement protocol, server-side time limit, row cap, streaming,
//! cancel, and the schema browser.

mod convert;
mod execute;
mod schema;

pub use execute::{
    Event, Limits, Prepared, RunningQueries, Stats, cancel, prepare, run, run_read_only,
};
pub use schema::schema;

use drawbridge_shared::gate::Verdict;

use crate::access::AccessError;
use crate::audit::AuditError;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("{}", .0.reason.clone().unwrap_or_default())]
    Gate(Verdict),
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error("{0}")]
    InvalidArgument(String),
    #[error("a query with this id is already running")]
    DuplicateId,
    #[error("no such running query")]
    NotFound,
    #[error("the query was cancelled")]
    Cancelled,
    #[error("the query ran past the statement time limit of {0} ms and was stopped")]
    Timeout(u64),
    #[error("the database refused the statement: {0}")]
    Failed(String),
    /// The database could not be reached (down, connection lost, pool exhausted).
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Store(#[from] sqlx::Error),
    #[error(transparent)]
    Audit(#[from] AuditError),
}
