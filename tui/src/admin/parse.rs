//! What admins type into one-line fields, parsed: times, test specs, values.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use drawbridge_shared::api::secrets::{SecretTest, SmtpTls};

/// `30m`, `12h`, `7d`, `2w` (optionally with a leading `+`) as a duration.
fn relative(text: &str) -> Option<Duration> {
    let text = text.strip_prefix('+').unwrap_or(text);
    let (n, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = n.parse().ok()?;
    match unit {
        "m" | "min" => Duration::try_minutes(n),
        "h" => Duration::try_hours(n),
        "d" => Duration::try_days(n),
        "w" => Duration::try_weeks(n),
        _ => None,
    }
}

/// A point in time: RFC 3339, a date (midnight UTC), or relative to `now`
/// (`+30d` ahead for expiries, `-`/plain for "since" filters is the caller's choice).
fn absolute(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// An expiry: empty clears it; `30d` / `+12h` from now; a date or RFC 3339 time.
pub fn expiry(text: &str, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let at = relative(text)
        .map(|d| now + d)
        .or_else(|| absolute(text))
        .ok_or_else(|| format!("'{text}' is not a time: use 30d, 12h, 2027-01-31 or RFC 3339"))?;
    if at <= now {
        return Err("the expiry must be in the future".into());
    }
    Ok(Some(at))
}

/// A "since" filter: empty is none; `15m` / `2h` / `1d` ago; a date or RFC 3339 time.
pub fn since(text: &str, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    relative(text.trim_start_matches('-'))
        .map(|d| now - d)
        .or_else(|| absolute(text))
        .map(Some)
        .ok_or_else(|| format!("'{text}' is not a time: use 15m, 2h, 1d, 2026-11-01 or RFC 3339"))
}

fn host_port(text: &str) -> Result<(String, u16), String> {
    let (host, port) = text
        .rsplit_once(':')
        .ok_or_else(|| format!("'{text}' needs HOST:PORT"))?;
    let port = port
        .parse()
        .map_err(|_| format!("'{port}' is not a port"))?;
    Ok((host.to_owned(), port))
}

/// How a secret is tested, in one line:
/// `http URL [BASIC_USER]`, `mysql HOST:PORT USER`, `smtp HOST:PORT USER [none|starttls|tls]`.
pub fn test_spec(text: &str) -> Result<Option<SecretTest>, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let usage =
        "test: http URL [USER] | mysql HOST:PORT USER | smtp HOST:PORT USER [none|starttls|tls]";
    let test = match words.as_slice() {
        [] => return Ok(None),
        ["http", url] | ["http", url, _] => {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!("'{url}' is not an http(s) URL"));
            }
            SecretTest::Http {
                url: (*url).to_owned(),
                basic_user: words.get(2).map(|u| (*u).to_owned()),
            }
        }
        ["mysql", addr, user] => {
            let (host, port) = host_port(addr)?;
            SecretTest::Mysql {
                host,
                port,
                user: (*user).to_owned(),
            }
        }
        ["smtp", addr, user] | ["smtp", addr, user, _] => {
            let (host, port) = host_port(addr)?;
            let tls = match words.get(3).copied() {
                None | Some("starttls") => SmtpTls::Starttls,
                Some("none") => SmtpTls::None,
                Some("tls") => SmtpTls::Tls,
                Some(other) => return Err(format!("'{other}' is not none, starttls or tls")),
            };
            SecretTest::Smtp {
                host,
                port,
                user: (*user).to_owned(),
                tls,
            }
        }
        _ => return Err(usage.into()),
    };
    Ok(Some(test))
}

/// The one-line form of a test spec (what `test_spec` reads back).
pub fn test_line(test: &SecretTest) -> String {
    match test {
        SecretTest::Http { url, basic_user } => match basic_user {
            Some(u) => format!("http {url} {u}"),
            None => format!("http {url}"),
        },
        SecretTest::Mysql { host, port, user } => format!("mysql {host}:{port} {user}"),
        SecretTest::Smtp {
            host,
            port,
            user,
            tls,
        } => {
            let tls = match tls {
                SmtpTls::None => "none",
                SmtpTls::Starttls => "starttls",
                SmtpTls::Tls => "tls",
            };
            format!("smtp {host}:{port} {user} {tls}")
        }
    }
}

/// A setting's new value: JSON where it parses (`5000`, `true`), else a string.
pub fn setting_value(text: &str) -> serde_json::Value {
    let text = text.trim();
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-23T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn expiries_relative_dates_and_errors() {
        assert_eq!(expiry("", now()), Ok(None));
        assert_eq!(
            expiry("30d", now()).unwrap().unwrap().to_rfc3339(),
            "2026-12-23T12:00:00+00:00"
        );
        assert_eq!(
            expiry("+12h", now()).unwrap().unwrap().to_rfc3339(),
            "2026-11-24T00:00:00+00:00"
        );
        assert_eq!(
            expiry("2027-01-31", now()).unwrap().unwrap().to_rfc3339(),
            "2027-01-31T00:00:00+00:00"
        );
        assert!(expiry("2020-01-01", now()).unwrap_err().contains("future"));
        assert!(expiry("soon", now()).unwrap_err().contains("not a time"));
        assert!(
            expiry("99999999999999d", now()).is_err(),
            "no overflow panic"
        );
    }

    #[test]
    fn since_goes_back() {
        assert_eq!(
            since("15m", now()).unwrap().unwrap().to_rfc3339(),
            "2026-11-23T11:45:00+00:00"
        );
        assert_eq!(since(" ", now()), Ok(None));
        assert!(since("yesterday", now()).is_err());
    }

    #[test]
    fn test_specs_round_trip() {
        for line in [
            "http https://api.example/v1/ping",
            "http https://api.example/v1/ping deploy",
            "mysql 127.0.0.1:3306 app",
            "smtp mail.example:587 noreply starttls",
            "smtp 127.0.0.1:2525 noreply none",
        ] {
            let test = test_spec(line).unwrap().unwrap();
            assert_eq!(test_line(&test), line);
        }
        assert_eq!(test_spec("  "), Ok(None));
        assert!(test_spec("ftp x").unwrap_err().starts_with("test:"));
        assert!(
            test_spec("mysql host user")
                .unwrap_err()
                .contains("HOST:PORT")
        );
        assert!(test_spec("http ftp://x").unwrap_err().contains("URL"));
    }

    #[test]
    fn setting_values_are_json_or_text() {
        assert_eq!(setting_value("5000"), serde_json::json!(5000));
        assert_eq!(setting_value("true"), serde_json::json!(true));
        assert_eq!(setting_value("lots"), serde_json::json!("lots"));
    }
}
