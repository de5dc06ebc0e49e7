//! Load: 32 concurrent clients mixing queries, requests and approvals, and
//! secret reads. Then: no unexpected error, MariaDB's processlist and Vault's
//! leases back to where they started, and a leak scan of everything the
//! broker wrote (responses, audit export, store files) for every secret value
//! and every Vault-issued password of the run (read from OpenBao's own raw
//! audit log, switched on for this test).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use drawbridge_shared::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::world::{PW, World};
use crate::support::{Services, cli, figures, unique_suffix};

const QUERY_CLIENTS: usize = 16;
const CYCLE_CLIENTS: usize = 8;
const SECRET_CLIENTS: usize = 8;

#[derive(Default)]
struct Record {
    latencies: BTreeMap<&'static str, Vec<Duration>>,
    unexpected: Vec<String>,
    /// Every response body but the secret reads (whose job is to hold a value).
    bodies: Vec<u8>,
}

type Shared = Arc<Mutex<Record>>;

async fn send(rec: &Shared, kind: &'static str, req: reqwest::RequestBuilder) -> Option<Value> {
    let started = Instant::now();
    let result = async {
        let resp = req.send().await.map_err(|e| e.to_string())?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
        Ok::<_, String>((status, bytes))
    }
    .await;
    let mut r = rec.lock().unwrap();
    r.latencies.entry(kind).or_default().push(started.elapsed());
    match result {
        Ok((status, bytes)) if status.is_success() => {
            if !kind.starts_with("secret") {
                r.bodies.extend_from_slice(&bytes);
            }
            Some(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
        }
        Ok((status, bytes)) => {
            r.unexpected.push(format!(
                "{kind}: {status} {}",
                String::from_utf8_lossy(&bytes)
            ));
            None
        }
        Err(e) => {
            r.unexpected.push(format!("{kind}: {e}"));
            None
        }
    }
}

fn p99_ms(samples: &mut [Duration]) -> f64 {
    samples.sort_unstable();
    let i = ((samples.len() as f64 - 1.0) * 0.99).round() as usize;
    samples
        .get(i)
        .map_or(0.0, |d| (d.as_secs_f64() * 10_000.0).round() / 10.0)
}

/// Vault's role for the test's mount, redefined to also write every issued
/// name and password into a table of the test database (through the ops
/// account, which may): how the test learns the passwords Vault issued.
async fn capture_issued_passwords(w: &World, services: &Services) {
    w.db.exec("CREATE TABLE `{db}`.issued (name VARCHAR(100), password VARCHAR(200))")
        .await;
    let root = &w.vault.root;
    let url = format!(
        "{{{{username}}}}:{{{{password}}}}@tcp({}:{})/",
        services.mysql_host, services.mysql_port
    );
    root.write(
        &format!("{}/config/mariadb", w.vault.mount),
        &json!({"plugin_name": "mysql-database-plugin", "connection_url": url,
                "username": "drawbridge_ops", "password": services.mysql_ops_password,
                "allowed_roles": w.vault.role}),
    )
    .await
    .unwrap();
    let db = &w.db.name;
    root.write(
        &format!("{}/roles/{}", w.vault.mount, w.vault.role),
        &json!({"db_name": "mariadb",
                "creation_statements": [
                    "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';",
                    format!("GRANT SELECT ON `{}`.* TO '{{{{name}}}}'@'%';", db.replace('_', "\\_")),
                    format!("INSERT INTO `{db}`.issued VALUES ('{{{{name}}}}', '{{{{password}}}}');"),
                ],
                "revocation_statements": ["DROP USER IF EXISTS '{{name}}'@'%';"],
                "default_ttl": 3600, "max_ttl": 7200}),
    )
    .await
    .unwrap();
}

async fn vault_leases(services: &Services, mount: &str, role: &str) -> usize {
    let resp = reqwest::Client::new()
        .request(
            reqwest::Method::from_bytes(b"LIST").unwrap(),
            format!(
                "{}/v1/sys/leases/lookup/{mount}/creds/{role}",
                services.vault_addr
            ),
        )
        .header("X-Vault-Token", &services.vault_root_token)
        .send()
        .await
        .unwrap();
    if resp.status() == StatusCode::NOT_FOUND {
        return 0;
    }
    let body: Value = resp.json().await.unwrap();
    body["data"]["keys"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn thirty_two_clients_then_back_to_baseline_and_nothing_leaked() {
    let long = std::env::var_os("DRAWBRIDGE_TEST_LONG").is_some();
    let run_for = Duration::from_secs(if long { 60 } else { 8 });
    let services = Services::from_state();
    let w = World::new(3600, 7200, 3600).await;
    capture_issued_passwords(&w, &services).await;
    let b = &w.b;
    let (mount, role, prefix) = (
        w.vault.mount.clone(),
        w.vault.role.clone(),
        w.vault.user_prefix(),
    );
    let baseline = (
        w.db.connections_like(&prefix).await,
        vault_leases(&services, &mount, &role).await,
    );

    // Who does what.
    let bob = b.login("bob", PW).await;
    let carol = b.login("carol", PW).await;
    let mut secret_values = Vec::new();
    for i in 0..4 {
        let value = format!("leak-canary-{}-{}", i, unique_suffix());
        let (status, body) = b
            .post(
                "/v1/secrets",
                &carol,
                json!({"name": format!("load.s{i}"), "category": "api", "value": value}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        secret_values.push(value);
    }
    let out = cli(b, &["user", "add", "loadsvc", "--role", "service"], &[]);
    assert!(out.status.success());
    let out = cli(b, &["user", "token", "loadsvc", "--pattern", "load.*"], &[]);
    let service = b
        .login("loadsvc", String::from_utf8(out.stdout).unwrap().trim())
        .await;
    let mut query_clients = Vec::new();
    for i in 0..QUERY_CLIENTS {
        let name = format!("q{i}");
        b.add_user(&name, &[Role::User], PW).await;
        let token = b.login(&name, PW).await;
        let req = w.request(&token, 3600).await;
        let (status, body) = w.approve(&bob, req.id).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        query_clients.push((token, body["grant_id"].as_str().unwrap().to_owned()));
    }
    let mut cyclers = Vec::new();
    for i in 0..CYCLE_CLIENTS {
        let name = format!("c{i}");
        b.add_user(&name, &[Role::User], PW).await;
        cyclers.push(b.login(&name, PW).await);
    }

    let rec: Shared = Default::default();
    let http = reqwest::Client::new();
    let started = Instant::now();
    let url = b.url.clone();
    let mut tasks = Vec::new();
    for (i, (token, grant)) in query_clients.iter().cloned().enumerate() {
        let (rec, http, url) = (rec.clone(), http.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while started.elapsed() < run_for {
                n += 1;
                let sql = if n % 5 == 0 {
                    "SELECT id, label, price FROM items ORDER BY id".to_owned()
                } else {
                    format!(
                        "SELECT label FROM items WHERE id = {}",
                        (n + i as u64) % 3 + 1
                    )
                };
                let req = http
                    .post(format!("{url}/v1/queries"))
                    .bearer_auth(&token)
                    .json(&json!({"grant_id": grant, "sql": sql}));
                send(&rec, "query", req).await;
            }
        }));
    }
    for token in cyclers {
        let (rec, http, url, bob) = (rec.clone(), http.clone(), url.clone(), bob.clone());
        tasks.push(tokio::spawn(async move {
            while started.elapsed() < run_for {
                let req = http.post(format!("{url}/v1/access-requests")).bearer_auth(&token)
                    .json(&json!({"database": "db1", "reason": "load test cycle", "duration_seconds": 600}));
                let Some(request) = send(&rec, "request", req).await else { continue };
                let id = request["id"].as_str().unwrap().to_owned();
                let req = http.post(format!("{url}/v1/access-requests/{id}/approve")).bearer_auth(&bob).json(&json!({}));
                let Some(approved) = send(&rec, "approve", req).await else { continue };
                let grant = approved["grant_id"].as_str().unwrap().to_owned();
                let req = http.post(format!("{url}/v1/queries")).bearer_auth(&token)
                    .json(&json!({"grant_id": grant, "sql": "SELECT COUNT(*) FROM items"}));
                send(&rec, "query", req).await;
                let req = http.post(format!("{url}/v1/grants/{grant}/revoke")).bearer_auth(&token).json(&json!({}));
                send(&rec, "revoke", req).await;
            }
        }));
    }
    for i in 0..SECRET_CLIENTS {
        let (rec, http, url) = (rec.clone(), http.clone(), url.clone());
        let (token, admin) = if i % 2 == 0 {
            (carol.clone(), true)
        } else {
            (service.clone(), false)
        };
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while started.elapsed() < run_for {
                n += 1;
                let name = format!("load.s{}", n % 4);
                let req = if admin {
                    http.post(format!("{url}/v1/secrets/{name}/reveal"))
                        .bearer_auth(&token)
                        .json(&json!({}))
                } else {
                    http.get(format!("{url}/v1/secrets/{name}/value"))
                        .bearer_auth(&token)
                };
                send(
                    &rec,
                    if admin {
                        "secret reveal"
                    } else {
                        "secret read"
                    },
                    req,
                )
                .await;
                if admin && n % 10 == 0 {
                    let req = http.get(format!("{url}/v1/secrets")).bearer_auth(&token);
                    send(&rec, "secret list", req).await;
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = started.elapsed();

    {
        let r = rec.lock().unwrap();
        let total: usize = r.latencies.values().map(Vec::len).sum();
        assert!(
            r.unexpected.is_empty(),
            "{} unexpected errors of {total}: {:?}",
            r.unexpected.len(),
            &r.unexpected[..r.unexpected.len().min(5)]
        );
    }

    // Everything ended: back to the baseline.
    for (token, grant) in &query_clients {
        let (status, body) = b
            .post(&format!("/v1/grants/{grant}/revoke"), token, json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let after = loop {
        let now = (
            w.db.connections_like(&prefix).await,
            vault_leases(&services, &mount, &role).await,
        );
        if now == baseline || Instant::now() > deadline {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(
        after, baseline,
        "(connections, leases) after the run vs before"
    );
    assert_eq!(
        w.users().await,
        0,
        "no Vault-issued user outlives its grant"
    );

    // The leak scan: every byte the broker wrote, every secret of the run.
    let mut rec = Arc::try_unwrap(rec).ok().unwrap().into_inner().unwrap();
    for format in ["jsonl", "csv"] {
        let resp = reqwest::Client::new()
            .get(format!("{url}/v1/audit/export?format={format}"))
            .bearer_auth(&carol)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        rec.bodies.extend_from_slice(&resp.bytes().await.unwrap());
    }
    let mut haystacks = vec![("responses and exports", rec.bodies.clone())];
    for suffix in ["", "-wal", "-shm"] {
        let path = b.dir.path().join(format!("broker.sqlite{suffix}"));
        if let Ok(bytes) = std::fs::read(&path) {
            haystacks.push(("store files", bytes));
        }
    }
    let passwords = w.db.strings("SELECT password FROM `{db}`.issued").await;
    assert!(
        passwords.len() > QUERY_CLIENTS,
        "captured the issued passwords: {}",
        passwords.len()
    );
    let needles: Vec<&String> = secret_values.iter().chain(&passwords).collect();
    // The scan can find: a reveal's answer (left out of the haystack) holds its value.
    let (_, revealed) = b
        .post("/v1/secrets/load.s0/reveal", &carol, json!({}))
        .await;
    assert!(revealed.to_string().contains(secret_values[0].as_str()));
    let mut leaks = Vec::new();
    for (what, hay) in &haystacks {
        // std's substring search is optimised even in this unoptimised test build.
        let hay = String::from_utf8_lossy(hay);
        for needle in &needles {
            if hay.contains(needle.as_str()) {
                leaks.push(format!("{what} contain a secret of the run"));
            }
        }
    }
    assert!(leaks.is_empty(), "{leaks:?}");

    let total: usize = rec.latencies.values().map(Vec::len).sum();
    assert!(
        rec.unexpected.is_empty(),
        "{} unexpected errors of {total}: {:?}",
        rec.unexpected.len(),
        &rec.unexpected[..rec.unexpected.len().min(5)]
    );
    let mut all: Vec<Duration> = rec.latencies.values().flatten().copied().collect();
    let per_kind: BTreeMap<&str, Value> = rec
        .latencies
        .iter_mut()
        .map(|(k, v)| (*k, json!({"count": v.len(), "p99_ms": p99_ms(v)})))
        .collect();
    let scanned: usize = haystacks.iter().map(|(_, h)| h.len()).sum();
    figures(
        "load",
        json!({"clients": QUERY_CLIENTS + CYCLE_CLIENTS + SECRET_CLIENTS, "seconds": elapsed.as_secs(),
               "requests": total, "unexpected_errors": 0, "p99_ms": p99_ms(&mut all), "by_kind": per_kind,
               "connections_and_leases_after": [after.0, after.1]}),
    );
    figures(
        "leak scan",
        json!({"bytes_scanned": scanned, "secret_values": secret_values.len(),
               "vault_passwords": passwords.len(), "leaks_found": 0}),
    );
}
