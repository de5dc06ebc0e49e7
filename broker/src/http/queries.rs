//! `/v1/queries`, `/v1/sql/check` and `/v1/grants/{id}/schema`.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use drawbridge_shared::api::query::{
    QueryRequest, QueryResult, SchemaResponse, SqlCheckRequest, StreamLine,
};
use drawbridge_shared::gate::{self, GateOptions, Verdict};
use drawbridge_shared::{ApiError, ErrorCode};
use futures_util::StreamExt;
use tokio::sync::mpsc;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::access::parse_id;
use super::error::AppError;
use super::extract::{ApiJson, Auth};
use crate::client::ClientInfo;
use crate::query::{self, Event};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(run_query))
        .routes(routes!(cancel_query))
        .routes(routes!(check_sql))
        .routes(routes!(grant_schema))
}

const NDJSON: &str = "application/x-ndjson";

/// Run one gated SELECT on my active grant. With `Accept: application/x-ndjson`
/// the rows stream as lines: a header, row batches, a trailer.
#[utoipa::path(post, path = "/v1/queries", tag = "query", security(("bearer" = [])), request_body = QueryRequest,
    responses((status = 200, body = QueryResult),
              (status = 404, description = "no such grant of mine", body = ApiError),
              (status = 408, description = "query_timeout", body = ApiError),
              (status = 409, description = "grant_expired, grant_revoked or query_cancelled", body = ApiError),
              (status = 422, description = "gate_denied (with gate_code) or query_failed", body = ApiError),
              (status = 503, body = ApiError)))]
async fn run_query(
    State(state): State<AppState>,
    auth: Auth,
    client: ClientInfo,
    headers: HeaderMap,
    ApiJson(req): ApiJson<QueryRequest>,
) -> Result<Response, AppError> {
    let streaming_on = state.settings.flag("features.query_streaming");
    let prepared = query::prepare(&state, &auth.0, req, &client).await?;
    let query_id = prepared.query_id;
    let (tx, mut rx) = mpsc::channel(4);
    tokio::spawn(query::run(state, prepared, tx));
    let wants_stream = streaming_on
        && headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains(NDJSON));
    if wants_stream {
        let lines = tokio_stream_from(rx).map(move |event| {
            let line = match event {
                Event::Header(columns) => StreamLine::Header { query_id, columns },
                Event::Rows(rows) => StreamLine::Rows { rows },
                Event::Done {
                    row_count,
                    truncated,
                    elapsed_ms,
                } => StreamLine::Trailer {
                    row_count,
                    truncated,
                    elapsed_ms,
                },
                Event::Failed(e) => {
                    let e = AppError::from(e);
                    let mut body = ApiError::new(e.code, e.message).error;
                    body.gate_code = e.gate_code;
                    StreamLine::Error { error: body }
                }
            };
            let mut bytes = serde_json::to_vec(&line).unwrap_or_default();
            bytes.push(b'\n');
            Ok::<_, std::convert::Infallible>(bytes)
        });
        return Ok(([(header::CONTENT_TYPE, NDJSON)], Body::from_stream(lines)).into_response());
    }
    let mut result = QueryResult {
        query_id,
        columns: Vec::new(),
        rows: Vec::new(),
        row_count: 0,
        truncated: false,
        elapsed_ms: 0,
    };
    while let Some(event) = rx.recv().await {
        match event {
            Event::Header(columns) => result.columns = columns,
            Event::Rows(rows) => result.rows.extend(rows),
            Event::Done {
                row_count,
                truncated,
                elapsed_ms,
            } => {
                result.row_count = row_count;
                result.truncated = truncated;
                result.elapsed_ms = elapsed_ms;
                return Ok(axum::Json(result).into_response());
            }
            Event::Failed(e) => return Err(e.into()),
        }
    }
    Err(AppError::new(
        ErrorCode::Internal,
        "the query ended without an answer",
    ))
}

fn tokio_stream_from<T: Send + 'static>(
    mut rx: mpsc::Receiver<T>,
) -> impl futures_util::Stream<Item = T> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// Cancel my running query: the database stops it (KILL QUERY).
#[utoipa::path(delete, path = "/v1/queries/{query_id}", tag = "query", security(("bearer" = [])),
    params(("query_id" = String, Path)),
    responses((status = 204), (status = 404, description = "no such running query of mine", body = ApiError)))]
async fn cancel_query(
    State(state): State<AppState>,
    auth: Auth,
    client: ClientInfo,
    Path(query_id): Path<String>,
) -> Result<StatusCode, AppError> {
    let id = parse_id(&query_id, "the query id")?;
    query::cancel(&state, &auth.0, id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The gate's verdict on a statement, as the broker would give it.
#[utoipa::path(post, path = "/v1/sql/check", tag = "query", security(("bearer" = [])), request_body = SqlCheckRequest,
    responses((status = 200, body = Verdict), (status = 404, description = "unknown_database", body = ApiError)))]
async fn check_sql(
    State(state): State<AppState>,
    _auth: Auth,
    ApiJson(req): ApiJson<SqlCheckRequest>,
) -> Result<axum::Json<Verdict>, AppError> {
    let options = match &req.database {
        None => GateOptions::default(),
        Some(name) => state
            .config
            .database(name)
            .map(|db| db.gate_options())
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::UnknownDatabase,
                    format!("no database {name:?} is configured"),
                )
            })?,
    };
    Ok(axum::Json(gate::check(&req.sql, &options)))
}

/// Tables and columns of my grant's database, for the schema browser.
#[utoipa::path(get, path = "/v1/grants/{id}/schema", tag = "query", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = SchemaResponse), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
async fn grant_schema(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<axum::Json<SchemaResponse>, AppError> {
    let id = parse_id(&id, "the grant id")?;
    Ok(axum::Json(query::schema(&state, &auth.0, id).await?))
}
