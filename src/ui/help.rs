//! The help overlay (`?`), generated from the key table: what is bound is
//! exactly what is listed.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};
use ratatui::Frame;

use super::{centered, dim};
use crate::app::keymap::Keymap;
use crate::app::{Action, Mode};

/// Width of the keys column.
const KEYS_WIDTH: usize = 16;
/// Width of the help box.
const WIDTH: u16 = 100;

/// The help's lines: per mode, each action with its keys.
pub fn lines(keys: &Keymap) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for mode in Mode::ALL {
        lines.push(Line::styled(
            format!(" {}", mode.title()),
            Style::new().add_modifier(Modifier::BOLD),
        ));
        for action in Action::all().filter(|a| a.mode() == mode) {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {:<KEYS_WIDTH$}", keys.label(action)),
                    Style::new().fg(Color::Cyan),
                ),
                Span::raw(action.about()),
                Span::styled(format!("  :{}", action.name()), dim()),
            ]));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        " Ctrl-c quits (asks first when the editor holds unsaved text). Text fields: Enter accepts, Esc cancels.",
        dim(),
    ));
    lines.push(Line::styled(
        " Rebind keys in config.toml [keys] by action name (e.g. edit = \"i\").",
        dim(),
    ));
    lines.push(Line::styled(
        format!(
            " Events markers: {} (selecting the row reads it); DELETE rows have none.",
            crate::app::watch::log::Change::legend()
        ),
        dim(),
    ));
    lines.push(Line::styled(" any other key closes this help", dim()));
    lines
}

/// Columns of text inside the help box on `screen`.
pub fn text_width(screen: Rect) -> usize {
    WIDTH.min(screen.width).saturating_sub(2) as usize
}

/// The help's lines wrapped at `width` columns: a description longer than
/// the box goes on under itself (after the keys column), never cut.
pub fn wrapped(keys: &Keymap, width: usize) -> Vec<Line<'static>> {
    lines(keys)
        .iter()
        .flat_map(|l| {
            let indent = if l.spans.len() == 3 {
                KEYS_WIDTH + 2
            } else {
                1
            };
            crate::ui::wrap::wrap(&l.spans, width, indent)
        })
        .collect()
}

/// A scrollable list over the screen (`state.help_scroll` lines down).
pub fn draw(frame: &mut Frame, screen: Rect, keys: &Keymap, scroll: usize) {
    let lines = wrapped(keys, text_width(screen));
    let area = centered(
        screen,
        WIDTH,
        lines.len().min(u16::MAX as usize - 2) as u16 + 2,
    );
    let room = area.height.saturating_sub(2) as usize;
    let scroll = scroll.min(lines.len().saturating_sub(room));
    let title = if lines.len() > room {
        format!(
            " etcdlens help — lines {}-{} of {} ({} {} scroll) ",
            scroll + 1,
            (scroll + room).min(lines.len()),
            lines.len(),
            keys.label(Action::Down),
            keys.label(Action::Up)
        )
    } else {
        " etcdlens help ".to_string()
    };
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .title(title)
        .border_style(Style::new().fg(Color::Cyan));
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((scroll.min(u16::MAX as usize) as u16, 0)),
        area,
    );
}
