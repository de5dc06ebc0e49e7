//! Request and response bodies of the broker's HTTP API, shared with the TUI.

pub mod access;
pub mod audit;
pub mod auth;
pub mod health;
pub mod query;
pub mod secrets;
