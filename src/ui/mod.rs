//! Drawing: every widget is a pure function of `&State`.

pub mod changes;
pub mod cluster;
pub mod command;
pub mod contexts;
pub mod diff;
pub mod editor;
pub mod event_detail;
pub mod events;
pub mod find;
pub mod help;
pub mod history;
pub mod keys;
pub mod layout;
pub mod leader;
pub mod leases;
pub mod plan;
pub mod resources;
pub mod status;
pub mod theme;
pub mod usage;
pub mod value;
pub mod wrap;

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, BorderType, Borders};
use ratatui::Frame;

use crate::app::{Pane, State};

pub fn draw(frame: &mut Frame, state: &State) {
    let areas = layout::areas_with_status(frame.area(), status::height(state, frame.area()));
    keys::draw(frame, areas.keys, state);
    if let Some(editor) = &state.editor {
        editor::draw_editor(frame, areas.value, editor, &state.keymap);
    } else if let Some(conflict) = &state.conflict {
        editor::draw_conflict(frame, areas.value, conflict, &state.keymap);
    } else if let Some(ev) = selected_event(state) {
        let detail = state
            .events
            .detail
            .as_ref()
            .filter(|(seq, _)| Some(*seq) == state.events.selected)
            .map(|(_, d)| d);
        event_detail::draw(frame, areas.value, ev, detail);
    } else {
        value::draw(frame, areas.value, state);
    }
    events::draw(frame, areas.events, state);
    leader::draw(frame, areas.leader, state);
    // Under the editor and the conflict view (they take the keys first);
    // a key's history over the changes view it was opened from.
    if let Some(view) = state
        .changes
        .as_ref()
        .filter(|_| state.editor.is_none() && state.conflict.is_none())
    {
        let right = areas.value.union(areas.events).union(areas.leader);
        changes::draw(frame, right, view, &state.keymap);
    }
    if let Some(view) = state
        .history
        .as_ref()
        .filter(|_| state.editor.is_none() && state.conflict.is_none())
    {
        let right = areas.value.union(areas.events).union(areas.leader);
        history::draw(frame, right, view, &state.keymap);
    }
    if let Some(view) = state
        .resources
        .as_ref()
        .filter(|_| state.editor.is_none() && state.conflict.is_none())
    {
        let all = areas
            .keys
            .union(areas.value)
            .union(areas.events)
            .union(areas.leader);
        resources::draw(frame, all, view, &state.keymap);
    }
    if let Some(view) = &state.leases {
        let right = areas.value.union(areas.events).union(areas.leader);
        leases::draw(frame, right, state, view, &state.keymap);
    }
    if let Some(view) = &state.plan {
        let right = areas.value.union(areas.events).union(areas.leader);
        plan::draw(frame, right, view, &state.keymap);
    }
    if let Some(view) = &state.usage {
        let right = areas.value.union(areas.events).union(areas.leader);
        usage::draw(frame, right, state, view);
    }
    if let Some(view) = &state.contexts_view {
        let right = areas.value.union(areas.events).union(areas.leader);
        contexts::draw(frame, right, state, view);
    }
    // The context's colour on every pane border (before the theme, so
    // NO_COLOR takes it off again).
    if let Some(color) = state.context.as_ref().and_then(|c| c.color) {
        for area in [areas.keys, areas.value, areas.events, areas.leader] {
            tint_border(frame.buffer_mut(), area, color);
        }
    }
    status::draw(frame, areas.status, state);
    if let Some(line) = &state.command {
        command::draw(frame, areas.status, line);
    }
    if state.cluster.open {
        cluster::draw(frame, frame.area(), state);
    }
    if let Some(prompt) = &state.prompt {
        editor::draw_prompt(frame, frame.area(), prompt);
    }
    if state.help {
        help::draw(frame, frame.area(), &state.keymap, state.help_scroll);
    }
    theme::apply(frame.buffer_mut(), state.theme);
}

/// The Events row shown in the Value pane: the selected one while the
/// Events pane has the focus.
fn selected_event(state: &State) -> Option<&crate::app::watch::log::EventRow> {
    if state.focus != Pane::Events {
        return None;
    }
    match state.events.get(state.events.selected?)? {
        crate::app::watch::log::LogEntry::Event(ev) => Some(ev),
        _ => None,
    }
}

/// A pane's titled border, highlighted when it has the focus.
pub fn pane_block<'a>(title: impl Into<ratatui::text::Line<'a>>, focused: bool) -> Block<'a> {
    let border = if focused {
        Style::new().fg(Color::Cyan)
    } else {
        Style::new().fg(Color::DarkGray)
    };
    Block::new()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(border)
        .title(title)
}

pub fn focused(state: &State, pane: Pane) -> bool {
    state.focus == pane && !state.help
}

pub fn selected_style() -> Style {
    Style::new()
        .bg(Color::Blue)
        .fg(Color::White)
        .add_modifier(Modifier::BOLD)
}

pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

/// Colours the border lines around `area` (not the titles on them).
fn tint_border(buf: &mut ratatui::buffer::Buffer, area: Rect, color: Color) {
    let area = area.intersection(buf.area);
    if area.is_empty() {
        return;
    }
    let (right, bottom) = (area.right() - 1, area.bottom() - 1);
    let ring = (area.x..=right)
        .flat_map(|x| [(x, area.y), (x, bottom)])
        .chain((area.y..=bottom).flat_map(|y| [(area.x, y), (right, y)]));
    for (x, y) in ring {
        if let Some(cell) = buf.cell_mut((x, y)) {
            if cell
                .symbol()
                .chars()
                .all(|c| ('\u{2500}'..='\u{257f}').contains(&c))
            {
                cell.fg = color;
            }
        }
    }
}

/// Centered rectangle of at most `w`×`h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}
