//! `drawbridge-broker`: serve the API, and administer users and the audit log.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use drawbridge_broker::audit::{self, ExportFormat, NewEvent};
use drawbridge_broker::auth::{password, users};
use drawbridge_broker::config::Config;
use drawbridge_broker::{server, store};
use drawbridge_shared::Role;
use drawbridge_shared::api::audit::{AuditQuery, Outcome};
use drawbridge_shared::gate::{self, GateOptions};
use serde_json::json;

#[derive(Parser)]
#[command(
    name = "drawbridge-broker",
    version,
    about = "Drawbridge broker: just-in-time, read-only database access"
)]
struct Cli {
    /// Configuration file (every key overridable by DRAWBRIDGE_* variables).
    #[arg(
        long,
        global = true,
        env = "DRAWBRIDGE_CONFIG",
        default_value = "config/broker.toml"
    )]
    config: PathBuf,
    /// Log line format on stderr.
    #[arg(long, global = true, value_enum, default_value = "text")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API.
    Serve,
    /// Create or upgrade the store's schema, then exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Verify and export the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The SQL gate.
    #[command(subcommand)]
    Gate(GateCommand),
    /// Master keys of the secrets store.
    #[command(subcommand)]
    Secrets(SecretsCommand),
}

#[derive(Subcommand)]
enum SecretsCommand {
    /// Print a new Fernet master key (put it first in DRAWBRIDGE_MASTER_KEYS).
    GenerateKey,
    /// Re-encrypt every secret under the first key of DRAWBRIDGE_MASTER_KEYS,
    /// in one transaction. Keep the old keys listed after it until this is done.
    RotateKey,
}

#[derive(Subcommand)]
enum GateCommand {
    /// Read one statement from stdin; print {"allowed", "code", "reason"};
    /// exit 0 when allowed, 1 when denied.
    Check {
        /// Apply this configured database's switches (EXPLAIN, SHOW) and schema.
        #[arg(long)]
        database: Option<String>,
        /// Allow EXPLAIN of a SELECT.
        #[arg(long)]
        allow_explain: bool,
        /// Allow SHOW TABLES / SHOW COLUMNS / DESCRIBE.
        #[arg(long)]
        allow_show: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user (asks for the password unless --password-stdin).
    Add {
        name: String,
        /// Role(s): user, approver, admin, service. Repeat for several.
        #[arg(long = "role", required = true, value_parser = parse_role)]
        roles: Vec<Role>,
        /// Read the password from standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users and their roles.
    List,
    /// Disable a user: their sessions end at once.
    Disable { name: String },
    /// Enable a disabled user.
    Enable { name: String },
    /// Set a user's password.
    Passwd {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Replace a user's roles.
    Roles {
        name: String,
        #[arg(required = true, value_parser = parse_role)]
        roles: Vec<Role>,
    },
    /// Issue a login token for a service account (role `service`); prints it
    /// once. It may read the secrets whose names match a --pattern (glob).
    Token {
        name: String,
        #[arg(long = "pattern", required = true)]
        patterns: Vec<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain; exit 1 when it does not verify.
    Verify,
    /// Write the audit log, oldest first.
    Export {
        #[arg(long, value_enum, default_value = "jsonl")]
        format: CliExportFormat,
        /// File to write (default: standard output).
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum CliExportFormat {
    Jsonl,
    Csv,
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
        .map_err(|e: drawbridge_shared::role::UnknownRole| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("drawbridge-broker: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let env: HashMap<String, String> = std::env::vars().collect();
    if let Command::Secrets(SecretsCommand::GenerateKey) = &cli.command {
        println!("{}", drawbridge_broker::secrets::keyring::generate_key());
        return Ok(ExitCode::SUCCESS);
    }
    // The gate needs no config unless a database is named.
    if let Command::Gate(GateCommand::Check {
        database: None,
        allow_explain,
        allow_show,
    }) = &cli.command
    {
        let options = GateOptions {
            allow_explain: *allow_explain,
            allow_show: *allow_show,
            schema: None,
        };
        return gate_check(&options);
    }
    let config = Config::load(&cli.config, &env)?;
    match cli.command {
        Command::Serve => serve(config, &env).await,
        Command::Migrate => {
            store::open(&config.store.path).await?;
            println!("store {} is up to date", config.store.path.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::User(cmd) => user_command(config, cmd).await,
        Command::Audit(cmd) => audit_command(config, cmd).await,
        Command::Secrets(SecretsCommand::RotateKey) => {
            let pool = store::open(&config.store.path).await?;
            let keyring = drawbridge_broker::secrets::Keyring::open(&env, &pool).await?;
            let n = drawbridge_broker::secrets::keyring::rotate(&keyring, &pool).await?;
            let event = NewEvent::new("system", "secret.rotate_key", Outcome::Ok)
                .details(json!({"via": "cli", "secrets": n}));
            audit::append_now(&pool, event).await?;
            println!("re-encrypted {n} secret(s) under the newest master key");
            Ok(ExitCode::SUCCESS)
        }
        Command::Secrets(SecretsCommand::GenerateKey) => {
            unreachable!("handled before the config is read")
        }
        Command::Gate(GateCommand::Check {
            database,
            allow_explain,
            allow_show,
        }) => {
            let name = database.unwrap_or_default();
            let db = config
                .database(&name)
                .with_context(|| format!("no database {name:?} in the config"))?;
            let mut options = db.gate_options();
            options.allow_explain |= allow_explain;
            options.allow_show |= allow_show;
            gate_check(&options)
        }
    }
}

fn gate_check(options: &GateOptions) -> Result<ExitCode> {
    let mut sql = String::new();
    std::io::stdin()
        .read_to_string(&mut sql)
        .context("reading the statement from stdin")?;
    let verdict = gate::check(&sql, options);
    println!("{}", serde_json::to_string(&verdict)?);
    Ok(if verdict.allowed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn serve(config: Config, env: &HashMap<String, String>) -> Result<ExitCode> {
    let broker = server::start(config, env).await?;
    shutdown_signal().await;
    tracing::info!("shutting down");
    broker.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

fn read_password(prompt_for: &str, from_stdin: bool) -> Result<String> {
    let password = if from_stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading the password from stdin")?;
        text.trim_end_matches(['\n', '\r']).to_owned()
    } else {
        let first = rpassword::prompt_password(format!("Password for {prompt_for}: "))?;
        let again = rpassword::prompt_password("Again: ")?;
        if first != again {
            bail!("the passwords differ");
        }
        first
    };
    if password.chars().count() < 8 {
        bail!("the password must have at least 8 characters");
    }
    if password.len() > 1024 {
        bail!("the password must be at most 1024 bytes");
    }
    Ok(password)
}

/// CLI changes are audited as `system`, naming the operating-system user.
fn cli_event(action: &str, target: &str) -> NewEvent {
    let os_user = std::env::var("USER").unwrap_or_default();
    NewEvent::new("system", action, Outcome::Ok)
        .target(format!("user:{target}"))
        .details(json!({"via": "cli", "os_user": os_user}))
}

async fn user_command(config: Config, cmd: UserCommand) -> Result<ExitCode> {
    let pool = store::open(&config.store.path).await?;
    let (event, message) = match cmd {
        UserCommand::Add {
            name,
            roles,
            password_stdin,
        } => {
            users::validate_name(&name)?;
            // Service accounts log in with a token (`user token`), never a password.
            let hash = if roles == [Role::Service] {
                None
            } else {
                Some(password::hash(&read_password(&name, password_stdin)?)?)
            };
            let user = users::add(&pool, &name, &roles, hash).await?;
            (
                cli_event("user.add", &name).details(json!({"via": "cli", "roles": user.roles})),
                format!("added {name} ({})", users::roles_text(&user.roles)),
            )
        }
        UserCommand::Token { name, patterns } => {
            let user = users::find(&pool, &name)
                .await?
                .with_context(|| format!("no user {name:?}"))?;
            if !user.has_role(Role::Service) || user.password_hash.is_some() {
                bail!(
                    "{name} is not a service account: create it with `user add {name} --role service` (a service account has no password)"
                );
            }
            for p in &patterns {
                glob::Pattern::new(p).with_context(|| format!("{p:?} is not a valid pattern"))?;
            }
            let token = drawbridge_broker::auth::sessions::new_token();
            sqlx::query(
                "INSERT INTO service_accounts (user_id, token_hash, patterns, created_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, patterns = excluded.patterns, created_at = excluded.created_at",
            )
            .bind(&user.id)
            .bind(drawbridge_broker::auth::sessions::hash_token(&token))
            .bind(json!(patterns).to_string())
            .bind(store::now_text())
            .execute(&pool)
            .await?;
            audit::append_now(
                &pool,
                cli_event("user.token", &name).details(json!({"via": "cli", "patterns": patterns})),
            )
            .await?;
            println!("{token}");
            eprintln!(
                "token for {name} (shown once; log in with it as the password); patterns: {}",
                patterns.join(", ")
            );
            return Ok(ExitCode::SUCCESS);
        }
        UserCommand::List => {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{:<24} {:<28} STATUS", "NAME", "ROLES")?;
            for u in users::list(&pool).await? {
                let status = if u.disabled { "disabled" } else { "enabled" };
                writeln!(
                    out,
                    "{:<24} {:<28} {status}",
                    u.name,
                    users::roles_text(&u.roles)
                )?;
            }
            return Ok(ExitCode::SUCCESS);
        }
        UserCommand::Disable { name } => {
            users::set_disabled(&pool, &name, true).await?;
            (
                cli_event("user.disable", &name),
                format!("disabled {name}; their sessions have ended"),
            )
        }
        UserCommand::Enable { name } => {
            users::set_disabled(&pool, &name, false).await?;
            (cli_event("user.enable", &name), format!("enabled {name}"))
        }
        UserCommand::Passwd {
            name,
            password_stdin,
        } => {
            if users::find(&pool, &name).await?.is_none() {
                bail!("no user {name:?}");
            }
            let hash = password::hash(&read_password(&name, password_stdin)?)?;
            users::set_password_hash(&pool, &name, &hash).await?;
            (
                cli_event("user.passwd", &name),
                format!("password of {name} changed"),
            )
        }
        UserCommand::Roles { name, roles } => {
            users::set_roles(&pool, &name, &roles).await?;
            (
                cli_event("user.roles", &name).details(json!({"via": "cli", "roles": roles})),
                format!("{name} now has roles {}", users::roles_text(&roles)),
            )
        }
    };
    audit::append_now(&pool, event).await?;
    println!("{message}");
    Ok(ExitCode::SUCCESS)
}

async fn audit_command(config: Config, cmd: AuditCommand) -> Result<ExitCode> {
    let pool = store::open(&config.store.path).await?;
    match cmd {
        AuditCommand::Verify => {
            let report = audit::verify(&pool).await?;
            println!("{}", serde_json::to_string(&report)?);
            Ok(if report.valid {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        AuditCommand::Export { format, output } => {
            let format = match format {
                CliExportFormat::Jsonl => ExportFormat::Jsonl,
                CliExportFormat::Csv => ExportFormat::Csv,
            };
            let q = AuditQuery::default();
            let n = match output {
                Some(path) => {
                    let mut file = std::io::BufWriter::new(
                        std::fs::File::create(&path)
                            .with_context(|| format!("creating {}", path.display()))?,
                    );
                    let n = audit::export(&pool, &q, format, &mut file).await?;
                    file.flush()?;
                    n
                }
                None => {
                    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                    let n = audit::export(&pool, &q, format, &mut out).await?;
                    out.flush()?;
                    n
                }
            };
            eprintln!("exported {n} events");
            Ok(ExitCode::SUCCESS)
        }
    }
}
