//! `:rev`: checking the revision asked for, then listing the tree (and
//! fetching the value) again at it, or back at now.

use crate::app::msg::Cmd;
use crate::app::state::State;
use crate::app::tree;
use crate::etcd::revision::{RevisionError, RevisionSpec};

/// `:rev N|-N|now`: ask etcd whether it still holds that revision (probed
/// at the prefix browsed, which the user may read).
pub fn go(state: &State, spec: RevisionSpec, cmds: &mut Vec<Cmd>) {
    cmds.push(Cmd::CheckRevision {
        spec,
        prefix: state.tree.root_prefix().to_vec(),
    });
}

/// The answer: go there (nothing changes when etcd cannot read it).
pub fn on_checked(
    state: &mut State,
    spec: RevisionSpec,
    result: Result<(i64, i64), RevisionError>,
    cmds: &mut Vec<Cmd>,
) {
    let (revision, current) = match result {
        Ok(r) => r,
        Err(e) => return state.error(super::describe(&e)),
    };
    state.revision = state.revision.max(current);
    let at = (spec != RevisionSpec::Now).then_some(revision);
    if at == state.tree.at {
        return state.info(match at {
            Some(r) => format!("already at rev {r}"),
            None => "already at now".to_string(),
        });
    }
    state.tree.set_revision(at);
    state.value.changed = None;
    tree::update::relist(state, cmds);
    tree::update::rebuild(state, None);
    state.info(match at {
        Some(r) => format!("the keys as they were at rev {r}; :rev now comes back"),
        None => format!("back to now (rev {current})"),
    });
}
