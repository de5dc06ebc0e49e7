//! Credentials and connection pools of active grants. In memory only: they
//! die with the process, and the store keeps just the Vault lease id.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
use uuid::Uuid;

use crate::config::DatabaseConfig;
use crate::vault::{DbCredentials, Lease};

#[derive(Clone)]
pub struct LiveGrant {
    pub grant_id: Uuid,
    pub user_id: String,
    pub database: String,
    pub expires_at: DateTime<Utc>,
    pub pool: MySqlPool,
    pub lease: Lease,
    pub lease_expires_at: DateTime<Utc>,
}

/// The registry of live grants, shared by handlers and the lease manager.
#[derive(Clone, Default)]
pub struct LiveGrants {
    inner: Arc<Mutex<HashMap<Uuid, LiveGrant>>>,
}

impl LiveGrants {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, LiveGrant>> {
        // A panic while holding this short lock cannot leave a map half-updated.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn insert(&self, grant: LiveGrant) {
        self.lock().insert(grant.grant_id, grant);
    }

    pub fn remove(&self, id: &Uuid) -> Option<LiveGrant> {
        self.lock().remove(id)
    }

    pub fn get(&self, id: &Uuid) -> Option<LiveGrant> {
        self.lock().get(id).cloned()
    }

    pub fn snapshot(&self) -> Vec<LiveGrant> {
        self.lock().values().cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records a renewed lease's new expiry.
    pub fn set_lease(&self, id: &Uuid, lease: Lease, expires_at: DateTime<Utc>) {
        if let Some(g) = self.lock().get_mut(id) {
            g.lease = lease;
            g.lease_expires_at = expires_at;
        }
    }

    /// Swaps in fresh credentials' pool and lease; answers the old ones.
    pub fn replace(
        &self,
        id: &Uuid,
        pool: MySqlPool,
        lease: Lease,
        lease_expires_at: DateTime<Utc>,
    ) -> Option<(MySqlPool, Lease)> {
        let mut map = self.lock();
        let g = map.get_mut(id)?;
        let old_pool = std::mem::replace(&mut g.pool, pool);
        let old_lease = std::mem::replace(&mut g.lease, lease);
        g.lease_expires_at = lease_expires_at;
        Some((old_pool, old_lease))
    }
}

/// The sql_mode every grant session is pinned to (see the gate).
pub const SESSION_SQL_MODE: &str = "SET SESSION sql_mode = \
     'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_DATE,NO_ZERO_IN_DATE,NO_ENGINE_SUBSTITUTION'";

/// Opens a small pool for one grant with its Vault-issued credentials and
/// proves it works by taking one connection.
pub async fn connect(db: &DatabaseConfig, creds: &DbCredentials) -> Result<MySqlPool, sqlx::Error> {
    let options = MySqlConnectOptions::new()
        .host(&db.host)
        .port(db.port)
        .username(&creds.username)
        .password(&creds.password)
        .database(&db.schema)
        .charset("utf8mb4");
    let pool = MySqlPoolOptions::new()
        .after_connect(|conn, _| {
            Box::pin(async move {
                // The gate reads SQL exactly as a session in this mode does:
                // no ANSI_QUOTES, no NO_BACKSLASH_ESCAPES, utf8mb4.
                sqlx::Executor::execute(&mut *conn, SESSION_SQL_MODE).await?;
                sqlx::Executor::execute(&mut *conn, "SET NAMES utf8mb4").await?;
                Ok(())
            })
        })
        // A grant is one person, but the TUI, a script and a streamed export
        // may run at once; more would only queue in MariaDB.
        .max_connections(GRANT_POOL_CONNECTIONS)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(5))
        .idle_timeout(Duration::from_secs(300))
        .connect_lazy_with(options);
    drop(pool.acquire().await?);
    Ok(pool)
}

/// Connections a grant's pool may open to its database.
pub const GRANT_POOL_CONNECTIONS: u32 = 8;

/// Closes a pool without waiting forever for connections in use.
pub async fn close(pool: MySqlPool) {
    let _ = tokio::time::timeout(Duration::from_secs(5), pool.close()).await;
}
