use chrono::{SubsecRound, Utc};
use drawbridge_shared::api::audit::AuditEvent;
use tokio::sync::{mpsc, oneshot};

use super::chain::{GENESIS_HASH, NewEvent};
use crate::store::{Pool, time_text};

#[derive(Debug, Clone, thiserror::Error)]
pub enum AuditError {
    #[error("the audit log could not commit: {0}")]
    Store(String),
    #[error("the audit writer has stopped")]
    Stopped,
}

/// Most events committed in one transaction.
const MAX_BATCH: usize = 1024;

struct Pending {
    event: NewEvent,
    done: oneshot::Sender<Result<AuditEvent, AuditError>>,
}

/// Handle to the audit writer. `append` returns once the event is durably
/// committed; concurrent appends share commits (group commit), so auditing
/// every request does not cap throughput at one fsync per request.
#[derive(Clone)]
pub struct AuditLog {
    tx: mpsc::Sender<Pending>,
}

impl AuditLog {
    /// Starts the writer task on the current runtime.
    pub fn start(pool: Pool) -> Self {
        let (tx, rx) = mpsc::channel(8 * MAX_BATCH);
        tokio::spawn(run_writer(pool, rx));
        Self { tx }
    }

    pub async fn append(&self, event: NewEvent) -> Result<AuditEvent, AuditError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Pending { event, done })
            .await
            .map_err(|_| AuditError::Stopped)?;
        wait.await.map_err(|_| AuditError::Stopped)?
    }
}

async fn run_writer(pool: Pool, mut rx: mpsc::Receiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let events: Vec<NewEvent> = batch.iter().map(|p| p.event.clone()).collect();
        let outcome = commit_batch(&pool, events).await;
        match outcome {
            Ok(sealed) => {
                crate::metrics::audit_appended(sealed.len());
                for (pending, event) in batch.drain(..).zip(sealed) {
                    let _ = pending.done.send(Ok(event));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, events = batch.len(), "audit commit failed");
                let err = AuditError::Store(e.to_string());
                for pending in batch.drain(..) {
                    let _ = pending.done.send(Err(err.clone()));
                }
            }
        }
    }
}

/// Appends a batch in one IMMEDIATE transaction (taking SQLite's write lock
/// first, so the head read below cannot go stale — another process, such as
/// the CLI, may append too).
pub(super) async fn commit_batch(
    pool: &Pool,
    events: Vec<NewEvent>,
) -> Result<Vec<AuditEvent>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
    let result = match append_in_tx(&mut conn, events).await {
        // A failed COMMIT (a full disk, say) can leave the transaction open.
        Ok(sealed) => sqlx::query("COMMIT")
            .execute(&mut *conn)
            .await
            .map(|_| sealed),
        Err(e) => Err(e),
    };
    if result.is_err() {
        // The pool's release hook rolls back whatever is still open, too.
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
    }
    result
}

async fn append_in_tx(
    conn: &mut sqlx::SqliteConnection,
    events: Vec<NewEvent>,
) -> Result<Vec<AuditEvent>, sqlx::Error> {
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_optional(&mut *conn)
            .await?;
    let (mut seq, mut prev) = head.unwrap_or((0, GENESIS_HASH.to_owned()));
    let time = Utc::now().trunc_subsecs(6);
    let mut sealed = Vec::with_capacity(events.len());
    for event in events {
        seq += 1;
        let e = event.seal(seq, time, &prev);
        sqlx::query(
            "INSERT INTO audit_events (seq, id, time, actor, client_addr, user_agent, action, \
             target, outcome, reason, details, prev_hash, hash) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(e.seq)
        .bind(e.id.to_string())
        .bind(time_text(e.time))
        .bind(&e.actor)
        .bind(&e.client_addr)
        .bind(&e.user_agent)
        .bind(&e.action)
        .bind(&e.target)
        .bind(e.outcome.as_str())
        .bind(&e.reason)
        .bind(e.details.to_string())
        .bind(&e.prev_hash)
        .bind(&e.hash)
        .execute(&mut *conn)
        .await?;
        prev = e.hash.clone();
        sealed.push(e);
    }
    sqlx::query(
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) \
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
    )
    .bind(seq)
    .bind(&prev)
    .execute(&mut *conn)
    .await?;
    Ok(sealed)
}

/// Appends one event without a writer task (for CLI commands).
pub async fn append_now(pool: &Pool, event: NewEvent) -> Result<AuditEvent, AuditError> {
    commit_batch(pool, vec![event])
        .await
        .map_err(|e| AuditError::Store(e.to_string()))
        .map(|mut v| v.remove(0))
}
