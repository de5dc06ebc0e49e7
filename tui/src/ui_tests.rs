//! Snapshot tests: each pane in each state, rendered into ratatui's TestBackend.

use std::time::Instant;

use chrono::{Duration, Utc};
use drawbridge_shared::Role;
use drawbridge_shared::api::access::{
    AccessRequest, ApprovalPolicy, DatabaseInfo, Grant, GrantState, RequestState,
};
use drawbridge_shared::api::auth::{LoginResponse, UserInfo};
use drawbridge_shared::api::query::{Column, QueryResult};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;
use uuid::Uuid;

use crate::app::{Action, App, DecisionForm, Pane, RequestForm, Running, SchemaPicker};
use crate::client::{Client, TlsFiles};
use crate::results::ResultsView;

pub(crate) fn app(user: &str) -> App {
    crate::ui::set_color(false);
    let client = Client::new("https://broker.example:7070", &TlsFiles::default()).unwrap();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel::<Action>();
    App::new(client, tx, user)
}

pub(crate) fn render(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| crate::ui::draw(f, app)).unwrap();
    let buffer = terminal.backend().buffer();
    (0..height)
        .map(|y| {
            (0..width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn logged_in(app: &mut App, roles: Vec<Role>) {
    app.me = Some(LoginResponse {
        token: "t".into(),
        expires_at: Utc::now() + Duration::hours(8),
        user: UserInfo {
            name: "alice".into(),
            roles,
        },
    });
    app.pane = Pane::Access;
}

fn database(name: &str, can_approve: bool) -> DatabaseInfo {
    DatabaseInfo {
        name: name.into(),
        description: String::new(),
        approval: ApprovalPolicy::Required,
        approver_roles: vec![Role::Approver],
        default_duration_seconds: 3600,
        max_duration_seconds: 14400,
        can_approve,
        allow_explain: false,
        allow_show: false,
    }
}

fn request(db: &str, who: &str, state: RequestState, grant: Option<Uuid>) -> AccessRequest {
    AccessRequest {
        id: Uuid::now_v7(),
        database: db.into(),
        requester: who.into(),
        reason: "investigate ticket OPS-42".into(),
        requested_duration_seconds: 3600,
        duration_seconds: 3600,
        clamped: false,
        state,
        created_at: Utc::now(),
        pending_until: Utc::now() + Duration::hours(24),
        decided_at: None,
        decided_by: None,
        decision_comment: None,
        grant_id: grant,
    }
}

fn grant(id: Uuid, db: &str) -> Grant {
    Grant {
        id,
        request_id: Uuid::now_v7(),
        database: db.into(),
        user: "alice".into(),
        state: GrantState::Active,
        started_at: Utc::now(),
        // Far from a minute boundary, so the countdown reads the same every run.
        expires_at: Utc::now() + Duration::seconds(2 * 3600 + 30),
        ended_at: None,
        end_reason: None,
        seconds_left: 7230,
    }
}

fn with_grant(app: &mut App) {
    let id = Uuid::now_v7();
    app.access.databases = vec![database("shop", false), database("hr", false)];
    app.access.requests = vec![
        request("shop", "alice", RequestState::Approved, Some(id)),
        request("hr", "alice", RequestState::Pending, None),
    ];
    app.access.grants = vec![grant(id, "shop")];
    app.query.grant = Some(id);
}

#[test]
fn login_empty_and_with_errors() {
    let mut a = app("");
    insta::assert_snapshot!("login_empty", render(&mut a, 80, 24));
    let mut a = app("alice");
    a.login.message = Some("Wrong user name or password.".into());
    insta::assert_snapshot!("login_wrong_password", render(&mut a, 80, 24));
    a.login.message =
        Some("cannot reach the broker: connection refused — press Enter to retry.".into());
    insta::assert_snapshot!("login_unreachable", render(&mut a, 80, 24));
}

#[test]
fn access_loading_populated_and_approver_queue() {
    let mut a = app("alice");
    logged_in(&mut a, vec![Role::User]);
    insta::assert_snapshot!("access_loading", render(&mut a, 80, 24));
    with_grant(&mut a);
    insta::assert_snapshot!("access_populated", render(&mut a, 80, 24));
    logged_in(&mut a, vec![Role::User, Role::Approver]);
    a.access.databases[0].can_approve = true;
    a.access.pending = vec![request("shop", "dave", RequestState::Pending, None)];
    insta::assert_snapshot!("access_approver", render(&mut a, 100, 24));
    a.form = Some(RequestForm {
        database: "hr".into(),
        reason: tui_textarea::TextArea::new(vec!["salary audit".into()]),
        preset: 1,
    });
    insta::assert_snapshot!("access_request_form", render(&mut a, 80, 24));
}

#[test]
fn query_states() {
    let mut a = app("alice");
    logged_in(&mut a, vec![Role::User]);
    a.pane = Pane::Query;
    insta::assert_snapshot!("query_no_grant", render(&mut a, 80, 24));
    with_grant(&mut a);
    a.query.running = Some(Running {
        query_id: Uuid::now_v7(),
        started: Instant::now(),
    });
    // The elapsed time depends on the machine: blank its digits.
    let screen = render(&mut a, 80, 24);
    let start = screen.find("running… ").expect("the spinner line") + "running… ".len();
    let end = start + screen[start..].find(" s").expect("seconds");
    let screen = format!("{}#.#{}", &screen[..start], &screen[end..]);
    insta::assert_snapshot!("query_running", screen);
    a.query.running = None;
    a.query.error = Some(
        "only SELECT is allowed; this statement changes data (gate_denied/data_modification)"
            .into(),
    );
    insta::assert_snapshot!("query_error", render(&mut a, 80, 24));
    a.query.error = None;
    a.query.results = Some(ResultsView::new(QueryResult {
        query_id: Uuid::now_v7(),
        columns: vec![
            Column {
                name: "id".into(),
                type_name: "INT".into(),
                binary: false,
            },
            Column {
                name: "note".into(),
                type_name: "TEXT".into(),
                binary: false,
            },
            Column {
                name: "total".into(),
                type_name: "DECIMAL".into(),
                binary: false,
            },
        ],
        rows: vec![
            json!([1, "NULL", "19.99"]).as_array().unwrap().clone(),
            json!([2, null, "4.50"]).as_array().unwrap().clone(),
        ],
        row_count: 2,
        truncated: false,
        elapsed_ms: 12,
    }));
    insta::assert_snapshot!("query_results", render(&mut a, 80, 24));
    a.help = true;
    insta::assert_snapshot!("query_help", render(&mut a, 80, 24));
}

#[test]
fn a_big_result_draws_only_what_fits() {
    let mut a = app("alice");
    logged_in(&mut a, vec![Role::User]);
    with_grant(&mut a);
    a.pane = Pane::Query;
    let rows: Vec<Vec<serde_json::Value>> = (0..100_000)
        .map(|i| vec![json!(i), json!(format!("row {i}"))])
        .collect();
    let mut view = ResultsView::new(QueryResult {
        query_id: Uuid::now_v7(),
        columns: vec![
            Column {
                name: "n".into(),
                type_name: "INT".into(),
                binary: false,
            },
            Column {
                name: "label".into(),
                type_name: "VARCHAR".into(),
                binary: false,
            },
        ],
        rows,
        row_count: 100_000,
        truncated: true,
        elapsed_ms: 900,
    });
    view.scroll(crate::keys::Intent::Bottom);
    a.query.results = Some(view);
    let screen = render(&mut a, 80, 24);
    assert!(screen.contains("row 99999"), "{screen}");
    assert!(screen.contains("100000 rows (truncated)"), "{screen}");
    assert!(
        !screen.contains("row 0 "),
        "only the rows in view are drawn"
    );
}

#[test]
fn popups_decision_schema_and_row_viewer() {
    let mut a = app("bob");
    logged_in(&mut a, vec![Role::User, Role::Approver]);
    with_grant(&mut a);
    let mut req = request("shop", "dave", RequestState::Pending, None);
    req.duration_seconds = 4 * 3600;
    a.access.pending = vec![req.clone()];
    a.decision = Some(DecisionForm {
        request: req,
        approve: true,
        comment: tui_textarea::TextArea::new(vec!["ok for OPS-42".into()]),
        preset: 1,
    });
    insta::assert_snapshot!("decision_approve", render(&mut a, 90, 24));
    a.decision = None;
    a.pane = Pane::Query;
    a.schema = Some(SchemaPicker {
        items: vec![
            "orders".into(),
            "orders.id  int(10) unsigned".into(),
            "orders.total  decimal(12,2)".into(),
        ],
        selected: 2,
    });
    insta::assert_snapshot!("schema_picker", render(&mut a, 80, 24));
    a.schema = None;
    a.viewer = Some("id: 1\nshipping: {\n  \"method\": \"express\"\n}\nnote: ∅ (NULL)".into());
    insta::assert_snapshot!("row_viewer", render(&mut a, 80, 24));
}
