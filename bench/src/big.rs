//! A big result: streamed through the broker (NDJSON) to this client, against
//! the `mariadb` command-line client printing the same query with `--batch`.

use std::process::Stdio;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use drawbridge_shared::api::query::QueryRequest;
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::Paths;
use crate::stats::{proc_mib, round};

/// `mysql://user:password@host:port/db`, split for the command-line client.
struct Url {
    user: String,
    password: String,
    host: String,
    port: String,
    db: String,
}

fn parse(url: &str) -> Result<Url> {
    let rest = url.strip_prefix("mysql://").context("not a mysql:// URL")?;
    let (creds, place) = rest.rsplit_once('@').context("no user in the URL")?;
    let (user, password) = creds.split_once(':').context("no password in the URL")?;
    let (addr, db) = place.split_once('/').context("no database in the URL")?;
    let (host, port) = addr.rsplit_once(':').context("no port in the URL")?;
    Ok(Url {
        user: user.into(),
        password: password.into(),
        host: host.into(),
        port: port.into(),
        db: db.into(),
    })
}

pub async fn run(paths: &Paths, sql: &str, broker_pid: u32) -> Result<Value> {
    let (broker, direct, grant) = (&paths.broker, &paths.direct, paths.grant);
    let pid = broker_pid.to_string();
    // Reset the broker's peak RSS so that VmHWM covers this query only.
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
    let rss_before = proc_mib(&pid, "VmRSS:");

    let started = Instant::now();
    let resp = reqwest::Client::new()
        .post(format!(
            "{}/v1/queries",
            broker.broker.trim_end_matches('/')
        ))
        .bearer_auth(&broker.token)
        .header("accept", "application/x-ndjson")
        .json(&QueryRequest {
            grant_id: grant,
            sql: sql.into(),
            max_rows: None,
            query_id: None,
        })
        .send()
        .await?;
    if !resp.status().is_success() {
        bail!("broker answered {}: {}", resp.status(), resp.text().await?);
    }
    let mut body = resp.bytes_stream();
    let (mut bytes, mut last_line) = (0usize, Vec::new());
    let mut pending = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        bytes += chunk.len();
        pending.extend_from_slice(&chunk);
        // Keep only the unfinished line and the last whole one (the trailer).
        if let Some(end) = pending.iter().rposition(|b| *b == b'\n') {
            let whole = &pending[..end];
            let start = whole.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            last_line = whole[start..].to_vec();
            pending.drain(..=end);
        }
    }
    let broker_seconds = started.elapsed().as_secs_f64();
    let trailer: Value = serde_json::from_slice(&last_line).context("the stream's trailer")?;
    let rows = trailer["row_count"]
        .as_u64()
        .with_context(|| format!("no row_count in the trailer: {trailer}"))?;
    let peak = proc_mib(&pid, "VmHWM:");

    let url = parse(&direct.mysql_url)?;
    let started = Instant::now();
    let status = tokio::process::Command::new("mariadb")
        .args([
            "--batch",
            "--protocol=tcp",
            "-h",
            &url.host,
            "-P",
            &url.port,
        ])
        .args(["-u", &url.user, &url.db, "-e", sql])
        .env("MYSQL_PWD", &url.password)
        .stdout(Stdio::null())
        .status()
        .await
        .context("running the mariadb client")?;
    if !status.success() {
        bail!("mariadb --batch failed: {status}");
    }
    let client_seconds = started.elapsed().as_secs_f64();
    Ok(json!({
        "rows": rows,
        "truncated": trailer["truncated"],
        "stream_bytes": bytes,
        "broker_seconds": round(broker_seconds),
        "mariadb_batch_seconds": round(client_seconds),
        "ratio": round(broker_seconds / client_seconds),
        "broker_rss_before_mib": rss_before,
        "broker_peak_rss_mib": peak,
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn urls_split_for_the_client() {
        let u = super::parse("mysql://v-bench-x1:p@ss:w0rd@127.0.0.1:3306/bench_db").unwrap();
        assert_eq!(
            (
                u.user.as_str(),
                u.password.as_str(),
                u.host.as_str(),
                u.port.as_str(),
                u.db.as_str()
            ),
            ("v-bench-x1", "p@ss:w0rd", "127.0.0.1", "3306", "bench_db")
        );
    }
}
