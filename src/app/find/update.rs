//! Find: starting a search on the selected directory, its batches,
//! cancelling it (`Esc`), moving in its results, copying their names,
//! deleting them all (`D`, which find takes while its results fill the
//! Keys pane).

use super::{FindBatch, FindView, Progress, Query};
use crate::app::action::Action;
use crate::app::command::CommandLine;
use crate::app::dialogs::{unjournaled, Prompt, Submit};
use crate::app::list;
use crate::app::msg::{Cmd, WriteOp};
use crate::app::state::{Pane, State};
use crate::app::value;
use crate::escape::{escape_bytes, escape_str};
use crate::etcd::bulk::DeletedUnchanged;
use crate::etcd::types::WriteOutcome;
use crate::ui::keys::thousands;

/// Find's actions: `find` opens the `:` line on `find `; `copy` on the
/// results copies their names; `delete-prefix` on them deletes them all.
pub fn on_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    match action {
        Action::Find => {
            state.command = Some(CommandLine {
                text: "find ".into(),
                ..CommandLine::default()
            });
        }
        Action::Copy if takes_keys(state) => copy_names(state, cmds),
        Action::DeletePrefix if takes_keys(state) => delete_prefix(state),
        _ => return false,
    }
    true
}

/// Whether the find results fill the Keys pane now.
pub fn takes_keys(state: &State) -> bool {
    state.find.is_some()
}

/// `:find QUERY`: search the selected directory's subtree.
pub fn start(state: &mut State, text: &str, cmds: &mut Vec<Cmd>) {
    let query = match Query::parse(text) {
        Ok(q) => q,
        Err(e) => return state.error(format!("find: {e}")),
    };
    let dir = match &state.find {
        // A new query over the results searches the same directory.
        Some(v) => v.dir.clone(),
        // The selected directory, or the selected key's, or the root.
        None => state.tree_dir_full().to_vec(),
    };
    cancel(state, cmds);
    let id = state.next_request_id();
    cmds.push(Cmd::Find {
        id,
        prefix: dir.clone(),
        query: text.to_string(),
    });
    state.find = Some(FindView::new(id, query, dir, state.now));
    state.focus = Pane::Keys;
    value::update::clear(state);
}

/// Stops the running find, if any (its task makes no more reads).
fn cancel(state: &mut State, cmds: &mut Vec<Cmd>) {
    if let Some(v) = state.find.as_mut().filter(|v| v.running()) {
        cmds.push(Cmd::CancelFind { id: v.id });
        v.progress = Progress::Cancelled;
        v.ended = Some(state.now);
    }
}

/// A batch of the find `id`.
pub fn on_found(state: &mut State, id: u64, batch: FindBatch, cmds: &mut Vec<Cmd>) {
    let now = state.now;
    let Some(view) = state.find.as_mut().filter(|v| v.id == id && v.running()) else {
        return; // cancelled or replaced
    };
    let failed = match &batch.done {
        Some(Err(e)) => Some(e.clone()),
        _ => None,
    };
    let skipped = batch.skipped.clone();
    view.add(batch, now);
    if let Some(e) = failed {
        state.error(format!("find failed: {e}"));
    } else if let Some(s) = skipped {
        state.info(format!("find: {s}"));
    }
    selection_changed(state, cmds);
}

/// A delete by etcdlens: its row goes.
pub fn on_write_done(
    state: &mut State,
    op: WriteOp,
    key: &[u8],
    result: &Result<WriteOutcome, String>,
) {
    if op == WriteOp::Delete && matches!(result, Ok(WriteOutcome::Done { .. })) {
        if let Some(v) = state.find.as_mut() {
            v.remove(key);
        }
    }
}

/// Moving keys while the results fill the Keys pane (and it has the
/// focus). True when it took the action.
pub fn on_pane_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    if state.focus != Pane::Keys {
        return false;
    }
    let page = crate::ui::list_rows(state, crate::app::layer::Layer::Find);
    let Some(view) = state.find.as_mut() else {
        return false;
    };
    let last = view.rows().saturating_sub(1);
    if let Some(s) = list::moved(view.selected, view.rows(), page, action) {
        view.selected = s;
        selection_changed(state, cmds);
        return true;
    }
    match action {
        Action::Open if view.selected_key().is_some() => state.focus = Pane::Value,
        Action::Open => view.selected = 1.min(last),
        Action::Close => view.selected = 0,
        Action::Back if view.running() => {
            cancel(state, cmds);
            state.info("find cancelled: no more keys are read");
            return true;
        }
        Action::Back => {
            state.find = None;
            value::update::clear(state);
            crate::app::tree::update::on_selection_changed(state, cmds);
            return true;
        }
        _ => return false,
    }
    selection_changed(state, cmds);
    true
}

/// Keeps the selection on screen and shows the selected result's value.
fn selection_changed(state: &mut State, cmds: &mut Vec<Cmd>) {
    scroll_into_view(state);
    let Some(key) = state.find.as_ref().and_then(|v| v.selected_key()) else {
        return value::update::clear(state);
    };
    if state.value.key.as_deref() != Some(key) {
        let key = key.to_vec();
        state.selection_is(Some(&key));
        value::update::fetch(state, key, cmds);
    }
}

fn scroll_into_view(state: &mut State) {
    // Two rows of the pane are the progress lines.
    let page = crate::ui::list_rows(state, crate::app::layer::Layer::Find);
    if let Some(v) = state.find.as_mut() {
        v.offset = list::offset_for(v.selected, v.offset, page);
    }
}

/// `y` on the results: the selected result's name, or on the directory's
/// row every result's name (one a line).
fn copy_names(state: &mut State, cmds: &mut Vec<Cmd>) {
    let Some(view) = state.find.as_ref() else {
        return;
    };
    let (bytes, what) = match view.selected_key() {
        Some(key) => (key.to_vec(), format!("copied {}", escape_bytes(key))),
        None => {
            let mut out = Vec::new();
            for h in &view.hits {
                out.extend_from_slice(&h.key);
                out.push(b'\n');
            }
            (out, format!("copied {} key names", view.hits.len()))
        }
    };
    cmds.push(Cmd::Copy(bytes));
    state.info(format!("{what} to the clipboard (OSC 52)"));
}

/// `D` while the results fill the Keys pane: on their own row, every
/// result (type yes); on a result, nothing (`d` deletes that one).
fn delete_prefix(state: &mut State) {
    if state
        .find
        .as_ref()
        .is_some_and(|v| v.selected_key().is_some())
    {
        return state.info("d deletes this key; D on the find's own row deletes every result");
    }
    if state.writable("deleting the find's results") {
        delete_all(state);
    }
}

/// `D` on the results' own row: ask for `yes` before deleting every kept
/// result, each only if unchanged since the scan.
fn delete_all(state: &mut State) {
    let Some(view) = state.find.as_ref() else {
        return;
    };
    if view.running() {
        let esc = state.keymap.label(Action::Back);
        return state.info(format!(
            "the find is still running: wait for it to end ({esc} stops it) before deleting its results"
        ));
    }
    if view.hits.is_empty() {
        return state.info("no results to delete");
    }
    let keys = match view.guarded_keys() {
        Ok(keys) => keys,
        Err(why) => return state.info(why),
    };
    let count = keys.len();
    let intro = format!(
        "delete {} keys found for \"{}\" under {}? Each only if unchanged since the search, at most 128 per transaction.{}\n= {}",
        thousands(count as u64),
        escape_str(&view.source.label()),
        escape_bytes(&view.dir),
        unjournaled(count as i64),
        found_etcdctl(&keys)
    );
    let submit = Submit::Yes {
        info: format!(
            "deleting {} keys (each only if unchanged since the search)…",
            thousands(count as u64)
        ),
        cmds: vec![Cmd::DeleteFound {
            id: view.id,
            journal: count as i64 <= crate::journal::MAX_BULK_KEYS,
            keys,
        }],
        then: None,
    };
    state.prompt = Some(Prompt::yes(
        " Delete the find's results ",
        intro,
        "type yes to delete them all".into(),
        submit,
    ));
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
            thousands(n as u64)
        ),
    };
    format!("etcdctl txn -i: mod(\"{shown}\") = \"{rev}\" → del {shown}{more}")
}

/// The results were deleted: their rows go, the summary says what was
/// skipped.
pub fn on_deleted(
    state: &mut State,
    id: u64,
    result: DeletedUnchanged,
    journal: Result<(), String>,
) {
    if let Some(v) = state.find.as_mut().filter(|v| v.id == id) {
        for (key, _, _) in &result.deleted {
            v.remove(key);
        }
    }
    let mut text = format!(
        "{} deleted, {} skipped (changed since the search)",
        thousands(result.deleted.len() as u64),
        thousands(result.skipped.len() as u64)
    );
    if result.deleted.iter().any(|(_, _, prev)| prev.is_none()) {
        text.push_str(" (too many to journal: u cannot restore them)");
    }
    match result.error {
        Some(e) => state.result_error(format!("{text}; then it stopped: {e}")),
        None => state.result(text),
    }
    if let Err(e) = journal {
        state.journal_failed(e);
    }
    state.value_dirty |= state.value.key.is_some();
}
