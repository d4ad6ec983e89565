//! The watch side of `update`: events into the log, the tree and the value
//! view; gaps; the Events pane's keys.

use std::time::Instant;

use super::log::{EventLog, LogEntry};
use crate::app::action::Action;
use crate::app::msg::Cmd;
use crate::app::state::{Pane, State};
use crate::app::tree::{live::Probe, ROOT};
use crate::app::value::ValueStatus;
use crate::app::{tree, value};
use crate::etcd::types::{ChildPage, EventKind, WatchEvent};

/// Starts (or restarts) the watch on `prefix`; the log starts afresh.
pub fn start_watch(
    state: &mut State,
    prefix: Vec<u8>,
    start_revision: Option<i64>,
    cmds: &mut Vec<Cmd>,
) {
    state.watch.epoch += 1;
    state.watch.started = true;
    state.watch.status = None;
    let capacity = state.events.capacity();
    state.events = EventLog::new(prefix.clone(), capacity, state.now);
    state.watch.prefix = prefix.clone();
    cmds.push(Cmd::Watch {
        epoch: state.watch.epoch,
        prefix,
        start_revision,
    });
    crate::app::top::update::on_pane_watch_changed(state, cmds);
}

pub fn on_events(state: &mut State, events: Vec<WatchEvent>, revision: i64, at: Instant) {
    state.revision = state.revision.max(revision);
    let root = &state.tree.node(ROOT).full;
    for ev in &events {
        state.revision = state.revision.max(ev.revision());
        // The tree at a past revision (`:rev`) does not move.
        if ev.key.starts_with(root) && state.tree.at.is_none() {
            state.pending_tree.push((
                ev.revision(),
                ev.kind,
                ev.key.clone(),
                tree::live::key_delta(ev.kind, ev.create_revision, ev.mod_revision),
            ));
        }
        if state.value.key.as_deref() == Some(ev.key.as_slice()) && state.tree.at.is_none() {
            state.value.changed = Some((ev.revision(), ev.kind));
            state.value_dirty = true;
        }
    }
    state.events.push_events(events, at);
}

/// Applies the events gathered since the last frame to the tree. Returns
/// whether its shape changed.
pub fn apply_pending(state: &mut State, cmds: &mut Vec<Cmd>) -> bool {
    let mut changed = false;
    for (revision, kind, key, delta) in std::mem::take(&mut state.pending_tree) {
        let (shape_changed, probe) = state.tree.apply_event(revision, kind, &key, delta);
        changed |= shape_changed;
        if let Probe::Dir(dir, full) = probe {
            if !cmds
                .iter()
                .any(|c| matches!(c, Cmd::ProbeDir { dir: d, .. } if *d == dir))
            {
                cmds.push(Cmd::ProbeDir { dir, full });
            }
        }
    }
    changed
}

/// History was compacted (at revision `compacted`) while the watch was
/// away: mark the gap and list the tree again (the directories that were
/// open open again).
pub fn on_gap(state: &mut State, from: i64, to: i64, compacted: i64, cmds: &mut Vec<Cmd>) {
    state.events.push(LogEntry::Gap { from, to });
    state.error(format!(
        "watch history compacted at revision {compacted}: revisions {from}..{to} missed; tree listed again"
    ));
    tree::update::relist(state, cmds);
}

/// Whether a probe removed a directory (the rows must be rebuilt).
pub fn on_probe(state: &mut State, dir: u32, full: &[u8], empty: bool) -> bool {
    empty && state.tree.drop_empty_dir(dir, full)
}

/// What a frame needs from what was coalesced: whether rows must be rebuilt
/// and the value refetched (`Some(key)`) or marked deleted.
pub fn take_value_refresh(state: &mut State) -> Option<Vec<u8>> {
    if !std::mem::take(&mut state.value_dirty) {
        return None;
    }
    let key = state.value.key.clone()?;
    match state.value.changed {
        Some((_, EventKind::Delete)) => {
            state.value.status = ValueStatus::Missing;
            None
        }
        _ => Some(key),
    }
}

/// The watch's own actions: `watch`, `pause`.
pub fn on_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    match action {
        Action::Watch => watch_selected(state, cmds),
        Action::Pause => toggle_pause(state),
        _ => return false,
    }
    true
}

/// Moving keys while the Events pane has the focus: `up`/`down` select
/// rows (which freezes the view), `bottom` follows the tail again, `top`
/// goes to the oldest row held, `back` unselects.
pub fn on_pane_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) {
    let page = state.page_height(Pane::Events);
    let log = &mut state.events;
    let (first, end) = log.seq_range();
    if first == end {
        return;
    }
    let current = log.selected.or(log.bottom()).unwrap_or(end - 1);
    let target = match action {
        Action::Up => current.saturating_sub(1).max(first),
        Action::Down => (current + 1).min(end - 1),
        Action::Top => first,
        Action::PageUp => current.saturating_sub(page as u64).max(first),
        Action::PageDown => (current + page as u64).min(end - 1),
        Action::Bottom => {
            log.follow();
            log.select(None);
            return;
        }
        Action::Back => {
            log.select(None);
            return;
        }
        _ => return,
    };
    log.pause();
    log.select(Some(target));
    // Its previous value, read from etcd when the log does not have it.
    if let Some(LogEntry::Event(row)) = log.get(target) {
        if row.wants_prev() && row.revision > 1 {
            cmds.push(Cmd::FetchPrev {
                seq: target,
                key: row.key.clone(),
                revision: row.revision - 1,
            });
        }
    }
    // Move the frozen view just enough to keep the selection on screen.
    let page = page.max(1) as u64;
    if let Some(bottom) = log.paused {
        if target > bottom {
            log.paused = Some(target);
        } else if target + page <= bottom {
            log.paused = Some(target + page - 1);
        }
    }
}

pub fn toggle_pause(state: &mut State) {
    if state.events.paused.is_some() {
        state.events.follow();
        state.events.select(None);
        state.info("Events: following");
    } else {
        state.events.pause();
        let key = state.keymap.label(Action::Pause);
        state.info(format!("Events: paused ({key} to follow)"));
    }
}

/// `w`: watch the selected directory (or the key's directory).
pub fn watch_selected(state: &mut State, cmds: &mut Vec<Cmd>) {
    if let Some(prefix) = state.selected_row().map(|_| state.tree_dir_full().to_vec()) {
        watch_prefix(state, prefix, cmds);
    }
}

/// `:watch PREFIX`: follow `prefix` in the Events pane from now on.
pub fn watch_prefix(state: &mut State, prefix: Vec<u8>, cmds: &mut Vec<Cmd>) {
    let shown = crate::escape::escape_bytes(&prefix);
    start_watch(state, prefix, None, cmds);
    state.info(format!(
        "watching {}",
        if shown.is_empty() {
            "the whole keyspace".into()
        } else {
            shown
        }
    ));
}

/// The root's listing came: the first one starts the watch from its
/// revision, so the tree and the event log agree from then on (the router
/// calls this before the tree takes the page).
pub fn on_root_listed(state: &mut State, result: &Result<ChildPage, String>, cmds: &mut Vec<Cmd>) {
    if state.watch.started {
        return;
    }
    if state.offline.is_some() {
        // A file never changes: no watch (history and :changes replay
        // the file's events on their own).
        state.watch.started = true;
        state.watch.refused = Some(super::OFFLINE.into());
        return;
    }
    match result {
        Err(e) if e.contains("permission denied") => {
            // A watch on what the user may not read is refused too.
            state.watch.started = true;
            state.watch.refused = Some(e.clone());
        }
        Ok(page) if page.partly_denied => {
            state.watch.started = true;
            state.watch.refused = Some("permission denied on part of the keyspace".into());
        }
        _ => {
            let start = result.as_ref().ok().map(|p| p.revision + 1);
            let prefix = state.watch.prefix.clone();
            start_watch(state, prefix, start, cmds);
        }
    }
}

/// The loop is about to draw: apply the events gathered since the last
/// frame to the tree (rows rebuilt once) and refresh a changed value.
pub fn on_frame(state: &mut State, cmds: &mut Vec<Cmd>) {
    if apply_pending(state, cmds) {
        let keep = state.selected_row();
        tree::update::rebuild(state, keep);
        // A shown key that was just deleted stays on screen ("deleted at
        // rev N") until the user moves on.
        let deleted = matches!(state.value.changed, Some((_, EventKind::Delete)));
        if !deleted {
            tree::update::on_selection_changed(state, cmds);
        }
    }
    if let Some(key) = take_value_refresh(state) {
        value::update::refetch(state, key, cmds);
    }
}
