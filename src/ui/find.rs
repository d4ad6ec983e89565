//! The find results: a virtual directory filling the Keys pane, its
//! progress line at the bottom, matches highlighted in the names.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::keys::thousands;
use super::{dim, focused, pane_block, selected_style};
use crate::app::find::{FindView, Progress, MAX_KEPT};
use crate::app::{Pane, State};
use crate::escape::{escape_bytes, escape_str};

/// Rows under the list (progress and totals).
pub const FOOTER_ROWS: usize = 2;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, view: &FindView) {
    let title = format!(" Keys {} ", title(view));
    let block = pane_block(title, focused(state, Pane::Keys));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 3 {
        return;
    }
    let list = Rect {
        height: inner.height - FOOTER_ROWS as u16,
        ..inner
    };
    let status = Rect {
        y: inner.y + inner.height - FOOTER_ROWS as u16,
        height: FOOTER_ROWS as u16,
        ..inner
    };
    let end = (view.offset + list.height as usize).min(view.rows());
    let lines: Vec<Line> = (view.offset.min(end)..end)
        .map(|i| {
            let line = row(view, i);
            if i == view.selected {
                line.style(selected_style())
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), list);
    let lines = vec![
        Line::from(progress_line(state, view)),
        Line::from(state_line(view)),
    ];
    frame.render_widget(Paragraph::new(lines).style(dim()), status);
}

/// `find: "payment" (37)`
pub fn title(view: &FindView) -> String {
    format!(
        "find: \"{}\" ({})",
        escape_str(&view.source.label()),
        thousands(view.matches)
    )
}

fn row(view: &FindView, i: usize) -> Line<'static> {
    if i == 0 {
        let mut spans = vec![
            Span::styled("▾ ", Style::new().fg(Color::Yellow)),
            Span::styled(title(view), Style::new().fg(Color::LightBlue)),
        ];
        if !view.dir.is_empty() {
            spans.push(Span::styled(
                format!("  in {}", escape_bytes(&view.dir)),
                dim(),
            ));
        }
        return Line::from(spans);
    }
    let key = &view.hits[i - 1].key;
    let name = view.name(key);
    let mut spans = vec![Span::raw("    ")];
    let mut at = 0;
    let mark = Style::new()
        .fg(Color::Black)
        .bg(Color::Yellow)
        .add_modifier(Modifier::BOLD);
    let spans_of = view.source.query().map(|q| q.spans(name));
    for (s, e) in spans_of.unwrap_or_default() {
        if s < at || e > name.len() {
            continue;
        }
        if s > at {
            spans.push(Span::raw(escape_bytes(&name[at..s])));
        }
        spans.push(Span::styled(escape_bytes(&name[s..e]), mark));
        at = e;
    }
    if at < name.len() || name.is_empty() {
        spans.push(Span::raw(escape_bytes(&name[at..])));
    }
    Line::from(spans)
}

/// `scanned 412,000 / 1,000,000 keys  37 matches  1.2 s`
pub fn progress_line(state: &State, view: &FindView) -> String {
    let secs = view.elapsed(state.now).as_secs_f64();
    let mut line = format!(
        "scanned {} / {} keys  {} matches  {secs:.1} s",
        thousands(view.scanned),
        thousands(view.total),
        thousands(view.matches),
    );
    if view.matches > MAX_KEPT as u64 {
        line.push_str(&format!("  (first {} kept)", thousands(MAX_KEPT as u64)));
    }
    line
}

/// `running (Esc stops)  @ rev 99`
fn state_line(view: &FindView) -> String {
    let mut line = match &view.progress {
        Progress::Running => "running (Esc stops)".to_string(),
        Progress::Done => "done (Esc closes)".to_string(),
        Progress::Cancelled => "stopped (Esc closes)".to_string(),
        Progress::Failed(e) => format!("failed: {}", escape_str(e)),
    };
    if view.revision > 0 {
        line.push_str(&format!("  @ rev {}", view.revision));
    }
    line
}
