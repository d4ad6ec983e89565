//! Drawing a line diff (computed in `value_doc::line_diff`).

use ratatui::style::{Color, Style};
use ratatui::text::Line;

use super::dim;
use crate::value_doc::DiffTag;

/// At most `max` lines: `  ` same, `- ` only in the old value, `+ ` only in
/// the new one.
pub fn lines(diff: &[(DiffTag, String)], max: usize) -> Vec<Line<'static>> {
    diff.iter()
        .take(max)
        .map(|(tag, text)| match tag {
            DiffTag::Same => Line::styled(format!("  {text}"), dim()),
            DiffTag::Old => Line::styled(format!("- {text}"), Style::new().fg(Color::Red)),
            DiffTag::New => Line::styled(format!("+ {text}"), Style::new().fg(Color::Green)),
        })
        .collect()
}
