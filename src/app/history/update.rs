//! The history view: opening it on the selected key, its answer, moving,
//! marking two rows, restoring a row (a guarded write).

use super::{HistoryView, Row};
use crate::app::action::Action;
use crate::app::msg::{Cmd, WriteOp};
use crate::app::state::{Confirm, ConfirmAction, Pane, State};
use crate::escape::{escape_bytes, etcdctl_line};
use crate::etcd::history::KeyHistory;
use crate::etcd::types::{EventKind, Expect, WriteOutcome};

/// The history's actions: `history` opens it on the selected key; `mark`
/// and `restore` work while it is open.
pub fn on_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    match action {
        Action::History => open(state, cmds),
        Action::Mark => mark(state),
        Action::Restore => restore(state),
        _ => return false,
    }
    true
}

/// `H`: read the selected key's history.
pub fn open(state: &mut State, cmds: &mut Vec<Cmd>) {
    let Some(key) = state.selected_key().map(<[u8]>::to_vec) else {
        return state.info("select a key to see its history");
    };
    open_key(state, key, cmds);
}

/// Reads `key`'s history (from the tree or another view's row).
pub fn open_key(state: &mut State, key: Vec<u8>, cmds: &mut Vec<Cmd>) {
    state.history = Some(HistoryView::loading(key.clone()));
    cmds.push(Cmd::History { key });
}

/// Its answer.
pub fn on_history(state: &mut State, key: Vec<u8>, result: Result<KeyHistory, String>) {
    let Some(view) = state.history.as_mut().filter(|v| v.key == key) else {
        return; // closed, or another key since
    };
    match result {
        Ok(h) => {
            view.history = Some(h);
            view.error = None;
            view.selected = view.selected.min(view.len().saturating_sub(1));
            view.refresh_detail();
        }
        Err(e) => view.error = Some(e),
    }
}

/// A write finished: after a restore from the open history, read it again
/// (it has a new revision).
pub fn on_write_done(
    state: &State,
    op: WriteOp,
    key: &[u8],
    result: &Result<WriteOutcome, String>,
    cmds: &mut Vec<Cmd>,
) {
    if op == WriteOp::Restore
        && matches!(result, Ok(WriteOutcome::Done { .. }))
        && state.history.as_ref().is_some_and(|h| h.key == key)
    {
        cmds.push(Cmd::History { key: key.to_vec() });
    }
}

/// Moving keys while the history is open. True when it took the action.
pub fn on_pane_action(state: &mut State, action: Action) -> bool {
    let page = state.page_height(Pane::Value) / 2;
    let Some(view) = state.history.as_mut() else {
        return false;
    };
    let last = view.len().saturating_sub(1);
    match action.step(view.selected, view.offset, last, page) {
        Some((selected, offset)) => (view.selected, view.offset) = (selected, offset),
        None if matches!(action, Action::Back | Action::Close) => {
            state.history = None;
            return true;
        }
        None => return true,
    }
    view.refresh_detail();
    true
}

/// `Space`: mark (or unmark) the selected row for a diff.
fn mark(state: &mut State) {
    let Some(view) = state.history.as_mut() else {
        return state.info("open a key's history first (H)");
    };
    view.marked = match view.marked {
        Some(m) if m == view.selected => None,
        _ => Some(view.selected),
    };
    view.refresh_detail();
}

/// `R`: write the selected revision's value back, guarded on the key being
/// as the history saw it (a DELETE row deletes the key again).
fn restore(state: &mut State) {
    if !state.writable("restoring an old revision") {
        return;
    }
    let Some(view) = state.history.as_ref() else {
        return state.info("open a key's history first (H)");
    };
    let (Some(h), Some(row)) = (&view.history, view.rows().into_iter().nth(view.selected)) else {
        return;
    };
    let Row::Event(ev) = row else {
        return state.info("select a revision to restore");
    };
    let key = view.key.clone();
    let shown = escape_bytes(&key);
    let current = h.current.clone();
    let expect = match &current {
        Some(c) => Expect::ModRevision(c.mod_revision),
        None => Expect::Absent,
    };
    let rev = ev.revision();
    let (question, etcdctl, cmd) = match (ev.kind, &current) {
        (EventKind::Put, _) => (
            format!(
                "put back {shown} as it was at rev {rev} ({} bytes)? y/N",
                ev.value.len()
            ),
            etcdctl_line("put", &key, &format!("<value of rev {rev}>")),
            Cmd::Save {
                op: WriteOp::Restore,
                key: key.clone(),
                value: ev.value.clone(),
                expect,
                lease: current.as_ref().map_or(0, |c| c.lease),
                ttl: None,
                prev: current.as_ref().map(|c| c.value.clone()),
            },
        ),
        (EventKind::Delete, Some(c)) => (
            format!("delete {shown} again, as at rev {rev}? y/N"),
            etcdctl_line("del", &key, ""),
            Cmd::Delete {
                op: WriteOp::Restore,
                key: key.clone(),
                expect,
                prev: Some(c.value.clone()),
                lease: c.lease,
            },
        ),
        (EventKind::Delete, None) => {
            return state.info(format!("{shown} does not exist now, as at rev {rev}"))
        }
    };
    state.confirm = Some(Confirm {
        question,
        etcdctl,
        action: ConfirmAction::Run(cmd),
    });
}
