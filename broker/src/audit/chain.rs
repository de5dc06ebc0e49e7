use chrono::{DateTime, Utc};
use drawbridge_shared::api::audit::{AuditEvent, Outcome};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event about to be appended; the log assigns seq, id, time and hashes.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub actor: String,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub details: Value,
}

impl NewEvent {
    pub fn new(actor: impl Into<String>, action: impl Into<String>, outcome: Outcome) -> Self {
        Self {
            actor: actor.into(),
            client_addr: None,
            user_agent: None,
            action: action.into(),
            target: None,
            outcome,
            reason: None,
            details: Value::Object(Default::default()),
        }
    }

    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    pub fn client(mut self, addr: Option<String>, user_agent: Option<String>) -> Self {
        self.client_addr = addr;
        self.user_agent = user_agent;
        self
    }

    /// Seals the event as the next link after `prev_hash`.
    pub(crate) fn seal(self, seq: i64, time: DateTime<Utc>, prev_hash: &str) -> AuditEvent {
        let mut event = AuditEvent {
            seq,
            id: Uuid::now_v7(),
            time,
            actor: self.actor,
            client_addr: self.client_addr,
            user_agent: self.user_agent,
            action: self.action,
            target: self.target,
            outcome: self.outcome,
            reason: self.reason,
            details: self.details,
            hash: String::new(),
            prev_hash: prev_hash.to_owned(),
        };
        event.hash = chain_hash(prev_hash, &canonical_content(&event));
        event
    }
}

/// The bytes the hash covers: every field but the hashes, in a fixed order.
/// Times are in the stored text form; details in serde_json's compact form
/// (object keys sorted, since serde_json's map is a BTreeMap here).
pub(crate) fn canonical_content(e: &AuditEvent) -> String {
    serde_json::json!([
        e.seq,
        e.id.to_string(),
        crate::store::time_text(e.time),
        e.actor,
        e.client_addr,
        e.user_agent,
        e.action,
        e.target,
        e.outcome.as_str(),
        e.reason,
        e.details,
    ])
    .to_string()
}

pub(crate) fn chain_hash(prev_hash: &str, content: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(content.as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_field_change_changes_the_hash() {
        let time = Utc::now();
        let e = NewEvent::new("alice", "auth.login", Outcome::Ok).seal(1, time, GENESIS_HASH);
        assert_eq!(e.hash, chain_hash(GENESIS_HASH, &canonical_content(&e)));
        let mut edited = e.clone();
        edited.outcome = Outcome::Denied;
        assert_ne!(
            chain_hash(GENESIS_HASH, &canonical_content(&edited)),
            e.hash
        );
        let mut moved = e.clone();
        moved.seq = 2;
        assert_ne!(chain_hash(GENESIS_HASH, &canonical_content(&moved)), e.hash);
        assert_ne!(chain_hash(&e.hash, &canonical_content(&e)), e.hash);
    }
}
