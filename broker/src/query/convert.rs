//! MySQL values to JSON, faithfully: DECIMAL as a string (no float rounding),
//! dates and times ISO 8601, JSON as JSON, binary as base64, NULL as null.
//!
//! The wire marks binary strings and text in a binary collation (utf8mb4_bin,
//! which MariaDB's JSON type uses) alike, and sqlx does not expose the
//! charset that tells them apart. So in columns flagged `binary`, a value
//! that is UTF-8 comes as text (or as JSON when it is a JSON object or
//! array), and any other value as `{"base64": "…"}` — never lossy.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use drawbridge_shared::api::query::Column;
use serde_json::Value;
use sqlx::mysql::{MySqlRow, MySqlTypeInfo};
use sqlx::{Column as _, Row, TypeInfo, ValueRef};

/// How a column's values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Signed,
    Unsigned,
    Float,
    Double,
    /// Sent as text by the server: DECIMAL.
    Text,
    Json,
    Date,
    DateTime,
    Timestamp,
    Time,
    Binary,
    Str,
}

fn kind(type_info: &MySqlTypeInfo) -> Kind {
    let name = type_info.name();
    let unsigned = name.contains("UNSIGNED");
    match name.split_whitespace().next().unwrap_or("") {
        "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "BIGINT" | "YEAR" | "BOOLEAN"
            if unsigned =>
        {
            Kind::Unsigned
        }
        "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "BIGINT" | "YEAR" | "BOOLEAN" => {
            Kind::Signed
        }
        "BIT" => Kind::Unsigned,
        "FLOAT" => Kind::Float,
        "DOUBLE" => Kind::Double,
        "DECIMAL" => Kind::Text,
        "JSON" => Kind::Json,
        "DATE" => Kind::Date,
        "DATETIME" => Kind::DateTime,
        "TIMESTAMP" => Kind::Timestamp,
        "TIME" => Kind::Time,
        "BINARY" | "VARBINARY" | "BLOB" | "TINYBLOB" | "MEDIUMBLOB" | "LONGBLOB" | "GEOMETRY" => {
            Kind::Binary
        }
        _ => Kind::Str,
    }
}

pub fn columns(row: &MySqlRow) -> Vec<Column> {
    row.columns()
        .iter()
        .map(|c| Column {
            name: c.name().to_owned(),
            type_name: c.type_info().name().to_owned(),
            binary: kind(c.type_info()) == Kind::Binary,
        })
        .collect()
}

/// How each column of a result is read: worked out once per query, not per cell.
pub fn kinds(row: &MySqlRow) -> Vec<Kind> {
    row.columns().iter().map(|c| kind(c.type_info())).collect()
}

/// One row as JSON values. A value that cannot be read is an error, never a guess.
pub fn row_values(row: &MySqlRow, kinds: &[Kind]) -> Result<Vec<Value>, sqlx::Error> {
    kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| value(row, i, *kind))
        .collect()
}

/// `2024-02-29T23:59:58.123`: the fraction only as long as it needs (3, 6 or 9
/// digits), like chrono's `%.f`, without parsing a format string per cell.
fn iso_datetime(t: &NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write;
    let mut out = String::with_capacity(29);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let nanos = t.nanosecond() % 1_000_000_000;
    let _ = match nanos {
        0 => Ok(()),
        n if n % 1_000_000 == 0 => write!(out, ".{:03}", n / 1_000_000),
        n if n % 1_000 == 0 => write!(out, ".{:06}", n / 1_000),
        n => write!(out, ".{n:09}"),
    };
    out
}

fn value(row: &MySqlRow, i: usize, kind: Kind) -> Result<Value, sqlx::Error> {
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(Value::Null);
    }
    Ok(match kind {
        Kind::Signed => Value::from(row.try_get_unchecked::<i64, _>(i)?),
        Kind::Unsigned => Value::from(row.try_get_unchecked::<u64, _>(i)?),
        Kind::Float => float(f64::from(row.try_get_unchecked::<f32, _>(i)?)),
        Kind::Double => float(row.try_get_unchecked::<f64, _>(i)?),
        Kind::Text => Value::String(
            String::from_utf8_lossy(row.try_get_unchecked::<&[u8], _>(i)?).into_owned(),
        ),
        Kind::Json => {
            let bytes = row.try_get_unchecked::<&[u8], _>(i)?;
            serde_json::from_slice(bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
        }
        Kind::Date => match row.try_get_unchecked::<NaiveDate, _>(i) {
            Ok(d) => Value::String(d.to_string()),
            Err(_) => Value::String("0000-00-00".into()),
        },
        Kind::DateTime => match row.try_get_unchecked::<NaiveDateTime, _>(i) {
            Ok(t) => Value::String(iso_datetime(&t)),
            Err(_) => Value::String("0000-00-00T00:00:00".into()),
        },
        Kind::Timestamp => match row.try_get_unchecked::<DateTime<Utc>, _>(i) {
            Ok(t) => Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
            Err(_) => Value::String("0000-00-00T00:00:00Z".into()),
        },
        // TIME spans -838:59:59..838:59:59: not a time of day.
        Kind::Time => Value::String(
            row.try_get_unchecked::<sqlx::mysql::types::MySqlTime, _>(i)?
                .to_string(),
        ),
        Kind::Binary => binary_value(row.try_get_unchecked::<&[u8], _>(i)?),
        Kind::Str => {
            let bytes = row.try_get_unchecked::<&[u8], _>(i)?;
            match std::str::from_utf8(bytes) {
                Ok(s) => Value::String(s.to_owned()),
                Err(_) => Value::String(STANDARD.encode(bytes)),
            }
        }
    })
}

fn binary_value(bytes: &[u8]) -> Value {
    match std::str::from_utf8(bytes) {
        Ok(text) => match serde_json::from_str::<Value>(text) {
            Ok(json @ (Value::Object(_) | Value::Array(_))) => json,
            _ => Value::String(text.to_owned()),
        },
        Err(_) => serde_json::json!({"base64": STANDARD.encode(bytes)}),
    }
}

fn float(f: f64) -> Value {
    serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDateTime;

    #[test]
    fn datetimes_print_like_chrono_percent_dot_f() {
        for text in [
            "2024-02-29 23:59:58",
            "2024-02-29 23:59:58.123",
            "2024-02-29 23:59:58.123456",
            "0001-01-01 00:00:00.000001",
            "9999-12-31 23:59:59.999999999",
        ] {
            let t = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").unwrap();
            assert_eq!(
                super::iso_datetime(&t),
                t.format("%Y-%m-%dT%H:%M:%S%.f").to_string()
            );
        }
    }
}
