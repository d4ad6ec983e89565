//! The fleet (`:fleet`) over every pane, and the same table as text for
//! `etcdlens fleet`: one row per context — reachable, version, members
//! healthy/total, leader, DB size, quota use, alarms, revisions per
//! second, a linearizable read's latency; a dead context is one row with
//! its reason.

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::usage::bytes;
use super::{dim, pane_block, selected_style};
use crate::app::fleet::{FleetRow, FleetView, REFRESH};
use crate::app::{Action, State};
use crate::escape::escape_str;

/// Rows above the list (the column headings).
pub const HEADER_ROWS: usize = 1;

/// The column headings.
pub const HEADINGS: [&str; 10] = [
    "context",
    "reachable",
    "version",
    "members",
    "leader",
    "db size",
    "quota",
    "alarms",
    "rev/s",
    "read",
];

/// A row's cells: all ten for a live context; the name, `no` and the
/// reason for a dead one; the name and `asking…` before any answer.
pub fn cells(row: &FleetRow) -> Vec<String> {
    let name = escape_str(&row.name);
    let p = match &row.probe {
        None => return vec![name, "asking…".into()],
        Some(Err(e)) => return vec![name, "no".into(), escape_str(e)],
        Some(Ok(p)) => p,
    };
    let quota = if p.quota > 0 {
        format!("{:.1}%", p.db_size as f64 * 100.0 / p.quota as f64)
    } else {
        "n/a".into()
    };
    let alarms = if p.alarms.is_empty() {
        "none".into()
    } else {
        p.alarms.join(",")
    };
    vec![
        name,
        "yes".into(),
        escape_str(&p.version),
        format!("{}/{}", p.healthy, p.total),
        p.leader.as_deref().map_or("none".into(), escape_str),
        bytes(p.db_size.max(0) as u64),
        quota,
        alarms,
        row.rate.map_or("…".into(), |r| format!("{r:.1}")),
        format!("{:.1} ms", p.read_latency.as_secs_f64() * 1000.0),
    ]
}

/// The table as lines of text: the headings, then one line per row, the
/// columns as wide as their widest cell and one space apart, so that it
/// fits 80 columns (a dead row's reason runs on).
pub fn table(rows: &[FleetRow]) -> Vec<String> {
    let cells: Vec<Vec<String>> = rows.iter().map(cells).collect();
    let mut widths: Vec<usize> = HEADINGS.iter().map(|h| h.chars().count()).collect();
    for row in cells.iter().filter(|c| c.len() == HEADINGS.len()) {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    // The name column also fits the names of dead rows.
    widths[0] = cells
        .iter()
        .map(|c| c[0].chars().count())
        .fold(widths[0], usize::max);
    let line = |row: &[String]| -> String {
        let last = row.len() - 1;
        row.iter()
            .enumerate()
            .map(|(i, c)| {
                if i == last {
                    c.clone()
                } else {
                    format!("{c:<w$} ", w = widths[i])
                }
            })
            .collect()
    };
    let headings: Vec<String> = HEADINGS.iter().map(|h| h.to_string()).collect();
    std::iter::once(line(&headings))
        .chain(cells.iter().map(|c| line(c)))
        .collect()
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State, view: &FleetView) {
    frame.render_widget(Clear, area);
    let keys = &state.keymap;
    let title = format!(
        " Fleet ({} contexts, asked every {} s) ",
        view.rows.len(),
        REFRESH.as_secs()
    );
    let hint = format!(
        " ● in use · Enter switches · {} close ",
        keys.label(Action::Back)
    );
    let block = pane_block(title, true).title_bottom(Line::from(hint).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let current = state.context.as_ref().map(|c| c.name.as_str());
    let text = table(&view.rows);
    let mut lines = vec![Line::styled(format!("  {}", text[0]), dim())];
    let room = (inner.height as usize).saturating_sub(HEADER_ROWS);
    for (i, (row, t)) in view
        .rows
        .iter()
        .zip(&text[1..])
        .enumerate()
        .skip(view.offset)
        .take(room)
    {
        let mark = if Some(row.name.as_str()) == current {
            "● "
        } else {
            "  "
        };
        let line = format!("{mark}{t}");
        lines.push(if i == view.selected {
            Line::styled(line, selected_style())
        } else if matches!(row.probe, Some(Err(_))) {
            Line::styled(line, Style::new().fg(Color::Red))
        } else {
            Line::from(line)
        });
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
