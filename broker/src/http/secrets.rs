//! `/v1/secrets*` (admins; `…/value` for service accounts) and `/v1/settings*`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use drawbridge_shared::api::audit::Outcome;
use drawbridge_shared::api::secrets::{
    CreateSecret, SecretDetail, SecretMeta, SecretTestResult, SecretValue, SecretsExport,
    SetExpiry, SetSetting, Setting, UpdateSecret,
};
use drawbridge_shared::{ApiError, ErrorCode, Role};
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::AppError;
use super::extract::{ApiJson, Auth};
use crate::audit::NewEvent;
use crate::client::ClientInfo;
use crate::secrets::store;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(export))
        .routes(routes!(get_secret, update, delete))
        .routes(routes!(reveal))
        .routes(routes!(activate))
        .routes(routes!(deactivate))
        .routes(routes!(expiry))
        .routes(routes!(service_value))
        .routes(routes!(test))
        .routes(routes!(settings))
        .routes(routes!(set_setting))
}

/// Store a new secret, encrypted under the master key (admin).
#[utoipa::path(post, path = "/v1/secrets", tag = "secrets", security(("bearer" = [])), request_body = CreateSecret,
    responses((status = 201, body = SecretDetail), (status = 400, body = ApiError), (status = 403, body = ApiError), (status = 409, body = ApiError)))]
async fn create(
    State(s): State<AppState>,
    auth: Auth,
    client: ClientInfo,
    ApiJson(req): ApiJson<CreateSecret>,
) -> Result<(StatusCode, axum::Json<SecretDetail>), AppError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(store::create(&s, &auth.0, req, &client).await?),
    ))
}

/// Every secret's metadata, grouped by category (admin). No values.
#[utoipa::path(get, path = "/v1/secrets", tag = "secrets", security(("bearer" = [])),
    responses((status = 200, body = [SecretMeta]), (status = 403, body = ApiError)))]
async fn list(
    State(s): State<AppState>,
    auth: Auth,
) -> Result<axum::Json<Vec<SecretMeta>>, AppError> {
    Ok(axum::Json(store::list(&s, &auth.0).await?))
}

/// Names, metadata and version digests — never a value (admin).
#[utoipa::path(get, path = "/v1/secrets/export", tag = "secrets", security(("bearer" = [])),
    responses((status = 200, body = SecretsExport), (status = 403, body = ApiError)))]
async fn export(
    State(s): State<AppState>,
    auth: Auth,
    client: ClientInfo,
) -> Result<axum::Json<SecretsExport>, AppError> {
    Ok(axum::Json(store::export(&s, &auth.0, &client).await?))
}

/// A secret's metadata and version history (admin).
#[utoipa::path(get, path = "/v1/secrets/{name}", tag = "secrets", security(("bearer" = [])), params(("name" = String, Path)),
    responses((status = 200, body = SecretDetail), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn get_secret(
    State(s): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
) -> Result<axum::Json<SecretDetail>, AppError> {
    Ok(axum::Json(store::get(&s, &auth.0, &name).await?))
}

/// Change metadata; a new value makes a new version (admin).
#[utoipa::path(put, path = "/v1/secrets/{name}", tag = "secrets", security(("bearer" = [])), params(("name" = String, Path)), request_body = UpdateSecret,
    responses((status = 200, body = SecretDetail), (status = 400, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn update(
    State(s): State<AppState>,
    auth: Auth,
    client: ClientInfo,
    Path(name): Path<String>,
    ApiJson(req): ApiJson<UpdateSecret>,
) -> Result<axum::Json<SecretDetail>, AppError> {
    Ok(axum::Json(
        store::update(&s, &auth.0, &name, req, &client).await?,
    ))
}

/// Soft-delete a secret (admin).
#[utoipa::path(delete, path = "/v1/secrets/{name}", tag = "secrets", security(("bearer" = [])), params(("name" = String, Path)),
    responses((status = 204), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn delete(
    State(s): State<AppState>,
    auth: Auth,
    client: ClientInfo,
    Path(name): Path<String>,
) -> Result<StatusCode, AppError> {
    store::delete(&s, &auth.0, &name, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The value, on explicit request (admin); audited with address and user agent.
#[utoipa::path(post, path = "/v1/secrets/{name}/reveal", tag = "secrets", security(("bearer" = [])), params(("name" = String, Path)),
    responses((status = 200, body = SecretValue), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn reveal(
    State(s): State<AppState>,
    auth: Auth,
    client: ClientInfo,
    Path(name): Path<String>,
) -> Result<axum::Json<SecretValue>, AppError> {
    Ok(axum::Json(
        store::reveal(&s, &auth.0, &name, &client).await?,
    ))
}

#[utoipa::path(post, path = "/v1/secrets/{name}/activate", tag = "secrets", security(("bearer" = [])), params(("name" = String, Path)),
    responses((status = 200, body = SecretDetail), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn activate(
    State(s): State<AppState>,
    auth: Auth,
    client: ClientInfo,
    Path(name): Path<String>,
) -> Result<axum::Json<SecretDetail>, AppError> {
    Ok(axum::Json(
        store::set_active(&s, &auth.0, &name, true, &client).await?,
    ))
}

/// A deactivated secret is not served to service accounts.
#[utoipa::path(post, path = "/v1/secrets/{name}/deactivate", tag = "secrets", security(("bearer" = [])), params(("name" = String, Path)),
    responses((status = 200, body = SecretDetail), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn deactivate(
    State(s): State<AppState>,
    auth: Auth,
    client: ClientInfo,
    Path(name): Path<String>,
) -> Result<axum::Json<SecretDetail>, AppError> {
    Ok(axum::Json(
        store::set_active(&s, &auth.0, &name, false, &client).await?,
    ))
}

/// Set (`expires_at`) or clear (`null`) the expiry; expired secrets are not served.
#[utoipa::path(put, path = "/v1/secrets/{name}/expiry", tag = "secrets", security(("bearer" = [])), params(("name" = String, Path)), request_body = SetExpiry,
    responses((status = 200, body = SecretDetail), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn expiry(
    State(s): State<AppState>,
    auth: Auth,
    client: ClientInfo,
    Path(name): Path<String>,
    ApiJson(req): ApiJson<SetExpiry>,
) -> Result<axum::Json<SecretDetail>, AppError> {
    Ok(axum::Json(
        store::set_expiry(&s, &auth.0, &name, req.expires_at, &client).await?,
    ))
}

/// A service account reads a value its patterns allow; each read is audited.
#[utoipa::path(get, path = "/v1/secrets/{name}/value", tag = "secrets", security(("bearer" = [])), params(("name" = String, Path)),
    responses((status = 200, body = SecretValue), (status = 403, body = ApiError), (status = 404, body = ApiError),
              (status = 409, description = "secret_unavailable: inactive or expired", body = ApiError)))]
async fn service_value(
    State(s): State<AppState>,
    auth: Auth,
    client: ClientInfo,
    Path(name): Path<String>,
) -> Result<axum::Json<SecretValue>, AppError> {
    Ok(axum::Json(
        store::service_read(&s, &auth.0, &name, &client).await?,
    ))
}

/// Check that the secret works for its kind (http, mysql), without echoing it (admin).
#[utoipa::path(post, path = "/v1/secrets/{name}/test", tag = "secrets", security(("bearer" = [])), params(("name" = String, Path)),
    responses((status = 200, body = SecretTestResult), (status = 400, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn test(
    State(s): State<AppState>,
    auth: Auth,
    client: ClientInfo,
    Path(name): Path<String>,
) -> Result<axum::Json<SecretTestResult>, AppError> {
    Ok(axum::Json(store::test(&s, &auth.0, &name, &client).await?))
}

/// The live settings with their defaults (any session may read them).
#[utoipa::path(get, path = "/v1/settings", tag = "settings", security(("bearer" = [])),
    responses((status = 200, body = [Setting]), (status = 401, body = ApiError)))]
async fn settings(State(s): State<AppState>, _auth: Auth) -> axum::Json<Vec<Setting>> {
    axum::Json(s.settings.list())
}

/// Change a setting (admin): validated, audited with old and new value, live at once.
#[utoipa::path(put, path = "/v1/settings/{key}", tag = "settings", security(("bearer" = [])), params(("key" = String, Path)), request_body = SetSetting,
    responses((status = 200, body = Setting), (status = 400, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn set_setting(
    State(s): State<AppState>,
    auth: Auth,
    client: ClientInfo,
    Path(key): Path<String>,
    ApiJson(req): ApiJson<SetSetting>,
) -> Result<axum::Json<Setting>, AppError> {
    let p = auth.require(&[Role::Admin])?;
    let (old, new) = s
        .settings
        .set(&s.pool, &key, &req.value, &p.name)
        .await
        .map_err(|e| match e {
            crate::secrets::settings::SettingError::Unknown(_) => {
                AppError::new(ErrorCode::NotFound, e.to_string())
            }
            crate::secrets::settings::SettingError::Invalid { .. } => {
                AppError::new(ErrorCode::InvalidArgument, e.to_string())
            }
            crate::secrets::settings::SettingError::Store(e) => e.into(),
        })?;
    s.audit
        .append(
            NewEvent::new(&p.name, "setting.change", Outcome::Ok)
                .client(client.addr, client.user_agent)
                .target(format!("setting:{key}"))
                .details(json!({"old": old, "new": new})),
        )
        .await?;
    let setting = s
        .settings
        .list()
        .into_iter()
        .find(|x| x.key == key)
        .ok_or_else(|| AppError::not_found("setting"))?;
    Ok(axum::Json(setting))
}
