use std::sync::Arc;

use crate::access::live::LiveGrants;
use crate::audit::AuditLog;
use crate::config::Config;
use crate::store::Pool;
use crate::vault::VaultClient;

/// Everything a request handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: Pool,
    pub audit: AuditLog,
    pub vault: Option<VaultClient>,
    /// AppRole role id and secret id, for logging in again when the token lapses.
    pub approle: Option<(String, String)>,
    /// Credentials and pools of active grants (memory only).
    pub live: LiveGrants,
    /// Serialises issuing fresh credentials for grants without live ones.
    pub reissue_lock: Arc<tokio::sync::Mutex<()>>,
    /// Queries in flight, for cancel.
    pub queries: crate::query::RunningQueries,
    /// The master keyring (from the environment only).
    pub keyring: Arc<crate::secrets::Keyring>,
    /// Live settings.
    pub settings: crate::secrets::Settings,
}
