//! The changes view: opening it on the selected directory, its progress
//! and answer, moving, a key's history (Enter / `H`), undelete.

use super::{can_restore, ChangesView, DEFAULT_SPAN};
use crate::app::action::Action;
use crate::app::dialogs::{Confirm, ConfirmAction, Prompt, Submit};
use crate::app::msg::Cmd;
use crate::app::state::{Pane, State};
use crate::app::{history, tree};
use crate::escape::{escape_bytes, etcdctl_line};
use crate::etcd::changes::{ChangesUpdate, Undeleted};
use crate::etcd::revision::RevisionSpec;
use crate::ui::keys::thousands;

/// The view's actions: `changes` opens it (the last 1,000 revisions);
/// `undelete` and `undelete-all` work while it is open; `history` shows
/// the selected row's key.
pub fn on_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    match action {
        Action::Changes => open(
            state,
            RevisionSpec::Ago(DEFAULT_SPAN),
            RevisionSpec::Now,
            None,
            cmds,
        ),
        Action::History if state.changes.is_some() && state.history.is_none() => {
            history_of_selected(state, cmds)
        }
        Action::Undelete => undelete_one(state),
        Action::UndeleteAll => undelete_all(state),
        _ => return false,
    }
    true
}

/// `:changes A B PREFIX`: read what changed under `prefix`, else under
/// the selected directory (the key's directory when a key is selected).
pub fn open(
    state: &mut State,
    from: RevisionSpec,
    to: RevisionSpec,
    prefix: Option<Vec<u8>>,
    cmds: &mut Vec<Cmd>,
) {
    let prefix = prefix
        .or_else(|| state.selected_row().map(|_| state.tree_dir_full().to_vec()))
        .unwrap_or_else(|| state.tree.node(tree::ROOT).full.to_vec());
    let id = state.next_request_id();
    state.history = None;
    state.changes = Some(ChangesView::reading(id, prefix.clone()));
    cmds.push(Cmd::Changes {
        id,
        prefix,
        from,
        to,
    });
}

/// How the reading goes (answers of another reading are dropped).
pub fn on_changes(state: &mut State, id: u64, update: ChangesUpdate) {
    let Some(view) = state.changes.as_mut().filter(|v| v.id == id) else {
        return;
    };
    match update {
        ChangesUpdate::Range { from, to } => view.range = Some((from, to)),
        ChangesUpdate::Progress {
            reached,
            events,
            keys,
        } => view.progress = Some((reached, events, keys)),
        ChangesUpdate::Done(changes) => view.set_result(changes),
        ChangesUpdate::Failed(e) => {
            view.progress = None;
            view.error = Some(crate::app::past::describe(&e));
        }
    }
}

/// Moving keys while the view is open (and no history over it). True
/// when it took the action.
pub fn on_pane_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    let page = state.page_height(Pane::Value);
    let Some(view) = state.changes.as_mut() else {
        return false;
    };
    let last = view.rows().len().saturating_sub(1);
    match action.step(view.selected, view.offset, last, page) {
        Some((selected, offset)) => (view.selected, view.offset) = (selected, offset),
        None if action == Action::Open => history_of_selected(state, cmds),
        None if matches!(action, Action::Back | Action::Close) => {
            state.changes = None;
            cmds.push(Cmd::StopChanges);
        }
        None => {}
    }
    true
}

fn history_of_selected(state: &mut State, cmds: &mut Vec<Cmd>) {
    match state.changes.as_ref().and_then(|v| v.selected_row()) {
        Some(row) => {
            let key = row.key.clone();
            history::update::open_key(state, key, cmds);
        }
        None => state.info("no key selected"),
    }
}

/// `U`: put the selected deleted key back (asks first).
fn undelete_one(state: &mut State) {
    if !state.writable("undelete") {
        return;
    }
    let Some(view) = state.changes.as_ref() else {
        return state.info("open :changes first: undelete works on its rows");
    };
    let Some(row) = view.selected_row() else {
        return state.info("no key selected");
    };
    let shown = escape_bytes(&row.key);
    if !can_restore(row) || view.restored.contains(&row.key) {
        return state.info(format!(
            "{shown} was not deleted in this range: nothing to put back"
        ));
    }
    let rev = row.last_revision;
    state.confirm = Some(Confirm {
        question: format!(
            "put {shown} back as it was before its delete at rev {rev} (only if still absent)? y/N"
        ),
        etcdctl: etcdctl_line("put", &row.key, &format!("<value at rev {}>", rev - 1)),
        action: ConfirmAction::Run(Cmd::Undelete {
            prefix: view.prefix.clone(),
            items: vec![(row.key.clone(), rev)],
            max_request_bytes: state.max_request_bytes,
        }),
    });
}

/// `A`: put back every key deleted in the range (type yes).
fn undelete_all(state: &mut State) {
    if !state.writable("undelete") {
        return;
    }
    let Some(view) = state.changes.as_ref() else {
        return state.info("open :changes first: undelete works on its rows");
    };
    let items = view.deleted();
    if items.is_empty() {
        return state.info("no deleted keys to put back");
    }
    let (count, shown) = (thousands(items.len() as u64), escape_bytes(&view.prefix));
    let intro = format!(
        "Put back {count} keys deleted under {shown}, each with its last value and only if still absent (transactions of at most 128; u deletes one again)."
    );
    let submit = Submit::Yes {
        info: format!("putting back {count} keys under {shown}…"),
        cmds: vec![Cmd::Undelete {
            prefix: view.prefix.clone(),
            items,
            max_request_bytes: state.max_request_bytes,
        }],
        then: None,
    };
    let label = format!("restore {count} keys under {shown}? type yes");
    state.prompt = Some(Prompt::yes(" Undelete ", intro, label, submit));
}

/// An undelete finished: the summary, the restored rows marked.
pub fn on_undeleted(
    state: &mut State,
    prefix: Vec<u8>,
    result: Undeleted,
    journal: Result<(), String>,
) {
    if let Some(view) = state.changes.as_mut().filter(|v| v.prefix == prefix) {
        view.restored
            .extend(result.restored.iter().map(|(k, _)| k.clone()));
    }
    let mut text = format!("{} restored", thousands(result.restored.len() as u64));
    if !result.skipped.is_empty() {
        text.push_str(&format!(
            ", {} skipped: created meanwhile",
            thousands(result.skipped.len() as u64)
        ));
    }
    match result.error {
        Some(e) => state.result_error(format!("{text}; then it failed: {e}")),
        None => state.result(text),
    }
    if let Err(e) = journal {
        state.journal_failed(e);
    }
}
