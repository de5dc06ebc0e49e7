//! Live settings: typed, validated, stored, read on every use — a change
//! takes effect on the next request, without a restart.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde_json::{Value, json};

use crate::config::Config;
use crate::store::{Pool, now_text};

/// A setting's kind and bounds.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Int { min: u64, max: u64 },
    Bool,
}

struct Def {
    key: &'static str,
    description: &'static str,
    kind: Kind,
}

const DEFS: &[Def] = &[
    Def {
        key: "query.row_cap",
        description: "Most rows one query returns",
        kind: Kind::Int {
            min: 1,
            max: 1_000_000,
        },
    },
    Def {
        key: "query.statement_timeout_ms",
        description: "The database stops a statement after this long",
        kind: Kind::Int {
            min: 100,
            max: 3_600_000,
        },
    },
    Def {
        key: "access.reason_min_length",
        description: "Shortest reason an access request may give",
        kind: Kind::Int { min: 0, max: 500 },
    },
    Def {
        key: "access.max_duration_seconds",
        description: "Longest grant on any database (each database may allow less)",
        kind: Kind::Int {
            min: 60,
            max: 30 * 86_400,
        },
    },
    Def {
        key: "access.default_duration_seconds",
        description: "Grant duration when a request names none (capped by the database's default)",
        kind: Kind::Int {
            min: 60,
            max: 30 * 86_400,
        },
    },
    Def {
        key: "features.query_streaming",
        description: "Allow NDJSON streaming of query results",
        kind: Kind::Bool,
    },
    Def {
        key: "features.auto_approval",
        description: "Honour approval = \"auto\" databases (off: every request needs an approver)",
        kind: Kind::Bool,
    },
];

#[derive(Debug, thiserror::Error)]
pub enum SettingError {
    #[error("no setting {0:?}")]
    Unknown(String),
    #[error("{key}: {reason}")]
    Invalid { key: String, reason: String },
    #[error(transparent)]
    Store(#[from] sqlx::Error),
}

fn defaults(config: &Config) -> HashMap<&'static str, Value> {
    HashMap::from([
        ("query.row_cap", json!(config.query.row_cap)),
        (
            "query.statement_timeout_ms",
            json!(config.query.statement_timeout_ms),
        ),
        (
            "access.reason_min_length",
            json!(config.access.reason_min_length),
        ),
        ("access.max_duration_seconds", json!(30 * 86_400)),
        ("access.default_duration_seconds", json!(30 * 86_400)),
        ("features.query_streaming", json!(true)),
        ("features.auto_approval", json!(true)),
    ])
}

fn validate(def: &Def, value: &Value) -> Result<Value, SettingError> {
    let invalid = |reason: String| SettingError::Invalid {
        key: def.key.to_owned(),
        reason,
    };
    match def.kind {
        Kind::Int { min, max } => match value.as_u64() {
            Some(n) if (min..=max).contains(&n) => Ok(json!(n)),
            _ => Err(invalid(format!(
                "must be a whole number from {min} to {max}"
            ))),
        },
        Kind::Bool => value
            .as_bool()
            .map(|b| json!(b))
            .ok_or_else(|| invalid("must be true or false".into())),
    }
}

/// The current values, cached in memory and written through to the store.
#[derive(Clone)]
pub struct Settings {
    defaults: Arc<HashMap<&'static str, Value>>,
    values: Arc<RwLock<HashMap<String, Value>>>,
}

impl Settings {
    pub async fn load(config: &Config, pool: &Pool) -> Result<Self, sqlx::Error> {
        let stored: Vec<(String, String)> = sqlx::query_as("SELECT key, value FROM settings")
            .fetch_all(pool)
            .await?;
        let values = stored
            .into_iter()
            .filter_map(|(k, v)| Some((k, serde_json::from_str(&v).ok()?)))
            .collect();
        Ok(Self {
            defaults: Arc::new(defaults(config)),
            values: Arc::new(RwLock::new(values)),
        })
    }

    fn get(&self, key: &str) -> Value {
        let stored = self.values.read().ok().and_then(|v| v.get(key).cloned());
        stored.unwrap_or_else(|| self.defaults.get(key).cloned().unwrap_or(Value::Null))
    }

    pub fn u64(&self, key: &str) -> u64 {
        self.get(key).as_u64().unwrap_or(0)
    }

    pub fn flag(&self, key: &str) -> bool {
        self.get(key).as_bool().unwrap_or(false)
    }

    pub fn list(&self) -> Vec<drawbridge_shared::api::secrets::Setting> {
        DEFS.iter()
            .map(|d| drawbridge_shared::api::secrets::Setting {
                key: d.key.to_owned(),
                value: self.get(d.key),
                default: self.defaults.get(d.key).cloned().unwrap_or(Value::Null),
                description: d.description.to_owned(),
            })
            .collect()
    }

    /// Validates and stores a value; answers (old, new).
    pub async fn set(
        &self,
        pool: &Pool,
        key: &str,
        value: &Value,
        by: &str,
    ) -> Result<(Value, Value), SettingError> {
        let def = DEFS
            .iter()
            .find(|d| d.key == key)
            .ok_or_else(|| SettingError::Unknown(key.to_owned()))?;
        let new = validate(def, value)?;
        let old = self.get(key);
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(key)
        .bind(new.to_string())
        .bind(now_text())
        .bind(by)
        .execute(pool)
        .await?;
        if let Ok(mut v) = self.values.write() {
            v.insert(key.to_owned(), new.clone());
        }
        Ok((old, new))
    }
}
