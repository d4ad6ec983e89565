//! The hot prefixes (`:top`) over every pane: one row per directory at
//! the chosen depth, writes/s, deletes/s and bytes/s over 10 s, 1 min and
//! 5 min, and the totals counted; the sorted column marked; a watch that
//! is not keeping up said in the title.

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::keys::thousands;
use super::usage::bytes;
use super::{dim, pane_block, selected_style};
use crate::app::top::{Column, Metric, Row, Source, TopView, COLUMNS};
use crate::app::{Action, State};
use crate::escape::escape_bytes;

/// Rows above the list: what is counted, then the column headings.
pub const HEADER_ROWS: usize = 2;

/// Width of a figure's column.
const CELL: usize = 11;
/// The directory column's narrowest.
const MIN_DIR: usize = 16;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, view: &TopView) {
    frame.render_widget(Clear, area);
    let c = &view.counter;
    let mut title = vec![Span::raw(format!(
        " Top {} depth {} ({} events) ",
        escape_bytes(&c.prefix),
        c.depth,
        thousands(c.events)
    ))];
    if let Some(w) = view.warning() {
        title.push(Span::styled(format!(" {w} "), Style::new().fg(Color::Red)));
    }
    let keys = &state.keymap;
    let hint = format!(
        " {} sort · {} deeper · {} shallower · Enter opens in the tree · {} close ",
        keys.label(Action::SortNext),
        keys.label(Action::Deeper),
        keys.label(Action::Shallower),
        keys.label(Action::Back),
    );
    let block = pane_block(Line::from(title), true).title_bottom(Line::from(hint).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let columns = shown_columns(view.sort, width);
    let dir_w = width
        .saturating_sub(CELL * (columns.len() - 1))
        .max(MIN_DIR);
    let source = match view.source {
        Source::EventsPane => "the Events pane's watch",
        Source::Own(_) => "a watch of its own",
    };
    let secs = state.now.saturating_duration_since(view.started).as_secs();
    let mut lines = vec![
        Line::styled(
            format!("counted from {source} for {secs} s; rates per second"),
            dim(),
        ),
        Line::styled(heading(&columns, view.sort, dir_w), dim()),
    ];
    let room = (inner.height as usize).saturating_sub(HEADER_ROWS);
    for (i, row) in view.rows.iter().enumerate().skip(view.offset).take(room) {
        let text = row_text(&columns, row, &c.prefix, dir_w);
        lines.push(if i == view.selected {
            Line::styled(text, selected_style())
        } else {
            Line::from(text)
        });
    }
    if view.rows.is_empty() {
        lines.push(Line::styled(
            "no write under this prefix since the view opened",
            dim(),
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The columns that fit `width`: all of them, or (narrow) the directory,
/// the three rates over the sorted column's window and the totals.
fn shown_columns(sort: Column, width: usize) -> Vec<Column> {
    if width >= MIN_DIR + CELL * (COLUMNS.len() - 1) {
        return COLUMNS.to_vec();
    }
    let w = match sort {
        Column::Rate(_, w) => w,
        _ => 0,
    };
    vec![
        Column::Dir,
        Column::Rate(Metric::Writes, w),
        Column::Rate(Metric::Deletes, w),
        Column::Rate(Metric::Bytes, w),
        Column::TotalWrites,
        Column::TotalDeletes,
    ]
}

fn heading(columns: &[Column], sort: Column, dir_w: usize) -> String {
    columns
        .iter()
        .map(|&c| {
            let mark = if c == sort { "▼" } else { "" };
            let h = format!("{}{mark}", short_heading(c));
            match c {
                Column::Dir => format!("{h:<dir_w$}"),
                _ => cell(&h),
            }
        })
        .collect()
}

/// `w/s 10s`, `del/s 1m`, `B/s 5m`, `writes`, `deletes`.
fn short_heading(c: Column) -> String {
    match c {
        Column::Rate(m, w) => {
            let what = match m {
                Metric::Writes => "w/s",
                Metric::Deletes => "del/s",
                Metric::Bytes => "B/s",
            };
            format!("{what} {}", crate::app::top::window_name(w))
        }
        c => c.heading(),
    }
}

fn row_text(columns: &[Column], row: &Row, prefix: &[u8], dir_w: usize) -> String {
    columns
        .iter()
        .map(|&c| match c {
            Column::Dir => {
                let name = escape_bytes(row.dir.strip_prefix(prefix).unwrap_or(&row.dir));
                let name = if name.is_empty() {
                    "(itself)".into()
                } else {
                    name
                };
                format!("{:<dir_w$}", cut(&name, dir_w.saturating_sub(1)))
            }
            Column::Rate(Metric::Bytes, w) => {
                cell(&bytes(row.rates[Metric::Bytes as usize][w].round() as u64))
            }
            Column::Rate(m, w) => cell(&rate(row.rates[m as usize][w])),
            Column::TotalWrites => cell(&thousands(row.total.writes)),
            Column::TotalDeletes => cell(&thousands(row.total.deletes)),
        })
        .collect()
}

/// A figure right-aligned in its column, a space before it.
fn cell(s: &str) -> String {
    format!(" {s:>w$}", w = CELL - 1)
}

/// `0`, `3.3`, `1,250`.
fn rate(r: f64) -> String {
    if r == 0.0 {
        "0".into()
    } else if r < 100.0 {
        format!("{r:.1}")
    } else {
        thousands(r.round() as u64)
    }
}

fn cut(s: &str, w: usize) -> String {
    if s.chars().count() > w {
        let mut t: String = s.chars().take(w.saturating_sub(1)).collect();
        t.push('…');
        t
    } else {
        s.to_string()
    }
}
