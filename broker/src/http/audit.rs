//! `/v1/audit*`: browse, verify and export the audit log (admins only).

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use drawbridge_shared::api::audit::{AuditPage, AuditQuery, AuditVerifyResponse, Outcome};
use drawbridge_shared::{ApiError, ErrorCode, Role};
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::AppError;
use super::extract::Auth;
use crate::audit::{self, ExportFormat, NewEvent};
use crate::client::ClientInfo;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(verify))
        .routes(routes!(export))
}

fn query_error(e: axum::extract::rejection::QueryRejection) -> AppError {
    AppError::new(ErrorCode::InvalidArgument, e.body_text())
}

/// Audit events, newest first, filtered and paged.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
async fn list(
    State(state): State<AppState>,
    auth: Auth,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<AuditPage>, AppError> {
    auth.require(&[Role::Admin])?;
    let Query(q) = query.map_err(query_error)?;
    Ok(axum::Json(audit::list(&state.pool, &q).await?))
}

/// Recompute the hash chain and report the first event that does not verify.
#[utoipa::path(get, path = "/v1/audit/verify", tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = AuditVerifyResponse), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
async fn verify(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<axum::Json<AuditVerifyResponse>, AppError> {
    auth.require(&[Role::Admin])?;
    Ok(axum::Json(audit::verify(&state.pool).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct ExportParams {
    /// `jsonl` (default) or `csv`.
    #[param(value_type = Option<String>)]
    format: Option<ExportFormat>,
    #[serde(flatten)]
    #[param(inline)]
    filter: AuditQuery,
}

/// The audit log as JSON lines or CSV, oldest first (filters as for /v1/audit).
#[utoipa::path(get, path = "/v1/audit/export", tag = "audit", security(("bearer" = [])), params(ExportParams),
    responses((status = 200, description = "application/x-ndjson or text/csv"), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
async fn export(
    State(state): State<AppState>,
    auth: Auth,
    client: ClientInfo,
    query: Result<Query<ExportParams>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, AppError> {
    let p = auth.require(&[Role::Admin])?;
    let Query(params) = query.map_err(query_error)?;
    let format = params.format.unwrap_or(ExportFormat::Jsonl);
    let mut body = Vec::new();
    let n = audit::export(&state.pool, &params.filter, format, &mut body).await?;
    state
        .audit
        .append(
            NewEvent::new(&p.name, "audit.export", Outcome::Ok)
                .client(client.addr, client.user_agent)
                .details(json!({"format": format!("{format:?}").to_lowercase(), "events": n})),
        )
        .await?;
    let content_type = match format {
        ExportFormat::Jsonl => "application/x-ndjson",
        ExportFormat::Csv => "text/csv; charset=utf-8",
    };
    Ok(([(header::CONTENT_TYPE, content_type)], body))
}
