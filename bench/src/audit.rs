//! Durable audit appends per second on a fresh store: the broker's group
//! commit writer against one transaction per append, at each writer count.

use std::time::{Duration, Instant};

use anyhow::Result;
use drawbridge_broker::audit::{AuditLog, NewEvent, append_now};
use drawbridge_shared::api::audit::Outcome;
use serde_json::{Value, json};

use crate::stats::round;

fn event(w: usize, i: usize) -> NewEvent {
    NewEvent::new(format!("bench{w}"), "bench.append", Outcome::Ok)
        .target(format!("event:{i}"))
        .details(json!({"writer": w, "n": i}))
}

pub async fn run(writers: &[usize], seconds: f64) -> Result<Value> {
    let run_for = Duration::from_secs_f64(seconds);
    let mut levels = Vec::new();
    for &n in writers {
        let group = rate(n, run_for, true).await?;
        let single = rate(n, run_for, false).await?;
        levels.push(json!({
            "writers": n,
            "group_commit_per_second": group,
            "one_txn_each_per_second": single,
        }));
    }
    Ok(json!({"levels": levels}))
}

/// Appends per second from `writers` tasks, each waiting for its commit.
async fn rate(writers: usize, run_for: Duration, group: bool) -> Result<f64> {
    let dir = tempfile::tempdir()?;
    let pool = drawbridge_broker::store::open(&dir.path().join("audit.sqlite")).await?;
    let log = AuditLog::start(pool.clone());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (log, pool) = (log.clone(), pool.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0usize;
            while started.elapsed() < run_for {
                if group {
                    log.append(event(w, n)).await?;
                } else {
                    append_now(&pool, event(w, n)).await?;
                }
                n += 1;
            }
            Ok::<_, anyhow::Error>(n)
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await??;
    }
    let per_second = total as f64 / started.elapsed().as_secs_f64();
    let verified = drawbridge_broker::audit::verify(&pool).await?;
    anyhow::ensure!(verified.valid, "the chain does not verify after the run");
    pool.close().await;
    Ok(round(per_second))
}
