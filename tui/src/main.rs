//! `drawbridge`: the terminal client of the Drawbridge broker.
//!
//! This first version connects, checks the broker's health and logs in; the
//! full-screen panes (access, query, results) build on it.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Parser;
use drawbridge_shared::ApiError;
use drawbridge_shared::api::auth::{LoginRequest, LoginResponse};
use drawbridge_shared::api::health::HealthResponse;

#[derive(Parser)]
#[command(
    name = "drawbridge",
    version,
    about = "Just-in-time, read-only database access"
)]
struct Cli {
    /// Broker URL, e.g. https://drawbridge.internal:7070
    #[arg(long, env = "DRAWBRIDGE_BROKER")]
    broker: String,
    /// User name to log in as (default: $USER).
    #[arg(long, env = "USER")]
    user: String,
}

fn user_agent() -> String {
    format!("drawbridge-tui/{}", env!("CARGO_PKG_VERSION"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("drawbridge: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    let base = cli.broker.trim_end_matches('/');
    let http = reqwest::Client::builder()
        .user_agent(user_agent())
        .build()?;
    let health: HealthResponse = http
        .get(format!("{base}/health"))
        .send()
        .await
        .with_context(|| format!("cannot reach the broker at {base}"))?
        .json()
        .await?;
    println!(
        "broker {base}: {} (version {})",
        health.status, health.version
    );
    let password = rpassword::prompt_password(format!("Password for {}: ", cli.user))?;
    let mut request = http
        .post(format!("{base}/v1/auth/login"))
        .json(&LoginRequest {
            username: cli.user.clone(),
            password,
        });
    if let Ok(ssh) = std::env::var("SSH_CLIENT") {
        if let Some(origin) = ssh.split_whitespace().next() {
            request = request.header("x-drawbridge-origin", origin);
        }
    }
    let response = request.send().await?;
    if !response.status().is_success() {
        let error: ApiError = response.json().await?;
        bail!("{} ({})", error.error.message, error.error.code);
    }
    let login: LoginResponse = response.json().await?;
    let roles: Vec<_> = login.user.roles.iter().map(|r| r.as_str()).collect();
    println!(
        "logged in as {} ({}); session until {}",
        login.user.name,
        roles.join(", "),
        login.expires_at
    );
    Ok(())
}
