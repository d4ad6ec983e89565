//! The leases list over the right-hand panes: id, granted TTL, TTL left
//! (counting down), keys held.

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::keys::thousands;
use super::{dim, pane_block, selected_style};
use crate::app::keymap::Keymap;
use crate::app::leases::{hex, LeasesView};
use crate::app::{Action, State};
use crate::escape::escape_str;

/// Rows above the list (its column titles).
pub const HEADER_ROWS: usize = 1;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, view: &LeasesView, keys: &Keymap) {
    frame.render_widget(Clear, area);
    let title = format!(" Leases ({}) ", thousands(view.rows.len() as u64));
    let hint = format!(
        " {} its keys · {} revoke · {} keep alive · {} refresh · {} close ",
        keys.label(Action::Open)
            .split(' ')
            .next_back()
            .unwrap_or("Enter"),
        keys.label(Action::Revoke),
        keys.label(Action::KeepAlive),
        keys.label(Action::Reload),
        keys.label(Action::Back),
    );
    let block = pane_block(title, true).title_bottom(Line::from(hint).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines = vec![Line::styled(
        format!(
            "{:<18} {:>9} {:>11} {:>10}",
            "lease", "granted", "remaining", "keys"
        ),
        dim(),
    )];
    if let Some(e) = &view.error {
        lines.push(Line::styled(
            format!("cannot list the leases: {}", escape_str(e)),
            Style::new().fg(Color::Red),
        ));
    } else if view.rows.is_empty() {
        let text = if view.loading {
            "asking for the leases…"
        } else {
            "no leases"
        };
        lines.push(Line::styled(text, dim()));
    }
    let room = (inner.height as usize).saturating_sub(HEADER_ROWS);
    for (i, row) in view.rows.iter().enumerate().skip(view.offset).take(room) {
        // A file holds the TTL as granted; nothing counts down.
        let left = match state.offline {
            Some(_) => row.info.ttl,
            None => row.remaining(state.now),
        };
        let remaining = if state.offline.is_some() {
            "not counted".to_string()
        } else if left == 0 {
            "expired".to_string()
        } else {
            format!("{left} s")
        };
        let line = Line::from(format!(
            "{:<18} {:>7} s {:>11} {:>10}",
            hex(row.info.id),
            row.info.granted,
            remaining,
            thousands(row.info.keys)
        ));
        lines.push(if i == view.selected {
            line.style(selected_style())
        } else if left == 0 {
            line.style(dim())
        } else {
            line
        });
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
