//! Just-in-time access against real OpenBao and MariaDB: requests, approvals,
//! grants, expiry, revocation, renewal, restart safety and Vault outages.

use std::time::Duration;

use drawbridge_broker::access::grants;
use drawbridge_shared::Role;
use drawbridge_shared::api::access::{AccessRequest, GrantState, RequestState};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::world::World;
use crate::support::{Services, TestBroker, TestDatabase, TestVault, code};

const PW: &str = crate::support::world::PW;

#[tokio::test]
async fn the_whole_flow_request_approve_use_revoke() {
    let w = World::new(3600, 7200, 3600).await;
    let alice = w.b.login("alice", PW).await;
    let bob = w.b.login("bob", PW).await;

    let (_, dbs) = w.b.get("/v1/databases", &alice).await;
    assert_eq!(dbs[0]["name"], "db1");
    assert_eq!(dbs[0]["approval"], "required");
    assert_eq!(dbs[0]["can_approve"], false);
    let (_, dbs) = w.b.get("/v1/databases", &bob).await;
    assert_eq!(dbs[0]["can_approve"], true);

    let req = w.request(&alice, 900).await;
    assert_eq!(req.state, RequestState::Pending);
    assert_eq!((req.duration_seconds, req.clamped), (900, false));

    // bob's queue shows it; alice's own list too.
    let (_, queue) = w.b.get("/v1/access-requests?state=pending", &bob).await;
    assert!(
        queue
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == req.id.to_string()),
        "{queue}"
    );
    let (_, mine) = w.b.get("/v1/access-requests?mine=true", &alice).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let (_, bobs) = w.b.get("/v1/access-requests?mine=true", &bob).await;
    assert_eq!(bobs, json!([]));

    assert_eq!(w.users().await, 0);
    let (status, body) = w.approve(&bob, req.id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let approved: AccessRequest = serde_json::from_value(body).unwrap();
    assert_eq!(approved.state, RequestState::Approved);
    assert_eq!(approved.decided_by.as_deref(), Some("bob"));
    let grant_id = approved.grant_id.expect("a grant");
    assert_eq!(w.users().await, 1, "Vault created the grant's MariaDB user");

    let grant = w.grant(&alice, grant_id).await;
    assert_eq!(grant.state, GrantState::Active);
    assert!((895..=900).contains(&grant.seconds_left), "{grant:?}");
    let (_, listed) = w.b.get("/v1/grants", &alice).await;
    assert_eq!(listed[0]["id"], grant_id.to_string());

    // The grant's pool really reads the database as the Vault-issued user.
    let live = grants::ensure_live(&w.b.state, grant_id).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM items")
        .fetch_one(&live.pool)
        .await
        .unwrap();
    assert_eq!(n, 3);

    // A second request for the same database while the grant is active: 409.
    let (status, body) =
        w.b.post(
            "/v1/access-requests",
            &alice,
            json!({"database": "db1", "reason": "another look please"}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "duplicate_request")
    );

    let (status, body) =
        w.b.post(
            &format!("/v1/grants/{grant_id}/revoke"),
            &alice,
            json!({"reason": "done"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "revoked");
    assert_eq!(
        w.users().await,
        0,
        "revoking drops the MariaDB user at once"
    );
    let (status, body) =
        w.b.post(&format!("/v1/grants/{grant_id}/revoke"), &alice, json!({}))
            .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "grant_revoked")
    );

    let actions = w.actions().await;
    for a in [
        "access.request",
        "access.approve",
        "grant.start",
        "grant.revoke",
        "grant.lease_revoked",
    ] {
        assert!(
            actions.iter().any(|x| x == a),
            "{a} not audited: {actions:?}"
        );
    }
    let report = drawbridge_broker::audit::verify(&w.b.state.pool)
        .await
        .unwrap();
    assert!(report.valid, "{report:?}");
    // No credential in any audit row.
    let details: Vec<String> = sqlx::query_scalar("SELECT details FROM audit_events")
        .fetch_all(&w.b.state.pool)
        .await
        .unwrap();
    assert!(
        details.iter().all(|d| !d.contains("password")),
        "{details:?}"
    );
}

#[tokio::test]
async fn nobody_approves_their_own_request() {
    let w = World::new(3600, 7200, 3600).await;
    for name in ["bob", "carol"] {
        let token = w.b.login(name, PW).await;
        let req = w.request(&token, 600).await;
        let (status, body) = w.approve(&token, req.id).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::FORBIDDEN, "self_approval"),
            "{name}"
        );
        let (status, body) =
            w.b.post(
                &format!("/v1/access-requests/{}/deny", req.id),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::FORBIDDEN, "self_approval"),
            "{name}"
        );
        let (_, still) =
            w.b.get(&format!("/v1/access-requests/{}", req.id), &token)
                .await;
        assert_eq!(still["state"], "pending");
    }
    // A plain user cannot approve someone else's request either, nor see it.
    let bob = w.b.login("bob", PW).await;
    let (_, mine) = w.b.get("/v1/access-requests?mine=true", &bob).await;
    let id = mine[0]["id"].as_str().unwrap().to_owned();
    let alice = w.b.login("alice", PW).await;
    let (status, body) =
        w.b.post(
            &format!("/v1/access-requests/{id}/approve"),
            &alice,
            json!({}),
        )
        .await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    // carol (admin) denies bob's request.
    let carol = w.b.login("carol", PW).await;
    let (status, body) =
        w.b.post(
            &format!("/v1/access-requests/{id}/deny"),
            &carol,
            json!({"comment": "not now"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["state"].as_str(), body["decision_comment"].as_str()),
        (Some("denied"), Some("not now"))
    );
    assert_eq!(w.users().await, 0);
    let denied = w
        .actions()
        .await
        .iter()
        .filter(|a| *a == "access.approve")
        .count();
    assert_eq!(denied, 2, "each refused self-approval is audited");
}

#[tokio::test]
async fn other_users_cannot_see_or_use_a_grant_and_inputs_are_checked() {
    let w = World::new(3600, 7200, 600).await;
    let alice = w.b.login("alice", PW).await;
    let dave = w.b.login("dave", PW).await;
    let bob = w.b.login("bob", PW).await;

    // Clamped to the database's maximum, and the answer says so.
    let req = w.request(&alice, 99_999).await;
    assert_eq!(
        (
            req.requested_duration_seconds,
            req.duration_seconds,
            req.clamped
        ),
        (99_999, 600, true)
    );
    // An approval may shorten, never lengthen.
    let (status, body) =
        w.b.post(
            &format!("/v1/access-requests/{}/approve", req.id),
            &bob,
            json!({"duration_seconds": 700}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_argument")
    );
    let (status, body) =
        w.b.post(
            &format!("/v1/access-requests/{}/approve", req.id),
            &bob,
            json!({"duration_seconds": 120}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let grant_id = body["grant_id"].as_str().unwrap().to_owned();
    assert!(
        w.grant(&alice, grant_id.parse().unwrap())
            .await
            .seconds_left
            <= 120
    );

    for (path, post) in [
        (format!("/v1/grants/{grant_id}"), false),
        (format!("/v1/grants/{grant_id}/revoke"), true),
        (format!("/v1/access-requests/{}", req.id), false),
    ] {
        let (status, body) = if post {
            w.b.post(&path, &dave, json!({})).await
        } else {
            w.b.get(&path, &dave).await
        };
        assert_eq!(
            (status, code(&body)),
            (StatusCode::NOT_FOUND, "not_found"),
            "dave {path}"
        );
    }
    let (_, daves) = w.b.get("/v1/grants", &dave).await;
    assert_eq!(daves, json!([]));
    let (status, _) = w.b.get("/v1/grants?user=alice", &dave).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a plain user cannot list another's grants"
    );
    let (_, for_bob) = w.b.get("/v1/grants?user=alice", &bob).await;
    assert_eq!(for_bob[0]["id"], grant_id.as_str(), "approvers can");

    let cases = [
        (
            json!({"database": "nope", "reason": "a good reason here"}),
            StatusCode::NOT_FOUND,
            "unknown_database",
        ),
        (
            json!({"database": "db1", "reason": "short"}),
            StatusCode::BAD_REQUEST,
            "invalid_argument",
        ),
        (
            json!({"database": "db1", "reason": "a good reason here", "duration_seconds": 0}),
            StatusCode::BAD_REQUEST,
            "invalid_argument",
        ),
        (
            json!({"database": "db1", "reason": "a good reason here", "duration_seconds": -5}),
            StatusCode::BAD_REQUEST,
            "invalid_argument",
        ),
        (
            json!({"database": "db1"}),
            StatusCode::BAD_REQUEST,
            "invalid_argument",
        ),
    ];
    for (body, status, expected) in cases {
        let (got, answer) = w.b.post("/v1/access-requests", &dave, body.clone()).await;
        assert_eq!((got, code(&answer)), (status, expected), "{body}");
    }
    let (status, body) = w.b.get("/v1/grants/not-a-uuid", &dave).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_argument")
    );
}

#[tokio::test]
async fn a_short_grant_expires_and_its_user_is_dropped() {
    let w = World::new(3600, 7200, 3600).await;
    let alice = w.b.login("alice", PW).await;
    let bob = w.b.login("bob", PW).await;
    let req = w.request(&alice, 2).await;
    let (status, body) = w.approve(&bob, req.id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let grant_id = body["grant_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(w.users().await, 1);
    assert_eq!(
        w.wait_users(0, Duration::from_secs(6)).await,
        0,
        "the user must go when the grant ends"
    );
    let grant = w.grant(&alice, grant_id).await;
    assert_eq!((grant.state, grant.seconds_left), (GrantState::Expired, 0));
    assert!(w.actions().await.contains(&"grant.expire".to_owned()));
    // Using it now says why.
    let err = grants::get_own_active(&w.b.state, &principal(&w, "alice").await, grant_id)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");
}

async fn principal(w: &World, name: &str) -> drawbridge_broker::auth::Principal {
    let token = w.b.login(name, PW).await;
    drawbridge_broker::auth::sessions::authenticate(
        &w.b.state.pool,
        &token,
        chrono::Duration::hours(1),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn leases_shorter_than_the_grant_are_renewed_then_reissued() {
    // Leases of 2 s, at most 4 s; the grant lasts 7 s.
    let w = World::new(2, 4, 3600).await;
    let alice = w.b.login("alice", PW).await;
    let bob = w.b.login("bob", PW).await;
    let req = w.request(&alice, 7).await;
    let (status, body) = w.approve(&bob, req.id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let grant_id = body["grant_id"].as_str().unwrap().parse().unwrap();

    // The first lease reaches its max_ttl at 4 s: by then it was renewed, then re-issued.
    let deadline = tokio::time::Instant::now() + Duration::from_millis(6500);
    let mut actions = w.actions().await;
    while !actions.contains(&"grant.reissue".to_owned()) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        actions = w.actions().await;
    }
    assert!(actions.contains(&"grant.renew".to_owned()), "{actions:?}");
    assert!(actions.contains(&"grant.reissue".to_owned()), "{actions:?}");
    assert_eq!(
        w.users().await,
        1,
        "the old user is revoked once the new one takes over"
    );
    // The grant still works past the first lease's max_ttl, on a fresh connection.
    let live = w.b.state.live.get(&grant_id).expect("live");
    let mut conn = live.pool.acquire().await.unwrap();
    sqlx::query("SELECT 1").execute(&mut *conn).await.unwrap();
    drop(conn);
    assert_eq!(
        w.wait_users(0, Duration::from_secs(5)).await,
        0,
        "and everything is gone at the grant's end"
    );
    assert_eq!(w.grant(&alice, grant_id).await.state, GrantState::Expired);
}

#[tokio::test]
async fn disabling_a_user_revokes_their_grants() {
    let w = World::new(3600, 7200, 3600).await;
    let alice = w.b.login("alice", PW).await;
    let bob = w.b.login("bob", PW).await;
    let req = w.request(&alice, 600).await;
    let (_, body) = w.approve(&bob, req.id).await;
    let grant_id = body["grant_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(w.users().await, 1);
    drawbridge_broker::auth::users::set_disabled(&w.b.state.pool, "alice", true)
        .await
        .unwrap();
    assert_eq!(w.wait_users(0, Duration::from_secs(5)).await, 0);
    let carol = w.b.login("carol", PW).await;
    let g = w.grant(&carol, grant_id).await;
    assert_eq!(g.state, GrantState::Revoked);
    assert_eq!(g.end_reason.as_deref(), Some("the user was disabled"));
}

#[tokio::test]
async fn a_pending_request_expires() {
    let services = Services::from_state();
    let db = TestDatabase::create(&services).await;
    let vault = TestVault::mount_for(&services, &db).await;
    let entry = vault.database_entry(&services, "db1", &db, "required", "\"approver\"", 600);
    let b = TestBroker::start_full(
        &services,
        &[("DRAWBRIDGE_ACCESS_PENDING_REQUEST_TTL_SECONDS", "1")],
        &entry,
    )
    .await;
    b.add_user("alice", &[Role::User], PW).await;
    b.add_user("bob", &[Role::Approver], PW).await;
    let alice = b.login("alice", PW).await;
    let (_, req) = b
        .post(
            "/v1/access-requests",
            &alice,
            json!({"database": "db1", "reason": "investigate ticket OPS-1"}),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let (_, now) = b
        .get(
            &format!("/v1/access-requests/{}", req["id"].as_str().unwrap()),
            &alice,
        )
        .await;
    assert_eq!(now["state"], "expired");
    let bob = b.login("bob", PW).await;
    let (status, body) = b
        .post(
            &format!(
                "/v1/access-requests/{}/approve",
                req["id"].as_str().unwrap()
            ),
            &bob,
            json!({}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "request_not_pending")
    );
}

#[tokio::test]
async fn auto_policy_grants_at_once() {
    let services = Services::from_state();
    let db = TestDatabase::create(&services).await;
    let vault = TestVault::mount_for(&services, &db).await;
    let entry = vault.database_entry(&services, "db1", &db, "auto", "", 600);
    let b = TestBroker::start_full(&services, &[], &entry).await;
    b.add_user("alice", &[Role::User], PW).await;
    let alice = b.login("alice", PW).await;
    let (status, req) = b
        .post(
            "/v1/access-requests",
            &alice,
            json!({"database": "db1", "reason": "investigate ticket OPS-2"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{req}");
    assert_eq!(req["state"], "approved");
    assert_eq!(req["decided_by"], "system");
    assert_eq!(db.users_like(&vault.user_prefix()).await, 1);
}
