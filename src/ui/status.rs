//! The status bar: endpoint, cluster revision, read-only marker, messages.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::app::State;
use crate::escape::escape_str;
use crate::etcd::types::WatchStatus;

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let bar = Style::new().bg(Color::Black).fg(Color::Gray);
    let mut spans = vec![
        Span::styled(
            format!(" ⬡ {} ", state.endpoints),
            Style::new().fg(Color::Cyan),
        ),
        Span::raw(format!("│ rev {} ", state.revision)),
    ];
    if state.read_only {
        spans.push(Span::styled(
            " READ-ONLY ",
            Style::new().bg(Color::Yellow).fg(Color::Black),
        ));
    }
    if let Some(WatchStatus::Reconnecting { attempt, error }) = &state.watch.status {
        spans.push(Span::styled(
            format!(
                " watch reconnecting… (try {attempt}: {}) ",
                escape_str(error)
            ),
            Style::new().bg(Color::Red).fg(Color::White),
        ));
    }
    if state.filter.editing {
        spans.push(Span::raw("│ filter: type, Enter keep, Esc clear "));
    }
    if let Some(c) = &state.confirm {
        spans.push(Span::styled(
            format!(" {} ", c.question),
            Style::new()
                .bg(Color::Yellow)
                .fg(Color::Black)
                .add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::styled(
            format!("  = {}", c.etcdctl),
            Style::new().fg(Color::Gray),
        ));
    } else if let Some(m) = &state.message {
        let style = if m.error {
            Style::new()
                .fg(Color::LightRed)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().fg(Color::White)
        };
        spans.push(Span::raw("│ "));
        spans.push(Span::styled(escape_str(&m.text), style));
    }
    let left = Line::from(spans);
    let right = Line::from(" ? help  q quit ").right_aligned();
    frame.render_widget(Paragraph::new(left).style(bar), area);
    frame.render_widget(Paragraph::new(right).style(bar), area);
}
