//! The Drawbridge terminal UI as a library: the `drawbridge` binary is its
//! event loop; benchmarks render its panes directly.

pub mod admin;
pub mod app;
pub mod client;
pub mod export;
pub mod history;
pub mod keys;
pub mod results;
pub mod ui;

#[cfg(test)]
mod admin_ui_tests;
#[cfg(test)]
mod ui_tests;
