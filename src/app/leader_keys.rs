//! Keys about elections: `L` follows the selected directory as an
//! election, `S` makes a leader step down (after `y`), and `j`/`k` choose
//! an election in the Leader pane.

use crossterm::event::{KeyCode, KeyEvent};

use super::elections;
use super::msg::Cmd;
use super::state::{Confirm, ConfirmAction, State};
use crate::escape::escape_bytes;

/// `L`: follow (or stop following) the selected directory as an election.
pub fn toggle_follow(state: &mut State, cmds: &mut Vec<Cmd>) {
    let Some(row) = state.selected_row() else {
        return;
    };
    let node = state.tree.node(row.node);
    let dir = if node.is_dir() { row.node } else { node.parent };
    let full = &state.tree.node(dir).full;
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
        elections::unfollow(state, &name, cmds);
        state.info(format!("no longer following election {shown}"));
    } else {
        elections::follow(state, name, cmds);
        state.info(format!("following election {shown}"));
    }
}

/// `S`: ask to revoke the selected election's leader lease.
pub fn step_down(state: &mut State) {
    if state.read_only {
        state.error(
            "read-only: making a leader step down is a write (it revokes the leader's lease)",
        );
        return;
    }
    let Some(view) = state.elections.get(
        state
            .election_selected
            .min(state.elections.len().saturating_sub(1)),
    ) else {
        state.info("no election followed (--election NAME, or L on a directory)");
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

pub fn on_pane_key(state: &mut State, key: KeyEvent) {
    let last = state.elections.len().saturating_sub(1);
    match key.code {
        KeyCode::Char('j') | KeyCode::Down => {
            state.election_selected = (state.election_selected + 1).min(last)
        }
        KeyCode::Char('k') | KeyCode::Up => {
            state.election_selected = state.election_selected.saturating_sub(1)
        }
        _ => {}
    }
}
