//! The Kubernetes resource table over the whole screen but the status
//! line: one row per key, `kubectl get`'s columns.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use super::{dim, pane_block, selected_style};
use crate::app::keymap::Keymap;
use crate::app::resources::{age, Loaded, ResourceView, Row};
use crate::app::Action;
use crate::escape::{escape_bytes, escape_str};

/// The columns a row shows, `…` while its value is being read.
fn cells(view: &ResourceView, row: &Row) -> [String; 8] {
    let rel = row
        .key
        .strip_prefix(view.dir.as_slice())
        .unwrap_or(&row.key);
    let rel = escape_bytes(rel);
    // Before the value is read: the namespace and name from the key
    // (`<namespace>/<name>` below a resource's directory).
    let (ns, name) = match rel.rsplit_once('/') {
        Some((ns, name)) => (ns.to_string(), name.to_string()),
        None => (String::new(), rel.clone()),
    };
    let waiting = "…".to_string();
    match &row.value {
        None => [
            ns,
            name,
            waiting.clone(),
            waiting.clone(),
            waiting,
            String::new(),
            String::new(),
            String::new(),
        ],
        Some(Loaded::Gone) => [
            ns,
            name,
            "(deleted)".into(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ],
        Some(Loaded::Value { size, row, read_at }) => {
            let size = super::value::human_size(*size);
            let Some(r) = row else {
                return [
                    ns,
                    name,
                    "-".into(),
                    String::new(),
                    size,
                    String::new(),
                    String::new(),
                    String::new(),
                ];
            };
            if let Some(note) = &r.note {
                return [
                    ns,
                    name,
                    escape_str(note),
                    String::new(),
                    size,
                    String::new(),
                    String::new(),
                    String::new(),
                ];
            }
            let col = |k: &str| {
                r.columns
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| escape_str(v))
                    .unwrap_or_default()
            };
            [
                escape_str(&r.namespace),
                if r.name.is_empty() {
                    name
                } else {
                    escape_str(&r.name)
                },
                escape_str(&r.kind),
                r.created.map(|c| age(read_at - c)).unwrap_or_default(),
                size,
                col("phase"),
                col("node"),
                col("ready"),
            ]
        }
    }
}

const HEADERS: [&str; 8] = [
    "NAMESPACE",
    "NAME",
    "KIND",
    "AGE",
    "SIZE",
    "PHASE",
    "NODE",
    "READY",
];

pub fn draw(frame: &mut Frame, area: Rect, view: &ResourceView, keys: &Keymap) {
    frame.render_widget(Clear, area);
    let count = if view.more {
        format!("{}+", view.rows.len())
    } else {
        view.rows.len().to_string()
    };
    let title = format!(" Kubernetes {} ({count} keys) ", escape_bytes(&view.dir));
    let hint = format!(" {} close ", keys.label(Action::Back));
    let block = pane_block(title, true).title_bottom(Line::from(hint).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = (inner.height as usize).saturating_sub(1);
    let window = view.window(height);
    let rows: Vec<[String; 8]> = view.rows[window.clone()]
        .iter()
        .map(|r| cells(view, r))
        .collect();
    // Columns that hold something on screen (PHASE/NODE/READY only where
    // a kind has them), each as wide as its widest cell.
    let shown: Vec<usize> = (0..8)
        .filter(|&c| c < 5 || rows.iter().any(|r| !r[c].is_empty()))
        .collect();
    let width = |c: usize| {
        rows.iter()
            .map(|r| r[c].width())
            .chain([HEADERS[c].len()])
            .max()
            .unwrap_or(0)
            .min(60)
    };
    let widths: Vec<usize> = shown.iter().map(|&c| width(c)).collect();
    let line = |cells: &dyn Fn(usize) -> String| {
        shown
            .iter()
            .zip(&widths)
            .map(|(&c, &w)| {
                let text = cells(c);
                let text: String = if text.width() > w {
                    text.chars()
                        .take(w.saturating_sub(1))
                        .chain(['…'])
                        .collect()
                } else {
                    text
                };
                format!("{text}{}", " ".repeat(w.saturating_sub(text.width())))
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let mut lines = vec![Line::styled(
        line(&|c| HEADERS[c].to_string()),
        Style::new().add_modifier(Modifier::BOLD),
    )];
    if let Some(e) = &view.error {
        lines.push(Line::styled(
            format!("cannot read: {}", escape_str(e)),
            Style::new().fg(Color::Red),
        ));
    } else if view.rows.is_empty() {
        let text = if view.listing {
            "listing…"
        } else {
            "no keys under this directory"
        };
        lines.push(Line::styled(text, dim()));
    }
    for (i, r) in window.zip(&rows) {
        let text = line(&|c| r[c].clone());
        let style = if i == view.selected {
            selected_style()
        } else if r[2] == "…" {
            dim()
        } else {
            Style::new()
        };
        lines.push(Line::styled(text, style));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
