use std::collections::HashMap;

use drawbridge_broker::auth::{password, users};
use drawbridge_broker::config::Config;
use drawbridge_broker::server::{self, RunningBroker};
use drawbridge_broker::state::AppState;
use drawbridge_shared::Role;
use drawbridge_shared::api::auth::LoginResponse;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tempfile::TempDir;

use super::Services;

/// The config every test broker starts from; tests override keys through the
/// same `DRAWBRIDGE_*` variables users have.
fn base_config(store: &str, vault_addr: &str, databases: &str) -> String {
    format!(
        r#"
listen = "127.0.0.1:0"
[store]
path = "{store}"
[auth]
session_ttl_seconds = 3600
idle_timeout_seconds = 600
lockout_threshold = 5
lockout_address_threshold = 1000
lockout_window_seconds = 300
[http]
request_timeout_seconds = 30
max_body_bytes = 65536
[tls]
cert = ""
key = ""
client_ca = ""
allow_plaintext = true
[vault]
addr = "{vault_addr}"
[query]
row_cap = 10000
statement_timeout_ms = 30000
stream_batch_rows = 500
[access]
pending_request_ttl_seconds = 3600
reason_min_length = 10
lease_check_interval_ms = 200
{databases}
"#
    )
}

/// The config file text of a test broker (for a broker run as a process).
pub fn config_text(store: &str, vault_addr: &str, databases: &str) -> String {
    base_config(store, vault_addr, databases)
}

/// A broker started in this process on a free port with a store in a temp dir.
pub struct TestBroker {
    pub url: String,
    pub state: AppState,
    pub dir: TempDir,
    pub http: reqwest::Client,
    /// Serving until the test's runtime ends.
    _running: RunningBroker,
}

impl TestBroker {
    pub async fn start(services: &Services) -> Self {
        Self::start_with(services, &[]).await
    }

    /// Starts with `DRAWBRIDGE_*` overrides, e.g. `("DRAWBRIDGE_AUTH_LOCKOUT_THRESHOLD", "2")`.
    pub async fn start_with(services: &Services, overrides: &[(&str, &str)]) -> Self {
        Self::start_full(services, overrides, "").await
    }

    /// Starts with overrides and `[[databases]]` entries.
    pub async fn start_full(
        services: &Services,
        overrides: &[(&str, &str)],
        databases: &str,
    ) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut env: HashMap<String, String> = overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        env.insert("VAULT_TOKEN".into(), services.vault_root_token.clone());
        env.entry(drawbridge_broker::secrets::keyring::MASTER_KEYS_VAR.into())
            .or_insert_with(drawbridge_broker::secrets::keyring::generate_key);
        let store = dir.path().join("broker.sqlite");
        let text = base_config(store.to_str().unwrap(), &services.vault_addr, databases);
        let config = Config::from_toml(&text, dir.path(), &env).expect("test config");
        let scheme = if config.tls.cert().is_some() {
            "https"
        } else {
            "http"
        };
        let running = server::start(config, &env).await.expect("start broker");
        Self {
            url: format!("{scheme}://{}", running.addr),
            state: running.state.clone(),
            dir,
            http: reqwest::Client::builder()
                .user_agent("drawbridge-tests")
                .build()
                .unwrap(),
            _running: running,
        }
    }

    pub async fn add_user(&self, name: &str, roles: &[Role], pw: &str) {
        let hash = password::hash(pw).unwrap();
        users::add(&self.state.pool, name, roles, Some(hash))
            .await
            .expect("add user");
    }

    /// Sends a request; answers the status and the JSON body (Null when empty or not JSON).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let bytes = resp.bytes().await.expect("body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn login(&self, name: &str, pw: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/v1/auth/login",
                None,
                Some(serde_json::json!({"username": name, "password": pw})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login {name}: {body}");
        let login: LoginResponse = serde_json::from_value(body).unwrap();
        login.token
    }
}

/// The error code of an error body.
pub fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<no error code>")
}
