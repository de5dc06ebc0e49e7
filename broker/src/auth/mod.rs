//! Users, passwords, sessions and login throttling.

pub mod password;
pub mod sessions;
pub mod throttle;
pub mod users;

use chrono::Duration;
use drawbridge_shared::api::audit::Outcome;
use drawbridge_shared::api::auth::{LoginRequest, LoginResponse, UserInfo};
use serde_json::json;

pub use sessions::Principal;

use crate::audit::{AuditError, NewEvent};
use crate::client::ClientInfo;
use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("wrong user name or password")]
    InvalidCredentials,
    #[error("too many failed logins; try again later")]
    Locked,
    #[error("{0}")]
    BadInput(&'static str),
    #[error(transparent)]
    Store(#[from] sqlx::Error),
    #[error(transparent)]
    Audit(#[from] AuditError),
}

const MAX_PASSWORD_BYTES: usize = 1024;

impl AppState {
    pub fn throttle_limits(&self) -> throttle::Limits {
        let auth = &self.config.auth;
        throttle::Limits {
            per_name: auth.lockout_threshold,
            per_address: auth.lockout_address_threshold,
            window: Duration::seconds(auth.lockout_window_seconds as i64),
        }
    }

    /// Password login. A wrong password, an unknown user, a disabled user and
    /// a passwordless (service) account all answer the same and cost one
    /// argon2 verification each.
    pub async fn login(
        &self,
        req: LoginRequest,
        client: &ClientInfo,
    ) -> Result<LoginResponse, LoginError> {
        if req.username.is_empty() || req.username.len() > 64 {
            return Err(LoginError::BadInput("username must be 1–64 characters"));
        }
        if req.password.len() > MAX_PASSWORD_BYTES {
            return Err(LoginError::BadInput("password is too long"));
        }
        let event = |outcome| {
            NewEvent::new(req.username.clone(), "auth.login", outcome)
                .client(client.addr.clone(), client.user_agent.clone())
                .details(json!({"origin": client.origin}))
        };
        let limits = self.throttle_limits();
        if throttle::is_locked(&self.pool, limits, &req.username, client.addr.as_deref()).await? {
            self.audit
                .append(event(Outcome::Denied).reason("locked out"))
                .await?;
            return Err(LoginError::Locked);
        }
        let user = users::find(&self.pool, &req.username).await?;
        let stored = user.as_ref().and_then(|u| u.password_hash.clone());
        let password = req.password.clone();
        let mut verified =
            tokio::task::spawn_blocking(move || password::verify(stored.as_deref(), &password))
                .await
                .unwrap_or(false);
        // Service accounts have no password: they present the token `user token` issued.
        if let Some(u) = user
            .as_ref()
            .filter(|u| u.password_hash.is_none() && u.has_role(drawbridge_shared::Role::Service))
        {
            let stored: Option<String> =
                sqlx::query_scalar("SELECT token_hash FROM service_accounts WHERE user_id = ?")
                    .bind(&u.id)
                    .fetch_optional(&self.pool)
                    .await?;
            verified = stored.is_some_and(|h| h == sessions::hash_token(&req.password));
        }
        let user = match user {
            Some(u) if verified && !u.disabled => u,
            _ => {
                throttle::record_failure(&self.pool, limits, &req.username, client.addr.as_deref())
                    .await?;
                self.audit
                    .append(event(Outcome::Denied).reason("invalid credentials"))
                    .await?;
                return Err(LoginError::InvalidCredentials);
            }
        };
        throttle::clear_name(&self.pool, &user.name).await?;
        let ttl = Duration::seconds(self.config.auth.session_ttl_seconds as i64);
        let session = sessions::create(
            &self.pool,
            &user.id,
            ttl,
            client.addr.as_deref(),
            client.user_agent.as_deref(),
        )
        .await?;
        self.audit.append(event(Outcome::Ok)).await?;
        Ok(LoginResponse {
            token: session.token,
            expires_at: session.expires_at,
            user: UserInfo {
                name: user.name,
                roles: user.roles,
            },
        })
    }
}
