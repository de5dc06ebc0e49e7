use drawbridge_shared::api::audit::{AuditEvent, AuditPage, AuditQuery, Outcome};
use futures_util::TryStreamExt;
use sqlx::{QueryBuilder, Row, Sqlite, sqlite::SqliteRow};

use crate::store::{Pool, parse_time, time_text};

const COLUMNS: &str = "seq, id, time, actor, client_addr, user_agent, action, target, outcome, \
                       reason, details, prev_hash, hash";

/// Maps a stored row back to the event. A row whose fields do not parse is
/// returned with what can be read; `verify` will flag its hash.
pub(super) fn event_from_row(row: &SqliteRow) -> Result<AuditEvent, sqlx::Error> {
    let id: String = row.try_get("id")?;
    let time: String = row.try_get("time")?;
    let outcome: String = row.try_get("outcome")?;
    let details: String = row.try_get("details")?;
    let decode =
        |what: &str| sqlx::Error::Decode(format!("audit row has a malformed {what}").into());
    Ok(AuditEvent {
        seq: row.try_get("seq")?,
        id: id.parse().map_err(|_| decode("id"))?,
        time: parse_time(&time).ok_or_else(|| decode("time"))?,
        actor: row.try_get("actor")?,
        client_addr: row.try_get("client_addr")?,
        user_agent: row.try_get("user_agent")?,
        action: row.try_get("action")?,
        target: row.try_get("target")?,
        outcome: Outcome::parse(&outcome).ok_or_else(|| decode("outcome"))?,
        reason: row.try_get("reason")?,
        details: serde_json::from_str(&details).map_err(|_| decode("details"))?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

fn filtered<'a>(q: &'a AuditQuery) -> QueryBuilder<'a, Sqlite> {
    let mut b = QueryBuilder::new(format!("SELECT {COLUMNS} FROM audit_events WHERE 1 = 1"));
    if let Some(actor) = &q.actor {
        b.push(" AND actor = ").push_bind(actor);
    }
    if let Some(action) = &q.action {
        // `auth.` matches every auth action; `auth.login` only that one.
        if action.ends_with('.') {
            b.push(" AND action LIKE ").push_bind(format!("{action}%"));
        } else {
            b.push(" AND action = ").push_bind(action);
        }
    }
    if let Some(outcome) = q.outcome {
        b.push(" AND outcome = ").push_bind(outcome.as_str());
    }
    if let Some(since) = q.since {
        b.push(" AND time >= ").push_bind(time_text(since));
    }
    if let Some(until) = q.until {
        b.push(" AND time < ").push_bind(time_text(until));
    }
    if let Some(before) = q.before_seq {
        b.push(" AND seq < ").push_bind(before);
    }
    b
}

pub const DEFAULT_PAGE: u32 = 100;
pub const MAX_PAGE: u32 = 1000;

/// One page of events, newest first.
pub async fn list(pool: &Pool, q: &AuditQuery) -> Result<AuditPage, sqlx::Error> {
    let limit = q.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let mut b = filtered(q);
    b.push(" ORDER BY seq DESC LIMIT ")
        .push_bind(i64::from(limit) + 1);
    let rows = b.build().fetch_all(pool).await?;
    let mut events = rows
        .iter()
        .map(event_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let more = events.len() > limit as usize;
    events.truncate(limit as usize);
    let next_before_seq = more.then(|| events.last().map(|e| e.seq)).flatten();
    Ok(AuditPage {
        events,
        next_before_seq,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Jsonl,
    Csv,
}

/// Writes every matching event, oldest first, streaming from the store.
pub async fn export<W: std::io::Write>(
    pool: &Pool,
    q: &AuditQuery,
    format: ExportFormat,
    out: &mut W,
) -> Result<u64, sqlx::Error> {
    let mut b = filtered(q);
    b.push(" ORDER BY seq ASC");
    let mut rows = b.build().fetch(pool);
    let mut sink = match format {
        ExportFormat::Jsonl => Sink::Jsonl(out),
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(CSV_HEADER).map_err(csv_error)?;
            Sink::Csv(Box::new(w))
        }
    };
    let mut n = 0;
    while let Some(row) = rows.try_next().await? {
        sink.write(event_from_row(&row)?)?;
        n += 1;
    }
    if let Sink::Csv(mut w) = sink {
        w.flush()?;
    }
    Ok(n)
}

const CSV_HEADER: [&str; 13] = [
    "seq",
    "id",
    "time",
    "actor",
    "client_addr",
    "user_agent",
    "action",
    "target",
    "outcome",
    "reason",
    "details",
    "prev_hash",
    "hash",
];

enum Sink<'w, W: std::io::Write> {
    Jsonl(&'w mut W),
    Csv(Box<csv::Writer<&'w mut W>>),
}

impl<W: std::io::Write> Sink<'_, W> {
    fn write(&mut self, e: AuditEvent) -> Result<(), sqlx::Error> {
        match self {
            Sink::Jsonl(out) => {
                serde_json::to_writer(&mut **out, &e).map_err(|e| sqlx::Error::Encode(e.into()))?;
                out.write_all(b"\n")?;
            }
            Sink::Csv(w) => w
                .write_record([
                    e.seq.to_string(),
                    e.id.to_string(),
                    time_text(e.time),
                    e.actor,
                    e.client_addr.unwrap_or_default(),
                    e.user_agent.unwrap_or_default(),
                    e.action,
                    e.target.unwrap_or_default(),
                    e.outcome.as_str().to_owned(),
                    e.reason.unwrap_or_default(),
                    e.details.to_string(),
                    e.prev_hash,
                    e.hash,
                ])
                .map_err(csv_error)?,
        }
        Ok(())
    }
}

fn csv_error(e: csv::Error) -> sqlx::Error {
    sqlx::Error::Encode(e.into())
}
