//! A key's history over the right-hand panes: the revisions, newest first,
//! then the selected revision's value or the diff of two.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::{dim, pane_block, selected_style};
use crate::app::history::{Detail, HistoryView, Row};
use crate::app::keymap::Keymap;
use crate::app::Action;
use crate::escape::{escape_bytes, escape_str};
use crate::etcd::types::EventKind;

pub fn draw(frame: &mut Frame, area: Rect, view: &HistoryView, keys: &Keymap) {
    let [list_area, detail_area] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
    frame.render_widget(Clear, area);
    let title = format!(" History {} ({}) ", escape_bytes(&view.key), view.len());
    let hint = format!(
        " {} mark · {} restore · {} close ",
        keys.label(Action::Mark),
        keys.label(Action::Restore),
        keys.label(Action::Back)
    );
    let block = pane_block(title, true).title_bottom(Line::from(hint).right_aligned());
    let inner = block.inner(list_area);
    frame.render_widget(block, list_area);
    let lines: Vec<Line> = match (&view.history, &view.error) {
        (_, Some(e)) => vec![Line::styled(
            format!("cannot read the history: {}", escape_str(e)),
            Style::new().fg(Color::Red),
        )],
        (None, None) => vec![Line::styled("reading the history (one watch)…", dim())],
        (Some(h), None) => {
            let mut lines: Vec<Line> = view
                .rows()
                .into_iter()
                .enumerate()
                .skip(view.offset)
                .take(inner.height as usize)
                .map(|(i, row)| row_line(i, row, view, inner.width as usize))
                .collect();
            if !h.exact
                && view.offset + lines.len() >= view.len()
                && lines.len() < inner.height as usize
            {
                lines.push(Line::styled(
                    "(the key is deleted now: the end of its history was judged by a quiet stream)",
                    dim(),
                ));
            }
            if h.dropped > 0 {
                lines.push(Line::styled(
                    format!("({} older revisions not kept: memory bound)", h.dropped),
                    dim(),
                ));
            }
            lines
        }
    };
    frame.render_widget(Paragraph::new(lines), inner);

    let (title, body): (String, Vec<Line>) = match &view.detail {
        Detail::Nothing => (" Revision ".into(), Vec::new()),
        Detail::Value(doc) => {
            let rev = view.event(view.selected).map_or(0, |e| e.revision());
            let b = pane_block("", false);
            let w = b.inner(detail_area).width as usize;
            let h = b.inner(detail_area).height as usize;
            (
                format!(" Value at rev {rev} "),
                super::value::document_lines(doc, 0, h, w),
            )
        }
        Detail::Diff(old, new, diff) => (
            format!(" Diff rev {old} → {new} "),
            super::diff::lines(diff, detail_area.height as usize),
        ),
    };
    let block = pane_block(title, false);
    let inner = block.inner(detail_area);
    frame.render_widget(block, detail_area);
    frame.render_widget(Paragraph::new(body), inner);
}

fn row_line(i: usize, row: Row, view: &HistoryView, width: usize) -> Line<'static> {
    let ev = match row {
        Row::Compacted(c) => {
            return Line::styled(
                format!("— older history compacted at rev {c} —"),
                Style::new().fg(Color::Yellow),
            )
        }
        Row::Event(ev) => ev,
    };
    let (kind, color) = match ev.kind {
        EventKind::Put => ("PUT   ", Color::Green),
        EventKind::Delete => ("DELETE", Color::Red),
    };
    let mark = if view.marked == Some(i) { "●" } else { " " };
    let lease = if ev.lease == 0 {
        String::new()
    } else {
        format!("  lease {:x}", ev.lease)
    };
    let mut spans = vec![
        Span::styled(format!("{mark}{:>9} ", ev.revision()), dim()),
        Span::styled(kind, Style::new().fg(color)),
        Span::raw(format!("  v{:<4}", ev.version)),
        Span::styled(
            format!("  {:>9}{lease}  ", super::value::human_size(ev.value.len())),
            dim(),
        ),
    ];
    if ev.kind == EventKind::Put {
        let used: usize = spans.iter().map(Span::width).sum();
        spans.push(Span::raw(super::events::preview(
            &ev.value,
            false,
            width.saturating_sub(used),
        )));
    }
    let line = Line::from(spans);
    if i == view.selected {
        line.style(selected_style())
    } else {
        line
    }
}
