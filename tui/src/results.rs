//! The results browser's state: a virtualized view over the rows (only what
//! is visible is ever laid out), with widths fitted to content and capped.

use drawbridge_shared::api::query::QueryResult;
use serde_json::Value;

use crate::keys::Intent;

/// Widest a column is drawn, in cells.
pub const MAX_WIDTH: usize = 40;
/// Rows looked at when fitting widths, spread over the whole result: enough
/// to be right, cheap at 100k rows.
const SAMPLE_ROWS: usize = 500;

pub struct ResultsView {
    pub result: QueryResult,
    pub widths: Vec<usize>,
    /// Selected row and first visible column.
    pub row: usize,
    pub col: usize,
    /// Rows visible, as last drawn (for paging).
    pub page: usize,
}

/// How a value is shown in a cell: NULL is drawn apart from the text 'NULL'.
pub fn cell_text(v: &Value) -> (String, bool) {
    match v {
        Value::Null => ("∅".to_owned(), true),
        Value::String(s) => (s.replace(['\n', '\r', '\t'], " "), false),
        Value::Object(o) if o.len() == 1 && o.contains_key("base64") => {
            (format!("0x…{}", o["base64"].as_str().unwrap_or("")), false)
        }
        other => (other.to_string(), false),
    }
}

impl ResultsView {
    pub fn new(result: QueryResult) -> Self {
        let widths = result
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let stride = (result.rows.len() / SAMPLE_ROWS).max(1);
                let data = result
                    .rows
                    .iter()
                    .step_by(stride)
                    .map(|r| r.get(i).map_or(0, |v| cell_text(v).0.chars().count()));
                data.chain([c.name.chars().count()])
                    .max()
                    .unwrap_or(1)
                    .clamp(1, MAX_WIDTH)
            })
            .collect();
        Self {
            result,
            widths,
            row: 0,
            col: 0,
            page: 10,
        }
    }

    pub fn scroll(&mut self, intent: Intent) {
        let last_row = self.result.rows.len().saturating_sub(1);
        let last_col = self.widths.len().saturating_sub(1);
        match intent {
            Intent::Down => self.row = (self.row + 1).min(last_row),
            Intent::Up => self.row = self.row.saturating_sub(1),
            Intent::PageDown => self.row = (self.row + self.page.max(1)).min(last_row),
            Intent::PageUp => self.row = self.row.saturating_sub(self.page.max(1)),
            Intent::Top => self.row = 0,
            Intent::Bottom => self.row = last_row,
            Intent::Right => self.col = (self.col + 1).min(last_col),
            Intent::Left => self.col = self.col.saturating_sub(1),
            Intent::LineStart => self.col = 0,
            Intent::LineEnd => self.col = last_col,
            _ => {}
        }
    }

    /// The first row to draw so that the selected one is visible.
    pub fn offset(&self, height: usize) -> usize {
        if height == 0 {
            0
        } else {
            self.row.saturating_sub(height - 1)
        }
    }
}
