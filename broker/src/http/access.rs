//! `/v1/databases` and `/v1/access-requests*`.

use axum::extract::{Path, Query, State};
use drawbridge_shared::api::access::{
    AccessRequest, CreateAccessRequest, DatabaseInfo, DecisionRequest, RequestQuery,
};
use drawbridge_shared::{ApiError, ErrorCode, Role};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::error::AppError;
use super::extract::{ApiJson, Auth, OptionalJson};
use crate::access::requests;
use crate::client::ClientInfo;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(databases))
        .routes(routes!(create_request, list_requests))
        .routes(routes!(get_request))
        .routes(routes!(approve))
        .routes(routes!(deny))
        .routes(routes!(cancel))
}

pub(super) fn parse_id(raw: &str, what: &str) -> Result<Uuid, AppError> {
    raw.parse()
        .map_err(|_| AppError::new(ErrorCode::InvalidArgument, format!("{what} must be a UUID")))
}

/// The databases the caller may request, with their policy and limits.
#[utoipa::path(get, path = "/v1/databases", tag = "access", security(("bearer" = [])),
    responses((status = 200, body = [DatabaseInfo]), (status = 401, body = ApiError)))]
async fn databases(State(state): State<AppState>, auth: Auth) -> axum::Json<Vec<DatabaseInfo>> {
    let p = &auth.0;
    let list = if p.roles == [Role::Service] {
        Vec::new()
    } else {
        state
            .config
            .databases
            .iter()
            .map(|db| DatabaseInfo {
                name: db.name.clone(),
                description: db.description.clone(),
                approval: db.approval,
                approver_roles: db.approver_roles.clone(),
                default_duration_seconds: db.default_duration_seconds,
                max_duration_seconds: db.max_duration_seconds,
                can_approve: requests::may_approve(p, db),
                allow_explain: db.allow_explain,
                allow_show: db.allow_show,
            })
            .collect()
    };
    axum::Json(list)
}

/// Ask for access to a database, with a reason and a duration.
#[utoipa::path(post, path = "/v1/access-requests", tag = "access", security(("bearer" = [])), request_body = CreateAccessRequest,
    responses((status = 200, description = "pending, or approved at once by an `auto` policy", body = AccessRequest),
              (status = 400, body = ApiError), (status = 404, description = "unknown_database", body = ApiError),
              (status = 409, description = "duplicate_request", body = ApiError), (status = 503, body = ApiError)))]
async fn create_request(
    State(state): State<AppState>,
    auth: Auth,
    client: ClientInfo,
    ApiJson(req): ApiJson<CreateAccessRequest>,
) -> Result<axum::Json<AccessRequest>, AppError> {
    Ok(axum::Json(
        requests::create(&state, &auth.0, req, &client).await?,
    ))
}

/// My requests, and those I may approve (`state=pending` for the queue, `mine=true` for only mine).
#[utoipa::path(get, path = "/v1/access-requests", tag = "access", security(("bearer" = [])), params(RequestQuery),
    responses((status = 200, body = [AccessRequest]), (status = 400, body = ApiError), (status = 401, body = ApiError)))]
async fn list_requests(
    State(state): State<AppState>,
    auth: Auth,
    query: Result<Query<RequestQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<Vec<AccessRequest>>, AppError> {
    let Query(q) = query.map_err(|e| AppError::new(ErrorCode::InvalidArgument, e.body_text()))?;
    Ok(axum::Json(requests::list(&state, &auth.0, &q).await?))
}

/// One request (its requester, its possible approvers, admins).
#[utoipa::path(get, path = "/v1/access-requests/{id}", tag = "access", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = AccessRequest), (status = 404, body = ApiError)))]
async fn get_request(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<axum::Json<AccessRequest>, AppError> {
    let id = parse_id(&id, "the request id")?;
    Ok(axum::Json(
        requests::get_visible(&state, &auth.0, id).await?,
    ))
}

/// Approve someone else's request (optionally shorter); Vault issues the grant's credentials.
#[utoipa::path(post, path = "/v1/access-requests/{id}/approve", tag = "access", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = DecisionRequest,
    responses((status = 200, body = AccessRequest), (status = 403, description = "self_approval or forbidden", body = ApiError),
              (status = 404, body = ApiError), (status = 409, body = ApiError),
              (status = 503, description = "vault_unavailable or database_unavailable: the request stays pending", body = ApiError)))]
async fn approve(
    State(state): State<AppState>,
    auth: Auth,
    client: ClientInfo,
    Path(id): Path<String>,
    OptionalJson(d): OptionalJson<DecisionRequest>,
) -> Result<axum::Json<AccessRequest>, AppError> {
    let id = parse_id(&id, "the request id")?;
    Ok(axum::Json(
        requests::approve(&state, &auth.0, id, d, &client).await?,
    ))
}

/// Deny someone else's request, with a comment.
#[utoipa::path(post, path = "/v1/access-requests/{id}/deny", tag = "access", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = DecisionRequest,
    responses((status = 200, body = AccessRequest), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
async fn deny(
    State(state): State<AppState>,
    auth: Auth,
    client: ClientInfo,
    Path(id): Path<String>,
    OptionalJson(d): OptionalJson<DecisionRequest>,
) -> Result<axum::Json<AccessRequest>, AppError> {
    let id = parse_id(&id, "the request id")?;
    Ok(axum::Json(
        requests::deny(&state, &auth.0, id, d, &client).await?,
    ))
}

/// Withdraw my own pending request.
#[utoipa::path(post, path = "/v1/access-requests/{id}/cancel", tag = "access", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = AccessRequest), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
async fn cancel(
    State(state): State<AppState>,
    auth: Auth,
    client: ClientInfo,
    Path(id): Path<String>,
) -> Result<axum::Json<AccessRequest>, AppError> {
    let id = parse_id(&id, "the request id")?;
    Ok(axum::Json(
        requests::cancel(&state, &auth.0, id, &client).await?,
    ))
}
