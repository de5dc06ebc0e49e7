//! Faults against real processes: the broker killed without warning while
//! grants are active, and Vault unreachable during an approval.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use drawbridge_shared::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::broker::config_text;
use crate::support::{Services, TcpProxy, TestBroker, TestDatabase, TestVault, code};

const PW: &str = "correct horse battery";
const BIN: &str = env!("CARGO_BIN_EXE_drawbridge-broker");

/// The real `drawbridge-broker` binary, as a child process.
struct BrokerProcess {
    child: Child,
    url: String,
}

impl BrokerProcess {
    fn cli(config: &std::path::Path) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("--config").arg(config);
        cmd
    }

    async fn start(
        config: &std::path::Path,
        port: u16,
        vault_token: &str,
        master_key: &str,
    ) -> Self {
        let child = Self::cli(config)
            .arg("serve")
            .env("DRAWBRIDGE_MASTER_KEYS", master_key)
            .env("DRAWBRIDGE_LISTEN", format!("127.0.0.1:{port}"))
            .env("VAULT_TOKEN", vault_token)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the broker");
        // Owned at once, so that Drop kills and reaps it whatever happens next.
        let broker = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..100 {
            if reqwest::get(format!("{}/health", broker.url)).await.is_ok() {
                return broker;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the broker process did not come up");
    }

    /// SIGKILL: no shutdown code runs, nothing is revoked.
    fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    async fn call(
        &self,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let http = reqwest::Client::new();
        let mut req = match &body {
            Some(_) => http.post(format!("{}{path}", self.url)),
            None => http.get(format!("{}{path}", self.url)),
        };
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn login(&self, name: &str) -> String {
        let (status, body) = self
            .call(
                "/v1/auth/login",
                None,
                Some(json!({"username": name, "password": PW})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn a_killed_broker_leaves_no_user_alive_past_its_grant() {
    let services = Services::from_state();
    let db = TestDatabase::create(&services).await;
    let vault = TestVault::mount_for(&services, &db).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("broker.toml");
    let store = dir.path().join("broker.sqlite");
    let entry = vault.database_entry(&services, "db1", &db, "required", "\"approver\"", 3600);
    std::fs::write(
        &config,
        config_text(store.to_str().unwrap(), &services.vault_addr, &entry),
    )
    .unwrap();
    for (name, role) in [("alice", "user"), ("dave", "user"), ("bob", "approver")] {
        let mut child = BrokerProcess::cli(&config)
            .args(["user", "add", name, "--role", role, "--password-stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(PW.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success(), "user add {name}");
    }

    let port = free_port();
    let master_key = drawbridge_broker::secrets::keyring::generate_key();
    let broker = BrokerProcess::start(&config, port, &services.vault_root_token, &master_key).await;
    let bob = broker.login("bob").await;
    let mut grants = Vec::new();
    let mut tokens = Vec::new();
    for (name, seconds) in [("alice", 2), ("dave", 600)] {
        let token = broker.login(name).await;
        tokens.push(token.clone());
        let (_, req) = broker
            .call("/v1/access-requests", Some(&token), Some(json!({"database": "db1", "reason": "look at the incident", "duration_seconds": seconds})))
            .await;
        let (status, body) = broker
            .call(
                &format!(
                    "/v1/access-requests/{}/approve",
                    req["id"].as_str().unwrap()
                ),
                Some(&bob),
                Some(json!({})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        grants.push(body["grant_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(db.users_like(&vault.user_prefix()).await, 2);

    // Under load: eight clients querying on dave's grant when the broker dies.
    let load: Vec<_> = (0..8)
        .map(|_| {
            let (url, token, grant) = (broker.url.clone(), tokens[1].clone(), grants[1].clone());
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let mut acknowledged = Vec::new();
                loop {
                    let sent = http
                        .post(format!("{url}/v1/queries"))
                        .bearer_auth(&token)
                        .json(&json!({"grant_id": grant, "sql": "SELECT label FROM items"}))
                        .send()
                        .await;
                    let Ok(resp) = sent else { break acknowledged };
                    if resp.status() != StatusCode::OK {
                        break acknowledged;
                    }
                    match resp.json::<Value>().await {
                        Ok(body) => {
                            acknowledged.push(body["query_id"].as_str().unwrap().to_owned())
                        }
                        Err(_) => break acknowledged, // cut mid-answer: not acknowledged
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    broker.kill9();
    let mut acknowledged = Vec::new();
    for task in load {
        acknowledged.extend(task.await.unwrap());
    }
    assert!(
        acknowledged.len() > 8,
        "the load ran: {}",
        acknowledged.len()
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    // Nobody revoked anything: both users outlive the dead broker (alice's past her grant).
    assert_eq!(db.users_like(&vault.user_prefix()).await, 2);

    let broker = BrokerProcess::start(&config, port, &services.vault_root_token, &master_key).await;
    assert_eq!(
        db.users_like(&vault.user_prefix()).await,
        0,
        "on start the broker revokes every lease of the previous run"
    );
    let bob = broker.login("bob").await;
    let (_, alice_grant) = broker
        .call(&format!("/v1/grants/{}", grants[0]), Some(&bob), None)
        .await;
    assert_eq!(alice_grant["state"], "expired");
    let (_, dave_grant) = broker
        .call(&format!("/v1/grants/{}", grants[1]), Some(&bob), None)
        .await;
    assert_eq!(
        dave_grant["state"], "active",
        "a grant still in time stays active; fresh credentials come on first use"
    );
    broker.kill9();
    // The whole story is in a chain that still verifies.
    let out = BrokerProcess::cli(&config)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    // Every query the clients saw answered is in the log that survived the kill.
    let store_pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", store.display()))
        .await
        .unwrap();
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT json_extract(details, '$.query_id') FROM audit_events WHERE action = 'query.run'",
    )
    .fetch_all(&store_pool)
    .await
    .unwrap();
    let missing: Vec<_> = acknowledged
        .iter()
        .filter(|id| !audited.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "acknowledged but not audited: {missing:?}"
    );
    crate::support::figures(
        "fault: broker kill -9 under load",
        json!({"clients": 8, "acknowledged_queries_checked": acknowledged.len(), "missing": 0,
               "users_revoked_at_restart": 2}),
    );
    assert!(text.contains("\"valid\":true"), "{text}");
}

#[tokio::test]
async fn vault_down_during_approval_answers_503_and_leaves_the_request_pending() {
    let services = Services::from_state();
    let db = TestDatabase::create(&services).await;
    let vault = TestVault::mount_for(&services, &db).await;
    let proxy = TcpProxy::start(services.vault_addr.trim_start_matches("http://")).await;
    let entry = vault.database_entry(&services, "db1", &db, "required", "\"approver\"", 600);
    let b = TestBroker::start_full(
        &services,
        &[("DRAWBRIDGE_VAULT_ADDR", &proxy.url())],
        &entry,
    )
    .await;
    b.add_user("alice", &[Role::User], PW).await;
    b.add_user("bob", &[Role::Approver], PW).await;
    let alice = b.login("alice", PW).await;
    let bob = b.login("bob", PW).await;
    let (_, req) = b
        .post(
            "/v1/access-requests",
            &alice,
            json!({"database": "db1", "reason": "look at the incident"}),
        )
        .await;
    let id = req["id"].as_str().unwrap();

    proxy.cut();
    let (status, body) = b
        .post(
            &format!("/v1/access-requests/{id}/approve"),
            &bob,
            json!({}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::SERVICE_UNAVAILABLE, "vault_unavailable"),
        "{body}"
    );
    let (_, health) = b.call(reqwest::Method::GET, "/health", None, None).await;
    assert_eq!(health["vault"]["ok"], false);
    let (_, still) = b.get(&format!("/v1/access-requests/{id}"), &alice).await;
    assert_eq!(still["state"], "pending", "no half state");
    assert_eq!(still["grant_id"], Value::Null);
    assert_eq!(db.users_like(&vault.user_prefix()).await, 0);

    proxy.restore();
    let (status, body) = b
        .post(
            &format!("/v1/access-requests/{id}/approve"),
            &bob,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "approved");
    assert_eq!(db.users_like(&vault.user_prefix()).await, 1);
}

/// The broker logs in to Vault with AppRole (role id + secret id, no token)
/// and issues grants with the least-privilege policy services.sh installs.
#[tokio::test]
async fn the_broker_can_use_approle_instead_of_a_token() {
    let services = Services::from_state();
    let root = drawbridge_broker::vault::VaultClient::new(
        &services.vault_addr,
        &services.vault_root_token,
    )
    .unwrap();
    // Enabling twice answers an error we can ignore: the mount is shared by runs.
    let _ = root
        .write("sys/auth/approle", &json!({"type": "approle"}))
        .await;
    let role = format!("broker-{}", crate::support::unique_suffix());
    root.write(
        &format!("auth/approle/role/{role}"),
        &json!({"token_policies": ["drawbridge-broker"], "token_ttl": "1h"}),
    )
    .await
    .expect("create the AppRole role");
    let role_id = root
        .request(
            reqwest::Method::GET,
            &format!("auth/approle/role/{role}/role-id"),
            None,
        )
        .await
        .unwrap()["data"]["role_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret_id = root
        .write(&format!("auth/approle/role/{role}/secret-id"), &json!({}))
        .await
        .unwrap()["data"]["secret_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let db = TestDatabase::create(&services).await;
    let vault = TestVault::mount_for(&services, &db).await;
    let entry = vault.database_entry(&services, "db1", &db, "auto", "", 600);
    // VAULT_TOKEN (the test default) is replaced by the AppRole login's token.
    let b = TestBroker::start_full(
        &services,
        &[
            ("VAULT_ROLE_ID", role_id.as_str()),
            ("VAULT_SECRET_ID", secret_id.as_str()),
            ("VAULT_TOKEN", "not-a-valid-token"),
        ],
        &entry,
    )
    .await;
    b.add_user("alice", &[Role::User], PW).await;
    let alice = b.login("alice", PW).await;
    let (status, req) = b
        .post(
            "/v1/access-requests",
            &alice,
            json!({"database": "db1", "reason": "approle check run"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{req}");
    assert_eq!(
        req["state"], "approved",
        "Vault issued credentials to the AppRole token"
    );
    // Vault names users after the token's origin: here "approle", not "token".
    let prefix = format!("v-approle-{}-", vault.role);
    assert_eq!(db.users_like(&prefix).await, 1);
    let grant = req["grant_id"].as_str().unwrap();
    let (status, _) = b
        .post(&format!("/v1/grants/{grant}/revoke"), &alice, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(db.users_like(&prefix).await, 0, "and revoked through it");
    let _ = root.delete(&format!("auth/approle/role/{role}")).await;
}
