//! The usage view (`:du`) over the right-hand panes: the database's size
//! and quota, then each child with its keys, value bytes and a bar, the
//! biggest first.

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::keys::thousands;
use super::{dim, pane_block, selected_style};
use crate::app::find::Progress;
use crate::app::usage::UsageView;
use crate::app::State;
use crate::escape::{escape_bytes, escape_str};

/// Columns of a row's bar.
const BAR: usize = 20;

/// Rows above the list (DB, totals, progress, a blank line).
pub const HEADER_ROWS: usize = 4;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, view: &UsageView) {
    frame.render_widget(Clear, area);
    let title = format!(" Usage {} ", escape_bytes(&view.dir));
    let block = pane_block(title, true);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines = vec![
        db_line(view),
        Line::from(format!(
            "{} keys  {} of values",
            thousands(view.keys),
            bytes(view.bytes)
        )),
        Line::styled(progress_line(state, view), dim()),
        Line::from(""),
    ];
    let width = inner.width as usize;
    let name_width = width.saturating_sub(BAR + 36).clamp(8, 60);
    let top = view.rows.first().map(|r| r.bytes).unwrap_or(0).max(1);
    debug_assert_eq!(lines.len(), HEADER_ROWS);
    let room = (inner.height as usize).saturating_sub(HEADER_ROWS);
    for (i, row) in view.rows.iter().enumerate().skip(view.offset).take(room) {
        let name = escape_bytes(
            row.full
                .strip_prefix(view.dir.as_slice())
                .unwrap_or(&row.full),
        );
        let name: String = if name.chars().count() > name_width {
            let mut s: String = name.chars().take(name_width - 1).collect();
            s.push('…');
            s
        } else {
            format!("{name:<name_width$}")
        };
        let keys = if row.keys > 0 || row.known.is_none() {
            thousands(row.keys)
        } else {
            // Not scanned yet: what the listing knew.
            format!("({})", thousands(row.known.unwrap_or(0)))
        };
        let filled = (row.bytes as f64 * BAR as f64 / top as f64).round() as usize;
        let pct = if view.bytes > 0 {
            row.bytes as f64 * 100.0 / view.bytes as f64
        } else {
            0.0
        };
        let line = Line::from(vec![
            Span::raw(format!("{name} {keys:>11} keys {:>10} ", bytes(row.bytes))),
            Span::styled("█".repeat(filled.min(BAR)), Style::new().fg(Color::Cyan)),
            Span::styled("░".repeat(BAR - filled.min(BAR)), dim()),
            Span::raw(format!(" {pct:5.1}%")),
        ]);
        lines.push(if i == view.selected {
            line.style(selected_style())
        } else {
            line
        });
    }
    if view.rows.is_empty() && !view.running() {
        lines.push(Line::styled("no keys under this directory", dim()));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// `DB 15.0% full: 1.2 GiB (1.1 GiB in use) of quota 8.0 GiB`
fn db_line(view: &UsageView) -> Line<'static> {
    let Some(db) = &view.db else {
        return Line::styled("DB: asking…", dim());
    };
    let db = match db {
        Ok(db) => db,
        Err(e) => {
            return Line::styled(
                format!("DB status unavailable: {}", escape_str(e)),
                Style::new().fg(Color::Red),
            )
        }
    };
    let (pct, known) = view.percent_full().unwrap_or((0.0, false));
    let quota = if known {
        format!("quota {}", bytes(db.quota as u64))
    } else {
        format!(
            "quota {} (etcd's default: this etcd does not report its own)",
            bytes(crate::app::usage::DEFAULT_QUOTA as u64)
        )
    };
    let color = if pct >= 90.0 {
        Color::Red
    } else if pct >= 70.0 {
        Color::Yellow
    } else {
        Color::Green
    };
    Line::from(vec![
        Span::raw("DB "),
        Span::styled(format!("{pct:.1}% full"), Style::new().fg(color)),
        Span::raw(format!(
            ": {} ({} in use) of {quota}",
            bytes(db.size as u64),
            bytes(db.in_use as u64)
        )),
    ])
}

fn progress_line(state: &State, view: &UsageView) -> String {
    let secs = view.elapsed(state.now).as_secs_f64();
    let what = match &view.progress {
        Progress::Running => "running (Esc stops)".to_string(),
        Progress::Done => "done (Esc closes)".to_string(),
        Progress::Cancelled => "stopped: partial figures (Esc closes)".to_string(),
        Progress::Failed(e) => format!("failed: {}", escape_str(e)),
    };
    let mut line = format!(
        "scanned {} / {} keys  {secs:.1} s  {what}",
        thousands(view.scanned),
        thousands(view.total)
    );
    if view.revision > 0 {
        line.push_str(&format!("  @ rev {}", view.revision));
    }
    line
}

/// `1536` → `1.5 KiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
