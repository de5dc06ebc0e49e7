//! Drawing: one function per pane, plus the status bar, the key-hint bar
//! (from the same binding tables that handle keys), toasts and help.

use std::sync::atomic::{AtomicBool, Ordering};

use drawbridge_shared::api::access::{GrantState, RequestState};
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, BorderType, Borders, Cell, Clear, List, ListItem, ListState, Paragraph, Row, Table,
    TableState, Wrap,
};

use crate::app::{App, DURATION_PRESETS, LoginField, Pane, Section, fmt_duration, seconds_until};
use crate::keys;
use crate::results::cell_text;

static COLOR: AtomicBool = AtomicBool::new(true);

/// Honour NO_COLOR: styles keep bold/reverse/italic, drop colours.
pub fn set_color(on: bool) {
    COLOR.store(on, Ordering::Relaxed);
}

pub(crate) fn fg(c: Color) -> Style {
    if COLOR.load(Ordering::Relaxed) {
        Style::default().fg(c)
    } else {
        Style::default()
    }
}

pub(crate) fn bold() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn draw(f: &mut Frame, app: &mut App) {
    let [tabs, main, status, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(f.area());
    draw_tabs(f, app, tabs);
    match app.pane {
        Pane::Login => draw_login(f, app, main),
        Pane::Access => draw_access(f, app, main),
        Pane::Query => draw_query(f, app, main),
        Pane::Secrets => crate::admin::draw::draw_secrets(f, &mut app.secrets, main),
        Pane::Audit => crate::admin::draw::draw_audit(f, &mut app.audit, main),
    }
    draw_status(f, app, status);
    draw_hints(f, app, hints);
    if app.form.is_some() && app.pane == Pane::Access {
        draw_form(f, app, main);
    }
    if app.decision.is_some() && app.pane == Pane::Access {
        draw_decision(f, app, main);
    }
    if app.pane == Pane::Query {
        draw_schema(f, app, main);
    }
    if let Some(text) = &app.viewer {
        let outer = centered(
            main,
            main.width.saturating_sub(8),
            main.height.saturating_sub(2),
        );
        f.render_widget(Clear, outer);
        f.render_widget(
            Paragraph::new(text.as_str())
                .wrap(Wrap { trim: false })
                .block(boxed("Row — any key closes", true)),
            outer,
        );
    }
    if app.help {
        draw_help(f, app, main);
    }
    draw_toast(f, app, main);
}

fn draw_tabs(f: &mut Frame, app: &App, area: Rect) {
    let tab = |label: String, on: bool| {
        let style = if on {
            bold().add_modifier(Modifier::REVERSED)
        } else {
            Style::default()
        };
        Span::styled(format!(" {label} "), style)
    };
    let pending = app.access.pending.len();
    let badge = if pending > 0 {
        format!(" [{pending} waiting]")
    } else {
        String::new()
    };
    let mut spans = vec![
        Span::styled(" Drawbridge ", bold().patch(fg(Color::Cyan))),
        Span::raw("│"),
        tab(format!("F2 Access{badge}"), app.pane == Pane::Access),
        tab("F3 Query".into(), app.pane == Pane::Query),
    ];
    if app.is_admin() {
        spans.push(tab("F8 Secrets".into(), app.pane == Pane::Secrets));
        spans.push(tab("F9 Audit".into(), app.pane == Pane::Audit));
    }
    let line = Line::from(spans);
    f.render_widget(Paragraph::new(line), area);
}

fn draw_status(f: &mut Frame, app: &App, area: Rect) {
    let who = match &app.me {
        Some(me) => {
            let roles: Vec<_> = me.user.roles.iter().map(|r| r.as_str()).collect();
            format!("{} ({})", me.user.name, roles.join(", "))
        }
        None => "not logged in".to_owned(),
    };
    let grant = match app.current_grant() {
        Some(g) => format!(
            "grant: {} · {} left",
            g.database,
            fmt_duration(seconds_until(g.expires_at))
        ),
        None => "no active grant".to_owned(),
    };
    let text = format!(" {who} │ {} │ {grant}", app.client.base());
    f.render_widget(
        Paragraph::new(text).style(Style::default().add_modifier(Modifier::REVERSED)),
        area,
    );
}

fn draw_hints(f: &mut Frame, app: &App, area: Rect) {
    let mut spans = Vec::new();
    let (global, admin) = match app.pane {
        Pane::Login => (&[][..], &[][..]),
        _ if app.is_admin() => (keys::GLOBAL, keys::ADMIN),
        _ => (keys::GLOBAL, &[][..]),
    };
    let all = keys::hints(app.bindings())
        .chain(keys::hints(global))
        .chain(keys::hints(admin));
    for (label, desc) in all {
        spans.push(Span::styled(format!(" {label}"), bold()));
        spans.push(Span::raw(format!(" {desc} ")));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub(crate) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

pub(crate) fn boxed(title: &str, focused: bool) -> Block<'static> {
    let style = if focused {
        bold().patch(fg(Color::Cyan))
    } else {
        Style::default()
    };
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .title(Span::styled(format!(" {title} "), style))
}

fn draw_login(f: &mut Frame, app: &mut App, area: Rect) {
    let outer = centered(area, 60, 11);
    f.render_widget(
        boxed(&format!("Log in to {}", app.client.base()), true),
        outer,
    );
    let inner = outer.inner(ratatui::layout::Margin {
        horizontal: 2,
        vertical: 1,
    });
    let [user, password, message] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(3),
        Constraint::Min(1),
    ])
    .areas(inner);
    let focus = app.login.field;
    app.login
        .user
        .set_block(boxed("User", focus == LoginField::User));
    app.login
        .password
        .set_block(boxed("Password", focus == LoginField::Password));
    show_cursor(&mut app.login.user, focus == LoginField::User);
    show_cursor(&mut app.login.password, focus == LoginField::Password);
    f.render_widget(&app.login.user, user);
    f.render_widget(&app.login.password, password);
    if let Some(m) = &app.login.message {
        f.render_widget(
            Paragraph::new(m.as_str()).wrap(Wrap { trim: true }),
            message,
        );
    }
}

fn show_cursor(t: &mut tui_textarea::TextArea<'static>, on: bool) {
    t.set_cursor_style(if on {
        Style::default().add_modifier(Modifier::REVERSED)
    } else {
        Style::default()
    });
}

fn draw_access(f: &mut Frame, app: &App, area: Rect) {
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(32), Constraint::Percentage(68)]).areas(area);
    let items: Vec<ListItem> = app
        .access
        .databases
        .iter()
        .map(|d| {
            let policy = if d.can_approve {
                "you approve"
            } else {
                "approval"
            };
            ListItem::new(vec![
                Line::from(Span::styled(d.name.clone(), bold())),
                Line::from(Span::styled(
                    format!(
                        "  {} · max {}",
                        policy,
                        fmt_duration(d.max_duration_seconds as i64)
                    ),
                    fg(Color::DarkGray),
                )),
            ])
        })
        .collect();
    let mut state =
        ListState::default().with_selected((!items.is_empty()).then_some(app.selected[0]));
    let list = List::new(items)
        .block(boxed("Databases", app.section == Section::Databases))
        .highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    f.render_stateful_widget(list, left, &mut state);

    let has_pending = !app.access.pending.is_empty();
    let [mine, pending] = Layout::vertical(if has_pending {
        [Constraint::Percentage(55), Constraint::Percentage(45)]
    } else {
        [Constraint::Percentage(100), Constraint::Length(0)]
    })
    .areas(right);
    let rows: Vec<Row> = app
        .mine_rows()
        .into_iter()
        .map(|(r, g)| {
            let (state, left) = match (r.state, g) {
                (_, Some(g)) if g.state == GrantState::Active => (
                    "active".to_owned(),
                    fmt_duration(seconds_until(g.expires_at)),
                ),
                (_, Some(g)) => (g.state.as_str().to_owned(), "—".to_owned()),
                (RequestState::Pending, None) => ("pending".to_owned(), "—".to_owned()),
                (s, None) => (format!("{s:?}").to_lowercase(), "—".to_owned()),
            };
            Row::new(vec![
                Cell::from(r.database.clone()),
                Cell::from(state),
                Cell::from(left),
                Cell::from(r.reason.clone()),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(12),
            Constraint::Length(9),
            Constraint::Length(9),
            Constraint::Min(10),
        ],
    )
    .header(Row::new(["DATABASE", "STATE", "LEFT", "REASON"]).style(bold()))
    .block(boxed(
        "My requests and grants",
        app.section == Section::Mine,
    ))
    .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    let mut ts = TableState::default()
        .with_selected((app.section == Section::Mine).then_some(app.selected[1]));
    f.render_stateful_widget(table, mine, &mut ts);

    if has_pending {
        let rows: Vec<Row> = app
            .access
            .pending
            .iter()
            .map(|r| {
                let age = fmt_duration((chrono::Utc::now() - r.created_at).num_seconds().max(0));
                Row::new(vec![
                    Cell::from(r.requester.clone()),
                    Cell::from(r.database.clone()),
                    Cell::from(fmt_duration(r.duration_seconds as i64)),
                    Cell::from(age),
                    Cell::from(r.reason.clone()),
                ])
            })
            .collect();
        let table = Table::new(
            rows,
            [
                Constraint::Length(10),
                Constraint::Length(10),
                Constraint::Length(8),
                Constraint::Length(7),
                Constraint::Min(10),
            ],
        )
        .header(Row::new(["REQUESTER", "DATABASE", "FOR", "AGE", "REASON"]).style(bold()))
        .block(boxed(
            &format!("Waiting for your approval ({})", app.access.pending.len()),
            app.section == Section::Pending,
        ))
        .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED));
        let mut ts = TableState::default()
            .with_selected((app.section == Section::Pending).then_some(app.selected[2]));
        f.render_stateful_widget(table, pending, &mut ts);
    }
}

fn draw_form(f: &mut Frame, app: &mut App, area: Rect) {
    let Some(form) = app.form.as_mut() else {
        return;
    };
    let outer = centered(area, 64, 9);
    f.render_widget(Clear, outer);
    f.render_widget(
        boxed(&format!("Request access to {}", form.database), true),
        outer,
    );
    let inner = outer.inner(ratatui::layout::Margin {
        horizontal: 2,
        vertical: 1,
    });
    let [reason, duration] =
        Layout::vertical([Constraint::Length(3), Constraint::Length(2)]).areas(inner);
    form.reason.set_block(boxed("Reason", true));
    f.render_widget(&form.reason, reason);
    let mut spans = vec![Span::raw("Duration: ")];
    for (i, (_, label)) in DURATION_PRESETS.iter().enumerate() {
        let style = if i == form.preset {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default()
        };
        spans.push(Span::styled(format!(" {label} "), style));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), duration);
}

fn draw_decision(f: &mut Frame, app: &mut App, area: Rect) {
    let Some(d) = app.decision.as_mut() else {
        return;
    };
    let verb = if d.approve { "Approve" } else { "Deny" };
    let outer = centered(area, 72, if d.approve { 11 } else { 9 });
    f.render_widget(Clear, outer);
    let title = format!(
        "{verb} {}'s request for {}",
        d.request.requester, d.request.database
    );
    f.render_widget(boxed(&title, true), outer);
    let inner = outer.inner(ratatui::layout::Margin {
        horizontal: 2,
        vertical: 1,
    });
    let [reason, comment, duration] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(3),
        Constraint::Length(2),
    ])
    .areas(inner);
    f.render_widget(
        Paragraph::new(format!("Reason: {}", d.request.reason)).wrap(Wrap { trim: true }),
        reason,
    );
    d.comment.set_block(boxed("Comment", true));
    f.render_widget(&d.comment, comment);
    if d.approve {
        let mut spans = vec![Span::raw("Duration: ")];
        for (i, (_, label)) in d.options().iter().enumerate() {
            let style = if i == d.preset {
                Style::default().add_modifier(Modifier::REVERSED)
            } else {
                Style::default()
            };
            spans.push(Span::styled(format!(" {label} "), style));
        }
        f.render_widget(
            Paragraph::new(Line::from(spans)).wrap(Wrap { trim: true }),
            duration,
        );
    }
}

fn draw_schema(f: &mut Frame, app: &App, area: Rect) {
    let Some(picker) = &app.schema else { return };
    let outer = centered(area, 60, area.height.saturating_sub(4));
    f.render_widget(Clear, outer);
    let items: Vec<ListItem> = picker
        .items
        .iter()
        .map(|i| {
            if i.contains('.') {
                ListItem::new(format!("  {i}"))
            } else {
                ListItem::new(Span::styled(i.clone(), bold()))
            }
        })
        .collect();
    let mut state = ListState::default().with_selected(Some(picker.selected));
    let list = List::new(items)
        .block(boxed("Schema — Enter inserts the name", true))
        .highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    f.render_stateful_widget(list, outer, &mut state);
}

fn draw_query(f: &mut Frame, app: &mut App, area: Rect) {
    let [editor, verdict, results] = Layout::vertical([
        Constraint::Percentage(35),
        Constraint::Length(1),
        Constraint::Min(3),
    ])
    .areas(area);
    let title = match app.current_grant() {
        Some(g) => format!(
            "SQL on {} ({} left) — F4 next grant",
            g.database,
            fmt_duration(seconds_until(g.expires_at))
        ),
        None => "SQL — no active grant (request one in F2 Access)".to_owned(),
    };
    let focused = !app.query.results_focused;
    app.query.editor.set_block(boxed(&title, focused));
    show_cursor(&mut app.query.editor, focused);
    f.render_widget(&app.query.editor, editor);
    let v = &app.query.verdict;
    let line = if v.allowed {
        Line::from(Span::styled(
            " ✓ the gate allows this statement",
            fg(Color::Green),
        ))
    } else {
        let code = v
            .code
            .and_then(|c| serde_json::to_value(c).ok())
            .and_then(|c| c.as_str().map(str::to_owned))
            .unwrap_or_default();
        Line::from(Span::styled(
            format!(" ✗ {} [{code}]", v.reason.clone().unwrap_or_default()),
            fg(Color::Red),
        ))
    };
    f.render_widget(Paragraph::new(line), verdict);

    if let Some(r) = &app.query.running {
        let frame = SPINNER[(app.ticks as usize) % SPINNER.len()];
        let text = format!(
            "{frame} running… {:.1} s — Esc cancels",
            r.started.elapsed().as_secs_f64()
        );
        f.render_widget(Paragraph::new(text).block(boxed("Results", false)), results);
        return;
    }
    if let Some(e) = &app.query.error {
        f.render_widget(
            Paragraph::new(e.as_str())
                .style(fg(Color::Red))
                .wrap(Wrap { trim: true })
                .block(boxed("Error", false)),
            results,
        );
        return;
    }
    let results_focused = app.query.results_focused;
    match app.query.results.as_mut() {
        Some(view) => draw_results(f, view, results, results_focused),
        None => f.render_widget(
            Paragraph::new("Write a SELECT and press F5.").block(boxed("Results", false)),
            results,
        ),
    }
}

/// Draws only the rows and columns that fit: cost does not grow with the result.
pub fn draw_results(
    f: &mut Frame,
    view: &mut crate::results::ResultsView,
    area: Rect,
    focused: bool,
) {
    let r = &view.result;
    let title = format!(
        "Results — {} row{}{} in {} ms",
        r.row_count,
        if r.row_count == 1 { "" } else { "s" },
        if r.truncated { " (truncated)" } else { "" },
        r.elapsed_ms
    );
    let block = boxed(&title, focused);
    let inner = block.inner(area);
    let height = inner.height.saturating_sub(1) as usize;
    view.page = height.max(1);
    let offset = view.offset(height);
    // Columns from the first visible one while they fit the width.
    let mut cols = Vec::new();
    let mut used = 0usize;
    for (i, w) in view.widths.iter().enumerate().skip(view.col) {
        if used + w + 1 > inner.width as usize && !cols.is_empty() {
            break;
        }
        used += w + 1;
        cols.push(i);
    }
    let header =
        Row::new(cols.iter().map(|&i| Cell::from(r.columns[i].name.clone()))).style(bold());
    let rows = r
        .rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(n, row)| {
            let cells = cols.iter().map(|&i| {
                let (text, null) = row.get(i).map(cell_text).unwrap_or_default();
                let style = if null {
                    fg(Color::DarkGray).add_modifier(Modifier::ITALIC)
                } else {
                    Style::default()
                };
                Cell::from(Span::styled(text, style))
            });
            let style = if n == view.row {
                Style::default().add_modifier(Modifier::REVERSED)
            } else {
                Style::default()
            };
            Row::new(cells).style(style)
        });
    let widths: Vec<Constraint> = cols
        .iter()
        .map(|&i| Constraint::Length(view.widths[i] as u16))
        .collect();
    f.render_widget(Table::new(rows, widths).header(header).block(block), area);
}

fn draw_help(f: &mut Frame, app: &App, area: Rect) {
    let mut lines = vec![Line::from(Span::styled("Keys here", bold()))];
    for (label, desc) in keys::hints(app.bindings()) {
        lines.push(Line::from(format!("  {label:<12} {desc}")));
    }
    lines.push(Line::from(Span::styled("Everywhere", bold())));
    let admin = if app.is_admin() { keys::ADMIN } else { &[] };
    for (label, desc) in keys::hints(keys::GLOBAL).chain(keys::hints(admin)) {
        lines.push(Line::from(format!("  {label:<12} {desc}")));
    }
    lines.push(Line::from(""));
    lines.push(Line::from("Any key closes this help."));
    let outer = centered(area, 50, lines.len() as u16 + 2);
    f.render_widget(Clear, outer);
    f.render_widget(Paragraph::new(lines).block(boxed("Help", true)), outer);
}

fn draw_toast(f: &mut Frame, app: &App, area: Rect) {
    let Some(t) = &app.toast else { return };
    let width = (t.text.chars().count() as u16 + 4).min(area.width);
    let rect = Rect {
        x: area.x + area.width - width,
        y: area.y,
        width,
        height: 3.min(area.height),
    };
    let style = if t.error {
        fg(Color::Red)
    } else {
        fg(Color::Green)
    };
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(t.text.as_str())
            .alignment(Alignment::Left)
            .style(style)
            .block(Block::default().borders(Borders::ALL)),
        rect,
    );
}
