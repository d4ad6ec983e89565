//! The Value pane while an Events row is selected: the event, its value,
//! and for an update the line diff from the previous value.

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::{dim, pane_block};
use crate::app::watch::log::{Detail, EventRow};
use crate::escape::escape_bytes;
use crate::etcd::types::EventKind;

/// `detail`: the event's diff or text, prepared when it was selected.
pub fn draw(frame: &mut Frame, area: Rect, ev: &EventRow, detail: Option<&Detail>) {
    let block = pane_block(format!(" Event {} ", escape_bytes(&ev.key)), false);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines = vec![header(ev)];
    let height = inner.height as usize;
    if ev.wants_prev() {
        lines.push(Line::styled(
            format!(
                "previous value: reading it at rev {} from etcd…",
                ev.revision - 1
            ),
            dim(),
        ));
    }
    match (&ev.kind, &ev.prev_value) {
        (EventKind::Delete, prev) => {
            lines.push(Line::styled("deleted value:", dim()));
            match prev {
                Some(_) => lines.extend(text(detail, height, Style::new().fg(Color::Red))),
                None if ev.prev_unknown => {}
                None => lines.push(Line::styled("(the key had no value)", dim())),
            }
        }
        (EventKind::Put, Some(_)) if ev.value_changed() => {
            lines.push(Line::styled("previous → new:", dim()));
            let diff = match detail {
                Some(Detail::Diff(d)) => d.as_slice(),
                _ => &[],
            };
            lines.extend(super::diff::lines(diff, height));
        }
        (EventKind::Put, _) => {
            lines.push(Line::styled("value:", dim()));
            if ev.truncated && crate::k8s::is_kubernetes(&ev.value) {
                // The log keeps the first 64 KiB: not decodable, not corrupt.
                let what = crate::k8s::summary_cut(&ev.value).unwrap_or_default();
                lines.push(Line::raw(crate::escape::escape_str(&what)));
                lines.push(Line::styled("the key's own value shows it whole", dim()));
            } else {
                lines.extend(text(detail, height, Style::new()));
            }
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn header(ev: &EventRow) -> Line<'static> {
    let what = ev.change().label();
    let mut spans = vec![
        Span::styled(what, Style::new().fg(Color::Yellow)),
        Span::styled(format!("  rev {}", ev.revision), dim()),
    ];
    if ev.truncated {
        spans.push(Span::styled("  (values cut to 64 KiB in the log)", dim()));
    }
    Line::from(spans)
}

fn text(detail: Option<&Detail>, max: usize, style: Style) -> Vec<Line<'static>> {
    let Some(Detail::Text(lines)) = detail else {
        return Vec::new();
    };
    lines
        .iter()
        .take(max)
        .map(|l| Line::styled(l.clone(), style))
        .collect()
}
