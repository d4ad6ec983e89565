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

pub fn areas(screen: Rect) -> Areas {
    let [main, status] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(screen);
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
