//! A typed client of the broker's API. Every call answers the wire type or a
//! `ClientError` carrying the broker's stable error code.

use std::time::Duration;

use drawbridge_shared::ApiError;
use drawbridge_shared::api::access::{
    AccessRequest, CreateAccessRequest, DatabaseInfo, DecisionRequest, Grant,
};
use drawbridge_shared::api::auth::{LoginRequest, LoginResponse};
use drawbridge_shared::api::query::{QueryRequest, QueryResult, SchemaResponse};
use reqwest::{Method, RequestBuilder};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

mod admin;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} ({code})")]
pub struct ClientError {
    /// The broker's error code, or `unreachable` / `bad_response` for transport failures.
    pub code: String,
    pub message: String,
}

impl ClientError {
    fn transport(e: reqwest::Error) -> Self {
        Self {
            code: "unreachable".into(),
            message: format!("cannot reach the broker: {}", e.without_url()),
        }
    }
}

/// TLS material for an HTTPS or mTLS broker.
#[derive(Debug, Clone, Default)]
pub struct TlsFiles {
    pub ca_cert: Option<String>,
    pub client_cert: Option<String>,
    pub client_key: Option<String>,
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
    origin: Option<String>,
}

impl Client {
    pub fn new(base: &str, tls: &TlsFiles) -> anyhow::Result<Self> {
        let mut builder = reqwest::Client::builder()
            .user_agent(format!("drawbridge-tui/{}", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(5));
        if let Some(ca) = &tls.ca_cert {
            builder =
                builder.add_root_certificate(reqwest::Certificate::from_pem(&std::fs::read(ca)?)?);
        }
        if let (Some(cert), Some(key)) = (&tls.client_cert, &tls.client_key) {
            let mut pem = std::fs::read(cert)?;
            pem.extend(std::fs::read(key)?);
            builder = builder.identity(reqwest::Identity::from_pem(&pem)?);
        }
        // The SSH origin, for the audit trail (SSH_CLIENT = "addr port port").
        let origin = std::env::var("SSH_CLIENT")
            .ok()
            .and_then(|s| s.split_whitespace().next().map(str::to_owned));
        Ok(Self {
            http: builder.build()?,
            base: base.trim_end_matches('/').to_owned(),
            token: None,
            origin,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn set_token(&mut self, token: Option<String>) {
        self.token = token;
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(o) = &self.origin {
            req = req.header("x-drawbridge-origin", o);
        }
        req
    }

    async fn send<T: DeserializeOwned>(&self, req: RequestBuilder) -> Result<T, ClientError> {
        let resp = req.send().await.map_err(ClientError::transport)?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(ClientError::transport)?;
        if !status.is_success() {
            return Err(match serde_json::from_slice::<ApiError>(&bytes) {
                Ok(e) => {
                    let code = e.error.gate_code.map(|g| {
                        format!(
                            "gate_denied/{}",
                            serde_json::to_value(g)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_owned))
                                .unwrap_or_default()
                        )
                    });
                    ClientError {
                        code: code.unwrap_or_else(|| e.error.code.to_string()),
                        message: e.error.message,
                    }
                }
                Err(_) => ClientError {
                    code: "bad_response".into(),
                    message: format!("HTTP {status}"),
                },
            });
        }
        let bytes = if bytes.is_empty() {
            &b"null"[..]
        } else {
            &bytes[..]
        };
        serde_json::from_slice(bytes).map_err(|e| ClientError {
            code: "bad_response".into(),
            message: e.to_string(),
        })
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn login(
        &self,
        username: &str,
        password: &str,
    ) -> Result<LoginResponse, ClientError> {
        let body = LoginRequest {
            username: username.into(),
            password: password.into(),
        };
        self.post("/v1/auth/login", &body).await
    }

    pub async fn logout(&self) -> Result<(), ClientError> {
        self.send::<serde_json::Value>(self.request(Method::POST, "/v1/auth/logout"))
            .await
            .map(drop)
    }

    pub async fn databases(&self) -> Result<Vec<DatabaseInfo>, ClientError> {
        self.get("/v1/databases").await
    }

    pub async fn my_requests(&self) -> Result<Vec<AccessRequest>, ClientError> {
        self.get("/v1/access-requests?mine=true").await
    }

    pub async fn pending_queue(&self) -> Result<Vec<AccessRequest>, ClientError> {
        self.get("/v1/access-requests?state=pending").await
    }

    pub async fn my_grants(&self) -> Result<Vec<Grant>, ClientError> {
        self.get("/v1/grants").await
    }

    pub async fn request_access(
        &self,
        database: &str,
        reason: &str,
        duration_seconds: u64,
    ) -> Result<AccessRequest, ClientError> {
        let body = CreateAccessRequest {
            database: database.into(),
            reason: reason.into(),
            duration_seconds: Some(duration_seconds),
        };
        self.post("/v1/access-requests", &body).await
    }

    pub async fn decide(
        &self,
        id: Uuid,
        approve: bool,
        comment: Option<String>,
        duration_seconds: Option<u64>,
    ) -> Result<AccessRequest, ClientError> {
        let verb = if approve { "approve" } else { "deny" };
        self.post(
            &format!("/v1/access-requests/{id}/{verb}"),
            &DecisionRequest {
                comment,
                duration_seconds,
            },
        )
        .await
    }

    pub async fn schema(&self, grant: Uuid) -> Result<SchemaResponse, ClientError> {
        self.get(&format!("/v1/grants/{grant}/schema")).await
    }

    pub async fn revoke(&self, grant: Uuid) -> Result<Grant, ClientError> {
        self.post(
            &format!("/v1/grants/{grant}/revoke"),
            &serde_json::json!({}),
        )
        .await
    }

    pub async fn query(&self, req: &QueryRequest) -> Result<QueryResult, ClientError> {
        self.post("/v1/queries", req).await
    }

    pub async fn cancel(&self, query_id: Uuid) -> Result<(), ClientError> {
        self.send::<serde_json::Value>(
            self.request(Method::DELETE, &format!("/v1/queries/{query_id}")),
        )
        .await
        .map(drop)
    }
}
