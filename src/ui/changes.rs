//! The changes view over the right-hand panes: a progress line while it
//! reads, then one row per key (created / changed / deleted, how many
//! times, its last revision).

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::keys::thousands;
use super::{dim, pane_block, selected_style};
use crate::app::changes::ChangesView;
use crate::app::keymap::Keymap;
use crate::app::Action;
use crate::escape::{escape_bytes, escape_str};
use crate::etcd::changes::{ChangeKind, KeyChange};

pub fn draw(frame: &mut Frame, area: Rect, view: &ChangesView, keys: &Keymap) {
    frame.render_widget(Clear, area);
    let range = match view.range {
        Some((a, b)) => format!(" rev {a} → {b}"),
        None => String::new(),
    };
    let title = format!(
        " Changes {}{range} ({}) ",
        escape_bytes(&view.prefix),
        thousands(view.rows().len() as u64)
    );
    let hint = format!(
        " {} history · {} undelete · {} undelete all · {} close ",
        keys.label(Action::Open),
        keys.label(Action::Undelete),
        keys.label(Action::UndeleteAll),
        keys.label(Action::Back)
    );
    let block = pane_block(title, true).title_bottom(Line::from(hint).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines = vec![head_line(view)];
    let height = (inner.height as usize).saturating_sub(1);
    lines.extend(
        view.rows()
            .iter()
            .enumerate()
            .skip(view.offset)
            .take(height)
            .map(|(i, k)| row_line(k, view, i == view.selected)),
    );
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Progress while reading; the summary once read; or the error.
fn head_line(view: &ChangesView) -> Line<'static> {
    if let Some(e) = &view.error {
        return Line::styled(
            format!("cannot read the changes: {}", escape_str(e)),
            Style::new().fg(Color::Red),
        );
    }
    let Some(c) = &view.result else {
        let text = match (view.range, view.progress) {
            (Some((a, b)), Some((reached, events, keys))) => {
                let pct = ((reached - a) * 100) / (b - a).max(1);
                format!(
                    "reading revisions {}…{b} (one watch): at rev {reached} ({pct}%) · {} events · {} keys",
                    a + 1,
                    thousands(events),
                    thousands(keys as u64)
                )
            }
            (Some((a, b)), None) => format!("reading revisions {}…{b} (one watch)…", a + 1),
            _ => "reading (one watch)…".to_string(),
        };
        return Line::styled(text, Style::new().fg(Color::Yellow));
    };
    let [created, changed, deleted, transient] = view.summary;
    let mut text = format!(
        "{} created · {} changed · {} deleted · {} created and deleted · {} events",
        thousands(created as u64),
        thousands(changed as u64),
        thousands(deleted as u64),
        thousands(transient as u64),
        thousands(c.events)
    );
    if !c.exact {
        text.push_str(" (the end was judged by a quiet stream)");
    }
    Line::styled(text, dim())
}

fn row_line(k: &KeyChange, view: &ChangesView, selected: bool) -> Line<'static> {
    let (kind, color) = match k.kind() {
        ChangeKind::Created => ("created", Color::Green),
        ChangeKind::Changed => ("changed", Color::Yellow),
        ChangeKind::Deleted => ("deleted", Color::Red),
        ChangeKind::Transient => ("created+deleted", Color::Magenta),
    };
    let kind = if view.restored.contains(&k.key) {
        format!("{kind} → restored")
    } else {
        kind.to_string()
    };
    let line = Line::from(vec![
        Span::styled(format!("{kind:<26}"), Style::new().fg(color)),
        Span::raw(format!("{:>7}× ", thousands(k.times() as u64))),
        Span::styled(format!(" rev {:<10}", k.last_revision), dim()),
        Span::raw(escape_bytes(&k.key)),
    ]);
    if selected {
        line.style(selected_style())
    } else {
        line
    }
}
