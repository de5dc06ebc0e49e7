//! `drawbridge`: the terminal client of the Drawbridge broker.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use crossterm::event::{Event, EventStream, KeyEventKind, MouseEventKind};
use futures_util::StreamExt;
use serde::Deserialize;
use tokio::sync::mpsc;

use drawbridge_tui::app::{Action, App};
use drawbridge_tui::client::{Client, TlsFiles};
use drawbridge_tui::ui;

#[derive(Parser)]
#[command(
    name = "drawbridge",
    version,
    about = "Just-in-time, read-only database access"
)]
struct Cli {
    /// Broker URL, e.g. https://drawbridge.internal:7070 (or DRAWBRIDGE_BROKER, or tui.toml).
    #[arg(long, env = "DRAWBRIDGE_BROKER")]
    broker: Option<String>,
    /// User name to log in as (default: $USER).
    #[arg(long)]
    user: Option<String>,
    /// CA certificate (PEM) the broker's certificate is signed by.
    #[arg(long)]
    ca_cert: Option<String>,
    /// Client certificate (PEM) for an mTLS broker.
    #[arg(long)]
    client_cert: Option<String>,
    /// Client key (PEM) for an mTLS broker.
    #[arg(long)]
    client_key: Option<String>,
    /// Scroll results with the mouse wheel (takes over the terminal's own selection).
    #[arg(long)]
    mouse: bool,
}

/// `~/.config/drawbridge/tui.toml` (XDG): defaults for the flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    broker: Option<String>,
    user: Option<String>,
    ca_cert: Option<String>,
    client_cert: Option<String>,
    client_key: Option<String>,
}

fn config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("drawbridge/tui.toml"))
}

fn load_file_config() -> Result<FileConfig> {
    match config_path() {
        Some(path) if path.exists() => {
            let text = std::fs::read_to_string(&path)?;
            toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))
        }
        _ => Ok(FileConfig::default()),
    }
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("drawbridge: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let cli = Cli::parse();
    let file = load_file_config()?;
    let broker = cli.broker.or(file.broker).context(
        "no broker: pass --broker URL, set DRAWBRIDGE_BROKER, or put broker = \"…\" in tui.toml",
    )?;
    let user = cli
        .user
        .or(file.user)
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_default();
    let tls = TlsFiles {
        ca_cert: cli.ca_cert.or(file.ca_cert),
        client_cert: cli.client_cert.or(file.client_cert),
        client_key: cli.client_key.or(file.client_key),
    };
    ui::set_color(std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let client = Client::new(&broker, &tls)?;
        // ratatui::init restores the terminal on panic too.
        let mut terminal = ratatui::init();
        // Pastes arrive whole (a multi-line secret stays one value).
        crossterm::execute!(std::io::stdout(), crossterm::event::EnableBracketedPaste)?;
        if cli.mouse {
            crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture)?;
        }
        let result = event_loop(&mut terminal, client, &user).await;
        if cli.mouse {
            let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
        }
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableBracketedPaste);
        ratatui::restore();
        result
    })
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    client: Client,
    user: &str,
) -> Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut app = App::new(client, tx, user);
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        terminal.draw(|f| ui::draw(f, &mut app))?;
        let action = tokio::select! {
            Some(event) = events.next() => match event? {
                Event::Key(key) if key.kind != KeyEventKind::Release => Action::Key(key),
                Event::Resize(_, _) => Action::Tick,
                Event::Paste(text) => Action::Paste(text),
                Event::Mouse(m) => match m.kind {
                    MouseEventKind::ScrollDown => Action::Scroll(true),
                    MouseEventKind::ScrollUp => Action::Scroll(false),
                    _ => continue,
                },
                _ => continue,
            },
            Some(action) = rx.recv() => action,
            _ = tick.tick() => Action::Tick,
        };
        app.update(action);
        // Apply whatever else has already arrived before drawing again.
        while let Ok(more) = rx.try_recv() {
            app.update(more);
        }
        if app.quit {
            if app.me.is_some() {
                let _ = tokio::time::timeout(Duration::from_secs(2), app.client.logout()).await;
            }
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_example_config_parses() {
        let text = include_str!("../../config/tui.toml");
        let parsed: super::FileConfig = toml::from_str(text).expect("config/tui.toml is valid");
        assert!(parsed.broker.is_some_and(|b| b.starts_with("https://")));
    }
}
