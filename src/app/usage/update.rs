//! Usage: `:du` on the selected directory, its reports, moving in it,
//! `Esc` stops the scan then closes the view.

use super::{UsageBatch, UsageView};
use crate::app::action::Action;
use crate::app::find::Progress;
use crate::app::list;
use crate::app::msg::Cmd;
use crate::app::state::State;
use crate::app::tree::ROOT;

/// Usage's action: `du`.
pub fn on_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    match action {
        Action::Usage => start(state, cmds),
        _ => return false,
    }
    true
}

/// `:du`: scan the selected directory (or the selected key's directory).
pub fn start(state: &mut State, cmds: &mut Vec<Cmd>) {
    cancel(state, cmds);
    let tree = &state.tree;
    let node = state.selection().dir(state);
    if node == Some(ROOT) && tree.dir(ROOT).is_some_and(|d| d.listing.denied()) {
        return state.error(crate::app::watch::ROOT_REFUSED.to_string());
    }
    let dir = match node {
        Some(id) => tree.node(id).full.to_vec(),
        None => state.tree_dir_full().to_vec(),
    };
    // What the listing already knows: the children, and their key counts.
    let known: Vec<(Vec<u8>, Option<u64>)> = node
        .and_then(|id| tree.dir(id))
        .map(|d| {
            d.children
                .iter()
                .map(|&c| {
                    let n = tree.node(c);
                    let count = match n.dir.as_deref() {
                        Some(cd) => cd.keys,
                        None => Some(1),
                    };
                    (n.full.to_vec(), count)
                })
                .collect()
        })
        .unwrap_or_default();
    let id = state.next_request_id();
    cmds.push(Cmd::Usage {
        id,
        prefix: dir.clone(),
    });
    state.usage = Some(UsageView::new(id, dir, known, state.now));
}

fn cancel(state: &mut State, cmds: &mut Vec<Cmd>) {
    if let Some(v) = state.usage.as_mut().filter(|v| v.running()) {
        cmds.push(Cmd::CancelUsage { id: v.id });
        v.progress = Progress::Cancelled;
        v.ended = Some(state.now);
    }
}

/// A report of the usage scan `id`.
pub fn on_usage(state: &mut State, id: u64, batch: UsageBatch) {
    let now = state.now;
    if let Some(v) = state.usage.as_mut().filter(|v| v.id == id && v.running()) {
        if let Some(Err(e)) = &batch.done {
            let e = e.clone();
            v.add(batch, now);
            state.error(format!("du failed: {e}"));
        } else {
            let skipped = batch.skipped.clone();
            v.add(batch, now);
            if let Some(s) = skipped {
                state.info(format!("du: {s}"));
            }
        }
    }
}

/// Moving keys while the view is open. True when it took the action.
pub fn on_pane_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    let page = crate::ui::list_rows(state, crate::app::layer::Layer::Usage);
    let Some(v) = state.usage.as_mut() else {
        return false;
    };
    if list::move_in(&mut v.selected, &mut v.offset, v.rows.len(), page, action) {
        return true;
    }
    match action {
        Action::Back if v.running() => {
            cancel(state, cmds);
            state.info("du stopped: no more keys are read");
        }
        Action::Back | Action::Close => state.usage = None,
        _ => {}
    }
    true
}
