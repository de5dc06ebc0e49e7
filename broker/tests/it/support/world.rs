//! A broker serving one test database `db1` through its own Vault mount,
//! with the users alice and dave (user), bob (approver) and carol (admin).

use std::time::Duration;

use drawbridge_shared::Role;
use drawbridge_shared::api::access::{AccessRequest, Grant};
use reqwest::StatusCode;
use serde_json::json;

use super::{Services, TestBroker, TestDatabase, TestVault};

/// The password of every user a World creates.
pub const PW: &str = "correct horse battery";

/// How a World differs from the plain one.
#[derive(Default)]
pub struct Setup<'a> {
    /// Where the broker reaches MariaDB, e.g. a `TcpProxy`'s port.
    pub mysql_port: Option<u16>,
    /// `DRAWBRIDGE_*` overrides of the broker's config.
    pub overrides: &'a [(&'a str, &'a str)],
}

/// A broker serving one test database `db1` (approvers: approver, admin).
pub struct World {
    pub db: TestDatabase,
    pub vault: TestVault,
    pub b: TestBroker,
}

impl World {
    pub async fn new(default_ttl: u64, max_ttl: u64, max_duration: u64) -> Self {
        Self::build(default_ttl, max_ttl, max_duration, &Setup::default()).await
    }

    pub async fn build(
        default_ttl: u64,
        max_ttl: u64,
        max_duration: u64,
        setup: &Setup<'_>,
    ) -> Self {
        let services = Services::from_state();
        let db = TestDatabase::create(&services).await;
        let vault = TestVault::mount_with_ttl(&services, &db, default_ttl, max_ttl).await;
        let mut entry = vault.database_entry(
            &services,
            "db1",
            &db,
            "required",
            "\"approver\", \"admin\"",
            max_duration,
        );
        if let Some(port) = setup.mysql_port {
            // The broker reaches MariaDB there (a proxy); Vault still goes direct.
            entry = entry.replace(
                &format!("port = {}", services.mysql_port),
                &format!("port = {port}"),
            );
        }
        let b = TestBroker::start_full(&services, setup.overrides, &entry).await;
        b.add_user("alice", &[Role::User], PW).await;
        b.add_user("dave", &[Role::User], PW).await;
        b.add_user("bob", &[Role::User, Role::Approver], PW).await;
        b.add_user("carol", &[Role::User, Role::Admin], PW).await;
        Self { db, vault, b }
    }

    pub async fn request(&self, token: &str, duration: u64) -> AccessRequest {
        let (status, body) = self
            .b
            .post("/v1/access-requests", token, json!({"database": "db1", "reason": "investigate ticket OPS-1234", "duration_seconds": duration}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        serde_json::from_value(body).unwrap()
    }

    pub async fn approve(&self, token: &str, id: uuid::Uuid) -> (StatusCode, serde_json::Value) {
        self.b
            .post(
                &format!("/v1/access-requests/{id}/approve"),
                token,
                json!({"comment": "ok"}),
            )
            .await
    }

    pub async fn grant(&self, token: &str, id: uuid::Uuid) -> Grant {
        let (status, body) = self.b.get(&format!("/v1/grants/{id}"), token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        serde_json::from_value(body).unwrap()
    }

    pub async fn users(&self) -> i64 {
        self.db.users_like(&self.vault.user_prefix()).await
    }

    pub async fn wait_users(&self, want: i64, within: Duration) -> i64 {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let n = self.users().await;
            if n == want || tokio::time::Instant::now() >= deadline {
                return n;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn actions(&self) -> Vec<String> {
        sqlx::query_scalar("SELECT action FROM audit_events ORDER BY seq")
            .fetch_all(&self.b.state.pool)
            .await
            .unwrap()
    }
}
