//! Sessions: a random 256-bit bearer token, of which only the SHA-256 is stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use drawbridge_shared::Role;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::users::parse_roles;
use crate::store::{Pool, parse_time, time_text};

/// Who is calling, established from a valid session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub name: String,
    pub roles: Vec<Role>,
    pub session_expires_at: DateTime<Utc>,
    pub token_hash: String,
}

impl Principal {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn has_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.has_role(*r))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("no valid session")]
    Invalid,
    #[error("the session has expired")]
    Expired,
    #[error(transparent)]
    Store(#[from] sqlx::Error),
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// 256 random bits, base64url: session tokens and service-account tokens.
pub fn new_token() -> String {
    let mut raw = [0_u8; 32];
    rand::rng().fill_bytes(&mut raw);
    URL_SAFE_NO_PAD.encode(raw)
}

pub struct NewSession {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

pub async fn create(
    pool: &Pool,
    user_id: &str,
    ttl: Duration,
    client_addr: Option<&str>,
    user_agent: Option<&str>,
) -> Result<NewSession, sqlx::Error> {
    let token = new_token();
    let now = Utc::now();
    let expires_at = now + ttl;
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at, \
         client_addr, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(hash_token(&token))
    .bind(user_id)
    .bind(time_text(now))
    .bind(time_text(expires_at))
    .bind(time_text(now))
    .bind(client_addr)
    .bind(user_agent)
    .execute(pool)
    .await?;
    Ok(NewSession { token, expires_at })
}

/// Resolves a bearer token to its principal: the session must exist, be within
/// its absolute TTL and its idle timeout, and its user must be enabled.
pub async fn authenticate(
    pool: &Pool,
    token: &str,
    idle: Duration,
) -> Result<Principal, SessionError> {
    let token_hash = hash_token(token);
    let row = sqlx::query(
        "SELECT s.user_id, s.expires_at, s.last_seen_at, u.name, u.roles, u.disabled \
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
    )
    .bind(&token_hash)
    .fetch_optional(pool)
    .await?
    .ok_or(SessionError::Invalid)?;
    if row.try_get::<i64, _>("disabled")? != 0 {
        return Err(SessionError::Invalid);
    }
    let now = Utc::now();
    let expires_at =
        parse_time(&row.try_get::<String, _>("expires_at")?).ok_or(SessionError::Invalid)?;
    let last_seen =
        parse_time(&row.try_get::<String, _>("last_seen_at")?).ok_or(SessionError::Invalid)?;
    if now >= expires_at || now - last_seen >= idle {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(&token_hash)
            .execute(pool)
            .await?;
        return Err(SessionError::Expired);
    }
    // Touching last_seen on every request would make every call a write; a
    // coarse step keeps the idle timeout accurate to a small fraction.
    let step = (idle / 20).min(Duration::seconds(15));
    if now - last_seen >= step {
        sqlx::query("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?")
            .bind(time_text(now))
            .bind(&token_hash)
            .execute(pool)
            .await?;
    }
    Ok(Principal {
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        roles: parse_roles(&row.try_get::<String, _>("roles")?),
        session_expires_at: expires_at,
        token_hash,
    })
}

pub async fn end(pool: &Pool, token_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
        .bind(token_hash)
        .execute(pool)
        .await
        .map(drop)
}

/// Sessions that are still within their absolute TTL (for /metrics).
pub async fn count_active(pool: &Pool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE expires_at > ?")
        .bind(time_text(Utc::now()))
        .fetch_one(pool)
        .await
}
