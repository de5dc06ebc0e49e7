//! Query history per database, kept across runs in the XDG data dir
//! (`$XDG_DATA_HOME/drawbridge/history.json`, mode 600: it holds SQL).

use std::collections::BTreeMap;
use std::path::PathBuf;

/// Queries kept per database.
const KEEP: usize = 200;

#[derive(Default)]
pub struct History {
    path: Option<PathBuf>,
    entries: BTreeMap<String, Vec<String>>,
    /// Position while browsing with Ctrl-Up/Down: index from the newest.
    cursor: Option<usize>,
}

pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(base.join("drawbridge/history.json"))
}

impl History {
    pub fn load(path: Option<PathBuf>) -> Self {
        let entries = path
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        Self {
            path,
            entries,
            cursor: None,
        }
    }

    /// Records a query that was run; saving is best effort (never blocks use).
    pub fn push(&mut self, database: &str, sql: &str) {
        let sql = sql.trim();
        if sql.is_empty() {
            return;
        }
        let list = self.entries.entry(database.to_owned()).or_default();
        list.retain(|q| q != sql);
        list.push(sql.to_owned());
        if list.len() > KEEP {
            list.drain(..list.len() - KEEP);
        }
        self.cursor = None;
        self.save();
    }

    fn save(&self) {
        let Some(path) = &self.path else { return };
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let Ok(text) = serde_json::to_string_pretty(&self.entries) else {
            return;
        };
        let tmp = path.with_extension("json.tmp");
        #[cfg(unix)]
        let written = {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)
                .and_then(|mut f| f.write_all(text.as_bytes()))
        };
        #[cfg(not(unix))]
        let written = std::fs::write(&tmp, text);
        if written.is_ok() {
            let _ = std::fs::rename(&tmp, path);
        }
    }

    /// One step back (older) or forward (newer); None past either end.
    pub fn step(&mut self, database: &str, older: bool) -> Option<String> {
        let list = self.entries.get(database)?;
        let next = match (self.cursor, older) {
            (None, true) => 0,
            (None, false) => return None,
            (Some(c), true) => (c + 1).min(list.len().saturating_sub(1)),
            (Some(0), false) => {
                self.cursor = None;
                return Some(String::new());
            }
            (Some(c), false) => c - 1,
        };
        self.cursor = Some(next);
        list.iter().rev().nth(next).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_persists_and_browses_per_database() {
        let dir = std::env::temp_dir().join(format!("drawbridge-history-{}", uuid::Uuid::new_v4()));
        let path = dir.join("history.json");
        let mut h = History::load(Some(path.clone()));
        h.push("shop", "SELECT 1");
        h.push("shop", "SELECT 2");
        h.push("hr", "SELECT 3");
        h.push("shop", "SELECT 1");
        let mut again = History::load(Some(path));
        assert_eq!(again.step("shop", true).as_deref(), Some("SELECT 1"));
        assert_eq!(again.step("shop", true).as_deref(), Some("SELECT 2"));
        assert_eq!(
            again.step("shop", true).as_deref(),
            Some("SELECT 2"),
            "stops at the oldest"
        );
        assert_eq!(again.step("shop", false).as_deref(), Some("SELECT 1"));
        assert_eq!(
            again.step("shop", false).as_deref(),
            Some(""),
            "past the newest: an empty editor"
        );
        assert_eq!(again.step("nope", true), None);
        let _ = std::fs::remove_dir_all(dir);
    }
}
