//! `:top`: opening on the selected directory, counting the Events pane's
//! events (or those of a watch of its own), sorting, depth, `Enter` to the
//! tree, `Esc` closes (and stops its own watch).

use std::time::Instant;

use super::{covers, Source, TopView, COLUMNS};
use crate::app::action::Action;
use crate::app::layer::Layer;
use crate::app::list;
use crate::app::msg::Cmd;
use crate::app::state::State;
use crate::app::tree;
use crate::etcd::types::{WatchEvent, WatchStatus};
use crate::etcd::watch::WatchUpdate;

/// Deepest depth `+` goes to.
const MAX_DEPTH: usize = 16;

/// `top` opens (or closes) the view; while it is open: sorting and depth.
pub fn on_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    match action {
        Action::HotPrefixes if state.top.is_some() => close(state, cmds),
        Action::HotPrefixes => {
            let prefix = state.tree_dir_full().to_vec();
            open(state, prefix, 1, cmds);
        }
        Action::SortNext | Action::SortBack | Action::Deeper | Action::Shallower
            if state.top.is_none() =>
        {
            state.error(format!(":{} works in :top", action.name()));
        }
        Action::SortNext | Action::SortBack => {
            let now = state.now;
            let v = state.top.as_mut().expect("open");
            let at = COLUMNS.iter().position(|c| *c == v.sort).unwrap_or(0);
            let step = if action == Action::SortNext {
                1
            } else {
                COLUMNS.len() - 1
            };
            v.sort = COLUMNS[(at + step) % COLUMNS.len()];
            v.refresh(now);
        }
        Action::Deeper | Action::Shallower => {
            let v = state.top.as_ref().expect("open");
            let depth = match action {
                Action::Deeper => (v.counter.depth + 1).min(MAX_DEPTH),
                _ => v.counter.depth.saturating_sub(1).max(1),
            };
            if depth != v.counter.depth {
                let prefix = v.counter.prefix.clone();
                close(state, cmds);
                open(state, prefix, depth, cmds);
                state.info(format!("top: depth {depth}, counting afresh"));
            }
        }
        _ => return false,
    }
    true
}

/// Opens the view on `prefix` at `depth`: counted from the Events pane's
/// watch when it covers the prefix, else from a watch of its own.
pub fn open(state: &mut State, prefix: Vec<u8>, depth: usize, cmds: &mut Vec<Cmd>) {
    let pane = &state.watch;
    let source = if pane.started && pane.refused.is_none() && covers(&pane.prefix, &prefix) {
        Source::EventsPane
    } else {
        let epoch = state.next_request_id();
        cmds.push(Cmd::TopWatch {
            epoch,
            prefix: prefix.clone(),
        });
        Source::Own(epoch)
    };
    let delimiter = state.tree.delimiter.clone();
    let mut view = TopView::new(&prefix, &delimiter, depth, source, state.now);
    view.refresh(state.now);
    state.top = Some(view);
}

fn close(state: &mut State, cmds: &mut Vec<Cmd>) {
    if let Some(TopView {
        source: Source::Own(_),
        ..
    }) = state.top.take()
    {
        cmds.push(Cmd::StopTopWatch);
    }
}

/// The Events pane's watch was started again (on another prefix): a view
/// counting its events that it no longer covers starts its own watch.
pub fn on_pane_watch_changed(state: &mut State, cmds: &mut Vec<Cmd>) {
    let uncovered = state.top.as_ref().is_some_and(|v| {
        v.source == Source::EventsPane && !covers(&state.watch.prefix, &v.counter.prefix)
    });
    if !uncovered {
        return;
    }
    let epoch = state.next_request_id();
    let v = state.top.as_mut().expect("open");
    v.source = Source::Own(epoch);
    cmds.push(Cmd::TopWatch {
        epoch,
        prefix: v.counter.prefix.clone(),
    });
}

/// Events of the Events pane's watch (before the log takes them).
pub fn on_pane_events(state: &mut State, events: &[WatchEvent], revision: i64, at: Instant) {
    if let Some(v) = pane_fed(state) {
        v.feed(events, revision, at);
    }
}

/// The Events pane's watch connected or is reconnecting.
pub fn on_pane_status(state: &mut State, status: &WatchStatus) {
    if let Some(v) = pane_fed(state) {
        v.on_status(status);
    }
}

/// The Events pane's watch missed compacted revisions `from..=to`.
pub fn on_pane_gap(state: &mut State, from: i64, to: i64) {
    let now = state.now;
    if let Some(v) = pane_fed(state) {
        v.on_gap(from, to, now);
    }
}

/// The view when it counts the Events pane's events.
fn pane_fed(state: &mut State) -> Option<&mut TopView> {
    state
        .top
        .as_mut()
        .filter(|v| v.source == Source::EventsPane)
}

/// A report of the view's own watch (`epoch`).
pub fn on_own_watch(state: &mut State, epoch: u64, update: WatchUpdate) {
    if let Some(v) = state
        .top
        .as_mut()
        .filter(|v| v.source == Source::Own(epoch))
    {
        if let WatchUpdate::Events {
            events,
            revision,
            at,
        } = &update
        {
            v.feed(events, *revision, *at);
        }
        match &update {
            WatchUpdate::Status(status) => v.on_status(status),
            WatchUpdate::Gap { from, to, .. } => v.on_gap(*from, *to, state.now),
            WatchUpdate::Progress { revision } => state.revision = state.revision.max(*revision),
            WatchUpdate::Events { .. } | WatchUpdate::RecordFailed { .. } => {}
        }
    }
}

/// The clock moved on: the rates are computed again.
pub fn on_tick(state: &mut State) {
    let now = state.now;
    if let Some(v) = state.top.as_mut() {
        v.refresh(now);
    }
}

/// Moving keys while the view is open; `Enter` opens the selected
/// directory in the tree, `Esc` closes.
pub fn on_pane_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    let page = crate::ui::list_rows(state, Layer::Top);
    let Some(v) = state.top.as_mut() else {
        return false;
    };
    if list::move_in(&mut v.selected, &mut v.offset, v.rows.len(), page, action) {
        return true;
    }
    match action {
        Action::Open => {
            if let Some(dir) = v.rows.get(v.selected).map(|r| r.dir.clone()) {
                close(state, cmds);
                tree::update::reveal(state, &dir, cmds);
            }
        }
        Action::Back | Action::Close => close(state, cmds),
        _ => {}
    }
    true
}
