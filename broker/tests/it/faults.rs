//! Faults against the real processes: MariaDB going away mid-query, Vault
//! going away while a grant ends, the store's disk filling up. While a part
//! is down the broker answers clear 503s; it recovers without a restart; the
//! audit chain verifies and holds every acknowledged event; no MySQL user
//! outlives its grant.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::world::{PW, Setup, World};
use crate::support::{Services, TcpProxy, code, figures};

async fn granted(w: &World) -> (String, String) {
    let alice = w.b.login("alice", PW).await;
    let bob = w.b.login("bob", PW).await;
    let req = w.request(&alice, 900).await;
    let (status, body) = w.approve(&bob, req.id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (alice, body["grant_id"].as_str().unwrap().to_owned())
}

async fn query(w: &World, token: &str, grant: &str, sql: &str) -> (StatusCode, Value) {
    w.b.post("/v1/queries", token, json!({"grant_id": grant, "sql": sql}))
        .await
}

/// The query ids of the audited `query.run` events with outcome ok.
async fn audited_ok_queries(w: &World) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT json_extract(details, '$.query_id') FROM audit_events \
         WHERE action = 'query.run' AND outcome = 'ok'",
    )
    .fetch_all(&w.b.state.pool)
    .await
    .unwrap()
}

async fn chain_verifies(w: &World) -> u64 {
    let v = drawbridge_broker::audit::verify(&w.b.state.pool)
        .await
        .unwrap();
    assert!(v.valid, "{v:?}");
    v.events
}

#[tokio::test]
async fn mariadb_going_away_mid_query_answers_503_and_recovers_without_a_restart() {
    let services = Services::from_state();
    let proxy = TcpProxy::start(&format!("{}:{}", services.mysql_host, services.mysql_port)).await;
    let setup = Setup {
        mysql_port: Some(proxy.port),
        // The orphaned slow statement is stopped by the server soon.
        overrides: &[("DRAWBRIDGE_QUERY_STATEMENT_TIMEOUT_MS", "4000")],
    };
    let w = World::build(3600, 7200, 3600, &setup).await;
    w.db.exec("CREATE TABLE `{db}`.numbers (n INT PRIMARY KEY)")
        .await;
    w.db.exec("INSERT INTO `{db}`.numbers SELECT seq FROM `{db}`.seq_1_to_1500")
        .await;
    let (alice, grant) = granted(&w).await;
    let mut acknowledged = Vec::new();
    let (status, body) = query(&w, &alice, &grant, "SELECT COUNT(*) AS n FROM items").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    acknowledged.push(body["query_id"].as_str().unwrap().to_owned());

    // A slow query is running when MariaDB goes away.
    let slow = {
        let (b, alice, grant) = (w.b.url.clone(), alice.clone(), grant.clone());
        tokio::spawn(async move {
            let resp = reqwest::Client::new()
                .post(format!("{b}/v1/queries"))
                .bearer_auth(alice)
                .json(&json!({"grant_id": grant,
                    "sql": "SELECT COUNT(*) FROM numbers a, numbers b, numbers c"}))
                .send()
                .await
                .unwrap();
            (resp.status(), resp.json::<Value>().await.unwrap())
        })
    };
    tokio::time::sleep(Duration::from_millis(700)).await;
    proxy.cut();
    let (status, body) = slow.await.unwrap();
    assert_eq!(
        (status, code(&body)),
        (StatusCode::SERVICE_UNAVAILABLE, "database_unavailable"),
        "{body}"
    );
    // While it is down: clear 503s, every time.
    let mut refused = 1;
    for _ in 0..3 {
        let (status, body) = query(&w, &alice, &grant, "SELECT 1").await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::SERVICE_UNAVAILABLE, "database_unavailable"),
            "{body}"
        );
        refused += 1;
    }

    // Back: the same broker serves the same grant again.
    proxy.restore();
    let started = Instant::now();
    let recovered = loop {
        let (status, body) = query(&w, &alice, &grant, "SELECT label FROM items ORDER BY id").await;
        if status == StatusCode::OK {
            assert_eq!(body["rows"][0][0], "kettle");
            acknowledged.push(body["query_id"].as_str().unwrap().to_owned());
            break started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no recovery: {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };

    let audited = audited_ok_queries(&w).await;
    for id in &acknowledged {
        assert!(
            audited.contains(id),
            "acknowledged query {id} is not in the audit log"
        );
    }
    let events = chain_verifies(&w).await;
    let (status, _) =
        w.b.post(&format!("/v1/grants/{grant}/revoke"), &alice, json!({}))
            .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        w.wait_users(0, Duration::from_secs(10)).await,
        0,
        "the user outlived its grant"
    );
    figures(
        "fault: MariaDB away mid-query",
        json!({"refused_with_503": refused, "recovered_after_ms": recovered.as_millis() as u64,
               "acknowledged_in_audit": acknowledged.len(), "events_verified": events}),
    );
}

#[tokio::test]
async fn vault_going_away_while_a_grant_ends_still_removes_the_user() {
    let services = Services::from_state();
    let proxy = TcpProxy::start(services.vault_addr.trim_start_matches("http://")).await;
    let url = proxy.url();
    let setup = Setup {
        mysql_port: None,
        overrides: &[("DRAWBRIDGE_VAULT_ADDR", &url)],
    };
    let w = World::build(3600, 7200, 3600, &setup).await;
    let (alice, grant) = granted(&w).await;
    assert_eq!(w.users().await, 1);
    let bob = w.b.login("bob", PW).await;

    proxy.cut();
    // The grant ends at once for its user, whatever Vault says…
    let (status, body) =
        w.b.post(&format!("/v1/grants/{grant}/revoke"), &alice, json!({}))
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = query(&w, &alice, &grant, "SELECT 1").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    // …new approvals are refused clearly, and health says what is pending.
    let dave = w.b.login("dave", PW).await;
    let req = w.request(&dave, 600).await;
    let (status, body) = w.approve(&bob, req.id).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::SERVICE_UNAVAILABLE, "vault_unavailable")
    );
    let (status, health) = w.b.call(Method::GET, "/health", None, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{health}");

    // Vault back: the queued revocation goes through and the user is gone.
    proxy.restore();
    let started = Instant::now();
    assert_eq!(
        w.wait_users(0, Duration::from_secs(30)).await,
        0,
        "the user outlived its grant"
    );
    let removed_after = started.elapsed();
    let (status, body) = w.approve(&bob, req.id).await;
    assert_eq!(status, StatusCode::OK, "approvals work again: {body}");
    let events = chain_verifies(&w).await;
    assert!(w.actions().await.iter().any(|a| a == "grant.lease_revoked"));
    figures(
        "fault: Vault away while a grant ends",
        json!({"user_removed_after_vault_returned_ms": removed_after.as_millis() as u64,
               "approval_refused_with_503": 1, "events_verified": events}),
    );
}

/// A small tmpfs for the store, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then_some(Self { dir })
    }

    /// Fills what is left with a file; answers its path.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.dir.path().join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        let _ = f.flush();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

#[tokio::test]
async fn a_full_disk_answers_503_and_loses_nothing_acknowledged() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("drawbridge_broker=debug")
        .try_init();
    let Some(disk) = SmallDisk::mount(8) else {
        figures(
            "fault: store disk full",
            json!({"skipped": "cannot mount a tmpfs (needs root)"}),
        );
        return;
    };
    let store = disk.dir.path().join("broker.sqlite");
    let store = store.to_str().unwrap().to_owned();
    let setup = Setup {
        mysql_port: None,
        overrides: &[("DRAWBRIDGE_STORE_PATH", &store)],
    };
    let w = World::build(3600, 7200, 3600, &setup).await;
    let carol = w.b.login("carol", PW).await;
    let value = "v".repeat(8 * 1024);
    let mut acknowledged = Vec::new();
    let create = |i: usize| {
        let (b, carol, value) = (&w.b, carol.clone(), value.clone());
        async move {
            b.post(
                "/v1/secrets",
                &carol,
                json!({"name": format!("disk.{i}"), "category": "api", "value": value}),
            )
            .await
        }
    };
    for i in 0..5 {
        let (status, body) = create(i).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        acknowledged.push(format!("secret:disk.{i}"));
    }

    let filler = disk.fill();
    let (mut refused, mut accepted_while_full) = (0, 0);
    for i in 5..60 {
        let (status, body) = create(i).await;
        match status {
            StatusCode::CREATED => {
                // The WAL may still have room for a few; those are kept.
                accepted_while_full += 1;
                acknowledged.push(format!("secret:disk.{i}"));
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(code(&body), "store_unavailable", "{body}");
                refused += 1;
            }
            other => panic!("disk full answered {other}: {body}"),
        }
    }
    assert!(refused > 0, "a full disk must refuse writes");
    let (status, _) = w.b.call(Method::GET, "/health", None, None).await;
    assert!(status == StatusCode::OK || status == StatusCode::SERVICE_UNAVAILABLE);

    // Room again: the same broker writes again, without a restart.
    std::fs::remove_file(filler).unwrap();
    let freed = Instant::now();
    let recovered = loop {
        let (status, body) = create(1000).await;
        if status == StatusCode::CREATED {
            break freed.elapsed();
        }
        if freed.elapsed() > Duration::from_secs(15) {
            let probe = sqlx::query("CREATE TABLE IF NOT EXISTS probe (x)")
                .execute(&w.b.state.pool)
                .await;
            panic!(
                "no recovery after the disk was freed: {status} {body}; a direct write: {probe:?}"
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    acknowledged.push("secret:disk.1000".to_owned());

    let targets: Vec<String> = sqlx::query_scalar(
        "SELECT target FROM audit_events WHERE action = 'secret.create' AND outcome = 'ok'",
    )
    .fetch_all(&w.b.state.pool)
    .await
    .unwrap();
    for t in &acknowledged {
        assert!(
            targets.contains(t),
            "acknowledged {t} is not in the audit log"
        );
    }
    let (_, list) = w.b.get("/v1/secrets", &carol).await;
    assert_eq!(
        list.as_array().unwrap().len(),
        acknowledged.len(),
        "exactly the acknowledged secrets exist: nothing half-written"
    );
    let events = chain_verifies(&w).await;
    figures(
        "fault: store disk full",
        json!({"refused_with_503": refused, "accepted_while_full": accepted_while_full,
               "recovered_after_ms": recovered.as_millis() as u64,
               "acknowledged_in_audit": acknowledged.len(), "events_verified": events}),
    );
}
