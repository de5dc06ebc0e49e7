//! Tables and columns of a grant's database, for the TUI's schema browser.
//! The broker runs this itself: user SQL may not touch information_schema.

use drawbridge_shared::api::query::{SchemaColumn, SchemaResponse, SchemaTable};
use uuid::Uuid;

use super::QueryError;
use crate::access::grants;
use crate::auth::Principal;
use crate::state::AppState;

pub async fn schema(
    state: &AppState,
    principal: &Principal,
    grant_id: Uuid,
) -> Result<SchemaResponse, QueryError> {
    let grant = grants::get_own_active(state, principal, grant_id).await?;
    let live = grants::ensure_live(state, grant.id).await?;
    let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR), CAST(COLUMN_TYPE AS CHAR), \
         CAST(IS_NULLABLE AS CHAR), CAST(COLUMN_KEY AS CHAR) \
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
         ORDER BY TABLE_NAME, ORDINAL_POSITION",
    )
    .fetch_all(&live.pool)
    .await
    .map_err(|e| QueryError::Failed(e.to_string()))?;
    let mut tables: Vec<SchemaTable> = Vec::new();
    for (table, column, type_name, nullable, key) in rows {
        if tables.last().is_none_or(|t| t.name != table) {
            tables.push(SchemaTable {
                name: table,
                columns: Vec::new(),
            });
        }
        if let Some(t) = tables.last_mut() {
            t.columns.push(SchemaColumn {
                name: column,
                type_name,
                nullable: nullable == "YES",
                key,
            });
        }
    }
    Ok(SchemaResponse {
        database: grant.database,
        tables,
    })
}
