//! `drawbridge-bench`: the measuring half of `scripts/bench.sh`. Each
//! subcommand measures one figure and its baseline in the same run and prints
//! one JSON object; the script starts the services and the broker, collects
//! the objects into bench/results.json and prints the table.

mod audit;
mod big;
mod grant;
mod point;
mod stats;
mod tui;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "drawbridge-bench", about = "Drawbridge benchmark driver")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the broker is and who talks to it.
#[derive(Args, Clone)]
pub struct BrokerArgs {
    #[arg(long)]
    pub broker: String,
    /// Bearer token of the user holding the grant.
    #[arg(long, env = "BENCH_TOKEN", hide_env_values = true)]
    pub token: String,
}

/// The same MariaDB, reached directly with Vault-issued credentials.
#[derive(Args, Clone)]
pub struct DirectArgs {
    /// mysql://user:password@host:port/db
    #[arg(long, env = "BENCH_MYSQL_URL", hide_env_values = true)]
    pub mysql_url: String,
}

/// A grant, reached through the broker and directly.
#[derive(Args, Clone)]
pub struct Paths {
    #[command(flatten)]
    pub broker: BrokerArgs,
    #[command(flatten)]
    pub direct: DirectArgs,
    #[arg(long)]
    pub grant: uuid::Uuid,
}

#[derive(Subcommand)]
enum Command {
    /// Point-query latency and throughput: broker vs direct sqlx.
    Point {
        #[command(flatten)]
        paths: Paths,
        #[arg(long)]
        table: String,
        /// Ids 1..=max_id exist.
        #[arg(long)]
        max_id: u64,
        #[arg(long, value_delimiter = ',', default_value = "1,16")]
        clients: Vec<usize>,
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
    },
    /// A big result streamed through the broker vs `mariadb --batch`.
    Big {
        #[command(flatten)]
        paths: Paths,
        #[arg(long)]
        sql: String,
        /// The broker's pid, for its peak RSS.
        #[arg(long)]
        broker_pid: u32,
    },
    /// Approve → first query possible, vs Vault issue + connect directly.
    Grant(grant::GrantArgs),
    /// Durable audit appends per second, group commit vs a transaction each.
    Audit {
        #[arg(long, value_delimiter = ',', default_value = "1,32")]
        writers: Vec<usize>,
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
    },
    /// One frame of the results pane holding many rows, and the RSS.
    Tui {
        #[arg(long, default_value_t = 100_000)]
        rows: usize,
        #[arg(long, default_value_t = 200)]
        frames: usize,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    if let Command::Tui { rows, frames } = cli.command {
        return print(tui::run(rows, frames));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match cli.command {
            Command::Point {
                paths,
                table,
                max_id,
                clients,
                seconds,
            } => {
                let target = point::Target {
                    grant: paths.grant,
                    table,
                    max_id,
                };
                print(point::run(&paths.broker, &paths.direct, &target, &clients, seconds).await)
            }
            Command::Big {
                paths,
                sql,
                broker_pid,
            } => print(big::run(&paths, &sql, broker_pid).await),
            Command::Grant(args) => print(grant::run(&args).await),
            Command::Audit { writers, seconds } => print(audit::run(&writers, seconds).await),
            Command::Tui { .. } => unreachable!("handled above"),
        }
    })
}

fn print(result: Result<serde_json::Value>) -> Result<()> {
    println!("{}", serde_json::to_string(&result?)?);
    Ok(())
}
