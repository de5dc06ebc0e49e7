//! The lease manager: one background task that keeps each active grant's
//! Vault lease alive exactly as long as the grant, and no longer.
//!
//! Each tick it expires stale pending requests, ends grants that ran out or
//! whose user was disabled, renews leases before they lapse (re-issuing
//! credentials when Vault's max_ttl stops renewal), retries failed lease
//! revocations with backoff, and keeps the broker's own Vault token alive.

use std::collections::HashMap;
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use drawbridge_shared::api::access::GrantState;
use drawbridge_shared::api::audit::Outcome;
use serde_json::json;
use uuid::Uuid;

use crate::access::AccessError;
use crate::access::grants::{self, end_grant, pending_revocations, retry_revocations};
use crate::access::live::{self, LiveGrant};
use crate::audit::NewEvent;
use crate::state::AppState;
use crate::store::time_text;

pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let period = StdDuration::from_millis(state.config.access.lease_check_interval_ms);
        let mut interval = tokio::time::interval(period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut manager = Manager::default();
        loop {
            interval.tick().await;
            if let Err(e) = manager.tick(&state).await {
                tracing::error!(error = %e, "lease manager tick failed");
            }
        }
    })
}

/// Run once at start, before serving: grants that outlived the previous
/// process get their old lease revoked (its credentials died with that
/// process); those past their time end now. Fresh credentials are issued on
/// first use.
pub async fn reconcile(state: &AppState) -> Result<(), AccessError> {
    let rows: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT id, expires_at, lease_id FROM grants WHERE state = 'active'")
            .fetch_all(&state.pool)
            .await?;
    let now = time_text(Utc::now());
    for (id, expires_at, lease_id) in rows {
        let Ok(id) = id.parse::<Uuid>() else { continue };
        if expires_at <= now {
            let event = NewEvent::new("system", "grant.expire", Outcome::Ok);
            end_grant(
                state,
                id,
                GrantState::Expired,
                "expired while the broker was down",
                event,
            )
            .await?;
        } else if let Some(lease) = lease_id {
            drop_lease(
                state,
                id,
                &lease,
                "the broker restarted; fresh credentials on first use",
            )
            .await?;
        }
    }
    for (id, _) in pending_revocations(state).await? {
        retry_revocations(state, id).await?;
    }
    Ok(())
}

/// Moves a grant's current lease to its revocation queue and revokes it.
async fn drop_lease(state: &AppState, id: Uuid, lease: &str, why: &str) -> Result<(), AccessError> {
    sqlx::query(
        "UPDATE grants SET lease_id = NULL, lease_expires_at = NULL, \
         revoke_pending = json_insert(revoke_pending, '$[#]', ?) WHERE id = ? AND lease_id = ?",
    )
    .bind(lease)
    .bind(id.to_string())
    .bind(lease)
    .execute(&state.pool)
    .await?;
    state
        .audit
        .append(
            NewEvent::new("system", "grant.credentials_dropped", Outcome::Ok)
                .target(format!("grant:{id}"))
                .reason(why),
        )
        .await?;
    retry_revocations(state, id).await?;
    Ok(())
}

/// On graceful shutdown: no credentials outlive the process that holds them.
pub async fn drop_all_live(state: &AppState) {
    for g in state.live.snapshot() {
        if let Some(g) = state.live.remove(&g.grant_id) {
            live::close(g.pool).await;
            if let Err(e) = drop_lease(state, g.grant_id, &g.lease.id, "the broker stopped").await {
                tracing::error!(grant = %g.grant_id, error = %e, "cannot drop credentials at shutdown");
            }
        }
    }
}

#[derive(Default)]
struct Manager {
    /// Revocation retries: attempts so far and when to try next.
    backoff: HashMap<Uuid, (u32, Instant)>,
    next_token_check: Option<Instant>,
}

impl Manager {
    async fn tick(&mut self, state: &AppState) -> Result<(), AccessError> {
        expire_pending_requests(state).await?;
        end_grants(state).await?;
        for g in state.live.snapshot() {
            if let Err(e) = maintain_lease(state, &g).await {
                tracing::warn!(grant = %g.grant_id, error = %e, "lease maintenance failed; will retry");
            }
        }
        self.retry_revocations(state).await?;
        self.keep_token_alive(state).await;
        Ok(())
    }

    async fn retry_revocations(&mut self, state: &AppState) -> Result<(), AccessError> {
        let pending = pending_revocations(state).await?;
        let total: usize = pending.iter().map(|(_, n)| n).sum();
        crate::metrics::get()
            .lease_revocations_pending
            .set(total as i64);
        self.backoff
            .retain(|id, _| pending.iter().any(|(p, _)| p == id));
        let now = Instant::now();
        for (id, _) in pending {
            let (attempts, next) = self.backoff.get(&id).copied().unwrap_or((0, now));
            if next > now {
                continue;
            }
            if retry_revocations(state, id).await? > 0 {
                let delay = StdDuration::from_millis(500 * 2u64.pow(attempts.min(7)))
                    .min(StdDuration::from_secs(60));
                self.backoff.insert(id, (attempts + 1, now + delay));
            } else {
                self.backoff.remove(&id);
            }
        }
        Ok(())
    }

    async fn keep_token_alive(&mut self, state: &AppState) {
        let Some(vault) = &state.vault else { return };
        let now = Instant::now();
        if self.next_token_check.is_some_and(|t| t > now) {
            return;
        }
        self.next_token_check = Some(now + StdDuration::from_secs(30));
        match vault.lookup_self().await {
            // Root-like tokens have ttl 0 and never lapse.
            Ok(info)
                if info.renewable
                    && info.ttl > StdDuration::ZERO
                    && info.ttl < StdDuration::from_secs(900) =>
            {
                if let Err(e) = vault.renew_self().await {
                    tracing::warn!(error = %e, "cannot renew the broker's Vault token");
                }
            }
            Ok(_) => {}
            Err(e) if !e.is_transient() => {
                if let Some((role_id, secret_id)) = &state.approle {
                    match vault.login_approle(role_id, secret_id).await {
                        Ok(_) => tracing::info!("logged in to Vault again with AppRole"),
                        Err(e) => tracing::error!(error = %e, "AppRole login failed"),
                    }
                } else {
                    tracing::error!(error = %e, "the broker's Vault token is not valid");
                }
            }
            Err(_) => {}
        }
    }
}

async fn expire_pending_requests(state: &AppState) -> Result<(), AccessError> {
    let expired: Vec<String> = sqlx::query_scalar(
        "UPDATE access_requests SET state = 'expired', decided_at = ?1 \
         WHERE state = 'pending' AND pending_until <= ?1 RETURNING id",
    )
    .bind(time_text(Utc::now()))
    .fetch_all(&state.pool)
    .await?;
    for id in expired {
        state
            .audit
            .append(
                NewEvent::new("system", "access.expire", Outcome::Ok)
                    .target(format!("request:{id}"))
                    .reason("nobody decided in time"),
            )
            .await?;
    }
    Ok(())
}

/// Ends grants past their time, and the grants of disabled users.
async fn end_grants(state: &AppState) -> Result<(), AccessError> {
    let over: Vec<(String, i64)> = sqlx::query_as(
        "SELECT g.id, u.disabled FROM grants g JOIN users u ON u.id = g.user_id \
         WHERE g.state = 'active' AND (g.expires_at <= ? OR u.disabled = 1)",
    )
    .bind(time_text(Utc::now()))
    .fetch_all(&state.pool)
    .await?;
    for (id, disabled) in over {
        let Ok(id) = id.parse() else { continue };
        let (to, why, action) = if disabled != 0 {
            (GrantState::Revoked, "the user was disabled", "grant.revoke")
        } else {
            (GrantState::Expired, "expired", "grant.expire")
        };
        end_grant(
            state,
            id,
            to,
            why,
            NewEvent::new("system", action, Outcome::Ok),
        )
        .await?;
    }
    Ok(())
}

/// Renews a lease that would lapse before its grant ends; when Vault will not
/// extend it further (max_ttl), issues new credentials and swaps the pool.
async fn maintain_lease(state: &AppState, g: &LiveGrant) -> Result<(), AccessError> {
    let now = Utc::now();
    if g.lease_expires_at >= g.expires_at || g.expires_at <= now {
        return Ok(());
    }
    let lease_total = g.lease.duration.as_secs().max(1);
    let margin = Duration::seconds((lease_total / 3).clamp(1, 300) as i64);
    if g.lease_expires_at - now > margin {
        return Ok(());
    }
    let Some(vault) = &state.vault else {
        return Ok(());
    };
    let wanted = (g.expires_at - now).to_std().unwrap_or_default() + StdDuration::from_secs(5);
    // Vault may refuse to renew a lease at its max_ttl instead of capping it:
    // that, like a renewal too short to matter, means new credentials.
    let renewed = match g.lease.renewable {
        true => match vault.renew_lease(&g.lease.id, wanted).await {
            Ok(r) => Some(r),
            Err(e) if e.is_transient() => return Err(e.into()),
            Err(e) => {
                tracing::info!(grant = %g.grant_id, error = %e, "Vault refused to renew; issuing new credentials");
                None
            }
        },
        false => None,
    };
    if let Some(renewed) = renewed {
        let new_expiry = now + Duration::from_std(renewed.duration).unwrap_or_default();
        if new_expiry - now > margin || new_expiry >= g.expires_at {
            sqlx::query("UPDATE grants SET lease_expires_at = ? WHERE id = ? AND state = 'active'")
                .bind(time_text(new_expiry))
                .bind(g.grant_id.to_string())
                .execute(&state.pool)
                .await?;
            state
                .live
                .set_lease(&g.grant_id, renewed.clone(), new_expiry);
            state
                .audit
                .append(
                    NewEvent::new("system", "grant.renew", Outcome::Ok)
                        .target(format!("grant:{}", g.grant_id))
                        .details(json!({"lease_id": g.lease.id, "lease_expires_at": time_text(new_expiry)})),
                )
                .await?;
            return Ok(());
        }
    }
    reissue(state, g).await
}

async fn reissue(state: &AppState, g: &LiveGrant) -> Result<(), AccessError> {
    let db = state
        .config
        .database(&g.database)
        .ok_or_else(|| AccessError::UnknownDatabase(g.database.clone()))?
        .clone();
    let grants::Issued {
        pool,
        lease,
        lease_expires_at,
        ..
    } = grants::issue(state, &db).await?;
    let old = g.lease.id.clone();
    let done = sqlx::query(
        "UPDATE grants SET lease_id = ?, lease_expires_at = ?, revoke_pending = json_insert(revoke_pending, '$[#]', ?) \
         WHERE id = ? AND state = 'active'",
    )
    .bind(&lease.id)
    .bind(time_text(lease_expires_at))
    .bind(&old)
    .bind(g.grant_id.to_string())
    .execute(&state.pool)
    .await?;
    if done.rows_affected() == 0 {
        live::close(pool).await;
        grants::revoke_lease_now(state, &lease.id).await;
        return Ok(());
    }
    if let Some((old_pool, _)) =
        state
            .live
            .replace(&g.grant_id, pool, lease.clone(), lease_expires_at)
    {
        live::close(old_pool).await;
    }
    state
        .audit
        .append(
            NewEvent::new("system", "grant.reissue", Outcome::Ok)
                .target(format!("grant:{}", g.grant_id))
                .reason("the lease reached Vault's max_ttl before the grant's end")
                .details(json!({"old_lease_id": old, "lease_id": lease.id})),
        )
        .await?;
    retry_revocations(state, g.grant_id).await?;
    Ok(())
}
