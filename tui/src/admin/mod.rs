//! The admin panes: secrets (with live settings) and the audit browser.
//!
//! The panes are plain state machines: keys and broker answers go in,
//! `Effect`s come out (broker calls to make, messages to show). The app runs
//! the calls as tasks and feeds their `Answer`s back, so the panes can be
//! tested without a broker or a runtime.

pub mod audit;
pub mod draw;
pub mod parse;
pub mod secrets;

use chrono::{DateTime, Utc};
use drawbridge_shared::api::audit::{AuditPage, AuditQuery, AuditVerifyResponse};
use drawbridge_shared::api::secrets::{
    CreateSecret, SecretDetail, SecretMeta, SecretTestResult, SecretValue, Setting, UpdateSecret,
};

use crate::client::{Client, ClientError};

/// A broker call a pane asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    LoadSecrets,
    LoadDetail(String),
    Create(CreateSecret),
    Update(String, UpdateSecret),
    Reveal(String),
    Test(String),
    SetActive(String, bool),
    SetExpiry(String, Option<DateTime<Utc>>),
    Delete(String),
    LoadSettings,
    SetSetting(String, serde_json::Value),
    LoadAudit {
        query: AuditQuery,
        append: bool,
        seq: u64,
    },
    VerifyAudit,
}

/// What a pane wants done.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Call(Call),
    /// A message; `true` shows it as an error.
    Toast(String, bool),
    Error(ClientError),
}

/// A broker call's answer, routed back to the pane that asked.
#[derive(Debug)]
pub enum Answer {
    Secrets(Result<Vec<SecretMeta>, ClientError>),
    Detail(Result<SecretDetail, ClientError>),
    /// Create, update, (de)activate, expiry: the secret as it is now.
    Saved {
        verb: &'static str,
        result: Result<SecretDetail, ClientError>,
    },
    Revealed(Result<SecretValue, ClientError>),
    Tested {
        name: String,
        result: Result<SecretTestResult, ClientError>,
    },
    Deleted {
        name: String,
        result: Result<(), ClientError>,
    },
    Settings(Result<Vec<Setting>, ClientError>),
    SettingSaved(Result<Setting, ClientError>),
    Audit {
        seq: u64,
        append: bool,
        result: Result<AuditPage, ClientError>,
    },
    Verified(Result<AuditVerifyResponse, ClientError>),
}

impl Answer {
    pub fn is_audit(&self) -> bool {
        matches!(self, Answer::Audit { .. } | Answer::Verified(_))
    }
}

/// Makes the call; the answer goes back to the pane.
pub async fn execute(client: Client, call: Call) -> Answer {
    let c = &client;
    match call {
        Call::LoadSecrets => Answer::Secrets(c.secrets().await),
        Call::LoadDetail(name) => Answer::Detail(c.secret(&name).await),
        Call::Create(body) => Answer::Saved {
            verb: "Created",
            result: c.create_secret(&body).await,
        },
        Call::Update(name, body) => Answer::Saved {
            verb: "Updated",
            result: c.update_secret(&name, &body).await,
        },
        Call::Reveal(name) => Answer::Revealed(c.reveal_secret(&name).await),
        Call::Test(name) => {
            let result = c.test_secret(&name).await;
            Answer::Tested { name, result }
        }
        Call::SetActive(name, active) => Answer::Saved {
            verb: if active { "Activated" } else { "Deactivated" },
            result: c.set_secret_active(&name, active).await,
        },
        Call::SetExpiry(name, at) => Answer::Saved {
            verb: if at.is_some() {
                "Set the expiry of"
            } else {
                "Cleared the expiry of"
            },
            result: c.set_secret_expiry(&name, at).await,
        },
        Call::Delete(name) => {
            let result = c.delete_secret(&name).await;
            Answer::Deleted { name, result }
        }
        Call::LoadSettings => Answer::Settings(c.settings().await),
        Call::SetSetting(key, value) => Answer::SettingSaved(c.set_setting(&key, value).await),
        Call::LoadAudit { query, append, seq } => Answer::Audit {
            seq,
            append,
            result: c.audit(&query).await,
        },
        Call::VerifyAudit => Answer::Verified(c.audit_verify().await),
    }
}

/// `message (code)`, as every error is shown.
pub fn describe(e: &ClientError) -> String {
    format!("{} ({})", e.message, e.code)
}
