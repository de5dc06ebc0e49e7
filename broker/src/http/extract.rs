//! Request extractors: the caller's principal, client info, and JSON bodies
//! whose rejections are answered in our error format.

use std::net::SocketAddr;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, USER_AGENT};
use axum::http::request::Parts;
use chrono::Duration;
use drawbridge_shared::{ErrorCode, Role};
use serde::de::DeserializeOwned;

use super::error::AppError;
use crate::auth::Principal;
use crate::auth::sessions::{self, SessionError};
use crate::client::{ClientInfo, ORIGIN_HEADER, sanitize_header};
use crate::state::AppState;

impl<S: Send + Sync> FromRequestParts<S> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let header = |name| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| sanitize_header(v, 256))
        };
        Ok(ClientInfo {
            addr: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(a)| a.ip().to_string()),
            user_agent: header(USER_AGENT.as_str()),
            origin: header(ORIGIN_HEADER),
        })
    }
}

/// The authenticated caller. Rejects with 401 without a valid session.
pub struct Auth(pub Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 128)
            .ok_or_else(|| {
                AppError::new(ErrorCode::Unauthenticated, "log in first: no bearer token")
            })?;
        let idle = Duration::seconds(state.config.auth.idle_timeout_seconds as i64);
        match sessions::authenticate(&state.pool, token, idle).await {
            Ok(p) if p.has_role(Role::Service) && !service_may_call(parts) => {
                Err(AppError::forbidden())
            }
            Ok(p) => Ok(Auth(p)),
            Err(SessionError::Invalid) => Err(AppError::new(
                ErrorCode::Unauthenticated,
                "the session is not valid; log in again",
            )),
            Err(SessionError::Expired) => Err(AppError::new(
                ErrorCode::SessionExpired,
                "the session has expired; log in again",
            )),
            Err(SessionError::Store(e)) => Err(e.into()),
        }
    }
}

/// Service accounts exist to read secrets: everything else is refused to
/// them here, in one place, whatever a handler's own role check says.
const SERVICE_ROUTES: &[&str] = &["/v1/me", "/v1/auth/logout", "/v1/secrets/{name}/value"];

fn service_may_call(parts: &Parts) -> bool {
    parts
        .extensions
        .get::<axum::extract::MatchedPath>()
        .is_some_and(|m| SERVICE_ROUTES.contains(&m.as_str()))
}

impl Auth {
    /// Allows the call when the principal holds any of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<&Principal, AppError> {
        if self.0.has_any(roles) {
            Ok(&self.0)
        } else {
            Err(AppError::forbidden())
        }
    }
}

/// `axum::Json` with rejections in our error format and stable codes.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> AppError {
    let text = r.body_text();
    match r {
        JsonRejection::MissingJsonContentType(_) => AppError::new(
            ErrorCode::UnsupportedMediaType,
            "send the body as JSON with Content-Type: application/json",
        ),
        JsonRejection::JsonSyntaxError(_) => AppError::new(ErrorCode::InvalidJson, text),
        JsonRejection::JsonDataError(_) => AppError::new(ErrorCode::InvalidArgument, text),
        r if r.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
            AppError::new(ErrorCode::PayloadTooLarge, "the request body is too large")
        }
        _ => AppError::new(ErrorCode::BadRequest, text),
    }
}

/// A JSON body that may be left out entirely (an empty body means `T::default()`).
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let empty = req
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() == b"0")
            || (req
                .headers()
                .get(axum::http::header::CONTENT_TYPE)
                .is_none()
                && req
                    .headers()
                    .get(axum::http::header::TRANSFER_ENCODING)
                    .is_none()
                && req
                    .headers()
                    .get(axum::http::header::CONTENT_LENGTH)
                    .is_none());
        if empty {
            return Ok(OptionalJson(T::default()));
        }
        ApiJson::<T>::from_request(req, state)
            .await
            .map(|ApiJson(v)| OptionalJson(v))
    }
}
