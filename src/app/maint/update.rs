//! The maintenance view: `M`/`:maint` opens and closes it, moving keys
//! select a member, `Esc` closes.

use super::MaintView;
use crate::app::action::Action;
use crate::app::list;
use crate::app::msg::Cmd;
use crate::app::state::State;

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
