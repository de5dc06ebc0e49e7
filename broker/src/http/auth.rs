//! `/v1/auth/*` and `/v1/me`.

use axum::extract::State;
use axum::http::StatusCode;
use drawbridge_shared::ApiError;
use drawbridge_shared::api::audit::Outcome;
use drawbridge_shared::api::auth::{LoginRequest, LoginResponse, MeResponse, UserInfo};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::AppError;
use super::extract::{ApiJson, Auth};
use crate::audit::NewEvent;
use crate::auth::sessions;
use crate::client::ClientInfo;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
}

/// Log in with a user name and password; answers a bearer token.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse),
              (status = 401, description = "wrong user name or password (the same for an unknown user)", body = ApiError),
              (status = 429, description = "too many failed logins", body = ApiError)))]
async fn login(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<axum::Json<LoginResponse>, AppError> {
    Ok(axum::Json(state.login(req, &client).await?))
}

/// End the calling session.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ApiError)))]
async fn logout(
    State(state): State<AppState>,
    auth: Auth,
    client: ClientInfo,
) -> Result<StatusCode, AppError> {
    let p = auth.0;
    sessions::end(&state.pool, &p.token_hash).await?;
    state
        .audit
        .append(
            NewEvent::new(&p.name, "auth.logout", Outcome::Ok)
                .client(client.addr, client.user_agent),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who am I: the session's user and limits.
#[utoipa::path(get, path = "/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = 401, body = ApiError)))]
async fn me(State(state): State<AppState>, auth: Auth) -> axum::Json<MeResponse> {
    let p = auth.0;
    axum::Json(MeResponse {
        user: UserInfo {
            name: p.name,
            roles: p.roles,
        },
        session_expires_at: p.session_expires_at,
        idle_timeout_seconds: state.config.auth.idle_timeout_seconds,
    })
}
