//! The resource table: opening it on the selected directory, its pages and
//! values, moving.

use super::{Loaded, ResourceView, Row};
use crate::app::action::Action;
use crate::app::msg::Cmd;
use crate::app::selection::Selection;
use crate::app::state::{Pane, State};

/// `K` / `:k8s`: open the table on the selected directory (or close it).
pub fn on_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    if action != Action::Resources {
        return false;
    }
    if state.resources.take().is_some() {
        return true;
    }
    let dir = match state.tree_selection() {
        Selection::Dir(n) => state.tree.node(n).full.to_vec(),
        _ => {
            state.info("select a directory (e.g. /registry/pods/) for its resource table");
            return true;
        }
    };
    state.resources = Some(ResourceView::new(dir.clone()));
    cmds.push(Cmd::ListResources { dir, after: None });
    true
}

/// Rows the table shows at once.
fn height(state: &State) -> usize {
    // The table's border, header line and status line.
    (state.size.1 as usize).saturating_sub(4).max(1)
}

/// A page of keys.
pub fn on_listed(
    state: &mut State,
    dir: Vec<u8>,
    result: Result<(Vec<Vec<u8>>, bool), String>,
    cmds: &mut Vec<Cmd>,
) {
    let Some(view) = state.resources.as_mut().filter(|v| v.dir == dir) else {
        return;
    };
    view.listing = false;
    match result {
        Ok((keys, more)) => {
            view.rows
                .extend(keys.into_iter().map(|key| Row { key, value: None }));
            view.more = more;
            view.error = None;
        }
        Err(e) => view.error = Some(e),
    }
    follow(state, cmds);
}

/// Values of a run of rows: (key, value) of those that exist, the wall
/// clock when read.
pub fn on_values(
    state: &mut State,
    dir: Vec<u8>,
    result: Result<super::ReadValues, String>,
    cmds: &mut Vec<Cmd>,
) {
    let Some(view) = state.resources.as_mut().filter(|v| v.dir == dir) else {
        return;
    };
    let Some((first, last)) = view.reading.take() else {
        return;
    };
    match result {
        Ok((kvs, read_at)) => {
            let mut found = kvs.into_iter().peekable();
            let end = (last + 1).min(view.rows.len());
            for row in &mut view.rows[first.min(end)..end] {
                while found.peek().is_some_and(|(k, _)| k < &row.key) {
                    found.next();
                }
                row.value = Some(match found.peek() {
                    Some((k, v)) if *k == row.key => Loaded::Value {
                        size: v.len(),
                        row: crate::k8s::table_row(v),
                        read_at,
                    },
                    _ => Loaded::Gone,
                });
            }
        }
        Err(e) => {
            view.error = Some(e);
            return;
        }
    }
    follow(state, cmds);
}

/// Reads what the screen needs: the next page when the selection nears the
/// end of the listed rows, the values of the rows on screen.
fn follow(state: &mut State, cmds: &mut Vec<Cmd>) {
    let height = height(state);
    let Some(view) = state.resources.as_mut() else {
        return;
    };
    if view.more && !view.listing && view.offset + 2 * height >= view.rows.len() {
        view.listing = true;
        cmds.push(Cmd::ListResources {
            dir: view.dir.clone(),
            after: view.rows.last().map(|r| r.key.clone()),
        });
    }
    if view.reading.is_none() {
        if let Some((first, last)) = view.unread_run(height) {
            view.reading = Some((first, last));
            cmds.push(Cmd::ReadResources {
                dir: view.dir.clone(),
                first: view.rows[first].key.clone(),
                last: view.rows[last].key.clone(),
            });
        }
    }
}

/// Moving keys while the table is open. True when it took the action.
pub fn on_pane_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    let height = height(state);
    let Some(view) = state.resources.as_mut() else {
        return false;
    };
    let last = view.rows.len().saturating_sub(1);
    let s = view.selected;
    view.selected = match action {
        Action::Up => s.saturating_sub(1),
        Action::Down => (s + 1).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        Action::PageUp => s.saturating_sub(height),
        Action::PageDown => (s + height).min(last),
        Action::Back | Action::Close => {
            state.resources = None;
            state.focus = Pane::Keys;
            return true;
        }
        _ => return true,
    };
    if view.selected < view.offset {
        view.offset = view.selected;
    } else if view.selected >= view.offset + height {
        view.offset = view.selected + 1 - height;
    }
    follow(state, cmds);
    true
}

/// The list is rows of keys only: a size change (resize) may show more.
pub fn on_frame(state: &mut State, cmds: &mut Vec<Cmd>) {
    if state.resources.is_some() {
        follow(state, cmds);
    }
}
