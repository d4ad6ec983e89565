//! Themes: widgets draw with the dark theme's colours; the frame is then
//! passed once through the chosen theme's table.
//!
//! - `Dark`: the colours as drawn.
//! - `Light` (`theme = "light"` in config.toml): text colours that vanish
//!   on a light background (yellow, white, gray, the light and cyan tones)
//!   become darker ones; cells with their own background (selection,
//!   badges, the status bar) keep their pairs, which are readable anywhere.
//! - `NoColor` (`NO_COLOR` set and not empty, <https://no-color.org>): no
//!   colour at all; a cell that had a background (the selection, a badge)
//!   is shown in reverse video instead, so it still stands out.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    Dark,
    Light,
    #[serde(skip)]
    NoColor,
}

impl Theme {
    /// The configured theme, unless `NO_COLOR` (its value) asks for none.
    pub fn with_no_color(self, no_color: Option<&std::ffi::OsStr>) -> Theme {
        match no_color {
            Some(v) if !v.is_empty() => Theme::NoColor,
            _ => self,
        }
    }
}

/// A text colour drawn on the terminal's own (light) background, made
/// readable there.
fn light_fg(c: Color) -> Color {
    match c {
        Color::Yellow => Color::Indexed(130), // dark orange
        Color::LightYellow => Color::Indexed(136),
        Color::White | Color::Gray => Color::Black,
        Color::Cyan | Color::LightCyan => Color::Indexed(24), // dark teal
        Color::LightBlue => Color::Blue,
        Color::Green | Color::LightGreen => Color::Indexed(28), // dark green
        Color::LightMagenta | Color::Magenta => Color::Indexed(90), // dark magenta
        Color::LightRed => Color::Red,
        Color::DarkGray => Color::Indexed(243), // mid gray: dim, still legible
        other => other,
    }
}

/// Applies `theme` to everything drawn in `buf`.
pub fn apply(buf: &mut Buffer, theme: Theme) {
    match theme {
        Theme::Dark => {}
        Theme::Light => {
            for cell in buf.content.iter_mut() {
                if cell.bg == Color::Reset {
                    cell.fg = light_fg(cell.fg);
                }
            }
        }
        Theme::NoColor => {
            for cell in buf.content.iter_mut() {
                if cell.bg != Color::Reset {
                    cell.modifier.insert(Modifier::REVERSED);
                }
                cell.fg = Color::Reset;
                cell.bg = Color::Reset;
            }
        }
    }
}
