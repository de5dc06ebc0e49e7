//! Point queries by primary key: through the broker (HTTP, auth, grant
//! lookup, gate, audit commit, pool) and directly with sqlx, at each level
//! of concurrency.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use drawbridge_shared::api::query::QueryRequest;
use serde_json::{Value, json};
use sqlx::mysql::MySqlPoolOptions;

use crate::stats::{Ids, summary};
use crate::{BrokerArgs, DirectArgs};

pub struct Target {
    pub grant: uuid::Uuid,
    pub table: String,
    pub max_id: u64,
}

impl Target {
    fn sql(&self, id: u64) -> String {
        format!(
            "SELECT id, name, amount FROM {} WHERE id = {id}",
            self.table
        )
    }
}

pub async fn run(
    broker: &BrokerArgs,
    direct: &DirectArgs,
    target: &Target,
    clients: &[usize],
    seconds: f64,
) -> Result<Value> {
    let run_for = Duration::from_secs_f64(seconds);
    let mut levels = Vec::new();
    for &n in clients {
        let via_broker = through_broker(broker, target, n, run_for).await?;
        let direct = directly(direct, target, n, run_for).await?;
        levels.push(json!({"clients": n, "broker": via_broker, "direct": direct}));
    }
    Ok(json!({ "levels": levels }))
}

async fn through_broker(
    args: &BrokerArgs,
    target: &Target,
    clients: usize,
    run_for: Duration,
) -> Result<Value> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let url = format!("{}/v1/queries", args.broker.trim_end_matches('/'));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (http, url, token) = (http.clone(), url.clone(), args.token.clone());
        let (grant, sqls): (_, Vec<String>) = {
            let mut ids = Ids::new(c as u64 + 1);
            (
                target.grant,
                (0..4096)
                    .map(|_| target.sql(ids.next(target.max_id)))
                    .collect(),
            )
        };
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            for sql in sqls.iter().cycle() {
                if started.elapsed() >= run_for {
                    break;
                }
                let body = QueryRequest {
                    grant_id: grant,
                    sql: sql.clone(),
                    max_rows: None,
                    query_id: None,
                };
                let t = Instant::now();
                let resp = http
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await?;
                let status = resp.status();
                let bytes = resp.bytes().await?;
                if !status.is_success() {
                    bail!(
                        "broker answered {status}: {}",
                        String::from_utf8_lossy(&bytes)
                    );
                }
                samples.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>(samples)
        }));
    }
    collect(tasks, started).await
}

async fn directly(
    args: &DirectArgs,
    target: &Target,
    clients: usize,
    run_for: Duration,
) -> Result<Value> {
    let pool = MySqlPoolOptions::new()
        .max_connections(clients as u32)
        .min_connections(clients as u32)
        .connect(&args.mysql_url)
        .await
        .context("direct connection to MariaDB")?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let pool = pool.clone();
        let mut ids = Ids::new(c as u64 + 1);
        let sqls: Vec<String> = (0..4096)
            .map(|_| target.sql(ids.next(target.max_id)))
            .collect();
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            for sql in sqls.iter().cycle() {
                if started.elapsed() >= run_for {
                    break;
                }
                let t = Instant::now();
                // Prepared, like the broker's executor.
                sqlx::query(sql).fetch_all(&pool).await?;
                samples.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>(samples)
        }));
    }
    let result = collect(tasks, started).await;
    pool.close().await;
    result
}

async fn collect(
    tasks: Vec<tokio::task::JoinHandle<Result<Vec<Duration>>>>,
    started: Instant,
) -> Result<Value> {
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(summary(all, started.elapsed()))
}
