//! Property test of the gate: over random token soups built from SQL's
//! vocabulary (keywords, functions, quotes, comments, system schemas), the
//! gate never panics, and whatever it allows is — judged independently by the
//! parser — exactly one plain query with none of the forbidden constructs.

use drawbridge_shared::gate::{DenyCode, GateOptions, check};
use proptest::prelude::*;
use sqlparser::ast::Statement;
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer, Whitespace};

const VOCABULARY: &[&str] = &[
    "SELECT",
    "SELECT",
    "SELECT",
    "*",
    "1",
    "id",
    "total",
    "FROM",
    "FROM",
    "orders",
    "customers",
    "WHERE",
    "=",
    ">",
    "AND",
    "OR",
    "NOT",
    "(",
    ")",
    ",",
    ";",
    ".",
    "'x'",
    "'a;b'",
    "\"y\"",
    "`t`",
    "`sleep`",
    "--",
    "-- ",
    "#",
    "/*",
    "*/",
    "/*!",
    "/*+",
    "/*M!",
    "UNION",
    "ALL",
    "INTERSECT",
    "EXCEPT",
    "WITH",
    "cte",
    "AS",
    "JOIN",
    "ON",
    "GROUP BY",
    "ORDER BY",
    "LIMIT",
    "10",
    "INTO",
    "@x",
    ":=",
    "OUTFILE",
    "'/tmp/f'",
    "FOR UPDATE",
    "FOR SHARE",
    "LOCK IN SHARE MODE",
    "SLEEP",
    "BENCHMARK",
    "GET_LOCK",
    "LOAD_FILE",
    "NEXTVAL",
    "COUNT",
    "MAX",
    "CONCAT",
    "JSON_EXTRACT",
    "IF",
    "VALUES",
    "TABLE",
    "DELETE",
    "UPDATE",
    "INSERT",
    "SET",
    "DROP",
    "mysql",
    "user",
    "information_schema",
    "tables",
    "sys",
    "shop",
    "hr",
    "EXPLAIN",
    "ANALYZE",
    "SHOW",
    "DESCRIBE",
    "OVER",
    "PARTITION BY",
    "\\",
    "'",
    "`",
    "\n",
    "\0",
    "NULL",
    "CASE",
    "WHEN",
    "THEN",
    "END",
    "EXISTS",
    "IN",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(VOCABULARY), 1..24).prop_map(|words| words.join(" "))
}

fn independently_read_only(sql: &str) -> Result<(), String> {
    let statements = Parser::parse_sql(&MySqlDialect {}, sql)
        .map_err(|e| format!("allowed but unparsable: {e}"))?;
    let [Statement::Query(q)] = statements.as_slice() else {
        return Err(format!("allowed but not one query: {statements:?}"));
    };
    let text = q.to_string().to_uppercase();
    for forbidden in [
        " INTO ",
        "FOR UPDATE",
        "FOR SHARE",
        ":=",
        "SLEEP(",
        "BENCHMARK(",
        "GET_LOCK(",
        "LOAD_FILE(",
        "NEXTVAL(",
        "MYSQL.",
        "INFORMATION_SCHEMA.",
        "SYS.",
        "HR.",
    ] {
        if text.contains(forbidden) {
            return Err(format!("allowed but contains {forbidden}: {text}"));
        }
    }
    if sql.contains('\0') {
        return Err("allowed but the text contains a NUL byte".into());
    }
    // Executable comments and hints, as sqlparser's own tokenizer sees them.
    let tokens = Tokenizer::new(&MySqlDialect {}, sql)
        .tokenize()
        .map_err(|e| e.to_string())?;
    for t in tokens {
        if let Token::Whitespace(Whitespace::MultiLineComment(c)) = t
            && (c.starts_with('!') || c.starts_with('+') || c.starts_with("M!"))
        {
            return Err(format!("allowed but it holds the comment /*{c}*/"));
        }
    }
    Ok(())
}

/// A fixed seed keeps the test command deterministic; DRAWBRIDGE_TEST_LONG=1
/// (CI) explores fresh random cases, many more of them.
fn config() -> ProptestConfig {
    let long = std::env::var_os("DRAWBRIDGE_TEST_LONG").is_some();
    ProptestConfig {
        cases: if long { 60_000 } else { 6_000 },
        failure_persistence: None,
        rng_seed: if long {
            proptest::test_runner::RngSeed::Random
        } else {
            proptest::test_runner::RngSeed::Fixed(0x0d3a_3b71_d6e5)
        },
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn never_panics_and_never_allows_anything_but_a_read_only_query(sql in soup()) {
        let options = GateOptions { schema: Some("shop".into()), ..Default::default() };
        let verdict = check(&sql, &options);
        prop_assert_ne!(verdict.code, Some(DenyCode::Internal), "the gate panicked on {:?}", sql);
        if verdict.allowed {
            if let Err(why) = independently_read_only(&sql) {
                return Err(TestCaseError::fail(why));
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let sql = String::from_utf8_lossy(&bytes);
        let verdict = check(&sql, &GateOptions::default());
        prop_assert_ne!(verdict.code, Some(DenyCode::Internal));
    }
}
