//! User accounts: name, roles, password hash, enabled flag.

use drawbridge_shared::Role;
use sqlx::Row;
use uuid::Uuid;

use crate::store::{Pool, now_text};

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error(
        "user name {0:?} is not valid: 1–64 characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit"
    )]
    InvalidName(String),
    #[error("a user needs at least one role")]
    NoRoles,
    #[error("user {0:?} already exists")]
    Exists(String),
    #[error("no user {0:?}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] sqlx::Error),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub name: String,
    pub roles: Vec<Role>,
    pub disabled: bool,
    pub password_hash: Option<String>,
}

impl User {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

pub fn validate_name(name: &str) -> Result<(), UserError> {
    let ok = (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(UserError::InvalidName(name.to_owned()))
    }
}

pub fn roles_text(roles: &[Role]) -> String {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

pub fn parse_roles(text: &str) -> Vec<Role> {
    // An unknown role in the store (written by a newer version) grants nothing.
    text.split(',').filter_map(|r| r.parse().ok()).collect()
}

fn from_row(row: &sqlx::sqlite::SqliteRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        roles: parse_roles(&row.try_get::<String, _>("roles")?),
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        password_hash: row.try_get("password_hash")?,
    })
}

const COLUMNS: &str = "id, name, roles, disabled, password_hash";

pub async fn add(
    pool: &Pool,
    name: &str,
    roles: &[Role],
    password_hash: Option<String>,
) -> Result<User, UserError> {
    validate_name(name)?;
    if roles.is_empty() {
        return Err(UserError::NoRoles);
    }
    let now = now_text();
    let id = Uuid::now_v7().to_string();
    let inserted = sqlx::query(
        "INSERT INTO users (id, name, password_hash, roles, disabled, created_at, updated_at) \
         VALUES (?, ?, ?, ?, 0, ?, ?) ON CONFLICT (name) DO NOTHING",
    )
    .bind(&id)
    .bind(name)
    .bind(&password_hash)
    .bind(roles_text(roles))
    .bind(&now)
    .bind(&now)
    .execute(pool)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(UserError::Exists(name.to_owned()));
    }
    find(pool, name)
        .await?
        .ok_or_else(|| UserError::NotFound(name.to_owned()))
}

pub async fn find(pool: &Pool, name: &str) -> Result<Option<User>, sqlx::Error> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE name = ?"))
        .bind(name)
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

pub async fn list(pool: &Pool) -> Result<Vec<User>, sqlx::Error> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM users ORDER BY name"))
        .fetch_all(pool)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

async fn update(pool: &Pool, name: &str, set: &str, value: impl ToString) -> Result<(), UserError> {
    let done = sqlx::query(&format!(
        "UPDATE users SET {set} = ?, updated_at = ? WHERE name = ?"
    ))
    .bind(value.to_string())
    .bind(now_text())
    .bind(name)
    .execute(pool)
    .await?;
    if done.rows_affected() == 0 {
        return Err(UserError::NotFound(name.to_owned()));
    }
    Ok(())
}

/// Disabling ends the user's sessions at once (they are also checked per request).
pub async fn set_disabled(pool: &Pool, name: &str, disabled: bool) -> Result<(), UserError> {
    update(pool, name, "disabled", i64::from(disabled)).await?;
    if disabled {
        sqlx::query("DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?)")
            .bind(name)
            .execute(pool)
            .await?;
    }
    Ok(())
}

pub async fn set_password_hash(pool: &Pool, name: &str, hash: &str) -> Result<(), UserError> {
    update(pool, name, "password_hash", hash).await
}

pub async fn set_roles(pool: &Pool, name: &str, roles: &[Role]) -> Result<(), UserError> {
    if roles.is_empty() {
        return Err(UserError::NoRoles);
    }
    update(pool, name, "roles", roles_text(roles)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["alice", "bob.smith", "svc-report_1", "7eleven"] {
            assert!(validate_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Alice", "-x", "a b", "ä", "a'b", &"a".repeat(65)] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn roles_round_trip_sorted_and_deduplicated() {
        let text = roles_text(&[Role::Admin, Role::User, Role::Admin]);
        assert_eq!(text, "user,admin");
        assert_eq!(parse_roles(&text), vec![Role::User, Role::Admin]);
        assert_eq!(parse_roles("user,wizard"), vec![Role::User]);
    }
}
