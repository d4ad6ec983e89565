//! `update(&mut State, Msg) -> Vec<Cmd>`: every state transition, pure.
//! Messages are routed to the feature that owns them; keys become actions
//! through the keymap, and `run_action` routes actions the same way (the
//! `:` command line runs actions through it too).

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::{Action, Mode};
use super::layer::{self, Layer};
use super::msg::{Cmd, Msg};
use super::state::{Pane, State, MESSAGE_TTL};
use super::{
    auth, changes, cluster, command, contexts, dialogs, elections, find, fleet, history, leases,
    maint, metrics, mouse, past, resources, top, transfer, tree, usage, value, watch, writes,
};

pub fn update(state: &mut State, msg: Msg) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    match msg {
        Msg::Input(Event::Key(key)) if key.kind != KeyEventKind::Release => {
            on_key(state, key, &mut cmds)
        }
        Msg::Input(Event::Resize(w, h)) => {
            state.size = (w, h);
            tree::update::scroll_into_view(state);
        }
        Msg::Input(Event::Paste(text)) => on_paste(state, &text),
        Msg::Input(_) => {}
        Msg::Mouse { event, at } => mouse::update::on_mouse(state, event, at, &mut cmds),
        Msg::Tick(now) => {
            state.now = now;
            cluster::update::on_tick(state, &mut cmds);
            leases::update::on_tick(state, &mut cmds);
            top::update::on_tick(state);
            fleet::update::on_tick(state, &mut cmds);
            metrics::update::on_tick(state, &mut cmds);
            if crate::logging::failed() {
                state
                    .file_warnings
                    .entry("log".into())
                    .or_insert_with(|| "the log file cannot be written".into());
            }
            if let Some(m) = &state.message {
                if !m.result && now.duration_since(m.at) > MESSAGE_TTL {
                    state.message = None;
                }
            }
        }
        Msg::Listed {
            dir,
            generation,
            result,
        } => {
            if dir == tree::ROOT {
                watch::update::on_root_listed(state, &result, &mut cmds);
            }
            tree::update::on_listed(state, dir, generation, result, &mut cmds)
        }
        Msg::Value {
            req,
            result,
            revision,
        } => value::update::on_value(state, req, result, revision, &mut cmds),
        Msg::WatchEvents {
            epoch,
            events,
            revision,
            at,
        } => {
            if epoch == state.watch.epoch {
                top::update::on_pane_events(state, &events, revision, at);
                watch::update::on_events(state, events, revision, at);
            }
        }
        Msg::WatchStatus { epoch, status } => {
            if epoch == state.watch.epoch {
                top::update::on_pane_status(state, &status);
                state.watch.status = Some(status);
            }
        }
        Msg::WatchProgress { epoch, revision } => {
            if epoch == state.watch.epoch {
                state.revision = state.revision.max(revision);
            }
        }
        Msg::WatchGap {
            epoch,
            from,
            to,
            compacted,
        } => {
            if epoch == state.watch.epoch {
                top::update::on_pane_gap(state, from, to);
                watch::update::on_gap(state, from, to, compacted, &mut cmds);
                tree::update::rebuild(state, None);
            }
        }
        Msg::DirProbed { dir, full, empty } => {
            if watch::update::on_probe(state, dir, &full, empty) {
                let keep = state.selected_row();
                tree::update::rebuild(state, keep);
            }
        }
        Msg::Frame => {
            watch::update::on_frame(state, &mut cmds);
            resources::update::on_frame(state, &mut cmds);
        }
        Msg::ResourcesListed { dir, result } => {
            resources::update::on_listed(state, dir, result, &mut cmds)
        }
        Msg::ResourceValues { dir, result } => {
            resources::update::on_values(state, dir, result, &mut cmds)
        }
        Msg::Election { name, result } => elections::update::on_snapshot(state, &name, result),
        Msg::ElectionDetected { dir, full } => state.tree.mark_election(dir, &full),
        Msg::LockDetected { dir, full } => state.tree.mark_lock(dir, &full),
        Msg::LeaseRevoked { lease, result } => match result {
            Ok(()) => {
                state.info(format!("lease {lease:x} revoked"));
                state.value_dirty |= state.value.key.is_some();
                leases::update::on_revoked(state, &mut cmds);
            }
            Err(e) => state.error(format!("revoking lease {lease:x} failed: {e}")),
        },
        Msg::WriteDone {
            op,
            key,
            result,
            journal,
        } => {
            history::update::on_write_done(state, op, &key, &result, &mut cmds);
            find::update::on_write_done(state, op, &key, &result);
            writes::update::on_write_done(state, op, key, result);
            if let Err(e) = journal {
                state.journal_failed(e);
            }
        }
        Msg::FileFailed { what, error } => {
            state.file_warnings.insert(what, error);
        }
        Msg::PrefixCount { prefix, count } => writes::update::on_prefix_count(state, prefix, count),
        Msg::FoundDeleted {
            id,
            result,
            journal,
        } => find::update::on_deleted(state, id, result, journal),
        Msg::PrefixDeleted { prefix, result } => {
            writes::update::on_prefix_deleted(state, prefix, result)
        }
        Msg::UndoFound { key, entry } => writes::update::on_undo_found(state, key, entry),
        Msg::EventPrev { seq, result } => match result {
            Ok(prev) => state.events.set_prev(seq, prev),
            Err(e) => state.error(format!("cannot read the previous value: {e}")),
        },
        Msg::Cluster(result) => cluster::update::on_cluster(state, result),
        Msg::History { key, result } => history::update::on_history(state, key, result),
        Msg::RevisionChecked { spec, result } => {
            past::update::on_checked(state, spec, result, &mut cmds)
        }
        Msg::Changes { id, update } => changes::update::on_changes(state, id, update),
        Msg::Maint(msg) => maint::update::on_msg(state, msg, &mut cmds),
        Msg::MetricsSampled(answers) => metrics::update::on_sampled(state, answers),
        Msg::Auth(msg) => auth::update::on_msg(state, msg, &mut cmds),
        Msg::Undeleted {
            prefix,
            result,
            journal,
        } => changes::update::on_undeleted(state, prefix, result, journal),
        Msg::ExternalEdited(result) => writes::update::on_external_edited(state, result, &mut cmds),
        Msg::Signal => quit(state, &mut cmds),
        Msg::Found { id, batch } => find::update::on_found(state, id, batch, &mut cmds),
        Msg::Usage { id, batch } => usage::update::on_usage(state, id, batch),
        Msg::Leases(result) => leases::update::on_leases(state, result),
        Msg::LeaseKeys { id, result } => leases::update::on_lease_keys(state, id, result),
        Msg::LeaseKeptAlive { id, result } => leases::update::on_kept_alive(state, id, result),
        Msg::ExportProgress { keys, bytes } => transfer::update::on_progress(state, keys, bytes),
        Msg::Exported { file, result } => transfer::update::on_exported(state, file, result),
        Msg::Planning { transfer, keys } => transfer::update::on_planning(state, &transfer, keys),
        Msg::Planned { transfer, result } => transfer::update::on_planned(state, transfer, result),
        Msg::Applying { keys } => transfer::update::on_applying(state, keys),
        Msg::Applied(result) => transfer::update::on_applied(state, result),
        Msg::PlanKey { target, result } => transfer::update::on_plan_key(state, target, result),
        Msg::TopWatch { epoch, update } => top::update::on_own_watch(state, epoch, update),
        Msg::FleetProbe { name, result } => fleet::update::on_probe(state, &name, result),
        Msg::ContextSwitched { id, result } => {
            contexts::update::on_switched(state, id, result, &mut cmds)
        }
    }
    // Paging: load the next page of any incomplete directory that is on
    // (or one page below) the screen.
    tree::update::load_visible_pages(state, &mut cmds);
    cmds
}

fn on_paste(state: &mut State, text: &str) {
    if let Some(editor) = state.editor.as_mut() {
        editor.paste(text);
    } else if let Some(prompt) = state.prompt.as_mut() {
        prompt.fields[prompt.active].1.push_str(text);
    } else if let Some(line) = state.command.as_mut() {
        line.text.push_str(text);
    }
}

fn on_key(state: &mut State, key: KeyEvent, cmds: &mut Vec<Cmd>) {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        // Asks first with unsaved text; Ctrl-c on that question quits.
        run_action(state, Action::Quit, cmds);
        return;
    }
    let top = layer::layer(state);
    if top == Layer::Help {
        return on_help_key(state, key, cmds);
    }
    // A long operation's result stays until a key: this one dismisses it
    // (Esc only that; any other key also does what it does).
    if state.showing_result() {
        state.message = None;
        if key.code == KeyCode::Esc && key.modifiers.is_empty() {
            return;
        }
    }
    match top {
        // Text fields and questions take every key while open.
        Layer::Confirm => {
            if let Some(confirm) = state.confirm.take() {
                dialogs::update::answer(state, confirm, key, cmds);
            }
        }
        Layer::Prompt => dialogs::update::on_prompt_key(state, key, cmds),
        Layer::Command => command::update::on_key(state, key, cmds),
        Layer::Filter => tree::update::on_filter_key(state, key, cmds),
        _ => {
            let mode = top.mode();
            match state.keymap.action(mode, &key) {
                Some(action) => {
                    run_action(state, action, cmds);
                }
                None if mode == Mode::Editor => writes::update::on_editor_input(state, key),
                None => {}
            }
        }
    }
}

/// While the help is open: moving keys scroll it, `quit` quits, any other
/// key closes it.
fn on_help_key(state: &mut State, key: KeyEvent, cmds: &mut Vec<Cmd>) {
    let page = state.page_height(Pane::Keys);
    let s = &mut state.help_scroll;
    match state.keymap.action(Mode::Browse, &key) {
        Some(Action::Down) => *s += 1,
        Some(Action::Up) => *s = s.saturating_sub(1),
        Some(Action::PageDown) => *s += page,
        Some(Action::PageUp) => *s = s.saturating_sub(page),
        Some(Action::Top) => *s = 0,
        Some(Action::Bottom) => *s = usize::MAX / 2,
        Some(Action::Quit) => quit(state, cmds),
        _ => state.help = false,
    }
    // The drawing clamps it; keep it near the list's length here too.
    let screen = ratatui::layout::Rect::new(0, 0, state.size.0, state.size.1);
    let lines = crate::ui::help::wrapped(&state.keymap, crate::ui::help::text_width(screen)).len();
    state.help_scroll = state.help_scroll.min(lines);
}

/// What a file opened offline cannot do (no members, no live changes).
pub const OFFLINE_NO_CLUSTER: &str =
    "offline: a file is not a running cluster (no members, status, maintenance, users or live changes)";

/// The actions that ask a running cluster for more than its keys.
fn needs_a_cluster(action: Action) -> bool {
    matches!(
        action,
        Action::Cluster
            | Action::Maint
            | Action::Recover
            | Action::Auth
            | Action::Who
            | Action::HotPrefixes
            | Action::Metrics
    )
}

/// Does `action`, from a key or from the `:` line: the screen's own
/// actions here, then each feature's `on_action` in turn (the first that
/// takes it), then moving, which the focused pane decides. Returns false
/// when nothing took it (a test keeps that from happening).
pub fn run_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    if state.offline.is_some() && needs_a_cluster(action) {
        state.info(OFFLINE_NO_CLUSTER);
        return true;
    }
    match action {
        Action::Quit => quit_asking(state, cmds),
        Action::Help => {
            state.help = true;
            state.help_scroll = 0;
        }
        Action::Command => command::update::open(state),
        Action::NextPane => cycle_focus(state, 1),
        Action::PrevPane => cycle_focus(state, Pane::ALL.len() - 1),
        // Moving: the open views, top first, then the focused pane.
        _ if action.is_moving() => {
            for l in layer::open(state).collect::<Vec<_>>() {
                if layer_moving(state, l, action, cmds) {
                    return true;
                }
            }
        }
        // Other actions: the open views top first, then the closed ones
        // (which take only the action that opens them), then the features
        // that are always there.
        _ => {
            let (open, closed): (Vec<Layer>, Vec<Layer>) =
                layer::PRECEDENCE.iter().partition(|l| l.is_open(state));
            let always = [
                writes::update::on_action,
                tree::update::on_action,
                value::update::on_action,
                watch::update::on_action,
                elections::update::on_action,
            ];
            return open
                .into_iter()
                .chain(closed)
                .any(|l| layer_action(state, l, action, cmds))
                || always
                    .iter()
                    .any(|on_action| on_action(state, action, cmds));
        }
    }
    true
}

/// A layer's own actions (its `on_action`); layers without any take none.
fn layer_action(state: &mut State, layer: Layer, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    let on_action = match layer {
        Layer::Cluster => cluster::update::on_action,
        Layer::Maint => maint::update::on_action,
        Layer::Metrics => metrics::update::on_action,
        Layer::Auth => auth::update::on_action,
        Layer::Contexts => contexts::update::on_action,
        Layer::Top => top::update::on_action,
        Layer::Fleet => fleet::update::on_action,
        Layer::Usage => usage::update::on_action,
        Layer::Leases => leases::update::on_action,
        Layer::Plan => transfer::update::on_action,
        Layer::History => history::update::on_action,
        Layer::Changes => changes::update::on_action,
        Layer::Resources => resources::update::on_action,
        Layer::Find => find::update::on_action,
        Layer::Help
        | Layer::Confirm
        | Layer::Prompt
        | Layer::Command
        | Layer::Filter
        | Layer::Editor
        | Layer::Conflict
        | Layer::Panes => return false,
    };
    on_action(state, action, cmds)
}

/// A moving key in an open layer: the view moves its own list; the panes
/// let the focused pane decide.
fn layer_moving(state: &mut State, layer: Layer, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    match layer {
        // The cluster view takes only `back`; the rest moves what is under it.
        Layer::Cluster => cluster::update::on_action(state, action, cmds),
        Layer::Maint => maint::update::on_pane_action(state, action, cmds),
        Layer::Metrics => metrics::update::on_pane_action(state, action, cmds),
        Layer::Auth => auth::update::on_pane_action(state, action, cmds),
        Layer::Contexts => contexts::update::on_pane_action(state, action, cmds),
        Layer::Top => top::update::on_pane_action(state, action, cmds),
        Layer::Fleet => fleet::update::on_pane_action(state, action, cmds),
        Layer::Usage => usage::update::on_pane_action(state, action, cmds),
        Layer::Leases => leases::update::on_pane_action(state, action, cmds),
        Layer::Plan => transfer::update::on_pane_action(state, action, cmds),
        Layer::History => history::update::on_pane_action(state, action),
        Layer::Changes => changes::update::on_pane_action(state, action, cmds),
        Layer::Resources => resources::update::on_pane_action(state, action, cmds),
        Layer::Find => find::update::on_pane_action(state, action, cmds),
        Layer::Panes => {
            match state.focus {
                Pane::Keys => tree::update::on_pane_action(state, action, cmds),
                Pane::Value => value::update::on_pane_action(state, action, cmds),
                Pane::Events => watch::update::on_pane_action(state, action, cmds),
                Pane::Leader => elections::update::on_pane_action(state, action),
            }
            true
        }
        Layer::Help
        | Layer::Confirm
        | Layer::Prompt
        | Layer::Command
        | Layer::Filter
        | Layer::Editor
        | Layer::Conflict => false,
    }
}

fn cycle_focus(state: &mut State, step: usize) {
    let i = Pane::ALL
        .iter()
        .position(|p| *p == state.focus)
        .unwrap_or(0);
    state.focus = Pane::ALL[(i + step) % Pane::ALL.len()];
}

/// Quits, asking first when the editor (or the conflict view) holds text
/// that was not saved.
fn quit_asking(state: &mut State, cmds: &mut Vec<Cmd>) {
    if !writes::update::ask_before_quit(state) {
        quit(state, cmds);
    }
}

fn quit(state: &mut State, cmds: &mut Vec<Cmd>) {
    state.quit = true;
    cmds.push(Cmd::Quit);
}
