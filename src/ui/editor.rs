//! The inline editor, the conflict view and dialog forms.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::{centered, dim, pane_block};
use crate::app::dialogs::Prompt;
use crate::app::keymap::Keymap;
use crate::app::writes::editor::Editor;
use crate::app::writes::Conflict;
use crate::app::Action;
use crate::escape::{escape_bytes, escape_str};

pub fn draw_editor(frame: &mut Frame, area: Rect, editor: &Editor, keys: &Keymap) {
    let (edit_area, scratch_area) = match &editor.scratch {
        Some(_) => {
            let [a, b] = Layout::vertical([Constraint::Percentage(65), Constraint::Percentage(35)])
                .areas(area);
            (a, Some(b))
        }
        None => (area, None),
    };
    let new = editor.ctx.prev.is_none();
    let title = format!(
        " {} {} — {} save · {} cancel · Ctrl-u/Ctrl-r undo/redo{} ",
        if new { "New" } else { "Edit" },
        escape_bytes(&editor.ctx.key),
        keys.label(Action::Save),
        keys.label(Action::Cancel),
        if editor.ctx.json {
            format!(" · {} reformat", keys.label(Action::Reformat))
        } else {
            String::new()
        }
    );
    let status = match (&editor.json_error, editor.ctx.json, editor.saving) {
        (_, _, true) => Line::styled(" saving… ", Style::new().fg(Color::Yellow)),
        (Some(e), _, _) => Line::styled(
            format!(
                " ✗ invalid JSON: {} ({} saves anyway) ",
                escape_str(e),
                keys.label(Action::SaveInvalid)
            ),
            Style::new().fg(Color::White).bg(Color::Red),
        ),
        (None, true, _) => Line::styled(" ✓ valid JSON ", Style::new().fg(Color::Green)),
        (None, false, _) if editor.ctx.kube.is_some() => Line::styled(
            " ⚠ kube-apiserver normally writes this key: a save here skips its validation ",
            Style::new().fg(Color::Black).bg(Color::Yellow),
        ),
        (None, false, _) => Line::raw(""),
    };
    let block = pane_block(title, true).title_bottom(status);
    let inner = block.inner(edit_area);
    frame.render_widget(Clear, edit_area);
    frame.render_widget(block, edit_area);
    frame.render_widget(&editor.textarea, inner);
    if let (Some(area), Some(text)) = (scratch_area, &editor.scratch) {
        let lines: Vec<Line> = text.split('\n').map(|l| Line::raw(escape_str(l))).collect();
        let block = pane_block(
            " your text from the conflict (read-only; copy what you need) ",
            false,
        );
        frame.render_widget(Clear, area);
        frame.render_widget(Paragraph::new(lines).block(block), area);
    }
}

pub fn draw_conflict(frame: &mut Frame, area: Rect, c: &Conflict, keys: &Keymap) {
    let block = pane_block(format!(" Conflict {} ", escape_bytes(&c.ctx.key)), true);
    let inner = block.inner(area);
    let mut lines = vec![
        Line::styled(
            format!("Not saved: {}. Nothing was written.", c.reason()),
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        ),
        Line::from(
            [Action::Overwrite, Action::Reopen, Action::Drop]
                .into_iter()
                .flat_map(|a| {
                    [
                        Span::styled(keys.label(a), Style::new().fg(Color::Cyan)),
                        Span::raw(format!(" {}  ", a.about())),
                    ]
                })
                .collect::<Vec<_>>(),
        ),
        Line::styled(
            if c.saving {
                "saving…"
            } else {
                "current → yours:"
            },
            dim(),
        ),
    ];
    let room = (inner.height as usize).saturating_sub(lines.len());
    lines.extend(super::diff::lines(&c.diff, room));
    dialog(frame, area, lines, block);
}

/// A prompt: its title on the border, its intro, its fields (the active
/// one with a cursor), its error, the keys.
pub fn draw_prompt(frame: &mut Frame, screen: Rect, p: &Prompt) {
    let mut lines: Vec<Line> = p
        .intro
        .split('\n')
        .map(|l| Line::raw(l.to_string()))
        .collect();
    lines.push(Line::raw(""));
    for (i, (label, _)) in p.fields.iter().enumerate() {
        let active = i == p.active;
        lines.push(Line::from(vec![
            Span::styled(format!("{label}: "), dim()),
            Span::styled(
                format!(
                    "{}{}",
                    escape_str(&p.shown(i)),
                    if active { "▏" } else { "" }
                ),
                if active {
                    Style::new().fg(Color::White).add_modifier(Modifier::BOLD)
                } else {
                    Style::new()
                },
            ),
        ]));
    }
    lines.push(Line::raw(""));
    if let Some(e) = &p.error {
        lines.push(Line::styled(e.clone(), Style::new().fg(Color::Red)));
    }
    lines.push(Line::styled(
        "Enter ok · Tab next field · Esc cancel",
        dim(),
    ));
    // Wrapped here, so the box is as tall as its text (no line cut off).
    let width = 90.min(screen.width);
    let lines: Vec<Line<'static>> = lines
        .iter()
        .flat_map(|l| super::wrap::wrap(&l.spans, width.saturating_sub(2) as usize, 0))
        .collect();
    let area = centered(
        screen,
        width,
        lines.len().min(u16::MAX as usize - 2) as u16 + 2,
    );
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .title(p.title.as_str())
        .border_style(Style::new().fg(Color::Yellow));
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// Clears `area` and draws wrapped `lines` in `block` over it.
fn dialog(frame: &mut Frame, area: Rect, lines: Vec<Line<'static>>, block: Block<'static>) {
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}
