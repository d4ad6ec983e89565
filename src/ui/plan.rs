//! A transfer's plan over the right-hand panes: what it does (created,
//! updated, unchanged, deleted at the source), the keys that change, and
//! while applying or after, the progress and the summary.

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::keys::thousands;
use super::{dim, pane_block, selected_style};
use crate::app::keymap::Keymap;
use crate::app::transfer::PlanView;
use crate::app::Action;
use crate::escape::{escape_bytes, escape_str};
use crate::transfer::Change;

/// Rows above the list of changed keys: prefixes, counts, warnings, the
/// leased keys' line, the status and the list's title.
fn header_rows(plan: &crate::transfer::Plan) -> usize {
    4 + plan.warnings.len() + usize::from(plan.leased > 0)
}

/// Rows of the changed keys' list in a view `inner_height` rows tall (an
/// opened key's diff takes the lower half).
pub fn list_rows(view: &PlanView, inner_height: usize) -> usize {
    let Some(plan) = &view.plan else {
        return inner_height;
    };
    let room = inner_height.saturating_sub(header_rows(plan));
    if view.diff.is_some() {
        room / 2
    } else {
        room
    }
}

pub fn draw(frame: &mut Frame, area: Rect, view: &PlanView, keys: &Keymap) {
    frame.render_widget(Clear, area);
    let title = format!(" Plan: {} ", view.what);
    let hint = format!(
        " {} a key's diff · {} apply (type yes) · {} close ",
        keys.label(Action::Open)
            .split(' ')
            .next_back()
            .unwrap_or("Enter"),
        keys.label(Action::ApplyPlan),
        keys.label(Action::Back),
    );
    let block = pane_block(title, true).title_bottom(Line::from(hint).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines = Vec::new();
    let Some(plan) = &view.plan else {
        lines.push(match &view.error {
            Some(e) => Line::styled(
                format!("cannot plan: {}", escape_str(e)),
                Style::new().fg(Color::Red),
            ),
            None => Line::styled(
                format!("planning: {} source keys read…", thousands(view.planned)),
                dim(),
            ),
        });
        return frame.render_widget(Paragraph::new(lines), inner);
    };
    let other_cluster = view
        .transfer
        .to_context
        .as_ref()
        .map(|c| format!("ctx {} ", crate::escape::escape_str(c)))
        .unwrap_or_default();
    lines.push(Line::from(format!(
        "{} → {other_cluster}{}",
        escape_bytes(&plan.from_prefix),
        escape_bytes(&plan.to_prefix)
    )));
    let mut counts = format!(
        "{} created · {} updated · {} unchanged",
        thousands(plan.created),
        thousands(plan.updated),
        thousands(plan.unchanged)
    );
    if view.transfer.moving {
        counts.push_str(&format!(
            " · {} deleted at the source",
            thousands(plan.deleted)
        ));
    }
    lines.push(Line::from(counts));
    for w in &plan.warnings {
        lines.push(Line::styled(
            format!("warning: {}", escape_str(w)),
            Style::new().fg(Color::Yellow),
        ));
    }
    if plan.leased > 0 {
        lines.push(Line::styled(
            format!(
                "{} source keys are on a lease: written without one",
                thousands(plan.leased)
            ),
            Style::new().fg(Color::Yellow),
        ));
    }
    let status = match (&view.applying, &view.summary, &view.error) {
        (Some(done), _, _) => Line::styled(
            format!(
                "applying: {} of {} keys…",
                thousands(*done),
                thousands(plan.entries.len() as u64)
            ),
            Style::new().fg(Color::Yellow),
        ),
        (None, Some(summary), _) => Line::styled(summary.line(), Style::new().fg(Color::Green)),
        (None, None, Some(e)) => Line::styled(
            format!("failed: {}", escape_str(e)),
            Style::new().fg(Color::Red),
        ),
        (None, None, None) if view.has_work() => Line::styled(
            "nothing written yet; a key changed since the plan will be skipped",
            dim(),
        ),
        (None, None, None) => Line::styled("nothing to do", dim()),
    };
    lines.push(status);
    lines.push(Line::styled(
        format!(
            "keys that change ({}):",
            thousands(view.changed.len() as u64)
        ),
        dim(),
    ));
    let skipped = view.summary.as_ref().map(|s| &s.skipped);
    debug_assert_eq!(lines.len(), header_rows(plan));
    let room = list_rows(view, inner.height as usize);
    for (i, &index) in view.changed.iter().enumerate().skip(view.offset).take(room) {
        let entry = &plan.entries[index];
        let word = match entry.change {
            Change::Create => "create",
            Change::Update => "update",
            Change::Unchanged => "same  ",
        };
        let mut text = format!("{word} {}", escape_bytes(&entry.target));
        if skipped.is_some_and(|s| s.binary_search(&entry.target).is_ok()) {
            text.push_str("  (skipped: changed since the plan)");
        }
        let line = Line::from(text);
        lines.push(if i == view.selected {
            line.style(selected_style())
        } else {
            line
        });
    }
    if let Some((key, diff)) = &view.diff {
        lines.push(Line::styled(
            format!("{} now → as the plan writes it:", escape_bytes(key)),
            dim(),
        ));
        let room = (inner.height as usize).saturating_sub(lines.len());
        match diff {
            None => lines.push(Line::styled("reading…", dim())),
            Some(Ok(diff)) => lines.extend(super::diff::lines(diff, room)),
            Some(Err(e)) => lines.push(Line::styled(
                format!("cannot read it: {}", escape_str(e)),
                Style::new().fg(Color::Red),
            )),
        }
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
