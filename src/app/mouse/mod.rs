//! The mouse: a click selects a Keys row or focuses a pane, the wheel
//! scrolls the pane under the pointer, a double click opens. Mouse events
//! become the same actions as keys (`update.rs`).

pub mod update;

use std::time::{Duration, Instant};

/// Two left clicks on the same cell within this long are a double click.
pub const DOUBLE_CLICK: Duration = Duration::from_millis(400);

/// Rows one wheel notch moves.
pub const WHEEL_ROWS: usize = 3;

/// A left click: the cell and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Click {
    pub column: u16,
    pub row: u16,
    pub at: Instant,
}

impl Click {
    /// Whether `self` completes a double click begun by `previous`.
    pub fn doubles(&self, previous: Option<Click>) -> bool {
        previous.is_some_and(|p| {
            p.column == self.column
                && p.row == self.row
                && self.at.saturating_duration_since(p.at) <= DOUBLE_CLICK
        })
    }
}
