//! Test support: each test gets its own MariaDB database and its own Vault
//! mount and role bound to it, torn down when the guard drops — also when the
//! test fails, since `Drop` runs during unwinding.

pub mod broker;
pub mod mariadb;
mod proxy;
mod services;
mod vault;
pub mod world;

pub use broker::{TestBroker, code};
pub use mariadb::TestDatabase;
pub use proxy::TcpProxy;
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

/// Runs the real `drawbridge-broker` binary's CLI on the test broker's store.
pub fn cli(b: &TestBroker, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let config = b.dir.path().join("broker.toml");
    let store = b.dir.path().join("broker.sqlite");
    std::fs::write(
        &config,
        broker::config_text(store.to_str().unwrap(), "", ""),
    )
    .unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_drawbridge-broker"))
        .arg("--config")
        .arg(&config)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

/// Records a test's figures: printed, and appended as a JSON line to the
/// file `DRAWBRIDGE_FIGURES` names (scripts/test.sh collects them).
pub fn figures(part: &str, figures: serde_json::Value) {
    let line = serde_json::json!({"part": part, "figures": figures}).to_string();
    println!("FIGURES {line}");
    if let Some(path) = std::env::var_os("DRAWBRIDGE_FIGURES") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(f, "{line}");
        }
    }
}
