//! The admin panes: snapshots of each state, and their behaviour as state machines.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use drawbridge_shared::Role;
use drawbridge_shared::api::audit::{AuditEvent, AuditPage, AuditVerifyResponse, Outcome};
use drawbridge_shared::api::auth::{LoginResponse, UserInfo};
use drawbridge_shared::api::secrets::{
    SecretDetail, SecretMeta, SecretStatus, SecretTest, SecretValue, SecretVersion, Setting,
};
use serde_json::json;
use uuid::Uuid;

use crate::admin::secrets::{Modal, REVEAL_FOR, Revealed, View};
use crate::admin::{Answer, Call, Effect};
use crate::app::{Action, App, Pane};
use crate::client::ClientError;
use crate::ui_tests::{app, render};

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn as_user(app: &mut App, name: &str, roles: Vec<Role>) {
    app.me = Some(LoginResponse {
        token: "t".into(),
        expires_at: Utc::now() + chrono::Duration::hours(8),
        user: UserInfo {
            name: name.into(),
            roles,
        },
    });
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn press(app: &mut App, code: KeyCode) {
    app.update(Action::Key(key(code)));
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn meta(name: &str, category: &str, status: SecretStatus, version: u32) -> SecretMeta {
    SecretMeta {
        name: name.into(),
        category: category.into(),
        description: format!("{name} for the demo"),
        version,
        active: status != SecretStatus::Inactive,
        status,
        expires_at: match status {
            SecretStatus::ExpiringSoon => Some(at("2026-11-27T00:00:00Z")),
            SecretStatus::Expired => Some(at("2026-11-01T00:00:00Z")),
            _ => None,
        },
        test: None,
        created_at: at("2026-11-20T10:00:00Z"),
        created_by: "carol".into(),
        updated_at: at("2026-11-21T09:30:00Z"),
    }
}

fn detail(m: SecretMeta) -> SecretDetail {
    let versions = (1..=m.version)
        .rev()
        .map(|v| SecretVersion {
            version: v,
            digest: format!("{v:02}a1b2c3d4e5f60718293a4b5c6d7e8f9"),
            created_at: at("2026-11-20T10:00:00Z") + chrono::Duration::hours(v as i64),
            created_by: "carol".into(),
        })
        .collect();
    SecretDetail { meta: m, versions }
}

fn secrets() -> Vec<SecretMeta> {
    let mut stripe = meta("stripe.key", "api", SecretStatus::Active, 2);
    stripe.test = Some(SecretTest::Http {
        url: "https://api.stripe.example/v1/ping".into(),
        basic_user: None,
    });
    vec![
        meta("smtp.main", "smtp", SecretStatus::ExpiringSoon, 1),
        stripe,
        meta("github.app", "api", SecretStatus::Inactive, 1),
        meta("google.client", "oauth", SecretStatus::Expired, 3),
    ]
}

/// carol (admin) on the secrets pane, list and first detail loaded.
fn secrets_app() -> App {
    let mut a = app("carol");
    as_user(&mut a, "carol", vec![Role::Admin]);
    a.pane = Pane::Secrets;
    a.update(Action::Admin(Answer::Secrets(Ok(secrets()))));
    let first = a.secrets.selected_meta().unwrap().clone();
    a.update(Action::Admin(Answer::Detail(Ok(detail(first)))));
    a
}

/// Moves the selection down to `name` and answers its detail.
fn select(a: &mut App, name: &str) {
    while a.secrets.selected_meta().is_some_and(|m| m.name != name) {
        press(a, KeyCode::Down);
    }
    let m = a.secrets.selected_meta().unwrap().clone();
    a.update(Action::Admin(Answer::Detail(Ok(detail(m)))));
}

fn settings() -> Vec<Setting> {
    vec![
        Setting {
            key: "query.row_cap".into(),
            value: json!(5000),
            default: json!(10000),
            description: "Most rows a query returns".into(),
        },
        Setting {
            key: "features.auto_approval".into(),
            value: json!(true),
            default: json!(true),
            description: "Databases with approval = auto grant at once".into(),
        },
    ]
}

fn event(seq: i64, actor: &str, action: &str, outcome: Outcome) -> AuditEvent {
    AuditEvent {
        seq,
        id: Uuid::from_u128(seq as u128),
        time: at("2026-11-23T08:00:00Z") + chrono::Duration::seconds(seq * 7),
        actor: actor.into(),
        client_addr: Some("10.0.0.7".into()),
        user_agent: Some("drawbridge-tui/0.1.0".into()),
        action: action.into(),
        target: Some(format!("secret:stripe.key#{seq}")),
        outcome,
        reason: None,
        details: json!({"version": 2}),
        hash: format!("{seq:064x}"),
        prev_hash: format!("{:064x}", seq - 1),
    }
}

fn audit_app() -> App {
    let mut a = app("carol");
    as_user(&mut a, "carol", vec![Role::Admin]);
    a.pane = Pane::Audit;
    let events = (1..=6)
        .rev()
        .map(|s| match s {
            6 => event(s, "carol", "secret.reveal", Outcome::Ok),
            5 => event(s, "alice", "secret.list", Outcome::Denied),
            4 => event(s, "carol", "secret.update", Outcome::Ok),
            _ => event(s, "carol", "secret.create", Outcome::Ok),
        })
        .collect();
    a.audit.loaded = true;
    a.update(Action::Admin(Answer::Audit {
        seq: 0,
        append: false,
        result: Ok(AuditPage {
            events,
            next_before_seq: None,
        }),
    }));
    a.update(Action::Admin(Answer::Verified(Ok(AuditVerifyResponse {
        valid: true,
        events: 6,
        first_bad: None,
        problem: None,
    }))));
    a
}

#[tokio::test]
async fn secrets_list_grouped_with_detail_filter_and_empty() {
    let mut a = secrets_app();
    insta::assert_snapshot!("secrets_list", render(&mut a, 120, 30));
    press(&mut a, KeyCode::Char('/'));
    type_text(&mut a, "smtp");
    insta::assert_snapshot!("secrets_filtered", render(&mut a, 120, 30));
    assert_eq!(a.secrets.visible().len(), 1);
    let mut empty = app("carol");
    as_user(&mut empty, "carol", vec![Role::Admin]);
    empty.pane = Pane::Secrets;
    empty.update(Action::Admin(Answer::Secrets(Ok(vec![]))));
    insta::assert_snapshot!("secrets_empty", render(&mut empty, 100, 20));
}

#[tokio::test]
async fn secret_forms_new_with_error_and_edit() {
    let mut a = secrets_app();
    press(&mut a, KeyCode::Char('n'));
    type_text(&mut a, "sendgrid.api");
    press(&mut a, KeyCode::Enter);
    type_text(&mut a, "api");
    press(&mut a, KeyCode::Tab);
    press(&mut a, KeyCode::Tab);
    type_text(&mut a, "tomorrow");
    press(&mut a, KeyCode::Tab);
    press(&mut a, KeyCode::Tab);
    a.update(Action::Paste("line-one\nline-two".into()));
    a.update(Action::Key(KeyEvent::new(
        KeyCode::Char('s'),
        KeyModifiers::CONTROL,
    )));
    insta::assert_snapshot!("secret_form_new_error", render(&mut a, 120, 34));
    press(&mut a, KeyCode::Esc);
    press(&mut a, KeyCode::Char('e'));
    insta::assert_snapshot!("secret_form_edit", render(&mut a, 120, 34));
}

#[tokio::test]
async fn secret_confirm_reveal_expiry_settings_screens() {
    let mut a = secrets_app();
    select(&mut a, "stripe.key");
    press(&mut a, KeyCode::Char('v'));
    insta::assert_snapshot!("secret_confirm_reveal", render(&mut a, 120, 30));
    press(&mut a, KeyCode::Char('y'));
    a.update(Action::Admin(Answer::Revealed(Ok(SecretValue {
        name: "stripe.key".into(),
        version: 2,
        value: "sk_live_demo_4242".into(),
    }))));
    // The countdown depends on the clock: blank its digits.
    let screen = render(&mut a, 120, 30);
    let screen = regex_lite_blank(&screen, "hidden in ", " s");
    insta::assert_snapshot!("secret_revealed", screen);
    press(&mut a, KeyCode::Char('x')); // hides the value, does nothing else
    press(&mut a, KeyCode::Char('x'));
    type_text(&mut a, "soon");
    press(&mut a, KeyCode::Enter);
    insta::assert_snapshot!("secret_expiry_error", render(&mut a, 120, 30));
    press(&mut a, KeyCode::Esc);
    press(&mut a, KeyCode::Tab);
    a.update(Action::Admin(Answer::Settings(Ok(settings()))));
    insta::assert_snapshot!("settings", render(&mut a, 120, 20));
    press(&mut a, KeyCode::Enter);
    a.update(Action::Admin(Answer::SettingSaved(Err(ClientError {
        code: "invalid_argument".into(),
        message: "query.row_cap must be an integer from 1 to 1000000".into(),
    }))));
    insta::assert_snapshot!("settings_edit_error", render(&mut a, 120, 20));
}

/// Replaces the digits between `before` and `after` with `#`.
fn regex_lite_blank(screen: &str, before: &str, after: &str) -> String {
    screen
        .lines()
        .map(|l| match l.find(before) {
            Some(i) => {
                let start = i + before.len();
                let end = start + l[start..].find(after).unwrap_or(0);
                format!("{}{}{}", &l[..start], "#".repeat(end - start), &l[end..])
            }
            None => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn audit_list_detail_filter_and_broken_chain() {
    let mut a = audit_app();
    a.audit.follow = true;
    insta::assert_snapshot!("audit_list", render(&mut a, 120, 20));
    press(&mut a, KeyCode::Down);
    press(&mut a, KeyCode::Enter);
    insta::assert_snapshot!("audit_detail", render(&mut a, 120, 30));
    press(&mut a, KeyCode::Char('q'));
    press(&mut a, KeyCode::Char('/'));
    type_text(&mut a, "alice");
    press(&mut a, KeyCode::Tab);
    press(&mut a, KeyCode::Tab);
    press(&mut a, KeyCode::Right);
    press(&mut a, KeyCode::Right);
    press(&mut a, KeyCode::Tab);
    type_text(&mut a, "eventually");
    press(&mut a, KeyCode::Enter);
    insta::assert_snapshot!("audit_filter_error", render(&mut a, 120, 24));
    a.update(Action::Admin(Answer::Verified(Ok(AuditVerifyResponse {
        valid: false,
        events: 6,
        first_bad: Some(4),
        problem: Some("hash does not match the event".into()),
    }))));
    press(&mut a, KeyCode::Esc);
    insta::assert_snapshot!("audit_chain_broken", render(&mut a, 120, 12));
}

#[tokio::test]
async fn non_admins_have_no_admin_panes() {
    let mut a = app("alice");
    as_user(&mut a, "alice", vec![Role::User, Role::Approver]);
    a.pane = Pane::Access;
    let screen = render(&mut a, 120, 24);
    assert!(
        !screen.contains("Secrets") && !screen.contains("F9"),
        "{screen}"
    );
    press(&mut a, KeyCode::F(8));
    press(&mut a, KeyCode::F(9));
    assert_eq!(a.pane, Pane::Access, "F8/F9 do nothing for a non-admin");
    let mut c = app("carol");
    as_user(&mut c, "carol", vec![Role::Admin]);
    c.pane = Pane::Access;
    assert!(render(&mut c, 120, 24).contains("F8 Secrets"));
    press(&mut c, KeyCode::F(8));
    assert_eq!(c.pane, Pane::Secrets);
}

#[tokio::test]
async fn reveal_needs_an_explicit_yes_and_does_not_stay() {
    let mut a = secrets_app();
    select(&mut a, "stripe.key");
    press(&mut a, KeyCode::Char('v'));
    assert!(
        a.secrets.on_key(key(KeyCode::Enter)).is_empty(),
        "Enter is not a yes"
    );
    assert!(matches!(a.secrets.modal, Some(Modal::Confirm { .. })));
    assert_eq!(
        a.secrets.on_key(key(KeyCode::Char('y'))),
        vec![Effect::Call(Call::Reveal("stripe.key".into()))]
    );
    let reveal = || Revealed {
        name: "stripe.key".into(),
        version: 2,
        value: zeroize::Zeroizing::new("sk_live_demo_4242".into()),
        until: Instant::now() + REVEAL_FOR,
    };
    // Gone after its time…
    a.secrets.revealed = Some(reveal());
    assert!(render(&mut a, 120, 30).contains("sk_live_demo_4242"));
    a.secrets
        .on_tick(Instant::now() + REVEAL_FOR + Duration::from_millis(1));
    assert!(!render(&mut a, 120, 30).contains("sk_live_demo_4242"));
    // …at any key, which does nothing else…
    a.secrets.revealed = Some(reveal());
    assert!(a.secrets.on_key(key(KeyCode::Char('D'))).is_empty());
    assert!(a.secrets.revealed.is_none() && a.secrets.modal.is_none());
    // …and when the pane is left.
    a.secrets.revealed = Some(reveal());
    press(&mut a, KeyCode::F(2));
    assert!(a.secrets.revealed.is_none());
}

#[tokio::test]
async fn the_form_validates_sends_exact_fields_and_keeps_input_on_refusal() {
    let mut a = secrets_app();
    press(&mut a, KeyCode::Char('n'));
    let save = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL);
    assert!(
        a.secrets.on_key(save).is_empty(),
        "nothing sent without a name"
    );
    type_text(&mut a, "smtp.backup");
    press(&mut a, KeyCode::Enter);
    type_text(&mut a, "smtp");
    for _ in 0..3 {
        press(&mut a, KeyCode::Enter);
    }
    type_text(&mut a, "smtp 127.0.0.1:2525 mailer none");
    press(&mut a, KeyCode::Enter);
    type_text(&mut a, "pa55");
    press(&mut a, KeyCode::Enter);
    type_text(&mut a, "word");
    let effects = a.secrets.on_key(save);
    let [Effect::Call(Call::Create(body))] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(
        (
            body.name.as_str(),
            body.category.as_str(),
            body.value.as_str()
        ),
        ("smtp.backup", "smtp", "pa55\nword")
    );
    assert!(matches!(
        body.test,
        Some(SecretTest::Smtp { port: 2525, .. })
    ));
    a.update(Action::Admin(Answer::Saved {
        verb: "Created",
        result: Err(ClientError {
            code: "conflict".into(),
            message: "a secret named smtp.backup exists".into(),
        }),
    }));
    let Some(Modal::Form(form)) = &a.secrets.modal else {
        panic!("the form stays open")
    };
    assert_eq!(
        form.error.as_deref(),
        Some("a secret named smtp.backup exists (conflict)")
    );
    assert!(!form.busy);
    assert_eq!(
        form.text(crate::admin::secrets::FieldKind::Value),
        "pa55\nword"
    );
}

#[tokio::test]
async fn settings_errors_stay_inline_and_success_updates_the_row() {
    let mut a = secrets_app();
    press(&mut a, KeyCode::Tab);
    assert_eq!(a.secrets.view, View::Settings);
    a.update(Action::Admin(Answer::Settings(Ok(settings()))));
    press(&mut a, KeyCode::Enter);
    for _ in 0..4 {
        press(&mut a, KeyCode::Backspace);
    }
    type_text(&mut a, "250");
    assert_eq!(
        a.secrets.on_key(key(KeyCode::Enter)),
        vec![Effect::Call(Call::SetSetting(
            "query.row_cap".into(),
            json!(250)
        ))]
    );
    let mut saved = settings()[0].clone();
    saved.value = json!(250);
    a.update(Action::Admin(Answer::SettingSaved(Ok(saved))));
    assert!(a.secrets.settings.edit.is_none());
    assert_eq!(a.secrets.settings.items[0].value, json!(250));
}

#[tokio::test]
async fn audit_follow_reloads_and_stale_pages_are_dropped() {
    let mut a = audit_app();
    let effects = a.audit.on_key(key(KeyCode::Char('f')));
    let [
        Effect::Call(Call::LoadAudit {
            seq, append: false, ..
        }),
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    let stale = *seq;
    // A filter change makes the answer to the earlier load stale.
    a.audit.on_key(key(KeyCode::Char('/')));
    type_text(&mut a, "bob");
    let effects = a.audit.on_key(key(KeyCode::Enter));
    let [Effect::Call(Call::LoadAudit { query, .. })] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(query.actor.as_deref(), Some("bob"));
    a.update(Action::Admin(Answer::Audit {
        seq: stale,
        append: false,
        result: Ok(AuditPage {
            events: vec![],
            next_before_seq: None,
        }),
    }));
    assert_eq!(a.audit.events.len(), 6, "the stale page changed nothing");
    // Following: the newest page is fetched again once the interval passed.
    let later = Instant::now() + crate::admin::audit::FOLLOW_EVERY;
    a.audit.loading = false;
    assert!(
        a.audit
            .on_tick(later)
            .iter()
            .any(|e| matches!(e, Effect::Call(Call::LoadAudit { append: false, .. })))
    );
}
