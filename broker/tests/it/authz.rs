//! The authorization matrix: every route of the router × every kind of
//! principal, with the status class each must get. The route list comes from
//! the broker's own /openapi.json (built from the same list as the router),
//! so a new route without an entry here fails the test. Then IDOR: other
//! users' request, grant and query ids.

use std::collections::BTreeSet;

use drawbridge_broker::auth::users;
use drawbridge_shared::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::world::{PW, World};
use crate::support::{cli, figures};

/// Principals, in the order of the expectation strings below. The admin
/// comes last: its calls change things (delete, logout) the others rely on.
const WHO: [&str; 7] = [
    "anonymous",
    "user",
    "approver",
    "service",
    "disabled",
    "expired",
    "admin",
];

/// Per route, one character per principal in `WHO` order:
/// `P` passes authorization (any status but 401/403/404 and never 5xx),
/// `1` 401, `3` 403, `4` 404 (someone else's object: hidden, not refused).
const MATRIX: &[(&str, &str, &str)] = &[
    ("GET", "/health", "PPPPPPP"),
    ("GET", "/metrics", "PPPPPPP"),
    ("POST", "/v1/auth/login", "1111111"),
    ("GET", "/v1/me", "1PPP11P"),
    ("GET", "/v1/databases", "1PP311P"),
    ("POST", "/v1/access-requests", "1PP311P"),
    ("GET", "/v1/access-requests", "1PP311P"),
    // Approvers see and decide others' requests; users do not even see them.
    ("GET", "/v1/access-requests/{id}", "14P311P"),
    ("POST", "/v1/access-requests/{id}/approve", "14P311P"),
    ("POST", "/v1/access-requests/{id}/deny", "14P311P"),
    // Only the requester cancels.
    ("POST", "/v1/access-requests/{id}/cancel", "1443114"),
    ("GET", "/v1/grants", "1PP311P"),
    // Approvers see and revoke others' grants (the kill switch)…
    ("GET", "/v1/grants/{id}", "14P311P"),
    ("POST", "/v1/grants/{id}/revoke", "14P311P"),
    // …but only the grant's owner uses it, admins included.
    ("GET", "/v1/grants/{id}/schema", "1443114"),
    ("POST", "/v1/queries", "1443114"),
    ("DELETE", "/v1/queries/{query_id}", "1443114"),
    ("POST", "/v1/sql/check", "1PP311P"),
    ("GET", "/v1/audit", "133311P"),
    ("GET", "/v1/audit/verify", "133311P"),
    ("GET", "/v1/audit/export", "133311P"),
    ("POST", "/v1/secrets", "133311P"),
    ("GET", "/v1/secrets", "133311P"),
    ("GET", "/v1/secrets/export", "133311P"),
    ("GET", "/v1/secrets/{name}", "133311P"),
    ("PUT", "/v1/secrets/{name}", "133311P"),
    ("POST", "/v1/secrets/{name}/reveal", "133311P"),
    ("POST", "/v1/secrets/{name}/activate", "133311P"),
    ("POST", "/v1/secrets/{name}/deactivate", "133311P"),
    ("PUT", "/v1/secrets/{name}/expiry", "133311P"),
    ("POST", "/v1/secrets/{name}/test", "133311P"),
    // Services read values; admins reveal (audited as such) instead.
    ("GET", "/v1/secrets/{name}/value", "133P113"),
    ("GET", "/v1/settings", "1PP311P"),
    ("PUT", "/v1/settings/{key}", "133311P"),
    // Last: they end the fixture secret and the session.
    ("DELETE", "/v1/secrets/{name}", "133311P"),
    ("POST", "/v1/auth/logout", "1PPP11P"),
];

fn class(status: StatusCode) -> char {
    match status.as_u16() {
        401 => '1',
        403 => '3',
        404 => '4',
        _ => 'P',
    }
}

/// The objects the paths point at, none of them the principal's own: erin's
/// pending request, dave's grant and one of his queries.
struct Fixture {
    request: String,
    grant: String,
    query_id: String,
}

impl Fixture {
    fn path(&self, template: &str) -> String {
        let id = if template.starts_with("/v1/grants") {
            &self.grant
        } else {
            &self.request
        };
        template
            .replace("{id}", id)
            .replace("{query_id}", &self.query_id)
            .replace("{name}", "authz.fixture")
            .replace("{key}", "query.row_cap")
    }

    fn body(&self, method: &str, template: &str, who: &str) -> Option<Value> {
        let body = match template {
            // One unknown name per principal: the per-name throttle stays out of the way.
            "/v1/auth/login" => json!({"username": format!("nobody-{who}"), "password": "wrong"}),
            "/v1/access-requests" => {
                json!({"database": "db1", "reason": "authorization matrix check", "duration_seconds": 600})
            }
            "/v1/queries" => json!({"grant_id": self.grant, "sql": "SELECT 1"}),
            "/v1/sql/check" => json!({"sql": "SELECT 1"}),
            "/v1/secrets" => {
                json!({"name": format!("authz.{who}"), "category": "api", "value": "matrix value"})
            }
            "/v1/secrets/{name}" => json!({"description": "changed by the matrix"}),
            "/v1/secrets/{name}/expiry" => json!({"expires_at": null}),
            "/v1/settings/{key}" => json!({"value": 10000}),
            _ if method == "GET" || method == "DELETE" => return None,
            _ => json!({}),
        };
        Some(body)
    }
}

/// Every (method, path) the router serves, from its OpenAPI document.
async fn routes(w: &World) -> BTreeSet<(String, String)> {
    let (status, doc) = w.b.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let mut all = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().unwrap().keys() {
            all.insert((method.to_uppercase(), path.clone()));
        }
    }
    all
}

/// Tokens of the principals in `WHO` order (None: anonymous).
async fn principals(w: &World) -> Vec<Option<String>> {
    let b = &w.b;
    b.add_user("mallory", &[Role::User], PW).await;
    b.add_user("eve", &[Role::User], PW).await;
    let out = cli(b, &["user", "add", "svc", "--role", "service"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cli(b, &["user", "token", "svc", "--pattern", "authz.*"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let service = b
        .login("svc", String::from_utf8(out.stdout).unwrap().trim())
        .await;
    let disabled = b.login("mallory", PW).await;
    users::set_disabled(&b.state.pool, "mallory", true)
        .await
        .unwrap();
    let expired = b.login("eve", PW).await;
    sqlx::query(
        "UPDATE sessions SET expires_at = '2000-01-01T00:00:00.000000Z' \
         WHERE user_id = (SELECT id FROM users WHERE name = 'eve')",
    )
    .execute(&b.state.pool)
    .await
    .unwrap();
    vec![
        None,
        Some(b.login("alice", PW).await),
        Some(b.login("bob", PW).await),
        Some(service),
        Some(disabled),
        Some(expired),
        Some(b.login("carol", PW).await),
    ]
}

#[tokio::test]
async fn every_route_for_every_principal() {
    let w = World::new(3600, 7200, 3600).await;
    let b = &w.b;

    // The router's routes and the matrix must be the same set.
    let served = routes(&w).await;
    let listed: BTreeSet<(String, String)> = MATRIX
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let missing: Vec<_> = served.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "routes without an authorization entry: {missing:?}"
    );
    let stale: Vec<_> = listed.difference(&served).collect();
    assert!(
        stale.is_empty(),
        "entries for routes that do not exist: {stale:?}"
    );

    // Objects that belong to none of the principals.
    let carol = b.login("carol", PW).await;
    let dave = b.login("dave", PW).await;
    let granted = w.request(&dave, 900).await;
    let (status, body) = w.approve(&carol, granted.id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let grant = body["grant_id"].as_str().unwrap().to_owned();
    let (status, answer) = b
        .post(
            "/v1/queries",
            &dave,
            json!({"grant_id": grant, "sql": "SELECT 1"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    b.add_user("erin", &[Role::User], PW).await;
    let pending = w.request(&b.login("erin", PW).await, 600).await;
    let (status, body) = b
        .post(
            "/v1/secrets",
            &carol,
            json!({"name": "authz.fixture", "category": "api", "value": "fixture value"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let fixture = Fixture {
        request: pending.id.to_string(),
        grant,
        query_id: answer["query_id"].as_str().unwrap().to_owned(),
    };

    let tokens = principals(&w).await;
    let mut observed = Vec::new();
    let mut wrong = Vec::new();
    for (i, who) in WHO.iter().enumerate() {
        for (method, template, expected) in MATRIX {
            let method_ = Method::from_bytes(method.as_bytes()).unwrap();
            let (status, body) = b
                .call(
                    method_,
                    &fixture.path(template),
                    tokens[i].as_deref(),
                    fixture.body(method, template, who),
                )
                .await;
            assert!(
                status.as_u16() < 500,
                "{method} {template} as {who}: {status} {body}"
            );
            let got = class(status);
            let want = expected.chars().nth(i).unwrap();
            observed.push((*method, *template, i, got));
            if got != want {
                wrong.push(format!(
                    "{method} {template} as {who}: want {want}, got {status} {body}"
                ));
            }
        }
    }
    if std::env::var_os("DRAWBRIDGE_AUTHZ_PRINT").is_some() {
        for (method, template, _) in MATRIX {
            let row: String = observed
                .iter()
                .filter(|(m, t, _, _)| m == method && t == template)
                .map(|(_, _, _, c)| *c)
                .collect();
            println!("(\"{method}\", \"{template}\", \"{row}\"),");
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cells differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );

    // Refusals changed nothing: of the matrix's secrets only the admin's exists.
    let (_, list) = b.get("/v1/secrets", &b.login("carol", PW).await).await;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(
        names,
        vec!["authz.admin"],
        "only the admin created one; the fixture is deleted"
    );

    let cells = MATRIX.len() * WHO.len();
    let hidden = MATRIX
        .iter()
        .map(|(_, _, e)| e.chars().filter(|c| *c == '4').count())
        .sum::<usize>();
    figures(
        "authorization matrix",
        json!({"routes": MATRIX.len(), "principals": WHO.len(), "checks": cells,
               "idor_checks": hidden, "mismatches": 0}),
    );
}
