//! `:export FILE`: exports the selected directory (the tree's root when
//! nothing is selected) in the background, progress in the status bar.
//! `:import FILE`, `:copy DEST`, `:move DEST`: the plan made in a task and
//! shown, `a` then `yes` applies it, progress and the summary.

use super::{ExportJob, PlanView};
use crate::app::action::Action;
use crate::app::dialogs::{Prompt, Submit};
use crate::app::list;
use crate::app::msg::Cmd;
use crate::app::selection::Selection;
use crate::app::State;
use crate::escape::{escape_bytes, escape_str};
use crate::transfer::export::Exported;
use crate::transfer::{Plan, Source, Summary, Transfer};
use crate::value_doc::line_diff;

pub fn export(state: &mut State, file: String, cmds: &mut Vec<Cmd>) {
    if let Some(job) = &state.export {
        let line = format!("one export at a time: {}", job.progress_line());
        return state.info(line);
    }
    let on_root = state
        .selected_row()
        .is_none_or(|r| r.node == crate::app::tree::ROOT);
    let root_denied = state
        .tree
        .dir(crate::app::tree::ROOT)
        .is_some_and(|d| d.listing.denied());
    if on_root && root_denied {
        return state.error(crate::app::watch::ROOT_REFUSED.to_string());
    }
    let prefix = match state.tree_selection() {
        Selection::None => state.tree.node(crate::app::tree::ROOT).full.to_vec(),
        Selection::Dir(n) => state.tree.node(n).full.to_vec(),
        _ => return state.info("select a directory to export everything under it"),
    };
    let job = ExportJob {
        prefix: prefix.clone(),
        file: file.clone(),
        keys: 0,
        bytes: 0,
    };
    state.info(job.progress_line());
    state.export = Some(job);
    cmds.push(Cmd::Export { prefix, file });
}

pub fn on_progress(state: &mut State, keys: u64, bytes: u64) {
    if let Some(job) = state.export.as_mut() {
        job.keys = keys;
        job.bytes = bytes;
        let line = job.progress_line();
        state.info(line);
    }
}

pub fn on_exported(state: &mut State, file: String, result: Result<Exported, String>) {
    let prefix = state.export.take().map(|j| j.prefix).unwrap_or_default();
    match result {
        Ok(done) => state.result(format!(
            "exported {} keys under {} at revision {} to {}{}",
            done.keys,
            escape_bytes(&prefix),
            done.revision,
            escape_str(&file),
            done.skipped.map(|s| format!(" ({s})")).unwrap_or_default()
        )),
        Err(e) => state.result_error(format!(
            "export of {} to {} failed: {e} (no file written)",
            escape_bytes(&prefix),
            escape_str(&file)
        )),
    }
}

/// `:import FILE`: the file's keys under its own prefix, through a plan.
pub fn import(state: &mut State, file: String, cmds: &mut Vec<Cmd>) {
    if crate::transfer::is_stdin(std::path::Path::new(file.trim())) {
        return state.error(
            "import - reads standard input: from the command line only (etcdlens import - --to PREFIX < FILE)",
        );
    }
    let what = format!("import {}", escape_str(&file));
    let transfer = Transfer {
        source: Source::File(file.into()),
        to: None,
        moving: false,
        to_context: None,
    };
    open(state, transfer, what, cmds);
}

/// `:copy DEST` / `:move DEST`: the selected directory to `dest`, through
/// a plan.
pub fn copy(state: &mut State, dest: String, moving: bool, cmds: &mut Vec<Cmd>) {
    let verb = if moving { "move" } else { "copy" };
    let from = match state.tree_selection() {
        Selection::Dir(n) => state.tree.node(n).full.to_vec(),
        _ => Vec::new(),
    };
    if from.is_empty() {
        return state.info(format!("select a directory to {verb} everything under it"));
    }
    let (to_context, to) = match parse_dest(&dest) {
        // Another context: the same prefix there unless one is given.
        (Some(ctx), None) => (Some(ctx), from.clone()),
        (ctx, Some(prefix)) => (ctx, prefix.as_bytes().to_vec()),
        (None, None) => return state.info(format!("{verb} needs a DEST prefix")),
    };
    let what = match &to_context {
        Some(ctx) => format!(
            "{verb} {} → ctx {} {}",
            escape_bytes(&from),
            escape_str(ctx),
            escape_bytes(&to)
        ),
        None => format!("{verb} {} → {}", escape_bytes(&from), escape_bytes(&to)),
    };
    let transfer = Transfer {
        source: Source::Prefix(from),
        to: Some(to),
        moving,
        to_context,
    };
    if let Err(e) = transfer.check() {
        return state.error(e);
    }
    open(state, transfer, what, cmds);
}

/// `ctx:NAME /prefix/`, `ctx:NAME` or `/prefix/`: (context, prefix).
pub fn parse_dest(dest: &str) -> (Option<String>, Option<&str>) {
    let dest = dest.trim();
    match dest.strip_prefix("ctx:") {
        Some(rest) => {
            let (name, prefix) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            let prefix = prefix.trim();
            (
                Some(name.to_string()),
                (!prefix.is_empty()).then_some(prefix),
            )
        }
        None => (None, (!dest.is_empty()).then_some(dest)),
    }
}

/// Whether the transfer's writes may go where they go: the connected
/// cluster (`writable`), or another context's (its own read-only, and
/// `--read-only`, which every context carries).
fn target_writable(state: &mut State, transfer: &Transfer, what: &str) -> bool {
    let Some(ctx) = &transfer.to_context else {
        return state.writable(what);
    };
    match state.contexts.iter().find(|c| &c.name == ctx) {
        None => {
            state.error(format!(
                "no context \"{}\" in config.toml (:ctx lists them)",
                escape_str(ctx)
            ));
            false
        }
        Some(c) if c.read_only => {
            state.error(format!(
                "ctx {} is read-only: {what} refused; nothing was sent",
                escape_str(ctx)
            ));
            false
        }
        Some(_) => true,
    }
}

fn open(state: &mut State, transfer: Transfer, what: String, cmds: &mut Vec<Cmd>) {
    if !target_writable(state, &transfer, &what) {
        return;
    }
    if let Some(view) = &state.plan {
        if view.applying.is_some() {
            return state.info(format!("{} is being applied: wait for it", view.what));
        }
    }
    state.info(format!("planning {what}…"));
    state.plan = Some(PlanView::new(transfer.clone(), what));
    let options = crate::transfer::PlanOptions {
        max_request_bytes: state.max_request_bytes,
        delimiter: state.tree.delimiter.clone(),
    };
    cmds.push(Cmd::Plan { transfer, options });
}

/// Source keys planned so far.
pub fn on_planning(state: &mut State, transfer: &Transfer, keys: u64) {
    if let Some(view) = state.plan.as_mut().filter(|v| v.transfer == *transfer) {
        view.planned = keys;
    }
}

pub fn on_planned(state: &mut State, transfer: Transfer, result: Result<Plan, String>) {
    let Some(view) = state.plan.as_mut().filter(|v| v.transfer == transfer) else {
        return;
    };
    match result {
        Ok(plan) => {
            let line = format!("plan: {}: {}", view.what, plan.summary());
            let warnings: String = plan
                .warnings
                .iter()
                .map(|w| format!(" · warning: {w}"))
                .collect();
            view.set_plan(plan);
            if view.has_work() && !warnings.is_empty() {
                state.error(format!(
                    "{line}{warnings} · a applies it anyway (type yes), Esc closes"
                ));
            } else if view.has_work() {
                state.info(format!("{line} · a applies (type yes), Esc closes"));
            } else {
                state.info(format!("{line}: nothing to do"));
            }
        }
        Err(e) => {
            let line = format!("cannot plan {}: {e}", view.what);
            view.error = Some(e);
            state.error(line);
        }
    }
}

/// `a` in the plan view: ask for `yes`, then apply.
pub fn ask_apply(state: &mut State) {
    let Some(view) = state.plan.as_ref() else {
        return state.info("apply: make a plan first (:import FILE, :copy DEST, :move DEST)");
    };
    if view.applying.is_some() || view.summary.is_some() {
        return state.info(format!("{} was applied already", view.what));
    }
    let Some(plan) = view.plan.as_ref() else {
        return state.info(format!("{}: the plan is not ready yet", view.what));
    };
    if !view.has_work() {
        return state.info("nothing to do: every key is already as in the source");
    }
    let warnings: String = plan
        .warnings
        .iter()
        .map(|w| format!(" (warning: {w})"))
        .collect();
    let label = format!("{}: {}{warnings}? type yes", view.what, plan.summary());
    let transfer = view.transfer.clone();
    if !target_writable(state, &transfer, "applying a plan") {
        return;
    }
    let intro = "Each key is written only if it is still as the plan saw it (transactions of at most 128); the others are skipped and counted.";
    let submit = Submit::Yes {
        info: String::new(),
        cmds: Vec::new(),
        then: Some(apply),
    };
    state.prompt = Some(Prompt::yes(" Apply the plan ", intro.into(), label, submit));
}

/// `yes` typed (the prompt of [`ask_apply`] carries this): the writes
/// start.
pub fn apply(state: &mut State, cmds: &mut Vec<Cmd>) {
    let max_request_bytes = state.max_request_bytes;
    let Some(view) = state.plan.as_mut() else {
        return;
    };
    let Some(plan) = view.plan.clone() else {
        return;
    };
    view.applying = Some(0);
    // A diff read before is stale once writes start.
    view.diff = None;
    let line = format!("applying {}…", view.what);
    cmds.push(Cmd::ApplyPlan {
        transfer: view.transfer.clone(),
        plan: Box::new(plan),
        max_request_bytes,
    });
    state.info(line);
}

pub fn on_applying(state: &mut State, keys: u64) {
    if let Some(view) = state.plan.as_mut().filter(|v| v.applying.is_some()) {
        view.applying = Some(keys);
        let total = view.plan.as_ref().map_or(0, |p| p.entries.len());
        let line = format!("applying {}: {keys} of {total} keys", view.what);
        state.info(line);
    }
}

pub fn on_applied(state: &mut State, result: Result<Summary, String>) {
    let Some(view) = state.plan.as_mut() else {
        return;
    };
    view.applying = None;
    match result {
        Ok(mut summary) => {
            // Sorted once here, looked up per row on screen when drawing.
            summary.skipped.sort_unstable();
            let line = format!("{}: {}", view.what, summary.line());
            let journal = summary.journal_error.clone();
            view.summary = Some(summary);
            state.result(line);
            if let Some(e) = journal {
                state.journal_failed(e);
            }
            // What the tree shows may have changed.
            state.value_dirty |= state.value.key.is_some();
        }
        Err(e) => {
            let line = format!("{} failed: {e}", view.what);
            view.error = Some(e);
            state.result_error(line);
        }
    }
}

/// Moving keys while the plan is shown; `open` reads the selected key's
/// diff, `back` closes the diff, then the view (not while applying). True
/// when it took the action.
pub fn on_pane_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    let page = crate::ui::list_rows(state, crate::app::layer::Layer::Plan);
    let Some(view) = state.plan.as_mut() else {
        return false;
    };
    if list::move_in(
        &mut view.selected,
        &mut view.offset,
        view.changed.len(),
        page,
        action,
    ) {
        return true;
    }
    if action == Action::Open {
        let entry = view
            .plan
            .as_ref()
            .zip(view.changed.get(view.selected))
            .map(|(plan, &i)| (plan.origin(), plan.entries[i].target.clone()));
        if let Some((plan, target)) = entry {
            view.diff = Some((target.clone(), None));
            cmds.push(Cmd::PlanKey {
                source: view.transfer.source.clone(),
                plan,
                target,
                to_context: view.transfer.to_context.clone(),
            });
        }
    } else if matches!(action, Action::Back | Action::Close) && view.diff.is_some() {
        view.diff = None;
    } else if matches!(action, Action::Back | Action::Close) {
        if view.applying.is_some() {
            state.info("the plan is being applied: it closes when done");
        } else {
            state.plan = None;
        }
    }
    true
}

/// The plan view's own actions.
pub fn on_action(state: &mut State, action: Action, _cmds: &mut Vec<Cmd>) -> bool {
    match action {
        Action::ApplyPlan => ask_apply(state),
        _ => return false,
    }
    true
}

/// The opened key's values: its diff, target now → source.
pub fn on_plan_key(
    state: &mut State,
    target: Vec<u8>,
    result: Result<(Option<Vec<u8>>, Vec<u8>), String>,
) {
    let Some(view) = state.plan.as_mut() else {
        return;
    };
    if let Some((_, diff)) = view.diff.as_mut().filter(|(k, _)| *k == target) {
        *diff = Some(result.map(|(old, new)| line_diff(old.as_deref().unwrap_or_default(), &new)));
    }
}
