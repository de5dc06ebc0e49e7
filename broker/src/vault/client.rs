use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::Value;

/// Errors talking to Vault. Messages never contain a token or a credential.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("vault is unreachable: {0}")]
    Unreachable(String),
    #[error("vault refused {path}: HTTP {status}: {message}")]
    Refused {
        path: String,
        status: u16,
        message: String,
    },
    #[error("vault answered {path} with an unexpected body: {detail}")]
    BadResponse { path: String, detail: String },
}

impl VaultError {
    /// True when retrying later may succeed (Vault down, sealed, overloaded).
    pub fn is_transient(&self) -> bool {
        match self {
            VaultError::Unreachable(_) => true,
            VaultError::Refused { status, .. } => *status >= 500 || *status == 429,
            VaultError::BadResponse { .. } => false,
        }
    }
}

/// A Vault lease: its id is the only part of a grant's credentials we persist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub id: String,
    pub duration: Duration,
    pub renewable: bool,
}

/// Dynamic database credentials. The password never appears in `Debug`.
#[derive(Clone)]
pub struct DbCredentials {
    pub username: String,
    pub password: String,
    pub lease: Lease,
}

impl fmt::Debug for DbCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbCredentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("lease", &self.lease)
            .finish()
    }
}

/// A client of one Vault server. Clones share the token, which AppRole
/// re-login may replace.
#[derive(Clone)]
pub struct VaultClient {
    http: reqwest::Client,
    addr: String,
    token: Arc<RwLock<String>>,
}

/// What Vault says of the client's own token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub ttl: Duration,
    pub renewable: bool,
}

impl fmt::Debug for VaultClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultClient")
            .field("addr", &self.addr)
            .field("token", &"<redacted>")
            .finish()
    }
}

#[derive(Deserialize)]
struct SecretResponse {
    #[serde(default)]
    lease_id: String,
    #[serde(default)]
    lease_duration: u64,
    #[serde(default)]
    renewable: bool,
    #[serde(default)]
    data: Value,
}

impl VaultClient {
    pub fn new(addr: &str, token: &str) -> Result<Self, VaultError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(3))
            .build()
            .map_err(|e| VaultError::Unreachable(e.to_string()))?;
        Ok(Self {
            http,
            addr: addr.trim_end_matches('/').to_owned(),
            token: Arc::new(RwLock::new(token.to_owned())),
        })
    }

    fn token(&self) -> String {
        self.token.read().map(|t| t.clone()).unwrap_or_default()
    }

    /// Logs in with AppRole and uses the token it answers from then on.
    pub async fn login_approle(
        &self,
        role_id: &str,
        secret_id: &str,
    ) -> Result<TokenInfo, VaultError> {
        let body = serde_json::json!({"role_id": role_id, "secret_id": secret_id});
        let answer = self
            .request(Method::POST, "auth/approle/login", Some(&body))
            .await?;
        let auth = &answer["auth"];
        let token = auth["client_token"]
            .as_str()
            .ok_or_else(|| VaultError::BadResponse {
                path: "auth/approle/login".into(),
                detail: "no client_token".into(),
            })?;
        if let Ok(mut t) = self.token.write() {
            *t = token.to_owned();
        }
        Ok(TokenInfo {
            ttl: Duration::from_secs(auth["lease_duration"].as_u64().unwrap_or(0)),
            renewable: auth["renewable"].as_bool().unwrap_or(false),
        })
    }

    /// TTL and renewability of our own token.
    pub async fn lookup_self(&self) -> Result<TokenInfo, VaultError> {
        let answer = self
            .request(Method::GET, "auth/token/lookup-self", None)
            .await?;
        Ok(TokenInfo {
            ttl: Duration::from_secs(answer["data"]["ttl"].as_u64().unwrap_or(0)),
            renewable: answer["data"]["renewable"].as_bool().unwrap_or(false),
        })
    }

    /// Renews our own token (periodic tokens get their period again).
    pub async fn renew_self(&self) -> Result<TokenInfo, VaultError> {
        let answer = self
            .request(
                Method::POST,
                "auth/token/renew-self",
                Some(&serde_json::json!({})),
            )
            .await?;
        Ok(TokenInfo {
            ttl: Duration::from_secs(answer["auth"]["lease_duration"].as_u64().unwrap_or(0)),
            renewable: answer["auth"]["renewable"].as_bool().unwrap_or(false),
        })
    }

    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Sends one request to `/v1/{path}` and returns the JSON body (`Null` when empty).
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, VaultError> {
        let url = format!("{}/v1/{}", self.addr, path.trim_start_matches('/'));
        let mut req = self
            .http
            .request(method, url)
            .header("X-Vault-Token", self.token());
        if let Some(body) = body {
            req = req.json(body);
        }
        // reqwest's error text names the URL but never our headers.
        let resp = req
            .send()
            .await
            .map_err(|e| VaultError::Unreachable(e.without_url().to_string()))?;
        let status = resp.status();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| VaultError::Unreachable(e.without_url().to_string()))?;
        if !status.is_success() {
            return Err(VaultError::Refused {
                path: path.to_owned(),
                status: status.as_u16(),
                message: vault_error_message(&bytes),
            });
        }
        if bytes.is_empty() || status == StatusCode::NO_CONTENT {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|e| VaultError::BadResponse {
            path: path.to_owned(),
            detail: e.to_string(),
        })
    }

    pub async fn write(&self, path: &str, body: &Value) -> Result<Value, VaultError> {
        self.request(Method::POST, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Result<(), VaultError> {
        self.request(Method::DELETE, path, None).await.map(drop)
    }

    /// `GET /v1/sys/health`: true when initialised, unsealed and active.
    pub async fn healthy(&self) -> bool {
        self.request(Method::GET, "sys/health", None).await.is_ok()
    }

    /// Reads `<mount>/creds/<role>`: Vault creates a database user and leases it.
    pub async fn database_credentials(
        &self,
        mount: &str,
        role: &str,
    ) -> Result<DbCredentials, VaultError> {
        let path = format!("{mount}/creds/{role}");
        let body = self.request(Method::GET, &path, None).await?;
        let secret: SecretResponse =
            serde_json::from_value(body).map_err(|e| VaultError::BadResponse {
                path: path.clone(),
                detail: e.to_string(),
            })?;
        let field = |name: &str| {
            secret.data[name]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| VaultError::BadResponse {
                    path: path.clone(),
                    detail: format!("no {name} in the secret"),
                })
        };
        if secret.lease_id.is_empty() {
            return Err(VaultError::BadResponse {
                path: path.clone(),
                detail: "the secret carries no lease".into(),
            });
        }
        Ok(DbCredentials {
            username: field("username")?,
            password: field("password")?,
            lease: Lease {
                id: secret.lease_id,
                duration: Duration::from_secs(secret.lease_duration),
                renewable: secret.renewable,
            },
        })
    }

    /// Extends a lease by `increment`; Vault may grant less (max_ttl).
    pub async fn renew_lease(
        &self,
        lease_id: &str,
        increment: Duration,
    ) -> Result<Lease, VaultError> {
        let body = serde_json::json!({"lease_id": lease_id, "increment": increment.as_secs()});
        let answer = self
            .request(Method::PUT, "sys/leases/renew", Some(&body))
            .await?;
        let secret: SecretResponse =
            serde_json::from_value(answer).map_err(|e| VaultError::BadResponse {
                path: "sys/leases/renew".into(),
                detail: e.to_string(),
            })?;
        Ok(Lease {
            id: secret.lease_id,
            duration: Duration::from_secs(secret.lease_duration),
            renewable: secret.renewable,
        })
    }

    /// Revokes a lease; Vault runs the role's revocation statements (DROP USER).
    /// Revoking a lease Vault no longer knows succeeds.
    pub async fn revoke_lease(&self, lease_id: &str) -> Result<(), VaultError> {
        let body = serde_json::json!({"lease_id": lease_id, "sync": true});
        self.request(Method::PUT, "sys/leases/revoke", Some(&body))
            .await
            .map(drop)
    }
}

fn vault_error_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Errors {
        errors: Vec<String>,
    }
    match serde_json::from_slice::<Errors>(body) {
        Ok(e) if !e.errors.is_empty() => e.errors.join("; "),
        _ => String::from_utf8_lossy(body).chars().take(200).collect(),
    }
}
