//! Secrets and settings against a real broker: the value never leaks, versions
//! keep digests, service accounts are scoped, master keys rotate, tests run,
//! settings change live.

use std::collections::HashMap;

use axum::http::HeaderMap;
use drawbridge_broker::secrets::Keyring;
use drawbridge_broker::secrets::keyring::{KeyringError, MASTER_KEYS_VAR, generate_key};
use drawbridge_shared::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::broker::config_text;
use crate::support::{Services, TestBroker, TestDatabase, TestVault, cli, code};

const PW: &str = "correct horse battery";
const VALUE: &str = "sk_live_Zq8uNhV3mLr2pT6wXc1Y";

async fn admin_broker(overrides: &[(&str, &str)]) -> (TestBroker, String) {
    let b = TestBroker::start_with(&Services::from_state(), overrides).await;
    b.add_user("carol", &[Role::Admin], PW).await;
    let token = b.login("carol", PW).await;
    (b, token)
}

async fn create(
    b: &TestBroker,
    token: &str,
    name: &str,
    value: &str,
    test: Value,
) -> (StatusCode, Value) {
    b.post(
        "/v1/secrets",
        token,
        json!({"name": name, "category": "payments", "value": value, "description": "Stripe live key", "test": test}),
    )
    .await
}

/// Every file the store consists of, as bytes.
fn store_bytes(b: &TestBroker) -> Vec<u8> {
    let mut all = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        if let Ok(bytes) = std::fs::read(b.dir.path().join(format!("broker.sqlite{suffix}"))) {
            all.extend(bytes);
        }
    }
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn the_value_appears_only_in_reveal() {
    let (b, carol) = admin_broker(&[]).await;
    let (status, body) = create(&b, &carol, "stripe.live", VALUE, Value::Null).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let mut seen = vec![body.to_string()];
    seen.push(
        create(&b, &carol, "stripe.live", VALUE, Value::Null)
            .await
            .1
            .to_string(),
    ); // duplicate: an error
    for path in [
        "/v1/secrets",
        "/v1/secrets/stripe.live",
        "/v1/secrets/export",
    ] {
        let (status, body) = b.get(path, &carol).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        seen.push(body.to_string());
    }
    let (status, updated) = b
        .call(
            Method::PUT,
            "/v1/secrets/stripe.live",
            Some(&carol),
            Some(json!({"description": "rotated soon"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    seen.push(updated.to_string());
    for text in &seen {
        assert!(
            !text.contains(VALUE),
            "the value leaked into a response: {text}"
        );
    }
    let (status, revealed) = b
        .post("/v1/secrets/stripe.live/reveal", &carol, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(revealed["value"], VALUE);

    let audit: Vec<String> = sqlx::query_scalar("SELECT COALESCE(details, '') || COALESCE(reason, '') || COALESCE(target, '') FROM audit_events")
        .fetch_all(&b.state.pool)
        .await
        .unwrap();
    assert!(
        audit.iter().all(|row| !row.contains(VALUE)),
        "the value leaked into the audit log"
    );
    let reveal: (String, Option<String>, Option<String>) = sqlx::query_as(
        "SELECT actor, client_addr, user_agent FROM audit_events WHERE action = 'secret.reveal'",
    )
    .fetch_one(&b.state.pool)
    .await
    .unwrap();
    assert_eq!(reveal.0, "carol");
    assert!(
        reveal.1.is_some() && reveal.2.is_some(),
        "reveal is audited with address and user agent"
    );
    let csv = b
        .http
        .get(format!("{}/v1/audit/export?format=csv", b.url))
        .bearer_auth(&carol)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!csv.contains(VALUE));
    assert!(
        !contains(&store_bytes(&b), VALUE),
        "the value is in plaintext in the SQLite files"
    );
}

#[tokio::test]
async fn versions_keep_digests_not_values() {
    let (b, carol) = admin_broker(&[]).await;
    create(&b, &carol, "smtp.password", "first-value", Value::Null).await;
    b.call(
        Method::PUT,
        "/v1/secrets/smtp.password",
        Some(&carol),
        Some(json!({"value": "second-value"})),
    )
    .await;
    let (_, detail) = b
        .call(
            Method::PUT,
            "/v1/secrets/smtp.password",
            Some(&carol),
            Some(json!({"value": "first-value"})),
        )
        .await;
    assert_eq!(detail["version"], 3);
    let digests: Vec<&str> = detail["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["digest"].as_str().unwrap())
        .collect();
    assert_eq!(digests.len(), 3);
    assert_eq!(digests[0], digests[2], "the same value has the same digest");
    assert_ne!(digests[0], digests[1]);
    assert_eq!(digests[0].len(), 64);
    let (_, revealed) = b
        .post("/v1/secrets/smtp.password/reveal", &carol, json!({}))
        .await;
    assert_eq!(
        (revealed["value"].as_str(), revealed["version"].as_u64()),
        (Some("first-value"), Some(3))
    );

    // Soft delete: gone from listing and reads, audited, and the name is free again.
    let (status, _) = b
        .call(
            Method::DELETE,
            "/v1/secrets/smtp.password",
            Some(&carol),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        b.get("/v1/secrets/smtp.password", &carol).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        create(&b, &carol, "smtp.password", "again", Value::Null)
            .await
            .0,
        StatusCode::CREATED
    );

    let (status, body) = create(&b, &carol, "Bad Name", "x", Value::Null).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_argument")
    );
    let (status, body) = b
        .post(
            "/v1/secrets",
            &carol,
            json!({"name": "ok.name", "category": "UPPER", "value": "x"}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_argument")
    );
}

#[tokio::test]
async fn every_secrets_route_refuses_users_and_approvers() {
    let (b, carol) = admin_broker(&[]).await;
    create(&b, &carol, "api.key", "v", Value::Null).await;
    b.add_user("alice", &[Role::User], PW).await;
    b.add_user("bob", &[Role::Approver], PW).await;
    let routes: &[(Method, &str, Option<Value>)] = &[
        (Method::GET, "/v1/secrets", None),
        (
            Method::POST,
            "/v1/secrets",
            Some(json!({"name": "x.y", "category": "c", "value": "v"})),
        ),
        (Method::GET, "/v1/secrets/export", None),
        (Method::GET, "/v1/secrets/api.key", None),
        (
            Method::PUT,
            "/v1/secrets/api.key",
            Some(json!({"value": "w"})),
        ),
        (Method::DELETE, "/v1/secrets/api.key", None),
        (Method::POST, "/v1/secrets/api.key/reveal", Some(json!({}))),
        (
            Method::POST,
            "/v1/secrets/api.key/activate",
            Some(json!({})),
        ),
        (
            Method::POST,
            "/v1/secrets/api.key/deactivate",
            Some(json!({})),
        ),
        (
            Method::PUT,
            "/v1/secrets/api.key/expiry",
            Some(json!({"expires_at": null})),
        ),
        (Method::POST, "/v1/secrets/api.key/test", Some(json!({}))),
        (Method::GET, "/v1/secrets/api.key/value", None),
        (
            Method::PUT,
            "/v1/settings/query.row_cap",
            Some(json!({"value": 5})),
        ),
    ];
    for name in ["alice", "bob"] {
        let token = b.login(name, PW).await;
        for (method, path, body) in routes {
            let (status, answer) = b
                .call(method.clone(), path, Some(&token), body.clone())
                .await;
            assert_eq!(
                (status, code(&answer)),
                (StatusCode::FORBIDDEN, "forbidden"),
                "{name} {method} {path}"
            );
        }
    }
    let (_, still) = b
        .post("/v1/secrets/api.key/reveal", &carol, json!({}))
        .await;
    assert_eq!(
        still["value"], "v",
        "nothing was changed by the refused calls"
    );
}

#[tokio::test]
async fn service_accounts_read_only_what_their_patterns_allow() {
    let (b, carol) = admin_broker(&[]).await;
    for name in ["smtp.password", "smtp.user", "stripe.live"] {
        create(&b, &carol, name, &format!("value-of-{name}"), Value::Null).await;
    }
    let out = cli(&b, &["user", "add", "mailer", "--role", "service"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cli(&b, &["user", "token", "mailer", "--pattern", "smtp.*"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(token.len(), 43);

    let svc = b.login("mailer", &token).await;
    let (status, body) = b.get("/v1/secrets/smtp.password/value", &svc).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["value"], "value-of-smtp.password");
    let (status, _) = b.get("/v1/secrets/stripe.live/value", &svc).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "outside its patterns");
    for path in ["/v1/secrets", "/v1/secrets/smtp.password"] {
        assert_eq!(b.get(path, &svc).await.0, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(
        b.post("/v1/secrets/smtp.password/reveal", &svc, json!({}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        b.get("/v1/secrets/smtp.password/value", &carol).await.0,
        StatusCode::FORBIDDEN,
        "admins reveal; they do not service-read"
    );
    // A wrong token does not log in.
    let (status, _) = b
        .call(
            Method::POST,
            "/v1/auth/login",
            None,
            Some(json!({"username": "mailer", "password": "nope"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Deactivated or expired secrets are not served, and say so.
    b.post("/v1/secrets/smtp.password/deactivate", &carol, json!({}))
        .await;
    let (status, body) = b.get("/v1/secrets/smtp.password/value", &svc).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "secret_unavailable")
    );
    b.post("/v1/secrets/smtp.password/activate", &carol, json!({}))
        .await;
    assert_eq!(
        b.get("/v1/secrets/smtp.password/value", &svc).await.0,
        StatusCode::OK
    );
    let (_, detail) = b
        .call(
            Method::PUT,
            "/v1/secrets/smtp.user/expiry",
            Some(&carol),
            Some(json!({"expires_at": "2020-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(detail["status"], "expired");
    let (status, body) = b.get("/v1/secrets/smtp.user/value", &svc).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "secret_unavailable")
    );
    let soon = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    let (_, detail) = b
        .call(
            Method::PUT,
            "/v1/secrets/smtp.user/expiry",
            Some(&carol),
            Some(json!({"expires_at": soon})),
        )
        .await;
    assert_eq!(detail["status"], "expiring_soon");

    let reads: Vec<(String, String)> = sqlx::query_as(
        "SELECT outcome, target FROM audit_events WHERE action = 'secret.read' ORDER BY seq",
    )
    .fetch_all(&b.state.pool)
    .await
    .unwrap();
    assert_eq!(reads.first().map(|r| r.0.as_str()), Some("ok"));
    assert!(
        reads
            .iter()
            .any(|r| r.0 == "denied" && r.1 == "secret:stripe.live"),
        "{reads:?}"
    );
}

#[tokio::test]
async fn the_broker_refuses_to_start_without_a_good_master_key() {
    let services = Services::from_state();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("broker.sqlite");
    let text = config_text(store.to_str().unwrap(), &services.vault_addr, "");
    let start = |key: Option<String>| {
        let text = text.clone();
        let dir = dir.path().to_owned();
        async move {
            let mut env = HashMap::new();
            if let Some(k) = key {
                env.insert(MASTER_KEYS_VAR.to_owned(), k);
            }
            let config = drawbridge_broker::config::Config::from_toml(&text, &dir, &env).unwrap();
            drawbridge_broker::server::start(config, &env).await
        }
    };
    let err = start(None)
        .await
        .err()
        .expect("no key: no start")
        .to_string();
    assert!(err.contains(MASTER_KEYS_VAR), "{err}");
    let err = start(Some("not-a-fernet-key".into()))
        .await
        .err()
        .expect("malformed")
        .to_string();
    assert!(err.contains("not a Fernet key"), "{err}");
    let key = generate_key();
    let running = start(Some(key.clone())).await.expect("a good key starts");
    running.shutdown().await;
    let err = start(Some(generate_key()))
        .await
        .err()
        .expect("another key does not open this store")
        .to_string();
    assert!(err.contains("does not decrypt"), "{err}");
}

#[tokio::test]
async fn rotating_the_master_key_keeps_every_value() {
    let old = generate_key();
    let (b, carol) = admin_broker(&[(MASTER_KEYS_VAR, &old)]).await;
    create(&b, &carol, "oauth.github", "gho_abc123", Value::Null).await;
    let new = generate_key();
    let out = cli(
        &b,
        &["secrets", "rotate-key"],
        &[(MASTER_KEYS_VAR, &format!("{new},{old}"))],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let only_new = Keyring::open(
        &HashMap::from([(MASTER_KEYS_VAR.to_owned(), new)]),
        &b.state.pool,
    )
    .await
    .unwrap();
    let ciphertext: String =
        sqlx::query_scalar("SELECT ciphertext FROM secrets WHERE name = 'oauth.github'")
            .fetch_one(&b.state.pool)
            .await
            .unwrap();
    assert_eq!(only_new.decrypt(&ciphertext).unwrap(), "gho_abc123");
    let only_old = Keyring::open(
        &HashMap::from([(MASTER_KEYS_VAR.to_owned(), old)]),
        &b.state.pool,
    )
    .await;
    assert!(
        matches!(only_old, Err(KeyringError::WrongKey)),
        "the old key alone no longer opens the store"
    );
}

#[tokio::test]
async fn testing_a_secret_against_http_and_mysql() {
    let services = Services::from_state();
    let (b, carol) = admin_broker(&[]).await;
    // A local HTTP service that wants `Authorization: Bearer tok-123`.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/ping", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/ping",
        axum::routing::get(|headers: HeaderMap| async move {
            if headers
                .get("authorization")
                .is_some_and(|v| v == "Bearer tok-123")
            {
                StatusCode::OK
            } else {
                StatusCode::UNAUTHORIZED
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    create(
        &b,
        &carol,
        "svc.good",
        "tok-123",
        json!({"kind": "http", "url": url}),
    )
    .await;
    create(
        &b,
        &carol,
        "svc.bad",
        "tok-999",
        json!({"kind": "http", "url": url}),
    )
    .await;
    let (_, good) = b.post("/v1/secrets/svc.good/test", &carol, json!({})).await;
    assert_eq!(good["ok"], true, "{good}");
    let (_, bad) = b.post("/v1/secrets/svc.bad/test", &carol, json!({})).await;
    assert_eq!(
        (bad["ok"].as_bool(), bad["detail"].as_str()),
        (Some(false), Some("HTTP 401 Unauthorized"))
    );
    assert!(!bad.to_string().contains("tok-999"));

    let db = TestDatabase::create(&services).await;
    let _vault = TestVault::mount_for(&services, &db).await;
    let mysql = json!({"kind": "mysql", "host": services.mysql_host, "port": services.mysql_port, "user": "drawbridge_ops"});
    create(
        &b,
        &carol,
        "db.ops",
        &services.mysql_ops_password,
        mysql.clone(),
    )
    .await;
    create(&b, &carol, "db.wrong", "not-the-password", mysql).await;
    let (_, ok) = b.post("/v1/secrets/db.ops/test", &carol, json!({})).await;
    assert_eq!(ok["ok"], true, "{ok}");
    let (_, wrong) = b.post("/v1/secrets/db.wrong/test", &carol, json!({})).await;
    assert_eq!(wrong["ok"], false);
    assert!(!wrong.to_string().contains("not-the-password"));
    let (status, body) = create(&b, &carol, "no.test", "x", Value::Null).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = b.post("/v1/secrets/no.test/test", &carol, json!({})).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_argument")
    );
    let tests: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'secret.test'")
            .fetch_one(&b.state.pool)
            .await
            .unwrap();
    assert_eq!(tests, 4);
}

#[tokio::test]
async fn a_setting_change_takes_effect_on_the_next_query() {
    let services = Services::from_state();
    let db = TestDatabase::create(&services).await;
    let vault = TestVault::mount_for(&services, &db).await;
    let entry = vault.database_entry(&services, "db1", &db, "auto", "", 600);
    let b = TestBroker::start_full(&services, &[], &entry).await;
    b.add_user("alice", &[Role::User], PW).await;
    b.add_user("carol", &[Role::Admin], PW).await;
    let (alice, carol) = (b.login("alice", PW).await, b.login("carol", PW).await);
    let (_, req) = b
        .post(
            "/v1/access-requests",
            &alice,
            json!({"database": "db1", "reason": "investigate ticket OPS-9"}),
        )
        .await;
    let grant = req["grant_id"].as_str().unwrap().to_owned();
    let run = || {
        b.post(
            "/v1/queries",
            &alice,
            json!({"grant_id": grant, "sql": "SELECT id FROM items ORDER BY id"}),
        )
    };
    assert_eq!(run().await.1["row_count"], 3);

    let (status, setting) = b
        .call(
            Method::PUT,
            "/v1/settings/query.row_cap",
            Some(&carol),
            Some(json!({"value": 2})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{setting}");
    assert_eq!(setting["value"], 2);
    let (_, answer) = run().await;
    assert_eq!(
        (answer["row_count"].as_u64(), answer["truncated"].as_bool()),
        (Some(2), Some(true)),
        "live, no restart"
    );

    let (status, body) = b
        .call(
            Method::PUT,
            "/v1/settings/query.row_cap",
            Some(&carol),
            Some(json!({"value": 0})),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_argument")
    );
    let (status, body) = b
        .call(
            Method::PUT,
            "/v1/settings/no.such",
            Some(&carol),
            Some(json!({"value": 1})),
        )
        .await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    let (status, body) = b
        .call(
            Method::PUT,
            "/v1/settings/access.reason_min_length",
            Some(&carol),
            Some(json!({"value": "ten"})),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_argument")
    );
    let (_, all) = b.get("/v1/settings", &alice).await;
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .any(|s| s["key"] == "query.row_cap" && s["value"] == 2 && s["default"] == 10000)
    );
    let change: String =
        sqlx::query_scalar("SELECT details FROM audit_events WHERE action = 'setting.change'")
            .fetch_one(&b.state.pool)
            .await
            .unwrap();
    let change: Value = serde_json::from_str(&change).unwrap();
    assert_eq!(
        (change["old"].as_u64(), change["new"].as_u64()),
        (Some(10000), Some(2))
    );
}

/// A few lines of SMTP: greets, offers AUTH PLAIN/LOGIN, accepts one password.
async fn fake_smtp(password: &'static str) -> u16 {
    use base64::Engine;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 fake ESMTP\r\n").await;
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let reply: String = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        "250-fake\r\n250 AUTH PLAIN LOGIN\r\n".into()
                    } else if upper.starts_with("AUTH PLAIN") {
                        let b64 = match line.split_whitespace().nth(2) {
                            Some(b) => b.to_owned(),
                            None => {
                                let _ = write.write_all(b"334 \r\n").await;
                                lines.next_line().await.ok().flatten().unwrap_or_default()
                            }
                        };
                        let decoded = base64::engine::general_purpose::STANDARD
                            .decode(b64.trim())
                            .unwrap_or_default();
                        let ok =
                            decoded.split(|b| *b == 0).next_back() == Some(password.as_bytes());
                        if ok {
                            "235 2.7.0 ok\r\n".into()
                        } else {
                            "535 5.7.8 bad credentials\r\n".into()
                        }
                    } else if upper.starts_with("QUIT") {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        "250 ok\r\n".into()
                    };
                    let _ = write.write_all(reply.as_bytes()).await;
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn testing_a_secret_against_smtp() {
    let (b, carol) = admin_broker(&[]).await;
    let port = fake_smtp("mail-pass-1").await;
    let smtp =
        json!({"kind": "smtp", "host": "127.0.0.1", "port": port, "user": "mailer", "tls": "none"});
    create(&b, &carol, "smtp.good", "mail-pass-1", smtp.clone()).await;
    create(&b, &carol, "smtp.bad", "mail-pass-2", smtp).await;
    let (_, good) = b
        .post("/v1/secrets/smtp.good/test", &carol, json!({}))
        .await;
    assert_eq!(good["ok"], true, "{good}");
    let (_, bad) = b.post("/v1/secrets/smtp.bad/test", &carol, json!({})).await;
    assert_eq!(bad["ok"], false, "{bad}");
    assert!(!bad.to_string().contains("mail-pass-2"));
    let (_, nobody) = {
        let closed = json!({"kind": "smtp", "host": "127.0.0.1", "port": 9, "user": "mailer", "tls": "none"});
        create(&b, &carol, "smtp.closed", "x", closed).await;
        b.post("/v1/secrets/smtp.closed/test", &carol, json!({}))
            .await
    };
    assert_eq!(nobody["ok"], false);
}
