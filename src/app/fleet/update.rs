//! `:fleet`: opening (every context asked), asking again on the tick,
//! answers, moving, `Enter` switches to the selected context as `:ctx NAME`
//! does, `Esc` closes.

use super::FleetView;
use crate::app::action::Action;
use crate::app::contexts;
use crate::app::layer::Layer;
use crate::app::list;
use crate::app::msg::Cmd;
use crate::app::state::State;
use crate::etcd::fleet::Probe;

/// `fleet` opens (or closes) the view.
pub fn on_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    match action {
        Action::Fleet if state.fleet.is_some() => state.fleet = None,
        Action::Fleet => open(state, cmds),
        _ => return false,
    }
    true
}

fn open(state: &mut State, cmds: &mut Vec<Cmd>) {
    if state.contexts.is_empty() {
        return state.error("no contexts in config.toml: :fleet shows the contexts it names");
    }
    state.fleet = Some(FleetView::new(
        state.contexts.iter().map(|c| c.name.clone()),
    ));
    ask(state, cmds);
}

/// Asks every context not being asked already.
fn ask(state: &mut State, cmds: &mut Vec<Cmd>) {
    let now = state.now;
    let Some(v) = state.fleet.as_mut() else {
        return;
    };
    v.asked = Some(now);
    for row in v.rows.iter_mut().filter(|r| !r.asking) {
        row.asking = true;
        let key = state
            .contexts
            .iter()
            .find(|c| c.name == row.name)
            .map(|c| c.prefix.as_bytes().to_vec())
            .unwrap_or_default();
        cmds.push(Cmd::FleetProbe {
            name: row.name.clone(),
            key,
        });
    }
}

/// The clock moved on: every few seconds, every context again.
pub fn on_tick(state: &mut State, cmds: &mut Vec<Cmd>) {
    if state.fleet.as_ref().is_some_and(|v| v.due(state.now)) {
        ask(state, cmds);
    }
}

/// Context `name`'s probe answered.
pub fn on_probe(state: &mut State, name: &str, result: Result<Probe, String>) {
    if let Some(row) = state
        .fleet
        .as_mut()
        .and_then(|v| v.rows.iter_mut().find(|r| r.name == name))
    {
        row.answered(result);
    }
}

/// Moving keys while the view is open; `Enter` switches to the selected
/// context, `Esc` closes.
pub fn on_pane_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    let page = crate::ui::list_rows(state, Layer::Fleet);
    let Some(v) = state.fleet.as_mut() else {
        return false;
    };
    if list::move_in(&mut v.selected, &mut v.offset, v.rows.len(), page, action) {
        return true;
    }
    match action {
        Action::Open => {
            if let Some(name) = v.rows.get(v.selected).map(|r| r.name.clone()) {
                contexts::update::switch(state, &name, cmds);
            }
        }
        Action::Back | Action::Close => state.fleet = None,
        _ => {}
    }
    true
}
