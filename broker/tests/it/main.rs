//! Integration tests against the real services that scripts/services.sh
//! starts (an OpenBao dev server and MariaDB) and a real broker on a free
//! port. One binary for all of them keeps linking cheap.

mod access;
mod access_faults;
mod audit;
mod auth;
mod authz;
mod cli;
mod faults;
mod hostile;
mod http_errors;
mod load;
mod queries;
mod secrets;
mod support;
mod tls;
mod vault_chain;
