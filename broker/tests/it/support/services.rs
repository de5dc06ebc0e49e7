use std::collections::HashMap;
use std::path::PathBuf;

/// What scripts/services.sh started, read from its state file.
#[derive(Clone, Debug)]
pub struct Services {
    pub vault_addr: String,
    pub vault_root_token: String,
    pub mysql_host: String,
    pub mysql_port: u16,
    pub mysql_ops_password: String,
    pub mysql_vault_password: String,
}

impl Services {
    pub fn from_state() -> Self {
        let dir = std::env::var_os("DRAWBRIDGE_STATE_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.state"));
        let file = dir.join("services.env");
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| {
            panic!(
                "cannot read {}: {e}; run scripts/services.sh first (scripts/test.sh does)",
                file.display()
            )
        });
        let vars: HashMap<&str, &str> = text
            .lines()
            .filter_map(|line| line.split_once('='))
            .collect();
        let get = |key: &str| {
            vars.get(key)
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| {
                    panic!(
                        "{key} missing in {}; rerun scripts/services.sh",
                        file.display()
                    )
                })
                .to_string()
        };
        Self {
            vault_addr: get("VAULT_ADDR"),
            vault_root_token: get("VAULT_ROOT_TOKEN"),
            mysql_host: get("MYSQL_HOST"),
            mysql_port: get("MYSQL_PORT").parse().expect("MYSQL_PORT"),
            mysql_ops_password: get("MYSQL_OPS_PASSWORD"),
            mysql_vault_password: get("MYSQL_VAULT_PASSWORD"),
        }
    }
}
