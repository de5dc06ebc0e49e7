//! Grant latency: from the approver's click to the requester's first query
//! answered (Vault issues credentials, the broker opens and proves a pool),
//! against doing the same two steps directly: Vault creds + connect + SELECT 1.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use drawbridge_shared::api::access::{AccessRequest, CreateAccessRequest, DecisionRequest};
use drawbridge_shared::api::query::QueryRequest;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sqlx::Connection;
use sqlx::mysql::{MySqlConnectOptions, MySqlConnection};

use crate::stats::summary;

#[derive(Args)]
pub struct GrantArgs {
    #[arg(long)]
    broker: String,
    #[arg(long, env = "BENCH_TOKEN", hide_env_values = true)]
    token: String,
    #[arg(long, env = "BENCH_APPROVER_TOKEN", hide_env_values = true)]
    approver_token: String,
    #[arg(long)]
    database: String,
    #[arg(long, default_value_t = 50)]
    n: usize,
    #[arg(long, env = "VAULT_ADDR")]
    vault_addr: String,
    #[arg(long, env = "BENCH_VAULT_TOKEN", hide_env_values = true)]
    vault_token: String,
    /// `mount/creds/role` is where the direct path asks.
    #[arg(long)]
    vault_mount: String,
    #[arg(long)]
    vault_role: String,
    #[arg(long, default_value = "127.0.0.1")]
    mysql_host: String,
    #[arg(long, default_value_t = 3306)]
    mysql_port: u16,
    #[arg(long)]
    mysql_db: String,
}

async fn post<T: DeserializeOwned>(
    http: &reqwest::Client,
    url: String,
    token: &str,
    body: &impl serde::Serialize,
) -> Result<T> {
    let resp = http.post(&url).bearer_auth(token).json(body).send().await?;
    let status = resp.status();
    if !status.is_success() {
        bail!("{url} answered {status}: {}", resp.text().await?);
    }
    Ok(resp.json().await?)
}

pub async fn run(a: &GrantArgs) -> Result<Value> {
    let http = reqwest::Client::new();
    let base = a.broker.trim_end_matches('/');
    let mut broker = Vec::new();
    let started = Instant::now();
    for i in 0..a.n {
        let request: AccessRequest = post(
            &http,
            format!("{base}/v1/access-requests"),
            &a.token,
            &CreateAccessRequest {
                database: a.database.clone(),
                reason: format!("benchmark grant {i}"),
                duration_seconds: Some(900),
            },
        )
        .await?;
        let t = Instant::now();
        let approved: AccessRequest = post(
            &http,
            format!("{base}/v1/access-requests/{}/approve", request.id),
            &a.approver_token,
            &DecisionRequest {
                comment: None,
                duration_seconds: None,
            },
        )
        .await?;
        let grant = approved.grant_id.context("approved without a grant")?;
        let _: Value = post(
            &http,
            format!("{base}/v1/queries"),
            &a.token,
            &QueryRequest {
                grant_id: grant,
                sql: "SELECT 1".into(),
                max_rows: None,
                query_id: None,
            },
        )
        .await?;
        broker.push(t.elapsed());
        let _: Value = post(
            &http,
            format!("{base}/v1/grants/{grant}/revoke"),
            &a.token,
            &json!({}),
        )
        .await?;
    }
    let broker = summary(broker, started.elapsed());

    let mut direct: Vec<Duration> = Vec::new();
    let started = Instant::now();
    let vault = a.vault_addr.trim_end_matches('/');
    for _ in 0..a.n {
        let t = Instant::now();
        let creds: Value = http
            .get(format!(
                "{vault}/v1/{}/creds/{}",
                a.vault_mount, a.vault_role
            ))
            .header("X-Vault-Token", &a.vault_token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let options = MySqlConnectOptions::new()
            .host(&a.mysql_host)
            .port(a.mysql_port)
            .database(&a.mysql_db)
            .username(creds["data"]["username"].as_str().context("username")?)
            .password(creds["data"]["password"].as_str().context("password")?);
        let mut conn = MySqlConnection::connect_with(&options).await?;
        sqlx::query("SELECT 1").fetch_one(&mut conn).await?;
        direct.push(t.elapsed());
        conn.close().await?;
        http.put(format!("{vault}/v1/sys/leases/revoke"))
            .header("X-Vault-Token", &a.vault_token)
            .json(&json!({"lease_id": creds["lease_id"]}))
            .send()
            .await?
            .error_for_status()?;
    }
    let direct = summary(direct, started.elapsed());
    Ok(json!({"n": a.n, "broker": broker, "direct": direct}))
}
