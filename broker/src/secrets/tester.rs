//! Testing that a secret works for its kind, with a short timeout, without
//! ever echoing the value.

use std::time::Duration;

use drawbridge_shared::api::secrets::{SecretTest, SecretTestResult, SmtpTls};
use sqlx::Connection;

const TIMEOUT: Duration = Duration::from_secs(5);

pub async fn run(test: &SecretTest, value: &str) -> SecretTestResult {
    let (ok, detail) = match test {
        SecretTest::Http { url, basic_user } => http(url, basic_user.as_deref(), value).await,
        SecretTest::Mysql { host, port, user } => mysql(host, *port, user, value).await,
        SecretTest::Smtp {
            host,
            port,
            user,
            tls,
        } => smtp(host, *port, user, *tls, value).await,
    };
    // A failure text from elsewhere could quote what it was sent.
    let detail = detail.replace(value, "<redacted>");
    SecretTestResult { ok, detail }
}

async fn http(url: &str, basic_user: Option<&str>, value: &str) -> (bool, String) {
    let client = match reqwest::Client::builder().timeout(TIMEOUT).build() {
        Ok(c) => c,
        Err(e) => return (false, e.to_string()),
    };
    let req = match basic_user {
        Some(user) => client.get(url).basic_auth(user, Some(value)),
        None => client.get(url).bearer_auth(value),
    };
    match req.send().await {
        Ok(resp) if resp.status().is_success() => (true, format!("HTTP {}", resp.status())),
        Ok(resp) => (false, format!("HTTP {}", resp.status())),
        Err(e) => (false, format!("request failed: {}", e.without_url())),
    }
}

async fn mysql(host: &str, port: u16, user: &str, value: &str) -> (bool, String) {
    let options = sqlx::mysql::MySqlConnectOptions::new()
        .host(host)
        .port(port)
        .username(user)
        .password(value);
    match tokio::time::timeout(TIMEOUT, sqlx::MySqlConnection::connect_with(&options)).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            (true, format!("connected to {host}:{port} as {user}"))
        }
        Ok(Err(e)) => (
            false,
            format!(
                "cannot connect: {}",
                e.as_database_error()
                    .map(|d| d.message().to_owned())
                    .unwrap_or_else(|| "connection failed".into())
            ),
        ),
        Err(_) => (false, "timed out".into()),
    }
}

/// Connects, greets and authenticates (lettre does AUTH while connecting).
async fn smtp(host: &str, port: u16, user: &str, tls: SmtpTls, value: &str) -> (bool, String) {
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::{AsyncSmtpTransport, Tokio1Executor};
    let builder = match tls {
        SmtpTls::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
            host,
        )),
        SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host),
        SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
    };
    let builder = match builder {
        Ok(b) => b,
        Err(e) => return (false, format!("cannot set up TLS for {host}: {e}")),
    };
    let transport: AsyncSmtpTransport<Tokio1Executor> = builder
        .port(port)
        .timeout(Some(TIMEOUT))
        .credentials(Credentials::new(user.to_owned(), value.to_owned()))
        .build();
    match tokio::time::timeout(TIMEOUT, transport.test_connection()).await {
        Ok(Ok(true)) => (true, format!("authenticated to {host}:{port} as {user}")),
        Ok(Ok(false)) => (false, format!("{host}:{port} did not answer")),
        Ok(Err(e)) => (false, format!("SMTP failed: {e}")),
        Err(_) => (false, "timed out".into()),
    }
}
