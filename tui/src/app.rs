//! The application's state and how actions change it. Rendering is in `ui`;
//! broker calls are spawned as tasks whose answers come back as actions, each
//! tagged so that a stale answer never overwrites a newer one.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use drawbridge_shared::Role;
use drawbridge_shared::api::access::{
    AccessRequest, DatabaseInfo, Grant, GrantState, RequestState,
};
use drawbridge_shared::api::auth::LoginResponse;
use drawbridge_shared::api::query::{QueryRequest, QueryResult, SchemaResponse};
use drawbridge_shared::gate::{self, GateOptions, Verdict};
use tokio::sync::mpsc;
use tui_textarea::TextArea;
use uuid::Uuid;

use crate::admin::{self, Effect, audit::AuditPane, secrets::SecretsPane};
use crate::client::{Client, ClientError};
use crate::export;
use crate::history::History;
use crate::keys::{self, Intent};
use crate::results::ResultsView;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Login,
    Access,
    Query,
    /// Admins only, like Audit.
    Secrets,
    Audit,
}

/// Everything that happens: input, time, and answers from the broker.
#[derive(Debug)]
pub enum Action {
    Key(KeyEvent),
    Tick,
    LoggedIn(Result<LoginResponse, ClientError>),
    Refreshed {
        seq: u64,
        data: Result<AccessData, ClientError>,
    },
    Done {
        what: &'static str,
        result: Result<(), ClientError>,
    },
    QueryDone {
        query_id: Uuid,
        result: Result<QueryResult, ClientError>,
    },
    SchemaLoaded(Result<SchemaResponse, ClientError>),
    /// Mouse wheel (with --mouse): true scrolls down.
    Scroll(bool),
    /// Bracketed paste: the text arrives whole, newlines included.
    Paste(String),
    /// An answer for the admin panes.
    Admin(admin::Answer),
}

#[derive(Debug, Clone, Default)]
pub struct AccessData {
    pub databases: Vec<DatabaseInfo>,
    pub requests: Vec<AccessRequest>,
    pub grants: Vec<Grant>,
    pub pending: Vec<AccessRequest>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Databases,
    Mine,
    Pending,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginField {
    User,
    Password,
}

pub struct Login {
    pub user: TextArea<'static>,
    pub password: TextArea<'static>,
    pub field: LoginField,
    pub busy: bool,
    pub message: Option<String>,
}

pub const DURATION_PRESETS: [(u64, &str); 5] = [
    (900, "15 min"),
    (3600, "1 h"),
    (4 * 3600, "4 h"),
    (8 * 3600, "8 h"),
    (86_400, "1 day"),
];

pub struct RequestForm {
    pub database: String,
    pub reason: TextArea<'static>,
    pub preset: usize,
}

/// Approve (optionally shorter) or deny someone's request, with a comment.
pub struct DecisionForm {
    pub request: AccessRequest,
    pub approve: bool,
    pub comment: TextArea<'static>,
    /// 0: as requested; i > 0: the i-th preset shorter than requested.
    pub preset: usize,
}

impl DecisionForm {
    /// Durations the approver may choose: as requested, or shorter presets.
    pub fn options(&self) -> Vec<(Option<u64>, String)> {
        let mut v = vec![(
            None,
            format!(
                "as requested ({})",
                fmt_duration(self.request.duration_seconds as i64)
            ),
        )];
        v.extend(
            DURATION_PRESETS
                .iter()
                .filter(|(s, _)| *s < self.request.duration_seconds)
                .map(|(s, l)| (Some(*s), (*l).to_owned())),
        );
        v
    }
}

/// Names of the grant's tables and columns, to insert into the editor.
pub struct SchemaPicker {
    pub items: Vec<String>,
    pub selected: usize,
}

pub struct Running {
    pub query_id: Uuid,
    pub started: Instant,
}

pub struct QueryState {
    pub editor: TextArea<'static>,
    pub verdict: Verdict,
    pub grant: Option<Uuid>,
    pub running: Option<Running>,
    pub results: Option<ResultsView>,
    pub error: Option<String>,
    pub results_focused: bool,
    /// Set by typing; the gate re-checks once this is older than the debounce.
    pub edited_at: Option<Instant>,
}

pub struct Toast {
    pub text: String,
    pub error: bool,
    pub until: Instant,
}

pub struct App {
    pub client: Client,
    pub tx: mpsc::UnboundedSender<Action>,
    pub pane: Pane,
    pub help: bool,
    pub quit: bool,
    pub login: Login,
    pub me: Option<LoginResponse>,
    pub access: AccessData,
    pub section: Section,
    pub selected: [usize; 3],
    pub form: Option<RequestForm>,
    pub query: QueryState,
    pub toast: Option<Toast>,
    pub ticks: u64,
    pub decision: Option<DecisionForm>,
    pub schema: Option<SchemaPicker>,
    /// A row shown whole (JSON pretty-printed) until a key is pressed.
    pub viewer: Option<String>,
    pub history: History,
    pub secrets: SecretsPane,
    pub audit: AuditPane,
    refresh_seq: u64,
    last_refresh: Option<Instant>,
}

pub(crate) fn line_input(text: &str, placeholder: &str) -> TextArea<'static> {
    let mut t = TextArea::new(vec![text.to_owned()]);
    t.set_placeholder_text(placeholder);
    t.set_cursor_line_style(ratatui::style::Style::default());
    t.move_cursor(tui_textarea::CursorMove::End);
    t
}

impl App {
    pub fn new(client: Client, tx: mpsc::UnboundedSender<Action>, user: &str) -> Self {
        let mut password = line_input("", "password");
        password.set_mask_char('•');
        let mut editor = TextArea::new(vec!["SELECT ".to_owned()]);
        editor.move_cursor(tui_textarea::CursorMove::End);
        // SQL keywords stand out (tui-textarea's match highlighting).
        let _ = editor.set_search_pattern(SQL_KEYWORDS);
        editor.set_search_style(
            ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::BOLD),
        );
        let verdict = gate::check("SELECT ", &GateOptions::default());
        Self {
            client,
            tx,
            pane: Pane::Login,
            help: false,
            quit: false,
            login: Login {
                user: line_input(user, "user name"),
                password,
                // With a name given, typing the password and Enter logs in.
                field: if user.is_empty() {
                    LoginField::User
                } else {
                    LoginField::Password
                },
                busy: false,
                message: None,
            },
            me: None,
            access: AccessData::default(),
            section: Section::Databases,
            selected: [0; 3],
            form: None,
            query: QueryState {
                editor,
                verdict,
                grant: None,
                running: None,
                results: None,
                error: None,
                results_focused: false,
                edited_at: None,
            },
            toast: None,
            ticks: 0,
            decision: None,
            schema: None,
            viewer: None,
            history: History::load(crate::history::default_path()),
            secrets: SecretsPane::default(),
            audit: AuditPane::default(),
            refresh_seq: 0,
            last_refresh: None,
        }
    }

    pub fn toast(&mut self, text: impl Into<String>, error: bool) {
        self.toast = Some(Toast {
            text: text.into(),
            error,
            until: Instant::now() + Duration::from_secs(6),
        });
    }

    fn spawn<F>(&self, make: impl FnOnce(Client) -> F)
    where
        F: std::future::Future<Output = Action> + Send + 'static,
    {
        let fut = make(self.client.clone());
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let _ = tx.send(fut.await);
        });
    }

    /// The current key table: what the hint bar shows and keys mean.
    pub fn bindings(&self) -> &'static [keys::Binding] {
        match self.pane {
            Pane::Login => keys::LOGIN,
            Pane::Access if self.form.is_some() || self.decision.is_some() => keys::REQUEST_FORM,
            Pane::Query if self.schema.is_some() => keys::SCHEMA,
            Pane::Access => keys::ACCESS,
            Pane::Query if self.query.results_focused => keys::RESULTS,
            Pane::Query => keys::QUERY,
            Pane::Secrets => self.secrets.bindings(),
            Pane::Audit => self.audit.bindings(),
        }
    }

    /// Whether the logged-in user has the admin panes.
    pub fn is_admin(&self) -> bool {
        self.me
            .as_ref()
            .is_some_and(|m| m.user.roles.contains(&Role::Admin))
    }

    /// Carries out what an admin pane asked for.
    fn apply(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Call(call) => {
                    self.spawn(move |c| async move { Action::Admin(admin::execute(c, call).await) })
                }
                Effect::Toast(text, error) => self.toast(text, error),
                Effect::Error(e) => self.error(&e),
            }
        }
    }

    /// Switches panes; leaving the secrets pane hides any revealed value.
    fn show(&mut self, pane: Pane) {
        if self.pane == Pane::Secrets && pane != Pane::Secrets {
            self.secrets.leave();
        }
        let entering = self.pane != pane;
        self.pane = pane;
        if entering {
            let effects = match pane {
                Pane::Secrets => self.secrets.open(),
                Pane::Audit => self.audit.open(),
                _ => Vec::new(),
            };
            self.apply(effects);
        }
    }

    pub fn active_grants(&self) -> Vec<&Grant> {
        let now = Utc::now();
        self.access
            .grants
            .iter()
            .filter(|g| g.state == GrantState::Active && g.expires_at > now)
            .collect()
    }

    pub fn current_grant(&self) -> Option<&Grant> {
        let active = self.active_grants();
        self.query
            .grant
            .and_then(|id| active.iter().find(|g| g.id == id).copied())
            .or(active.first().copied())
    }

    pub fn update(&mut self, action: Action) {
        match action {
            Action::Key(key) => self.on_key(key),
            Action::Tick => self.on_tick(),
            Action::LoggedIn(result) => self.on_login(result),
            Action::Refreshed { seq, data } => {
                if seq < self.refresh_seq {
                    return; // a newer refresh is already here or on its way
                }
                match data {
                    Ok(d) => {
                        self.access = d;
                        self.clamp_selection();
                        if self.query.grant.is_none() {
                            self.query.grant = self.active_grants().first().map(|g| g.id);
                        }
                        self.recheck();
                    }
                    Err(e) => self.error(&e),
                }
            }
            Action::Done { what, result } => {
                match result {
                    Ok(()) => self.toast(what, false),
                    Err(e) => self.error(&e),
                }
                self.refresh();
            }
            Action::Scroll(down) => {
                if self.pane == Pane::Query
                    && let Some(r) = self.query.results.as_mut()
                {
                    r.scroll(if down { Intent::Down } else { Intent::Up });
                }
            }
            Action::SchemaLoaded(Ok(schema)) => {
                let mut items = Vec::new();
                for t in schema.tables {
                    items.push(t.name.clone());
                    items.extend(
                        t.columns
                            .iter()
                            .map(|c| format!("{}.{}  {}", t.name, c.name, c.type_name)),
                    );
                }
                self.schema = Some(SchemaPicker { items, selected: 0 });
            }
            Action::SchemaLoaded(Err(e)) => self.error(&e),
            Action::Paste(text) => self.on_paste(&text),
            Action::Admin(answer) => {
                let effects = if answer.is_audit() {
                    self.audit.on_answer(answer)
                } else {
                    self.secrets.on_answer(answer)
                };
                self.apply(effects);
            }
            Action::QueryDone { query_id, result } => {
                if self
                    .query
                    .running
                    .as_ref()
                    .is_none_or(|r| r.query_id != query_id)
                {
                    return; // an answer to a query we no longer wait for
                }
                self.query.running = None;
                match result {
                    Ok(r) => {
                        self.query.error = None;
                        self.query.results = Some(ResultsView::new(r));
                    }
                    Err(e) => {
                        self.query.error = Some(format!("{} ({})", e.message, e.code));
                        self.error(&e);
                    }
                }
            }
        }
    }

    fn on_paste(&mut self, text: &str) {
        let one_line = || text.replace(['\r', '\n'], " ");
        match self.pane {
            Pane::Login => {
                let input = match self.login.field {
                    LoginField::User => &mut self.login.user,
                    LoginField::Password => &mut self.login.password,
                };
                input.insert_str(one_line().trim());
            }
            Pane::Access => {
                if let Some(form) = self.form.as_mut() {
                    form.reason.insert_str(one_line());
                } else if let Some(d) = self.decision.as_mut() {
                    d.comment.insert_str(one_line());
                }
            }
            Pane::Query if !self.query.results_focused && self.schema.is_none() => {
                self.query.editor.insert_str(text.replace("\r\n", "\n"));
                self.query.edited_at = Some(Instant::now());
            }
            Pane::Query => {}
            Pane::Secrets => self.secrets.on_paste(text),
            Pane::Audit => self.audit.on_paste(text),
        }
    }

    fn error(&mut self, e: &ClientError) {
        if e.code == "session_expired" || e.code == "unauthenticated" {
            // Nothing an admin had open outlives the session.
            self.secrets = SecretsPane::default();
            self.audit = AuditPane::default();
            self.pane = Pane::Login;
            self.login.message = Some("Your session ended; log in again.".into());
        }
        self.toast(format!("{} ({})", e.message, e.code), true);
    }

    fn on_tick(&mut self) {
        self.ticks += 1;
        if self
            .query
            .edited_at
            .is_some_and(|t| t.elapsed() >= GATE_DEBOUNCE)
        {
            self.query.edited_at = None;
            self.recheck();
        }
        if self
            .toast
            .as_ref()
            .is_some_and(|t| t.until <= Instant::now())
        {
            self.toast = None;
        }
        let now = Instant::now();
        self.secrets.on_tick(now);
        if self.pane == Pane::Audit {
            let effects = self.audit.on_tick(now);
            self.apply(effects);
        }
        // Keep lists and countdowns fresh while logged in.
        if self.me.is_some()
            && self
                .last_refresh
                .is_none_or(|t| t.elapsed() >= Duration::from_secs(5))
        {
            self.refresh();
        }
    }

    fn on_login(&mut self, result: Result<LoginResponse, ClientError>) {
        self.login.busy = false;
        match result {
            Ok(me) => {
                self.client.set_token(Some(me.token.clone()));
                self.toast(format!("Logged in as {}", me.user.name), false);
                self.me = Some(me);
                self.login.password = {
                    let mut p = line_input("", "password");
                    p.set_mask_char('•');
                    p
                };
                self.login.message = None;
                self.pane = Pane::Access;
                self.refresh();
            }
            Err(e) => {
                self.login.message = Some(match e.code.as_str() {
                    "invalid_credentials" => "Wrong user name or password.".to_owned(),
                    "too_many_attempts" => {
                        "Too many failed logins: wait a few minutes and try again.".to_owned()
                    }
                    "unreachable" => format!("{} — press Enter to retry.", e.message),
                    _ => format!("{} ({})", e.message, e.code),
                });
            }
        }
    }

    pub fn refresh(&mut self) {
        self.refresh_seq += 1;
        self.last_refresh = Some(Instant::now());
        let seq = self.refresh_seq;
        // The broker answers only what this user may approve (often nothing).
        let approver = self.access.databases.iter().any(|d| d.can_approve)
            || self.me.as_ref().is_some_and(|m| {
                m.user
                    .roles
                    .iter()
                    .any(|r| matches!(r, Role::Approver | Role::Admin))
            });
        self.spawn(move |c| async move {
            let data = async {
                let databases = c.databases().await?;
                let requests = c.my_requests().await?;
                let grants = c.my_grants().await?;
                let pending = if approver {
                    c.pending_queue().await?
                } else {
                    Vec::new()
                };
                let mine: Vec<Uuid> = requests.iter().map(|r| r.id).collect();
                let pending = pending
                    .into_iter()
                    .filter(|r| r.state == RequestState::Pending && !mine.contains(&r.id))
                    .collect();
                Ok(AccessData {
                    databases,
                    requests,
                    grants,
                    pending,
                })
            }
            .await;
            Action::Refreshed { seq, data }
        });
    }

    fn clamp_selection(&mut self) {
        let lens = [
            self.access.databases.len(),
            self.mine_rows().len(),
            self.access.pending.len(),
        ];
        for (sel, len) in self.selected.iter_mut().zip(lens) {
            *sel = (*sel).min(len.saturating_sub(1));
        }
    }

    /// My requests and grants, newest first: (request, its grant if any).
    pub fn mine_rows(&self) -> Vec<(&AccessRequest, Option<&Grant>)> {
        self.access
            .requests
            .iter()
            .map(|r| {
                (
                    r,
                    r.grant_id
                        .and_then(|g| self.access.grants.iter().find(|x| x.id == g)),
                )
            })
            .collect()
    }

    fn on_key(&mut self, key: KeyEvent) {
        if self.help || self.viewer.is_some() {
            self.help = false;
            self.viewer = None;
            return;
        }
        if self.pane != Pane::Login
            && let Some(intent) = keys::lookup(keys::GLOBAL, &key)
                .or_else(|| keys::lookup(keys::ADMIN, &key).filter(|_| self.is_admin()))
        {
            return self.global(intent);
        }
        match self.pane {
            Pane::Login => self.login_key(key),
            Pane::Access => self.access_key(key),
            Pane::Query => self.query_key(key),
            Pane::Secrets => {
                let effects = self.secrets.on_key(key);
                self.apply(effects);
            }
            Pane::Audit => {
                let effects = self.audit.on_key(key);
                self.apply(effects);
            }
        }
    }

    fn global(&mut self, intent: Intent) {
        match intent {
            Intent::Quit => self.quit = true,
            Intent::Help => self.help = true,
            Intent::ShowAccess => self.show(Pane::Access),
            Intent::ShowQuery => self.show(Pane::Query),
            // The broker refuses non-admins anyway; the panes are not offered.
            Intent::ShowSecrets if self.is_admin() => self.show(Pane::Secrets),
            Intent::ShowAudit if self.is_admin() => self.show(Pane::Audit),
            _ => {}
        }
    }

    fn login_key(&mut self, key: KeyEvent) {
        match keys::lookup(keys::LOGIN, &key) {
            Some(Intent::Quit) => self.quit = true,
            Some(Intent::NextField) => {
                self.login.field = match self.login.field {
                    LoginField::User => LoginField::Password,
                    LoginField::Password => LoginField::User,
                }
            }
            Some(Intent::Submit) if !self.login.busy => {
                let user = self.login.user.lines().join("");
                let password = self.login.password.lines().join("");
                if user.is_empty() {
                    self.login.field = LoginField::User;
                    return;
                }
                self.login.busy = true;
                self.login.message = Some("Logging in…".into());
                self.spawn(
                    move |c| async move { Action::LoggedIn(c.login(&user, &password).await) },
                );
            }
            Some(_) => {}
            None => {
                let input = match self.login.field {
                    LoginField::User => &mut self.login.user,
                    LoginField::Password => &mut self.login.password,
                };
                input.input(key);
            }
        }
    }

    fn access_key(&mut self, key: KeyEvent) {
        if let Some(form) = self.form.as_mut() {
            match keys::lookup(keys::REQUEST_FORM, &key) {
                Some(Intent::Close) => self.form = None,
                Some(Intent::NextPreset) => {
                    form.preset = (form.preset + 1).min(DURATION_PRESETS.len() - 1)
                }
                Some(Intent::PrevPreset) => form.preset = form.preset.saturating_sub(1),
                Some(Intent::Submit) => {
                    let (database, reason, seconds) = (
                        form.database.clone(),
                        form.reason.lines().join(" "),
                        DURATION_PRESETS[form.preset].0,
                    );
                    self.form = None;
                    self.spawn(move |c| async move {
                        let result = c
                            .request_access(&database, &reason, seconds)
                            .await
                            .map(drop);
                        Action::Done {
                            what: "Request sent",
                            result,
                        }
                    });
                }
                _ => {
                    form.reason.input(key);
                }
            }
            return;
        }
        if let Some(d) = self.decision.as_mut() {
            match keys::lookup(keys::REQUEST_FORM, &key) {
                Some(Intent::Close) => self.decision = None,
                Some(Intent::NextPreset) if d.approve => {
                    d.preset = (d.preset + 1).min(d.options().len() - 1)
                }
                Some(Intent::PrevPreset) if d.approve => d.preset = d.preset.saturating_sub(1),
                Some(Intent::Submit) => {
                    let (id, approve) = (d.request.id, d.approve);
                    let comment =
                        Some(d.comment.lines().join(" ")).filter(|c| !c.trim().is_empty());
                    let duration = d.options()[d.preset].0;
                    self.decision = None;
                    self.spawn(move |c| async move {
                        let result = c.decide(id, approve, comment, duration).await.map(drop);
                        Action::Done {
                            what: if approve { "Approved" } else { "Denied" },
                            result,
                        }
                    });
                }
                _ => {
                    d.comment.input(key);
                }
            }
            return;
        }
        let section = self.section as usize;
        let len = [
            self.access.databases.len(),
            self.mine_rows().len(),
            self.access.pending.len(),
        ][section];
        match keys::lookup(keys::ACCESS, &key) {
            Some(Intent::Down) => {
                self.selected[section] = (self.selected[section] + 1).min(len.saturating_sub(1))
            }
            Some(Intent::Up) => self.selected[section] = self.selected[section].saturating_sub(1),
            Some(Intent::NextSection) => {
                self.section = match self.section {
                    Section::Databases => Section::Mine,
                    Section::Mine if !self.access.pending.is_empty() => Section::Pending,
                    _ => Section::Databases,
                }
            }
            Some(Intent::Request) => {
                if let Some(db) = self.access.databases.get(self.selected[0]) {
                    let preset = DURATION_PRESETS
                        .iter()
                        .position(|(s, _)| *s >= db.default_duration_seconds)
                        .unwrap_or(1);
                    self.form = Some(RequestForm {
                        database: db.name.clone(),
                        reason: line_input("", "why you need access (ticket, incident…)"),
                        preset,
                    });
                }
            }
            Some(intent @ (Intent::Approve | Intent::Deny)) => {
                if let Some(r) = self.access.pending.get(self.selected[2]) {
                    self.section = Section::Pending;
                    self.decision = Some(DecisionForm {
                        request: r.clone(),
                        approve: intent == Intent::Approve,
                        comment: line_input("", "comment (optional)"),
                        preset: 0,
                    });
                }
            }
            Some(Intent::Revoke) => {
                let grant = self
                    .mine_rows()
                    .get(self.selected[1])
                    .and_then(|(_, g)| *g)
                    .filter(|g| g.state == GrantState::Active)
                    .map(|g| g.id);
                if let Some(id) = grant {
                    self.spawn(move |c| async move {
                        Action::Done {
                            what: "Grant revoked",
                            result: c.revoke(id).await.map(drop),
                        }
                    });
                }
            }
            Some(Intent::Refresh) => self.refresh(),
            Some(Intent::Help) => self.help = true,
            _ => {}
        }
    }

    fn query_key(&mut self, key: KeyEvent) {
        if let Some(picker) = self.schema.as_mut() {
            match keys::lookup(keys::SCHEMA, &key) {
                Some(Intent::Down) => {
                    picker.selected =
                        (picker.selected + 1).min(picker.items.len().saturating_sub(1))
                }
                Some(Intent::Up) => picker.selected = picker.selected.saturating_sub(1),
                Some(Intent::Submit) => {
                    // `orders.total  decimal(12,2)` inserts `total`; a table its name.
                    let entry = picker
                        .items
                        .get(picker.selected)
                        .cloned()
                        .unwrap_or_default();
                    let name = entry
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .rsplit('.')
                        .next()
                        .unwrap_or("")
                        .to_owned();
                    self.schema = None;
                    self.query.editor.insert_str(name);
                    self.recheck();
                }
                Some(Intent::Close) => self.schema = None,
                _ => {}
            }
            return;
        }
        let table = if self.query.results_focused {
            keys::RESULTS
        } else {
            keys::QUERY
        };
        match keys::lookup(table, &key) {
            Some(intent @ (Intent::HistoryPrev | Intent::HistoryNext)) => {
                if let Some(db) = self.current_grant().map(|g| g.database.clone())
                    && let Some(sql) = self.history.step(&db, intent == Intent::HistoryPrev)
                {
                    self.set_editor(&sql);
                }
            }
            Some(Intent::Schema) => {
                if let Some(id) = self.current_grant().map(|g| g.id) {
                    self.spawn(move |c| async move { Action::SchemaLoaded(c.schema(id).await) });
                }
            }
            Some(
                intent @ (Intent::ViewRow
                | Intent::CopyCell
                | Intent::CopyRow
                | Intent::ExportCsv
                | Intent::ExportJson),
            ) => self.results_action(intent),
            Some(Intent::Run) => self.run_query(),
            Some(Intent::Cancel) => self.cancel_query(),
            Some(Intent::NextGrant) => {
                let active: Vec<Uuid> = self.active_grants().iter().map(|g| g.id).collect();
                if !active.is_empty() {
                    let at = self
                        .query
                        .grant
                        .and_then(|g| active.iter().position(|x| *x == g))
                        .map_or(0, |i| (i + 1) % active.len());
                    self.query.grant = Some(active[at]);
                    self.recheck();
                }
            }
            Some(Intent::ToggleFocus) => {
                self.query.results_focused =
                    !self.query.results_focused && self.query.results.is_some()
            }
            Some(intent) => {
                if let Some(r) = self.query.results.as_mut() {
                    r.scroll(intent);
                }
            }
            // The gate runs once typing pauses (debounced on ticks), not per key.
            None if !self.query.results_focused && self.query.editor.input(key) => {
                self.query.edited_at = Some(Instant::now())
            }
            None => {}
        }
    }

    fn set_editor(&mut self, sql: &str) {
        let mut editor = TextArea::new(sql.lines().map(str::to_owned).collect());
        let _ = editor.set_search_pattern(SQL_KEYWORDS);
        editor.set_search_style(
            ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::BOLD),
        );
        editor.move_cursor(tui_textarea::CursorMove::Bottom);
        editor.move_cursor(tui_textarea::CursorMove::End);
        self.query.editor = editor;
        self.recheck();
    }

    fn results_action(&mut self, intent: Intent) {
        let Some(view) = self.query.results.as_ref() else {
            return;
        };
        let row = view.result.rows.get(view.row).cloned().unwrap_or_default();
        match intent {
            Intent::ViewRow => {
                let text = view
                    .result
                    .columns
                    .iter()
                    .zip(&row)
                    .map(|(c, v)| {
                        let value = match v {
                            serde_json::Value::Object(_) | serde_json::Value::Array(_) => {
                                serde_json::to_string_pretty(v).unwrap_or_default()
                            }
                            serde_json::Value::Null => "∅ (NULL)".to_owned(),
                            other => export::cell(other),
                        };
                        format!("{}: {value}", c.name)
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                self.viewer = Some(text);
            }
            Intent::CopyCell => {
                let cell = row.get(view.col).map(export::cell).unwrap_or_default();
                export::copy(&cell);
                self.toast("Cell copied (OSC 52)", false);
            }
            Intent::CopyRow => {
                export::copy(&export::row(&row));
                self.toast("Row copied (OSC 52)", false);
            }
            Intent::ExportCsv | Intent::ExportJson => {
                let db = self
                    .current_grant()
                    .map(|g| g.database.clone())
                    .unwrap_or_else(|| "query".into());
                match export::to_file(&view.result, &db, intent == Intent::ExportJson) {
                    Ok(path) => self.toast(format!("Saved {}", path.display()), false),
                    Err(e) => self.toast(format!("Cannot save: {e}"), true),
                }
            }
            _ => {}
        }
    }

    /// The local gate's verdict on the editor's text, with the grant's switches.
    fn recheck(&mut self) {
        let sql = self.query.editor.lines().join("\n");
        let options = self
            .current_grant()
            .and_then(|g| self.access.databases.iter().find(|d| d.name == g.database))
            .map(|d| GateOptions {
                allow_explain: d.allow_explain,
                allow_show: d.allow_show,
                schema: None,
            })
            .unwrap_or_default();
        self.query.verdict = gate::check(&sql, &options);
    }

    fn run_query(&mut self) {
        if self.query.running.is_some() {
            return;
        }
        let Some(grant) = self.current_grant().map(|g| g.id) else {
            self.toast("No active grant: request access first (F2)", true);
            return;
        };
        let sql = self.query.editor.lines().join("\n");
        if let Some(db) = self.current_grant().map(|g| g.database.clone()) {
            self.history.push(&db, &sql);
        }
        let query_id = Uuid::now_v7();
        self.query.running = Some(Running {
            query_id,
            started: Instant::now(),
        });
        self.query.error = None;
        let req = QueryRequest {
            grant_id: grant,
            sql,
            max_rows: None,
            query_id: Some(query_id),
        };
        self.spawn(move |c| async move {
            Action::QueryDone {
                query_id,
                result: c.query(&req).await,
            }
        });
    }

    fn cancel_query(&mut self) {
        if let Some(r) = &self.query.running {
            let id = r.query_id;
            self.spawn(move |c| async move {
                Action::Done {
                    what: "Cancel sent",
                    result: c.cancel(id).await,
                }
            });
        }
    }
}

/// How long typing must pause before the editor's text is checked again.
pub const GATE_DEBOUNCE: Duration = Duration::from_millis(150);

const SQL_KEYWORDS: &str = r"(?i)\b(select|from|where|join|left|right|inner|outer|cross|on|using|group|by|order|having|limit|offset|union|all|intersect|except|with|recursive|as|and|or|not|in|is|null|like|between|case|when|then|else|end|distinct|asc|desc|over|partition|window|exists|explain|show|describe)\b";

/// Seconds until `t`, never negative.
pub fn seconds_until(t: DateTime<Utc>) -> i64 {
    (t - Utc::now()).num_seconds().max(0)
}

pub fn fmt_duration(seconds: i64) -> String {
    match seconds {
        s if s >= 3600 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        s if s >= 60 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn app() -> App {
        let client =
            Client::new("http://127.0.0.1:9", &crate::client::TlsFiles::default()).unwrap();
        let (tx, _rx) = mpsc::unbounded_channel();
        let mut a = App::new(client, tx, "alice");
        a.pane = Pane::Query;
        a
    }

    #[test]
    fn the_live_verdict_is_debounced_and_follows_the_text() {
        let mut a = app();
        assert!(!a.query.verdict.allowed, "'SELECT ' alone does not parse");
        a.update(Action::Key(KeyEvent::new(
            KeyCode::Char('1'),
            KeyModifiers::NONE,
        )));
        assert!(!a.query.verdict.allowed, "not re-checked on every key");
        a.update(Action::Tick);
        assert!(!a.query.verdict.allowed, "not before the pause");
        a.query.edited_at = Some(Instant::now() - GATE_DEBOUNCE);
        a.update(Action::Tick);
        assert!(
            a.query.verdict.allowed,
            "SELECT 1 once typing paused: {:?}",
            a.query.verdict
        );
    }

    #[test]
    fn a_stale_query_answer_is_ignored() {
        let mut a = app();
        let current = Uuid::now_v7();
        a.query.running = Some(Running {
            query_id: current,
            started: Instant::now(),
        });
        let stale = Err(ClientError {
            code: "query_failed".into(),
            message: "old".into(),
        });
        a.update(Action::QueryDone {
            query_id: Uuid::now_v7(),
            result: stale,
        });
        assert!(
            a.query.running.is_some() && a.query.error.is_none(),
            "an answer to another query changes nothing"
        );
    }

    #[test]
    fn with_a_user_name_focus_starts_in_the_password() {
        let a = app();
        assert_eq!(a.login.field, LoginField::Password);
        let client =
            Client::new("http://127.0.0.1:9", &crate::client::TlsFiles::default()).unwrap();
        let (tx, _rx) = mpsc::unbounded_channel();
        assert_eq!(App::new(client, tx, "").login.field, LoginField::User);
    }
}
