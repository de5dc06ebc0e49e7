//! The audit log: append-only, hash-chained, group-committed.
//!
//! Every event's `hash = SHA-256(prev_hash ‖ canonical content)`; the chain's
//! head is kept in `audit_head` in the same transaction, so editing, inserting
//! or deleting any row — including the newest — breaks verification.

mod chain;
mod query;
mod verify;
mod writer;

pub use chain::{GENESIS_HASH, NewEvent};
pub use query::{ExportFormat, export, list};
pub use verify::verify;
pub use writer::{AuditError, AuditLog, append_now};
