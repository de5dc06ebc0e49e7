use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ApprovalPolicy {
    /// Granted as soon as it is requested.
    Auto,
    /// Someone else holding one of the approver roles must approve.
    Required,
}

/// A database the caller may request access to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatabaseInfo {
    pub name: String,
    pub description: String,
    pub approval: ApprovalPolicy,
    pub approver_roles: Vec<Role>,
    pub default_duration_seconds: u64,
    pub max_duration_seconds: u64,
    /// Whether the caller may approve other people's requests for it.
    pub can_approve: bool,
    /// The gate lets EXPLAIN of a SELECT through for this database.
    #[serde(default)]
    pub allow_explain: bool,
    /// The gate lets SHOW/DESCRIBE of its tables through.
    #[serde(default)]
    pub allow_show: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateAccessRequest {
    pub database: String,
    pub reason: String,
    /// Defaults to the database's default duration; clamped to its maximum.
    pub duration_seconds: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    Pending,
    Approved,
    Denied,
    Expired,
    Cancelled,
}

impl RequestState {
    pub const ALL: [RequestState; 5] = [
        RequestState::Pending,
        RequestState::Approved,
        RequestState::Denied,
        RequestState::Expired,
        RequestState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Pending => "pending",
            RequestState::Approved => "approved",
            RequestState::Denied => "denied",
            RequestState::Expired => "expired",
            RequestState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessRequest {
    pub id: Uuid,
    pub database: String,
    pub requester: String,
    pub reason: String,
    /// What was asked for.
    pub requested_duration_seconds: u64,
    /// What the grant will last (or lasted): clamped to the database's maximum.
    pub duration_seconds: u64,
    /// True when the duration was cut to the database's maximum.
    pub clamped: bool,
    pub state: RequestState,
    pub created_at: DateTime<Utc>,
    /// A pending request expires at this time.
    pub pending_until: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
    pub decision_comment: Option<String>,
    /// The grant an approval created.
    pub grant_id: Option<Uuid>,
}

/// Body of approve and deny.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionRequest {
    #[serde(default)]
    pub comment: Option<String>,
    /// Approve only: a shorter duration than requested.
    #[serde(default)]
    pub duration_seconds: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GrantState {
    Active,
    Expired,
    Revoked,
}

impl GrantState {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantState::Active => "active",
            GrantState::Expired => "expired",
            GrantState::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [GrantState::Active, GrantState::Expired, GrantState::Revoked]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Grant {
    pub id: Uuid,
    pub request_id: Uuid,
    pub database: String,
    pub user: String,
    pub state: GrantState,
    pub started_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it ended: `expired`, `revoked by <name>`, `user disabled`.
    pub end_reason: Option<String>,
    /// Seconds until it expires (0 once it has ended).
    pub seconds_left: u64,
}

/// Filters of `GET /v1/grants`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
pub struct GrantQuery {
    /// Another user's grants (approvers and admins).
    pub user: Option<String>,
    pub database: Option<String>,
    pub state: Option<GrantState>,
}

/// Filters of `GET /v1/access-requests`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
pub struct RequestQuery {
    pub state: Option<RequestState>,
    /// Only my own requests.
    pub mine: Option<bool>,
    pub database: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevokeRequest {
    #[serde(default)]
    pub reason: Option<String>,
}
