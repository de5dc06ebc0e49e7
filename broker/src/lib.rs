//! Drawbridge broker: the only component that holds database credentials and
//! touches target databases.

pub mod access;
pub mod audit;
pub mod auth;
pub mod client;
pub mod config;
pub mod http;
pub mod metrics;
pub mod query;
pub mod secrets;
pub mod server;
pub mod state;
pub mod store;
pub mod vault;
