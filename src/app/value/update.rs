//! The Value pane: fetching the selected key's value, its answer, scrolling,
//! copying.

use super::{LoadedValue, ValueStatus};
use crate::app::action::Action;
use crate::app::msg::Cmd;
use crate::app::state::{Pane, State};
use crate::value_doc::{Document, Format, KubeStyle};

/// Shows `key`: fetch it afresh (a new selection).
pub fn fetch(state: &mut State, key: Vec<u8>, cmds: &mut Vec<Cmd>) {
    state.value.status = ValueStatus::Loading;
    state.value.scroll = 0;
    state.value.changed = None;
    refetch(state, key, cmds);
}

/// Fetches the shown key again, keeping what is on screen until the
/// answer comes (no flicker while a key changes often).
pub fn refetch(state: &mut State, key: Vec<u8>, cmds: &mut Vec<Cmd>) {
    let req = state.next_request_id();
    state.value.req = req;
    state.value.key = Some(key.clone());
    cmds.push(match state.tree.at {
        Some(revision) => Cmd::FetchValueAt { req, key, revision },
        None => Cmd::FetchValue { req, key },
    });
}

/// Nothing to show (a directory or nothing is selected).
pub fn clear(state: &mut State) {
    if state.value.key.is_some() {
        state.value.key = None;
        state.value.status = ValueStatus::Empty;
        state.value.req = state.next_request_id();
    }
}

/// The answer to value request `req`.
pub fn on_value(
    state: &mut State,
    req: u64,
    result: Result<Option<LoadedValue>, String>,
    revision: i64,
    cmds: &mut Vec<Cmd>,
) {
    if req != state.value.req {
        return; // superseded by a newer selection
    }
    state.revision = state.revision.max(revision);
    state.value.status = match result {
        Ok(Some(value)) => ValueStatus::Loaded {
            value: Box::new(value),
            fetched_at: state.now,
        },
        Ok(None) => ValueStatus::Missing,
        Err(e) => ValueStatus::Failed(e),
    };
    // Fetched values are formatted as YAML; JSON was asked for.
    restyle(state, cmds);
}

/// Values up to this size are formatted again on the spot; bigger ones off
/// the UI thread.
const FORMAT_INLINE_BYTES: usize = 64 * 1024;

/// Formats the loaded Kubernetes object again when it is not in the asked
/// style.
fn restyle(state: &mut State, cmds: &mut Vec<Cmd>) {
    let style = state.value.kube_style;
    let ValueStatus::Loaded { value, .. } = &mut state.value.status else {
        return;
    };
    if value.doc.format != Format::Kubernetes || value.doc.kube_style == style {
        return;
    }
    if value.record.value.len() <= FORMAT_INLINE_BYTES {
        value.doc = Document::build_as(&value.record.value, style);
        return;
    }
    let record = value.record.clone();
    let req = state.next_request_id();
    state.value.req = req;
    cmds.push(Cmd::FormatValue { req, record, style });
}

/// The value's own actions: `copy`, `k8s-json`.
pub fn on_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    match action {
        Action::Copy => copy(state, cmds),
        Action::KubeJson => {
            state.value.kube_style = match state.value.kube_style {
                KubeStyle::Yaml => KubeStyle::Json,
                KubeStyle::Json => KubeStyle::Yaml,
            };
            state.info(format!(
                "Kubernetes objects are shown as {}",
                match state.value.kube_style {
                    KubeStyle::Yaml => "YAML",
                    KubeStyle::Json => "JSON",
                }
            ));
            restyle(state, cmds);
        }
        _ => return false,
    }
    true
}

/// Moving keys while the Value pane has the focus: scrolling.
pub fn on_pane_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) {
    if action == Action::Open {
        return open_lease(state, cmds);
    }
    // Scrolling counts screen rows (long lines wrap), as drawn.
    let rows = match &state.value.status {
        ValueStatus::Loaded { value, .. } => value.doc.row_count(state.value_text_width()),
        _ => 0,
    };
    let page = state.page_height(Pane::Value);
    let last = rows.saturating_sub(page);
    let s = &mut state.value.scroll;
    *s = (*s).min(last);
    match action {
        Action::Down => *s = (*s + 1).min(last),
        Action::Up => *s = s.saturating_sub(1),
        Action::Top => *s = 0,
        Action::Bottom => *s = last,
        Action::PageDown => *s = (*s + page).min(last),
        Action::PageUp => *s = s.saturating_sub(page),
        Action::Close | Action::Back => state.focus = Pane::Keys,
        _ => {}
    }
}

/// `Enter`: the shown key's lease in the leases list.
fn open_lease(state: &mut State, cmds: &mut Vec<Cmd>) {
    let ValueStatus::Loaded { value, .. } = &state.value.status else {
        return;
    };
    match value.record.lease {
        0 => state.info("this key has no lease"),
        id => crate::app::leases::update::open_lease(state, id, cmds),
    }
}

/// `y`: copy the shown value to the clipboard (OSC 52).
pub fn copy(state: &mut State, cmds: &mut Vec<Cmd>) {
    match &state.value.status {
        ValueStatus::Loaded { value, .. } => {
            // A decoded Kubernetes object is copied as shown (YAML or JSON).
            let (bytes, what) =
                match crate::value_doc::kube_text(&value.record.value, value.doc.kube_style) {
                    Some(text) => (text.into_bytes(), "of the decoded object "),
                    None => (value.record.value.clone(), ""),
                };
            state.info(format!(
                "copied {} bytes {what}to the clipboard (OSC 52)",
                bytes.len()
            ));
            cmds.push(Cmd::Copy(bytes));
        }
        _ => state.info("no value to copy"),
    }
}
