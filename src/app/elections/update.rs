//! Keys about elections: `L` follows the selected directory as an
//! election, `S` makes a leader step down (after `y`), and `j`/`k` choose
//! an election in the Leader pane.

use super::{expired, order, ElectionView, LeaderChange, HISTORY};
use crate::app::action::Action;
use crate::app::msg::Cmd;
use crate::app::state::{Confirm, ConfirmAction, State};
use crate::app::watch::log::LogEntry;
use crate::escape::escape_bytes;
use crate::etcd::types::ElectionSnapshot;

/// `L`: follow (or stop following) the selected directory as an election.
pub fn toggle_follow(state: &mut State, cmds: &mut Vec<Cmd>) {
    if state.selected_row().is_none() {
        return;
    }
    let full = state.tree_dir_full();
    let delimiter = &state.tree.delimiter;
    let Some(name) = full
        .strip_suffix(delimiter.as_slice())
        .filter(|n| !n.is_empty())
    else {
        state.info("select a directory to follow it as an election");
        return;
    };
    let name = name.to_vec();
    let shown = escape_bytes(&name);
    if state.elections.iter().any(|e| e.name == name) {
        unfollow(state, &name, cmds);
        state.info(format!("no longer following election {shown}"));
    } else {
        follow(state, name, cmds);
        state.info(format!("following election {shown}"));
    }
}

/// `:election NAME`: follow an election by name.
pub fn follow_named(state: &mut State, name: Vec<u8>, cmds: &mut Vec<Cmd>) {
    let name = name
        .strip_suffix(state.tree.delimiter.as_slice())
        .filter(|n| !n.is_empty())
        .map(<[u8]>::to_vec)
        .unwrap_or(name);
    let shown = escape_bytes(&name);
    if state.elections.iter().any(|e| e.name == name) {
        return state.info(format!("already following election {shown}"));
    }
    follow(state, name, cmds);
    state.info(format!("following election {shown}"));
}

/// `S`: ask to revoke the selected election's leader lease.
pub fn step_down(state: &mut State) {
    if !state.writable("making a leader step down (it revokes the leader's lease)") {
        return;
    }
    let Some(view) = state.elections.get(
        state
            .election_selected
            .min(state.elections.len().saturating_sub(1)),
    ) else {
        let key = state.keymap.label(Action::FollowElection);
        state.info(format!(
            "no election followed (--election NAME, :election NAME, or {key} on a directory)"
        ));
        return;
    };
    let Some(leader) = view.leader() else {
        state.info(format!("{} has no leader", escape_bytes(&view.name)));
        return;
    };
    if leader.lease == 0 {
        state.error("the leader key has no lease: it cannot be made to step down by revoking it");
        return;
    }
    let question = format!(
        "make {} step down in {} by revoking its lease {:x}? y/N",
        escape_bytes(&leader.value),
        escape_bytes(&view.name),
        leader.lease
    );
    state.confirm = Some(Confirm {
        question,
        etcdctl: format!("etcdctl lease revoke {:x}", leader.lease),
        action: ConfirmAction::Run(Cmd::RevokeLease {
            lease: leader.lease,
        }),
    });
}

/// The elections' own actions: `follow-election`, `step-down`.
pub fn on_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    match action {
        Action::FollowElection => toggle_follow(state, cmds),
        Action::StepDown => step_down(state),
        _ => return false,
    }
    true
}

/// Moving keys while the Leader pane has the focus: choose an election.
pub fn on_pane_action(state: &mut State, action: Action) {
    let last = state.elections.len().saturating_sub(1);
    match action {
        Action::Down => state.election_selected = (state.election_selected + 1).min(last),
        Action::Up => state.election_selected = state.election_selected.saturating_sub(1),
        Action::Top => state.election_selected = 0,
        Action::Bottom => state.election_selected = last,
        _ => {}
    }
}

/// Starts following `name` (once).
pub fn follow(state: &mut State, name: Vec<u8>, cmds: &mut Vec<Cmd>) {
    if state.elections.iter().any(|e| e.name == name) {
        return;
    }
    state
        .elections
        .push(ElectionView::new(name.clone(), state.now));
    cmds.push(Cmd::FollowElection { name });
}

/// Stops following `name`.
pub fn unfollow(state: &mut State, name: &[u8], cmds: &mut Vec<Cmd>) {
    state.elections.retain(|e| e.name != name);
    cmds.push(Cmd::UnfollowElection {
        name: name.to_vec(),
    });
}

pub fn on_snapshot(state: &mut State, name: &[u8], result: Result<ElectionSnapshot, String>) {
    let now = state.now;
    let Some(view) = state.elections.iter_mut().find(|e| e.name == name) else {
        return;
    };
    let mut snapshot = match result {
        Ok(s) => s,
        Err(e) => {
            view.error = Some(e);
            return;
        }
    };
    order(&mut snapshot.candidates);
    view.error = None;
    view.received_at = now;
    let new_leader = snapshot
        .candidates
        .first()
        .filter(|c| !expired(c))
        .map(|c| (c.key.clone(), c.value.clone()));
    let old_key = view.leader.as_ref().map(|(k, _, _)| k.clone());
    let changed = new_leader.as_ref().map(|(k, _)| k) != old_key.as_ref();
    let first = view.snapshot.is_none();
    let from = view.leader().map(|c| c.value.clone());
    let revision = snapshot.revision;
    view.snapshot = Some(snapshot);
    view.lock = view.is_lock();
    if !changed {
        return;
    }
    let took_over = (!first).then_some(revision);
    view.leader = new_leader
        .as_ref()
        .map(|(k, _)| (k.clone(), took_over, now));
    if first {
        return; // not a change, just the first look
    }
    let to = new_leader.map(|(_, v)| v);
    view.history.push_back(LeaderChange {
        at: now,
        revision,
        from: from.clone(),
        to: to.clone(),
    });
    while view.history.len() > HISTORY {
        view.history.pop_front();
    }
    let name = view.name.clone();
    state.events.push(LogEntry::Leader {
        name,
        from,
        to,
        revision,
    });
}
