//! The cluster view: `C` / `:cluster` opens and closes it; the clock asks
//! the cluster again (often while open, now and then for the status bar).

use super::{BACKGROUND_EVERY, OPEN_EVERY};
use crate::app::action::Action;
use crate::app::msg::Cmd;
use crate::app::state::State;
use crate::etcd::types::ClusterInfo;

/// The cluster view's actions: `cluster` toggles it, `back` closes it.
pub fn on_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    match action {
        Action::Cluster => toggle(state, cmds),
        Action::Back if state.cluster.open => state.cluster.open = false,
        _ => return false,
    }
    true
}

/// `C`: open or close the cluster view.
pub fn toggle(state: &mut State, cmds: &mut Vec<Cmd>) {
    state.cluster.open = !state.cluster.open;
    if state.cluster.open {
        ask(state, cmds);
    }
}

/// The clock moved on: ask again when it is time.
pub fn on_tick(state: &mut State, cmds: &mut Vec<Cmd>) {
    // Often while a view shows the members (this one or maintenance).
    let every = if state.cluster.open || state.maint.is_some() {
        OPEN_EVERY
    } else {
        BACKGROUND_EVERY
    };
    let now = state.now;
    if state
        .cluster
        .asked_at
        .is_none_or(|at| now.duration_since(at) >= every)
    {
        ask(state, cmds);
    }
}

pub fn on_cluster(state: &mut State, result: Result<ClusterInfo, String>) {
    state.cluster.in_flight = false;
    if std::mem::take(&mut state.cluster.stale) {
        // Asked before an action changed the cluster: ask again at the next
        // tick, keep what is shown.
        state.cluster.asked_at = None;
        return;
    }
    match result {
        Ok(info) => {
            state.cluster.info = Some(info);
            state.cluster.error = None;
        }
        Err(e) => state.cluster.error = Some(e),
    }
}

fn ask(state: &mut State, cmds: &mut Vec<Cmd>) {
    let prefix = state.tree.root_prefix().to_vec();
    cmds.extend(state.cluster.ask(state.now, &prefix));
}
