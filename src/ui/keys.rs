//! The Keys pane: only the rows that fit on screen are built.

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{dim, focused, pane_block, selected_style};
use crate::app::tree::{Listing, Row};
use crate::app::{Pane, State};
use crate::escape::escape_bytes;

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    if let Some(view) = &state.find {
        return super::find::draw(frame, area, state, view);
    }
    let tree = &state.tree;
    let prefix = &tree.node(0).full;
    let mut title = if prefix.is_empty() {
        " Keys ".to_string()
    } else {
        format!(" Keys {} ", escape_bytes(prefix))
    };
    if let Some(at) = tree.at {
        title.push_str(&format!("@ rev {at} "));
    }
    if !state.filter.text.is_empty() || state.filter.editing {
        let cursor = if state.filter.editing { "▏" } else { "" };
        title.push_str(&format!(
            "/{}{cursor} ",
            crate::escape::escape_str(&state.filter.text)
        ));
    }
    let block = pane_block(title, focused(state, Pane::Keys))
        .title_bottom(Line::from(format!(" {} loaded ", tree.loaded)).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let height = inner.height as usize;
    let offset = state.shown_offset();
    let end = (offset + height).min(tree.rows.len());
    let lines: Vec<Line> = tree.rows[offset.min(end)..end]
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let line = row_line(state, *row, inner.width as usize);
            if offset + i == state.selected {
                line.style(selected_style())
            } else {
                line
            }
        })
        .collect();
    if lines.is_empty() {
        let text = match &tree.dir(0).map(|d| &d.listing) {
            Some(Listing::Complete) if !state.filter.text.is_empty() => "no key matches the filter",
            Some(Listing::Complete) => "no keys under this prefix",
            _ => "loading…",
        };
        frame.render_widget(Paragraph::new(text).style(dim()), inner);
        return;
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Two columns per level, up to half the pane: deeper rows all start
/// there, with their depth shown (`·42· `), so the name stays visible.
fn indent(depth: usize, width: usize) -> String {
    let room = width / 2;
    if 2 * depth <= room {
        return "  ".repeat(depth);
    }
    let label = format!("·{depth}· ");
    let label_width = label.chars().count();
    format!("{}{label}", " ".repeat(room.saturating_sub(label_width)))
}

fn row_line(state: &State, row: Row, width: usize) -> Line<'static> {
    let tree = &state.tree;
    let indent = indent(tree.row_depth(row) as usize, width);
    if row.more {
        let d = tree.dir(row.node).expect("more rows belong to dirs");
        let n = d.children.len();
        let text = match (&d.listing, d.in_flight.is_some()) {
            (Listing::Failed(e), _) => {
                return Line::from(vec![
                    Span::raw(indent),
                    Span::styled(
                        match (crate::app::past::compacted_since(tree.at, e), tree.at) {
                            (Some(_), Some(at)) => {
                                format!("  ✗ rev {at} compacted since: :rev now")
                            }
                            _ => format!("  ✗ {} (r to retry)", crate::escape::escape_str(e)),
                        },
                        Style::new().fg(Color::Red),
                    ),
                ])
            }
            // A directory's row says how many were found; the root has no
            // row, so its last row says it.
            (_, true) if n == 0 || row.node != crate::app::tree::ROOT => "  loading…".to_string(),
            (_, true) => format!("  loading… {} found", thousands(n as u64)),
            _ => format!("  … {n} keys loaded, more below"),
        };
        return Line::from(vec![Span::raw(indent), Span::styled(text, dim())]);
    }
    let node = tree.node(row.node);
    let name = escape_bytes(node.name());
    match node.dir.as_deref() {
        Some(d) => {
            let marker = if d.expanded { "▾ " } else { "▸ " };
            let mut spans = vec![
                Span::raw(indent),
                Span::styled(marker, Style::new().fg(Color::Yellow)),
                Span::styled(name, Style::new().fg(Color::LightBlue)),
            ];
            if d.in_flight.is_some() {
                spans.push(Span::styled(
                    format!("  loading… {} found", thousands(d.children.len() as u64)),
                    dim(),
                ));
            } else if d.listing.denied() {
                spans.push(Span::styled("  denied", Style::new().fg(Color::Red)));
            } else if d.partly_denied {
                spans.push(Span::styled("  partly denied", Style::new().fg(Color::Red)));
            } else if let Some(n) = d.keys {
                spans.push(Span::styled(format!("  {}", thousands(n)), dim()));
            }
            if d.lock {
                spans.push(Span::styled(
                    "  ⚑ lock (L to follow)",
                    Style::new().fg(Color::Magenta),
                ));
            } else if d.election {
                spans.push(Span::styled(
                    "  ⚑ election (L to follow)",
                    Style::new().fg(Color::Magenta),
                ));
            }
            Line::from(spans)
        }
        // A key equal to its directory's prefix has an empty last segment.
        None if name.is_empty() => Line::from(vec![
            Span::raw(indent),
            Span::styled("  \"\" (empty segment)", dim()),
        ]),
        None => Line::from(vec![Span::raw(indent), Span::raw("  "), Span::raw(name)]),
    }
}

/// `152340` → `152,340`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_groups_digits() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(152_340), "152,340");
        assert_eq!(super::thousands(1_000_000), "1,000,000");
    }
}
