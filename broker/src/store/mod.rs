//! The broker's own state: an embedded SQLite database (WAL), migrations
//! embedded in the binary and applied at open.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::Connection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub type Pool = SqlitePool;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store at {path}: {source}")]
    Open { path: String, source: sqlx::Error },
    #[error("cannot migrate the store: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("the store failed: {0}")]
    Query(#[from] sqlx::Error),
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Opens (creating when missing) and migrates the store.
pub async fn open(path: &Path) -> Result<Pool, StoreError> {
    let shown = path.display().to_string();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
            path: shown.clone(),
            source: sqlx::Error::Io(e),
        })?;
    }
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{shown}"))
        .map_err(|source| StoreError::Open {
            path: shown.clone(),
            source,
        })?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // Durable commits: an acknowledged audit event must survive power loss.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        // A COMMIT that failed (a full disk) can leave its transaction open in
        // SQLite (holding the write lock) or in sqlx's bookkeeping (refusing
        // every later BEGIN): either way nothing could be written again until
        // a restart. Such a connection is closed instead of pooled.
        .after_release(|conn, _| {
            Box::pin(async move {
                let open_in_sqlite = sqlx::query("ROLLBACK").execute(&mut *conn).await.is_ok();
                let keep = !open_in_sqlite && !conn.is_in_transaction();
                if !keep {
                    tracing::warn!("a store connection came back inside a transaction; closed");
                }
                Ok(keep)
            })
        })
        .connect_with(options)
        .await
        .map_err(|source| StoreError::Open {
            path: shown,
            source,
        })?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// A write transaction that takes SQLite's write lock at once. A deferred
/// `BEGIN` that reads first and writes later fails with "database is locked"
/// at once (no busy wait) when another connection committed in between —
/// under concurrent requests that is common; waiting for the lock up front
/// lets `busy_timeout` do its job.
pub async fn write_tx(
    pool: &Pool,
) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

/// Current time as stored: RFC 3339 UTC with fixed microsecond precision, so
/// that text order is time order.
pub fn now_text() -> String {
    time_text(chrono::Utc::now())
}

pub fn time_text(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

pub fn parse_time(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}
