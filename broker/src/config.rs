//! Broker configuration: a TOML file, every scalar key overridable by a
//! `DRAWBRIDGE_*` environment variable named after its path
//! (`[auth] idle_timeout_seconds` ⇒ `DRAWBRIDGE_AUTH_IDLE_TIMEOUT_SECONDS`,
//! top-level `listen` ⇒ `DRAWBRIDGE_LISTEN`).
//!
//! Secrets the broker itself needs (Vault token, master keys) are never read
//! from here: only from the environment or `*_FILE` files (see [`secret_from_env`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("environment variable {var}={value:?} does not fit config key {key}: {reason}")]
    Env {
        var: String,
        value: String,
        key: String,
        reason: String,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("cannot read {var} ({path}): {source}")]
    SecretFile {
        var: String,
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP API listens on.
    pub listen: String,
    pub store: StoreConfig,
    pub auth: AuthConfig,
    pub http: HttpConfig,
    pub tls: TlsConfig,
    pub vault: VaultConfig,
    pub access: AccessConfig,
    pub query: QueryConfig,
    /// Target databases people may request access to.
    #[serde(default)]
    pub databases: Vec<DatabaseConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessConfig {
    /// A pending request not decided within this time expires.
    pub pending_request_ttl_seconds: u64,
    /// Requests must give a reason at least this long (characters).
    pub reason_min_length: usize,
    /// How often the lease manager looks at grants and leases.
    pub lease_check_interval_ms: u64,
}

pub use drawbridge_shared::api::access::ApprovalPolicy;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Where the broker reaches the database.
    pub host: String,
    pub port: u16,
    pub schema: String,
    /// Vault database secrets engine mount and role issuing SELECT-only users.
    pub vault_mount: String,
    pub vault_role: String,
    pub approval: ApprovalPolicy,
    /// Roles whose holders may approve (with `required`).
    #[serde(default)]
    pub approver_roles: Vec<drawbridge_shared::Role>,
    pub default_duration_seconds: u64,
    pub max_duration_seconds: u64,
    /// Gate switches: EXPLAIN of a SELECT, SHOW/DESCRIBE of its tables.
    #[serde(default)]
    pub allow_explain: bool,
    #[serde(default)]
    pub allow_show: bool,
}

impl DatabaseConfig {
    pub fn gate_options(&self) -> drawbridge_shared::gate::GateOptions {
        drawbridge_shared::gate::GateOptions {
            allow_explain: self.allow_explain,
            allow_show: self.allow_show,
            schema: Some(self.schema.clone()),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryConfig {
    /// Most rows a query returns; a request may ask for fewer, never more.
    pub row_cap: u64,
    /// The server stops a statement after this long (max_statement_time).
    pub statement_timeout_ms: u64,
    /// Rows per NDJSON line when streaming.
    pub stream_batch_rows: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// SQLite file of the broker's own state (created when missing).
    pub path: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    pub session_ttl_seconds: u64,
    pub idle_timeout_seconds: u64,
    /// Failed logins allowed per user name within the window.
    pub lockout_threshold: u32,
    /// Failed logins allowed per client address within the window. Higher than
    /// per name: every user of one bastion shares its address.
    pub lockout_address_threshold: u32,
    pub lockout_window_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    pub request_timeout_seconds: u64,
    pub max_body_bytes: usize,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain and key: with both set the broker serves HTTPS.
    /// Empty means unset (an empty string keeps the key overridable from env).
    #[serde(default)]
    pub cert: String,
    #[serde(default)]
    pub key: String,
    /// PEM CA bundle: with it set, clients must present a certificate it signed (mTLS).
    #[serde(default)]
    pub client_ca: String,
    /// Serve plain HTTP when no certificate is configured (loopback demos only).
    #[serde(default)]
    pub allow_plaintext: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultConfig {
    /// Vault/OpenBao address, e.g. `http://127.0.0.1:8200`. Empty: no Vault.
    pub addr: String,
}

fn non_empty(path: &str) -> Option<&Path> {
    (!path.is_empty()).then(|| Path::new(path))
}

impl TlsConfig {
    pub fn cert(&self) -> Option<&Path> {
        non_empty(&self.cert)
    }
    pub fn key(&self) -> Option<&Path> {
        non_empty(&self.key)
    }
    pub fn client_ca(&self) -> Option<&Path> {
        non_empty(&self.client_ca)
    }
}

impl Config {
    /// Reads `path`, applies `DRAWBRIDGE_*` overrides from `env`, validates.
    pub fn load(path: &Path, env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text, path, env)
    }

    pub fn from_toml(
        text: &str,
        path: &Path,
        env: &HashMap<String, String>,
    ) -> Result<Self, ConfigError> {
        let parse_err = |message: String| ConfigError::Parse {
            path: path.to_owned(),
            message,
        };
        let mut value: toml::Value = toml::from_str(text).map_err(|e| parse_err(e.to_string()))?;
        apply_env_overrides(&mut value, "DRAWBRIDGE", "", env)?;
        let config: Config = value
            .try_into()
            .map_err(|e: toml::de::Error| parse_err(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    pub fn database(&self, name: &str) -> Option<&DatabaseConfig> {
        self.databases.iter().find(|d| d.name == name)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: &str| Err(ConfigError::Invalid(m.to_owned()));
        let mut names = std::collections::HashSet::new();
        for db in &self.databases {
            let bad = |m: &str| {
                Err(ConfigError::Invalid(format!(
                    "[[databases]] {:?}: {m}",
                    db.name
                )))
            };
            if db.name.is_empty() || !names.insert(db.name.as_str()) {
                return bad("names must be present and unique");
            }
            if db.default_duration_seconds == 0
                || db.default_duration_seconds > db.max_duration_seconds
            {
                return bad("need 0 < default_duration_seconds <= max_duration_seconds");
            }
            if db.approval == ApprovalPolicy::Required && db.approver_roles.is_empty() {
                return bad("approval = \"required\" needs approver_roles");
            }
        }
        if self.access.pending_request_ttl_seconds == 0 || self.access.lease_check_interval_ms == 0
        {
            return invalid(
                "[access] pending_request_ttl_seconds and lease_check_interval_ms must be > 0",
            );
        }
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::Invalid(format!(
                "listen = {:?} is not an address like 127.0.0.1:7070",
                self.listen
            )));
        }
        if self.auth.session_ttl_seconds == 0 || self.auth.idle_timeout_seconds == 0 {
            return invalid("[auth] session_ttl_seconds and idle_timeout_seconds must be > 0");
        }
        if self.auth.lockout_threshold == 0 || self.auth.lockout_address_threshold == 0 {
            return invalid("[auth] lockout_threshold and lockout_address_threshold must be > 0");
        }
        if self.http.request_timeout_seconds == 0 || self.http.max_body_bytes == 0 {
            return invalid("[http] request_timeout_seconds and max_body_bytes must be > 0");
        }
        match (self.tls.cert(), self.tls.key()) {
            (Some(_), None) | (None, Some(_)) => {
                return invalid("[tls] cert and key go together");
            }
            (None, None) if !self.tls.allow_plaintext => {
                return invalid(
                    "no [tls] cert/key configured: set them, or set [tls] allow_plaintext = true \
                     to serve plain HTTP (loopback only)",
                );
            }
            (None, None) if self.tls.client_ca().is_some() => {
                return invalid("[tls] client_ca needs cert and key");
            }
            _ => {}
        }
        Ok(())
    }
}

/// Walks the TOML tree; for each scalar leaf `a.b_c` looks up `PREFIX_A_B_C`.
fn apply_env_overrides(
    value: &mut toml::Value,
    prefix: &str,
    key_path: &str,
    env: &HashMap<String, String>,
) -> Result<(), ConfigError> {
    let toml::Value::Table(table) = value else {
        return Ok(());
    };
    for (key, child) in table.iter_mut() {
        let var = format!("{prefix}_{}", key.to_uppercase().replace('-', "_"));
        let path = if key_path.is_empty() {
            key.clone()
        } else {
            format!("{key_path}.{key}")
        };
        if child.is_table() {
            apply_env_overrides(child, &var, &path, env)?;
            continue;
        }
        let Some(raw) = env.get(&var) else { continue };
        let err = |reason: &str| ConfigError::Env {
            var: var.clone(),
            value: raw.clone(),
            key: path.clone(),
            reason: reason.to_owned(),
        };
        *child = match child {
            toml::Value::String(_) => toml::Value::String(raw.clone()),
            toml::Value::Integer(_) => {
                toml::Value::Integer(raw.trim().parse().map_err(|_| err("expected an integer"))?)
            }
            toml::Value::Float(_) => {
                toml::Value::Float(raw.trim().parse().map_err(|_| err("expected a number"))?)
            }
            toml::Value::Boolean(_) => match raw.trim() {
                "true" | "1" | "yes" => toml::Value::Boolean(true),
                "false" | "0" | "no" => toml::Value::Boolean(false),
                _ => return Err(err("expected true or false")),
            },
            _ => {
                return Err(err(
                    "only scalar keys can be overridden from the environment",
                ));
            }
        };
    }
    Ok(())
}

/// A secret from `NAME` or from the file named by `NAME_FILE` (Docker-secrets
/// style; trailing newline trimmed). Both set is an error: which wins would be
/// a guess.
pub fn secret_from_env(
    env: &HashMap<String, String>,
    name: &str,
) -> Result<Option<String>, ConfigError> {
    let file_var = format!("{name}_FILE");
    match (env.get(name), env.get(&file_var)) {
        (Some(_), Some(_)) => Err(ConfigError::Invalid(format!(
            "both {name} and {file_var} are set; set one"
        ))),
        (Some(v), None) => Ok(Some(v.clone())),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::SecretFile {
                var: file_var.clone(),
                path: PathBuf::from(path),
                source,
            })?;
            Ok(Some(text.trim_end_matches(['\n', '\r']).to_owned()))
        }
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
listen = "127.0.0.1:7070"
[store]
path = "broker.sqlite"
[auth]
session_ttl_seconds = 28800
idle_timeout_seconds = 1800
lockout_threshold = 5
lockout_address_threshold = 50
lockout_window_seconds = 300
[http]
request_timeout_seconds = 30
max_body_bytes = 1048576
[tls]
allow_plaintext = true
[vault]
addr = "http://127.0.0.1:8200"
[query]
row_cap = 10000
statement_timeout_ms = 30000
stream_batch_rows = 500
[access]
pending_request_ttl_seconds = 86400
reason_min_length = 10
lease_check_interval_ms = 1000
[[databases]]
name = "shop"
host = "127.0.0.1"
port = 3306
schema = "shop"
vault_mount = "database"
vault_role = "shop"
approval = "required"
approver_roles = ["approver"]
default_duration_seconds = 3600
max_duration_seconds = 14400
"#;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn load(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_toml(SAMPLE, Path::new("test.toml"), &env(pairs))
    }

    #[test]
    fn env_overrides_every_kind_of_leaf() {
        let c = load(&[
            ("DRAWBRIDGE_LISTEN", "0.0.0.0:9000"),
            ("DRAWBRIDGE_AUTH_IDLE_TIMEOUT_SECONDS", "60"),
            ("DRAWBRIDGE_STORE_PATH", "/tmp/x.sqlite"),
        ])
        .unwrap();
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert_eq!(c.auth.idle_timeout_seconds, 60);
        assert_eq!(c.store.path, PathBuf::from("/tmp/x.sqlite"));
        assert_eq!(c.auth.session_ttl_seconds, 28800);
    }

    #[test]
    fn bad_env_value_names_the_variable() {
        let err = load(&[("DRAWBRIDGE_AUTH_LOCKOUT_THRESHOLD", "many")]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("DRAWBRIDGE_AUTH_LOCKOUT_THRESHOLD"), "{text}");
        assert!(text.contains("auth.lockout_threshold"), "{text}");
    }

    #[test]
    fn plaintext_must_be_asked_for() {
        let err = load(&[("DRAWBRIDGE_TLS_ALLOW_PLAINTEXT", "false")]).unwrap_err();
        assert!(err.to_string().contains("allow_plaintext"), "{err}");
    }

    #[test]
    fn databases_are_read_and_checked() {
        let c = load(&[]).unwrap();
        let shop = c.database("shop").unwrap();
        assert_eq!(shop.approval, ApprovalPolicy::Required);
        assert_eq!(shop.approver_roles, [drawbridge_shared::Role::Approver]);
        let text = SAMPLE.replace("approver_roles = [\"approver\"]", "approver_roles = []");
        let err = Config::from_toml(&text, Path::new("t"), &HashMap::new()).unwrap_err();
        assert!(err.to_string().contains("approver_roles"), "{err}");
        let text = SAMPLE.replace(
            "default_duration_seconds = 3600",
            "default_duration_seconds = 99999",
        );
        assert!(Config::from_toml(&text, Path::new("t"), &HashMap::new()).is_err());
    }

    #[test]
    fn unknown_keys_are_refused() {
        let text = format!("{SAMPLE}\n[extra]\nx = 1\n");
        assert!(Config::from_toml(&text, Path::new("t"), &HashMap::new()).is_err());
    }

    #[test]
    fn secret_from_file_trims_newline_and_refuses_both() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "s3cret\n").unwrap();
        let path = file.to_str().unwrap();
        assert_eq!(
            secret_from_env(&env(&[("VAULT_TOKEN_FILE", path)]), "VAULT_TOKEN").unwrap(),
            Some("s3cret".into())
        );
        assert!(
            secret_from_env(
                &env(&[("VAULT_TOKEN_FILE", path), ("VAULT_TOKEN", "x")]),
                "VAULT_TOKEN"
            )
            .is_err()
        );
        assert_eq!(secret_from_env(&env(&[]), "VAULT_TOKEN").unwrap(), None);
    }
}
