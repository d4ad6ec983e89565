//! The help overlay (`?`).

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};
use ratatui::Frame;

use super::{centered, dim};

/// (keys, action, available in this version)
const KEYS: &[(&str, &str, bool)] = &[
    ("j k ↓ ↑", "move / scroll", true),
    ("l → Enter", "open directory / show key", true),
    ("h ←", "close directory / go to parent", true),
    ("g G PgUp PgDn", "top, bottom, page", true),
    ("Tab Shift-Tab", "next / previous pane", true),
    ("/", "filter keys (Enter keep, Esc clear)", true),
    ("r", "reload the selected subtree / value", true),
    ("w", "watch the selected prefix", true),
    ("p", "pause / follow the Events pane", true),
    ("L", "follow the selected directory as an election", true),
    ("S", "make the selected election's leader step down", true),
    ("e E", "edit value in place / in $EDITOR", true),
    ("n", "new key under the selected directory", true),
    ("d D", "delete key / prefix (asks first)", true),
    ("u", "restore the value etcdlens last overwrote", true),
    ("y", "copy value to the clipboard (OSC 52)", true),
    (
        "C",
        "cluster view: members, leader, health, DB size, alarms",
        true,
    ),
    ("?", "this help", true),
    ("q Ctrl-c", "quit", true),
];

pub fn draw(frame: &mut Frame, screen: Rect) {
    let area = centered(screen, 64, KEYS.len() as u16 + 4);
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, action, ready)| {
            let mut spans = vec![
                Span::styled(format!(" {k:<15}"), Style::new().fg(Color::Cyan)),
                Span::raw(*action),
            ];
            if !*ready {
                spans.push(Span::styled("  (not yet)", dim()));
            }
            Line::from(spans)
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(" any key closes this help", dim()));
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .title(" etcdlens help ")
        .border_style(Style::new().fg(Color::Cyan));
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
