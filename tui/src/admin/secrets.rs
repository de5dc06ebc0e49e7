//! The secrets pane: list, detail, forms, reveal, test, and live settings.

use std::time::{Duration, Instant};

use chrono::Utc;
use crossterm::event::{KeyCode, KeyEvent};
use drawbridge_shared::api::secrets::{
    CreateSecret, SecretDetail, SecretMeta, SecretStatus, SecretTestResult, Setting, UpdateSecret,
};
use tui_textarea::TextArea;
use zeroize::Zeroizing;

use super::{Answer, Call, Effect, describe, parse};
use crate::app::line_input;
use crate::keys::{self, Intent};

/// How long a revealed value stays on screen (any key hides it sooner).
pub const REVEAL_FOR: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Secrets,
    Settings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Name,
    Category,
    Description,
    Expires,
    Test,
    Value,
}

impl FieldKind {
    pub fn label(self) -> &'static str {
        match self {
            FieldKind::Name => "Name",
            FieldKind::Category => "Category",
            FieldKind::Description => "Description",
            FieldKind::Expires => "Expires",
            FieldKind::Test => "Test",
            FieldKind::Value => "Value",
        }
    }
}

pub struct Field {
    pub kind: FieldKind,
    pub input: TextArea<'static>,
}

/// Create (no `editing`) or edit a secret. The value is masked and may span lines.
pub struct SecretForm {
    pub editing: Option<String>,
    pub fields: Vec<Field>,
    pub focus: usize,
    pub error: Option<String>,
    pub busy: bool,
}

impl SecretForm {
    fn create() -> Self {
        let field = |kind, placeholder: &str| Field {
            kind,
            input: line_input("", placeholder),
        };
        Self {
            editing: None,
            fields: vec![
                field(FieldKind::Name, "e.g. smtp.main (a-z 0-9 . _ -)"),
                field(FieldKind::Category, "e.g. smtp, api, oauth"),
                field(FieldKind::Description, "what it is for (optional)"),
                field(FieldKind::Expires, "30d, 2027-01-31 … (optional)"),
                field(
                    FieldKind::Test,
                    "http URL | mysql HOST:PORT USER | smtp … (optional)",
                ),
                value_field("the secret value (paste works; Enter adds a line)"),
            ],
            focus: 0,
            error: None,
            busy: false,
        }
    }

    fn edit(meta: &SecretMeta) -> Self {
        let field = |kind, text: &str, placeholder: &str| Field {
            kind,
            input: line_input(text, placeholder),
        };
        let test = meta.test.as_ref().map(parse::test_line).unwrap_or_default();
        Self {
            editing: Some(meta.name.clone()),
            fields: vec![
                field(FieldKind::Category, &meta.category, "category"),
                field(FieldKind::Description, &meta.description, "description"),
                field(
                    FieldKind::Test,
                    &test,
                    "http URL | mysql HOST:PORT USER | smtp …",
                ),
                value_field("new value — leave empty to keep the current one"),
            ],
            focus: 0,
            error: None,
            busy: false,
        }
    }

    pub fn text(&self, kind: FieldKind) -> String {
        self.fields
            .iter()
            .find(|f| f.kind == kind)
            .map(|f| f.input.lines().join("\n"))
            .unwrap_or_default()
    }

    fn focused(&mut self) -> &mut Field {
        &mut self.fields[self.focus]
    }

    /// The request this form makes, or what is wrong with it.
    fn call(&self) -> Result<Call, String> {
        let category = self.text(FieldKind::Category).trim().to_owned();
        let description = self.text(FieldKind::Description).trim().to_owned();
        let test = parse::test_spec(&self.text(FieldKind::Test))?;
        let value = self.text(FieldKind::Value);
        if category.is_empty() {
            return Err("a category is needed".into());
        }
        match &self.editing {
            None => {
                let name = self.text(FieldKind::Name).trim().to_owned();
                if name.is_empty() {
                    return Err("a name is needed".into());
                }
                if value.is_empty() {
                    return Err("a value is needed".into());
                }
                Ok(Call::Create(CreateSecret {
                    name,
                    category,
                    value,
                    description,
                    expires_at: parse::expiry(&self.text(FieldKind::Expires), Utc::now())?,
                    test,
                }))
            }
            Some(name) => Ok(Call::Update(
                name.clone(),
                UpdateSecret {
                    value: Some(value).filter(|v| !v.is_empty()),
                    category: Some(category),
                    description: Some(description),
                    test,
                },
            )),
        }
    }
}

fn value_field(placeholder: &str) -> Field {
    let mut input = line_input("", placeholder);
    input.set_mask_char('•');
    Field {
        kind: FieldKind::Value,
        input,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    Reveal,
    Delete,
}

pub enum Modal {
    Form(Box<SecretForm>),
    Confirm { action: Confirm, name: String },
    Expiry(Box<ExpiryInput>),
}

pub struct ExpiryInput {
    pub name: String,
    pub input: TextArea<'static>,
    pub error: Option<String>,
}

/// A value on screen: dropped (and its memory zeroed) when hidden.
pub struct Revealed {
    pub name: String,
    pub version: u32,
    pub value: Zeroizing<String>,
    pub until: Instant,
}

pub struct SettingEdit {
    pub key: String,
    pub input: TextArea<'static>,
    pub error: Option<String>,
}

#[derive(Default)]
pub struct SettingsView {
    pub items: Vec<Setting>,
    pub selected: usize,
    pub edit: Option<SettingEdit>,
}

pub struct SecretsPane {
    pub view: View,
    /// Sorted by category, then name.
    pub secrets: Vec<SecretMeta>,
    pub loaded: bool,
    pub filter: TextArea<'static>,
    pub filtering: bool,
    /// Index into `visible()`.
    pub selected: usize,
    pub detail: Option<SecretDetail>,
    pub last_test: Option<(String, SecretTestResult)>,
    pub revealed: Option<Revealed>,
    pub modal: Option<Modal>,
    pub settings: SettingsView,
    /// Select this secret once the list reloads (after a create).
    select_after_load: Option<String>,
}

impl Default for SecretsPane {
    fn default() -> Self {
        Self {
            view: View::Secrets,
            secrets: Vec::new(),
            loaded: false,
            filter: line_input("", "type to filter by name, category, description"),
            filtering: false,
            selected: 0,
            detail: None,
            last_test: None,
            revealed: None,
            modal: None,
            settings: SettingsView::default(),
            select_after_load: None,
        }
    }
}

pub fn status_label(s: SecretStatus) -> &'static str {
    match s {
        SecretStatus::Active => "active",
        SecretStatus::Inactive => "inactive",
        SecretStatus::ExpiringSoon => "expiring soon",
        SecretStatus::Expired => "expired",
    }
}

impl SecretsPane {
    /// The key table in force (hint bar and help).
    pub fn bindings(&self) -> &'static [keys::Binding] {
        match (&self.modal, self.view) {
            (Some(Modal::Form(_)), _) => keys::SECRET_FORM,
            (Some(Modal::Confirm { .. }), _) => keys::CONFIRM,
            (Some(Modal::Expiry(_)), _) => keys::INPUT,
            (None, View::Settings) if self.settings.edit.is_some() => keys::INPUT,
            (None, View::Settings) => keys::SETTINGS,
            (None, View::Secrets) if self.filtering => keys::INPUT,
            (None, View::Secrets) => keys::SECRETS,
        }
    }

    /// Shown: load what it displays.
    pub fn open(&mut self) -> Vec<Effect> {
        vec![
            Effect::Call(Call::LoadSecrets),
            Effect::Call(Call::LoadSettings),
        ]
    }

    /// Left (another pane, logout): nothing revealed stays behind.
    pub fn leave(&mut self) {
        self.revealed = None;
        if matches!(self.modal, Some(Modal::Confirm { .. })) {
            self.modal = None;
        }
    }

    pub fn on_tick(&mut self, now: Instant) {
        if self.revealed.as_ref().is_some_and(|r| r.until <= now) {
            self.revealed = None;
        }
    }

    /// The secrets the filter lets through, in display order.
    pub fn visible(&self) -> Vec<&SecretMeta> {
        let needle = self.filter.lines().join("").to_lowercase();
        self.secrets
            .iter()
            .filter(|s| {
                needle.is_empty()
                    || s.name.contains(&needle)
                    || s.category.contains(&needle)
                    || s.description.to_lowercase().contains(&needle)
            })
            .collect()
    }

    pub fn selected_meta(&self) -> Option<&SecretMeta> {
        self.visible().get(self.selected).copied()
    }

    fn selected_name(&self) -> Option<String> {
        self.selected_meta().map(|m| m.name.clone())
    }

    /// After the selection moved: load its detail unless it is already shown.
    fn follow_selection(&mut self) -> Vec<Effect> {
        let len = self.visible().len();
        self.selected = self.selected.min(len.saturating_sub(1));
        match self.selected_name() {
            Some(name) if self.detail.as_ref().is_none_or(|d| d.meta.name != name) => {
                vec![Effect::Call(Call::LoadDetail(name))]
            }
            Some(_) => Vec::new(),
            None => {
                self.detail = None;
                Vec::new()
            }
        }
    }

    pub fn on_paste(&mut self, text: &str) {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let one_line = || text.replace('\n', " ");
        match &mut self.modal {
            Some(Modal::Form(form)) => {
                let field = form.focused();
                let text = if field.kind == FieldKind::Value {
                    text.clone()
                } else {
                    one_line()
                };
                field.input.insert_str(text);
            }
            Some(Modal::Expiry(e)) => {
                let ExpiryInput { input, .. } = &mut **e;
                input.insert_str(one_line());
            }
            _ if self.view == View::Settings => {
                if let Some(edit) = self.settings.edit.as_mut() {
                    edit.input.insert_str(one_line());
                }
            }
            _ if self.filtering => {
                self.filter.insert_str(one_line());
            }
            _ => {}
        }
    }

    pub fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        // A revealed value goes at the first key, whatever it is.
        if self.revealed.take().is_some() {
            return Vec::new();
        }
        if self.modal.is_some() {
            return self.modal_key(key);
        }
        match self.view {
            View::Settings => self.settings_key(key),
            View::Secrets if self.filtering => self.filter_key(key),
            View::Secrets => self.list_key(key),
        }
    }

    fn filter_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        match keys::lookup(keys::INPUT, &key) {
            Some(Intent::Submit) => self.filtering = false,
            Some(Intent::Close) => {
                self.filter = SecretsPane::default().filter;
                self.filtering = false;
            }
            _ => {
                self.filter.input(key);
                self.selected = 0;
            }
        }
        self.follow_selection()
    }

    fn list_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let name = self.selected_name();
        let call = |c: fn(String) -> Call| name.clone().map(|n| vec![Effect::Call(c(n))]);
        let effects = match keys::lookup(keys::SECRETS, &key) {
            Some(Intent::Down) => {
                self.selected += 1;
                None
            }
            Some(Intent::Up) => {
                self.selected = self.selected.saturating_sub(1);
                None
            }
            Some(Intent::Filter) => {
                self.filtering = true;
                None
            }
            Some(Intent::New) => {
                self.modal = Some(Modal::Form(Box::new(SecretForm::create())));
                None
            }
            Some(Intent::Edit) => {
                self.modal = self
                    .selected_meta()
                    .map(|m| Modal::Form(Box::new(SecretForm::edit(m))));
                None
            }
            Some(intent @ (Intent::Reveal | Intent::Delete)) => {
                self.modal = name.clone().map(|name| Modal::Confirm {
                    action: if intent == Intent::Reveal {
                        Confirm::Reveal
                    } else {
                        Confirm::Delete
                    },
                    name,
                });
                None
            }
            Some(Intent::Test) => call(Call::Test),
            Some(Intent::ToggleActive) => self
                .selected_meta()
                .map(|m| vec![Effect::Call(Call::SetActive(m.name.clone(), !m.active))]),
            Some(Intent::Expiry) => {
                self.modal = self.selected_meta().map(|m| {
                    Modal::Expiry(Box::new(ExpiryInput {
                        name: m.name.clone(),
                        input: line_input(
                            &m.expires_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                            "30d, 2027-01-31, RFC 3339 — empty clears",
                        ),
                        error: None,
                    }))
                });
                None
            }
            Some(Intent::SwitchView) => {
                self.view = View::Settings;
                None
            }
            Some(Intent::Refresh) => Some(self.open()),
            _ => None,
        };
        let mut effects = effects.unwrap_or_default();
        effects.extend(self.follow_selection());
        effects
    }

    fn modal_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(modal) = self.modal.as_mut() else {
            return Vec::new();
        };
        match modal {
            Modal::Confirm { action, name } => {
                let (action, name) = (*action, name.clone());
                match keys::lookup(keys::CONFIRM, &key) {
                    // Only an explicit `y`: Enter out of habit does not reveal or delete.
                    Some(Intent::Yes) => {
                        self.modal = None;
                        let call = match action {
                            Confirm::Reveal => Call::Reveal(name),
                            Confirm::Delete => Call::Delete(name),
                        };
                        vec![Effect::Call(call)]
                    }
                    Some(Intent::No) => {
                        self.modal = None;
                        Vec::new()
                    }
                    _ => Vec::new(),
                }
            }
            Modal::Expiry(e) => {
                let ExpiryInput { name, input, error } = &mut **e;
                match keys::lookup(keys::INPUT, &key) {
                    Some(Intent::Close) => {
                        self.modal = None;
                        Vec::new()
                    }
                    Some(Intent::Submit) => {
                        match parse::expiry(&input.lines().join(""), Utc::now()) {
                            Ok(at) => vec![Effect::Call(Call::SetExpiry(name.clone(), at))],
                            Err(e) => {
                                *error = Some(e);
                                Vec::new()
                            }
                        }
                    }
                    _ => {
                        input.input(key);
                        Vec::new()
                    }
                }
            }
            Modal::Form(form) => {
                let last = form.fields.len() - 1;
                match keys::lookup(keys::SECRET_FORM, &key) {
                    Some(Intent::Close) => self.modal = None,
                    Some(Intent::NextField) => form.focus = (form.focus + 1).min(last),
                    Some(Intent::PrevField) => form.focus = form.focus.saturating_sub(1),
                    Some(Intent::Save) if !form.busy => match form.call() {
                        Ok(call) => {
                            form.busy = true;
                            form.error = None;
                            return vec![Effect::Call(call)];
                        }
                        Err(e) => form.error = Some(e),
                    },
                    // Enter moves on, except in the value, where it starts a new line.
                    _ if key.code == KeyCode::Enter
                        && form.fields[form.focus].kind != FieldKind::Value =>
                    {
                        form.focus = (form.focus + 1).min(last)
                    }
                    _ => {
                        form.focused().input.input(key);
                    }
                }
                Vec::new()
            }
        }
    }

    fn settings_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let s = &mut self.settings;
        if let Some(edit) = s.edit.as_mut() {
            match keys::lookup(keys::INPUT, &key) {
                Some(Intent::Close) => s.edit = None,
                Some(Intent::Submit) => {
                    let value = parse::setting_value(&edit.input.lines().join(""));
                    return vec![Effect::Call(Call::SetSetting(edit.key.clone(), value))];
                }
                _ => {
                    edit.input.input(key);
                }
            }
            return Vec::new();
        }
        match keys::lookup(keys::SETTINGS, &key) {
            Some(Intent::Down) => {
                s.selected = (s.selected + 1).min(s.items.len().saturating_sub(1))
            }
            Some(Intent::Up) => s.selected = s.selected.saturating_sub(1),
            Some(Intent::Edit) => {
                if let Some(item) = s.items.get(s.selected) {
                    let text = match &item.value {
                        serde_json::Value::String(v) => v.clone(),
                        other => other.to_string(),
                    };
                    s.edit = Some(SettingEdit {
                        key: item.key.clone(),
                        input: line_input(&text, "new value"),
                        error: None,
                    });
                }
            }
            Some(Intent::SwitchView) => self.view = View::Secrets,
            Some(Intent::Refresh) => return self.open(),
            _ => {}
        }
        Vec::new()
    }

    pub fn on_answer(&mut self, answer: Answer) -> Vec<Effect> {
        match answer {
            Answer::Secrets(Ok(mut list)) => {
                list.sort_by(|a, b| (&a.category, &a.name).cmp(&(&b.category, &b.name)));
                self.secrets = list;
                self.loaded = true;
                if let Some(want) = self.select_after_load.take()
                    && let Some(i) = self.visible().iter().position(|m| m.name == want)
                {
                    self.selected = i;
                }
                self.follow_selection()
            }
            Answer::Detail(Ok(d)) => {
                if self.selected_name().as_deref() == Some(d.meta.name.as_str()) {
                    self.detail = Some(d);
                }
                Vec::new()
            }
            Answer::Saved { verb, result } => self.on_saved(verb, result),
            Answer::Revealed(Ok(v)) => {
                self.revealed = Some(Revealed {
                    name: v.name.clone(),
                    version: v.version,
                    value: Zeroizing::new(v.value.clone()),
                    until: Instant::now() + REVEAL_FOR,
                });
                Vec::new()
            }
            Answer::Tested { name, result } => match result {
                Ok(r) => {
                    let text = format!(
                        "Test of {name}: {} — {}",
                        if r.ok { "ok" } else { "FAILED" },
                        r.detail
                    );
                    let ok = r.ok;
                    self.last_test = Some((name, r));
                    vec![Effect::Toast(text, !ok)]
                }
                Err(e) => vec![Effect::Error(e)],
            },
            Answer::Deleted { name, result } => match result {
                Ok(()) => {
                    self.detail = None;
                    vec![
                        Effect::Toast(format!("Deleted {name}"), false),
                        Effect::Call(Call::LoadSecrets),
                    ]
                }
                Err(e) => vec![Effect::Error(e)],
            },
            Answer::Settings(Ok(items)) => {
                self.settings.selected = self.settings.selected.min(items.len().saturating_sub(1));
                self.settings.items = items;
                Vec::new()
            }
            Answer::SettingSaved(Ok(setting)) => {
                let text = format!("Set {} = {}", setting.key, setting.value);
                if let Some(item) = self
                    .settings
                    .items
                    .iter_mut()
                    .find(|i| i.key == setting.key)
                {
                    *item = setting;
                }
                self.settings.edit = None;
                vec![Effect::Toast(text, false)]
            }
            Answer::SettingSaved(Err(e)) => match self.settings.edit.as_mut() {
                // Shown where it was typed, so it can be corrected.
                Some(edit) if e.code == "invalid_argument" => {
                    edit.error = Some(describe(&e));
                    Vec::new()
                }
                _ => vec![Effect::Error(e)],
            },
            Answer::Secrets(Err(e))
            | Answer::Detail(Err(e))
            | Answer::Revealed(Err(e))
            | Answer::Settings(Err(e)) => vec![Effect::Error(e)],
            Answer::Audit { .. } | Answer::Verified(_) => Vec::new(),
        }
    }

    fn on_saved(
        &mut self,
        verb: &'static str,
        result: Result<SecretDetail, crate::client::ClientError>,
    ) -> Vec<Effect> {
        match result {
            Ok(d) => {
                let text = format!("{verb} {} (v{})", d.meta.name, d.meta.version);
                self.select_after_load = Some(d.meta.name.clone());
                if matches!(self.modal, Some(Modal::Form(_) | Modal::Expiry(_))) {
                    self.modal = None;
                }
                self.detail = Some(d);
                vec![Effect::Toast(text, false), Effect::Call(Call::LoadSecrets)]
            }
            Err(e) => match self.modal.as_mut() {
                // Form errors stay in the form: nothing typed is lost.
                Some(Modal::Form(form)) if e.code != "session_expired" => {
                    form.busy = false;
                    form.error = Some(describe(&e));
                    Vec::new()
                }
                Some(Modal::Expiry(expiry)) if e.code != "session_expired" => {
                    expiry.error = Some(describe(&e));
                    Vec::new()
                }
                _ => vec![Effect::Error(e)],
            },
        }
    }
}
