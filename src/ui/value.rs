//! The Value pane: metadata line, then the visible part of the document.

use std::time::Duration;

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::{dim, focused, layout, pane_block};
use crate::app::value::ValueStatus;
use crate::app::{LoadedValue, Pane, State};
use crate::escape::escape_bytes;
use crate::etcd::types::EventKind;
use crate::value_doc::{Document, Format, Tok};

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let view = &state.value;
    let title = match &view.key {
        Some(k) => format!(" Value {} ", escape_bytes(k)),
        None => " Value ".to_string(),
    };
    let mut block = pane_block(title, focused(state, Pane::Value));
    if let ValueStatus::Loaded { value, .. } = &view.status {
        let position = position(&value.doc, view.scroll, area);
        block = block.title_bottom(Line::from(position).right_aligned());
        if let Some(note) = value.doc.note {
            block = block.title_bottom(
                Line::styled(format!(" {note} "), Style::new().fg(Color::Yellow)).left_aligned(),
            );
        }
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let status =
        |text: String, style: Style| Paragraph::new(text).style(style).wrap(Wrap { trim: false });
    match &view.status {
        ValueStatus::Empty => {
            frame.render_widget(status("select a key to see its value".into(), dim()), inner)
        }
        ValueStatus::Loading => frame.render_widget(status("loading…".into(), dim()), inner),
        ValueStatus::Missing => frame.render_widget(
            status(
                "this key does not exist (any more)".into(),
                Style::new().fg(Color::Yellow),
            ),
            inner,
        ),
        ValueStatus::Failed(e) => frame.render_widget(
            status(
                format!("could not read the value: {}", crate::escape::escape_str(e)),
                Style::new().fg(Color::Red),
            ),
            inner,
        ),
        ValueStatus::Loaded { value, fetched_at } => {
            let elapsed = state.now.saturating_duration_since(*fetched_at);
            draw_loaded(frame, inner, value, view.scroll, elapsed, view.changed);
        }
    }
}

/// The first screen row shown: `scroll`, kept within the document.
pub fn first_row(doc: &Document, scroll: usize, width: usize, height: usize) -> usize {
    scroll.min(doc.row_count(width).saturating_sub(height))
}

/// ` line L/N ` (the source line at the top), and the rows shown when
/// lines wrap: ` line 1/1 · rows 2041–2061/2061 `.
fn position(doc: &Document, scroll: usize, pane: Rect) -> String {
    let width = layout::value_text_width(pane);
    let height = layout::value_text_height(pane);
    let rows = doc.row_count(width);
    let first = first_row(doc, scroll, width, height);
    let lines = doc.source_line_count();
    let line = doc.source_line_at(first, width).min(lines);
    if rows == lines {
        return format!(" line {line}/{lines} ");
    }
    let last = (first + height).min(rows);
    format!(" line {line}/{lines} · rows {}–{last}/{rows} ", first + 1)
}

fn draw_loaded(
    frame: &mut Frame,
    area: Rect,
    value: &LoadedValue,
    scroll: usize,
    elapsed: Duration,
    changed: Option<(i64, EventKind)>,
) {
    if area.height == 0 {
        return;
    }
    let meta_area = Rect { height: 1, ..area };
    let mut meta = meta_line(value, elapsed);
    if let Some((rev, _)) = changed {
        meta.push_span(Span::styled(
            format!("  changed at rev {rev}"),
            Style::new().fg(Color::Black).bg(Color::Yellow),
        ));
    }
    frame.render_widget(Paragraph::new(meta), meta_area);
    let text_area = Rect {
        y: area.y + 1,
        height: area.height - 1,
        ..area
    };
    let height = text_area.height as usize;
    let width = text_area.width as usize;
    let doc = &value.doc;
    // Rows are cut to the width here (not wrapped by the Paragraph), so
    // that scrolling counts exactly the rows on screen.
    let first = first_row(doc, scroll, width, height);
    let lines = document_lines(doc, first, height, width);
    if lines.is_empty() {
        frame.render_widget(Paragraph::new("(empty value)").style(dim()), text_area);
        return;
    }
    frame.render_widget(Paragraph::new(lines), text_area);
}

/// Screen rows `first..first + height` of `doc` at `width`, highlighted.
pub fn document_lines(
    doc: &Document,
    first: usize,
    height: usize,
    width: usize,
) -> Vec<Line<'static>> {
    doc.rows(first, height, width)
        .into_iter()
        .map(|row| {
            Line::from(
                row.into_iter()
                    .map(|(tok, s)| Span::styled(s, tok_style(tok)))
                    .collect::<Vec<_>>(),
            )
        })
        .collect()
}

fn meta_line(value: &LoadedValue, elapsed: Duration) -> Line<'static> {
    let r = &value.record;
    let label = |s: &'static str| Span::styled(s, dim());
    let mut spans = vec![
        label("rev "),
        Span::raw(r.mod_revision.to_string()),
        label("  created "),
        Span::raw(r.create_revision.to_string()),
        label("  version "),
        Span::raw(r.version.to_string()),
        label("  lease "),
    ];
    if r.lease == 0 {
        spans.push(Span::raw("none"));
    } else {
        spans.push(Span::raw(format!("{:x}", r.lease)));
        let ttl = match r.lease_ttl {
            Some(ttl) if ttl >= 0 => {
                let left = ttl - elapsed.as_secs() as i64;
                if left > 0 {
                    format!(" ttl {left}s")
                } else {
                    " expired".to_string()
                }
            }
            Some(_) => " expired".to_string(),
            None => " ttl ?".to_string(),
        };
        spans.push(Span::styled(ttl, Style::new().fg(Color::Yellow)));
    }
    spans.push(label("  size "));
    spans.push(Span::raw(human_size(r.value.len())));
    let format = match value.doc.format {
        Format::Json => "json",
        Format::Text => "text",
        Format::Binary => "binary",
        Format::Kubernetes => "kubernetes",
    };
    spans.push(label("  "));
    spans.push(Span::styled(format, Style::new().fg(Color::Magenta)));
    Line::from(spans)
}

pub fn human_size(n: usize) -> String {
    match n {
        0..1024 => format!("{n} B"),
        1024..1_048_576 => format!("{:.1} KiB", n as f64 / 1024.0),
        _ => format!("{:.1} MiB", n as f64 / 1_048_576.0),
    }
}

fn tok_style(tok: Tok) -> Style {
    match tok {
        Tok::Plain => Style::new(),
        Tok::Key => Style::new().fg(Color::Cyan),
        Tok::Str => Style::new().fg(Color::Green),
        Tok::Num => Style::new().fg(Color::LightMagenta),
        Tok::Bool => Style::new().fg(Color::Yellow),
        Tok::Null => Style::new()
            .fg(Color::DarkGray)
            .add_modifier(Modifier::ITALIC),
        Tok::Punct => Style::new().fg(Color::Gray),
    }
}
