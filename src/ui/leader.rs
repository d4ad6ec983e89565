//! The Leader pane: per followed election, the leader (proposal, key,
//! lease, TTL counting down, since when), the candidates in the order they
//! would take over, and the last changes.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::{dim, focused, pane_block};
use crate::app::elections::{expired, ElectionView};
use crate::app::{Pane, State};
use crate::escape::escape_bytes;
use crate::etcd::types::Candidate;

/// Waiting candidates listed per election before "… N more".
const SHOWN_WAITING: usize = 4;

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let block = pane_block(
        format!(" Leader ({}) ", state.elections.len()),
        focused(state, Pane::Leader),
    );
    if state.elections.is_empty() {
        let keys = &state.keymap;
        let text = format!(
            "no election followed: --election NAME, :election NAME, or {} on a directory ({} makes a leader step down)",
            keys.label(crate::app::Action::FollowElection),
            keys.label(crate::app::Action::StepDown)
        );
        frame.render_widget(
            Paragraph::new(text)
                .style(dim())
                .wrap(Wrap { trim: false })
                .block(block),
            area,
        );
        return;
    }
    let mut lines = Vec::new();
    for (i, view) in state.elections.iter().enumerate() {
        let selected = i == state.election_selected && state.elections.len() > 1;
        election_lines(&mut lines, view, state, selected);
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn election_lines(
    lines: &mut Vec<Line<'static>>,
    view: &ElectionView,
    state: &State,
    selected: bool,
) {
    let elapsed = state
        .now
        .saturating_duration_since(view.received_at)
        .as_secs() as i64;
    let mut head = vec![Span::styled(
        format!(
            "{}{} ",
            if selected { "▶ " } else { "" },
            escape_bytes(&view.name)
        ),
        Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
    )];
    let lock = view.is_lock();
    match (view.leader(), &view.snapshot) {
        (_, None) => head.push(Span::styled("loading…", dim())),
        (None, Some(_)) if lock => {
            head.push(Span::styled("⚑ lock free", Style::new().fg(Color::Yellow)))
        }
        (None, Some(_)) => head.push(Span::styled("no leader", Style::new().fg(Color::Yellow))),
        (Some(holder), Some(_)) if lock => {
            head.push(Span::styled("⚑ lock held by ", dim()));
            head.push(Span::styled(
                format!("lease {:x}", holder.lease),
                Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
            ));
            if let Some(text) = since(view, state, true) {
                head.push(Span::styled(text, dim()));
            }
        }
        (Some(leader), Some(_)) => {
            head.push(Span::styled("leader ", dim()));
            head.push(Span::styled(
                escape_bytes(&leader.value),
                Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
            ));
            if let Some(text) = since(view, state, false) {
                head.push(Span::styled(text, dim()));
            }
        }
    }
    if let Some(e) = &view.error {
        head.push(Span::styled(
            format!("  ✗ {}", crate::escape::escape_str(e)),
            Style::new().fg(Color::Red),
        ));
    }
    lines.push(Line::from(head));
    if let Some(leader) = view.leader() {
        let mut detail = vec![
            Span::styled(
                format!(
                    "  key {}  lease {:x}",
                    escape_bytes(&leader.key),
                    leader.lease
                ),
                dim(),
            ),
            Span::styled(ttl(leader, elapsed), Style::new().fg(Color::Yellow)),
        ];
        if !leader.is_election_key(view.prefix_len()) {
            detail.push(Span::styled(
                "  not an election key",
                Style::new().fg(Color::Red),
            ));
        }
        lines.push(Line::from(detail));
    }
    let waiting = view.waiting();
    for (n, c) in waiting.iter().take(SHOWN_WAITING).enumerate() {
        let who = if lock {
            format!("waits: lease {:x}", c.lease)
        } else {
            escape_bytes(&c.value)
        };
        let mut spans = vec![
            Span::styled(format!("  {}. ", n + 1), dim()),
            Span::raw(who),
            Span::styled(
                format!(
                    "  {}  created rev {}",
                    escape_bytes(&c.key),
                    c.create_revision
                ),
                dim(),
            ),
            Span::raw(ttl(c, elapsed)),
        ];
        // (An expired lease already reads "ttl expired".)
        if !expired(c) && !c.is_election_key(view.prefix_len()) {
            spans.push(Span::styled(
                "  not an election key",
                Style::new().fg(Color::Red),
            ));
        }
        lines.push(Line::from(spans));
    }
    if waiting.len() > SHOWN_WAITING {
        lines.push(Line::styled(
            format!("  … {} more", waiting.len() - SHOWN_WAITING),
            dim(),
        ));
    }
    if let Some(last) = view.history.back() {
        let who = |p: &Option<Vec<u8>>| p.as_deref().map_or("(none)".to_string(), escape_bytes);
        let secs = state.now.saturating_duration_since(last.at).as_secs();
        let mut text = if lock {
            format!(
                "  last change of holder at rev {} ({} ago)",
                last.revision,
                age(secs)
            )
        } else {
            format!(
                "  last change: {} → {} at rev {} ({} ago)",
                who(&last.from),
                who(&last.to),
                last.revision,
                age(secs)
            )
        };
        if view.history.len() > 1 {
            text.push_str(&format!(", {} changes seen", view.history.len()));
        }
        lines.push(Line::styled(text, dim()));
    }
}

/// Since when the leader leads (or the holder holds a lock).
fn since(view: &ElectionView, state: &State, lock: bool) -> Option<String> {
    let (_, rev, at) = view.leader.as_ref()?;
    let secs = age(state.now.saturating_duration_since(*at).as_secs());
    Some(match (rev, lock) {
        (Some(rev), false) => format!("  since rev {rev} ({secs})"),
        (None, false) => format!("  leading for at least {secs}"),
        (Some(rev), true) => format!("  held for {secs} (since rev {rev})"),
        (None, true) => format!("  held for at least {secs}"),
    })
}

/// The lease TTL counting down from when it was read.
fn ttl(c: &Candidate, elapsed: i64) -> String {
    match c.ttl {
        Some(t) if t >= 0 => format!("  ttl {}s", (t - elapsed).max(0)),
        Some(_) => "  ttl expired (lease gone)".to_string(),
        None if c.lease == 0 => "  no lease".to_string(),
        None => String::new(),
    }
}

fn age(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m{}s", secs / 60, secs % 60),
        _ => format!("{}h{}m", secs / 3600, secs % 3600 / 60),
    }
}
