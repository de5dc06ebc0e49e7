use std::sync::Arc;

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
}
