//! Operations endpoints without authentication: health and metrics.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use drawbridge_shared::api::health::{ComponentHealth, HealthResponse};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::sessions;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(metrics))
}

fn component(result: Result<(), String>) -> ComponentHealth {
    match result {
        Ok(()) => ComponentHealth {
            ok: true,
            detail: None,
        },
        Err(detail) => ComponentHealth {
            ok: false,
            detail: Some(detail),
        },
    }
}

/// Broker, store and Vault health, with the broker's version. 503 when degraded.
#[utoipa::path(get, path = "/health", tag = "ops",
    responses((status = 200, body = HealthResponse), (status = 503, body = HealthResponse)))]
async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let store = sqlx::query("SELECT 1")
        .execute(&state.pool)
        .await
        .map(drop)
        .map_err(|_| "the store does not answer".to_owned());
    let vault = match &state.vault {
        None => Err("no Vault is configured".to_owned()),
        Some(v) if v.healthy().await => Ok(()),
        Some(v) => Err(format!("Vault at {} does not answer healthy", v.addr())),
    };
    let leases = match crate::access::grants::pending_revocations(&state).await {
        Ok(p) if p.is_empty() => Ok(()),
        Ok(p) => Err(format!(
            "{} Vault lease revocation(s) pending; retrying",
            p.iter().map(|(_, n)| n).sum::<usize>()
        )),
        Err(_) => Err("cannot read pending revocations".to_owned()),
    };
    crate::metrics::get()
        .active_grants
        .set(state.live.len() as i64);
    let all_ok = store.is_ok() && vault.is_ok() && leases.is_ok();
    let body = HealthResponse {
        status: if all_ok { "ok" } else { "degraded" }.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        broker: component(Ok(())),
        store: component(store),
        vault: component(vault),
        leases: component(leases),
    };
    let status = if all_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body))
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "ops", responses((status = 200, description = "Prometheus text format")))]
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    if let Ok(n) = sessions::count_active(&state.pool).await {
        crate::metrics::get().active_sessions.set(n);
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        crate::metrics::render(),
    )
}
