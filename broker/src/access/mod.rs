//! Just-in-time access: requests, approvals and the grants they create.
//!
//! A grant's credentials exist only in broker memory ([`live`]); the store
//! keeps the Vault lease id so that a restarted broker can revoke it.

pub mod grants;
pub mod live;
pub mod requests;
mod rows;

use drawbridge_shared::api::access::GrantState;

use crate::audit::AuditError;
use crate::vault::VaultError;

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("no database {0:?} is configured")]
    UnknownDatabase(String),
    #[error("{0}")]
    InvalidArgument(String),
    #[error("you already have a pending request or an active grant for {0:?}")]
    Duplicate(String),
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error("nobody may approve or deny their own request")]
    SelfApproval,
    #[error("your roles do not allow this")]
    Forbidden,
    #[error("the request is {0}, no longer pending")]
    NotPending(&'static str),
    #[error("the grant has {}", match .0 { GrantState::Expired => "expired", GrantState::Revoked => "been revoked", GrantState::Active => "not ended" })]
    GrantEnded(GrantState),
    #[error("Vault is unavailable: {0}")]
    Vault(#[from] VaultError),
    #[error("the target database is unavailable: {0}")]
    Database(String),
    #[error(transparent)]
    Store(#[from] sqlx::Error),
    #[error(transparent)]
    Audit(#[from] AuditError),
}
