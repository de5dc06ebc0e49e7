//! The admin half of the API: secrets, live settings and the audit log.

use chrono::{DateTime, Utc};
use drawbridge_shared::api::audit::{AuditPage, AuditQuery, AuditVerifyResponse};
use drawbridge_shared::api::secrets::{
    CreateSecret, SecretDetail, SecretMeta, SecretTestResult, SecretValue, SetExpiry, SetSetting,
    Setting, UpdateSecret,
};
use reqwest::Method;

use super::{Client, ClientError};

/// A secret's name as one URL path segment.
fn segment(name: &str) -> String {
    url_escape(name)
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Client {
    pub async fn secrets(&self) -> Result<Vec<SecretMeta>, ClientError> {
        self.get("/v1/secrets").await
    }

    pub async fn secret(&self, name: &str) -> Result<SecretDetail, ClientError> {
        self.get(&format!("/v1/secrets/{}", segment(name))).await
    }

    pub async fn create_secret(&self, body: &CreateSecret) -> Result<SecretDetail, ClientError> {
        self.post("/v1/secrets", body).await
    }

    pub async fn update_secret(
        &self,
        name: &str,
        body: &UpdateSecret,
    ) -> Result<SecretDetail, ClientError> {
        let path = format!("/v1/secrets/{}", segment(name));
        self.send(self.request(Method::PUT, &path).json(body)).await
    }

    pub async fn reveal_secret(&self, name: &str) -> Result<SecretValue, ClientError> {
        let path = format!("/v1/secrets/{}/reveal", segment(name));
        self.post(&path, &serde_json::json!({})).await
    }

    pub async fn test_secret(&self, name: &str) -> Result<SecretTestResult, ClientError> {
        let path = format!("/v1/secrets/{}/test", segment(name));
        self.post(&path, &serde_json::json!({})).await
    }

    pub async fn set_secret_active(
        &self,
        name: &str,
        active: bool,
    ) -> Result<SecretDetail, ClientError> {
        let verb = if active { "activate" } else { "deactivate" };
        let path = format!("/v1/secrets/{}/{verb}", segment(name));
        self.post(&path, &serde_json::json!({})).await
    }

    pub async fn set_secret_expiry(
        &self,
        name: &str,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<SecretDetail, ClientError> {
        let path = format!("/v1/secrets/{}/expiry", segment(name));
        let body = SetExpiry { expires_at };
        self.send(self.request(Method::PUT, &path).json(&body))
            .await
    }

    pub async fn delete_secret(&self, name: &str) -> Result<(), ClientError> {
        let path = format!("/v1/secrets/{}", segment(name));
        self.send::<serde_json::Value>(self.request(Method::DELETE, &path))
            .await
            .map(drop)
    }

    pub async fn settings(&self) -> Result<Vec<Setting>, ClientError> {
        self.get("/v1/settings").await
    }

    pub async fn set_setting(
        &self,
        key: &str,
        value: serde_json::Value,
    ) -> Result<Setting, ClientError> {
        let path = format!("/v1/settings/{}", segment(key));
        let body = SetSetting { value };
        self.send(self.request(Method::PUT, &path).json(&body))
            .await
    }

    pub async fn audit(&self, query: &AuditQuery) -> Result<AuditPage, ClientError> {
        self.send(self.request(Method::GET, "/v1/audit").query(query))
            .await
    }

    pub async fn audit_verify(&self) -> Result<AuditVerifyResponse, ClientError> {
        self.get("/v1/audit/verify").await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_one_path_segment() {
        assert_eq!(super::segment("smtp.main_1-a"), "smtp.main_1-a");
        assert_eq!(super::segment("../x y"), "..%2Fx%20y");
    }
}
