//! The SQL gate: an allowlist that fails closed.
//!
//! Only one read-only statement gets through: a SELECT (with CTEs, set
//! operations, subqueries, joins, window functions) built from side-effect-free
//! functions, and — where a database allows it — EXPLAIN of such a SELECT and
//! SHOW/DESCRIBE of its own tables. The text is first scanned at token level
//! (executable comments, hints, NUL bytes, system schemas, `--` quirks) so that
//! the AST is only trusted where MariaDB would read the text the same way:
//! the broker pins its sessions to exactly the sql_mode assumed here (no
//! ANSI_QUOTES, no NO_BACKSLASH_ESCAPES) and utf8mb4.
//!
//! Pure and I/O-free: the TUI runs it as you type, the broker enforces it.

mod functions;
mod lexer;
mod walk;

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::{Deserialize, Serialize};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

pub use functions::is_allowed_function;

/// Largest statement the gate reads, in bytes.
pub const MAX_SQL_BYTES: usize = 256 * 1024;
/// Deepest nesting the parser follows.
pub const MAX_DEPTH: usize = 48;

/// Per-database switches; everything is off by default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GateOptions {
    /// Allow `EXPLAIN <select>` (never EXPLAIN ANALYZE or ANALYZE).
    #[serde(default)]
    pub allow_explain: bool,
    /// Allow SHOW TABLES / SHOW COLUMNS / DESCRIBE of the granted database's tables.
    #[serde(default)]
    pub allow_show: bool,
    /// The granted database: qualified names must stay inside it.
    #[serde(default)]
    pub schema: Option<String>,
}

/// Why a statement was refused. A contract: codes are added, never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DenyCode {
    Empty,
    TooLarge,
    NulByte,
    ExecutableComment,
    OptimizerHint,
    AmbiguousComment,
    SystemSchema,
    ParseError,
    TooDeep,
    MultipleStatements,
    NotASelect,
    ExplainDisabled,
    ShowDisabled,
    ExplainAnalyze,
    Into,
    LockingClause,
    VariableAssignment,
    DataModification,
    TableOrValues,
    Function,
    OtherDatabase,
    Internal,
}

/// The gate's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verdict {
    pub allowed: bool,
    pub code: Option<DenyCode>,
    pub reason: Option<String>,
}

impl Verdict {
    pub fn allow() -> Self {
        Self {
            allowed: true,
            code: None,
            reason: None,
        }
    }

    pub fn deny(code: DenyCode, reason: impl Into<String>) -> Self {
        Self {
            allowed: false,
            code: Some(code),
            reason: Some(reason.into()),
        }
    }
}

/// Checks one statement. Never panics: a panic inside the parser is a denial.
pub fn check(sql: &str, options: &GateOptions) -> Verdict {
    catch_unwind(AssertUnwindSafe(|| check_inner(sql, options))).unwrap_or_else(|_| {
        Verdict::deny(
            DenyCode::Internal,
            "the statement could not be checked safely",
        )
    })
}

fn check_inner(sql: &str, options: &GateOptions) -> Verdict {
    if sql.len() > MAX_SQL_BYTES {
        return Verdict::deny(
            DenyCode::TooLarge,
            format!("the statement is larger than {MAX_SQL_BYTES} bytes"),
        );
    }
    if let Err(v) = lexer::scan(sql) {
        return v;
    }
    let dialect = MySqlDialect {};
    match parse_one(&dialect, sql) {
        Ok(Some(statement)) => walk::check_statement(&statement, options),
        Ok(None) => Verdict::deny(
            DenyCode::Empty,
            "there is no statement (only whitespace or comments)",
        ),
        Err(v) => v,
    }
}

/// Parses exactly one statement and insists that nothing but `;` follows:
/// sqlparser's own multi-statement loop silently stops at a bare END, which
/// would let text through that MariaDB reads differently.
fn parse_one(
    dialect: &MySqlDialect,
    sql: &str,
) -> Result<Option<sqlparser::ast::Statement>, Verdict> {
    use sqlparser::parser::ParserError;
    use sqlparser::tokenizer::Token;
    let parse_error = |e: ParserError| match e {
        ParserError::RecursionLimitExceeded => Verdict::deny(
            DenyCode::TooDeep,
            format!("the statement nests deeper than {MAX_DEPTH} levels"),
        ),
        e => Verdict::deny(
            DenyCode::ParseError,
            format!("cannot parse the statement: {e}"),
        ),
    };
    let mut parser = Parser::new(dialect)
        .with_recursion_limit(MAX_DEPTH)
        .try_with_sql(sql)
        .map_err(parse_error)?;
    while parser.consume_token(&Token::SemiColon) {}
    if parser.peek_token().token == Token::EOF {
        return Ok(None);
    }
    let statement = parser.parse_statement().map_err(parse_error)?;
    while parser.consume_token(&Token::SemiColon) {}
    if parser.peek_token().token != Token::EOF {
        return Err(Verdict::deny(
            DenyCode::MultipleStatements,
            "send exactly one statement, with nothing after it",
        ));
    }
    Ok(Some(statement))
}

#[cfg(test)]
mod tests;
