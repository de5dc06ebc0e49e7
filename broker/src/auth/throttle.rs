//! Failed-login throttling per user name and per client address, kept in the
//! store so it holds across restarts (and replicas, later).

use chrono::{Duration, Utc};

use crate::store::{Pool, time_text};

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_name: u32,
    pub per_address: u32,
    pub window: Duration,
}

const NAME: &str = "name";
const ADDRESS: &str = "addr";

async fn recent_failures(
    pool: &Pool,
    scope: &str,
    key: &str,
    window: Duration,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM login_failures WHERE scope = ? AND key = ? AND at > ?")
        .bind(scope)
        .bind(key)
        .bind(time_text(Utc::now() - window))
        .fetch_one(pool)
        .await
}

/// True when the name or the address has used up its failures in the window.
pub async fn is_locked(
    pool: &Pool,
    limits: Limits,
    name: &str,
    addr: Option<&str>,
) -> Result<bool, sqlx::Error> {
    if recent_failures(pool, NAME, name, limits.window).await? >= i64::from(limits.per_name) {
        return Ok(true);
    }
    match addr {
        Some(addr) => Ok(recent_failures(pool, ADDRESS, addr, limits.window).await?
            >= i64::from(limits.per_address)),
        None => Ok(false),
    }
}

pub async fn record_failure(
    pool: &Pool,
    limits: Limits,
    name: &str,
    addr: Option<&str>,
) -> Result<(), sqlx::Error> {
    let now = Utc::now();
    let mut tx = crate::store::write_tx(pool).await?;
    // Old failures no longer count: prune them as we go.
    sqlx::query("DELETE FROM login_failures WHERE at <= ?")
        .bind(time_text(now - limits.window))
        .execute(&mut *tx)
        .await?;
    for (scope, key) in [(NAME, Some(name)), (ADDRESS, addr)] {
        if let Some(key) = key {
            sqlx::query("INSERT INTO login_failures (scope, key, at) VALUES (?, ?, ?)")
                .bind(scope)
                .bind(key)
                .bind(time_text(now))
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await
}

/// A successful login forgives the name's failures (not the address's).
pub async fn clear_name(pool: &Pool, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_failures WHERE scope = ? AND key = ?")
        .bind(NAME)
        .bind(name)
        .execute(pool)
        .await
        .map(drop)
}
