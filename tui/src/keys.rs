//! Key bindings: one table per pane. The key-hint bar, the help overlay and
//! the key handling all read the same table, so help cannot drift from keys.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    Quit,
    Help,
    ShowAccess,
    ShowQuery,
    // login
    NextField,
    Submit,
    // access
    Up,
    Down,
    NextSection,
    Request,
    Approve,
    Deny,
    Revoke,
    Refresh,
    // request form
    PrevPreset,
    NextPreset,
    Close,
    // query
    Run,
    Cancel,
    NextGrant,
    ToggleFocus,
    HistoryPrev,
    HistoryNext,
    Schema,
    // results
    ViewRow,
    CopyCell,
    CopyRow,
    ExportCsv,
    ExportJson,
    Left,
    Right,
    PageUp,
    PageDown,
    Top,
    Bottom,
    LineStart,
    LineEnd,
    // admin panes
    ShowSecrets,
    ShowAudit,
    Filter,
    New,
    Edit,
    Reveal,
    Test,
    ToggleActive,
    Expiry,
    Delete,
    SwitchView,
    Save,
    PrevField,
    Yes,
    No,
    Follow,
    Verify,
    ClearFilters,
}

pub struct Binding {
    /// How the key is shown in the hint bar and help.
    pub label: &'static str,
    pub desc: &'static str,
    pub keys: &'static [(KeyCode, KeyModifiers)],
    pub intent: Intent,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;
const ALT: KeyModifiers = KeyModifiers::ALT;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;

macro_rules! bind {
    ($label:expr, $desc:expr, $intent:ident, [$($key:expr),+ $(,)?]) => {
        Binding { label: $label, desc: $desc, keys: &[$($key),+], intent: Intent::$intent }
    };
}

/// ↑↓ and j/k move a selection in every list.
const MOVE_DOWN: Binding = bind!(
    "↑↓",
    "move",
    Down,
    [(KeyCode::Down, NONE), (KeyCode::Char('j'), NONE)]
);
const MOVE_UP: Binding = bind!(
    "",
    "",
    Up,
    [(KeyCode::Up, NONE), (KeyCode::Char('k'), NONE)]
);
const REFRESH: Binding = bind!("F5", "refresh", Refresh, [(KeyCode::F(5), NONE)]);

pub const GLOBAL: &[Binding] = &[
    bind!("F1", "help", Help, [(KeyCode::F(1), NONE)]),
    bind!("F2", "access", ShowAccess, [(KeyCode::F(2), NONE)]),
    bind!("F3", "query", ShowQuery, [(KeyCode::F(3), NONE)]),
    bind!("^Q", "quit", Quit, [(KeyCode::Char('q'), CTRL)]),
];

/// Only admins have these panes (and see these keys).
pub const ADMIN: &[Binding] = &[
    bind!("F8", "secrets", ShowSecrets, [(KeyCode::F(8), NONE)]),
    bind!("F9", "audit", ShowAudit, [(KeyCode::F(9), NONE)]),
];

pub const LOGIN: &[Binding] = &[
    bind!(
        "Tab",
        "next field",
        NextField,
        [(KeyCode::Tab, NONE), (KeyCode::BackTab, SHIFT)]
    ),
    bind!("Enter", "log in", Submit, [(KeyCode::Enter, NONE)]),
    bind!("^Q", "quit", Quit, [(KeyCode::Char('q'), CTRL)]),
];

pub const ACCESS: &[Binding] = &[
    bind!(
        "↑↓/jk",
        "move",
        Down,
        [(KeyCode::Down, NONE), (KeyCode::Char('j'), NONE)]
    ),
    bind!(
        "",
        "",
        Up,
        [(KeyCode::Up, NONE), (KeyCode::Char('k'), NONE)]
    ),
    bind!("Tab", "next list", NextSection, [(KeyCode::Tab, NONE)]),
    bind!("r", "request access", Request, [(KeyCode::Char('r'), NONE)]),
    bind!("a", "approve", Approve, [(KeyCode::Char('a'), NONE)]),
    bind!("d", "deny", Deny, [(KeyCode::Char('d'), NONE)]),
    bind!("x", "revoke grant", Revoke, [(KeyCode::Char('x'), NONE)]),
    REFRESH,
    bind!("?", "help", Help, [(KeyCode::Char('?'), NONE)]),
];

pub const REQUEST_FORM: &[Binding] = &[
    bind!("←→", "duration", NextPreset, [(KeyCode::Right, NONE)]),
    bind!("", "", PrevPreset, [(KeyCode::Left, NONE)]),
    bind!("Enter", "send request", Submit, [(KeyCode::Enter, NONE)]),
    bind!("Esc", "close", Close, [(KeyCode::Esc, NONE)]),
];

pub const QUERY: &[Binding] = &[
    bind!(
        "F5/^⏎",
        "run",
        Run,
        [
            (KeyCode::F(5), NONE),
            (KeyCode::Enter, CTRL),
            (KeyCode::Enter, ALT),
            (KeyCode::Char('r'), CTRL)
        ]
    ),
    bind!(
        "Esc/^C",
        "cancel",
        Cancel,
        [(KeyCode::Esc, NONE), (KeyCode::Char('c'), CTRL)]
    ),
    bind!("F4", "next grant", NextGrant, [(KeyCode::F(4), NONE)]),
    bind!("F6", "editor/results", ToggleFocus, [(KeyCode::F(6), NONE)]),
    bind!("F7", "schema", Schema, [(KeyCode::F(7), NONE)]),
    bind!("^↑↓", "history", HistoryPrev, [(KeyCode::Up, CTRL)]),
    bind!("", "", HistoryNext, [(KeyCode::Down, CTRL)]),
];

pub const SCHEMA: &[Binding] = &[
    MOVE_DOWN,
    MOVE_UP,
    bind!("Enter", "insert name", Submit, [(KeyCode::Enter, NONE)]),
    bind!(
        "Esc",
        "close",
        Close,
        [(KeyCode::Esc, NONE), (KeyCode::F(7), NONE)]
    ),
];

pub const RESULTS: &[Binding] = &[
    bind!(
        "hjkl",
        "scroll",
        Down,
        [(KeyCode::Down, NONE), (KeyCode::Char('j'), NONE)]
    ),
    bind!(
        "",
        "",
        Up,
        [(KeyCode::Up, NONE), (KeyCode::Char('k'), NONE)]
    ),
    bind!(
        "",
        "",
        Left,
        [(KeyCode::Left, NONE), (KeyCode::Char('h'), NONE)]
    ),
    bind!(
        "",
        "",
        Right,
        [(KeyCode::Right, NONE), (KeyCode::Char('l'), NONE)]
    ),
    bind!("PgUp/PgDn", "page", PageDown, [(KeyCode::PageDown, NONE)]),
    bind!("", "", PageUp, [(KeyCode::PageUp, NONE)]),
    bind!(
        "g/G",
        "top/bottom",
        Top,
        [(KeyCode::Char('g'), NONE), (KeyCode::Home, NONE)]
    ),
    bind!(
        "",
        "",
        Bottom,
        [
            (KeyCode::Char('G'), SHIFT),
            (KeyCode::Char('G'), NONE),
            (KeyCode::End, NONE)
        ]
    ),
    bind!("Enter", "view row", ViewRow, [(KeyCode::Enter, NONE)]),
    bind!(
        "y/Y",
        "copy cell/row",
        CopyCell,
        [(KeyCode::Char('y'), NONE)]
    ),
    bind!(
        "",
        "",
        CopyRow,
        [(KeyCode::Char('Y'), SHIFT), (KeyCode::Char('Y'), NONE)]
    ),
    bind!(
        "e/E",
        "export CSV/JSON",
        ExportCsv,
        [(KeyCode::Char('e'), NONE)]
    ),
    bind!(
        "",
        "",
        ExportJson,
        [(KeyCode::Char('E'), SHIFT), (KeyCode::Char('E'), NONE)]
    ),
    bind!(
        "0/$",
        "first/last column",
        LineStart,
        [(KeyCode::Char('0'), NONE)]
    ),
    bind!(
        "",
        "",
        LineEnd,
        [(KeyCode::Char('$'), NONE), (KeyCode::Char('$'), SHIFT)]
    ),
    bind!("F6", "editor/results", ToggleFocus, [(KeyCode::F(6), NONE)]),
    bind!("Esc", "cancel query", Cancel, [(KeyCode::Esc, NONE)]),
];

pub const SECRETS: &[Binding] = &[
    MOVE_DOWN,
    MOVE_UP,
    bind!("/", "filter", Filter, [(KeyCode::Char('/'), NONE)]),
    bind!("n", "new", New, [(KeyCode::Char('n'), NONE)]),
    bind!("e", "edit", Edit, [(KeyCode::Char('e'), NONE)]),
    bind!("v", "reveal", Reveal, [(KeyCode::Char('v'), NONE)]),
    bind!("t", "test", Test, [(KeyCode::Char('t'), NONE)]),
    bind!("a", "on/off", ToggleActive, [(KeyCode::Char('a'), NONE)]),
    bind!("x", "expiry", Expiry, [(KeyCode::Char('x'), NONE)]),
    bind!(
        "D",
        "delete",
        Delete,
        [
            (KeyCode::Char('D'), SHIFT),
            (KeyCode::Char('D'), NONE),
            (KeyCode::Delete, NONE)
        ]
    ),
    bind!("Tab", "settings", SwitchView, [(KeyCode::Tab, NONE)]),
    REFRESH,
];

pub const SECRET_FORM: &[Binding] = &[
    bind!("Tab", "next field", NextField, [(KeyCode::Tab, NONE)]),
    bind!("", "", PrevField, [(KeyCode::BackTab, SHIFT)]),
    bind!("^S", "save", Save, [(KeyCode::Char('s'), CTRL)]),
    bind!("Esc", "cancel", Close, [(KeyCode::Esc, NONE)]),
];

pub const CONFIRM: &[Binding] = &[
    bind!(
        "y",
        "yes",
        Yes,
        [(KeyCode::Char('y'), NONE), (KeyCode::Char('Y'), SHIFT)]
    ),
    bind!(
        "n/Esc",
        "no",
        No,
        [(KeyCode::Char('n'), NONE), (KeyCode::Esc, NONE)]
    ),
];

/// A one-line input: a filter, an expiry, a setting's value.
pub const INPUT: &[Binding] = &[
    bind!("Enter", "apply", Submit, [(KeyCode::Enter, NONE)]),
    bind!("Esc", "cancel", Close, [(KeyCode::Esc, NONE)]),
];

pub const SETTINGS: &[Binding] = &[
    MOVE_DOWN,
    MOVE_UP,
    bind!("Enter", "change", Edit, [(KeyCode::Enter, NONE)]),
    bind!("Tab", "secrets", SwitchView, [(KeyCode::Tab, NONE)]),
    REFRESH,
];

pub const AUDIT: &[Binding] = &[
    MOVE_DOWN,
    MOVE_UP,
    bind!("PgUp/PgDn", "page", PageDown, [(KeyCode::PageDown, NONE)]),
    bind!("", "", PageUp, [(KeyCode::PageUp, NONE)]),
    bind!(
        "g/G",
        "newest/oldest",
        Top,
        [(KeyCode::Char('g'), NONE), (KeyCode::Home, NONE)]
    ),
    bind!(
        "",
        "",
        Bottom,
        [
            (KeyCode::Char('G'), SHIFT),
            (KeyCode::Char('G'), NONE),
            (KeyCode::End, NONE)
        ]
    ),
    bind!("Enter", "details", ViewRow, [(KeyCode::Enter, NONE)]),
    bind!("f", "follow", Follow, [(KeyCode::Char('f'), NONE)]),
    bind!("/", "filter", Filter, [(KeyCode::Char('/'), NONE)]),
    bind!(
        "c",
        "clear filters",
        ClearFilters,
        [(KeyCode::Char('c'), NONE)]
    ),
    bind!("v", "verify chain", Verify, [(KeyCode::Char('v'), NONE)]),
    REFRESH,
];

pub const AUDIT_FILTER: &[Binding] = &[
    bind!(
        "Tab",
        "next field",
        NextField,
        [(KeyCode::Tab, NONE), (KeyCode::Down, NONE)]
    ),
    bind!(
        "",
        "",
        PrevField,
        [(KeyCode::BackTab, SHIFT), (KeyCode::Up, NONE)]
    ),
    bind!("←→", "outcome", NextPreset, [(KeyCode::Right, NONE)]),
    bind!("", "", PrevPreset, [(KeyCode::Left, NONE)]),
    bind!("Enter", "apply", Submit, [(KeyCode::Enter, NONE)]),
    bind!("Esc", "cancel", Close, [(KeyCode::Esc, NONE)]),
];

/// The intent a key has in `table`, if any.
pub fn lookup(table: &[Binding], key: &KeyEvent) -> Option<Intent> {
    table
        .iter()
        .find(|b| {
            b.keys
                .iter()
                .any(|(code, mods)| *code == key.code && *mods == key.modifiers)
        })
        .map(|b| b.intent)
}

/// The (label, description) pairs shown in the hint bar and the help.
pub fn hints(table: &[Binding]) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
    table
        .iter()
        .filter(|b| !b.label.is_empty())
        .map(|b| (b.label, b.desc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn keys_map_to_intents_per_pane() {
        assert_eq!(lookup(QUERY, &key(KeyCode::F(5), NONE)), Some(Intent::Run));
        assert_eq!(lookup(QUERY, &key(KeyCode::Enter, CTRL)), Some(Intent::Run));
        assert_eq!(
            lookup(QUERY, &key(KeyCode::Esc, NONE)),
            Some(Intent::Cancel)
        );
        assert_eq!(
            lookup(QUERY, &key(KeyCode::Char('r'), NONE)),
            None,
            "plain letters are typed into the editor"
        );
        assert_eq!(
            lookup(ACCESS, &key(KeyCode::Char('r'), NONE)),
            Some(Intent::Request)
        );
        assert_eq!(
            lookup(ACCESS, &key(KeyCode::Char('a'), NONE)),
            Some(Intent::Approve)
        );
        assert_eq!(
            lookup(RESULTS, &key(KeyCode::Char('G'), SHIFT)),
            Some(Intent::Bottom)
        );
        assert_eq!(
            lookup(RESULTS, &key(KeyCode::Char('$'), NONE)),
            Some(Intent::LineEnd)
        );
        assert_eq!(
            lookup(LOGIN, &key(KeyCode::Enter, NONE)),
            Some(Intent::Submit)
        );
        assert_eq!(
            lookup(GLOBAL, &key(KeyCode::Char('q'), CTRL)),
            Some(Intent::Quit)
        );
    }

    #[test]
    fn every_intent_with_a_label_has_a_description() {
        for table in [
            GLOBAL,
            ADMIN,
            LOGIN,
            ACCESS,
            REQUEST_FORM,
            QUERY,
            RESULTS,
            SCHEMA,
            SECRETS,
            SECRET_FORM,
            CONFIRM,
            INPUT,
            SETTINGS,
            AUDIT,
            AUDIT_FILTER,
        ] {
            for (label, desc) in hints(table) {
                assert!(!desc.is_empty(), "{label}");
            }
        }
    }
}
