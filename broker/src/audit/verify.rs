use drawbridge_shared::api::audit::AuditVerifyResponse;
use futures_util::TryStreamExt;
use sqlx::Row;

use super::chain::{GENESIS_HASH, canonical_content, chain_hash};
use super::query::event_from_row;
use crate::store::Pool;

/// Walks the whole chain: seq without gaps from 1, each prev_hash the hash of
/// the row before, each hash recomputed from content, and the stored head
/// equal to the last row.
pub async fn verify(pool: &Pool) -> Result<AuditVerifyResponse, sqlx::Error> {
    let bad = |events: u64, seq: i64, problem: String| AuditVerifyResponse {
        valid: false,
        events,
        first_bad: Some(seq),
        problem: Some(problem),
    };
    // One read transaction: the rows and the head come from the same
    // snapshot even while the broker keeps appending.
    let mut tx = pool.begin().await?;
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_optional(&mut *tx)
            .await?;
    let mut rows = sqlx::query(
        "SELECT seq, id, time, actor, client_addr, user_agent, action, target, outcome, reason, \
         details, prev_hash, hash FROM audit_events ORDER BY seq ASC",
    )
    .fetch(&mut *tx);
    let mut expected_seq = 1_i64;
    let mut prev = GENESIS_HASH.to_owned();
    let mut checked = 0_u64;
    while let Some(row) = rows.try_next().await? {
        let seq: i64 = row.try_get("seq")?;
        if seq != expected_seq {
            let what = if seq > expected_seq {
                format!("events {expected_seq}..{} are missing", seq - 1)
            } else {
                format!("event {seq} is out of order")
            };
            return Ok(bad(checked, expected_seq.min(seq), what));
        }
        let event = match event_from_row(&row) {
            Ok(e) => e,
            Err(e) => return Ok(bad(checked, seq, format!("event {seq} is unreadable: {e}"))),
        };
        if event.prev_hash != prev {
            return Ok(bad(
                checked,
                seq,
                format!("event {seq} does not link to event {}", seq - 1),
            ));
        }
        if chain_hash(&prev, &canonical_content(&event)) != event.hash {
            return Ok(bad(
                checked,
                seq,
                format!("event {seq} was altered (its hash does not match)"),
            ));
        }
        prev = event.hash;
        checked += 1;
        expected_seq += 1;
    }
    drop(rows);
    tx.rollback().await?;
    let last = expected_seq - 1;
    let head_ok = match &head {
        None => last == 0,
        Some((seq, hash)) => *seq == last && *hash == prev,
    };
    if !head_ok {
        let head_seq = head.map(|(s, _)| s).unwrap_or(0);
        let problem = if head_seq > last {
            format!("events {}..{head_seq} were deleted from the end", last + 1)
        } else {
            format!("the chain head says {head_seq} events but {last} are stored")
        };
        return Ok(bad(checked, head_seq.min(last) + 1, problem));
    }
    Ok(AuditVerifyResponse {
        valid: true,
        events: checked,
        first_bad: None,
        problem: None,
    })
}
