//! `/v1/grants*`.

use axum::extract::{Path, Query, State};
use drawbridge_shared::api::access::{Grant, GrantQuery, RevokeRequest};
use drawbridge_shared::{ApiError, ErrorCode};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::access::parse_id;
use super::error::AppError;
use super::extract::{Auth, OptionalJson};
use crate::access::grants;
use crate::client::ClientInfo;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(get_grant))
        .routes(routes!(revoke))
}

/// My grants; approvers and admins may ask for another user's (`user=`).
#[utoipa::path(get, path = "/v1/grants", tag = "access", security(("bearer" = [])), params(GrantQuery),
    responses((status = 200, body = [Grant]), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn list(
    State(state): State<AppState>,
    auth: Auth,
    query: Result<Query<GrantQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<Vec<Grant>>, AppError> {
    let Query(q) = query.map_err(|e| AppError::new(ErrorCode::InvalidArgument, e.body_text()))?;
    Ok(axum::Json(grants::list(&state, &auth.0, &q).await?))
}

/// One grant (its owner, an approver of its database, admins).
#[utoipa::path(get, path = "/v1/grants/{id}", tag = "access", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Grant), (status = 404, body = ApiError)))]
async fn get_grant(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<axum::Json<Grant>, AppError> {
    let id = parse_id(&id, "the grant id")?;
    Ok(axum::Json(grants::get_visible(&state, &auth.0, id).await?))
}

/// End a grant now: Vault revokes its lease and drops the database user.
#[utoipa::path(post, path = "/v1/grants/{id}/revoke", tag = "access", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = RevokeRequest,
    responses((status = 200, body = Grant), (status = 404, body = ApiError), (status = 409, description = "grant_expired or grant_revoked", body = ApiError)))]
async fn revoke(
    State(state): State<AppState>,
    auth: Auth,
    client: ClientInfo,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<RevokeRequest>,
) -> Result<axum::Json<Grant>, AppError> {
    let id = parse_id(&id, "the grant id")?;
    let reason = body.reason;
    Ok(axum::Json(
        grants::revoke(&state, &auth.0, id, reason, &client).await?,
    ))
}
