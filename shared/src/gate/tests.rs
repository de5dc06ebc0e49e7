//! The gate corpus: both directions, every class of construct.

use super::*;

const ALLOW: &[&str] = &[
    "SELECT 1",
    "select * from orders",
    "SELECT id, total FROM orders WHERE status = 'paid' ORDER BY total DESC LIMIT 10",
    "SELECT COUNT(*) FROM orders",
    "SELECT c.first_name, COUNT(o.id) AS n FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.id HAVING n > 3",
    "SELECT * FROM orders o LEFT JOIN customers c ON c.id = o.customer_id",
    "SELECT * FROM orders o RIGHT JOIN customers c ON c.id = o.customer_id",
    "SELECT * FROM a CROSS JOIN b",
    "SELECT * FROM a NATURAL JOIN b",
    "SELECT * FROM a JOIN b USING (id)",
    "WITH recent AS (SELECT * FROM orders WHERE ordered_at > NOW() - INTERVAL 7 DAY) SELECT COUNT(*) FROM recent",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) SELECT * FROM n",
    "WITH a AS (SELECT 1 AS x), b AS (SELECT x + 1 AS y FROM a) SELECT * FROM b",
    "SELECT id FROM a UNION SELECT id FROM b",
    "SELECT id FROM a UNION ALL SELECT id FROM b",
    "SELECT id FROM a INTERSECT SELECT id FROM b",
    "SELECT id FROM a EXCEPT SELECT id FROM b",
    "(SELECT id FROM a) UNION (SELECT id FROM b) ORDER BY id",
    "SELECT * FROM (SELECT id, total FROM orders) t WHERE t.total > 100",
    "SELECT * FROM orders WHERE customer_id IN (SELECT id FROM customers WHERE country = 'ES')",
    "SELECT * FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)",
    "SELECT (SELECT MAX(total) FROM orders) AS biggest",
    "SELECT id, ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY ordered_at) AS rn FROM orders",
    "SELECT id, RANK() OVER w, DENSE_RANK() OVER w FROM orders WINDOW w AS (ORDER BY total)",
    "SELECT id, LAG(total) OVER (ORDER BY id), LEAD(total, 2) OVER (ORDER BY id) FROM orders",
    "SELECT SUM(total) OVER (ORDER BY ordered_at ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) FROM orders",
    "SELECT JSON_EXTRACT(shipping, '$.address.city') FROM orders",
    "SELECT JSON_UNQUOTE(JSON_EXTRACT(preferences, '$.language')) FROM customers",
    "SELECT shipping->>'$.method' FROM orders",
    "SELECT JSON_OBJECT('id', id, 'total', total) FROM orders",
    "SELECT JSON_ARRAYAGG(id) FROM orders",
    "SELECT JSON_CONTAINS(preferences, '\"vip\"', '$.tags') FROM customers",
    "SELECT JSON_LENGTH(shipping), JSON_KEYS(shipping), JSON_TYPE(shipping), JSON_VALID(shipping) FROM orders",
    "SELECT CONCAT(first_name, ' ', last_name) FROM customers",
    "SELECT CONCAT_WS(', ', last_name, first_name) FROM customers",
    "SELECT UPPER(email), LOWER(email), LENGTH(email), CHAR_LENGTH(first_name) FROM customers",
    "SELECT SUBSTRING(email, 1, 5), LEFT(email, 3), RIGHT(email, 4) FROM customers",
    "SELECT TRIM(first_name), LPAD(id, 8, '0'), REPLACE(email, '@', ' at ') FROM customers",
    "SELECT REGEXP_REPLACE(phone, '[^0-9]', '') FROM customers",
    "SELECT * FROM customers WHERE email REGEXP '^customer1[0-9]+@'",
    "SELECT * FROM customers WHERE first_name LIKE 'J%'",
    "SELECT * FROM customers WHERE last_name NOT LIKE '%son'",
    "SELECT ROUND(total, 1), FLOOR(total), CEIL(total), ABS(-total), MOD(id, 7) FROM orders",
    "SELECT POW(2, 10), SQRT(16), LN(10), LOG10(100), PI(), SIGN(-3), GREATEST(1, 2), LEAST(1, 2)",
    "SELECT DATE(ordered_at), YEAR(ordered_at), MONTH(ordered_at), DAYNAME(ordered_at) FROM orders",
    "SELECT DATE_FORMAT(ordered_at, '%Y-%m'), COUNT(*) FROM orders GROUP BY 1",
    "SELECT DATEDIFF(shipped_at, ordered_at) FROM orders WHERE shipped_at IS NOT NULL",
    "SELECT TIMESTAMPDIFF(HOUR, ordered_at, shipped_at) FROM orders",
    "SELECT DATE_ADD(ordered_at, INTERVAL 1 DAY), DATE_SUB(NOW(), INTERVAL 2 HOUR) FROM orders",
    "SELECT EXTRACT(YEAR FROM ordered_at) FROM orders",
    "SELECT UNIX_TIMESTAMP(ordered_at), FROM_UNIXTIME(0) FROM orders",
    "SELECT CURDATE(), CURRENT_TIMESTAMP, UTC_TIMESTAMP()",
    "SELECT IF(total > 100, 'big', 'small') FROM orders",
    "SELECT IFNULL(phone, '-'), COALESCE(phone, email), NULLIF(status, 'pending') FROM customers, orders",
    "SELECT CASE WHEN total > 100 THEN 'big' WHEN total > 10 THEN 'mid' ELSE 'small' END FROM orders",
    "SELECT CASE status WHEN 'paid' THEN 1 ELSE 0 END FROM orders",
    "SELECT CAST(total AS CHAR), CAST('2024-01-01' AS DATE), CONVERT(total, SIGNED) FROM orders",
    "SELECT * FROM orders WHERE total BETWEEN 10 AND 20",
    "SELECT * FROM orders WHERE status IN ('paid', 'shipped')",
    "SELECT * FROM orders WHERE shipped_at IS NULL",
    "SELECT DISTINCT country FROM customers",
    "SELECT GROUP_CONCAT(DISTINCT country ORDER BY country SEPARATOR ',') FROM customers",
    "SELECT country, COUNT(*) FROM customers GROUP BY country WITH ROLLUP",
    "SELECT * FROM orders LIMIT 10 OFFSET 20",
    "SELECT * FROM orders LIMIT 20, 10",
    "SELECT MD5(email), SHA2(email, 256), HEX(id), CRC32(email) FROM customers",
    "SELECT UUID()",
    "SELECT 'a;b' AS semicolon_in_string",
    "SELECT 'DROP TABLE orders' AS note",
    "SELECT '/*! DROP TABLE x */' AS looks_executable",
    "SELECT \"DELETE FROM orders\" AS double_quoted_string",
    "SELECT 'it''s', 'back\\\\slash', 'quote\\'inside'",
    "SELECT note FROM orders WHERE note LIKE '%--%'",
    "SELECT '-- not a comment' AS x",
    "SELECT `select`, `from` FROM `order` WHERE `where` = 1",
    "SELECT `delete` FROM t",
    "SELECT `drop table t` FROM t",
    "SELECT id AS `update` FROM orders",
    "SELECT * FROM `orders`",
    "SELECT 1 -- a trailing comment",
    "SELECT 1 # a hash comment",
    "SELECT /* a plain comment */ 1",
    "-- leading comment\nSELECT 1",
    "SELECT 1;",
    "SELECT 1 ;  ",
    "  \n SELECT 1",
    "SELECT 1 - -1",
    "SELECT 5 - - 3",
    "SELECT @x",
    "SELECT @@time_zone",
    "SELECT ? + 1 FROM dual",
    "SELECT 1 FROM DUAL",
    "SELECT * FROM orders WHERE id = 0x1F",
    "SELECT X'4142', B'0101'",
    "SELECT _utf8mb4'José' AS name",
    "SELECT 'ünïcödé 日本語 🚀' AS s",
    "SELECT * FROM orders FORCE INDEX (orders_customer) WHERE customer_id = 5",
    "SELECT o.id FROM orders AS o, customers AS c WHERE o.customer_id = c.id",
    "SELECT COUNT(*) FILTER_ALIAS FROM orders",
    "SELECT SUM(quantity * unit_price) FROM order_items GROUP BY order_id ORDER BY 1 DESC",
    "SELECT AVG(total), STDDEV(total), VARIANCE(total) FROM orders",
    "SELECT NTILE(4) OVER (ORDER BY total), PERCENT_RANK() OVER (ORDER BY total), CUME_DIST() OVER (ORDER BY total) FROM orders",
    "SELECT FIRST_VALUE(id) OVER (ORDER BY total), LAST_VALUE(id) OVER (ORDER BY total) FROM orders",
    "SELECT * FROM orders WHERE MATCH_ALIAS = 1",
    "SELECT id FROM orders WHERE (total > 10 AND status = 'paid') OR NOT (id < 5)",
    "SELECT id FROM orders ORDER BY total DESC, id",
    "SELECT shop.orders.id FROM shop.orders",
];

/// Statements the gate must refuse, with the code it must give.
const DENY: &[(&str, DenyCode)] = &[
    ("", DenyCode::Empty),
    ("   ", DenyCode::Empty),
    ("-- only a comment", DenyCode::Empty),
    ("/* only a comment */", DenyCode::Empty),
    (";", DenyCode::Empty),
    ("SELECT 1; SELECT 2", DenyCode::MultipleStatements),
    ("SELECT 1; DROP TABLE orders", DenyCode::MultipleStatements),
    (
        "SELECT 'a'; DELETE FROM orders",
        DenyCode::MultipleStatements,
    ),
    ("DELETE FROM orders", DenyCode::DataModification),
    (
        "DELETE FROM orders WHERE id = 1",
        DenyCode::DataModification,
    ),
    ("UPDATE orders SET total = 0", DenyCode::DataModification),
    (
        "INSERT INTO orders (id) VALUES (1)",
        DenyCode::DataModification,
    ),
    (
        "INSERT INTO t SELECT * FROM orders",
        DenyCode::DataModification,
    ),
    (
        "REPLACE INTO orders (id) VALUES (1)",
        DenyCode::DataModification,
    ),
    ("DROP TABLE orders", DenyCode::NotASelect),
    ("DROP DATABASE shop", DenyCode::NotASelect),
    ("TRUNCATE TABLE orders", DenyCode::NotASelect),
    ("ALTER TABLE orders ADD COLUMN x INT", DenyCode::NotASelect),
    ("CREATE TABLE x (id INT)", DenyCode::NotASelect),
    (
        "CREATE TABLE x AS SELECT * FROM orders",
        DenyCode::NotASelect,
    ),
    ("CREATE TEMPORARY TABLE x (id INT)", DenyCode::NotASelect),
    ("CREATE USER evil IDENTIFIED BY 'x'", DenyCode::ParseError),
    ("GRANT ALL ON *.* TO evil", DenyCode::NotASelect),
    ("SET @x = 1", DenyCode::NotASelect),
    ("SET SESSION sql_mode = 'ANSI_QUOTES'", DenyCode::NotASelect),
    ("SET NAMES latin1", DenyCode::NotASelect),
    ("USE mysql", DenyCode::NotASelect),
    ("USE hr", DenyCode::NotASelect),
    ("START TRANSACTION", DenyCode::NotASelect),
    ("COMMIT", DenyCode::NotASelect),
    ("ROLLBACK", DenyCode::NotASelect),
    ("LOCK TABLES orders WRITE", DenyCode::NotASelect),
    ("CALL do_something()", DenyCode::NotASelect),
    ("PREPARE s FROM 'DELETE FROM orders'", DenyCode::ParseError),
    ("EXECUTE s", DenyCode::NotASelect),
    ("KILL 1", DenyCode::NotASelect),
    ("FLUSH PRIVILEGES", DenyCode::NotASelect),
    ("HANDLER orders OPEN", DenyCode::ParseError),
    ("DO SLEEP(5)", DenyCode::ParseError),
    (
        "LOAD DATA INFILE '/etc/passwd' INTO TABLE t",
        DenyCode::ParseError,
    ),
    ("TABLE orders", DenyCode::ParseError),
    ("VALUES (1, 2)", DenyCode::TableOrValues),
    ("SELECT SLEEP(5)", DenyCode::Function),
    ("select sleep(5)", DenyCode::Function),
    ("SELECT `sleep`(5)", DenyCode::Function),
    ("SELECT sleep/**/(5)", DenyCode::Function),
    ("SELECT SlEeP(5)", DenyCode::Function),
    (
        "SELECT * FROM orders WHERE SLEEP(1) = 0",
        DenyCode::Function,
    ),
    (
        "SELECT * FROM orders WHERE id IN (SELECT SLEEP(1))",
        DenyCode::Function,
    ),
    (
        "SELECT (SELECT (SELECT BENCHMARK(1000000, MD5('x'))))",
        DenyCode::Function,
    ),
    ("SELECT BENCHMARK(100000000, SHA1('x'))", DenyCode::Function),
    ("SELECT GET_LOCK('x', 10)", DenyCode::Function),
    ("SELECT RELEASE_LOCK('x')", DenyCode::Function),
    ("SELECT IS_FREE_LOCK('x')", DenyCode::Function),
    ("SELECT IS_USED_LOCK('x')", DenyCode::Function),
    ("SELECT RELEASE_ALL_LOCKS()", DenyCode::Function),
    ("SELECT LOAD_FILE('/etc/passwd')", DenyCode::Function),
    ("SELECT NEXTVAL(seq)", DenyCode::Function),
    ("SELECT SETVAL(seq, 100)", DenyCode::Function),
    ("SELECT LASTVAL(seq)", DenyCode::Function),
    (
        "SELECT EXTRACTVALUE(1, CONCAT(0x7e, (SELECT email FROM customers LIMIT 1)))",
        DenyCode::Function,
    ),
    (
        "SELECT UPDATEXML(1, CONCAT(0x7e, (SELECT 1)), 1)",
        DenyCode::Function,
    ),
    (
        "SELECT EXP(~(SELECT * FROM (SELECT 1) x))",
        DenyCode::Function,
    ),
    ("SELECT NAME_CONST('a', 1)", DenyCode::Function),
    ("SELECT my_udf(1)", DenyCode::Function),
    ("SELECT shop.my_stored_function(1)", DenyCode::Function),
    ("SELECT `shop`.`f`(1)", DenyCode::Function),
    ("SELECT MASTER_POS_WAIT('log', 4)", DenyCode::Function),
    ("SELECT VERSION()", DenyCode::Function),
    ("SELECT USER()", DenyCode::Function),
    ("SELECT CURRENT_USER()", DenyCode::Function),
    ("SELECT CONNECTION_ID()", DenyCode::Function),
    ("SELECT LAST_INSERT_ID(5)", DenyCode::Function),
    (
        "SELECT * FROM orders WHERE id = CONNECTION_ID()",
        DenyCode::Function,
    ),
    (
        "SELECT COUNT(*) FROM orders GROUP BY SLEEP(1)",
        DenyCode::Function,
    ),
    ("SELECT * FROM orders ORDER BY SLEEP(1)", DenyCode::Function),
    ("SELECT id FROM orders HAVING SLEEP(1)", DenyCode::Function),
    ("SELECT * FROM (SELECT SLEEP(1)) t", DenyCode::Function),
    (
        "WITH x AS (SELECT SLEEP(1)) SELECT * FROM x",
        DenyCode::Function,
    ),
    ("SELECT 1 UNION SELECT SLEEP(1)", DenyCode::Function),
    ("SELECT CASE WHEN 1 THEN SLEEP(1) END", DenyCode::Function),
    ("SELECT IF(1, SLEEP(1), 0)", DenyCode::Function),
    ("SELECT COALESCE(NULL, SLEEP(1))", DenyCode::Function),
    (
        "SELECT ROW_NUMBER() OVER (ORDER BY SLEEP(1))",
        DenyCode::Function,
    ),
    ("SELECT * INTO @x FROM orders", DenyCode::Into),
    ("SELECT id INTO @x FROM orders LIMIT 1", DenyCode::Into),
    (
        "SELECT * FROM orders INTO OUTFILE '/tmp/x'",
        DenyCode::MultipleStatements,
    ),
    (
        "SELECT * INTO OUTFILE '/tmp/x' FROM orders",
        DenyCode::MultipleStatements,
    ),
    (
        "SELECT * INTO DUMPFILE '/tmp/x' FROM orders",
        DenyCode::MultipleStatements,
    ),
    ("SELECT * FROM orders FOR UPDATE", DenyCode::LockingClause),
    ("SELECT * FROM orders FOR SHARE", DenyCode::LockingClause),
    (
        "SELECT * FROM orders FOR UPDATE NOWAIT",
        DenyCode::LockingClause,
    ),
    (
        "SELECT * FROM orders FOR UPDATE SKIP LOCKED",
        DenyCode::LockingClause,
    ),
    (
        "SELECT * FROM (SELECT * FROM orders FOR UPDATE) t",
        DenyCode::LockingClause,
    ),
    (
        "SELECT * FROM orders LOCK IN SHARE MODE",
        DenyCode::MultipleStatements,
    ),
    ("SELECT INTO id", DenyCode::ParseError),
    ("SELECT INTO ALL", DenyCode::ParseError),
    ("SELECT id AS into FROM orders", DenyCode::ParseError),
    (
        "SELECT 1 END DELETE FROM orders",
        DenyCode::MultipleStatements,
    ),
    ("SELECT * FROM outfile", DenyCode::ParseError),
    ("SELECT * FROM orders into", DenyCode::ParseError),
    ("SELECT @x := 1", DenyCode::VariableAssignment),
    (
        "SELECT id, @total := @total + total FROM orders",
        DenyCode::VariableAssignment,
    ),
    (
        "SELECT * FROM orders WHERE (@x := id) > 0",
        DenyCode::VariableAssignment,
    ),
    (
        "WITH d AS (DELETE FROM orders RETURNING id) SELECT * FROM d",
        DenyCode::DataModification,
    ),
    (
        "/*! DROP TABLE orders */ SELECT 1",
        DenyCode::ExecutableComment,
    ),
    (
        "SELECT 1 /*!50000 , SLEEP(5) */",
        DenyCode::ExecutableComment,
    ),
    ("SELECT /*M! SLEEP(5) */ 1", DenyCode::ExecutableComment),
    ("SELECT /*!M 1 */ 1", DenyCode::ExecutableComment),
    (
        "SELECT /*+ MAX_EXECUTION_TIME(1) */ * FROM orders",
        DenyCode::OptimizerHint,
    ),
    ("SELECT 1 --comment", DenyCode::AmbiguousComment),
    ("SELECT 1--1", DenyCode::AmbiguousComment),
    (
        "SELECT id FROM orders WHERE id = 1 --' OR 1=1",
        DenyCode::AmbiguousComment,
    ),
    ("SELECT 1\0", DenyCode::NulByte),
    ("SELECT '\0'", DenyCode::NulByte),
    ("SELECT * FROM mysql.user", DenyCode::SystemSchema),
    ("SELECT * FROM MySQL.user", DenyCode::SystemSchema),
    ("SELECT * FROM `mysql`.`user`", DenyCode::SystemSchema),
    ("SELECT * FROM mysql . user", DenyCode::SystemSchema),
    ("SELECT * FROM mysql/**/.user", DenyCode::SystemSchema),
    (
        "SELECT * FROM information_schema.tables",
        DenyCode::SystemSchema,
    ),
    (
        "SELECT * FROM INFORMATION_SCHEMA.COLUMNS",
        DenyCode::SystemSchema,
    ),
    (
        "SELECT * FROM performance_schema.threads",
        DenyCode::SystemSchema,
    ),
    ("SELECT * FROM sys.session", DenyCode::SystemSchema),
    (
        "SELECT (SELECT COUNT(*) FROM mysql.user)",
        DenyCode::SystemSchema,
    ),
    (
        "SELECT * FROM orders WHERE id IN (SELECT 1 FROM information_schema.processlist)",
        DenyCode::SystemSchema,
    ),
    ("SELECT mysql.user.password FROM t", DenyCode::SystemSchema),
    ("SELECT * FROM hr.salaries", DenyCode::OtherDatabase),
    (
        "SELECT * FROM orders JOIN hr.employees e ON 1 = 1",
        DenyCode::OtherDatabase,
    ),
    ("EXPLAIN SELECT * FROM orders", DenyCode::ExplainDisabled),
    ("DESCRIBE orders", DenyCode::ShowDisabled),
    ("SHOW TABLES", DenyCode::ShowDisabled),
    ("SHOW COLUMNS FROM orders", DenyCode::ShowDisabled),
    ("SHOW DATABASES", DenyCode::NotASelect),
    ("SHOW GRANTS", DenyCode::NotASelect),
    ("SHOW PROCESSLIST", DenyCode::NotASelect),
    ("SHOW VARIABLES", DenyCode::NotASelect),
    ("ANALYZE TABLE orders", DenyCode::ExplainAnalyze),
    ("SELEC * FROM orders", DenyCode::ParseError),
    ("SELECT * FROM", DenyCode::ParseError),
    ("SELECT 'unterminated", DenyCode::ParseError),
    ("SELECT `unterminated", DenyCode::ParseError),
    ("SELECT 1 /* unterminated", DenyCode::ParseError),
];

fn shop() -> GateOptions {
    GateOptions {
        schema: Some("shop".into()),
        ..Default::default()
    }
}

#[test]
fn corpus_allows() {
    for sql in ALLOW {
        let v = check(sql, &shop());
        assert!(v.allowed, "should allow {sql:?}: {v:?}");
    }
}

#[test]
fn corpus_denies_with_the_right_code() {
    let mut wrong = Vec::new();
    for (sql, code) in DENY {
        let v = check(sql, &shop());
        assert!(!v.allowed, "should deny {sql:?}");
        assert!(
            v.reason.as_deref().is_some_and(|r| !r.is_empty()),
            "{sql:?} needs a reason"
        );
        if v.code != Some(*code) {
            wrong.push(format!(
                "{sql:?}: expected {code:?}, got {:?} ({:?})",
                v.code, v.reason
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_corpus_is_big_enough() {
    assert!(
        ALLOW.len() + DENY.len() >= 150,
        "{} cases",
        ALLOW.len() + DENY.len()
    );
}

#[test]
fn explain_and_show_only_when_switched_on() {
    let on = GateOptions {
        allow_explain: true,
        allow_show: true,
        schema: Some("shop".into()),
    };
    for sql in [
        "EXPLAIN SELECT * FROM orders",
        "DESCRIBE orders",
        "SHOW TABLES",
        "SHOW COLUMNS FROM orders",
        "DESC orders",
    ] {
        assert!(check(sql, &on).allowed, "{sql}: {:?}", check(sql, &on));
    }
    for (sql, code) in [
        (
            "EXPLAIN ANALYZE SELECT * FROM orders",
            DenyCode::ExplainAnalyze,
        ),
        ("EXPLAIN DELETE FROM orders", DenyCode::NotASelect),
        ("EXPLAIN SELECT SLEEP(1)", DenyCode::Function),
        ("SHOW TABLES FROM mysql", DenyCode::SystemSchema),
        ("SHOW TABLES FROM hr", DenyCode::OtherDatabase),
        ("DESCRIBE mysql.user", DenyCode::SystemSchema),
        ("SHOW COLUMNS FROM hr.salaries", DenyCode::OtherDatabase),
    ] {
        assert_eq!(
            check(sql, &on).code,
            Some(code),
            "{sql}: {:?}",
            check(sql, &on)
        );
    }
}

#[test]
fn size_and_depth_are_bounded() {
    let big = format!("SELECT '{}'", "x".repeat(MAX_SQL_BYTES));
    assert_eq!(check(&big, &shop()).code, Some(DenyCode::TooLarge));
    let deep = format!("SELECT {}1{}", "(".repeat(500), ")".repeat(500));
    let v = check(&deep, &shop());
    assert!(!v.allowed);
    assert!(
        matches!(v.code, Some(DenyCode::TooDeep) | Some(DenyCode::ParseError)),
        "{v:?}"
    );
    let nested = format!(
        "SELECT * FROM {}orders{}",
        "(SELECT * FROM ".repeat(200),
        ") t".repeat(200)
    );
    assert!(!check(&nested, &shop()).allowed);
}

#[test]
fn verdict_json_shape() {
    let v = serde_json::to_value(check("SELECT SLEEP(1)", &shop())).unwrap();
    assert_eq!(v["allowed"], false);
    assert_eq!(v["code"], "function");
    assert!(v["reason"].as_str().unwrap().contains("SLEEP"));
    let ok = serde_json::to_value(check("SELECT 1", &shop())).unwrap();
    assert_eq!(
        ok,
        serde_json::json!({"allowed": true, "code": null, "reason": null})
    );
}
