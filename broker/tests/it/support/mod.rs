//! Test support: each test gets its own MariaDB database and its own Vault
//! mount and role bound to it, torn down when the guard drops — also when the
//! test fails, since `Drop` runs during unwinding.

pub mod broker;
pub mod mariadb;
mod services;
mod vault;

pub use broker::{TestBroker, code};
pub use mariadb::TestDatabase;
pub use services::Services;
pub use vault::TestVault;

/// A short unique suffix for names of databases, mounts and users.
pub fn unique_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
}

/// Runs async cleanup from `Drop`, even inside a panicking test on a tokio
/// runtime: a separate thread with its own runtime, joined before returning.
pub fn block_on_cleanup<F>(make: impl FnOnce() -> F + Send + 'static)
where
    F: std::future::Future<Output = ()>,
{
    let handle = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("cleanup runtime")
            .block_on(make());
    });
    if handle.join().is_err() {
        eprintln!("test cleanup panicked");
    }
}
