//! Mapping stored rows of requests and grants to their wire types.

use chrono::Utc;
use drawbridge_shared::api::access::{AccessRequest, Grant, GrantState, RequestState};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use crate::store::parse_time;

fn decode(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("malformed {what} in the store").into())
}

fn uuid(row: &SqliteRow, col: &str) -> Result<Uuid, sqlx::Error> {
    row.try_get::<String, _>(col)?
        .parse()
        .map_err(|_| decode(col))
}

fn time(row: &SqliteRow, col: &str) -> Result<chrono::DateTime<Utc>, sqlx::Error> {
    parse_time(&row.try_get::<String, _>(col)?).ok_or_else(|| decode(col))
}

fn opt_time(row: &SqliteRow, col: &str) -> Result<Option<chrono::DateTime<Utc>>, sqlx::Error> {
    row.try_get::<Option<String>, _>(col)?
        .map(|t| parse_time(&t).ok_or_else(|| decode(col)))
        .transpose()
}

pub const REQUEST_SELECT: &str = "SELECT r.id, r.database_name, u.name AS requester, r.reason, \
     r.requested_duration_seconds, r.duration_seconds, r.state, r.created_at, r.pending_until, \
     r.decided_at, r.decided_by, r.decision_comment, r.user_id, g.id AS grant_id \
     FROM access_requests r JOIN users u ON u.id = r.user_id \
     LEFT JOIN grants g ON g.request_id = r.id";

pub fn request(row: &SqliteRow) -> Result<AccessRequest, sqlx::Error> {
    let requested: i64 = row.try_get("requested_duration_seconds")?;
    let duration: i64 = row.try_get("duration_seconds")?;
    Ok(AccessRequest {
        id: uuid(row, "id")?,
        database: row.try_get("database_name")?,
        requester: row.try_get("requester")?,
        reason: row.try_get("reason")?,
        requested_duration_seconds: requested as u64,
        duration_seconds: duration as u64,
        clamped: duration < requested,
        state: RequestState::parse(&row.try_get::<String, _>("state")?)
            .ok_or_else(|| decode("state"))?,
        created_at: time(row, "created_at")?,
        pending_until: time(row, "pending_until")?,
        decided_at: opt_time(row, "decided_at")?,
        decided_by: row.try_get("decided_by")?,
        decision_comment: row.try_get("decision_comment")?,
        grant_id: row
            .try_get::<Option<String>, _>("grant_id")?
            .map(|g| g.parse().map_err(|_| decode("grant_id")))
            .transpose()?,
    })
}

pub const GRANT_SELECT: &str = "SELECT g.id, g.request_id, g.database_name, u.name AS user_name, \
     g.state, g.started_at, g.expires_at, g.ended_at, g.end_reason, g.user_id \
     FROM grants g JOIN users u ON u.id = g.user_id";

pub fn grant(row: &SqliteRow) -> Result<Grant, sqlx::Error> {
    let expires_at = time(row, "expires_at")?;
    let state =
        GrantState::parse(&row.try_get::<String, _>("state")?).ok_or_else(|| decode("state"))?;
    let seconds_left = match state {
        GrantState::Active => (expires_at - Utc::now()).num_seconds().max(0) as u64,
        _ => 0,
    };
    Ok(Grant {
        id: uuid(row, "id")?,
        request_id: uuid(row, "request_id")?,
        database: row.try_get("database_name")?,
        user: row.try_get("user_name")?,
        state,
        started_at: time(row, "started_at")?,
        expires_at,
        ended_at: opt_time(row, "ended_at")?,
        end_reason: row.try_get("end_reason")?,
        seconds_left,
    })
}
