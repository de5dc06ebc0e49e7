//! Logins, lockout, session lifetimes and disabled users, over real HTTP.

use std::time::Duration;

use drawbridge_broker::auth::users;
use drawbridge_shared::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{Services, TestBroker, code};

const PW: &str = "correct horse battery";

async fn attempt(b: &TestBroker, name: &str, pw: &str) -> (StatusCode, serde_json::Value) {
    b.call(
        Method::POST,
        "/v1/auth/login",
        None,
        Some(json!({"username": name, "password": pw})),
    )
    .await
}

#[tokio::test]
async fn login_ok_wrong_password_and_unknown_user_look_alike() {
    let b = TestBroker::start(&Services::from_state()).await;
    b.add_user("alice", &[Role::User], PW).await;

    let (status, body) = attempt(&b, "alice", PW).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["user"], json!({"name": "alice", "roles": ["user"]}));
    let token = body["token"].as_str().unwrap();
    assert_eq!(token.len(), 43, "256 bits, base64url");
    let (status, me) = b.get("/v1/me", token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user"]["name"], "alice");

    let wrong = attempt(&b, "alice", "wrong password").await;
    let unknown = attempt(&b, "mallory", "wrong password").await;
    assert_eq!(wrong.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong, unknown,
        "same status and body for a wrong password and an unknown user"
    );
    assert_eq!(code(&wrong.1), "invalid_credentials");

    // Only the hash of the token is stored.
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_all(&b.state.pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);
    assert!(!stored[0].contains(token));

    // Logout ends the session.
    let (status, _) = b
        .call(Method::POST, "/v1/auth/logout", Some(token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = b.get("/v1/me", token).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );

    // Every login and logout was audited.
    let actions: Vec<(String, String)> =
        sqlx::query_as("SELECT action, outcome FROM audit_events ORDER BY seq")
            .fetch_all(&b.state.pool)
            .await
            .unwrap();
    let expected = [
        ("auth.login", "ok"),
        ("auth.login", "denied"),
        ("auth.login", "denied"),
        ("auth.logout", "ok"),
    ];
    assert_eq!(
        actions,
        expected.map(|(a, o)| (a.to_owned(), o.to_owned())).to_vec()
    );
}

#[tokio::test]
async fn lockout_by_name_then_expiry() {
    let b = TestBroker::start_with(
        &Services::from_state(),
        &[
            ("DRAWBRIDGE_AUTH_LOCKOUT_THRESHOLD", "3"),
            ("DRAWBRIDGE_AUTH_LOCKOUT_WINDOW_SECONDS", "2"),
        ],
    )
    .await;
    b.add_user("bob", &[Role::Approver], PW).await;
    for _ in 0..3 {
        assert_eq!(attempt(&b, "bob", "nope").await.0, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = attempt(&b, "bob", PW).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "locked even with the right password"
    );
    assert_eq!(code(&body), "too_many_attempts");
    // An unknown name is locked the same way: lockout reveals nothing.
    for _ in 0..3 {
        attempt(&b, "ghost", "nope").await;
    }
    assert_eq!(
        attempt(&b, "ghost", "nope").await.0,
        StatusCode::TOO_MANY_REQUESTS
    );

    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(
        attempt(&b, "bob", PW).await.0,
        StatusCode::OK,
        "the lockout window has passed"
    );
}

#[tokio::test]
async fn lockout_by_client_address() {
    let b = TestBroker::start_with(
        &Services::from_state(),
        &[("DRAWBRIDGE_AUTH_LOCKOUT_ADDRESS_THRESHOLD", "4")],
    )
    .await;
    b.add_user("carol", &[Role::Admin], PW).await;
    for name in ["u1", "u2", "u3", "u4"] {
        attempt(&b, name, "nope").await;
    }
    assert_eq!(
        attempt(&b, "carol", PW).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn session_absolute_ttl() {
    let b = TestBroker::start_with(
        &Services::from_state(),
        &[("DRAWBRIDGE_AUTH_SESSION_TTL_SECONDS", "1")],
    )
    .await;
    b.add_user("alice", &[Role::User], PW).await;
    let token = b.login("alice", PW).await;
    assert_eq!(b.get("/v1/me", &token).await.0, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (status, body) = b.get("/v1/me", &token).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "session_expired")
    );
}

#[tokio::test]
async fn session_idle_timeout_and_activity_keeps_it() {
    let b = TestBroker::start_with(
        &Services::from_state(),
        &[("DRAWBRIDGE_AUTH_IDLE_TIMEOUT_SECONDS", "2")],
    )
    .await;
    b.add_user("alice", &[Role::User], PW).await;
    let token = b.login("alice", PW).await;
    // Activity every 0.8 s keeps the session past its 2 s idle limit...
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert_eq!(b.get("/v1/me", &token).await.0, StatusCode::OK);
    }
    // ...and silence ends it.
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let (status, body) = b.get("/v1/me", &token).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "session_expired")
    );
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_at_once() {
    let b = TestBroker::start(&Services::from_state()).await;
    b.add_user("alice", &[Role::User], PW).await;
    let token = b.login("alice", PW).await;
    users::set_disabled(&b.state.pool, "alice", true)
        .await
        .unwrap();
    assert_eq!(b.get("/v1/me", &token).await.0, StatusCode::UNAUTHORIZED);
    let (status, body) = attempt(&b, "alice", PW).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_credentials")
    );
    users::set_disabled(&b.state.pool, "alice", false)
        .await
        .unwrap();
    b.login("alice", PW).await;
}

#[tokio::test]
async fn admin_routes_refuse_users_and_approvers() {
    let b = TestBroker::start(&Services::from_state()).await;
    b.add_user("alice", &[Role::User], PW).await;
    b.add_user("bob", &[Role::Approver], PW).await;
    b.add_user("carol", &[Role::Admin], PW).await;
    let admin_routes = [
        "/v1/audit",
        "/v1/audit/verify",
        "/v1/audit/export",
        "/v1/audit/export?format=csv",
    ];
    for name in ["alice", "bob"] {
        let token = b.login(name, PW).await;
        for route in admin_routes {
            let (status, body) = b.get(route, &token).await;
            assert_eq!(
                (status, code(&body)),
                (StatusCode::FORBIDDEN, "forbidden"),
                "{name} {route}"
            );
        }
    }
    let token = b.login("carol", PW).await;
    for route in admin_routes {
        assert_eq!(
            b.get(route, &token).await.0,
            StatusCode::OK,
            "carol {route}"
        );
    }
    for route in admin_routes {
        let (status, body) = b.call(Method::GET, route, None, None).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNAUTHORIZED, "unauthenticated"),
            "anonymous {route}"
        );
    }
}
