//! A token-level scan of the raw text, before any parser is trusted. It reads
//! quotes and comments exactly as MariaDB does with the broker's pinned
//! sql_mode: '…' and "…" are strings with backslash escapes, `…` is an
//! identifier, `#` and `-- ` start line comments, /* */ block comments.

use super::{DenyCode, Verdict};

const SYSTEM_SCHEMAS: [&str; 4] = ["mysql", "information_schema", "performance_schema", "sys"];

/// Denies what must never reach the parser; Ok when the text may be parsed.
pub fn scan(sql: &str) -> Result<(), Verdict> {
    let b = sql.as_bytes();
    if b.contains(&0) {
        return Err(Verdict::deny(
            DenyCode::NulByte,
            "the statement contains a NUL byte",
        ));
    }
    let mut i = 0;
    // The last identifier seen and where it ended, to catch `mysql.user`.
    let mut last_word: Option<(String, usize)> = None;
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' => {
                i = skip_string(b, i);
                last_word = None;
            }
            b'`' => {
                let Some(close) = closing_backtick(b, i) else {
                    return Err(Verdict::deny(
                        DenyCode::ParseError,
                        "an unterminated `quoted identifier`",
                    ));
                };
                last_word = Some((sql[i + 1..close].replace("``", "`"), close + 1));
                i = close + 1;
            }
            b'#' => i = skip_line(b, i),
            b'-' if b.get(i + 1) == Some(&b'-') => {
                match b.get(i + 2) {
                    // `--` then whitespace or a control character (or the end): a comment.
                    None => i = b.len(),
                    Some(c) if c.is_ascii_whitespace() || c.is_ascii_control() => {
                        i = skip_line(b, i)
                    }
                    Some(_) => {
                        return Err(Verdict::deny(
                            DenyCode::AmbiguousComment,
                            "`--` must be followed by a space to be a comment; otherwise MariaDB reads it as two minus signs",
                        ));
                    }
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let rest = &b[i + 2..];
                if rest.starts_with(b"!") || rest.starts_with(b"M!") {
                    return Err(Verdict::deny(
                        DenyCode::ExecutableComment,
                        "executable comments (/*! … */, /*M! … */) are not allowed: MariaDB runs what they contain",
                    ));
                }
                if rest.starts_with(b"+") {
                    return Err(Verdict::deny(
                        DenyCode::OptimizerHint,
                        "optimizer hints (/*+ … */) are not allowed",
                    ));
                }
                i = match find(b, i + 2, b"*/") {
                    Some(end) => end + 2,
                    // Unterminated: MariaDB would reject it; so do we.
                    None => {
                        return Err(Verdict::deny(
                            DenyCode::ParseError,
                            "an unterminated /* comment",
                        ));
                    }
                };
            }
            b'.' => {
                if let Some((word, end)) = &last_word
                    && *end == i
                    && is_system_schema(word)
                {
                    return Err(system_schema(word));
                }
                i += 1;
                last_word = None;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80 => {
                let start = i;
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric()
                        || b[i] == b'_'
                        || b[i] == b'$'
                        || b[i] >= 0x80)
                {
                    i += 1;
                }
                last_word = Some((sql[start..i].to_owned(), i));
            }
            c if c.is_ascii_whitespace() => {
                // `mysql . user` is also a qualified name: keep the word across spaces.
                if let Some((w, end)) = last_word.take() {
                    last_word = (end == i).then_some((w, i + 1));
                }
                i += 1;
            }
            _ => {
                i += 1;
                last_word = None;
            }
        }
    }
    Ok(())
}

fn is_system_schema(word: &str) -> bool {
    SYSTEM_SCHEMAS.iter().any(|s| s.eq_ignore_ascii_case(word))
}

fn system_schema(word: &str) -> Verdict {
    Verdict::deny(
        DenyCode::SystemSchema,
        format!(
            "the system schema {word} is off limits; the schema browser shows your tables and columns"
        ),
    )
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn skip_line(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| i + p + 1)
}

/// Past the closing quote of a '…' or "…" string (backslash escapes, doubled quotes).
fn skip_string(b: &[u8], start: usize) -> usize {
    let quote = b[start];
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            c if c == quote && b.get(i + 1) == Some(&quote) => i += 2,
            c if c == quote => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// The closing backtick of a `…` identifier (doubled backticks escape).
fn closing_backtick(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < b.len() {
        if b[i] == b'`' {
            if b.get(i + 1) == Some(&b'`') {
                i += 2;
                continue;
            }
            return Some(i);
        }
        i += 1;
    }
    None
}
