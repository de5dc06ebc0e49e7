//! Vault (OpenBao) access: a small typed client of the HTTP API.
//!
//! The broker speaks to Vault over its documented HTTP API with reqwest
//! rather than through `vaultrs`: vaultrs' database `creds` call returns only
//! the `data` object and drops `lease_id`/`lease_duration`, which are the whole
//! point of just-in-time access here.

mod client;
pub mod leases;

pub use client::{DbCredentials, Lease, TokenInfo, VaultClient, VaultError};
