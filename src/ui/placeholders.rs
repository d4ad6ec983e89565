//! The Leader pane. Its content (the election view) is not built yet; the
//! pane says so instead of pretending.

use ratatui::layout::Rect;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::{dim, focused, pane_block};
use crate::app::{Pane, State};

pub fn draw_leader(frame: &mut Frame, area: Rect, state: &State) {
    let block = pane_block(" Leader ", focused(state, Pane::Leader));
    let text = "election view is not available in this version yet";
    frame.render_widget(
        Paragraph::new(text)
            .style(dim())
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}
