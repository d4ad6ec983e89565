//! The cluster view (`C`): members, leader, health and latency, version,
//! DB size, raft term/index, alarms, the compaction point.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Cell, Clear, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use super::dim;
use super::value::human_size;
use crate::app::State;
use crate::escape::escape_str;

/// Where the cluster view goes on `screen` (above the status bar).
pub fn area(screen: Rect) -> Rect {
    Rect {
        x: screen.x + 2,
        y: screen.y + 2,
        width: screen.width.saturating_sub(4),
        height: screen.height.saturating_sub(5).min(20),
    }
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let view = &state.cluster;
    let age = view
        .asked_at
        .map(|at| state.now.saturating_duration_since(at).as_secs())
        .unwrap_or(0);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(Style::new().fg(Color::Cyan))
        .title(format!(
            " Cluster — refreshed every {} s ({age}s ago) · {} or {} closes ",
            crate::app::cluster::OPEN_EVERY.as_secs(),
            state.keymap.label(crate::app::Action::Cluster),
            state.keymap.label(crate::app::Action::Back),
        ));
    frame.render_widget(Clear, area);
    let Some(info) = &view.info else {
        let text = match &view.error {
            Some(e) => format!("cannot read the cluster: {}", escape_str(e)),
            None => "asking the members…".into(),
        };
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    };
    let header = Row::new([
        "member",
        "id",
        "client URL",
        "role",
        "health",
        "version",
        "db size / in use",
        "raft term/index",
    ])
    .style(Style::new().add_modifier(Modifier::BOLD));
    let rows = info.members.iter().map(|m| {
        let role = info.role(m);
        let (health, version, db, raft, style) = match &m.status {
            Ok(s) => (
                format!("ok {} ms", s.latency_ms),
                s.version.clone(),
                format!(
                    "{} / {}",
                    human_size(s.db_size.max(0) as usize),
                    human_size(s.db_size_in_use.max(0) as usize)
                ),
                format!("{} / {}", s.raft_term, s.raft_index),
                Style::new(),
            ),
            Err(_) if m.hidden.is_some() => (
                "up · status hidden".to_string(),
                String::new(),
                String::new(),
                String::new(),
                Style::new().fg(Color::Yellow),
            ),
            Err(e) => (
                format!("✗ {}", escape_str(e)),
                String::new(),
                String::new(),
                String::new(),
                Style::new().fg(Color::Red),
            ),
        };
        Row::new(vec![
            Cell::from(escape_str(&m.name)),
            Cell::from(format!("{:x}", m.id)),
            Cell::from(escape_str(&m.client_urls.join(","))),
            Cell::from(role).style(if role == "LEADER" {
                Style::new().fg(Color::Green)
            } else {
                Style::new()
            }),
            Cell::from(health),
            Cell::from(version),
            Cell::from(db),
            Cell::from(raft),
        ])
        .style(style)
    });
    let widths = [
        Constraint::Length(10),
        Constraint::Length(17),
        Constraint::Min(22),
        Constraint::Length(9),
        Constraint::Min(12),
        Constraint::Length(8),
        Constraint::Length(24),
        Constraint::Length(16),
    ];
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let table_height = (info.members.len() as u16 + 1).min(inner.height);
    let table_area = Rect {
        height: table_height,
        ..inner
    };
    frame.render_widget(Table::new(rows, widths).header(header), table_area);
    let mut lines = vec![Line::raw("")];
    lines.push(match &info.oldest_revision {
        Ok(1) => Line::raw("history: every revision is held (nothing compacted)"),
        Ok(r) => Line::raw(format!(
            "history: compacted at rev {r} (older revisions are gone; :rev and H reach back to {r})"
        )),
        Err(e) => Line::styled(
            format!("history: compaction point unknown ({})", escape_str(e)),
            dim(),
        ),
    });
    if let Some(why) = info.members.iter().find_map(|m| m.hidden.as_ref()) {
        lines.push(Line::styled(
            format!("members' status not shown: {}", escape_str(why)),
            Style::new().fg(Color::Yellow),
        ));
    }
    if let Some(why) = &info.alarms_unknown {
        lines.push(Line::styled(
            format!("alarms: unknown ({})", escape_str(why)),
            Style::new().fg(Color::Yellow),
        ));
    } else if info.alarms.is_empty() {
        lines.push(Line::styled("alarms: none", dim()));
    }
    for (member, alarm) in &info.alarms {
        lines.push(Line::styled(
            format!("ALARM {alarm} on member {member:x}"),
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
        ));
    }
    if let Some(user) = info.user.as_deref().filter(|u| *u != "root") {
        let (any, root) = crate::etcd::cluster::access_without_root(info.version());
        let on = info
            .version()
            .map_or("this version (its status is refused)".to_string(), |v| {
                format!("etcd {v}")
            });
        lines.push(Line::styled(
            format!(
                "logged in as {} on {on}: any user may use {}",
                escape_str(user),
                any.join(", ")
            ),
            dim(),
        ));
        lines.push(Line::styled(
            format!("  the root role is needed for {}", root.join(", ")),
            dim(),
        ));
    }
    if let Some(e) = &view.error {
        lines.push(Line::styled(
            format!("last refresh failed: {}", escape_str(e)),
            Style::new().fg(Color::Red),
        ));
    }
    let rest = Rect {
        y: inner.y + table_height,
        height: inner.height.saturating_sub(table_height),
        ..inner
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), rest);
}
