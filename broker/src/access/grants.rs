//! Grants: listing, revoking, ending, and getting Vault to drop their users.

use chrono::{Duration, Utc};
use drawbridge_shared::Role;
use drawbridge_shared::api::access::{Grant, GrantQuery, GrantState};
use drawbridge_shared::api::audit::Outcome;
use serde_json::json;
use sqlx::{QueryBuilder, Row};
use uuid::Uuid;

use super::live::{self, LiveGrant};
use super::requests::may_approve;
use super::{AccessError, rows};
use crate::audit::NewEvent;
use crate::auth::Principal;
use crate::client::ClientInfo;
use crate::state::AppState;
use crate::store::{parse_time, time_text};

async fn load(state: &AppState, id: Uuid) -> Result<Option<(Grant, String)>, sqlx::Error> {
    let row = sqlx::query(&format!("{} WHERE g.id = ?", rows::GRANT_SELECT))
        .bind(id.to_string())
        .fetch_optional(&state.pool)
        .await?;
    row.map(|r| Ok((rows::grant(&r)?, r.try_get::<String, _>("user_id")?)))
        .transpose()
}

/// Who may see and revoke a grant: its owner, an approver of its database, an admin.
fn may_manage(state: &AppState, p: &Principal, grant: &Grant, owner: &str) -> bool {
    owner == p.user_id
        || p.has_role(Role::Admin)
        || state
            .config
            .database(&grant.database)
            .is_some_and(|db| may_approve(p, db))
}

pub async fn get_visible(state: &AppState, p: &Principal, id: Uuid) -> Result<Grant, AccessError> {
    match load(state, id).await? {
        Some((g, owner)) if may_manage(state, p, &g, &owner) => Ok(g),
        _ => Err(AccessError::NotFound("grant")),
    }
}

/// The caller's own grant, active and unexpired — what a query may run on.
pub async fn get_own_active(
    state: &AppState,
    p: &Principal,
    id: Uuid,
) -> Result<Grant, AccessError> {
    match load(state, id).await? {
        Some((g, owner)) if owner == p.user_id => match g.state {
            GrantState::Active if g.expires_at > Utc::now() => Ok(g),
            GrantState::Active => Err(AccessError::GrantEnded(GrantState::Expired)),
            ended => Err(AccessError::GrantEnded(ended)),
        },
        _ => Err(AccessError::NotFound("grant")),
    }
}

pub async fn list(
    state: &AppState,
    p: &Principal,
    q: &GrantQuery,
) -> Result<Vec<Grant>, AccessError> {
    let mut b = QueryBuilder::new(format!("{} WHERE 1 = 1", rows::GRANT_SELECT));
    match q.user.as_deref() {
        None => {
            b.push(" AND g.user_id = ").push_bind(p.user_id.clone());
        }
        Some(name) if name == p.name => {
            b.push(" AND g.user_id = ").push_bind(p.user_id.clone());
        }
        Some(name) => {
            b.push(" AND u.name = ").push_bind(name.to_owned());
            if !p.has_role(Role::Admin) {
                let approvable: Vec<String> = state
                    .config
                    .databases
                    .iter()
                    .filter(|db| may_approve(p, db))
                    .map(|db| db.name.clone())
                    .collect();
                if approvable.is_empty() {
                    return Err(AccessError::Forbidden);
                }
                b.push(" AND g.database_name IN (");
                let mut sep = b.separated(", ");
                for name in approvable {
                    sep.push_bind(name);
                }
                b.push(")");
            }
        }
    }
    if let Some(db) = &q.database {
        b.push(" AND g.database_name = ").push_bind(db.clone());
    }
    if let Some(s) = q.state {
        b.push(" AND g.state = ").push_bind(s.as_str());
    }
    b.push(" ORDER BY g.started_at DESC LIMIT 500");
    let found = b.build().fetch_all(&state.pool).await?;
    Ok(found.iter().map(rows::grant).collect::<Result<_, _>>()?)
}

pub async fn revoke(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    reason: Option<String>,
    client: &ClientInfo,
) -> Result<Grant, AccessError> {
    let grant = get_visible(state, p, id).await?;
    if grant.state != GrantState::Active {
        return Err(AccessError::GrantEnded(grant.state));
    }
    let why = match reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => format!(
            "revoked by {}: {}",
            p.name,
            r.chars().take(500).collect::<String>()
        ),
        None => format!("revoked by {}", p.name),
    };
    let event = NewEvent::new(&p.name, "grant.revoke", Outcome::Ok)
        .client(client.addr.clone(), client.user_agent.clone());
    end_grant(state, id, GrantState::Revoked, &why, event).await?;
    get_visible(state, p, id).await
}

/// Ends an active grant: closes its pool, records the end and queues its
/// lease for revocation, then asks Vault to revoke it. Returns false when the
/// grant had already ended.
pub async fn end_grant(
    state: &AppState,
    id: Uuid,
    to: GrantState,
    reason: &str,
    event: NewEvent,
) -> Result<bool, AccessError> {
    let mut tx = crate::store::write_tx(&state.pool).await?;
    let row = sqlx::query(
        "SELECT lease_id, revoke_pending FROM grants WHERE id = ? AND state = 'active'",
    )
    .bind(id.to_string())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Ok(false) };
    let mut pending = parse_pending(&row.try_get::<String, _>("revoke_pending")?);
    pending.extend(row.try_get::<Option<String>, _>("lease_id")?);
    sqlx::query(
        "UPDATE grants SET state = ?, ended_at = ?, end_reason = ?, lease_id = NULL, lease_expires_at = NULL, \
         revoke_pending = ? WHERE id = ?",
    )
    .bind(to.as_str())
    .bind(time_text(Utc::now()))
    .bind(reason)
    .bind(json!(pending).to_string())
    .bind(id.to_string())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    if let Some(live) = state.live.remove(&id) {
        live::close(live.pool).await;
    }
    state
        .audit
        .append(
            event
                .target(format!("grant:{id}"))
                .reason(reason.to_owned()),
        )
        .await?;
    retry_revocations(state, id).await?;
    Ok(true)
}

fn parse_pending(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

/// Asks Vault to revoke each lease the grant still owes; keeps the ones that
/// fail for the next try. Returns how many remain.
pub async fn retry_revocations(state: &AppState, id: Uuid) -> Result<usize, AccessError> {
    let text: Option<String> = sqlx::query_scalar("SELECT revoke_pending FROM grants WHERE id = ?")
        .bind(id.to_string())
        .fetch_optional(&state.pool)
        .await?;
    let pending = parse_pending(&text.unwrap_or_default());
    if pending.is_empty() {
        return Ok(0);
    }
    let Some(vault) = &state.vault else {
        return Ok(pending.len());
    };
    let mut left = Vec::new();
    for lease in pending {
        match vault.revoke_lease(&lease).await {
            Ok(()) => {
                state
                    .audit
                    .append(
                        NewEvent::new("system", "grant.lease_revoked", Outcome::Ok)
                            .target(format!("grant:{id}"))
                            .details(json!({"lease_id": lease})),
                    )
                    .await?;
            }
            Err(e) => {
                tracing::warn!(grant = %id, error = %e, "lease revocation failed; will retry");
                crate::metrics::get().lease_revocation_failures.inc();
                state
                    .audit
                    .append(
                        NewEvent::new("system", "grant.revoke_failed", Outcome::Error)
                            .target(format!("grant:{id}"))
                            .reason(e.to_string())
                            .details(json!({"lease_id": lease})),
                    )
                    .await?;
                left.push(lease);
            }
        }
    }
    let remaining = left.len();
    sqlx::query("UPDATE grants SET revoke_pending = ? WHERE id = ?")
        .bind(json!(left).to_string())
        .bind(id.to_string())
        .execute(&state.pool)
        .await?;
    Ok(remaining)
}

/// Revokes a lease that never made it into a grant (approval failed midway).
pub async fn revoke_lease_now(state: &AppState, lease_id: &str) {
    if let Some(vault) = &state.vault
        && let Err(e) = vault.revoke_lease(lease_id).await
    {
        tracing::error!(error = %e, "cannot revoke the lease of a failed approval");
    }
}

/// Grants whose leases still wait for revocation, and how many leases.
pub async fn pending_revocations(state: &AppState) -> Result<Vec<(Uuid, usize)>, sqlx::Error> {
    let found: Vec<(String, String)> =
        sqlx::query_as("SELECT id, revoke_pending FROM grants WHERE revoke_pending <> '[]'")
            .fetch_all(&state.pool)
            .await?;
    Ok(found
        .into_iter()
        .filter_map(|(id, text)| Some((id.parse().ok()?, parse_pending(&text).len())))
        .collect())
}

/// The live credentials of an active grant, issuing fresh ones when the
/// broker has none (after a restart their predecessors were revoked).
pub async fn ensure_live(state: &AppState, id: Uuid) -> Result<LiveGrant, AccessError> {
    if let Some(g) = state.live.get(&id) {
        return Ok(g);
    }
    let _one_at_a_time = state.reissue_lock.lock().await;
    if let Some(g) = state.live.get(&id) {
        return Ok(g);
    }
    let row =
        sqlx::query("SELECT user_id, database_name, state, expires_at FROM grants WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&state.pool)
            .await?
            .ok_or(AccessError::NotFound("grant"))?;
    let grant_state =
        GrantState::parse(&row.try_get::<String, _>("state")?).unwrap_or(GrantState::Revoked);
    let expires_at = parse_time(&row.try_get::<String, _>("expires_at")?).unwrap_or_else(Utc::now);
    if grant_state != GrantState::Active {
        return Err(AccessError::GrantEnded(grant_state));
    }
    if expires_at <= Utc::now() {
        return Err(AccessError::GrantEnded(GrantState::Expired));
    }
    let database: String = row.try_get("database_name")?;
    let db = state
        .config
        .database(&database)
        .ok_or_else(|| AccessError::UnknownDatabase(database.clone()))?
        .clone();
    let issued = issue(state, &db).await?;
    let (pool, lease, lease_expires_at) = (issued.pool, issued.lease, issued.lease_expires_at);
    let done = sqlx::query(
        "UPDATE grants SET lease_id = ?, lease_expires_at = ? WHERE id = ? AND state = 'active'",
    )
    .bind(&lease.id)
    .bind(time_text(lease_expires_at))
    .bind(id.to_string())
    .execute(&state.pool)
    .await?;
    if done.rows_affected() == 0 {
        live::close(pool).await;
        revoke_lease_now(state, &lease.id).await;
        return Err(AccessError::GrantEnded(GrantState::Revoked));
    }
    let live = LiveGrant {
        grant_id: id,
        user_id: row.try_get("user_id")?,
        database,
        expires_at,
        pool,
        lease: lease.clone(),
        lease_expires_at,
    };
    state.live.insert(live.clone());
    state
        .audit
        .append(
            NewEvent::new("system", "grant.reissue", Outcome::Ok)
                .target(format!("grant:{id}"))
                .reason("fresh credentials for a grant without live ones")
                .details(json!({"lease_id": lease.id})),
        )
        .await?;
    Ok(live)
}

/// Fresh credentials from Vault and a pool proven to work with them.
pub struct Issued {
    pub pool: sqlx::MySqlPool,
    pub lease: crate::vault::Lease,
    pub issued_at: chrono::DateTime<Utc>,
    pub lease_expires_at: chrono::DateTime<Utc>,
}

/// Asks Vault for a new database user for `db` and opens a pool with it;
/// when the pool cannot connect, what Vault issued is revoked again.
pub async fn issue(
    state: &AppState,
    db: &crate::config::DatabaseConfig,
) -> Result<Issued, AccessError> {
    let vault = state
        .vault
        .as_ref()
        .ok_or_else(|| AccessError::Database("no Vault is configured".into()))?;
    let creds = vault
        .database_credentials(&db.vault_mount, &db.vault_role)
        .await?;
    let issued_at = Utc::now();
    match live::connect(db, &creds).await {
        Ok(pool) => Ok(Issued {
            pool,
            lease_expires_at: issued_at
                + Duration::from_std(creds.lease.duration).unwrap_or_default(),
            lease: creds.lease,
            issued_at,
        }),
        Err(e) => {
            revoke_lease_now(state, &creds.lease.id).await;
            tracing::warn!(database = %db.name, error = %e, "cannot connect with fresh credentials");
            Err(AccessError::Database(format!(
                "cannot connect to {}",
                db.name
            )))
        }
    }
}
