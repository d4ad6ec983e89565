//! The inline editor, the conflict view and dialog forms.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::{centered, dim, pane_block};
use crate::app::keymap::Keymap;
use crate::app::writes::editor::Editor;
use crate::app::writes::{Conflict, Prompt, PromptKind};
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

pub fn draw_prompt(frame: &mut Frame, screen: Rect, p: &Prompt) {
    let (title, intro) = match &p.kind {
        PromptKind::NewKey => (
            " New key ".to_string(),
            "Enter opens the editor for its value; it is created only if it does not exist."
                .to_string(),
        ),
        PromptKind::DeletePrefix { prefix, count } => (
            " Delete a prefix ".to_string(),
            format!(
                "Delete {} keys under {} in one transaction?{}\n= {}",
                super::keys::thousands((*count).max(0) as u64),
                escape_bytes(prefix),
                unjournaled(*count),
                crate::escape::etcdctl_line("del --prefix", prefix, "")
            ),
        ),
        PromptKind::ApplyPlan => (
            " Apply the plan ".to_string(),
            "Each key is written only if it is still as the plan saw it (transactions of at most 128); the others are skipped and counted.".to_string(),
        ),
        PromptKind::DeleteFound {
            dir, query, keys, ..
        } => (
            " Delete the find's results ".to_string(),
            format!(
                "delete {} keys found for \"{}\" under {}? Each only if unchanged since the search, at most 128 per transaction.{}\n= {}",
                super::keys::thousands(keys.len() as u64),
                crate::escape::escape_str(query),
                escape_bytes(dir),
                unjournaled(keys.len() as i64),
                found_etcdctl(keys)
            ),
        ),
        PromptKind::Undelete { prefix, items } => (
            " Undelete ".to_string(),
            format!(
                "Put back {} keys deleted under {}, each with its last value and only if still absent (transactions of at most 128; u deletes one again).",
                super::keys::thousands(items.len() as u64),
                escape_bytes(prefix)
            ),
        ),
    };
    let mut lines: Vec<Line> = intro
        .split('\n')
        .map(|l| Line::raw(l.to_string()))
        .collect();
    lines.push(Line::raw(""));
    for (i, (label, value)) in p.fields.iter().enumerate() {
        let active = i == p.active;
        lines.push(Line::from(vec![
            Span::styled(format!("{label}: "), dim()),
            Span::styled(
                format!("{}{}", escape_str(value), if active { "▏" } else { "" }),
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
        .title(title)
        .border_style(Style::new().fg(Color::Yellow));
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// What a delete of `count` keys says before it is confirmed when they
/// are too many for the undo journal.
fn unjournaled(count: i64) -> String {
    let limit = crate::app::writes::update::JOURNAL_KEYS;
    if count > limit {
        format!(
            " Over {} keys: too many to journal, u cannot restore them.",
            super::keys::thousands(limit as u64)
        )
    } else {
        String::new()
    }
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

/// The etcdctl equivalent of deleting the find's results: `etcdctl txn`'s
/// interactive input for the first key (compare, then delete), and how
/// many more keys go the same way.
fn found_etcdctl(keys: &[(Vec<u8>, i64)]) -> String {
    let Some((key, rev)) = keys.first() else {
        return String::new();
    };
    let shown = escape_bytes(key);
    let more = match keys.len() - 1 {
        0 => String::new(),
        n => format!(
            "  (and {} more keys, up to 128 per txn)",
            super::keys::thousands(n as u64)
        ),
    };
    format!("etcdctl txn -i: mod(\"{shown}\") = \"{rev}\" → del {shown}{more}")
}
