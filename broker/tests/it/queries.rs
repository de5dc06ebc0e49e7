//! Gated queries on real MariaDB through the real broker: types, row cap,
//! timeout, cancel, streaming, schema, and the defences behind the gate.

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use drawbridge_broker::query::{Limits, QueryError, run_read_only};
use drawbridge_shared::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;
use tokio::sync::mpsc;

use crate::support::mariadb::connect_options;
use crate::support::{Services, TestBroker, TestDatabase, TestVault, code};

const PW: &str = "correct horse battery";

struct World {
    db: TestDatabase,
    _vault: TestVault,
    b: TestBroker,
    alice: String,
    grant: String,
}

async fn world(overrides: &[(&str, &str)]) -> World {
    let services = Services::from_state();
    let db = TestDatabase::create(&services).await;
    db.exec(
        "CREATE TABLE `{db}`.types (
           id BIGINT UNSIGNED PRIMARY KEY, small TINYINT, flag TINYINT(1), price DECIMAL(20,6), ratio DOUBLE,
           f FLOAT, born DATE, seen DATETIME(3), stamp TIMESTAMP NULL, span TIME, yr YEAR, doc JSON, raw VARBINARY(8),
           name VARCHAR(40), kind ENUM('a','b'), bits BIT(8), note TEXT NULL)",
    )
    .await;
    db.exec(
        "INSERT INTO `{db}`.types VALUES
           (18446744073709551615, -128, 1, 12345678901234.123456, 0.1, 1.5, '2024-02-29', '2024-02-29 23:59:58.123',
            '2024-03-01 12:00:00', '-838:59:59', 2024, '{\"a\": [1, 2, {\"b\": null}]}', X'00FF10', 'Zoë 日本', 'b', b'10100101', NULL)",
    )
    .await;
    db.exec("CREATE TABLE `{db}`.numbers (n INT PRIMARY KEY)")
        .await;
    db.exec("INSERT INTO `{db}`.numbers SELECT seq FROM `{db}`.seq_1_to_1500")
        .await;
    let vault = TestVault::mount_for(&services, &db).await;
    let entry = vault.database_entry(&services, "db1", &db, "auto", "", 600);
    let b = TestBroker::start_full(&services, overrides, &entry).await;
    b.add_user("alice", &[Role::User], PW).await;
    b.add_user("dave", &[Role::User], PW).await;
    let alice = b.login("alice", PW).await;
    let (status, req) = b
        .post(
            "/v1/access-requests",
            &alice,
            json!({"database": "db1", "reason": "investigate ticket OPS-7"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{req}");
    let grant = req["grant_id"].as_str().unwrap().to_owned();
    World {
        db,
        _vault: vault,
        b,
        alice,
        grant,
    }
}

impl World {
    async fn query(&self, sql: &str, extra: Value) -> (StatusCode, Value) {
        let mut body = json!({"grant_id": self.grant, "sql": sql});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        self.b.post("/v1/queries", &self.alice, body).await
    }
}

#[tokio::test]
async fn every_type_maps_faithfully() {
    let w = world(&[]).await;
    let (status, body) = w.query("SELECT * FROM types", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let columns: Vec<(&str, bool)> = body["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["binary"].as_bool().unwrap()))
        .collect();
    // MariaDB's JSON is utf8mb4_bin text: flagged binary on the wire, like VARBINARY.
    assert_eq!(
        columns
            .iter()
            .filter(|(_, b)| *b)
            .map(|(n, _)| *n)
            .collect::<Vec<_>>(),
        ["doc", "raw"]
    );
    let row = &body["rows"][0];
    let expected = json!([
        18446744073709551615u64, -128, 1, "12345678901234.123456", 0.1, 1.5, "2024-02-29", "2024-02-29T23:59:58.123",
        "2024-03-01T12:00:00Z", "-838:59:59", 2024, {"a": [1, 2, {"b": null}]}, {"base64": "AP8Q"}, "Zoë 日本", "b", 165, null
    ]);
    for (i, (got, want)) in row
        .as_array()
        .unwrap()
        .iter()
        .zip(expected.as_array().unwrap())
        .enumerate()
    {
        assert_eq!(got, want, "column {} ({})", i, columns[i].0);
    }
    assert_eq!(
        (body["row_count"].as_u64(), body["truncated"].as_bool()),
        (Some(1), Some(false))
    );
    assert!(body["query_id"].as_str().is_some() && body["elapsed_ms"].as_u64().is_some());
}

#[tokio::test]
async fn row_cap_from_config_and_lower_per_request() {
    let w = world(&[("DRAWBRIDGE_QUERY_ROW_CAP", "100")]).await;
    let (_, body) = w
        .query("SELECT n FROM numbers ORDER BY n", json!({"max_rows": 10}))
        .await;
    assert_eq!(body["rows"].as_array().unwrap().len(), 10);
    assert_eq!(
        (body["row_count"].as_u64(), body["truncated"].as_bool()),
        (Some(10), Some(true))
    );
    assert_eq!(body["rows"][9][0], 10);
    let (_, body) = w
        .query("SELECT n FROM numbers", json!({"max_rows": 100000}))
        .await;
    assert_eq!(
        (body["row_count"].as_u64(), body["truncated"].as_bool()),
        (Some(100), Some(true)),
        "never raised"
    );
    let (_, body) = w
        .query("SELECT n FROM numbers WHERE n <= 100", json!({}))
        .await;
    assert_eq!(
        (body["row_count"].as_u64(), body["truncated"].as_bool()),
        (Some(100), Some(false))
    );
}

const SLOW: &str = "SELECT COUNT(*) FROM numbers a, numbers b, numbers c";

#[tokio::test]
async fn the_statement_time_limit_stops_a_slow_query() {
    let w = world(&[("DRAWBRIDGE_QUERY_STATEMENT_TIMEOUT_MS", "400")]).await;
    let started = std::time::Instant::now();
    let (status, body) = w.query(SLOW, json!({})).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::REQUEST_TIMEOUT, "query_timeout"),
        "{body}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    // The grant still works afterwards.
    let (status, _) = w.query("SELECT 1", json!({})).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_running_query_is_cancelled_on_the_server() {
    let w = world(&[]).await;
    let query_id = uuid::Uuid::now_v7();
    let running = {
        let (b, alice, grant) = (w.b.http.clone(), w.alice.clone(), w.grant.clone());
        let url = format!("{}/v1/queries", w.b.url);
        tokio::spawn(async move {
            let resp = b
                .post(url)
                .bearer_auth(alice)
                .json(&json!({"grant_id": grant, "sql": SLOW, "query_id": query_id}))
                .send()
                .await
                .unwrap();
            (resp.status(), resp.json::<Value>().await.unwrap())
        })
    };
    tokio::time::sleep(Duration::from_millis(700)).await;
    let dave = w.b.login("dave", PW).await;
    let (status, _) =
        w.b.call(
            reqwest::Method::DELETE,
            &format!("/v1/queries/{query_id}"),
            Some(&dave),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "only its owner may cancel it"
    );
    let started = std::time::Instant::now();
    let (status, _) =
        w.b.call(
            reqwest::Method::DELETE,
            &format!("/v1/queries/{query_id}"),
            Some(&w.alice),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("stopped quickly")
        .unwrap();
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "query_cancelled"),
        "{body}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    let statuses: Vec<String> = sqlx::query_scalar(
        "SELECT json_extract(details, '$.status') FROM audit_events WHERE action = 'query.run'",
    )
    .fetch_all(&w.b.state.pool)
    .await
    .unwrap();
    assert!(statuses.contains(&"cancelled".to_owned()), "{statuses:?}");
    // Nothing of it still runs on the server.
    // (In this test's database: other tests run slow queries of their own.)
    let busy: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT COUNT(*) FROM numbers a%' AND DB = ?")
        .bind(&w.db.name)
        .fetch_one(&w.db.ops)
        .await
        .unwrap();
    assert_eq!(busy, 0);
}

#[tokio::test]
async fn gate_denials_are_422_with_the_reason_and_audited() {
    let w = world(&[]).await;
    for (sql, gate_code) in [
        ("DELETE FROM items", "data_modification"),
        ("SELECT SLEEP(3)", "function"),
        ("SELECT * FROM mysql.user", "system_schema"),
        ("SELECT 1; SELECT 2", "multiple_statements"),
    ] {
        let (status, body) = w.query(sql, json!({})).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "gate_denied"),
            "{sql}"
        );
        assert_eq!(body["error"]["gate_code"], gate_code, "{sql}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
    let denied: Vec<String> = sqlx::query_scalar("SELECT json_extract(details, '$.sql') FROM audit_events WHERE action = 'query.run' AND outcome = 'denied'")
        .fetch_all(&w.b.state.pool)
        .await
        .unwrap();
    assert_eq!(denied.len(), 4);
    assert!(denied.contains(&"DELETE FROM items".to_owned()));

    let (status, body) =
        w.b.post("/v1/sql/check", &w.alice, json!({"sql": "SELECT SLEEP(1)"}))
            .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (body["allowed"].as_bool(), body["code"].as_str()),
        (Some(false), Some("function"))
    );
    let (_, body) =
        w.b.post(
            "/v1/sql/check",
            &w.alice,
            json!({"sql": "SELECT * FROM items", "database": "db1"}),
        )
        .await;
    assert_eq!(body["allowed"], true);
    let (status, body) =
        w.b.post(
            "/v1/sql/check",
            &w.alice,
            json!({"sql": "SELECT 1", "database": "nope"}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::NOT_FOUND, "unknown_database")
    );
}

#[tokio::test]
async fn results_stream_as_ndjson() {
    let w = world(&[("DRAWBRIDGE_QUERY_STREAM_BATCH_ROWS", "400")]).await;
    let resp = w
        .b
        .http
        .post(format!("{}/v1/queries", w.b.url))
        .bearer_auth(&w.alice)
        .header("accept", "application/x-ndjson")
        .json(&json!({"grant_id": w.grant, "sql": "SELECT n, CONCAT('row ', n) AS label FROM numbers ORDER BY n"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "application/x-ndjson");
    let text = resp.text().await.unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["columns"][1]["name"], "label");
    let batches: Vec<usize> = lines[1..lines.len() - 1]
        .iter()
        .map(|l| l["rows"].as_array().unwrap().len())
        .collect();
    assert_eq!(batches, [400, 400, 400, 300]);
    let last = lines.last().unwrap();
    assert_eq!(
        (last["row_count"].as_u64(), last["truncated"].as_bool()),
        (Some(1500), Some(false))
    );
}

#[tokio::test]
async fn schema_and_grant_ownership() {
    let w = world(&[]).await;
    let (status, body) =
        w.b.get(&format!("/v1/grants/{}/schema", w.grant), &w.alice)
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let tables: Vec<&str> = body["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tables, ["items", "numbers", "types"]);
    assert_eq!(
        body["tables"][0]["columns"][0],
        json!({"name": "id", "type": "int(11)", "nullable": false, "key": "PRI"})
    );

    let dave = w.b.login("dave", PW).await;
    let (status, body) =
        w.b.post(
            "/v1/queries",
            &dave,
            json!({"grant_id": w.grant, "sql": "SELECT 1"}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::NOT_FOUND, "not_found"),
        "another user's grant"
    );
    let (status, _) =
        w.b.get(&format!("/v1/grants/{}/schema", w.grant), &dave)
            .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    w.b.post(
        &format!("/v1/grants/{}/revoke", w.grant),
        &w.alice,
        json!({}),
    )
    .await;
    let (status, body) = w.query("SELECT 1", json!({})).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "grant_revoked")
    );
}

/// Behind the gate: even a statement the gate would refuse cannot write or
/// stack, here run by an account that may write.
#[tokio::test]
async fn read_only_transaction_and_prepared_protocol_hold_without_the_gate() {
    let services = Services::from_state();
    let db = TestDatabase::create(&services).await;
    let mut conn = sqlx::MySqlConnection::connect_with(
        &connect_options(&services, "drawbridge_ops", &services.mysql_ops_password)
            .database(&db.name),
    )
    .await
    .unwrap();
    let limits = Limits {
        cap: 100,
        timeout_ms: 5000,
        batch_rows: 10,
    };
    let (tx, mut rx) = mpsc::channel(16);
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let never = AtomicBool::new(false);
    let (result, _) = run_read_only(
        &mut conn,
        "INSERT INTO items VALUES (9, 'x', 1)",
        limits,
        &never,
        &tx,
        |_| {},
    )
    .await;
    match result {
        Err(QueryError::Failed(m)) => assert!(m.contains("READ ONLY"), "{m}"),
        other => panic!("a write must fail in the READ ONLY transaction: {other:?}"),
    }
    let (result, _) = run_read_only(
        &mut conn,
        "SELECT 1; DELETE FROM items",
        limits,
        &never,
        &tx,
        |_| {},
    )
    .await;
    assert!(
        matches!(result, Err(QueryError::Failed(_))),
        "stacked statements: {result:?}"
    );
    conn.close().await.ok();
    let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM `{}`.items", db.name))
        .fetch_one(&db.ops)
        .await
        .unwrap();
    assert_eq!(n, 3, "nothing was written or deleted");
}
