//! Bad requests get JSON errors with stable codes; operations endpoints answer.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::support::{Services, TestBroker, code};

#[tokio::test]
async fn malformed_requests_get_stable_codes() {
    let b = TestBroker::start(&Services::from_state()).await;
    let login = format!("{}/v1/auth/login", b.url);
    let send = |req: reqwest::RequestBuilder| async move {
        let resp = req.send().await.unwrap();
        let status = resp.status();
        (status, resp.json::<Value>().await.unwrap_or(Value::Null))
    };
    let cases = [
        (
            b.http
                .post(&login)
                .header("content-type", "application/json")
                .body("{\"username\": "),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            b.http
                .post(&login)
                .header("content-type", "application/json")
                .body("{\"username\": 5, \"password\": \"x\"}"),
            StatusCode::BAD_REQUEST,
            "invalid_argument",
        ),
        (
            b.http
                .post(&login)
                .header("content-type", "application/json")
                .body("{}"),
            StatusCode::BAD_REQUEST,
            "invalid_argument",
        ),
        (
            b.http.post(&login).body("username=alice"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            b.http
                .post(&login)
                .header("content-type", "application/json")
                .body(format!(
                    "{{\"username\": \"{}\", \"password\": \"x\"}}",
                    "a".repeat(70_000)
                )),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            b.http
                .post(&login)
                .json(&serde_json::json!({"username": "ünïcode\u{0}", "password": "x"})),
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        ),
        (
            b.http
                .post(&login)
                .json(&serde_json::json!({"username": "a".repeat(65), "password": "x"})),
            StatusCode::BAD_REQUEST,
            "invalid_argument",
        ),
        (
            b.http.get(format!("{}/v1/nothing-here", b.url)),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            b.http.get(&login),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            b.http
                .get(format!("{}/v1/me", b.url))
                .bearer_auth("not-a-token"),
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        ),
        (
            b.http
                .get(format!("{}/v1/me", b.url))
                .header("authorization", "Basic YTpi"),
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        ),
    ];
    for (i, (req, status, expected)) in cases.into_iter().enumerate() {
        let (got, body) = send(req).await;
        assert_eq!((got, code(&body)), (status, expected), "case {i}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "case {i}"
        );
    }
}

#[tokio::test]
async fn health_metrics_and_openapi() {
    let b = TestBroker::start(&Services::from_state()).await;
    let (status, health) = b.call(Method::GET, "/health", None, None).await;
    assert_eq!(status, StatusCode::OK, "{health}");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    for part in ["broker", "store", "vault"] {
        assert_eq!(health[part]["ok"], true, "{part}");
    }

    b.call(Method::GET, "/v1/me", None, None).await;
    let metrics = b
        .http
        .get(format!("{}/metrics", b.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        "drawbridge_http_requests_total{method=\"GET\",route=\"/v1/me\",status=\"401\"}",
        "drawbridge_http_request_duration_seconds_bucket",
        "drawbridge_audit_appends_total",
        "drawbridge_active_sessions",
    ] {
        assert!(metrics.contains(needle), "metrics lack {needle}");
    }

    let (status, doc) = b.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let paths = doc["paths"].as_object().unwrap();
    for route in [
        "/health",
        "/metrics",
        "/v1/auth/login",
        "/v1/auth/logout",
        "/v1/me",
        "/v1/audit",
        "/v1/audit/verify",
        "/v1/audit/export",
    ] {
        assert!(paths.contains_key(route), "openapi.json lacks {route}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn health_reports_an_unreachable_vault() {
    let b = TestBroker::start_with(
        &Services::from_state(),
        &[("DRAWBRIDGE_VAULT_ADDR", "http://127.0.0.1:9")],
    )
    .await;
    let (status, health) = b.call(Method::GET, "/health", None, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(health["status"], "degraded");
    assert_eq!(health["vault"]["ok"], false);
    assert_eq!(health["store"]["ok"], true);
}
