//! Every write path: edit and save, conflicts, create, delete, delete a
//! prefix, undo, external editor, copy. Writes are refused up front in
//! `--read-only` mode and when a value is over etcd's request limit; every
//! one is a guarded transaction (see `etcd::write`) and is shown as the
//! equivalent etcdctl command before it runs.

use crossterm::event::KeyEvent;

use crate::app::action::Action;
use crate::app::selection::Selection;

use super::editor::{is_json, reformat, EditContext, Editor};
use super::{conflict_reason, Conflict};
use crate::app::dialogs::{unjournaled, Confirm, ConfirmAction, Prompt, Submit};
use crate::app::msg::{Cmd, PrefixDeleted, WriteOp};
use crate::app::state::State;
use crate::app::value::ValueStatus;
use crate::escape::escape_bytes;
use crate::etcd::types::{Expect, ValueRecord, WriteOutcome};
use crate::journal::Entry;
use crate::ui::keys::thousands;

/// The write actions, the editor's and the conflict view's.
pub fn on_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    match action {
        Action::Edit => start_edit(state),
        Action::EditExternal => start_external_edit(state, cmds),
        Action::NewKey => new_key(state),
        Action::Delete => delete_key(state),
        Action::DeletePrefix => delete_prefix(state, cmds),
        Action::Undo => undo(state, cmds),
        Action::Save | Action::SaveInvalid | Action::Reformat | Action::Cancel => {
            on_editor_action(state, action, cmds)
        }
        Action::Overwrite | Action::Reopen | Action::Drop => {
            on_conflict_action(state, action, cmds)
        }
        _ => return false,
    }
    true
}

/// The shown value when it belongs to the selected key row.
fn selected_value(state: &State) -> Option<&ValueRecord> {
    let key = state.selected_key()?;
    match &state.value.status {
        ValueStatus::Loaded { value, .. } if value.record.key.as_slice() == key => {
            Some(&value.record)
        }
        _ => None,
    }
}

/// Editing `record` from `original` text, guarded on its revision.
fn context_of(
    record: &ValueRecord,
    original: String,
    kube: Option<crate::k8s::Editable>,
) -> EditContext {
    EditContext {
        key: record.key.clone(),
        expect: Expect::ModRevision(record.mod_revision),
        lease: record.lease,
        ttl: None,
        prev: Some(record.value.clone()),
        json: kube.is_none() && is_json(&original),
        original,
        kube,
    }
}

fn edit_context(record: &ValueRecord) -> Result<EditContext, String> {
    let text = std::str::from_utf8(&record.value)
        .map_err(|_| "this value is not UTF-8 text: it cannot be edited as text".to_string())?;
    Ok(context_of(record, text.to_string(), None))
}

/// A Kubernetes object edited as YAML: only when encoding it back
/// unchanged gives exactly the stored bytes.
fn kube_edit_context(record: &ValueRecord) -> Result<EditContext, String> {
    let k = crate::k8s::editable(&record.value).map_err(|why| {
        format!("cannot edit this Kubernetes object as YAML: {why}; E edits the raw bytes")
    })?;
    Ok(context_of(record, k.text.clone(), Some(k)))
}

/// How a value is edited: a Kubernetes object (`k8s\0…`) as YAML with
/// `e`, anything else (and `E`) as its own text.
fn context_for(record: &ValueRecord, yaml: bool) -> Result<EditContext, String> {
    if yaml && record.value.starts_with(crate::k8s::MAGIC) {
        kube_edit_context(record)
    } else {
        edit_context(record)
    }
}

/// What editing the selected value starts from, or `None` (and a message)
/// when it cannot be edited. `yaml`: a Kubernetes object as YAML.
fn edit_target(state: &mut State, yaml: bool) -> Option<EditContext> {
    if !state.writable("editing") {
        return None;
    }
    let Some(record) = selected_value(state) else {
        state.info("select a key whose value is shown to edit it");
        return None;
    };
    match context_for(record, yaml) {
        Ok(ctx) => Some(ctx),
        Err(e) => {
            let key = record.key.clone();
            state.error_about(&key, e);
            None
        }
    }
}

/// `e`: edit the selected value in place.
pub fn start_edit(state: &mut State) {
    if let Some(ctx) = edit_target(state, true) {
        if let Err(e) = super::editor::fits_inline(&ctx.original) {
            return state.error(e);
        }
        let text = ctx.original.clone();
        state.editor = Some(Editor::new(ctx, &text));
    }
}

/// `E`: edit in `$VISUAL`/`$EDITOR` (the loop suspends the screen).
pub fn start_external_edit(state: &mut State, cmds: &mut Vec<Cmd>) {
    if let Some(ctx) = edit_target(state, false) {
        cmds.push(Cmd::ExternalEdit {
            text: ctx.original.clone(),
        });
        state.external = Some(ctx);
    }
}

/// The external editor returned.
pub fn on_external_edited(state: &mut State, result: Result<String, String>, cmds: &mut Vec<Cmd>) {
    let Some(ctx) = state.external.take() else {
        return;
    };
    let text = match result {
        Ok(t) => t,
        Err(e) => return state.error(format!("external editor: {e}")),
    };
    if text == ctx.original {
        return state.info("no change: nothing was written");
    }
    let mut editor = Editor::new(ctx, &text);
    // Invalid JSON or too big: show it in the inline editor, with the error.
    if editor.json_error.is_some()
        || editor
            .ctx
            .over_limit(&text, state.max_request_bytes)
            .is_some()
    {
        save(state_with_editor(state, editor), false, cmds);
        return;
    }
    editor.saving = true;
    cmds.push(save_cmd(&editor.ctx, text.into_bytes()));
    state.editor = Some(editor);
}

fn state_with_editor(state: &mut State, editor: Editor) -> &mut State {
    state.editor = Some(editor);
    state
}

fn save_cmd(ctx: &EditContext, value: Vec<u8>) -> Cmd {
    Cmd::Save {
        op: WriteOp::Save,
        key: ctx.key.clone(),
        value,
        expect: ctx.expect,
        lease: ctx.lease,
        ttl: ctx.ttl,
        prev: ctx.prev.clone(),
    }
}

/// The editor's own actions (`save`, `save-invalid`, `reformat`, `cancel`).
pub fn on_editor_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) {
    let Some(editor) = state.editor.as_mut() else {
        return state.info(format!("{}: no editor is open", action.name()));
    };
    if editor.saving {
        return; // the text being saved stays as it is until the answer
    }
    match action {
        Action::Save => save(state, false, cmds),
        Action::SaveInvalid => save(state, true, cmds),
        Action::Reformat => match reformat(&editor.text()) {
            Some(t) => editor.set_text(&t),
            None => {
                let why = super::editor::reformat_refusal(&editor.text());
                state.error(why)
            }
        },
        Action::Cancel if editor.modified() => {
            state.confirm = Some(Confirm {
                question: "discard your changes? y/N".into(),
                etcdctl: "nothing is written".into(),
                action: ConfirmAction::Then(discard_edit),
            });
        }
        Action::Cancel => state.editor = None,
        _ => {}
    }
}

/// `y` to "discard your changes?": the editor closes, its text dropped.
fn discard_edit(state: &mut State, _: &mut Vec<Cmd>) {
    state.editor = None;
    state.info("changes discarded; nothing was written");
}

/// A key the editor's actions do not take: typing.
pub fn on_editor_input(state: &mut State, key: KeyEvent) {
    if let Some(editor) = state.editor.as_mut().filter(|e| !e.saving) {
        editor.input(key);
    }
}

/// Ctrl-c: with unsaved text in the editor (or a conflict under review),
/// asks the same question as Esc before quitting. True when it asked.
/// Ctrl-c on that question quits.
pub fn ask_before_quit(state: &mut State) -> bool {
    let asked = state
        .confirm
        .as_ref()
        .is_some_and(|c| matches!(c.action, ConfirmAction::Quit));
    let unsaved = state.editor.as_ref().is_some_and(|e| e.modified()) || state.conflict.is_some();
    if asked || !unsaved {
        return false;
    }
    state.confirm = Some(Confirm {
        question: "discard your changes and quit? y/N".into(),
        etcdctl: "nothing is written".into(),
        action: ConfirmAction::Quit,
    });
    true
}

fn save(state: &mut State, force: bool, cmds: &mut Vec<Cmd>) {
    let Some(editor) = state.editor.as_mut() else {
        return;
    };
    if editor.saving {
        return;
    }
    let text = editor.text();
    if !editor.modified() && editor.ctx.expect != Expect::Absent {
        state.editor = None;
        return state.info("no change: nothing was written");
    }
    if let Some(e) = editor.json_error.clone().filter(|_| !force) {
        let key = state.keymap.label(Action::SaveInvalid);
        return state.error(format!(
            "invalid JSON ({e}): not saved; {key} saves it anyway"
        ));
    }
    let limit = state.max_request_bytes;
    if let Some(size) = editor.ctx.over_limit(&text, limit) {
        let default = if limit == super::editor::DEFAULT_MAX_REQUEST_BYTES {
            "etcd's default"
        } else {
            "--max-request-bytes"
        };
        return state.error(format!(
            "{size} bytes is over the request limit of {limit} bytes ({default}): not sent; your text stays here. If the server allows more, start etcdlens with --max-request-bytes N"
        ));
    }
    let value = match editor.ctx.value_of(&text) {
        Ok(v) => v,
        Err(e) => return state.error(format!("not saved: {e}; your text stays in the editor")),
    };
    editor.saving = true;
    cmds.push(save_cmd(&editor.ctx, value));
}

/// A write finished.
pub fn on_write_done(
    state: &mut State,
    op: WriteOp,
    key: Vec<u8>,
    result: Result<WriteOutcome, String>,
) {
    let shown = escape_bytes(&key);
    match result {
        Ok(WriteOutcome::Done { revision }) => {
            if state.editor.as_ref().is_some_and(|e| e.ctx.key == key) {
                state.editor = None;
            }
            if state.conflict.as_ref().is_some_and(|c| c.ctx.key == key) {
                state.conflict = None;
            }
            let verb = match op {
                WriteOp::Save => "saved",
                WriteOp::Delete => "deleted",
                WriteOp::Undo | WriteOp::Restore => "restored",
            };
            state.info(format!("{verb} {shown} at rev {revision}"));
            if state.value.key.as_deref() == Some(key.as_slice()) {
                state.value_dirty = true;
            }
        }
        Ok(WriteOutcome::Conflict { current }) => {
            let creating = state
                .editor
                .as_ref()
                .is_some_and(|e| e.ctx.key == key && e.ctx.expect == Expect::Absent);
            let now = conflict_reason(current.as_ref(), creating);
            if let Some(editor) = state.editor.take().filter(|e| e.ctx.key == key) {
                state.error(format!("not saved: {now}; review both versions"));
                let mine = editor.text();
                state.conflict = Some(Conflict::new(editor.ctx, mine, current));
            } else if let Some(conflict) = state.conflict.as_mut().filter(|c| c.ctx.key == key) {
                conflict.set_current(current);
                state.error(format!(
                    "still not saved: {now} again; review both versions"
                ));
            } else {
                state.error(format!("{shown} not written: {now}; nothing was changed"));
            }
            if state.value.key.as_deref() == Some(key.as_slice()) {
                state.value_dirty = true;
            }
        }
        Err(e) => {
            // A timeout did not fail: it may still apply.
            let failed = if e == crate::etcd::WRITE_TIMED_OUT {
                "save"
            } else {
                "save failed:"
            };
            if let Some(editor) = state.editor.as_mut().filter(|e| e.ctx.key == key) {
                editor.saving = false;
                state.error(format!("{failed} {e}; your text is still in the editor"));
            } else if let Some(conflict) = state.conflict.as_mut().filter(|c| c.ctx.key == key) {
                conflict.saving = false;
                state.error(format!("{failed} {e}"));
            } else {
                state.error(format!("{shown}: {e}"));
            }
        }
    }
}

/// The conflict view's actions: `overwrite` (guarded again), `reopen` the
/// editor on the current value with your text aside, `drop` your text.
pub fn on_conflict_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) {
    let Some(conflict) = state.conflict.as_mut() else {
        return state.info(format!(
            "{}: there is no conflict to resolve",
            action.name()
        ));
    };
    if conflict.saving {
        return;
    }
    match action {
        Action::Overwrite => {
            let mut ctx = conflict.ctx.clone();
            match &conflict.current {
                Some(r) => {
                    ctx.expect = Expect::ModRevision(r.mod_revision);
                    ctx.lease = r.lease;
                    ctx.prev = Some(r.value.clone());
                }
                None => {
                    ctx.expect = Expect::Absent;
                    ctx.prev = None;
                }
            }
            let value = match ctx.value_of(&conflict.mine) {
                Ok(v) => v,
                Err(e) => return state.error(format!("not written: {e}")),
            };
            conflict.saving = true;
            cmds.push(save_cmd(&ctx, value));
            conflict.ctx = ctx;
        }
        Action::Reopen => {
            let Some(conflict) = state.conflict.take() else {
                return;
            };
            let (ctx, text) = match &conflict.current {
                Some(r) => match context_for(r, conflict.ctx.kube.is_some()) {
                    Ok(ctx) => {
                        let t = ctx.original.clone();
                        (ctx, t)
                    }
                    Err(e) => return state.error(e),
                },
                None => {
                    let mut ctx = conflict.ctx.clone();
                    ctx.expect = Expect::Absent;
                    ctx.prev = None;
                    ctx.original = String::new();
                    (ctx, conflict.mine.clone())
                }
            };
            let mut editor = Editor::new(ctx, &text);
            editor.scratch = Some(conflict.mine);
            state.editor = Some(editor);
        }
        Action::Drop => {
            state.conflict = None;
            state.info("your text was dropped; nothing was written");
        }
        _ => {}
    }
}

/// At most this many deleted values are journaled at once (as a prefix
/// delete does).
pub const JOURNAL_KEYS: i64 = crate::journal::MAX_BULK_KEYS;

/// `d`: delete the selected key (after `y`), guarded on the shown revision.
pub fn delete_key(state: &mut State) {
    if !state.writable("deleting") {
        return;
    }
    let Some(record) = selected_value(state) else {
        state.info("select a key whose value is shown to delete it");
        return;
    };
    let shown = escape_bytes(&record.key);
    state.confirm = Some(Confirm {
        question: format!("delete {shown} (rev {})? y/N", record.mod_revision),
        etcdctl: crate::escape::etcdctl_line("del", &record.key, ""),
        action: ConfirmAction::Run(Cmd::Delete {
            op: WriteOp::Delete,
            key: record.key.clone(),
            expect: Expect::ModRevision(record.mod_revision),
            prev: Some(record.value.clone()),
            lease: record.lease,
        }),
    });
}

/// `D`: count the selected directory's keys, then ask for `yes`.
pub fn delete_prefix(state: &mut State, cmds: &mut Vec<Cmd>) {
    if !state.writable("deleting a prefix") {
        return;
    }
    let dir = match state.tree_selection() {
        Selection::Dir(n) | Selection::More(n) => state.tree.node(n).full.to_vec(),
        Selection::None => return,
        _ => Vec::new(),
    };
    if dir.is_empty() {
        return state.info("select a directory to delete everything under it");
    }
    cmds.push(Cmd::CountPrefix { prefix: dir });
}

pub fn on_prefix_count(state: &mut State, prefix: Vec<u8>, count: Result<i64, String>) {
    match count {
        Ok(count) => {
            let shown = escape_bytes(&prefix);
            let intro = format!(
                "Delete {} keys under {shown} in one transaction?{}\n= {}",
                thousands(count.max(0) as u64),
                unjournaled(count),
                crate::escape::etcdctl_line("del --prefix", &prefix, "")
            );
            let submit = Submit::Yes {
                info: format!("deleting {count} keys under {shown}…"),
                cmds: vec![Cmd::DeletePrefix { prefix }],
                then: None,
            };
            state.prompt = Some(Prompt::yes(
                " Delete a prefix ",
                intro,
                "type yes to delete them all".into(),
                submit,
            ));
        }
        Err(e) => state.error(format!("cannot count the keys: {e}")),
    }
}

pub fn on_prefix_deleted(
    state: &mut State,
    prefix: Vec<u8>,
    result: Result<PrefixDeleted, String>,
) {
    let shown = escape_bytes(&prefix);
    match result {
        Ok(PrefixDeleted {
            deleted,
            revision,
            journaled,
            journal,
        }) => {
            let note = if !journaled && deleted > 0 {
                " (too many to journal: u cannot restore them)"
            } else {
                ""
            };
            state.result(format!(
                "deleted {deleted} keys under {shown} at rev {revision}{note}"
            ));
            if let Err(e) = journal {
                state.journal_failed(e);
            }
            state.value_dirty |= state.value.key.is_some();
        }
        Err(e) => state.result_error(format!("deleting {shown} failed: {e}")),
    }
}

/// `n`: a new key under the selected directory.
pub fn new_key(state: &mut State) {
    if !state.writable("creating a key") {
        return;
    }
    let prefix = String::from_utf8_lossy(state.tree_dir_full()).into_owned();
    let mut prompt = Prompt::form(
        " New key ",
        "Enter opens the editor for its value; it is created only if it does not exist.".into(),
        vec!["key".into(), "TTL seconds (empty: no lease)".into()],
        Submit::Form(create_key),
    );
    prompt.fields[0].1 = prefix;
    state.prompt = Some(prompt);
}

/// `Enter` on the new key's form (key, TTL): the editor opens on the new
/// key, or the form stays open with what is wrong.
fn create_key(state: &mut State, fields: &[String], _cmds: &mut Vec<Cmd>) -> Result<(), String> {
    let [key, ttl] = fields else {
        return Err("the form has two fields: key and TTL".into());
    };
    let ttl = match ttl.trim() {
        "" => None,
        t => match t.parse::<i64>() {
            Ok(n) if n > 0 => Some(n),
            _ => return Err("TTL must be a whole number of seconds".into()),
        },
    };
    if key.is_empty() || key.ends_with(&String::from_utf8_lossy(&state.tree.delimiter).into_owned())
    {
        return Err("give the key a name (it ends with the delimiter)".into());
    }
    let ctx = EditContext {
        key: key.clone().into_bytes(),
        expect: Expect::Absent,
        lease: 0,
        ttl,
        prev: None,
        original: String::new(),
        json: false,
        kube: None,
    };
    state.editor = Some(Editor::new(ctx, ""));
    state.info("new key: type its value, Ctrl-s saves (only if the key still does not exist)");
    Ok(())
}

/// `u`: look up what etcdlens last overwrote on the selected key.
pub fn undo(state: &mut State, cmds: &mut Vec<Cmd>) {
    if !state.writable("restoring") {
        return;
    }
    let key = match state.tree_selection() {
        Selection::Key(n) => state.tree.node(n).full.to_vec(),
        Selection::None => return,
        _ => return state.info("select a key to restore its previous value"),
    };
    cmds.push(Cmd::FindUndo { key });
}

pub fn on_undo_found(state: &mut State, key: Vec<u8>, entry: Option<Entry>) {
    let shown = escape_bytes(&key);
    let Some(entry) = entry else {
        if let Some(e) = state.file_warnings.get("undo journal") {
            let e = e.clone();
            return state.error(format!(
                "nothing to restore for {shown}: the undo journal could not be written ({e})"
            ));
        }
        return state.info(format!(
            "nothing to restore: etcdlens has not written {shown}"
        ));
    };
    if entry.prev_dropped {
        return state.error(format!(
            "the value etcdlens overwrote on {shown} was too large to keep"
        ));
    }
    let expect = Expect::ModRevision(entry.revision);
    let (question, etcdctl, cmd) = match entry.prev_bytes() {
        Some(prev) => (
            format!(
                "put back {shown} as it was before rev {} ({} bytes)? y/N",
                entry.revision,
                prev.len()
            ),
            crate::escape::etcdctl_line("put", &key, "<previous value>"),
            Cmd::Save {
                op: WriteOp::Undo,
                key: key.clone(),
                value: prev,
                expect,
                lease: entry.prev_lease,
                ttl: None,
                prev: None,
            },
        ),
        None => (
            format!(
                "{shown} did not exist before rev {}: delete it again? y/N",
                entry.revision
            ),
            crate::escape::etcdctl_line("del", &key, ""),
            Cmd::Delete {
                op: WriteOp::Undo,
                key: key.clone(),
                expect,
                prev: None,
                lease: 0,
            },
        ),
    };
    state.confirm = Some(Confirm {
        question,
        etcdctl,
        action: ConfirmAction::Run(cmd),
    });
}
