//! The `:` command line, drawn over the status bar; Tab's candidates on
//! the row above it.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::dim;
use crate::app::command::CommandLine;
use crate::escape::escape_str;

pub fn draw(frame: &mut Frame, status: Rect, line: &CommandLine) {
    let text = Line::from(vec![
        Span::styled(
            ":",
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
        ),
        Span::raw(escape_str(&line.text)),
        Span::styled("▏", Style::new().fg(Color::Cyan)),
        Span::styled(
            "   Tab completes · ↑/↓ history · Enter runs · Esc cancels",
            dim(),
        ),
    ]);
    frame.render_widget(Clear, status);
    frame.render_widget(Paragraph::new(text), status);
    let Some(c) = line.completion.as_ref().filter(|c| c.candidates.len() > 1) else {
        return;
    };
    if status.y == 0 {
        return;
    }
    let above = Rect::new(status.x, status.y - 1, status.width, 1);
    let spans: Vec<Span> = c
        .candidates
        .iter()
        .enumerate()
        .map(|(i, cand)| {
            let style = if Some(i) == c.index {
                super::selected_style()
            } else {
                Style::new().fg(Color::White)
            };
            Span::styled(format!(" {} ", escape_str(cand)), style)
        })
        .collect();
    frame.render_widget(Clear, above);
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(Style::new().bg(Color::Black)),
        above,
    );
}
