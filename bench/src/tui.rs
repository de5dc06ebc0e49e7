//! The TUI's results pane: time to draw one frame holding many rows (only
//! what fits is laid out), against a frame of a small result; and the RSS.

use std::time::{Duration, Instant};

use anyhow::Result;
use drawbridge_shared::api::query::{Column, QueryResult};
use drawbridge_tui::results::ResultsView;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};

use crate::stats::{proc_mib, round};

fn result(rows: usize) -> QueryResult {
    let column = |name: &str, t: &str| Column {
        name: name.into(),
        type_name: t.into(),
        binary: false,
    };
    QueryResult {
        query_id: uuid::Uuid::now_v7(),
        columns: vec![
            column("id", "BIGINT"),
            column("name", "VARCHAR"),
            column("amount", "DECIMAL"),
            column("created_at", "DATETIME"),
            column("status", "ENUM"),
            column("note", "TEXT"),
        ],
        rows: (0..rows)
            .map(|i| {
                vec![
                    json!(i),
                    json!(format!("customer {i} Ünïcødé")),
                    json!(format!("{}.{:02}", i % 10_000, i % 100)),
                    json!("2026-11-23T08:00:00"),
                    json!(["paid", "shipped", "refunded"][i % 3]),
                    if i % 7 == 0 {
                        Value::Null
                    } else {
                        json!("a note")
                    },
                ]
            })
            .collect(),
        row_count: rows as u64,
        truncated: false,
        elapsed_ms: 1,
    }
}

/// Median time of one frame, scrolling a row between frames.
fn frame_ms(rows: usize, frames: usize) -> Result<f64> {
    let mut view = ResultsView::new(result(rows));
    let mut terminal = Terminal::new(TestBackend::new(160, 48))?;
    let mut times: Vec<Duration> = Vec::with_capacity(frames);
    for i in 0..frames {
        view.row = (i * 997) % rows;
        let t = Instant::now();
        terminal.draw(|f| {
            let area = f.area();
            drawbridge_tui::ui::draw_results(f, &mut view, area, true)
        })?;
        times.push(t.elapsed());
    }
    times.sort_unstable();
    Ok(round(times[times.len() / 2].as_secs_f64() * 1000.0))
}

pub fn run(rows: usize, frames: usize) -> Result<Value> {
    let small = frame_ms(100, frames)?;
    let rss_before = proc_mib("self", "VmRSS:");
    let big = frame_ms(rows, frames)?;
    Ok(json!({
        "rows": rows,
        "frame_ms": big,
        "frame_ms_100_rows": small,
        "ratio": round(big / small.max(0.001)),
        "rss_mib_before": rss_before,
        "peak_rss_mib": proc_mib("self", "VmHWM:"),
    }))
}
