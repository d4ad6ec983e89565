//! Drawing: every widget is a pure function of `&State`.

pub mod help;
pub mod keys;
pub mod layout;
pub mod placeholders;
pub mod status;
pub mod value;

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, BorderType, Borders};
use ratatui::Frame;

use crate::app::{Pane, State};

pub fn draw(frame: &mut Frame, state: &State) {
    let areas = layout::areas(frame.area());
    keys::draw(frame, areas.keys, state);
    value::draw(frame, areas.value, state);
    placeholders::draw_events(frame, areas.events, state);
    placeholders::draw_leader(frame, areas.leader, state);
    status::draw(frame, areas.status, state);
    if state.help {
        help::draw(frame, frame.area());
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
