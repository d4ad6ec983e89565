//! The maintenance view: `M`/`:maint` opens and closes it, moving keys
//! select a member, `Esc` closes; `:compact` (a plan, then typed `yes`).

use super::MaintView;
use crate::app::action::Action;
use crate::app::dialogs::{Prompt, Submit};
use crate::app::list;
use crate::app::msg::Cmd;
use crate::app::state::State;
use crate::etcd::revision::RevisionSpec;

/// `maint` toggles the view.
pub fn on_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    if action != Action::Maint {
        return false;
    }
    if state.maint.take().is_none() {
        state.maint = Some(MaintView::default());
        let prefix = state.tree.root_prefix().to_vec();
        cmds.extend(state.cluster.ask(state.now, &prefix));
    }
    true
}

/// Moving keys while the view is open. True when it took the action.
pub fn on_pane_action(state: &mut State, action: Action, _cmds: &mut Vec<Cmd>) -> bool {
    let members = state.cluster.info.as_ref().map_or(0, |i| i.members.len());
    let page = crate::ui::list_rows(state, crate::app::layer::Layer::Maint);
    let Some(v) = state.maint.as_mut() else {
        return false;
    };
    if list::move_in(&mut v.selected, &mut v.offset, members, page, action) {
        return true;
    }
    match action {
        Action::Back | Action::Close => state.maint = None,
        _ => return false,
    }
    true
}

/// `:compact N|-N|now`: the plan (which revisions become unreadable and
/// what that does to `H`, `:rev` and `:changes`, the etcdctl equivalent),
/// then typed `yes`.
pub fn compact(state: &mut State, spec: RevisionSpec) {
    if !state.writable("compacting") {
        return;
    }
    let current = state.revision;
    let target = match spec {
        RevisionSpec::At(n) => n,
        RevisionSpec::Ago(n) => current - n,
        RevisionSpec::Now => current,
    };
    let oldest = state
        .cluster
        .info
        .as_ref()
        .and_then(|i| i.oldest_revision.as_ref().ok().copied());
    if target > current {
        return state.error(format!(
            "compact: rev {target} is past the current revision {current}; nothing sent"
        ));
    }
    if target < 1 {
        return state.error(format!(
            "compact: the cluster is at rev {current}: nothing to keep fewer than that; nothing sent"
        ));
    }
    if oldest.is_some_and(|o| target <= o) {
        return state.info(format!(
            "compact: already compacted at rev {}: nothing older than rev {target} is held; nothing sent",
            oldest.unwrap_or_default()
        ));
    }
    let from = match oldest {
        Some(o) => format!("revisions {o}–{}", target - 1),
        None => format!("every revision before {target} (the compaction point is not known here)"),
    };
    let intro = format!(
        "Compact the history up to rev {target} (the cluster is at rev {current}): {from} can no longer be read, on every member and for every client.\nAfterwards H shows no revision older than {target}, :rev and :changes cannot reach before it, and watches that start before it are cancelled. Current values are kept.\n= etcdctl compact {target} --physical"
    );
    let submit = Submit::Yes {
        info: format!("compacting to rev {target}…"),
        cmds: vec![Cmd::Compact {
            revision: target,
            physical: true,
        }],
        then: None,
    };
    state.prompt = Some(Prompt::yes(
        " Compact ",
        intro,
        format!("compact to rev {target}? type yes"),
        submit,
    ));
}

/// A compaction's answer: said until a key; the members asked again (the
/// compaction point moved).
pub fn on_compacted(
    state: &mut State,
    revision: i64,
    result: Result<(), String>,
    audit: Result<(), String>,
    cmds: &mut Vec<Cmd>,
) {
    if let Err(e) = audit {
        state.file_warnings.insert("audit log".into(), e);
    }
    match result {
        Ok(()) => state.result(format!(
            "compacted at rev {revision}: older revisions can no longer be read"
        )),
        Err(e) => state.result_error(format!("compacting to rev {revision} failed: {e}")),
    }
    let prefix = state.tree.root_prefix().to_vec();
    cmds.extend(state.cluster.ask(state.now, &prefix));
}
