//! A line diff of two values as they are displayed (pretty JSON, text, hex).

use std::time::Duration;

use ratatui::style::{Color, Style};
use ratatui::text::Line;
use similar::{ChangeTag, TextDiff};

use super::dim;
use crate::value_doc::Document;

/// At most `max` lines: `  ` same, `- ` only in `old`, `+ ` only in `new`.
pub fn lines(old: &[u8], new: &[u8], max: usize) -> Vec<Line<'static>> {
    let old = Document::build(old).text_lines().join("\n");
    let new = Document::build(new).text_lines().join("\n");
    // Big, very different values: a coarser diff rather than a stall.
    let diff = TextDiff::configure()
        .timeout(Duration::from_millis(20))
        .diff_lines(&old, &new);
    diff.iter_all_changes()
        .take(max)
        .map(|change| {
            let text = change.value().trim_end_matches('\n').to_string();
            match change.tag() {
                ChangeTag::Equal => Line::styled(format!("  {text}"), dim()),
                ChangeTag::Delete => Line::styled(format!("- {text}"), Style::new().fg(Color::Red)),
                ChangeTag::Insert => {
                    Line::styled(format!("+ {text}"), Style::new().fg(Color::Green))
                }
            }
        })
        .collect()
}
