//! The Keys pane: listing pages as they come, paging in as the user
//! scrolls, moving, opening and closing directories, the filter, reload.

use crossterm::event::{KeyCode, KeyEvent};

use super::{Listing, Row, ROOT};
use crate::app::action::Action;
use crate::app::msg::Cmd;
use crate::app::selection::Selection;
use crate::app::state::{Pane, State};
use crate::app::{value, watch};
use crate::etcd::types::ChildPage;

/// A page of `dir`'s listing (or why not).
pub fn on_listed(
    state: &mut State,
    dir: u32,
    generation: u64,
    result: Result<ChildPage, String>,
    cmds: &mut Vec<Cmd>,
) {
    // At the top row the selection stays at the top while rows are found
    // above it (the user has not moved yet); elsewhere it stays on its row.
    let selected = state.selected_row().filter(|_| state.selected > 0);
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
            if dir == ROOT && state.tree.dir(ROOT).is_some_and(|d| d.partly_denied) {
                state.info(watch::ROOT_PARTLY.to_string());
            }
            for child in state.tree.reopen_children(dir) {
                expand(state, child, cmds);
            }
            if dir != ROOT && state.tree.looks_like_election(dir) {
                let full = state.tree.node(dir).full.to_vec();
                cmds.push(Cmd::CheckElection { dir, full });
            }
            // A directory holding a single directory opens it too, so a
            // keyspace under `/` or `/registry/` shows its content at once.
            let d = state.tree.dir(dir).expect("dir");
            let complete = d.listing == Listing::Complete;
            if complete && d.children.len() == 1 {
                let only = d.children[0];
                if state.tree.node(only).is_dir() {
                    expand(state, only, cmds);
                }
            }
            // `r` on this directory: its "reloading…" goes when it is done.
            if complete && state.tree.reloading == Some(dir) {
                state.tree.reloading = None;
                if state.message.as_ref().is_some_and(|m| m.text == RELOADING) {
                    let shown = crate::escape::escape_bytes(&state.tree.node(dir).full);
                    state.info(format!("reloaded {shown}"));
                }
            }
        }
        Err(e) => {
            if state.tree.fail_load(dir, generation, e.clone()) {
                if dir == ROOT && e.contains("permission denied") {
                    state.error(watch::ROOT_REFUSED.to_string());
                } else if e.contains("permission denied") {
                    // Said on the directory's row (`denied`), not in a line.
                } else {
                    let why = crate::app::past::compacted_since(state.tree.at, &e).unwrap_or(e);
                    state.error(format!("listing failed: {why}"));
                }
            }
        }
    }
    rebuild(state, selected);
    on_selection_changed(state, cmds);
    continue_reveal(state, cmds);
}

/// Opens the tree down to directory `full` and selects it: the
/// directories on the way open (listed when they were not yet), and the
/// selection lands on it once a listing brings its row.
pub fn reveal(state: &mut State, full: &[u8], cmds: &mut Vec<Cmd>) {
    if !full.starts_with(&state.tree.node(ROOT).full) {
        let shown = crate::escape::escape_bytes(full);
        return state.error(format!("{shown} is outside the tree's prefix"));
    }
    state.tree.reveal = Some(full.to_vec());
    continue_reveal(state, cmds);
}

/// One step further down to the directory [`reveal`] asked for, as far as
/// the listings go.
fn continue_reveal(state: &mut State, cmds: &mut Vec<Cmd>) {
    let Some(target) = state.tree.reveal.clone() else {
        return;
    };
    let mut dir = ROOT;
    while state.tree.node(dir).full.as_ref() != target.as_slice() {
        expand(state, dir, cmds);
        let tree = &state.tree;
        let Some(d) = tree.dir(dir) else { break };
        let next = d.children.iter().copied().find(|&c| {
            let n = tree.node(c);
            n.is_dir() && target.starts_with(&n.full)
        });
        match next {
            Some(child) => dir = child,
            None => {
                // Not listed yet: the listing's answer comes back here.
                // Listed whole without it: it is gone.
                if d.listing == Listing::Complete {
                    state.tree.reveal = None;
                }
                rebuild(state, None);
                return;
            }
        }
    }
    state.tree.reveal = None;
    state.tree.rebuild_rows();
    if let Some(pos) = state.tree.position(Row {
        node: dir,
        more: false,
    }) {
        state.selected = pos;
        state.focus = Pane::Keys;
    }
    scroll_into_view(state);
    on_selection_changed(state, cmds);
}

/// Rebuilds the rows and keeps the selection on the same row when it is
/// still visible. A selected "loading…" row keeps its place instead, so the
/// user lands on the first of the keys that replaced it.
pub fn rebuild(state: &mut State, keep: Option<Row>) {
    state.tree.rebuild_rows();
    let keep = keep.filter(|row| !row.more);
    if let Some(pos) = keep.and_then(|row| state.tree.position(row)) {
        state.selected = pos;
    }
    state.selected = state.selected.min(state.tree.rows.len().saturating_sub(1));
    scroll_into_view(state);
}

pub fn scroll_into_view(state: &mut State) {
    let page = state.page_height(Pane::Keys);
    if state.selected < state.offset {
        state.offset = state.selected;
    } else if state.selected >= state.offset + page {
        state.offset = state.selected + 1 - page;
    }
    let max_offset = state.tree.rows.len().saturating_sub(page);
    state.offset = state.offset.min(max_offset);
}

pub fn load_visible_pages(state: &mut State, cmds: &mut Vec<Cmd>) {
    let page = state.page_height(Pane::Keys);
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

pub fn expand(state: &mut State, dir: u32, cmds: &mut Vec<Cmd>) {
    state.tree.set_expanded(dir, true);
    if matches!(
        state.tree.dir(dir).map(|d| &d.listing),
        Some(Listing::NotLoaded)
    ) {
        request_page(state, dir, cmds);
    }
}

/// Fetches the value when the selection landed on a key row.
pub fn on_selection_changed(state: &mut State, cmds: &mut Vec<Cmd>) {
    let key = match state.selection() {
        // The find results own the Keys pane's selection.
        Selection::Found | Selection::FoundDir => return,
        Selection::Key(n) => state.tree.node(n).full.to_vec(),
        _ => {
            state.selection_is(None);
            return value::update::clear(state);
        }
    };
    state.selection_is(Some(&key));
    if state.value.key.as_deref() == Some(&key[..]) {
        return;
    }
    value::update::fetch(state, key, cmds);
}

/// Typing into the filter (`/`): Enter keeps it, Esc clears it.
pub fn on_filter_key(state: &mut State, key: KeyEvent, cmds: &mut Vec<Cmd>) {
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

pub fn set_filter(state: &mut State, text: String, cmds: &mut Vec<Cmd>) {
    let keep = state.selected_row();
    state.tree.set_filter(&text);
    state.filter.text = text;
    rebuild(state, keep);
    on_selection_changed(state, cmds);
}

/// The tree's own actions: `filter`, `reload`.
pub fn on_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    match action {
        Action::Filter if !crate::app::layer::keys_pane_shown(state) => {
            state.info("the filter is the Keys pane's: close the view over it first")
        }
        Action::Filter => {
            state.focus = Pane::Keys;
            state.filter.editing = true;
        }
        Action::Reload => reload(state, cmds),
        _ => return false,
    }
    true
}

/// Moving keys while the Keys pane has the focus.
pub fn on_pane_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) {
    let rows = state.tree.rows.len();
    let page = state.page_height(Pane::Keys);
    let last = rows.saturating_sub(1);
    let before = state.selected;
    match action {
        Action::Down => state.selected = (state.selected + 1).min(last),
        Action::Up => state.selected = state.selected.saturating_sub(1),
        Action::Top => state.selected = 0,
        Action::Bottom => state.selected = last,
        Action::PageDown => state.selected = (state.selected + page).min(last),
        Action::PageUp => state.selected = state.selected.saturating_sub(page),
        Action::Open => open(state, cmds),
        Action::Close => close(state, cmds),
        Action::Back if !state.filter.text.is_empty() => {
            return set_filter(state, String::new(), cmds)
        }
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

/// Lists the whole tree again from its root (after a watch gap, or at
/// another revision); the directories that were open open again.
pub fn relist(state: &mut State, cmds: &mut Vec<Cmd>) {
    state.tree.remember_open();
    cancel_loading(state, ROOT, cmds);
    state.tree.reset(ROOT);
    // Older than the listing to come: superseded by it.
    state.pending_tree.clear();
    if let Some(request) = state.tree.begin_load(ROOT) {
        cmds.push(Cmd::ListChildren { dir: ROOT, request });
    }
    state.value_dirty = state.value.key.is_some();
}

/// The status line while `r` lists a directory again.
const RELOADING: &str = "reloading…";

/// `r`: list the selected directory again, or fetch the key again.
pub fn reload(state: &mut State, cmds: &mut Vec<Cmd>) {
    let row = state.selected_row();
    let dir = match state.tree_selection() {
        Selection::Key(n) => {
            let key = state.tree.node(n).full.to_vec();
            return value::update::fetch(state, key, cmds);
        }
        Selection::Dir(n) | Selection::More(n) => n,
        _ => return,
    };
    cancel_loading(state, dir, cmds);
    state.tree.reset(dir);
    request_page(state, dir, cmds);
    rebuild(state, row);
    state.tree.reloading = Some(dir);
    state.info(RELOADING);
}
