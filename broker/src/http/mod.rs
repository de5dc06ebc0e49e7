//! The HTTP API: one module per resource, thin handlers.
//!
//! Every route is registered through utoipa-axum, so the router and
//! `/openapi.json` are built from the same list and cannot drift apart.

mod access;
mod audit;
mod auth;
pub mod error;
pub mod extract;
mod grants;
mod ops;
mod queries;
mod secrets;

use std::time::{Duration, Instant};

use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{BoxError, Router};
use drawbridge_shared::ErrorCode;
use tower::ServiceBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::metrics::{RouteLabels, RouteOnly};
use crate::state::AppState;
pub use error::AppError;

#[derive(OpenApi)]
#[openapi(
    info(title = "Drawbridge broker API", description = "Just-in-time, read-only database access."),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every documented route, and the OpenAPI document describing them.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(ops::router())
        .merge(auth::router())
        .merge(audit::router())
        .merge(access::router())
        .merge(grants::router())
        .merge(queries::router())
        .merge(secrets::router())
        .split_for_parts()
}

pub fn router(state: AppState) -> Router {
    let (routes, openapi) = api();
    let openapi_json = openapi
        .to_pretty_json()
        .expect("the OpenAPI document serialises");
    let timeout = Duration::from_secs(state.config.http.request_timeout_seconds);
    routes
        .route(
            "/openapi.json",
            get(move || async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    openapi_json,
                )
            }),
        )
        .fallback(|| async { AppError::new(ErrorCode::NotFound, "no such route") })
        .method_not_allowed_fallback(|| async {
            AppError::new(
                ErrorCode::MethodNotAllowed,
                "this route does not take that method",
            )
        })
        .layer(DefaultBodyLimit::max(state.config.http.max_body_bytes))
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(|_: BoxError| async {
                    AppError::new(
                        ErrorCode::RequestTimeout,
                        "the request took too long and was stopped",
                    )
                }))
                .timeout(timeout),
        )
        .layer(middleware::from_fn(json_errors))
        .layer(middleware::from_fn(record_metrics))
        .with_state(state)
}

/// Framework rejections (a path segment that is not UTF-8, a malformed query
/// string…) come as plain text; clients get every error as coded JSON.
async fn json_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let code = match status.as_u16() {
        401 => ErrorCode::Unauthenticated,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        405 => ErrorCode::MethodNotAllowed,
        408 => ErrorCode::RequestTimeout,
        413 => ErrorCode::PayloadTooLarge,
        415 => ErrorCode::UnsupportedMediaType,
        s if s >= 500 => ErrorCode::Internal,
        _ => ErrorCode::BadRequest,
    };
    let bytes = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let message = if text.trim().is_empty() || code == ErrorCode::Internal {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        text.chars().take(300).collect()
    };
    let mut response = AppError::new(code, message).into_response();
    *response.status_mut() = status;
    response
}

async fn record_metrics(req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let started = Instant::now();
    let response = next.run(req).await;
    let m = crate::metrics::get();
    m.latency
        .get_or_create(&RouteOnly {
            method: method.clone(),
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    m.requests
        .get_or_create(&RouteLabels {
            method,
            route,
            status: response.status().as_u16(),
        })
        .inc();
    response
}
