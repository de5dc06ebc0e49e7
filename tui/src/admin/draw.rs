//! Drawing the admin panes.

use std::time::Instant;

use drawbridge_shared::api::audit::{AuditEvent, Outcome};
use drawbridge_shared::api::secrets::{SecretDetail, SecretStatus};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Clear, Paragraph, Row, Table, TableState, Wrap};

use super::audit::{AuditPane, FilterField};
use super::parse;
use super::secrets::{Confirm, ExpiryInput, Modal, SecretForm, SecretsPane, View, status_label};
use crate::ui::{bold, boxed, centered, fg};

fn reversed() -> Style {
    Style::default().add_modifier(Modifier::REVERSED)
}

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%SZ").to_string()
}

fn status_style(s: SecretStatus) -> Style {
    match s {
        SecretStatus::Active => fg(Color::Green),
        SecretStatus::Inactive => fg(Color::DarkGray),
        SecretStatus::ExpiringSoon => fg(Color::Yellow),
        SecretStatus::Expired => fg(Color::Red),
    }
}

pub fn draw_secrets(f: &mut Frame, pane: &mut SecretsPane, area: Rect) {
    let [tabs, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
    let tab = |label: &str, on: bool| {
        Span::styled(
            format!(" {label} "),
            if on {
                bold().patch(reversed())
            } else {
                Style::default()
            },
        )
    };
    f.render_widget(
        Paragraph::new(Line::from(vec![
            tab("Secrets", pane.view == View::Secrets),
            tab("Settings", pane.view == View::Settings),
            Span::styled("  Tab switches", fg(Color::DarkGray)),
        ])),
        tabs,
    );
    match pane.view {
        View::Secrets => draw_secret_list(f, pane, body),
        View::Settings => draw_settings(f, pane, body),
    }
    match &mut pane.modal {
        Some(Modal::Form(form)) => draw_form(f, form, body),
        Some(Modal::Confirm { action, name }) => {
            let text = match action {
                Confirm::Reveal => format!(
                    "Reveal the value of {name}?\nIt stays on screen for a few seconds and the reveal is audited."
                ),
                Confirm::Delete => format!("Delete {name}? Its versions go with it."),
            };
            let outer = centered(body, 60, 6);
            f.render_widget(Clear, outer);
            f.render_widget(
                Paragraph::new(format!("{text}\n\ny: yes   n/Esc: no"))
                    .wrap(Wrap { trim: true })
                    .block(boxed("Confirm", true)),
                outer,
            );
        }
        Some(Modal::Expiry(e)) => {
            let ExpiryInput { name, input, error } = &mut **e;
            let title = format!("Expiry of {name}");
            draw_input(f, body, &title, input, error.as_deref());
        }
        None => {}
    }
}

/// A one-line input in a popup, with its error (if any) under it.
fn draw_input(
    f: &mut Frame,
    area: Rect,
    title: &str,
    input: &mut tui_textarea::TextArea<'static>,
    error: Option<&str>,
) {
    let outer = centered(area, 64, 7);
    f.render_widget(Clear, outer);
    f.render_widget(boxed(title, true), outer);
    let inner = outer.inner(Margin::new(1, 1));
    let [field, message] =
        Layout::vertical([Constraint::Length(3), Constraint::Min(1)]).areas(inner);
    input.set_block(boxed("Enter applies, Esc cancels", true));
    f.render_widget(&*input, field);
    if let Some(e) = error {
        f.render_widget(
            Paragraph::new(e)
                .style(fg(Color::Red))
                .wrap(Wrap { trim: true }),
            message,
        );
    }
}

fn draw_secret_list(f: &mut Frame, pane: &mut SecretsPane, area: Rect) {
    let [filter, lists] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
    if pane.filtering {
        let [label, input] =
            Layout::horizontal([Constraint::Length(9), Constraint::Min(5)]).areas(filter);
        f.render_widget(Paragraph::new(Span::styled(" filter: ", bold())), label);
        pane.filter.set_block(ratatui::widgets::Block::default());
        f.render_widget(&pane.filter, input);
    } else {
        let text = pane.filter.lines().join("");
        let line = if text.is_empty() {
            Span::styled(" / to filter", fg(Color::DarkGray))
        } else {
            Span::raw(format!(" filter: {text}  (/ to change, Esc in it clears)"))
        };
        f.render_widget(Paragraph::new(line), filter);
    }
    let [list, detail] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(lists);

    // Grouped by category: a header row per category, then its secrets.
    let visible = pane.visible();
    let mut rows = Vec::new();
    let mut selected_row = None;
    let mut category = None;
    for (i, s) in visible.iter().enumerate() {
        if category != Some(&s.category) {
            category = Some(&s.category);
            let count = visible.iter().filter(|x| x.category == s.category).count();
            rows.push(Row::new(vec![Cell::from(Span::styled(
                format!("{} ({count})", s.category),
                bold(),
            ))]));
        }
        if i == pane.selected {
            selected_row = Some(rows.len());
        }
        rows.push(Row::new(vec![
            Cell::from(format!("  {}", s.name)),
            Cell::from(Span::styled(status_label(s.status), status_style(s.status))),
            Cell::from(format!("v{}", s.version)),
            Cell::from(
                s.expires_at
                    .map(|t| t.format("%Y-%m-%d").to_string())
                    .unwrap_or_else(|| "—".into()),
            ),
        ]));
    }
    let title = match (pane.loaded, visible.len(), pane.secrets.len()) {
        (false, _, _) => "Secrets — loading…".to_owned(),
        (true, shown, all) if shown == all => format!("Secrets ({all})"),
        (true, shown, all) => format!("Secrets ({shown} of {all})"),
    };
    let empty = pane.loaded && visible.is_empty();
    let table = Table::new(
        rows,
        [
            Constraint::Min(16),
            Constraint::Length(13),
            Constraint::Length(4),
            Constraint::Length(10),
        ],
    )
    .header(Row::new(["NAME", "STATUS", "VER", "EXPIRES"]).style(bold()))
    .block(boxed(&title, pane.modal.is_none()))
    .row_highlight_style(reversed());
    let mut state = TableState::default().with_selected(selected_row);
    f.render_stateful_widget(table, list, &mut state);
    if empty {
        let hint = if pane.secrets.is_empty() {
            "No secrets yet: n creates one."
        } else {
            "Nothing matches the filter."
        };
        f.render_widget(
            Paragraph::new(hint).style(fg(Color::DarkGray)),
            list.inner(Margin::new(2, 2)),
        );
    }

    let revealed = pane
        .revealed
        .as_ref()
        .filter(|r| pane.selected_meta().is_some_and(|m| m.name == r.name));
    let [info, secret] = Layout::vertical(if revealed.is_some() {
        [Constraint::Min(5), Constraint::Length(7)]
    } else {
        [Constraint::Min(5), Constraint::Length(0)]
    })
    .areas(detail);
    let selected = pane.selected_meta().map(|m| m.name.as_str());
    let lines = match (&pane.detail, selected) {
        (Some(d), Some(name)) if d.meta.name == name => {
            let test = pane.last_test.as_ref().filter(|(n, _)| n == name);
            detail_lines(d, test.map(|(_, r)| r))
        }
        (_, Some(_)) => vec![Line::from("Loading…")],
        (_, None) => vec![Line::from(Span::styled(
            "Select a secret to see its details.",
            fg(Color::DarkGray),
        ))],
    };
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(boxed("Details", false)),
        info,
    );
    if let Some(r) = revealed {
        let left = r.until.saturating_duration_since(Instant::now()).as_secs() + 1;
        f.render_widget(Clear, secret);
        f.render_widget(
            Paragraph::new(r.value.as_str())
                .wrap(Wrap { trim: false })
                .style(fg(Color::Yellow))
                .block(boxed(
                    &format!("Value v{} — hidden in {left} s, any key hides", r.version),
                    true,
                )),
            secret,
        );
    }
}

fn detail_lines(
    d: &SecretDetail,
    test: Option<&drawbridge_shared::api::secrets::SecretTestResult>,
) -> Vec<Line<'static>> {
    let m = &d.meta;
    let field = |k: &str, v: String| {
        Line::from(vec![Span::styled(format!("{k:<12}"), bold()), Span::raw(v)])
    };
    let mut lines = vec![
        field("Name", m.name.clone()),
        field("Category", m.category.clone()),
        field(
            "Description",
            if m.description.is_empty() {
                "—".into()
            } else {
                m.description.clone()
            },
        ),
        Line::from(vec![
            Span::styled(format!("{:<12}", "Status"), bold()),
            Span::styled(status_label(m.status), status_style(m.status)),
        ]),
        field(
            "Expires",
            m.expires_at.map(time).unwrap_or_else(|| "never".into()),
        ),
        field(
            "Test",
            m.test
                .as_ref()
                .map(parse::test_line)
                .unwrap_or_else(|| "none".into()),
        ),
        field(
            "Created",
            format!("{} by {}", time(m.created_at), m.created_by),
        ),
        field("Updated", time(m.updated_at)),
    ];
    if let Some(t) = test {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<12}", "Last test"), bold()),
            Span::styled(
                format!("{} — {}", if t.ok { "ok" } else { "FAILED" }, t.detail),
                fg(if t.ok { Color::Green } else { Color::Red }),
            ),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        format!("Versions ({})", d.versions.len()),
        bold(),
    )));
    lines.push(Line::from(Span::styled(
        "  VER  TIME (UTC)        BY       DIGEST",
        fg(Color::DarkGray),
    )));
    for v in &d.versions {
        let current = if v.version == m.version { " ◀" } else { "" };
        lines.push(Line::from(format!(
            "  v{:<3} {}  {:<8} {}{current}",
            v.version,
            v.created_at.format("%Y-%m-%d %H:%M"),
            v.created_by,
            v.digest.get(..8).unwrap_or(&v.digest)
        )));
    }
    lines
}

fn draw_form(f: &mut Frame, form: &mut SecretForm, area: Rect) {
    let value_rows = 5u16;
    let height = (form.fields.len() as u16 - 1) * 3 + value_rows + 2 + 2 + 1;
    let outer = centered(area, 76, height);
    f.render_widget(Clear, outer);
    let title = match &form.editing {
        Some(name) => format!("Edit {name} — a new value makes a new version"),
        None => "New secret".to_owned(),
    };
    f.render_widget(boxed(&title, true), outer);
    let inner = outer.inner(Margin::new(1, 1));
    let mut constraints: Vec<Constraint> = form
        .fields
        .iter()
        .map(|fd| {
            Constraint::Length(if fd.kind == super::secrets::FieldKind::Value {
                value_rows
            } else {
                3
            })
        })
        .collect();
    constraints.push(Constraint::Min(1));
    let areas = Layout::vertical(constraints).split(inner);
    let focus = form.focus;
    for (i, field) in form.fields.iter_mut().enumerate() {
        let mut label = field.kind.label().to_owned();
        if field.kind == super::secrets::FieldKind::Value {
            let text = field.input.lines();
            let chars: usize = text.iter().map(|l| l.chars().count()).sum();
            if chars > 0 {
                label = format!("Value (masked: {} line(s), {chars} chars)", text.len());
            } else {
                label = "Value (masked)".into();
            }
        }
        field.input.set_block(boxed(&label, i == focus));
        field.input.set_cursor_style(if i == focus {
            reversed()
        } else {
            Style::default()
        });
        f.render_widget(&field.input, areas[i]);
    }
    let message = match (&form.error, form.busy) {
        (Some(e), _) => Span::styled(e.clone(), fg(Color::Red)),
        (None, true) => Span::raw("Saving…"),
        (None, false) => Span::styled(
            "Tab/Enter next field · ^S saves · Esc cancels",
            fg(Color::DarkGray),
        ),
    };
    f.render_widget(
        Paragraph::new(Line::from(message)).wrap(Wrap { trim: true }),
        areas[areas.len() - 1],
    );
}

fn draw_settings(f: &mut Frame, pane: &mut SecretsPane, area: Rect) {
    let s = &mut pane.settings;
    let rows = s.items.iter().map(|item| {
        let changed = item.value != item.default;
        Row::new(vec![
            Cell::from(item.key.clone()),
            Cell::from(Span::styled(
                item.value.to_string(),
                if changed { bold() } else { Style::default() },
            )),
            Cell::from(item.default.to_string()),
            Cell::from(item.description.clone()),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(32),
            Constraint::Length(10),
            Constraint::Length(10),
            Constraint::Min(10),
        ],
    )
    .header(Row::new(["SETTING", "VALUE", "DEFAULT", "WHAT IT DOES"]).style(bold()))
    .block(boxed("Live settings — used from the next request on", true))
    .row_highlight_style(reversed());
    let mut state =
        TableState::default().with_selected((!s.items.is_empty()).then_some(s.selected));
    f.render_stateful_widget(table, area, &mut state);
    if let Some(edit) = s.edit.as_mut() {
        let title = format!("Set {}", edit.key);
        draw_input(f, area, &title, &mut edit.input, edit.error.as_deref());
    }
}

fn outcome_style(o: Outcome) -> Style {
    match o {
        Outcome::Ok => Style::default(),
        Outcome::Denied => fg(Color::Yellow),
        Outcome::Error => fg(Color::Red),
    }
}

pub fn draw_audit(f: &mut Frame, pane: &mut AuditPane, area: Rect) {
    let [status, list] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
    let chain = match &pane.verify {
        None => Span::raw(" chain: verifying…"),
        Some(Ok(v)) if v.valid => Span::styled(
            format!(" chain: ✓ verified, {} events", v.events),
            fg(Color::Green),
        ),
        Some(Ok(v)) => Span::styled(
            format!(
                " chain: ✗ BROKEN at event {}: {}",
                v.first_bad.unwrap_or_default(),
                v.problem.clone().unwrap_or_default()
            ),
            bold().patch(fg(Color::Red)),
        ),
        Some(Err(e)) => Span::styled(
            format!(" chain: cannot verify ({})", e.code),
            fg(Color::Red),
        ),
    };
    let follow = if pane.follow {
        Span::styled("  │ following ●", bold().patch(fg(Color::Green)))
    } else {
        Span::raw("  │ f follows")
    };
    let filters = if pane.filters.is_empty() {
        Span::raw("  │ no filter")
    } else {
        Span::styled(format!("  │ {}", pane.filters.summary()), bold())
    };
    f.render_widget(
        Paragraph::new(Line::from(vec![chain, follow, filters])),
        status,
    );

    let rows = pane.events.iter().map(|e| {
        Row::new(vec![
            Cell::from(e.seq.to_string()),
            Cell::from(time(e.time)),
            Cell::from(e.actor.clone()),
            Cell::from(e.action.clone()),
            Cell::from(e.target.clone().unwrap_or_default()),
            Cell::from(Span::styled(e.outcome.as_str(), outcome_style(e.outcome))),
        ])
    });
    let more = if pane.next_before_seq.is_some() {
        " (older below)"
    } else {
        ""
    };
    let title = if pane.loaded {
        format!("Audit — {} events{more}, newest first", pane.events.len())
    } else {
        "Audit — loading…".to_owned()
    };
    let block = boxed(&title, pane.form.is_none());
    pane.page_rows = block.inner(list).height.saturating_sub(1) as usize;
    let table = Table::new(
        rows,
        [
            Constraint::Length(6),
            Constraint::Length(20),
            Constraint::Length(10),
            Constraint::Length(22),
            Constraint::Min(12),
            Constraint::Length(7),
        ],
    )
    .header(Row::new(["SEQ", "TIME (UTC)", "ACTOR", "ACTION", "TARGET", "OUTCOME"]).style(bold()))
    .block(block)
    .row_highlight_style(reversed());
    let mut state =
        TableState::default().with_selected((!pane.events.is_empty()).then_some(pane.selected));
    f.render_stateful_widget(table, list, &mut state);

    if pane.detail
        && let Some(e) = pane.selected_event()
    {
        draw_event(f, e, area);
    }
    if let Some(form) = pane.form.as_mut() {
        let outer = centered(area, 64, 15);
        f.render_widget(Clear, outer);
        f.render_widget(boxed("Filter events", true), outer);
        let inner = outer.inner(Margin::new(1, 1));
        let [actor, action, outcome, since, message] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Length(3),
            Constraint::Length(2),
            Constraint::Length(3),
            Constraint::Min(1),
        ])
        .areas(inner);
        let focus = form.focus;
        for (input, rect, label, me) in [
            (&mut form.actor, actor, "Actor", FilterField::Actor),
            (&mut form.action, action, "Action", FilterField::Action),
            (&mut form.since, since, "Since", FilterField::Since),
        ] {
            input.set_block(boxed(label, focus == me));
            input.set_cursor_style(if focus == me {
                reversed()
            } else {
                Style::default()
            });
            f.render_widget(&*input, rect);
        }
        let mut spans = vec![Span::styled(
            " Outcome: ",
            if focus == FilterField::Outcome {
                bold().patch(fg(Color::Cyan))
            } else {
                Style::default()
            },
        )];
        for o in [
            None,
            Some(Outcome::Ok),
            Some(Outcome::Denied),
            Some(Outcome::Error),
        ] {
            let label = o.map_or("any", Outcome::as_str);
            let style = if o == form.outcome {
                reversed()
            } else {
                Style::default()
            };
            spans.push(Span::styled(format!(" {label} "), style));
        }
        f.render_widget(Paragraph::new(Line::from(spans)), outcome);
        if let Some(e) = &form.error {
            f.render_widget(
                Paragraph::new(e.as_str())
                    .style(fg(Color::Red))
                    .wrap(Wrap { trim: true }),
                message,
            );
        }
    }
}

fn draw_event(f: &mut Frame, e: &AuditEvent, area: Rect) {
    let field = |k: &str, v: String| {
        Line::from(vec![Span::styled(format!("{k:<12}"), bold()), Span::raw(v)])
    };
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    let mut lines = vec![
        field("Seq", e.seq.to_string()),
        field("Id", e.id.to_string()),
        field("Time", time(e.time)),
        field("Actor", e.actor.clone()),
        field("Address", opt(&e.client_addr)),
        field("User agent", opt(&e.user_agent)),
        field("Action", e.action.clone()),
        field("Target", opt(&e.target)),
        Line::from(vec![
            Span::styled(format!("{:<12}", "Outcome"), bold()),
            Span::styled(e.outcome.as_str(), outcome_style(e.outcome)),
        ]),
        field("Reason", opt(&e.reason)),
        field("Hash", e.hash.clone()),
        field("Previous", e.prev_hash.clone()),
        Line::from(Span::styled("Details", bold())),
    ];
    let details = serde_json::to_string_pretty(&e.details).unwrap_or_default();
    lines.extend(details.lines().map(|l| Line::from(format!("  {l}"))));
    let outer = centered(
        area,
        area.width.saturating_sub(6),
        area.height.saturating_sub(2),
    );
    f.render_widget(Clear, outer);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(boxed(&format!("Event {} — any key closes", e.seq), true)),
        outer,
    );
}
