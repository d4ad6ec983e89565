//! The `:ctx` list over the right-hand panes: each context of config.toml
//! with its endpoints, prefix, user, read-only and colour; the one in use
//! marked.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::{dim, pane_block, selected_style};
use crate::app::contexts::ContextsView;
use crate::app::{Action, State};
use crate::escape::escape_str;

/// Rows above the list (its column titles).
pub const HEADER_ROWS: usize = 1;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, view: &ContextsView) {
    frame.render_widget(Clear, area);
    let keys = &state.keymap;
    let title = format!(" Contexts ({}) ", state.contexts.len());
    let hint = format!(
        " ● in use · {} switch · {} close ",
        keys.label(Action::Open)
            .split(' ')
            .next_back()
            .unwrap_or("Enter"),
        keys.label(Action::Back),
    );
    let block = pane_block(title, true).title_bottom(Line::from(hint).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = |f: fn(&crate::app::contexts::ContextEntry) -> usize, min: usize| {
        state
            .contexts
            .iter()
            .map(f)
            .max()
            .unwrap_or(0)
            .clamp(min, 32)
    };
    let name_w = width(|c| escape_str(&c.name).chars().count(), 4);
    let prefix_w = width(|c| escape_str(&c.prefix).chars().count(), 6);
    let user_w = width(
        |c| {
            c.user
                .as_deref()
                .map_or(1, |u| escape_str(u).chars().count())
        },
        4,
    );
    let mut lines = vec![Line::styled(
        format!(
            "     {:<name_w$}  {:<10}  {:<prefix_w$}  {:<user_w$}  endpoints",
            "name", "mode", "prefix", "user"
        ),
        dim(),
    )];
    let current = state.context.as_ref().map(|c| c.name.as_str());
    let room = (inner.height as usize).saturating_sub(HEADER_ROWS);
    let cut = |s: &str, w: usize| -> String {
        let s = escape_str(s);
        if s.chars().count() > w {
            let mut t: String = s.chars().take(w.saturating_sub(1)).collect();
            t.push('…');
            t
        } else {
            s
        }
    };
    for (i, c) in state
        .contexts
        .iter()
        .enumerate()
        .skip(view.offset)
        .take(room)
    {
        let here = Some(c.name.as_str()) == current;
        let swatch = match c.color {
            Some(color) => Span::styled("  ", Style::new().bg(color)),
            None => Span::raw("  "),
        };
        let mode = if c.read_only {
            "read-only"
        } else {
            "read-write"
        };
        let prefix = if c.prefix.is_empty() {
            "(all)"
        } else {
            &c.prefix
        };
        let rest = format!(
            " {:<name_w$}  {mode:<10}  {:<prefix_w$}  {:<user_w$}  {}{}",
            cut(&c.name, name_w),
            cut(prefix, prefix_w),
            cut(c.user.as_deref().unwrap_or("-"), user_w),
            escape_str(&c.endpoints),
            if c.default { "  (default)" } else { "" },
        );
        let line = Line::from(vec![
            Span::raw(if here { "● " } else { "  " }),
            swatch,
            Span::raw(rest),
        ]);
        lines.push(if i == view.selected {
            line.style(selected_style())
        } else {
            line
        });
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
