//! Where each pane goes. Shared by drawing and by `update` (which needs the
//! page height to keep the selection in view).

use ratatui::layout::{Constraint, Layout, Rect};

#[derive(Debug, Clone, Copy)]
pub struct Areas {
    pub keys: Rect,
    pub value: Rect,
    pub events: Rect,
    pub leader: Rect,
    pub status: Rect,
}

/// The panes over a one-row status bar.
pub fn areas(screen: Rect) -> Areas {
    areas_with_status(screen, 1)
}

/// The panes over a status bar of `status_rows` rows (more than one when
/// its text wraps: `ui::status::height`; `State::areas` and `ui::draw`).
pub fn areas_with_status(screen: Rect, status_rows: u16) -> Areas {
    let [main, status] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(status_rows.max(1))])
            .areas(screen);
    let [keys, right] =
        Layout::horizontal([Constraint::Percentage(38), Constraint::Percentage(62)]).areas(main);
    let [value, events, leader] = Layout::vertical([
        Constraint::Percentage(55),
        Constraint::Percentage(27),
        Constraint::Percentage(18),
    ])
    .areas(right);
    Areas {
        keys,
        value,
        events,
        leader,
        status,
    }
}

/// Rows of content inside a bordered pane.
pub fn inner_height(area: Rect) -> usize {
    area.height.saturating_sub(2) as usize
}

/// Lines of value text below the metadata line inside the Value pane.
pub fn value_text_height(area: Rect) -> usize {
    area.height.saturating_sub(3) as usize
}

/// Columns of value text inside the Value pane.
pub fn value_text_width(area: Rect) -> usize {
    area.width.saturating_sub(2) as usize
}
