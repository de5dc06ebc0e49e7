use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    Denied,
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
            Outcome::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Outcome::Ok, Outcome::Denied, Outcome::Error]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
}

/// One committed audit event, as stored and as exported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEvent {
    /// Position in the chain, from 1, without gaps.
    pub seq: i64,
    /// Time-sortable (UUID v7).
    pub id: Uuid,
    pub time: DateTime<Utc>,
    /// A user name, or `system`.
    pub actor: String,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
    /// Dotted verb, e.g. `auth.login`, `audit.export`.
    pub action: String,
    pub target: Option<String>,
    pub outcome: Outcome,
    pub reason: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: serde_json::Value,
    /// Hex SHA-256 of the previous event's hash and this event's content.
    pub hash: String,
    pub prev_hash: String,
}

/// Filters of `GET /v1/audit`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub outcome: Option<Outcome>,
    /// Events at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Events before this time.
    pub until: Option<DateTime<Utc>>,
    /// Events with a sequence number below this one (paging backwards, newest first).
    pub before_seq: Option<i64>,
    /// Page size, 1–1000 (default 100).
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    /// Newest first.
    pub events: Vec<AuditEvent>,
    /// Pass as `before_seq` for the next (older) page; absent on the last page.
    pub next_before_seq: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditVerifyResponse {
    pub valid: bool,
    /// Events checked.
    pub events: u64,
    /// Sequence number of the first event that does not verify.
    pub first_bad: Option<i64>,
    /// What is wrong there.
    pub problem: Option<String>,
}
