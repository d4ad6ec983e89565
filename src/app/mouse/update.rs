//! Mouse events into actions: what the pointer is over decides.

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::{Click, WHEEL_ROWS};
use crate::app::action::Action;
use crate::app::layer::layer;
use crate::app::msg::Cmd;
use crate::app::state::{Pane, State};
use crate::app::update::run_action;

pub fn on_mouse(state: &mut State, event: MouseEvent, at: std::time::Instant, cmds: &mut Vec<Cmd>) {
    // Text fields, questions, the help and the editor take keys only.
    let top = layer(state);
    if top.takes_keys() {
        return;
    }
    let plain = top.plain_panes();
    let under = pane_at(state, event.column, event.row);
    match event.kind {
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            let action = if event.kind == MouseEventKind::ScrollDown {
                Action::Down
            } else {
                Action::Up
            };
            // A view over the panes takes moving actions itself.
            if plain {
                let Some((pane, _)) = under else { return };
                state.focus = pane;
            }
            for _ in 0..WHEEL_ROWS {
                run_action(state, action, cmds);
            }
        }
        MouseEventKind::Down(MouseButton::Left) if plain => {
            let Some((pane, inner)) = under else { return };
            let click = Click {
                column: event.column,
                row: event.row,
                at,
            };
            let double = click.doubles(state.last_click);
            state.last_click = (!double).then_some(click);
            state.focus = pane;
            if pane != Pane::Keys || state.find.is_some() {
                return;
            }
            if !inner.contains(Position::new(event.column, event.row)) {
                return;
            }
            let index = state.shown_offset() + (event.row - inner.y) as usize;
            if index >= state.tree.rows.len() {
                return;
            }
            if index != state.selected {
                cmds.extend(crate::app::tree::update::select_row(state, index));
            }
            if double {
                run_action(state, Action::Open, cmds);
            }
        }
        _ => {}
    }
}

/// The pane under a cell and that pane's inside (within its border).
fn pane_at(state: &State, column: u16, row: u16) -> Option<(Pane, Rect)> {
    let areas = state.areas();
    let at = Position::new(column, row);
    [
        (Pane::Keys, areas.keys),
        (Pane::Value, areas.value),
        (Pane::Events, areas.events),
        (Pane::Leader, areas.leader),
    ]
    .into_iter()
    .find(|(_, area)| area.contains(at))
    .map(|(pane, area)| (pane, area.inner(ratatui::layout::Margin::new(1, 1))))
}
