use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `POST /v1/queries`. Send `Accept: application/x-ndjson` to stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueryRequest {
    pub grant_id: Uuid,
    pub sql: String,
    /// Lower than the row cap; never raises it.
    #[serde(default)]
    pub max_rows: Option<u64>,
    /// Chosen by the client so that it can cancel before the answer comes.
    #[serde(default)]
    pub query_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Column {
    pub name: String,
    /// The database's type name, e.g. `DECIMAL`, `DATETIME`, `JSON`, `VARBINARY`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// A binary string or binary-collation text (e.g. MariaDB JSON): values
    /// that are not UTF-8 come as `{"base64": "…"}`.
    pub binary: bool,
}

/// The whole answer of an ordinary (non-streaming) query. Values: numbers,
/// DECIMAL as a string, dates/times ISO 8601, JSON as JSON, binary as base64,
/// NULL as null.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueryResult {
    pub query_id: Uuid,
    pub columns: Vec<Column>,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Vec<Object>>))]
    pub rows: Vec<Vec<serde_json::Value>>,
    pub row_count: u64,
    /// More rows existed than the cap allowed.
    pub truncated: bool,
    pub elapsed_ms: u64,
}

/// One line of an NDJSON query stream: a header, row batches, then a trailer
/// (or an error).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StreamLine {
    Header {
        query_id: Uuid,
        columns: Vec<Column>,
    },
    Rows {
        rows: Vec<Vec<serde_json::Value>>,
    },
    Trailer {
        row_count: u64,
        truncated: bool,
        elapsed_ms: u64,
    },
    Error {
        error: crate::ErrorBody,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SqlCheckRequest {
    pub sql: String,
    /// Apply that database's switches (EXPLAIN, SHOW).
    #[serde(default)]
    pub database: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SchemaColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub nullable: bool,
    /// `PRI`, `UNI`, `MUL` or empty.
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SchemaTable {
    pub name: String,
    pub columns: Vec<SchemaColumn>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SchemaResponse {
    pub database: String,
    pub tables: Vec<SchemaTable>,
}
