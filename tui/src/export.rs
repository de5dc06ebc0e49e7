//! Results out of the TUI: files (CSV, JSON) and the clipboard via OSC 52,
//! which works over SSH because the terminal, not the bastion, does the copy.

use std::io::Write;
use std::path::PathBuf;

use base64::Engine;
use drawbridge_shared::api::query::QueryResult;
use serde_json::Value;

fn plain(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Writes the result to `drawbridge-<database>-<time>.<ext>` in the working directory.
pub fn to_file(result: &QueryResult, database: &str, json: bool) -> std::io::Result<PathBuf> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
    let path = PathBuf::from(format!(
        "drawbridge-{database}-{stamp}.{}",
        if json { "json" } else { "csv" }
    ));
    let file = std::fs::File::create(&path)?;
    if json {
        let objects: Vec<serde_json::Map<String, Value>> = result
            .rows
            .iter()
            .map(|row| {
                result
                    .columns
                    .iter()
                    .zip(row)
                    .map(|(c, v)| (c.name.clone(), v.clone()))
                    .collect()
            })
            .collect();
        serde_json::to_writer_pretty(std::io::BufWriter::new(file), &objects)?;
    } else {
        let mut w = csv::Writer::from_writer(file);
        w.write_record(result.columns.iter().map(|c| c.name.as_str()))?;
        for row in &result.rows {
            w.write_record(row.iter().map(plain))?;
        }
        w.flush()?;
    }
    Ok(path)
}

/// The OSC 52 sequence that asks the terminal to put `text` on its clipboard.
pub fn osc52(text: &str) -> String {
    format!(
        "\x1b]52;c;{}\x07",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

pub fn copy(text: &str) {
    let mut out = std::io::stdout();
    let _ = out.write_all(osc52(text).as_bytes());
    let _ = out.flush();
}

pub fn cell(v: &Value) -> String {
    plain(v)
}

pub fn row(values: &[Value]) -> String {
    values.iter().map(plain).collect::<Vec<_>>().join("\t")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_carries_base64_of_the_text() {
        assert_eq!(osc52("hi"), "\x1b]52;c;aGk=\x07");
        assert_eq!(
            row(&[serde_json::json!(1), Value::Null, serde_json::json!("x")]),
            "1\t\tx"
        );
    }
}
