use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComponentHealth {
    pub ok: bool,
    /// Why it is not ok; absent when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthResponse {
    /// `ok` when every component is, else `degraded`.
    pub status: String,
    pub version: String,
    pub broker: ComponentHealth,
    pub store: ComponentHealth,
    pub vault: ComponentHealth,
    /// Not ok while Vault leases of ended grants wait to be revoked.
    pub leases: ComponentHealth,
}
