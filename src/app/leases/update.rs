//! Leases: opening the list, its answers, moving, `Enter` (the lease's
//! keys as a virtual directory in the Keys pane), revoke (`x`, after `y`)
//! and keep-alive once (`k`), refreshing while shown.

use super::{hex, LeasesView};
use crate::app::action::Action;
use crate::app::dialogs::{Confirm, ConfirmAction};
use crate::app::find::FindView;
use crate::app::layer::Layer;
use crate::app::list;
use crate::app::msg::Cmd;
use crate::app::state::{Pane, State};
use crate::etcd::leases::{LeaseInfo, LeaseKeys};

/// The leases' actions: `leases` opens (or refreshes) the list; `revoke`
/// and `keep-alive` work on its selection.
pub fn on_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    match action {
        Action::Leases => open(state, cmds),
        Action::Revoke => revoke(state),
        Action::KeepAlive => keep_alive(state, cmds),
        Action::Reload if state.leases.is_some() => refresh(state, cmds),
        _ => return false,
    }
    true
}

fn open(state: &mut State, cmds: &mut Vec<Cmd>) {
    state.leases = Some(LeasesView::loading(state.now));
    cmds.push(Cmd::ListLeases);
}

fn refresh(state: &mut State, cmds: &mut Vec<Cmd>) {
    if let Some(v) = state.leases.as_mut() {
        v.loading = true;
        v.asked = state.now;
        cmds.push(Cmd::ListLeases);
    }
}

/// The clock: ask again when a lease ran out or the list is old.
pub fn on_tick(state: &mut State, cmds: &mut Vec<Cmd>) {
    if state.leases.as_ref().is_some_and(|v| v.due(state.now)) {
        refresh(state, cmds);
    }
}

/// `Enter` in a key's Value pane: the leases list, with the key's lease
/// selected once it arrives.
pub fn open_lease(state: &mut State, id: i64, cmds: &mut Vec<Cmd>) {
    open(state, cmds);
    if let Some(v) = state.leases.as_mut() {
        v.want = Some(id);
    }
    state.focus = Pane::Keys;
}

/// The list's answer.
pub fn on_leases(state: &mut State, result: Result<Vec<LeaseInfo>, String>) {
    let now = state.now;
    let page = crate::ui::list_rows(state, Layer::Leases);
    let Some(v) = state.leases.as_mut() else {
        return;
    };
    match result {
        Ok(leases) => {
            let wanted = v.want;
            v.set(leases, now);
            v.offset = list::offset_for(v.selected, v.offset, page);
            if let Some(id) = wanted.filter(|id| v.selected_id() != Some(*id)) {
                state.error(format!("lease {} no longer exists", hex(id)));
            }
        }
        Err(e) => {
            v.loading = false;
            v.error = Some(e);
        }
    }
}

/// A lease was revoked (from here or by `S`): ask again.
pub fn on_revoked(state: &mut State, cmds: &mut Vec<Cmd>) {
    refresh(state, cmds);
}

/// One lease's keys: they become a virtual directory in the Keys pane
/// (find's view, its source the lease: see `find::Source`).
pub fn on_lease_keys(state: &mut State, id: i64, result: Result<Option<LeaseKeys>, String>) {
    let (_, keys) = match result {
        Ok(Some(found)) => found,
        Ok(None) => return state.error(format!("lease {} no longer exists", hex(id))),
        Err(e) => return state.error(format!("cannot read lease {}: {e}", hex(id))),
    };
    let req = state.next_request_id();
    let root = state.tree.node(crate::app::tree::ROOT).full.to_vec();
    let view = FindView::lease(req, id, keys, root, state.now);
    state.find = Some(view);
    state.leases = None;
    state.focus = Pane::Keys;
}

/// A keep-alive's answer.
pub fn on_kept_alive(state: &mut State, id: i64, result: Result<i64, String>) {
    match result {
        Ok(0) => state.error(format!("lease {} no longer exists", hex(id))),
        Ok(ttl) => {
            let now = state.now;
            if let Some(row) = state
                .leases
                .as_mut()
                .and_then(|v| v.rows.iter_mut().find(|r| r.info.id == id))
            {
                row.info.ttl = ttl;
                row.at = now;
            }
            state.info(format!("lease {} kept alive: {ttl} s left", hex(id)));
        }
        Err(e) => state.error(format!("keep-alive of lease {} failed: {e}", hex(id))),
    }
}

/// Moving keys while the list is open. True when it took the action.
pub fn on_pane_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    let page = crate::ui::list_rows(state, Layer::Leases);
    let Some(v) = state.leases.as_mut() else {
        return false;
    };
    if list::move_in(&mut v.selected, &mut v.offset, v.rows.len(), page, action) {
        return true;
    }
    match action {
        Action::Open => {
            if let Some(id) = v.selected_id() {
                cmds.push(Cmd::LeaseKeys { id });
            }
        }
        Action::Back | Action::Close => state.leases = None,
        _ => {}
    }
    true
}

/// `x`: revoke the selected lease after `y`, saying how many keys go.
fn revoke(state: &mut State) {
    let Some(row) = state.leases.as_ref().and_then(|v| v.selected_row()) else {
        return state.info("revoke: open :leases and select a lease");
    };
    let (id, keys) = (row.info.id, row.info.keys);
    if !state.writable("revoking a lease") {
        return;
    }
    let vanish = match keys {
        0 => "it holds no key".to_string(),
        1 => "1 key will be deleted with it".to_string(),
        n => format!("{n} keys will be deleted with it"),
    };
    state.confirm = Some(Confirm {
        question: format!("revoke lease {}: {vanish}? y/N", hex(id)),
        etcdctl: format!("etcdctl lease revoke {}", hex(id)),
        action: ConfirmAction::Run(Cmd::RevokeLease { lease: id }),
    });
}

/// `k`: keep the selected lease alive once.
fn keep_alive(state: &mut State, cmds: &mut Vec<Cmd>) {
    let Some(id) = state.leases.as_ref().and_then(|v| v.selected_id()) else {
        return state.info("keep-alive: open :leases and select a lease");
    };
    if !state.writable("keeping a lease alive") {
        return;
    }
    cmds.push(Cmd::KeepAliveOnce { id });
}
