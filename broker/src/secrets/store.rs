//! Secrets: create, list, read metadata and versions, reveal, update, (de)activate,
//! expiry, soft delete, service reads, tests, export. Every step is audited.

use chrono::{DateTime, Duration, Utc};
use drawbridge_shared::Role;
use drawbridge_shared::api::audit::Outcome;
use drawbridge_shared::api::secrets::{
    CreateSecret, SecretDetail, SecretMeta, SecretStatus, SecretTest, SecretTestResult,
    SecretValue, SecretVersion, SecretsExport, UpdateSecret,
};
use serde_json::json;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{SecretError, tester};
use crate::audit::NewEvent;
use crate::auth::Principal;
use crate::client::ClientInfo;
use crate::state::AppState;
use crate::store::{now_text, parse_time, time_text};

const MAX_VALUE: usize = 64 * 1024;
/// Secrets expiring within this are flagged.
const EXPIRING_SOON_DAYS: i64 = 7;

fn valid_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

fn valid_category(c: &str) -> bool {
    (1..=40).contains(&c.len())
        && c.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'))
}

fn check_value(v: &str) -> Result<(), SecretError> {
    if v.is_empty() || v.len() > MAX_VALUE {
        return Err(SecretError::InvalidArgument(format!(
            "the value must be 1 to {MAX_VALUE} bytes"
        )));
    }
    Ok(())
}

fn require_admin(p: &Principal) -> Result<(), SecretError> {
    if p.has_role(Role::Admin) {
        Ok(())
    } else {
        Err(SecretError::Forbidden)
    }
}

fn event(p: &Principal, action: &str, name: &str, client: &ClientInfo) -> NewEvent {
    NewEvent::new(&p.name, action, Outcome::Ok)
        .client(client.addr.clone(), client.user_agent.clone())
        .target(format!("secret:{name}"))
}

fn status(active: bool, expires_at: Option<DateTime<Utc>>) -> SecretStatus {
    let now = Utc::now();
    match expires_at {
        _ if !active => SecretStatus::Inactive,
        Some(t) if t <= now => SecretStatus::Expired,
        Some(t) if t <= now + Duration::days(EXPIRING_SOON_DAYS) => SecretStatus::ExpiringSoon,
        _ => SecretStatus::Active,
    }
}

const COLUMNS: &str = "id, name, category, description, test_config, ciphertext, version, active, expires_at, \
                       created_at, created_by, updated_at";

fn meta(row: &SqliteRow) -> Result<SecretMeta, sqlx::Error> {
    let active = row.try_get::<i64, _>("active")? != 0;
    let expires_at = row
        .try_get::<Option<String>, _>("expires_at")?
        .and_then(|t| parse_time(&t));
    let time = |col: &str| -> Result<DateTime<Utc>, sqlx::Error> {
        parse_time(&row.try_get::<String, _>(col)?)
            .ok_or_else(|| sqlx::Error::Decode(format!("bad {col}").into()))
    };
    Ok(SecretMeta {
        name: row.try_get("name")?,
        category: row.try_get("category")?,
        description: row.try_get("description")?,
        version: row.try_get::<i64, _>("version")? as u32,
        active,
        status: status(active, expires_at),
        expires_at,
        test: row
            .try_get::<Option<String>, _>("test_config")?
            .and_then(|t| serde_json::from_str(&t).ok()),
        created_at: time("created_at")?,
        created_by: row.try_get("created_by")?,
        updated_at: time("updated_at")?,
    })
}

async fn load(state: &AppState, name: &str) -> Result<SqliteRow, SecretError> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM secrets WHERE name = ? AND deleted_at IS NULL"
    ))
    .bind(name)
    .fetch_optional(&state.pool)
    .await?
    .ok_or_else(|| SecretError::NotFound(name.to_owned()))
}

async fn versions(state: &AppState, id: &str) -> Result<Vec<SecretVersion>, sqlx::Error> {
    let rows: Vec<(i64, String, String, String)> =
        sqlx::query_as("SELECT version, digest, created_at, created_by FROM secret_versions WHERE secret_id = ? ORDER BY version DESC")
            .bind(id)
            .fetch_all(&state.pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(version, digest, at, by)| SecretVersion {
            version: version as u32,
            digest,
            created_at: parse_time(&at).unwrap_or_default(),
            created_by: by,
        })
        .collect())
}

async fn detail(state: &AppState, row: &SqliteRow) -> Result<SecretDetail, SecretError> {
    let id: String = row.try_get("id")?;
    Ok(SecretDetail {
        meta: meta(row)?,
        versions: versions(state, &id).await?,
    })
}

pub async fn create(
    state: &AppState,
    p: &Principal,
    req: CreateSecret,
    client: &ClientInfo,
) -> Result<SecretDetail, SecretError> {
    require_admin(p)?;
    if !valid_name(&req.name) {
        return Err(SecretError::InvalidArgument(
            "name: 1–128 characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit"
                .into(),
        ));
    }
    if !valid_category(&req.category) {
        return Err(SecretError::InvalidArgument(
            "category: 1–40 characters of a-z, 0-9, '_', '-'".into(),
        ));
    }
    check_value(&req.value)?;
    let now = now_text();
    let id = uuid::Uuid::now_v7().to_string();
    let mut tx = crate::store::write_tx(&state.pool).await?;
    let inserted = sqlx::query(
        "INSERT INTO secrets (id, name, category, description, test_config, ciphertext, version, active, expires_at, \
         created_at, created_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, 1, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
    )
    .bind(&id)
    .bind(&req.name)
    .bind(&req.category)
    .bind(&req.description)
    .bind(req.test.as_ref().map(|t| json!(t).to_string()))
    .bind(state.keyring.encrypt(&req.value))
    .bind(req.expires_at.map(time_text))
    .bind(&now)
    .bind(&p.name)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(SecretError::Exists(req.name));
    }
    sqlx::query("INSERT INTO secret_versions (secret_id, version, digest, created_at, created_by) VALUES (?, 1, ?, ?, ?)")
        .bind(&id)
        .bind(state.keyring.digest(&req.value))
        .bind(&now)
        .bind(&p.name)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    state
        .audit
        .append(
            event(p, "secret.create", &req.name, client)
                .details(json!({"category": req.category, "version": 1})),
        )
        .await?;
    detail(state, &load(state, &req.name).await?).await
}

pub async fn list(state: &AppState, p: &Principal) -> Result<Vec<SecretMeta>, SecretError> {
    require_admin(p)?;
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM secrets WHERE deleted_at IS NULL ORDER BY category, name"
    ))
    .fetch_all(&state.pool)
    .await?;
    Ok(rows.iter().map(meta).collect::<Result<_, _>>()?)
}

pub async fn get(state: &AppState, p: &Principal, name: &str) -> Result<SecretDetail, SecretError> {
    require_admin(p)?;
    detail(state, &load(state, name).await?).await
}

fn decrypt(state: &AppState, row: &SqliteRow) -> Result<String, SecretError> {
    let c: String = row.try_get("ciphertext")?;
    state
        .keyring
        .decrypt(&c)
        .map_err(|_| SecretError::Undecryptable)
}

/// The value, for an admin who asked explicitly. Audited with address and user agent.
pub async fn reveal(
    state: &AppState,
    p: &Principal,
    name: &str,
    client: &ClientInfo,
) -> Result<SecretValue, SecretError> {
    require_admin(p)?;
    let row = load(state, name).await?;
    let value = decrypt(state, &row)?;
    let version = row.try_get::<i64, _>("version")? as u32;
    state
        .audit
        .append(event(p, "secret.reveal", name, client).details(json!({"version": version})))
        .await?;
    Ok(SecretValue {
        name: name.to_owned(),
        version,
        value,
    })
}

pub async fn update(
    state: &AppState,
    p: &Principal,
    name: &str,
    req: UpdateSecret,
    client: &ClientInfo,
) -> Result<SecretDetail, SecretError> {
    require_admin(p)?;
    if let Some(c) = &req.category
        && !valid_category(c)
    {
        return Err(SecretError::InvalidArgument(
            "category: 1–40 characters of a-z, 0-9, '_', '-'".into(),
        ));
    }
    if let Some(v) = &req.value {
        check_value(v)?;
    }
    let row = load(state, name).await?;
    let id: String = row.try_get("id")?;
    let mut version = row.try_get::<i64, _>("version")?;
    let now = now_text();
    let mut tx = crate::store::write_tx(&state.pool).await?;
    if let Some(value) = &req.value {
        version += 1;
        sqlx::query("UPDATE secrets SET ciphertext = ?, version = ? WHERE id = ?")
            .bind(state.keyring.encrypt(value))
            .bind(version)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO secret_versions (secret_id, version, digest, created_at, created_by) VALUES (?, ?, ?, ?, ?)")
            .bind(&id)
            .bind(version)
            .bind(state.keyring.digest(value))
            .bind(&now)
            .bind(&p.name)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "UPDATE secrets SET category = COALESCE(?, category), description = COALESCE(?, description), \
         test_config = COALESCE(?, test_config), updated_at = ? WHERE id = ?",
    )
    .bind(&req.category)
    .bind(&req.description)
    .bind(req.test.as_ref().map(|t| json!(t).to_string()))
    .bind(&now)
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    state
        .audit
        .append(
            event(p, "secret.update", name, client)
                .details(json!({"version": version, "new_value": req.value.is_some()})),
        )
        .await?;
    detail(state, &load(state, name).await?).await
}

pub async fn set_active(
    state: &AppState,
    p: &Principal,
    name: &str,
    active: bool,
    client: &ClientInfo,
) -> Result<SecretDetail, SecretError> {
    require_admin(p)?;
    load(state, name).await?;
    sqlx::query(
        "UPDATE secrets SET active = ?, updated_at = ? WHERE name = ? AND deleted_at IS NULL",
    )
    .bind(i64::from(active))
    .bind(now_text())
    .bind(name)
    .execute(&state.pool)
    .await?;
    let action = if active {
        "secret.activate"
    } else {
        "secret.deactivate"
    };
    state.audit.append(event(p, action, name, client)).await?;
    detail(state, &load(state, name).await?).await
}

pub async fn set_expiry(
    state: &AppState,
    p: &Principal,
    name: &str,
    expires_at: Option<DateTime<Utc>>,
    client: &ClientInfo,
) -> Result<SecretDetail, SecretError> {
    require_admin(p)?;
    load(state, name).await?;
    sqlx::query(
        "UPDATE secrets SET expires_at = ?, updated_at = ? WHERE name = ? AND deleted_at IS NULL",
    )
    .bind(expires_at.map(time_text))
    .bind(now_text())
    .bind(name)
    .execute(&state.pool)
    .await?;
    state
        .audit
        .append(event(p, "secret.expiry", name, client).details(json!({"expires_at": expires_at})))
        .await?;
    detail(state, &load(state, name).await?).await
}

/// Soft delete: the row stays (its name is freed for reuse), the value is gone from service.
pub async fn delete(
    state: &AppState,
    p: &Principal,
    name: &str,
    client: &ClientInfo,
) -> Result<(), SecretError> {
    require_admin(p)?;
    let row = load(state, name).await?;
    let id: String = row.try_get("id")?;
    let now = now_text();
    // The unique name is released by renaming the tombstone.
    sqlx::query("UPDATE secrets SET deleted_at = ?, active = 0, name = ? WHERE id = ?")
        .bind(&now)
        .bind(format!("{name}#deleted-{id}"))
        .bind(&id)
        .execute(&state.pool)
        .await?;
    state
        .audit
        .append(event(p, "secret.delete", name, client))
        .await?;
    Ok(())
}

/// A service account reads a value its patterns allow; inactive and expired
/// secrets are not served. Every read, allowed or not, is audited.
pub async fn service_read(
    state: &AppState,
    p: &Principal,
    name: &str,
    client: &ClientInfo,
) -> Result<SecretValue, SecretError> {
    let result = async {
        if !p.has_role(Role::Service) {
            return Err(SecretError::Forbidden);
        }
        let patterns: Option<String> =
            sqlx::query_scalar("SELECT patterns FROM service_accounts WHERE user_id = ?")
                .bind(&p.user_id)
                .fetch_optional(&state.pool)
                .await?;
        let allowed = patterns
            .and_then(|t| serde_json::from_str::<Vec<String>>(&t).ok())
            .unwrap_or_default()
            .iter()
            .any(|pat| glob::Pattern::new(pat).is_ok_and(|g| g.matches(name)));
        if !allowed {
            return Err(SecretError::Forbidden);
        }
        let row = load(state, name).await?;
        match meta(&row)?.status {
            SecretStatus::Inactive => {
                return Err(SecretError::Unavailable(name.to_owned(), "inactive"));
            }
            SecretStatus::Expired => {
                return Err(SecretError::Unavailable(name.to_owned(), "expired"));
            }
            _ => {}
        }
        Ok(SecretValue {
            name: name.to_owned(),
            version: row.try_get::<i64, _>("version")? as u32,
            value: decrypt(state, &row)?,
        })
    }
    .await;
    let outcome = if result.is_ok() {
        Outcome::Ok
    } else {
        Outcome::Denied
    };
    let mut e = event(p, "secret.read", name, client);
    e.outcome = outcome;
    if let Err(err) = &result {
        e = e.reason(err.to_string());
    }
    state.audit.append(e).await?;
    result
}

pub async fn test(
    state: &AppState,
    p: &Principal,
    name: &str,
    client: &ClientInfo,
) -> Result<SecretTestResult, SecretError> {
    require_admin(p)?;
    let row = load(state, name).await?;
    let test: Option<SecretTest> = meta(&row)?.test;
    let Some(test) = test else {
        return Err(SecretError::InvalidArgument(
            "this secret has no test configured (set `test` with PUT)".into(),
        ));
    };
    let result = tester::run(&test, &decrypt(state, &row)?).await;
    let mut e = event(p, "secret.test", name, client)
        .details(json!({"ok": result.ok, "detail": result.detail}));
    if !result.ok {
        e.outcome = Outcome::Error;
    }
    state.audit.append(e).await?;
    Ok(result)
}

/// Names, metadata and version digests — never a value.
pub async fn export(
    state: &AppState,
    p: &Principal,
    client: &ClientInfo,
) -> Result<SecretsExport, SecretError> {
    require_admin(p)?;
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM secrets WHERE deleted_at IS NULL ORDER BY name"
    ))
    .fetch_all(&state.pool)
    .await?;
    let mut secrets = Vec::with_capacity(rows.len());
    for row in &rows {
        secrets.push(detail(state, row).await?);
    }
    state
        .audit
        .append(event(p, "secret.export", "*", client).details(json!({"secrets": secrets.len()})))
        .await?;
    Ok(SecretsExport {
        exported_at: Utc::now(),
        secrets,
    })
}
