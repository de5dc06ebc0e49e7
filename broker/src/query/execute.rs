use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use drawbridge_shared::api::audit::Outcome;
use drawbridge_shared::api::query::{Column, QueryRequest};
use drawbridge_shared::gate;
use futures_util::TryStreamExt;
use serde_json::{Value, json};
use sqlx::mysql::MySqlPool;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::{QueryError, convert};
use crate::access::grants;
use crate::audit::NewEvent;
use crate::auth::Principal;
use crate::client::ClientInfo;
use crate::state::AppState;

/// What the executor tells the HTTP layer, in order.
#[derive(Debug)]
pub enum Event {
    Header(Vec<Column>),
    Rows(Vec<Vec<Value>>),
    Done {
        row_count: u64,
        truncated: bool,
        elapsed_ms: u64,
    },
    Failed(QueryError),
}

struct Running {
    owner: String,
    pool: MySqlPool,
    connection_id: Option<u64>,
    cancelled: Arc<AtomicBool>,
}

/// Queries in flight, for cancel.
#[derive(Clone, Default)]
pub struct RunningQueries(Arc<Mutex<HashMap<Uuid, Running>>>);

impl RunningQueries {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Running>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A query that passed every check and is registered, ready to run.
pub struct Prepared {
    pub query_id: Uuid,
    grant_id: Uuid,
    database: String,
    actor: String,
    client: ClientInfo,
    sql: String,
    cap: u64,
    pool: MySqlPool,
    cancelled: Arc<AtomicBool>,
}

fn audit_event(p: &Prepared, outcome: Outcome, details: Value) -> NewEvent {
    NewEvent::new(&p.actor, "query.run", outcome)
        .client(p.client.addr.clone(), p.client.user_agent.clone())
        .target(format!("grant:{}", p.grant_id))
        .details(details)
}

/// Auth, grant, gate, live credentials, registration. A gate denial is
/// audited here, before the answer leaves.
pub async fn prepare(
    state: &AppState,
    principal: &Principal,
    req: QueryRequest,
    client: &ClientInfo,
) -> Result<Prepared, QueryError> {
    let grant = grants::get_own_active(state, principal, req.grant_id).await?;
    let db = state.config.database(&grant.database).ok_or_else(|| {
        QueryError::InvalidArgument(format!(
            "the database {} is no longer configured",
            grant.database
        ))
    })?;
    let verdict = gate::check(&req.sql, &db.gate_options());
    if !verdict.allowed {
        state
            .audit
            .append(
                NewEvent::new(&principal.name, "query.run", Outcome::Denied)
                    .client(client.addr.clone(), client.user_agent.clone())
                    .target(format!("grant:{}", grant.id))
                    .reason(verdict.reason.clone().unwrap_or_default())
                    .details(json!({"database": grant.database, "sql": req.sql, "verdict": "denied", "code": verdict.code})),
            )
            .await?;
        return Err(QueryError::Gate(verdict));
    }
    let row_cap = state.settings.u64("query.row_cap");
    let cap = match req.max_rows {
        Some(0) => return Err(QueryError::InvalidArgument("max_rows must be > 0".into())),
        Some(n) => n.min(row_cap),
        None => row_cap,
    };
    let live = grants::ensure_live(state, grant.id).await?;
    let query_id = req.query_id.unwrap_or_else(Uuid::now_v7);
    let cancelled = Arc::new(AtomicBool::new(false));
    {
        let mut running = state.queries.lock();
        if running.contains_key(&query_id) {
            return Err(QueryError::DuplicateId);
        }
        running.insert(
            query_id,
            Running {
                owner: principal.user_id.clone(),
                pool: live.pool.clone(),
                connection_id: None,
                cancelled: cancelled.clone(),
            },
        );
    }
    Ok(Prepared {
        query_id,
        grant_id: grant.id,
        database: grant.database,
        actor: principal.name.clone(),
        client: client.clone(),
        sql: req.sql,
        cap,
        pool: live.pool,
        cancelled,
    })
}

/// Runs a prepared query, sending events; audits before the final event.
pub async fn run(state: AppState, p: Prepared, tx: mpsc::Sender<Event>) {
    let started = Instant::now();
    let timeout_ms = state.settings.u64("query.statement_timeout_ms");
    let outcome = execute(&state, &p, &tx, timeout_ms).await;
    state.queries.lock().remove(&p.query_id);
    let elapsed_ms = started.elapsed().as_millis() as u64;
    let mut details = json!({"database": p.database, "sql": p.sql, "verdict": "allowed",
                              "query_id": p.query_id, "elapsed_ms": elapsed_ms});
    let (event, final_event) = match outcome {
        Ok(stats) => {
            details["rows"] = json!(stats.rows);
            details["bytes"] = json!(stats.bytes);
            details["truncated"] = json!(stats.truncated);
            details["status"] = json!("ok");
            (
                audit_event(&p, Outcome::Ok, details),
                Event::Done {
                    row_count: stats.rows,
                    truncated: stats.truncated,
                    elapsed_ms,
                },
            )
        }
        Err(e) => {
            details["status"] = json!(match e {
                QueryError::Cancelled => "cancelled",
                QueryError::Timeout(_) => "timeout",
                QueryError::Unavailable(_) => "unavailable",
                _ => "failed",
            });
            (
                audit_event(&p, Outcome::Error, details).reason(e.to_string()),
                Event::Failed(e),
            )
        }
    };
    let final_event = match state.audit.append(event).await {
        Ok(_) => final_event,
        Err(e) => Event::Failed(QueryError::Audit(e)),
    };
    let _ = tx.send(final_event).await;
}

#[derive(Debug, Default)]
pub struct Stats {
    pub rows: u64,
    pub bytes: u64,
    pub truncated: bool,
}

/// MariaDB and MySQL error numbers the executor tells apart.
const ER_QUERY_INTERRUPTED: u16 = 1317;
const ER_STATEMENT_TIMEOUT: u16 = 1969; // MariaDB max_statement_time
const ER_QUERY_TIMEOUT: u16 = 3024; // MySQL max_execution_time

fn classify(e: sqlx::Error, cancelled: &AtomicBool, timeout_ms: u64) -> QueryError {
    let number = e
        .as_database_error()
        .and_then(|d| d.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>())
        .map(|d| d.number());
    match number {
        _ if cancelled.load(Ordering::SeqCst) => QueryError::Cancelled,
        Some(ER_STATEMENT_TIMEOUT | ER_QUERY_TIMEOUT | ER_QUERY_INTERRUPTED) => {
            QueryError::Timeout(timeout_ms)
        }
        Some(_) => QueryError::Failed(
            e.as_database_error()
                .map(|d| d.message().to_owned())
                .unwrap_or_default(),
        ),
        // Not an answer from the database: it is down or the connection broke.
        None => {
            tracing::warn!(error = %e, "query failed outside the database");
            QueryError::Unavailable("the connection to the database failed; try again".into())
        }
    }
}

async fn execute(
    state: &AppState,
    p: &Prepared,
    tx: &mpsc::Sender<Event>,
    timeout_ms: u64,
) -> Result<Stats, QueryError> {
    let mut conn = p
        .pool
        .acquire()
        .await
        .map_err(|e| classify(e, &p.cancelled, timeout_ms))?;
    let limits = Limits {
        cap: p.cap,
        timeout_ms,
        batch_rows: state.config.query.stream_batch_rows,
    };
    // Registered for KILL QUERY before the statement runs.
    let register = |id: u64| {
        if let Some(r) = state.queries.lock().get_mut(&p.query_id) {
            r.connection_id = Some(id);
        }
    };
    let (result, reusable) =
        run_read_only(&mut conn, &p.sql, limits, &p.cancelled, tx, register).await;
    if !reusable {
        // Unread rows or an interrupted statement: do not hand this connection on.
        conn.close_on_drop();
    }
    result
}

/// Bounds of one statement's run.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub cap: u64,
    pub timeout_ms: u64,
    pub batch_rows: usize,
}

/// Runs one statement on `conn` behind every defence that does not depend on
/// the gate: a server-side time limit, `START TRANSACTION READ ONLY`, and the
/// prepared-statement protocol (one statement only). Sends the header and row
/// batches; answers the statistics and whether the connection may be reused.
/// `connection_id` learns the server's id of the connection (for KILL QUERY)
/// before the statement starts.
pub async fn run_read_only(
    conn: &mut sqlx::MySqlConnection,
    sql: &str,
    limits: Limits,
    cancelled: &AtomicBool,
    tx: &mpsc::Sender<Event>,
    connection_id: impl FnOnce(u64),
) -> (Result<Stats, QueryError>, bool) {
    let Limits {
        cap,
        timeout_ms,
        batch_rows,
    } = limits;
    let batch_rows = batch_rows.max(1);
    match setup(conn, timeout_ms).await {
        Ok(id) => connection_id(id),
        Err(e) => return (Err(classify(e, cancelled, timeout_ms)), false),
    }
    let mut stats = Stats::default();
    let mut complete = false;
    let streamed: Result<(), QueryError> = async {
        // The prepared-statement protocol: one statement, never several.
        let mut rows = sqlx::query(sql).persistent(false).fetch(&mut *conn);
        let mut batch = Vec::with_capacity(batch_rows);
        let mut header_sent = false;
        let mut kinds = Vec::new();
        let backstop = Duration::from_millis(timeout_ms + 5_000);
        loop {
            if cancelled.load(Ordering::SeqCst) {
                return Err(QueryError::Cancelled);
            }
            let next = tokio::time::timeout(backstop, rows.try_next())
                .await
                .map_err(|_| QueryError::Timeout(timeout_ms))?
                .map_err(|e| classify(e, cancelled, timeout_ms))?;
            let Some(row) = next else {
                complete = true;
                break;
            };
            if !header_sent {
                kinds = convert::kinds(&row);
                tx.send(Event::Header(convert::columns(&row)))
                    .await
                    .map_err(|_| QueryError::Cancelled)?;
                header_sent = true;
            }
            if stats.rows == cap {
                stats.truncated = true;
                break;
            }
            let values =
                convert::row_values(&row, &kinds).map_err(|e| QueryError::Failed(e.to_string()))?;
            stats.bytes += json_len(&values);
            stats.rows += 1;
            batch.push(values);
            if batch.len() == batch_rows {
                tx.send(Event::Rows(std::mem::take(&mut batch)))
                    .await
                    .map_err(|_| QueryError::Cancelled)?;
            }
        }
        if !header_sent {
            tx.send(Event::Header(Vec::new()))
                .await
                .map_err(|_| QueryError::Cancelled)?;
        }
        if !batch.is_empty() {
            tx.send(Event::Rows(batch))
                .await
                .map_err(|_| QueryError::Cancelled)?;
        }
        Ok(())
    }
    .await;
    let reusable = complete
        && streamed.is_ok()
        && sqlx::Executor::execute(&mut *conn, "ROLLBACK")
            .await
            .is_ok();
    (streamed.map(|()| stats), reusable)
}

/// The server-side time limit and the read-only transaction, in one round
/// trip (our own constant text, never the user's SQL); answers the
/// connection's id. MySQL names the limit differently: a second try.
async fn setup(conn: &mut sqlx::MySqlConnection, timeout_ms: u64) -> Result<u64, sqlx::Error> {
    let secs = timeout_ms as f64 / 1000.0;
    let mariadb = format!(
        "SET SESSION max_statement_time = {secs}; START TRANSACTION READ ONLY; SELECT CONNECTION_ID()"
    );
    let rows = match sqlx::Executor::fetch_all(&mut *conn, mariadb.as_str()).await {
        Ok(rows) => rows,
        Err(_) => {
            let mysql = format!(
                "SET SESSION max_execution_time = {timeout_ms}; START TRANSACTION READ ONLY; SELECT CONNECTION_ID()"
            );
            sqlx::Executor::fetch_all(&mut *conn, mysql.as_str()).await?
        }
    };
    let row = rows.last().ok_or(sqlx::Error::RowNotFound)?;
    sqlx::Row::try_get::<u64, _>(row, 0)
}

/// Cancels a running query of the caller's: KILL QUERY on its connection.
pub async fn cancel(
    state: &AppState,
    principal: &Principal,
    query_id: Uuid,
    client: &ClientInfo,
) -> Result<(), QueryError> {
    let (pool, connection_id) = {
        let running = state.queries.lock();
        match running.get(&query_id) {
            Some(r) if r.owner == principal.user_id => {
                r.cancelled.store(true, Ordering::SeqCst);
                (r.pool.clone(), r.connection_id)
            }
            _ => return Err(QueryError::NotFound),
        }
    };
    if let Some(id) = connection_id {
        // A user may kill its own statements; every grant's pool has its own user.
        if let Err(e) = sqlx::Executor::execute(&pool, format!("KILL QUERY {id}").as_str()).await {
            tracing::warn!(error = %e, "KILL QUERY failed");
        }
    }
    state
        .audit
        .append(
            NewEvent::new(&principal.name, "query.cancel", Outcome::Ok)
                .client(client.addr.clone(), client.user_agent.clone())
                .target(format!("query:{query_id}")),
        )
        .await?;
    Ok(())
}

/// Bytes of the row as JSON, counted without building the text (per row, hot).
fn json_len(values: &[serde_json::Value]) -> u64 {
    struct Count(u64);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len() as u64;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer(&mut count, values);
    count.0
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_len_counts_the_serialized_bytes() {
        let row = vec![
            serde_json::json!(1),
            serde_json::json!("é"),
            serde_json::Value::Null,
        ];
        assert_eq!(
            super::json_len(&row),
            serde_json::to_string(&row).unwrap().len() as u64
        );
    }
}
