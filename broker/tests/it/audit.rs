//! The hash-chained audit log: verification catches edits, deletions and
//! insertions made to the SQLite file directly; exports parse back; concurrent
//! appenders keep the chain whole.

use std::collections::HashSet;

use drawbridge_broker::audit::NewEvent;
use drawbridge_shared::Role;
use drawbridge_shared::api::audit::{AuditEvent, AuditPage, AuditVerifyResponse, Outcome};
use reqwest::StatusCode;
use sqlx::Connection;
use sqlx::sqlite::SqliteConnection;

use crate::support::{Services, TestBroker};

const PW: &str = "correct horse battery";

/// A broker with some history: logins ok and failed, and an admin token.
async fn broker_with_history() -> (TestBroker, String) {
    let b = TestBroker::start(&Services::from_state()).await;
    b.add_user("alice", &[Role::User], PW).await;
    b.add_user("carol", &[Role::Admin], PW).await;
    b.login("alice", PW).await;
    b.call(
        reqwest::Method::POST,
        "/v1/auth/login",
        None,
        Some(serde_json::json!({"username": "alice", "password": "wrong"})),
    )
    .await;
    b.login("alice", PW).await;
    let token = b.login("carol", PW).await;
    (b, token)
}

async fn verify(b: &TestBroker, token: &str) -> AuditVerifyResponse {
    let (status, body) = b.get("/v1/audit/verify", token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body).unwrap()
}

/// Opens the broker's SQLite file directly, as an intruder with file access would.
async fn tamper(b: &TestBroker, sql: &str) {
    let path = b.dir.path().join("broker.sqlite");
    let mut conn = SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let done = sqlx::query(sql).execute(&mut conn).await.unwrap();
    assert_eq!(done.rows_affected(), 1, "{sql}");
}

#[tokio::test]
async fn verify_passes_after_normal_use() {
    let (b, token) = broker_with_history().await;
    let report = verify(&b, &token).await;
    assert!(report.valid, "{report:?}");
    assert_eq!(report.events, 4);
}

#[tokio::test]
async fn an_edited_row_is_caught() {
    let (b, token) = broker_with_history().await;
    tamper(&b, "UPDATE audit_events SET outcome = 'ok' WHERE seq = 2").await;
    let report = verify(&b, &token).await;
    assert!(!report.valid);
    assert_eq!(report.first_bad, Some(2), "{report:?}");
}

#[tokio::test]
async fn a_deleted_row_is_caught_in_the_middle_and_at_the_end() {
    let (b, token) = broker_with_history().await;
    tamper(&b, "DELETE FROM audit_events WHERE seq = 2").await;
    let report = verify(&b, &token).await;
    assert_eq!(
        (report.valid, report.first_bad),
        (false, Some(2)),
        "{report:?}"
    );

    let (b, token) = broker_with_history().await;
    tamper(
        &b,
        "DELETE FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events)",
    )
    .await;
    let report = verify(&b, &token).await;
    assert!(
        !report.valid,
        "deleting the newest event must be caught too: {report:?}"
    );
}

#[tokio::test]
async fn an_inserted_row_is_caught() {
    let (b, token) = broker_with_history().await;
    // A forged event appended after the last one, linked to its hash.
    tamper(
        &b,
        "INSERT INTO audit_events (seq, id, time, actor, action, outcome, details, prev_hash, hash) \
         SELECT seq + 1, '01900000-0000-7000-8000-000000000000', time, 'alice', 'auth.login', 'ok', \
         '{}', hash, hash FROM audit_events ORDER BY seq DESC LIMIT 1",
    )
    .await;
    let report = verify(&b, &token).await;
    assert_eq!(
        (report.valid, report.first_bad),
        (false, Some(5)),
        "{report:?}"
    );

    // Also caught by the CLI's code path.
    let direct = drawbridge_broker::audit::verify(&b.state.pool)
        .await
        .unwrap();
    assert!(!direct.valid);
}

#[tokio::test]
async fn list_filters_and_exports_parse_back() {
    let (b, token) = broker_with_history().await;
    let (_, body) = b.get("/v1/audit?actor=alice&outcome=denied", &token).await;
    let page: AuditPage = serde_json::from_value(body).unwrap();
    assert_eq!(page.events.len(), 1);
    assert_eq!(
        page.events[0].reason.as_deref(),
        Some("invalid credentials")
    );

    // Paging, newest first.
    let (_, body) = b.get("/v1/audit?limit=3", &token).await;
    let first: AuditPage = serde_json::from_value(body).unwrap();
    assert_eq!(
        first.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [4, 3, 2]
    );
    let next = first.next_before_seq.expect("a second page");
    let (_, body) = b
        .get(&format!("/v1/audit?limit=3&before_seq={next}"), &token)
        .await;
    let second: AuditPage = serde_json::from_value(body).unwrap();
    assert_eq!(second.events.iter().map(|e| e.seq).collect::<Vec<_>>(), [1]);
    assert_eq!(second.next_before_seq, None);

    let (status, body) = b.get("/v1/audit?outcome=maybe", &token).await;
    assert_eq!(
        (status, crate::support::code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_argument")
    );

    // JSON lines: every event, oldest first, equal to what the API lists.
    let jsonl = b
        .http
        .get(format!("{}/v1/audit/export?format=jsonl", b.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(jsonl.headers()["content-type"], "application/x-ndjson");
    let text = jsonl.text().await.unwrap();
    let exported: Vec<AuditEvent> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut listed = first.events.clone();
    listed.extend(second.events);
    listed.reverse();
    assert_eq!(exported, listed);

    // CSV: a header and one record per event (the jsonl export is now audited too).
    let csv_text = b
        .http
        .get(format!("{}/v1/audit/export?format=csv", b.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    assert_eq!(reader.headers().unwrap().get(0), Some("seq"));
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 5);
    assert_eq!(&records[4][6], "audit.export");
    assert_eq!(records[1][8].to_string(), "denied");
}

#[tokio::test]
async fn concurrent_appenders_keep_the_chain_whole() {
    let b = TestBroker::start(&Services::from_state()).await;
    const WRITERS: usize = 32;
    const EACH: usize = 40;
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let audit = b.state.audit.clone();
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..EACH {
                let e = audit
                    .append(
                        NewEvent::new(format!("writer{w}"), "test.append", Outcome::Ok)
                            .target(format!("{i}")),
                    )
                    .await
                    .expect("append");
                seqs.push(e.seq);
            }
            seqs
        }));
    }
    let mut all = HashSet::new();
    for t in tasks {
        for seq in t.await.unwrap() {
            assert!(all.insert(seq), "seq {seq} handed out twice");
        }
    }
    assert_eq!(all.len(), WRITERS * EACH);
    let report = drawbridge_broker::audit::verify(&b.state.pool)
        .await
        .unwrap();
    assert!(report.valid, "{report:?}");
    assert_eq!(report.events as usize, WRITERS * EACH);
    let per_writer: Vec<(String, i64)> =
        sqlx::query_as("SELECT actor, COUNT(*) FROM audit_events GROUP BY actor")
            .fetch_all(&b.state.pool)
            .await
            .unwrap();
    assert_eq!(per_writer.len(), WRITERS);
    assert!(per_writer.iter().all(|(_, n)| *n == EACH as i64));
}
