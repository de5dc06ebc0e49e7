//! The audit pane: newest events first, filters, details, follow mode, and the
//! chain's verification status.

use std::time::{Duration, Instant};

use chrono::Utc;
use crossterm::event::KeyEvent;
use drawbridge_shared::api::audit::{AuditEvent, AuditQuery, AuditVerifyResponse, Outcome};
use tui_textarea::TextArea;

use super::{Answer, Call, Effect, describe, parse};
use crate::app::line_input;
use crate::client::ClientError;
use crate::keys::{self, Intent};

/// Events fetched per page.
pub const PAGE: u32 = 200;
/// In follow mode: how often the newest page is fetched, and the chain re-verified.
pub const FOLLOW_EVERY: Duration = Duration::from_secs(2);
pub const VERIFY_EVERY: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    pub actor: String,
    pub action: String,
    pub outcome: Option<Outcome>,
    /// As typed (`15m`, a date…): relative times are taken at each load.
    pub since: String,
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        *self == Filters::default()
    }

    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if !self.actor.is_empty() {
            parts.push(format!("actor={}", self.actor));
        }
        if !self.action.is_empty() {
            parts.push(format!("action={}", self.action));
        }
        if let Some(o) = self.outcome {
            parts.push(format!("outcome={}", o.as_str()));
        }
        if !self.since.is_empty() {
            parts.push(format!("since={}", self.since));
        }
        parts.join(" ")
    }
}

const OUTCOMES: [Option<Outcome>; 4] = [
    None,
    Some(Outcome::Ok),
    Some(Outcome::Denied),
    Some(Outcome::Error),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterField {
    Actor,
    Action,
    Outcome,
    Since,
}

const FIELDS: [FilterField; 4] = [
    FilterField::Actor,
    FilterField::Action,
    FilterField::Outcome,
    FilterField::Since,
];

pub struct FilterForm {
    pub actor: TextArea<'static>,
    pub action: TextArea<'static>,
    pub outcome: Option<Outcome>,
    pub since: TextArea<'static>,
    pub focus: FilterField,
    pub error: Option<String>,
}

impl FilterForm {
    fn new(f: &Filters) -> Self {
        Self {
            actor: line_input(&f.actor, "user name, or system"),
            action: line_input(&f.action, "e.g. secret.reveal, or secret. for all"),
            outcome: f.outcome,
            since: line_input(&f.since, "15m, 2h, 1d, 2026-11-01"),
            focus: FilterField::Actor,
            error: None,
        }
    }

    fn filters(&self) -> Result<Filters, String> {
        let text = |t: &TextArea| t.lines().join("").trim().to_owned();
        let since = text(&self.since);
        parse::since(&since, Utc::now())?;
        Ok(Filters {
            actor: text(&self.actor),
            action: text(&self.action),
            outcome: self.outcome,
            since,
        })
    }

    fn input(&mut self) -> Option<&mut TextArea<'static>> {
        match self.focus {
            FilterField::Actor => Some(&mut self.actor),
            FilterField::Action => Some(&mut self.action),
            FilterField::Outcome => None,
            FilterField::Since => Some(&mut self.since),
        }
    }

    fn step_field(&mut self, forward: bool) {
        let at = FIELDS.iter().position(|f| *f == self.focus).unwrap_or(0);
        let next = if forward {
            (at + 1).min(FIELDS.len() - 1)
        } else {
            at.saturating_sub(1)
        };
        self.focus = FIELDS[next];
    }

    fn step_outcome(&mut self, forward: bool) {
        let at = OUTCOMES
            .iter()
            .position(|o| *o == self.outcome)
            .unwrap_or(0);
        let n = OUTCOMES.len();
        self.outcome = OUTCOMES[if forward {
            (at + 1) % n
        } else {
            (at + n - 1) % n
        }];
    }
}

#[derive(Default)]
pub struct AuditPane {
    pub events: Vec<AuditEvent>,
    pub selected: usize,
    pub next_before_seq: Option<i64>,
    pub follow: bool,
    pub filters: Filters,
    pub form: Option<FilterForm>,
    /// The selected event shown whole.
    pub detail: bool,
    pub verify: Option<Result<AuditVerifyResponse, ClientError>>,
    pub loading: bool,
    pub loaded: bool,
    /// Rows per page, as last drawn.
    pub page_rows: usize,
    seq: u64,
    last_load: Option<Instant>,
    last_verify: Option<Instant>,
}

impl AuditPane {
    pub fn bindings(&self) -> &'static [keys::Binding] {
        if self.form.is_some() {
            keys::AUDIT_FILTER
        } else {
            keys::AUDIT
        }
    }

    pub fn open(&mut self) -> Vec<Effect> {
        let mut effects = self.reload();
        effects.push(self.verify_now());
        effects
    }

    fn query(&self, before_seq: Option<i64>) -> AuditQuery {
        let some = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
        AuditQuery {
            actor: some(&self.filters.actor),
            action: some(&self.filters.action),
            outcome: self.filters.outcome,
            since: parse::since(&self.filters.since, Utc::now()).ok().flatten(),
            until: None,
            before_seq,
            limit: Some(PAGE),
        }
    }

    /// The newest page again (answers to older loads are ignored from now on).
    fn reload(&mut self) -> Vec<Effect> {
        self.seq += 1;
        self.loading = true;
        self.last_load = Some(Instant::now());
        vec![Effect::Call(Call::LoadAudit {
            query: self.query(None),
            append: false,
            seq: self.seq,
        })]
    }

    fn verify_now(&mut self) -> Effect {
        self.last_verify = Some(Instant::now());
        Effect::Call(Call::VerifyAudit)
    }

    /// Older events, once the selection reaches the last one loaded.
    fn load_more_if_at_end(&mut self) -> Vec<Effect> {
        match self.next_before_seq {
            Some(before) if !self.loading && self.selected + 1 >= self.events.len() => {
                self.loading = true;
                vec![Effect::Call(Call::LoadAudit {
                    query: self.query(Some(before)),
                    append: true,
                    seq: self.seq,
                })]
            }
            _ => Vec::new(),
        }
    }

    pub fn on_tick(&mut self, now: Instant) -> Vec<Effect> {
        let due =
            |last: Option<Instant>, every| last.is_none_or(|t| now.duration_since(t) >= every);
        let mut effects = Vec::new();
        if self.follow && !self.loading && due(self.last_load, FOLLOW_EVERY) {
            effects.extend(self.reload());
        }
        if self.follow && due(self.last_verify, VERIFY_EVERY) {
            effects.push(self.verify_now());
        }
        effects
    }

    pub fn on_paste(&mut self, text: &str) {
        if let Some(input) = self.form.as_mut().and_then(FilterForm::input) {
            input.insert_str(text.replace(['\r', '\n'], " "));
        }
    }

    pub fn selected_event(&self) -> Option<&AuditEvent> {
        self.events.get(self.selected)
    }

    pub fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if self.detail {
            self.detail = false;
            return Vec::new();
        }
        if self.form.is_some() {
            return self.form_key(key);
        }
        let last = self.events.len().saturating_sub(1);
        let page = self.page_rows.max(1);
        match keys::lookup(keys::AUDIT, &key) {
            Some(Intent::Down) => self.selected = (self.selected + 1).min(last),
            Some(Intent::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Intent::PageDown) => self.selected = (self.selected + page).min(last),
            Some(Intent::PageUp) => self.selected = self.selected.saturating_sub(page),
            Some(Intent::Top) => self.selected = 0,
            Some(Intent::Bottom) => self.selected = last,
            Some(Intent::ViewRow) => self.detail = self.selected_event().is_some(),
            Some(Intent::Follow) => {
                self.follow = !self.follow;
                if self.follow {
                    self.selected = 0;
                    return self.reload();
                }
            }
            Some(Intent::Filter) => self.form = Some(FilterForm::new(&self.filters)),
            Some(Intent::ClearFilters) if !self.filters.is_empty() => {
                self.filters = Filters::default();
                self.selected = 0;
                return self.reload();
            }
            Some(Intent::Verify) => return vec![self.verify_now()],
            Some(Intent::Refresh) => return self.open(),
            _ => {}
        }
        self.load_more_if_at_end()
    }

    fn form_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(form) = self.form.as_mut() else {
            return Vec::new();
        };
        let on_outcome = form.focus == FilterField::Outcome;
        match keys::lookup(keys::AUDIT_FILTER, &key) {
            Some(Intent::Close) => self.form = None,
            Some(Intent::Submit) => match form.filters() {
                Ok(filters) => {
                    self.filters = filters;
                    self.form = None;
                    self.selected = 0;
                    return self.reload();
                }
                Err(e) => form.error = Some(e),
            },
            Some(Intent::NextField) => form.step_field(true),
            Some(Intent::PrevField) => form.step_field(false),
            Some(Intent::NextPreset) if on_outcome => form.step_outcome(true),
            Some(Intent::PrevPreset) if on_outcome => form.step_outcome(false),
            _ => {
                if let Some(input) = form.input() {
                    input.input(key);
                }
            }
        }
        Vec::new()
    }

    pub fn on_answer(&mut self, answer: Answer) -> Vec<Effect> {
        match answer {
            Answer::Audit {
                seq,
                append,
                result,
            } => {
                if seq != self.seq {
                    return Vec::new(); // filters changed since it was asked
                }
                self.loading = false;
                match result {
                    Ok(page) => {
                        let keep = self.selected_event().map(|e| e.seq);
                        if append {
                            self.events.extend(page.events);
                        } else {
                            self.events = page.events;
                        }
                        self.next_before_seq = page.next_before_seq;
                        self.loaded = true;
                        // Stay on the same event as newer ones arrive above it,
                        // unless following (then the newest is where the eye is).
                        self.selected = match keep {
                            Some(s) if !self.follow => {
                                self.events.iter().position(|e| e.seq == s).unwrap_or(0)
                            }
                            _ => 0,
                        };
                        Vec::new()
                    }
                    Err(e) => {
                        self.follow = false;
                        vec![Effect::Error(e)]
                    }
                }
            }
            Answer::Verified(result) => {
                let effects = match &result {
                    Ok(v) if !v.valid => vec![Effect::Toast(
                        format!(
                            "The audit chain does NOT verify at event {}: {}",
                            v.first_bad.unwrap_or_default(),
                            v.problem.clone().unwrap_or_default()
                        ),
                        true,
                    )],
                    Err(e) => vec![Effect::Toast(
                        format!("Cannot verify the chain: {}", describe(e)),
                        true,
                    )],
                    Ok(_) => Vec::new(),
                };
                self.verify = Some(result);
                effects
            }
            _ => Vec::new(),
        }
    }
}
