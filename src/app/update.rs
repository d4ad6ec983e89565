//! `update(&mut State, Msg) -> Vec<Cmd>`: every state transition, pure.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::Rect;

use super::msg::{Cmd, Msg};
use super::state::ConfirmAction;
use super::state::{Pane, State, ValueStatus, MESSAGE_TTL};
use super::tree::{Listing, Row, ROOT};
use super::{elections, leader_keys, watching, writes};
use crate::ui::layout;

pub fn update(state: &mut State, msg: Msg) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    match msg {
        Msg::Input(Event::Key(key)) if key.kind != KeyEventKind::Release => {
            on_key(state, key, &mut cmds)
        }
        Msg::Input(Event::Resize(w, h)) => {
            state.size = (w, h);
            scroll_into_view(state);
        }
        Msg::Input(Event::Paste(text)) => {
            if let Some(editor) = state.editor.as_mut() {
                editor.paste(&text);
            } else if let Some(prompt) = state.prompt.as_mut() {
                prompt.fields[prompt.active].1.push_str(&text);
            }
        }
        Msg::Input(_) => {}
        Msg::Tick(now) => {
            state.now = now;
            let every = if state.cluster.open {
                CLUSTER_OPEN_EVERY
            } else {
                CLUSTER_BACKGROUND_EVERY
            };
            if state
                .cluster
                .asked_at
                .is_none_or(|at| now.duration_since(at) >= every)
            {
                ask_cluster(state, &mut cmds);
            }
            if let Some(m) = &state.message {
                if now.duration_since(m.at) > MESSAGE_TTL {
                    state.message = None;
                }
            }
        }
        Msg::Listed {
            dir,
            generation,
            result,
        } => on_listed(state, dir, generation, result, &mut cmds),
        Msg::Value {
            req,
            result,
            revision,
        } => {
            if req != state.value.req {
                return cmds; // superseded by a newer selection
            }
            state.revision = state.revision.max(revision);
            state.value.status = match result {
                Ok(Some(value)) => ValueStatus::Loaded {
                    value: Box::new(value),
                    fetched_at: state.now,
                },
                Ok(None) => ValueStatus::Missing,
                Err(e) => ValueStatus::Failed(e),
            };
        }
        Msg::WatchEvents {
            epoch,
            events,
            revision,
            at,
        } => {
            if epoch == state.watch.epoch {
                watching::on_events(state, events, revision, at);
            }
        }
        Msg::WatchStatus { epoch, status } => {
            if epoch == state.watch.epoch {
                state.watch.status = Some(status);
            }
        }
        Msg::WatchProgress { epoch, revision } => {
            if epoch == state.watch.epoch {
                state.revision = state.revision.max(revision);
            }
        }
        Msg::WatchGap {
            epoch, from, to, ..
        } => {
            if epoch == state.watch.epoch {
                watching::on_gap(state, from, to, &mut cmds);
                rebuild(state, None);
            }
        }
        Msg::DirProbed { dir, full, empty } => {
            if watching::on_probe(state, dir, &full, empty) {
                let keep = state.selected_row();
                rebuild(state, keep);
            }
        }
        Msg::Frame => on_frame(state, &mut cmds),
        Msg::Election { name, result } => elections::on_snapshot(state, &name, result),
        Msg::ElectionDetected { dir, full } => state.tree.mark_election(dir, &full),
        Msg::Written(Ok(text)) => {
            state.info(text);
            state.value_dirty |= state.value.key.is_some();
        }
        Msg::WriteDone { op, key, result } => {
            writes::on_write_done(state, op, key, result, &mut cmds)
        }
        Msg::PrefixCount { prefix, count } => writes::on_prefix_count(state, prefix, count),
        Msg::UndoFound { key, entry } => writes::on_undo_found(state, key, entry),
        Msg::EventPrev { seq, result } => match result {
            Ok(prev) => state.events.set_prev(seq, prev),
            Err(e) => state.error(format!("cannot read the previous value: {e}")),
        },
        Msg::Cluster(result) => {
            state.cluster.in_flight = false;
            match result {
                Ok(info) => {
                    state.cluster.info = Some(info);
                    state.cluster.error = None;
                }
                Err(e) => state.cluster.error = Some(e),
            }
        }
        Msg::ExternalEdited(result) => writes::on_external_edited(state, result, &mut cmds),
        Msg::Written(Err(text)) => state.error(text),
        Msg::Signal => quit(state, &mut cmds),
    }
    // Paging: load the next page of any incomplete directory that is on
    // (or one page below) the screen.
    load_visible_pages(state, &mut cmds);
    cmds
}

/// Applies what the messages since the last frame coalesced.
fn on_frame(state: &mut State, cmds: &mut Vec<Cmd>) {
    if watching::apply_pending(state, cmds) {
        let keep = state.selected_row();
        rebuild(state, keep);
        // A shown key that was just deleted stays on screen ("deleted at
        // rev N") until the user moves on.
        let deleted = matches!(
            state.value.changed,
            Some((_, crate::etcd::types::EventKind::Delete))
        );
        if !deleted {
            on_selection_changed(state, cmds);
        }
    }
    if let Some(key) = watching::take_value_refresh(state) {
        refetch_value(state, key, cmds);
    }
}

const CLUSTER_OPEN_EVERY: std::time::Duration = std::time::Duration::from_secs(3);
const CLUSTER_BACKGROUND_EVERY: std::time::Duration = std::time::Duration::from_secs(15);

fn ask_cluster(state: &mut State, cmds: &mut Vec<Cmd>) {
    if state.cluster.in_flight {
        return;
    }
    state.cluster.in_flight = true;
    state.cluster.asked_at = Some(state.now);
    cmds.push(Cmd::ClusterStatus);
}

fn quit(state: &mut State, cmds: &mut Vec<Cmd>) {
    state.quit = true;
    cmds.push(Cmd::Quit);
}

fn on_listed(
    state: &mut State,
    dir: u32,
    generation: u64,
    result: Result<crate::etcd::types::ChildPage, String>,
    cmds: &mut Vec<Cmd>,
) {
    let selected = state.selected_row();
    // The watch starts from the first listing of the root, so the tree and
    // the event log agree from that revision on.
    if dir == ROOT && state.watch.epoch == 0 {
        let start = result.as_ref().ok().map(|p| p.revision + 1);
        let prefix = state.watch.prefix.clone();
        watching::start_watch(state, prefix, start, cmds);
    }
    match result {
        Ok(page) => {
            state.revision = state.revision.max(page.revision);
            let partial = page.partial;
            if !state.tree.apply_page(dir, generation, page) {
                return;
            }
            if partial {
                // More of this page is coming: show what was found.
                rebuild(state, selected);
                on_selection_changed(state, cmds);
                return;
            }
            for child in watching::reopen_children(state, dir) {
                expand(state, child, cmds);
            }
            if dir != ROOT && state.tree.looks_like_election(dir) {
                let full = state.tree.node(dir).full.to_vec();
                cmds.push(Cmd::CheckElection { dir, full });
            }
            // A directory holding a single directory opens it too, so a
            // keyspace under `/` or `/registry/` shows its content at once.
            let d = state.tree.dir(dir).expect("dir");
            if d.listing == Listing::Complete && d.children.len() == 1 {
                let only = d.children[0];
                if state.tree.node(only).is_dir() {
                    expand(state, only, cmds);
                }
            }
        }
        Err(e) => {
            if state.tree.fail_load(dir, generation, e.clone()) {
                state.error(format!("listing failed: {e}"));
            }
        }
    }
    rebuild(state, selected);
    on_selection_changed(state, cmds);
}

/// Rebuilds the rows and keeps the selection on the same row when it is
/// still visible. A selected "loading…" row keeps its place instead, so the
/// user lands on the first of the keys that replaced it.
fn rebuild(state: &mut State, keep: Option<Row>) {
    state.tree.rebuild_rows();
    let keep = keep.filter(|row| !row.more);
    if let Some(pos) = keep.and_then(|row| state.tree.position(row)) {
        state.selected = pos;
    }
    state.selected = state.selected.min(state.tree.rows.len().saturating_sub(1));
    scroll_into_view(state);
}

fn keys_page(state: &State) -> usize {
    let areas = layout::areas(Rect::new(0, 0, state.size.0, state.size.1));
    layout::inner_height(areas.keys).max(1)
}

fn value_page(state: &State) -> usize {
    let areas = layout::areas(Rect::new(0, 0, state.size.0, state.size.1));
    layout::value_text_height(areas.value).max(1)
}

fn events_page(state: &State) -> usize {
    let areas = layout::areas(Rect::new(0, 0, state.size.0, state.size.1));
    layout::inner_height(areas.events).max(1)
}

fn scroll_into_view(state: &mut State) {
    let page = keys_page(state);
    if state.selected < state.offset {
        state.offset = state.selected;
    } else if state.selected >= state.offset + page {
        state.offset = state.selected + 1 - page;
    }
    let max_offset = state.tree.rows.len().saturating_sub(page);
    state.offset = state.offset.min(max_offset);
}

fn load_visible_pages(state: &mut State, cmds: &mut Vec<Cmd>) {
    let page = keys_page(state);
    let end = (state.offset + 2 * page).min(state.tree.rows.len());
    let wanted: Vec<u32> = state.tree.rows[state.offset.min(end)..end]
        .iter()
        .filter(|r| r.more)
        .map(|r| r.node)
        .filter(|&dir| {
            let d = state.tree.dir(dir).expect("more rows belong to dirs");
            d.in_flight.is_none() && matches!(d.listing, Listing::Partial(_) | Listing::NotLoaded)
        })
        .collect();
    for dir in wanted {
        request_page(state, dir, cmds);
    }
}

fn request_page(state: &mut State, dir: u32, cmds: &mut Vec<Cmd>) {
    if let Some(request) = state.tree.begin_load(dir) {
        cmds.push(Cmd::ListChildren { dir, request });
    }
}

/// Selects row `index` (as moving there would).
pub fn select_row(state: &mut State, index: usize) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    state.selected = index.min(state.tree.rows.len().saturating_sub(1));
    scroll_into_view(state);
    on_selection_changed(state, &mut cmds);
    cmds
}

/// Starts the first listing of the tree.
pub fn start(state: &mut State) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    request_page(state, ROOT, &mut cmds);
    state.tree.rebuild_rows();
    cmds
}

fn expand(state: &mut State, dir: u32, cmds: &mut Vec<Cmd>) {
    state.tree.set_expanded(dir, true);
    if matches!(
        state.tree.dir(dir).map(|d| &d.listing),
        Some(Listing::NotLoaded)
    ) {
        request_page(state, dir, cmds);
    }
}

/// Fetches the value when the selection landed on a key row.
fn on_selection_changed(state: &mut State, cmds: &mut Vec<Cmd>) {
    let key = match state.selected_row() {
        Some(row) if !row.more && !state.tree.node(row.node).is_dir() => {
            state.tree.node(row.node).full.to_vec()
        }
        _ => {
            if state.value.key.is_some() {
                state.value.key = None;
                state.value.status = ValueStatus::Empty;
                state.value.req = state.next_request_id();
            }
            return;
        }
    };
    if state.value.key.as_deref() == Some(&key[..]) {
        return;
    }
    fetch_value(state, key, cmds);
}

fn fetch_value(state: &mut State, key: Vec<u8>, cmds: &mut Vec<Cmd>) {
    state.value.status = ValueStatus::Loading;
    state.value.scroll = 0;
    state.value.changed = None;
    refetch_value(state, key, cmds);
}

/// Fetches the shown key again, keeping what is on screen until the
/// answer comes (no flicker while a key changes often).
fn refetch_value(state: &mut State, key: Vec<u8>, cmds: &mut Vec<Cmd>) {
    let req = state.next_request_id();
    state.value.req = req;
    state.value.key = Some(key.clone());
    cmds.push(Cmd::FetchValue { req, key });
}

fn on_key(state: &mut State, key: KeyEvent, cmds: &mut Vec<Cmd>) {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return quit(state, cmds);
    }
    if state.help {
        // Any key closes the help; `q` still quits.
        state.help = false;
        if key.code == KeyCode::Char('q') {
            quit(state, cmds);
        }
        return;
    }
    if let Some(confirm) = state.confirm.take() {
        match (key.code, confirm.action) {
            (KeyCode::Char('y'), ConfirmAction::Run(cmd)) => cmds.push(cmd),
            (KeyCode::Char('y'), ConfirmAction::DiscardEdit) => {
                state.editor = None;
                state.info("changes discarded; nothing was written");
            }
            _ => state.info("cancelled: nothing was written"),
        }
        return;
    }
    // Dialogs and the editor take every key while open.
    if state.prompt.is_some() {
        return writes::on_prompt_key(state, key, cmds);
    }
    if state.editor.is_some() {
        return writes::on_editor_key(state, key, cmds);
    }
    if state.conflict.is_some() {
        return writes::on_conflict_key(state, key, cmds);
    }
    if state.filter.editing {
        return on_filter_key(state, key, cmds);
    }
    match key.code {
        KeyCode::Char('q') => return quit(state, cmds),
        KeyCode::Char('?') => {
            state.help = true;
            return;
        }
        KeyCode::Tab => return cycle_focus(state, 1),
        KeyCode::BackTab => return cycle_focus(state, Pane::ALL.len() - 1),
        KeyCode::Char('/') => {
            state.focus = Pane::Keys;
            state.filter.editing = true;
            return;
        }
        KeyCode::Esc if !state.filter.text.is_empty() => {
            return set_filter(state, String::new(), cmds);
        }
        KeyCode::Char('w') => return watching::watch_selected(state, cmds),
        KeyCode::Char('p') => return watching::toggle_pause(state),
        KeyCode::Char('L') => return leader_keys::toggle_follow(state, cmds),
        KeyCode::Char('S') => return leader_keys::step_down(state),
        KeyCode::Char('e') => return writes::start_edit(state),
        KeyCode::Char('E') => return writes::start_external_edit(state, cmds),
        KeyCode::Char('n') => return writes::new_key(state),
        KeyCode::Char('d') => return writes::delete_key(state),
        KeyCode::Char('D') => return writes::delete_prefix(state, cmds),
        KeyCode::Char('u') => return writes::undo(state, cmds),
        KeyCode::Char('y') => return writes::copy(state, cmds),
        KeyCode::Char('C') => {
            state.cluster.open = !state.cluster.open;
            if state.cluster.open {
                ask_cluster(state, cmds);
            }
            return;
        }
        KeyCode::Esc if state.cluster.open => {
            state.cluster.open = false;
            return;
        }
        _ => {}
    }
    match state.focus {
        Pane::Keys => on_keys_pane_key(state, key, cmds),
        Pane::Value => on_value_pane_key(state, key),
        Pane::Events => {
            let page = events_page(state);
            watching::on_events_pane_key(state, key, page, cmds)
        }
        Pane::Leader => leader_keys::on_pane_key(state, key),
    }
}

fn cycle_focus(state: &mut State, step: usize) {
    let i = Pane::ALL
        .iter()
        .position(|p| *p == state.focus)
        .unwrap_or(0);
    state.focus = Pane::ALL[(i + step) % Pane::ALL.len()];
}

fn on_filter_key(state: &mut State, key: KeyEvent, cmds: &mut Vec<Cmd>) {
    let mut text = state.filter.text.clone();
    match key.code {
        KeyCode::Enter => {
            state.filter.editing = false;
            return;
        }
        KeyCode::Esc => {
            state.filter.editing = false;
            text.clear();
        }
        KeyCode::Backspace => {
            text.pop();
        }
        KeyCode::Char(c) => text.push(c),
        _ => return,
    }
    set_filter(state, text, cmds);
}

fn set_filter(state: &mut State, text: String, cmds: &mut Vec<Cmd>) {
    let keep = state.selected_row();
    state.tree.set_filter(&text);
    state.filter.text = text;
    rebuild(state, keep);
    on_selection_changed(state, cmds);
}

fn on_keys_pane_key(state: &mut State, key: KeyEvent, cmds: &mut Vec<Cmd>) {
    let rows = state.tree.rows.len();
    let page = keys_page(state);
    let last = rows.saturating_sub(1);
    let before = state.selected;
    match key.code {
        KeyCode::Char('j') | KeyCode::Down => state.selected = (state.selected + 1).min(last),
        KeyCode::Char('k') | KeyCode::Up => state.selected = state.selected.saturating_sub(1),
        KeyCode::Char('g') | KeyCode::Home => state.selected = 0,
        KeyCode::Char('G') | KeyCode::End => state.selected = last,
        KeyCode::PageDown => state.selected = (state.selected + page).min(last),
        KeyCode::PageUp => state.selected = state.selected.saturating_sub(page),
        KeyCode::Char('l') | KeyCode::Right | KeyCode::Enter => open(state, cmds),
        KeyCode::Char('h') | KeyCode::Left => close(state, cmds),
        KeyCode::Char('r') => reload(state, cmds),
        _ => return,
    }
    if state.selected != before {
        scroll_into_view(state);
    }
    on_selection_changed(state, cmds);
}

fn open(state: &mut State, cmds: &mut Vec<Cmd>) {
    let Some(row) = state.selected_row() else {
        return;
    };
    if row.more {
        return;
    }
    let node = state.tree.node(row.node);
    match node.dir.as_deref() {
        Some(d) if d.expanded => {
            // Already open: step onto its first child.
            if state.selected + 1 < state.tree.rows.len() {
                state.selected += 1;
                scroll_into_view(state);
            }
        }
        Some(_) => {
            expand(state, row.node, cmds);
            rebuild(state, Some(row));
        }
        None => state.focus = Pane::Value,
    }
}

/// Cancels the listings in flight at or below `dir` (closed or reloaded:
/// nobody waits for them).
fn cancel_loading(state: &mut State, dir: u32, cmds: &mut Vec<Cmd>) {
    for (id, generation) in state.tree.loading_under(dir) {
        state.tree.cancel_load(id);
        cmds.push(Cmd::CancelList {
            dir: id,
            generation,
        });
    }
}

fn close(state: &mut State, cmds: &mut Vec<Cmd>) {
    let Some(row) = state.selected_row() else {
        return;
    };
    let node = state.tree.node(row.node);
    if !row.more && node.dir.as_deref().is_some_and(|d| d.expanded) {
        state.tree.set_expanded(row.node, false);
        cancel_loading(state, row.node, cmds);
        rebuild(state, Some(row));
        return;
    }
    // Go to the parent directory's row.
    let parent = if row.more { row.node } else { node.parent };
    if parent != ROOT {
        let target = Row {
            node: parent,
            more: false,
        };
        if let Some(pos) = state.tree.position(target) {
            state.selected = pos;
            scroll_into_view(state);
        }
    }
}

fn reload(state: &mut State, cmds: &mut Vec<Cmd>) {
    let Some(row) = state.selected_row() else {
        return;
    };
    let is_dir = state.tree.node(row.node).is_dir();
    if !row.more && !is_dir {
        let key = state.tree.node(row.node).full.to_vec();
        fetch_value(state, key, cmds);
        return;
    }
    cancel_loading(state, row.node, cmds);
    state.tree.reset(row.node);
    request_page(state, row.node, cmds);
    rebuild(state, Some(row));
    state.info("reloading…");
}

fn on_value_pane_key(state: &mut State, key: KeyEvent) {
    let lines = match &state.value.status {
        ValueStatus::Loaded { value, .. } => value.doc.line_count(),
        _ => 0,
    };
    let page = value_page(state);
    let last = lines.saturating_sub(page);
    let s = &mut state.value.scroll;
    match key.code {
        KeyCode::Char('j') | KeyCode::Down => *s = (*s + 1).min(last),
        KeyCode::Char('k') | KeyCode::Up => *s = s.saturating_sub(1),
        KeyCode::Char('g') | KeyCode::Home => *s = 0,
        KeyCode::Char('G') | KeyCode::End => *s = last,
        KeyCode::PageDown | KeyCode::Char(' ') => *s = (*s + page).min(last),
        KeyCode::PageUp => *s = s.saturating_sub(page),
        KeyCode::Char('h') | KeyCode::Left | KeyCode::Esc => state.focus = Pane::Keys,
        _ => {}
    }
}
