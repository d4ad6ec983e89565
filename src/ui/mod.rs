//! Drawing: every widget is a pure function of `&State`.

pub mod auth;
pub mod changes;
pub mod cluster;
pub mod command;
pub mod contexts;
pub mod diff;
pub mod editor;
pub mod event_detail;
pub mod events;
pub mod find;
pub mod fleet;
pub mod help;
pub mod history;
pub mod keys;
pub mod layout;
pub mod leader;
pub mod leases;
pub mod maint;
pub mod metrics;
pub mod plan;
pub mod resources;
pub mod status;
pub mod theme;
pub mod top;
pub mod usage;
pub mod value;
pub mod wrap;

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, BorderType, Borders};
use ratatui::Frame;

use crate::app::layer::{self, Layer};
use crate::app::{Pane, State};

pub fn draw(frame: &mut Frame, state: &State) {
    let areas = layout::areas_with_status(frame.area(), status::height(state, frame.area()));
    // Bottom to top: the layers inside the panes' area, the context's
    // colour on every pane border (before the theme, so NO_COLOR takes it
    // off again), the status bar, then the layers over the whole screen.
    let layers: Vec<Layer> = layer::open(state).rev().collect();
    for l in layers.iter().filter(|l| !l.over_screen()) {
        draw_layer(frame, &areas, state, *l);
    }
    if let Some(color) = state.context.as_ref().and_then(|c| c.color) {
        for area in [areas.keys, areas.value, areas.events, areas.leader] {
            tint_border(frame.buffer_mut(), area, color);
        }
    }
    status::draw(frame, areas.status, state);
    for l in layers.iter().filter(|l| l.over_screen()) {
        draw_layer(frame, &areas, state, *l);
    }
    theme::apply(frame.buffer_mut(), state.theme);
}

/// Where a layer is drawn (the layers drawn by the Keys pane or the
/// status bar: that pane's or bar's area).
pub fn layer_area(screen: Rect, areas: &layout::Areas, layer: Layer) -> Rect {
    let right = areas.value.union(areas.events).union(areas.leader);
    match layer {
        Layer::Help | Layer::Prompt | Layer::Panes => screen,
        Layer::Cluster => cluster::area(screen),
        Layer::Confirm | Layer::Command => areas.status,
        Layer::Filter | Layer::Find => areas.keys,
        Layer::Editor | Layer::Conflict => areas.value,
        Layer::Resources | Layer::Top | Layer::Fleet | Layer::Metrics => areas.keys.union(right),
        Layer::Maint
        | Layer::Auth
        | Layer::Contexts
        | Layer::Usage
        | Layer::Leases
        | Layer::Plan
        | Layer::History
        | Layer::Changes => right,
    }
}

/// Rows of an open view's list as drawn at the current size: a page of
/// moving keys (every view's paging asks here, so it reaches the last row
/// drawn and no further).
pub fn list_rows(state: &State, layer: Layer) -> usize {
    let screen = Rect::new(0, 0, state.size.0, state.size.1);
    let inner = layout::inner_height(layer_area(screen, &state.areas(), layer));
    let rows = match layer {
        Layer::Leases => inner.saturating_sub(leases::HEADER_ROWS),
        Layer::Contexts => inner.saturating_sub(contexts::HEADER_ROWS),
        Layer::Maint => inner.saturating_sub(maint::HEADER_ROWS),
        Layer::Auth => state
            .auth
            .as_ref()
            .map_or(inner, |v| auth::list_rows(v, inner)),
        Layer::Usage => inner.saturating_sub(usage::HEADER_ROWS),
        Layer::Top => inner.saturating_sub(top::HEADER_ROWS),
        Layer::Fleet => inner.saturating_sub(fleet::HEADER_ROWS),
        Layer::Find => inner.saturating_sub(find::FOOTER_ROWS),
        Layer::Plan => state
            .plan
            .as_ref()
            .map_or(inner, |v| plan::list_rows(v, inner)),
        _ => inner,
    };
    rows.max(1)
}

/// Draws one open layer where it goes.
fn draw_layer(frame: &mut Frame, areas: &layout::Areas, state: &State, layer: Layer) {
    let area = layer_area(frame.area(), areas, layer);
    let keys = &state.keymap;
    match layer {
        Layer::Panes => {
            keys::draw(frame, areas.keys, state);
            match selected_event(state) {
                Some(ev) => {
                    let detail = state
                        .events
                        .detail
                        .as_ref()
                        .filter(|(seq, _)| Some(*seq) == state.events.selected)
                        .map(|(_, d)| d);
                    event_detail::draw(frame, areas.value, ev, detail);
                }
                None => value::draw(frame, areas.value, state),
            }
            events::draw(frame, areas.events, state);
            leader::draw(frame, areas.leader, state);
        }
        // Drawn by the Keys pane (`keys::draw`), which they fill.
        Layer::Find | Layer::Filter => {}
        // Drawn by the status bar.
        Layer::Confirm => {}
        Layer::Resources => {
            if let Some(view) = &state.resources {
                resources::draw(frame, area, view, keys);
            }
        }
        Layer::Changes => {
            if let Some(view) = &state.changes {
                changes::draw(frame, area, view, keys);
            }
        }
        Layer::History => {
            if let Some(view) = &state.history {
                history::draw(frame, area, view, keys);
            }
        }
        Layer::Plan => {
            if let Some(view) = &state.plan {
                plan::draw(frame, area, view, keys);
            }
        }
        Layer::Leases => {
            if let Some(view) = &state.leases {
                leases::draw(frame, area, state, view, keys);
            }
        }
        Layer::Top => {
            if let Some(view) = &state.top {
                top::draw(frame, area, state, view);
            }
        }
        Layer::Fleet => {
            if let Some(view) = &state.fleet {
                fleet::draw(frame, area, state, view);
            }
        }
        Layer::Usage => {
            if let Some(view) = &state.usage {
                usage::draw(frame, area, state, view);
            }
        }
        Layer::Maint => {
            if let Some(view) = &state.maint {
                maint::draw(frame, area, state, view);
            }
        }
        Layer::Metrics => {
            if let Some(view) = &state.metrics_view {
                metrics::draw(frame, area, state, view);
            }
        }
        Layer::Auth => {
            if let Some(view) = &state.auth {
                auth::draw(frame, area, state, view);
            }
        }
        Layer::Contexts => {
            if let Some(view) = &state.contexts_view {
                contexts::draw(frame, area, state, view);
            }
        }
        Layer::Conflict => {
            if let Some(conflict) = &state.conflict {
                editor::draw_conflict(frame, area, conflict, keys);
            }
        }
        Layer::Editor => {
            if let Some(editor) = &state.editor {
                editor::draw_editor(frame, area, editor, keys);
            }
        }
        Layer::Cluster => cluster::draw(frame, area, state),
        Layer::Command => {
            if let Some(line) = &state.command {
                command::draw(frame, area, line);
            }
        }
        Layer::Prompt => {
            if let Some(prompt) = &state.prompt {
                editor::draw_prompt(frame, area, prompt);
            }
        }
        Layer::Help => help::draw(frame, area, keys, state.help_scroll),
    }
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
