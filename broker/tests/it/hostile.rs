//! Hostile input: requests generated from the broker's own /openapi.json with
//! hostile path parameters, bodies, content types and query strings, sent as
//! an anonymous caller, a user and an admin. Whatever comes in: no 5xx, no
//! dropped connection (a panic), every error a JSON body with a stable code,
//! and the audit chain still verifies.

use std::collections::BTreeMap;
use std::time::Instant;

use drawbridge_shared::ApiError;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::figures;
use crate::support::world::{PW, World};

/// A small deterministic generator (xorshift64): the same seed, the same requests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const PATH_VALUES: &[&str] = &[
    "01a1b2c3-0000-7000-8000-000000000000",
    "not-a-uuid",
    "..%2F..%2Fetc%2Fpasswd",
    "%00",
    "%E2%80%AE%F0%9F%94%A5",
    "Zo%C3%AB%20%E6%97%A5%E6%9C%AC",
    "'%20OR%201%3D1%20--",
    "query.row_cap",
    "authz.fixture",
    "%FF%FE",
    "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z",
];

const QUERIES: &[&str] = &[
    "",
    "?limit=-1",
    "?limit=99999999999999999999",
    "?before_seq=abc",
    "?since=yesterday&until=%00",
    "?outcome=maybe&actor=%27%22%3C",
    "?state=everything&mine=perhaps",
    "?format=xml",
    "?mine=true&state=pending",
    "?actor=carol&action=secret.",
];

const STRINGS: &[&str] = &[
    "",
    "SELECT 1",
    "DELETE FROM items",
    "SELECT * FROM items; DROP TABLE items",
    "\u{0000}",
    "\u{202E}evil",
    "🔥🔥🔥",
    "Zoë 日本 \u{200B}",
    "' OR '1'='1",
    "../../../../etc/passwd",
    "db1",
    "carol",
    "query.row_cap",
];

const FIELDS: &[&str] = &[
    "database",
    "reason",
    "duration_seconds",
    "grant_id",
    "sql",
    "max_rows",
    "query_id",
    "name",
    "category",
    "value",
    "description",
    "expires_at",
    "test",
    "comment",
    "username",
    "password",
    "kind",
    "url",
];

fn value(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth > 3 { 7 } else { 9 }) {
        0 => Value::Null,
        1 => json!(rng.below(2) == 1),
        2 => json!(*rng.pick(&[0i64, -1, i64::MAX, i64::MIN, 86_400_000])),
        3 => json!(*rng.pick(&[1e300, -0.5, f64::EPSILON])),
        4 | 5 => json!(*rng.pick(STRINGS)),
        6 => json!("x".repeat(rng.below(70_000))),
        7 => Value::Array((0..rng.below(4)).map(|_| value(rng, depth + 1)).collect()),
        _ => object(rng, depth + 1),
    }
}

fn object(rng: &mut Rng, depth: usize) -> Value {
    let mut map = serde_json::Map::new();
    for _ in 0..rng.below(6) {
        map.insert((*rng.pick(FIELDS)).to_owned(), value(rng, depth));
    }
    Value::Object(map)
}

/// A body and its content type: shaped JSON, or something that is not.
fn body(rng: &mut Rng) -> (Vec<u8>, Option<&'static str>) {
    let json_type = Some("application/json");
    match rng.below(10) {
        0 => (b"{\"sql\": \"SELECT 1\"".to_vec(), json_type),
        1 => (b"{}garbage".to_vec(), json_type),
        2 => (vec![0xEF, 0xBB, 0xBF, b'{', b'}'], json_type),
        3 => (
            vec![b'{', b'"', 0xFF, 0xFE, b'"', b':', b'1', b'}'],
            json_type,
        ),
        4 => {
            let depth = 2_000;
            let text = "[".repeat(depth) + &"]".repeat(depth);
            (text.into_bytes(), json_type)
        }
        5 => (vec![b' '; 200_000], json_type),
        6 => (object(rng, 0).to_string().into_bytes(), Some("text/plain")),
        7 => (b"\"\\ud800\"".to_vec(), json_type),
        _ => (object(rng, 0).to_string().into_bytes(), json_type),
    }
}

#[tokio::test]
async fn generated_hostile_requests_never_break_the_broker() {
    let w = World::new(3600, 7200, 3600).await;
    let b = &w.b;
    let long = std::env::var_os("DRAWBRIDGE_TEST_LONG").is_some();
    let total = if long { 10_000 } else { 1_500 };
    let tokens = [
        None,
        Some(b.login("alice", PW).await),
        Some(b.login("carol", PW).await),
    ];
    let (_, doc) = b.call(Method::GET, "/openapi.json", None, None).await;
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            // Logging out would end the sessions the rest of the run uses.
            if path != "/v1/auth/logout" {
                operations.push((method.to_uppercase(), path.clone()));
            }
        }
    }

    let mut rng = Rng(0x5EED_D00D_BEEF);
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    let started = Instant::now();
    for i in 0..total {
        let (method, template) = rng.pick(&operations).clone();
        let mut path = template.clone();
        while let (Some(open), Some(close)) = (path.find('{'), path.find('}')) {
            let value = *rng.pick(PATH_VALUES);
            path.replace_range(open..=close, value);
        }
        let query = *rng.pick(QUERIES);
        path.push_str(query);
        let token = rng.pick(&tokens).clone();
        let mut req = b.http.request(
            Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}{path}", b.url),
        );
        if let Some(t) = &token {
            req = req.bearer_auth(t);
        }
        if method != "GET" {
            let (bytes, content_type) = body(&mut rng);
            if let Some(ct) = content_type {
                req = req.header("content-type", ct);
            }
            req = req.body(bytes);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("request {i} {method} {path}: connection failed ({e})"));
        let status = resp.status();
        let bytes = resp.bytes().await.expect("body");
        *statuses.entry(status.as_u16()).or_default() += 1;
        assert!(
            !status.is_server_error(),
            "request {i}: {method} {path} → {status}: {}",
            String::from_utf8_lossy(&bytes)
        );
        if status.is_client_error() {
            let parsed: Result<ApiError, _> = serde_json::from_slice(&bytes);
            assert!(
                parsed.is_ok(),
                "request {i}: {method} {path} → {status} without a coded JSON error: {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
            );
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(
        b.call(Method::GET, "/health", None, None).await.0,
        StatusCode::OK,
        "still serving"
    );
    let verified = drawbridge_broker::audit::verify(&b.state.pool)
        .await
        .unwrap();
    assert!(verified.valid, "{verified:?}");
    figures(
        "hostile input",
        json!({"requests": total, "operations": operations.len(), "seconds": (seconds * 10.0).round() / 10.0,
               "statuses": statuses, "server_errors": 0, "dropped_connections": 0,
               "audit_events_verified": verified.events}),
    );
}
