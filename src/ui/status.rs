//! The status bar: endpoint, cluster revision, unverified TLS, a NOSPACE
//! alarm, read-only marker, messages. A text wider than the screen wraps onto more rows
//! (the layout gives them to it), never cut at the edge.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::app::{Action, State};
use crate::escape::escape_str;
use crate::etcd::types::WatchStatus;

/// The member serving the watch, when known; else the endpoints given.
fn in_use(state: &State) -> String {
    let mut text = state.endpoints.clone();
    if let (Some(WatchStatus::Watching { member_id, .. }), Some(info)) =
        (&state.watch.status, &state.cluster.info)
    {
        if let Some(m) = info.members.iter().find(|m| m.id == *member_id) {
            text = format!(
                "{} {}",
                m.name,
                m.client_urls.first().map(String::as_str).unwrap_or("")
            );
        }
    }
    if let Some(info) = &state.cluster.info {
        let down = info.down();
        if down > 0 {
            text.push_str(&format!(" │ {down} of {} members down", info.members.len()));
        }
        if let Some(why) = info.members.iter().find_map(|m| m.hidden.as_ref()) {
            text.push_str(&format!(" │ health unknown: {why}"));
        }
    }
    escape_str(&text)
}

/// Black or white, whichever reads better on `bg`.
fn text_on(bg: Color) -> Color {
    let (r, g, b) = match bg {
        Color::Rgb(r, g, b) => (r, g, b),
        Color::Black | Color::Red | Color::Blue | Color::Magenta | Color::DarkGray => {
            return Color::White
        }
        Color::Indexed(_) | Color::Reset => return Color::White,
        _ => return Color::Black,
    };
    // Perceived brightness (ITU-R BT.601).
    let y = 299 * r as u32 + 587 * g as u32 + 114 * b as u32;
    if y > 128_000 {
        Color::Black
    } else {
        Color::White
    }
}

/// At most this share of the screen's rows for the status bar (a long
/// message or question wraps onto more rows, up to it).
const MAX_SHARE: u16 = 3;

/// Rows the status bar takes at `screen`'s size: its text wrapped at the
/// screen's width (1 when it fits), at most a third of the rows.
pub fn height(state: &State, screen: Rect) -> u16 {
    let rows = crate::ui::wrap::height(&left(state), screen.width as usize, 2);
    (rows.min(u16::MAX as usize) as u16).clamp(1, (screen.height / MAX_SHARE).max(1))
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let bar = Style::new().bg(Color::Black).fg(Color::Gray);
    let spans = left(state);
    let lines = crate::ui::wrap::wrap(&spans, area.width as usize, 2);
    let keys = &state.keymap;
    let right = Line::from(format!(
        " {} help  {} commands  {} quit ",
        keys.label(Action::Help),
        keys.label(Action::Command),
        keys.label(Action::Quit)
    ))
    .right_aligned();
    // The hint gives way to a long message.
    let room = lines.len() == 1 && lines[0].width() + right.width() <= area.width as usize;
    frame.render_widget(Paragraph::new(lines).style(bar), area);
    if room {
        // Unstyled: a style here would paint over the left side's colours.
        frame.render_widget(Paragraph::new(right), area);
    }
}

/// The bar's text: where, what, then messages and warnings.
fn left(state: &State) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    if let Some(ctx) = &state.context {
        // The context's own colour, with text readable on it.
        let style = match ctx.color {
            Some(bg) => Style::new()
                .bg(bg)
                .fg(text_on(bg))
                .add_modifier(Modifier::BOLD),
            None => Style::new().fg(Color::White).add_modifier(Modifier::BOLD),
        };
        spans.push(Span::styled(
            format!(" ctx {} ", escape_str(&ctx.name)),
            style,
        ));
    }
    if let Some(s) = &state.switching {
        spans.push(Span::styled(
            format!(" → ctx {}… ", escape_str(&s.name)),
            Style::new().fg(Color::Yellow),
        ));
    }
    spans.extend([
        Span::styled(
            format!(" ⬡ {} ", in_use(state)),
            Style::new().fg(Color::Cyan),
        ),
        Span::raw(format!("│ rev {} ", state.revision)),
    ]);
    // Before anything that comes and goes, so a long message never hides it.
    if state.tls_not_verified {
        spans.push(Span::styled(
            " TLS NOT VERIFIED ",
            Style::new()
                .bg(Color::Red)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD),
        ));
    }
    // A member's NOSPACE alarm: the cluster takes no writes until it is
    // recovered; said on every screen, with the key of the recovery plan.
    if let Some(info) = &state.cluster.info {
        let nospace = info.alarms.iter().filter(|(_, a)| a == "NOSPACE").count();
        if nospace > 0 {
            spans.push(Span::styled(
                format!(
                    " NOSPACE: database space exceeded on {nospace} of {} members, writes fail ({}: recovery plan) ",
                    info.members.len(),
                    state.keymap.label(Action::Recover)
                ),
                Style::new()
                    .bg(Color::Red)
                    .fg(Color::White)
                    .add_modifier(Modifier::BOLD),
            ));
        }
    }
    if let Some(at) = state.tree.at {
        spans.push(Span::styled(
            format!(" @ rev {at}: the past, read-only "),
            Style::new().bg(Color::Magenta).fg(Color::White),
        ));
    }
    if let Some(offline) = &state.offline {
        spans.push(Span::styled(
            format!(" {} ", escape_str(offline)),
            Style::new().bg(Color::Yellow).fg(Color::Black),
        ));
    } else if state.read_only {
        spans.push(Span::styled(
            " READ-ONLY ",
            Style::new().bg(Color::Yellow).fg(Color::Black),
        ));
    }
    if let Some(WatchStatus::Reconnecting { attempt, error }) = &state.watch.status {
        spans.push(Span::styled(
            format!(
                " watch reconnecting… (try {attempt}: {}) ",
                escape_str(error)
            ),
            Style::new().bg(Color::Red).fg(Color::White),
        ));
    }
    if state.filter.editing {
        spans.push(Span::raw("│ filter: type, Enter keep, Esc clear "));
    }
    if let Some(c) = &state.confirm {
        spans.push(Span::styled(
            format!(" {} ", escape_str(&c.question)),
            Style::new()
                .bg(Color::Yellow)
                .fg(Color::Black)
                .add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::styled(
            format!("  = {}", escape_str(&c.etcdctl)),
            Style::new().fg(Color::Gray),
        ));
    } else if let Some(m) = &state.message {
        let style = if m.error {
            Style::new()
                .fg(Color::LightRed)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().fg(Color::White)
        };
        spans.push(Span::raw("│ "));
        spans.push(Span::styled(escape_str(&m.text), style));
        if m.result {
            spans.push(Span::styled(
                " · any key dismisses",
                Style::new().fg(Color::DarkGray),
            ));
        }
    }
    // After the message (which comes and goes), for the whole session.
    for warning in &state.warnings {
        spans.push(Span::styled(
            format!(" ⚠ {} ", escape_str(warning)),
            Style::new().bg(Color::Red).fg(Color::White),
        ));
    }
    for (what, error) in &state.file_warnings {
        spans.push(Span::styled(
            format!(" ⚠ {} failed: {} ", escape_str(what), escape_str(error)),
            Style::new().bg(Color::Red).fg(Color::White),
        ));
    }
    spans
}
