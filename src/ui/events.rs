//! The Events pane: newest at the bottom; only the rows on screen are built.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{dim, focused, pane_block, selected_style};
use crate::app::watch::log::{EventRow, LogEntry};
use crate::app::{Pane, State};
use crate::escape::{escape_bytes, escape_str};
use crate::etcd::types::{EventKind, WatchStatus};

const SPARK: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const SPARK_SECONDS: usize = 30;

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let log = &state.events;
    let mut block = pane_block(title(state), focused(state, Pane::Events));
    // What the rows' markers mean, on the bottom border when it fits.
    let legend = format!(" {} ", crate::app::watch::log::Change::legend());
    if legend.chars().count() + 4 <= area.width as usize {
        block = block.title_bottom(Line::styled(legend, dim()).right_aligned());
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let Some(bottom) = log.bottom() else {
        let text = match &state.watch.status {
            Some(WatchStatus::Watching { from, .. }) => {
                format!("watching from revision {from}: no change yet")
            }
            Some(WatchStatus::Reconnecting { error, .. }) => {
                format!("reconnecting… ({})", escape_str(error))
            }
            None if state.offline.is_some() => crate::app::watch::OFFLINE.to_string(),
            None if state.watch.refused.is_some() => {
                "no watch: this user may not read the whole keyspace (permission denied); start with --prefix".to_string()
            }
            None => "starting the watch…".to_string(),
        };
        frame.render_widget(Paragraph::new(text).style(dim()), inner);
        return;
    };
    let height = inner.height as u64;
    let (first, _) = log.seq_range();
    let top = (bottom + 1).saturating_sub(height).max(first);
    let lines: Vec<Line> = (top..=bottom)
        .filter_map(|seq| {
            let line = entry_line(log.get(seq)?, inner.width as usize);
            Some(
                if log.selected == Some(seq) && focused(state, Pane::Events) {
                    line.style(selected_style())
                } else {
                    line
                },
            )
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn title(state: &State) -> Line<'static> {
    let log = &state.events;
    let prefix = escape_bytes(&log.prefix);
    let mut spans = vec![Span::raw(format!(
        " Events {} ({}) ",
        if prefix.is_empty() { "*" } else { &prefix },
        log.total
    ))];
    let rates = log.rates(state.now, SPARK_SECONDS);
    let max = rates.iter().copied().max().unwrap_or(0);
    let spark: String = rates
        .iter()
        .map(|&r| {
            if max == 0 {
                SPARK[0]
            } else {
                SPARK[((r * 8).div_ceil(max)) as usize]
            }
        })
        .collect();
    spans.push(Span::styled(spark, Style::new().fg(Color::Green)));
    let last = rates.last().copied().unwrap_or(0);
    spans.push(Span::raw(format!(" {last}/s ")));
    if log.paused.is_some() {
        spans.push(Span::styled(
            format!(" PAUSED +{} ", log.unseen),
            Style::new().bg(Color::Yellow).fg(Color::Black),
        ));
    }
    if let Some(WatchStatus::Reconnecting { .. }) = &state.watch.status {
        spans.push(Span::styled(
            " reconnecting… ",
            Style::new().bg(Color::Red).fg(Color::White),
        ));
    }
    Line::from(spans)
}

fn entry_line(entry: &LogEntry, width: usize) -> Line<'static> {
    match entry {
        LogEntry::Event(ev) => event_line(ev, width),
        LogEntry::Gap { from, to } => Line::styled(
            format!("— history compacted: revisions {from}..{to} missed —"),
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        ),
        LogEntry::Leader {
            name,
            from,
            to,
            revision,
        } => {
            let who =
                |p: &Option<Vec<u8>>| p.as_deref().map_or("(no leader)".to_string(), escape_bytes);
            Line::from(vec![
                Span::styled(format!("{revision:>8} "), dim()),
                Span::styled(
                    "LEADER ",
                    Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
                ),
                Span::raw(format!(
                    " {} {} → {}",
                    escape_bytes(name),
                    who(from),
                    who(to)
                )),
            ])
        }
    }
}

fn event_line(ev: &EventRow, width: usize) -> Line<'static> {
    let (kind, kind_style) = match ev.kind {
        EventKind::Put => ("PUT   ", Style::new().fg(Color::Green)),
        EventKind::Delete => ("DELETE", Style::new().fg(Color::Red)),
    };
    let marker = ev.change().marker();
    let key = escape_bytes(&ev.key);
    let mut spans = vec![
        Span::styled(format!("{:>8} ", ev.revision), dim()),
        Span::styled(kind, kind_style),
        Span::styled(format!(" {marker} "), Style::new().fg(Color::Yellow)),
        Span::raw(format!("{key}  ")),
    ];
    if ev.kind == EventKind::Put {
        let used: usize = spans.iter().map(Span::width).sum();
        spans.push(Span::styled(
            preview(&ev.value, ev.truncated, width.saturating_sub(used)),
            dim(),
        ));
    }
    Line::from(spans)
}

/// The start of a value on one line, escaped. `cut`: the value was cut
/// short in the log (a Kubernetes object then says so, not "corrupt").
pub fn preview(value: &[u8], cut: bool, max: usize) -> String {
    if max == 0 {
        return String::new();
    }
    let summary = if cut {
        crate::k8s::summary_cut(value)
    } else {
        crate::k8s::summary(value)
    };
    let text = match summary {
        Some(summary) => escape_str(&summary),
        None => {
            let head = &value[..value.len().min(max * 4)];
            match std::str::from_utf8(head) {
                Ok(s) => escape_str(s),
                // A character cut by `head`, not bad bytes: show what is whole.
                Err(e) if e.error_len().is_none() => {
                    escape_str(std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default())
                }
                Err(_) => escape_bytes(head),
            }
        }
    };
    if text.chars().count() > max {
        let mut t: String = text.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    } else {
        text
    }
}
