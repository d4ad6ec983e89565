//! `:ctx` (the list: moving, `Enter` switches, `Esc` closes), `:ctx NAME`
//! (a switch asked for) and the switch's answer.

use super::{ContextsView, Current, Switched, Switching};
use crate::app::action::Action;
use crate::app::list;
use crate::app::msg::Cmd;
use crate::app::state::State;
use crate::app::tree;
use crate::app::watch::log::EventLog;
use crate::escape::escape_str;

pub fn on_action(state: &mut State, action: Action, _cmds: &mut Vec<Cmd>) -> bool {
    match action {
        Action::Contexts => open(state),
        _ => return false,
    }
    true
}

/// `:ctx`: the list, the context in use selected.
fn open(state: &mut State) {
    if state.contexts.is_empty() {
        return state.info(
            "no contexts: add [contexts.NAME] tables to etcdlens/config.toml (etcdlens contexts shows the file)",
        );
    }
    let current = state.context.as_ref().map(|c| c.name.as_str());
    let selected = state
        .contexts
        .iter()
        .position(|c| Some(c.name.as_str()) == current)
        .unwrap_or(0);
    let page = page(state);
    state.contexts_view = Some(ContextsView {
        selected,
        offset: list::offset_for(selected, 0, page),
    });
}

fn page(state: &State) -> usize {
    crate::ui::list_rows(state, crate::app::layer::Layer::Contexts)
}

/// Moving keys while the list is open; `Enter` switches to the selected
/// context, `Esc` closes. True when it took the action.
pub fn on_pane_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    let page = page(state);
    let len = state.contexts.len();
    let Some(v) = state.contexts_view.as_mut() else {
        return false;
    };
    if list::move_in(&mut v.selected, &mut v.offset, len, page, action) {
        return true;
    }
    match action {
        Action::Open => {
            let name = state.contexts.get(v.selected).map(|c| c.name.clone());
            state.contexts_view = None;
            if let Some(name) = name {
                switch(state, &name, cmds);
            }
        }
        Action::Back | Action::Close => state.contexts_view = None,
        _ => {}
    }
    true
}

/// `:ctx NAME`: asks for a connection to context `name`; the state stays
/// as it is until it is made.
pub fn switch(state: &mut State, name: &str, cmds: &mut Vec<Cmd>) {
    let Some(entry) = state.contexts.iter().find(|c| c.name == name) else {
        return state.error(format!(
            "no context \"{}\" in config.toml (:ctx lists them)",
            escape_str(name)
        ));
    };
    let endpoints = entry.endpoints.clone();
    if let Some(s) = &state.switching {
        return state.error(format!("already connecting to ctx {}", escape_str(&s.name)));
    }
    if state.editor.is_some() || state.conflict.is_some() || state.external.is_some() {
        return state.error("close the editor first: a switch would drop its text");
    }
    if state.export.is_some() || state.plan.as_ref().is_some_and(|p| p.applying.is_some()) {
        return state.error("an export or a plan is running: switch when it is done");
    }
    if let Some(op) = state.maintenance.running {
        return state.error(format!("{} is running: switch when it is done", op.name()));
    }
    let id = state.next_request_id();
    state.switching = Some(Switching {
        id,
        name: name.to_string(),
    });
    state.info(format!(
        "connecting to ctx {} ({})…",
        escape_str(name),
        escape_str(&endpoints)
    ));
    cmds.push(Cmd::SwitchContext {
        id,
        name: name.to_string(),
    });
}

/// The switch's answer. Made: a fresh state for the new context (what the
/// session keeps — keys, theme, size, command history, file warnings — is
/// carried over) and its first listing. Failed: everything stays, one line
/// says why. An answer to another request than the one waited for is
/// dropped.
pub fn on_switched(
    state: &mut State,
    id: u64,
    result: Result<Switched, String>,
    cmds: &mut Vec<Cmd>,
) {
    if state.switching.as_ref().map(|s| s.id) != Some(id) {
        return;
    }
    let Some(Switching { name, .. }) = state.switching.take() else {
        return;
    };
    let s = match result {
        Ok(s) => s,
        Err(e) => {
            let here = match &state.context {
                Some(c) => format!("ctx {}", c.name),
                None => state.endpoints.clone(),
            };
            return state.error(format!(
                "cannot switch to ctx {}: {e} (still on {})",
                escape_str(&name),
                escape_str(&here)
            ));
        }
    };
    let mut next = State::new(&s.prefix, &s.delimiter, s.endpoints.clone(), state.now);
    carry(state, &mut next);
    next.revision = s.revision;
    next.read_only = s.read_only;
    next.metrics_urls = s.metrics_urls;
    next.tls_not_verified = s.tls_not_verified;
    next.info(format!(
        "switched to ctx {} ({}){}",
        escape_str(&s.name),
        escape_str(&s.endpoints),
        if s.read_only { ", read-only" } else { "" }
    ));
    next.context = Some(Current {
        name: s.name,
        color: s.color,
    });
    *state = next;
    cmds.extend(tree::update::start(state));
}

/// What the session keeps across a switch, taken from the state it leaves
/// into the fresh one: the size, keys, theme, command history, file
/// warnings, status-bar warnings, request limit, the context list and the
/// event log's capacity; request ids, listing generations and the watch
/// epoch continue after the old state's. Everything else is the new
/// context's.
pub fn carry(old: &mut State, next: &mut State) {
    next.continue_ids(old);
    next.size = old.size;
    next.keymap = std::mem::take(&mut old.keymap);
    next.theme = old.theme;
    next.command_history = std::mem::take(&mut old.command_history);
    next.file_warnings = std::mem::take(&mut old.file_warnings);
    next.warnings = std::mem::take(&mut old.warnings);
    next.max_request_bytes = old.max_request_bytes;
    next.contexts = std::mem::take(&mut old.contexts);
    next.events = EventLog::new(next.watch.prefix.clone(), old.events.capacity(), next.now);
}
