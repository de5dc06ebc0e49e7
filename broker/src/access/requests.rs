//! Access requests: create, list, approve (which issues credentials), deny, cancel.

use chrono::{Duration, Utc};
use drawbridge_shared::Role;
use drawbridge_shared::api::access::{
    AccessRequest, CreateAccessRequest, DecisionRequest, RequestQuery, RequestState,
};
use drawbridge_shared::api::audit::Outcome;
use serde_json::json;
use sqlx::QueryBuilder;
use uuid::Uuid;

use super::live::{self, LiveGrant};
use super::{AccessError, rows};
use crate::audit::NewEvent;
use crate::auth::Principal;
use crate::client::ClientInfo;
use crate::config::{ApprovalPolicy, DatabaseConfig};
use crate::state::AppState;
use crate::store::time_text;

const MAX_REASON: usize = 2000;
const MAX_COMMENT: usize = 2000;

fn event(actor: &str, action: &str, outcome: Outcome, client: &ClientInfo) -> NewEvent {
    NewEvent::new(actor, action, outcome).client(client.addr.clone(), client.user_agent.clone())
}

pub fn may_approve(p: &Principal, db: &DatabaseConfig) -> bool {
    db.approval == ApprovalPolicy::Required && p.has_any(&db.approver_roles)
}

pub async fn get(
    state: &AppState,
    id: Uuid,
) -> Result<Option<(AccessRequest, String)>, sqlx::Error> {
    let row = sqlx::query(&format!("{} WHERE r.id = ?", rows::REQUEST_SELECT))
        .bind(id.to_string())
        .fetch_optional(&state.pool)
        .await?;
    row.map(|r| {
        Ok((
            rows::request(&r)?,
            sqlx::Row::try_get::<String, _>(&r, "user_id")?,
        ))
    })
    .transpose()
}

/// A request just written by this module: it exists.
async fn reload(state: &AppState, id: Uuid) -> Result<AccessRequest, AccessError> {
    Ok(get(state, id)
        .await?
        .ok_or(AccessError::NotFound("access request"))?
        .0)
}

/// A request as its requester or a possible approver sees it; 404 for anyone else.
pub async fn get_visible(
    state: &AppState,
    p: &Principal,
    id: Uuid,
) -> Result<AccessRequest, AccessError> {
    let (req, owner) = get(state, id)
        .await?
        .ok_or(AccessError::NotFound("access request"))?;
    let visible = owner == p.user_id
        || p.has_role(Role::Admin)
        || state
            .config
            .database(&req.database)
            .is_some_and(|db| may_approve(p, db));
    if visible {
        Ok(req)
    } else {
        Err(AccessError::NotFound("access request"))
    }
}

pub async fn create(
    state: &AppState,
    p: &Principal,
    req: CreateAccessRequest,
    client: &ClientInfo,
) -> Result<AccessRequest, AccessError> {
    if p.roles == [Role::Service] {
        return Err(AccessError::Forbidden);
    }
    let db = state
        .config
        .database(&req.database)
        .ok_or_else(|| AccessError::UnknownDatabase(req.database.clone()))?
        .clone();
    let reason = req.reason.trim().to_owned();
    let min = state.settings.u64("access.reason_min_length") as usize;
    if reason.chars().count() < min {
        return Err(AccessError::InvalidArgument(format!(
            "give a reason of at least {min} characters"
        )));
    }
    if reason.len() > MAX_REASON {
        return Err(AccessError::InvalidArgument(format!(
            "the reason must be at most {MAX_REASON} bytes"
        )));
    }
    let default = db
        .default_duration_seconds
        .min(state.settings.u64("access.default_duration_seconds"));
    let requested = req.duration_seconds.unwrap_or(default);
    if requested == 0 {
        return Err(AccessError::InvalidArgument(
            "duration_seconds must be > 0".into(),
        ));
    }
    let duration = requested
        .min(db.max_duration_seconds)
        .min(state.settings.u64("access.max_duration_seconds"));
    let id = Uuid::now_v7();
    let now = Utc::now();
    let pending_until =
        now + Duration::seconds(state.config.access.pending_request_ttl_seconds as i64);

    // Check-then-insert under SQLite's write lock: no two pending/active at once.
    let mut conn = state.pool.acquire().await?;
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
    let inserted: Result<bool, sqlx::Error> = async {
        let busy: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM access_requests WHERE user_id = ?1 AND database_name = ?2 AND state = 'pending') \
             + (SELECT COUNT(*) FROM grants WHERE user_id = ?1 AND database_name = ?2 AND state = 'active')",
        )
        .bind(&p.user_id)
        .bind(&db.name)
        .fetch_one(&mut *conn)
        .await?;
        if busy > 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO access_requests (id, user_id, database_name, reason, requested_duration_seconds, \
             duration_seconds, state, created_at, pending_until) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
        )
        .bind(id.to_string())
        .bind(&p.user_id)
        .bind(&db.name)
        .bind(&reason)
        .bind(requested as i64)
        .bind(duration as i64)
        .bind(time_text(now))
        .bind(time_text(pending_until))
        .execute(&mut *conn)
        .await?;
        Ok(true)
    }
    .await;
    let finish = if matches!(inserted, Ok(true)) {
        "COMMIT"
    } else {
        "ROLLBACK"
    };
    sqlx::query(finish).execute(&mut *conn).await?;
    drop(conn);
    if !inserted? {
        state
            .audit
            .append(
                event(&p.name, "access.request", Outcome::Denied, client)
                    .target(format!("database:{}", db.name))
                    .reason("duplicate request"),
            )
            .await?;
        return Err(AccessError::Duplicate(db.name));
    }
    state
        .audit
        .append(
            event(&p.name, "access.request", Outcome::Ok, client)
                .target(format!("request:{id}"))
                .details(json!({"database": db.name, "reason": reason, "requested_duration_seconds": requested, "duration_seconds": duration})),
        )
        .await?;
    if db.approval == ApprovalPolicy::Auto && state.settings.flag("features.auto_approval") {
        return grant_access(
            state,
            id,
            &db,
            duration,
            "system",
            Some("approved automatically by policy"),
            client,
        )
        .await;
    }
    reload(state, id).await
}

pub async fn list(
    state: &AppState,
    p: &Principal,
    q: &RequestQuery,
) -> Result<Vec<AccessRequest>, AccessError> {
    let mut b = QueryBuilder::new(format!("{} WHERE 1 = 1", rows::REQUEST_SELECT));
    if let Some(s) = q.state {
        b.push(" AND r.state = ").push_bind(s.as_str());
    }
    if let Some(db) = &q.database {
        b.push(" AND r.database_name = ").push_bind(db.clone());
    }
    // Mine, plus (unless only mine was asked for) what I may approve.
    let approvable: Vec<String> = if q.mine.unwrap_or(false) {
        Vec::new()
    } else {
        state
            .config
            .databases
            .iter()
            .filter(|db| may_approve(p, db))
            .map(|db| db.name.clone())
            .collect()
    };
    b.push(" AND (r.user_id = ").push_bind(p.user_id.clone());
    if p.has_role(Role::Admin) && !q.mine.unwrap_or(false) {
        b.push(" OR 1 = 1");
    } else if !approvable.is_empty() {
        b.push(" OR r.database_name IN (");
        let mut sep = b.separated(", ");
        for name in approvable {
            sep.push_bind(name);
        }
        b.push(")");
    }
    b.push(") ORDER BY r.created_at DESC LIMIT 500");
    let found = b.build().fetch_all(&state.pool).await?;
    Ok(found.iter().map(rows::request).collect::<Result<_, _>>()?)
}

/// Loads a pending request for a decision by `p`, enforcing who may decide.
async fn for_decision(
    state: &AppState,
    p: &Principal,
    id: Uuid,
) -> Result<(AccessRequest, DatabaseConfig), AccessError> {
    let (req, owner) = get(state, id)
        .await?
        .ok_or(AccessError::NotFound("access request"))?;
    let db = state
        .config
        .database(&req.database)
        .ok_or_else(|| AccessError::UnknownDatabase(req.database.clone()))?
        .clone();
    if owner == p.user_id {
        return Err(AccessError::SelfApproval);
    }
    if !may_approve(p, &db) {
        // Someone who could not see it learns nothing of it.
        return Err(if p.has_role(Role::Admin) {
            AccessError::Forbidden
        } else {
            AccessError::NotFound("access request")
        });
    }
    if req.state != RequestState::Pending {
        return Err(AccessError::NotPending(req.state.as_str()));
    }
    if req.pending_until <= Utc::now() {
        return Err(AccessError::NotPending("expired"));
    }
    Ok((req, db))
}

async fn audit_refusal(
    state: &AppState,
    p: &Principal,
    action: &str,
    id: Uuid,
    err: &AccessError,
    client: &ClientInfo,
) -> Result<(), AccessError> {
    if matches!(
        err,
        AccessError::SelfApproval
            | AccessError::Forbidden
            | AccessError::NotPending(_)
            | AccessError::Vault(_)
            | AccessError::Database(_)
    ) {
        let outcome = if matches!(err, AccessError::Vault(_) | AccessError::Database(_)) {
            Outcome::Error
        } else {
            Outcome::Denied
        };
        state
            .audit
            .append(
                event(&p.name, action, outcome, client)
                    .target(format!("request:{id}"))
                    .reason(err.to_string()),
            )
            .await?;
    }
    Ok(())
}

fn check_comment(comment: &Option<String>) -> Result<(), AccessError> {
    match comment {
        Some(c) if c.len() > MAX_COMMENT => Err(AccessError::InvalidArgument(format!(
            "the comment must be at most {MAX_COMMENT} bytes"
        ))),
        _ => Ok(()),
    }
}

pub async fn approve(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    d: DecisionRequest,
    client: &ClientInfo,
) -> Result<AccessRequest, AccessError> {
    check_comment(&d.comment)?;
    let result = async {
        let (req, db) = for_decision(state, p, id).await?;
        let duration = match d.duration_seconds {
            None => req.duration_seconds,
            Some(0) => {
                return Err(AccessError::InvalidArgument(
                    "duration_seconds must be > 0".into(),
                ));
            }
            Some(s) if s > req.duration_seconds => {
                return Err(AccessError::InvalidArgument(format!(
                    "an approval may shorten the grant, not lengthen it (requested {} s)",
                    req.duration_seconds
                )));
            }
            Some(s) => s,
        };
        grant_access(
            state,
            id,
            &db,
            duration,
            &p.name,
            d.comment.as_deref(),
            client,
        )
        .await
    }
    .await;
    if let Err(e) = &result {
        audit_refusal(state, p, "access.approve", id, e, client).await?;
    }
    result
}

pub async fn deny(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    d: DecisionRequest,
    client: &ClientInfo,
) -> Result<AccessRequest, AccessError> {
    check_comment(&d.comment)?;
    let result = async {
        for_decision(state, p, id).await?;
        decide(
            state,
            id,
            RequestState::Denied,
            &p.name,
            d.comment.as_deref(),
        )
        .await?;
        state
            .audit
            .append(
                event(&p.name, "access.deny", Outcome::Ok, client)
                    .target(format!("request:{id}"))
                    .details(json!({"comment": d.comment})),
            )
            .await?;
        reload(state, id).await
    }
    .await;
    if let Err(e) = &result {
        audit_refusal(state, p, "access.deny", id, e, client).await?;
    }
    result
}

/// The requester withdraws a pending request.
pub async fn cancel(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    client: &ClientInfo,
) -> Result<AccessRequest, AccessError> {
    let (req, owner) = get(state, id)
        .await?
        .ok_or(AccessError::NotFound("access request"))?;
    if owner != p.user_id {
        return Err(AccessError::NotFound("access request"));
    }
    if req.state != RequestState::Pending {
        return Err(AccessError::NotPending(req.state.as_str()));
    }
    decide(state, id, RequestState::Cancelled, &p.name, None).await?;
    state
        .audit
        .append(
            event(&p.name, "access.cancel", Outcome::Ok, client).target(format!("request:{id}")),
        )
        .await?;
    reload(state, id).await
}

/// Moves a pending request to a final state; 409 when someone else decided first.
async fn decide(
    state: &AppState,
    id: Uuid,
    to: RequestState,
    by: &str,
    comment: Option<&str>,
) -> Result<(), AccessError> {
    let done = sqlx::query(
        "UPDATE access_requests SET state = ?, decided_at = ?, decided_by = ?, decision_comment = ? \
         WHERE id = ? AND state = 'pending'",
    )
    .bind(to.as_str())
    .bind(time_text(Utc::now()))
    .bind(by)
    .bind(comment)
    .bind(id.to_string())
    .execute(&state.pool)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AccessError::NotPending("already decided"));
    }
    Ok(())
}

/// Approves: Vault issues credentials, a pool opens, then the request and the
/// new grant are committed together. Any failure before the commit leaves the
/// request pending and revokes what Vault issued — no half state.
async fn grant_access(
    state: &AppState,
    request_id: Uuid,
    db: &DatabaseConfig,
    duration: u64,
    approver: &str,
    comment: Option<&str>,
    client: &ClientInfo,
) -> Result<AccessRequest, AccessError> {
    let super::grants::Issued {
        pool,
        lease,
        issued_at,
        lease_expires_at,
    } = super::grants::issue(state, db).await?;
    let grant_id = Uuid::now_v7();
    let expires_at = issued_at + Duration::seconds(duration as i64);
    let (_, owner) = get(state, request_id)
        .await?
        .ok_or(AccessError::NotFound("access request"))?;

    let committed: Result<(), AccessError> = async {
        let mut tx = crate::store::write_tx(&state.pool).await?;
        let done = sqlx::query(
            "UPDATE access_requests SET state = 'approved', decided_at = ?, decided_by = ?, decision_comment = ?, \
             duration_seconds = ? WHERE id = ? AND state = 'pending'",
        )
        .bind(time_text(issued_at))
        .bind(approver)
        .bind(comment)
        .bind(duration as i64)
        .bind(request_id.to_string())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(AccessError::NotPending("already decided"));
        }
        sqlx::query(
            "INSERT INTO grants (id, request_id, user_id, database_name, state, started_at, expires_at, lease_id, lease_expires_at) \
             VALUES (?, ?, ?, ?, 'active', ?, ?, ?, ?)",
        )
        .bind(grant_id.to_string())
        .bind(request_id.to_string())
        .bind(&owner)
        .bind(&db.name)
        .bind(time_text(issued_at))
        .bind(time_text(expires_at))
        .bind(&lease.id)
        .bind(time_text(lease_expires_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
    .await;
    if let Err(e) = committed {
        live::close(pool).await;
        super::grants::revoke_lease_now(state, &lease.id).await;
        return Err(e);
    }
    state.live.insert(LiveGrant {
        grant_id,
        user_id: owner,
        database: db.name.clone(),
        expires_at,
        pool,
        lease: lease.clone(),
        lease_expires_at,
    });
    state
        .audit
        .append(
            event(approver, "access.approve", Outcome::Ok, client)
                .target(format!("request:{request_id}"))
                .details(
                    json!({"grant_id": grant_id, "duration_seconds": duration, "comment": comment}),
                ),
        )
        .await?;
    state
        .audit
        .append(
            NewEvent::new("system", "grant.start", Outcome::Ok)
                .target(format!("grant:{grant_id}"))
                .details(json!({"database": db.name, "lease_id": lease.id, "expires_at": time_text(expires_at)})),
        )
        .await?;
    reload(state, request_id).await
}
