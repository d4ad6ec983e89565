//! State transitions as plain functions: message in, state and commands out.
//! No terminal, no etcd.

use crate::common;

use std::time::{Duration, Instant};

use common::fixtures::{ch, key, loaded, page};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use etcdlens::app::tree::update::start;
use etcdlens::app::tree::{Listing, ROOT};
use etcdlens::app::value::ValueStatus;
use etcdlens::app::{update, Cmd, LoadedValue, Msg, Pane, State};
use etcdlens::etcd::types::ChildPage;

fn new_state() -> State {
    let mut s = State::new(b"/", b"/", "127.0.0.1:2379".into(), Instant::now());
    s.size = (160, 45);
    s
}

/// The ListChildren command in `cmds`, as (dir, generation, prefix, cursor).
fn list_cmd(cmds: &[Cmd]) -> (u32, u64, Vec<u8>, Option<Vec<u8>>) {
    cmds.iter()
        .find_map(|c| match c {
            Cmd::ListChildren { dir, request } => Some((
                *dir,
                request.generation,
                request.prefix.clone(),
                request.cursor.clone(),
            )),
            _ => None,
        })
        .expect("a ListChildren command")
}

fn fetch_cmd(cmds: &[Cmd]) -> Option<(u64, Vec<u8>)> {
    cmds.iter().find_map(|c| match c {
        Cmd::FetchValue { req, key } => Some((*req, key.clone())),
        _ => None,
    })
}

fn listed(dir: u32, generation: u64, p: ChildPage) -> Msg {
    Msg::Listed {
        dir,
        generation,
        result: Ok(p),
    }
}

fn record(key: &str, value: &[u8]) -> LoadedValue {
    loaded(key.as_bytes(), value, 7, 0)
}

#[test]
fn start_lists_the_root_and_selecting_a_key_fetches_its_value() {
    let mut s = new_state();
    let cmds = start(&mut s);
    let (dir, generation, prefix, cursor) = list_cmd(&cmds);
    assert_eq!((dir, prefix.as_slice(), cursor), (ROOT, &b"/"[..], None));

    let cmds = update(
        &mut s,
        listed(ROOT, generation, page(&["/a/", "/b", "/c"], None)),
    );
    assert_eq!(s.revision, 42);
    assert_eq!(s.tree.rows.len(), 3);
    assert!(fetch_cmd(&cmds).is_none(), "a directory is selected");

    let cmds = update(&mut s, ch('j'));
    let (req, k) = fetch_cmd(&cmds).expect("fetch on selection");
    assert_eq!(k, b"/b");
    assert!(matches!(s.value.status, ValueStatus::Loading));

    // Moving on supersedes the fetch: the late answer for /b is dropped.
    let cmds = update(&mut s, key(KeyCode::Down));
    let (req2, k2) = fetch_cmd(&cmds).unwrap();
    assert_eq!(k2, b"/c");
    update(
        &mut s,
        Msg::Value {
            req,
            result: Ok(Some(record("/b", b"old"))),
            revision: 50,
        },
    );
    assert!(
        matches!(s.value.status, ValueStatus::Loading),
        "stale answer ignored"
    );
    update(
        &mut s,
        Msg::Value {
            req: req2,
            result: Ok(Some(record("/c", br#"{"x":1}"#))),
            revision: 51,
        },
    );
    match &s.value.status {
        ValueStatus::Loaded { value, .. } => assert_eq!(value.record.key, b"/c"),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.revision, 51);
}

#[test]
fn opening_a_directory_lists_it_and_a_single_subdirectory_opens_itself() {
    let mut s = new_state();
    let (_, g, _, _) = list_cmd(&start(&mut s));
    update(&mut s, listed(ROOT, g, page(&["/a/", "/b"], None)));
    let cmds = update(&mut s, ch('l'));
    let (dir, g2, prefix, _) = list_cmd(&cmds);
    assert_eq!(prefix, b"/a/");
    // /a/ holds only /a/deep/: it opens too, and is listed.
    let cmds = update(&mut s, listed(dir, g2, page(&["/a/deep/"], None)));
    let (_, _, prefix, _) = list_cmd(&cmds);
    assert_eq!(prefix, b"/a/deep/");
    // `h` on an open directory closes it; again goes to the parent.
    update(&mut s, ch('j'));
    update(&mut s, ch('h'));
    assert_eq!(
        s.tree.node(s.tree.rows[s.selected].node).full.as_ref(),
        b"/a/deep/"
    );
    assert!(!s.tree.dir(s.tree.rows[s.selected].node).unwrap().expanded);
    update(&mut s, ch('h'));
    assert_eq!(
        s.tree.node(s.tree.rows[s.selected].node).full.as_ref(),
        b"/a/"
    );
}

#[test]
fn next_page_is_requested_only_when_the_end_comes_into_view() {
    let mut s = new_state();
    let (_, g, _, _) = list_cmd(&start(&mut s));
    let names: Vec<String> = (0..1000).map(|i| format!("/k{i:04}")).collect();
    let refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    let cmds = update(&mut s, listed(ROOT, g, page(&refs, Some("/k1000"))));
    assert!(
        !cmds.iter().any(|c| matches!(c, Cmd::ListChildren { .. })),
        "end not in view: {cmds:?}"
    );
    assert_eq!(
        s.tree.dir(ROOT).unwrap().listing,
        Listing::Partial(b"/k1000".to_vec())
    );
    let cmds = update(&mut s, ch('G'));
    let (_, g2, _, cursor) = list_cmd(&cmds);
    assert_eq!(cursor.as_deref(), Some(&b"/k1000"[..]));
    // While it loads, the last row is the "loading…" row, and no duplicate
    // request goes out.
    assert!(s.tree.rows.last().unwrap().more);
    let cmds = update(&mut s, ch('k'));
    assert!(!cmds.iter().any(|c| matches!(c, Cmd::ListChildren { .. })));
    update(&mut s, listed(ROOT, g2, page(&["/k1000", "/k1001"], None)));
    assert_eq!(s.tree.rows.len(), 1002);
    assert_eq!(s.tree.dir(ROOT).unwrap().listing, Listing::Complete);
}

#[test]
fn reload_discards_answers_of_the_old_listing() {
    let mut s = new_state();
    let (_, g, _, _) = list_cmd(&start(&mut s));
    update(&mut s, listed(ROOT, g, page(&["/a/"], None)));
    // /a/ auto-opened; reload it before its listing answers.
    let a = s.tree.rows[0].node;
    let g_old = match s.tree.dir(a).unwrap().in_flight {
        Some(g) => g,
        None => panic!("listing in flight"),
    };
    let cmds = update(&mut s, ch('r'));
    let (_, g_new, _, _) = list_cmd(&cmds);
    assert_ne!(g_old, g_new);
    let said = |s: &State| s.message.as_ref().map(|m| m.text.clone());
    assert_eq!(said(&s).as_deref(), Some("reloading…"));
    update(&mut s, listed(a, g_old, page(&["/a/stale"], None)));
    assert_eq!(s.tree.dir(a).unwrap().children.len(), 0);
    // The stale answer did not end the reload; the fresh one does.
    assert_eq!(said(&s).as_deref(), Some("reloading…"));
    update(&mut s, listed(a, g_new, page(&["/a/fresh"], None)));
    assert_eq!(said(&s).as_deref(), Some("reloaded /a/"));
    assert_eq!(
        s.tree
            .node(s.tree.dir(a).unwrap().children[0])
            .full
            .as_ref(),
        b"/a/fresh"
    );
}

#[test]
fn listing_errors_are_shown_and_retried_with_r() {
    let mut s = new_state();
    let (_, g, _, _) = list_cmd(&start(&mut s));
    update(
        &mut s,
        Msg::Listed {
            dir: ROOT,
            generation: g,
            result: Err("permission denied".into()),
        },
    );
    assert!(matches!(
        s.tree.dir(ROOT).unwrap().listing,
        Listing::Failed(_)
    ));
    assert!(s.message.as_ref().unwrap().error);
    let cmds = update(&mut s, ch('r'));
    list_cmd(&cmds);
}

#[test]
fn filter_hides_non_matching_keys_and_esc_clears_it() {
    let mut s = new_state();
    let (_, g, _, _) = list_cmd(&start(&mut s));
    update(
        &mut s,
        listed(ROOT, g, page(&["/alpha", "/beta", "/gamma"], None)),
    );
    update(&mut s, ch('/'));
    for c in "MM".chars() {
        update(&mut s, ch(c));
    }
    assert_eq!(
        s.tree.rows.len(),
        1,
        "only gamma matches (case-insensitive)"
    );
    update(&mut s, key(KeyCode::Enter));
    assert!(!s.filter.editing);
    update(&mut s, key(KeyCode::Esc));
    assert_eq!(s.tree.rows.len(), 3);
}

#[test]
fn focus_help_quit_and_messages() {
    let mut s = new_state();
    update(&mut s, key(KeyCode::Tab));
    assert_eq!(s.focus, Pane::Value);
    update(&mut s, key(KeyCode::BackTab));
    assert_eq!(s.focus, Pane::Keys);
    update(&mut s, ch('?'));
    assert!(s.help);
    // Moving keys scroll the help; any other key closes it.
    assert!(update(&mut s, ch('j')).is_empty());
    assert!(s.help);
    assert_eq!(s.help_scroll, 1);
    assert!(update(&mut s, ch('x')).is_empty());
    assert!(!s.help);
    update(&mut s, ch('e'));
    assert!(s
        .message
        .as_ref()
        .unwrap()
        .text
        .contains("select a key whose value is shown"));
    let later = s.now + Duration::from_secs(60);
    update(&mut s, Msg::Tick(later));
    assert!(s.message.is_none(), "messages expire");
    assert_eq!(update(&mut s, ch('q')), vec![Cmd::Quit]);
    let mut s = new_state();
    let ctrl_c = Msg::Input(Event::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert_eq!(update(&mut s, ctrl_c), vec![Cmd::Quit]);
    let mut s = new_state();
    assert_eq!(update(&mut s, Msg::Signal), vec![Cmd::Quit]);
}

#[test]
fn value_pane_scrolls_within_the_document() {
    let mut s = new_state();
    let (_, g, _, _) = list_cmd(&start(&mut s));
    let cmds = update(&mut s, listed(ROOT, g, page(&["/big"], None)));
    let (req, _) = fetch_cmd(&cmds).unwrap();
    let text: String = (0..500).map(|i| format!("line {i}\n")).collect();
    update(
        &mut s,
        Msg::Value {
            req,
            result: Ok(Some(record("/big", text.as_bytes()))),
            revision: 1,
        },
    );
    update(&mut s, key(KeyCode::Enter));
    assert_eq!(s.focus, Pane::Value);
    update(&mut s, ch('j'));
    assert_eq!(s.value.scroll, 1);
    update(&mut s, ch('G'));
    let max = s.value.scroll;
    update(&mut s, ch('j'));
    assert_eq!(s.value.scroll, max, "cannot scroll past the end");
    assert!(max > 400);
    update(&mut s, ch('g'));
    assert_eq!(s.value.scroll, 0);
}

// ---- actions, keys, help and the `:` line -------------------------------

use etcdlens::app::keymap::Keymap;
use etcdlens::app::{Action, Mode};

/// Every key bound in the table appears in the help, next to its action.
#[test]
fn help_lists_every_bound_key() {
    let keys = Keymap::default();
    let help: Vec<String> = etcdlens::ui::help::lines(&keys)
        .iter()
        .map(|l| l.to_string())
        .collect();
    for action in Action::all() {
        let row = help
            .iter()
            .find(|l| l.contains(action.about()))
            .unwrap_or_else(|| panic!("{} is not in the help", action.name()));
        for k in keys.keys(action) {
            assert!(
                row.contains(&k.to_string()),
                "{k} of {} missing: {row}",
                action.name()
            );
        }
    }
}

/// Every action can be reached: by a key in its mode, and by `:name`.
#[test]
fn every_action_is_reachable_by_key_and_by_name() {
    let keys = Keymap::default();
    for action in Action::all() {
        let key = keys.keys(action).next().expect("a default key");
        let ev = KeyEvent::new(key.code, key.mods);
        assert_eq!(keys.action(action.mode(), &ev), Some(action), "{key}");
        assert_eq!(
            etcdlens::app::command::parse(action.name()),
            Ok(etcdlens::app::command::Command::Run(action))
        );
    }
}

/// Rebinding in the keymap changes what a key does in `update`.
#[test]
fn rebound_keys_drive_update() {
    let mut s = new_state();
    let mut o = std::collections::BTreeMap::new();
    o.insert("help".to_string(), vec!["F1".to_string()]);
    s.keymap = Keymap::with_overrides(&o).unwrap();
    update(&mut s, ch('?'));
    assert!(!s.help, "? is no longer help");
    update(&mut s, key(KeyCode::F(1)));
    assert!(s.help);
}

fn command(s: &mut State, line: &str) -> Vec<Cmd> {
    let mut cmds = update(s, ch(':'));
    assert!(s.command.is_some(), ": opens the command line");
    for c in line.chars() {
        cmds.extend(update(s, ch(c)));
    }
    cmds.extend(update(s, key(KeyCode::Enter)));
    assert!(s.command.is_none());
    cmds
}

#[test]
fn command_line_runs_actions_and_commands() {
    let mut s = new_state();
    let cmds = command(&mut s, "cluster");
    assert!(s.cluster.open);
    assert!(cmds.contains(&Cmd::ClusterStatus {
        prefix: b"/".to_vec()
    }));
    update(&mut s, key(KeyCode::Esc));
    assert!(!s.cluster.open, "Esc closes the cluster view");

    let cmds = command(&mut s, "watch /app/");
    assert!(cmds.iter().any(
        |c| matches!(c, Cmd::Watch { prefix, start_revision: None, .. } if prefix == b"/app/")
    ));
    assert_eq!(s.events.prefix, b"/app/");

    let cmds = command(&mut s, "election /testelection");
    assert!(cmds.contains(&Cmd::FollowElection {
        name: b"/testelection".to_vec()
    }));
    assert_eq!(s.elections.len(), 1);

    command(&mut s, "help");
    assert!(s.help);
    update(&mut s, key(KeyCode::Esc));

    command(&mut s, "fly");
    let m = s.message.as_ref().unwrap();
    assert!(
        m.error && m.text.contains("unknown command :fly"),
        "{}",
        m.text
    );

    assert_eq!(command(&mut s, "quit"), vec![Cmd::Quit]);
}

#[test]
fn command_line_completes_and_remembers() {
    let mut s = new_state();
    update(&mut s, ch(':'));
    for m in common::fixtures::typed("clu") {
        update(&mut s, m);
    }
    update(&mut s, key(KeyCode::Tab));
    assert_eq!(s.command.as_ref().unwrap().text, "cluster");
    update(&mut s, key(KeyCode::Esc));
    assert!(s.command.is_none(), "Esc cancels");
    assert!(!s.cluster.open, "and runs nothing");

    // Arguments complete from the loaded tree.
    let g = list_cmd(&start(&mut s)).1;
    update(
        &mut s,
        listed(ROOT, g, page(&["/app/", "/apps/", "/b"], None)),
    );
    update(&mut s, ch(':'));
    for m in common::fixtures::typed("watch /ap") {
        update(&mut s, m);
    }
    update(&mut s, key(KeyCode::Tab));
    let line = s.command.as_ref().unwrap();
    assert_eq!(line.text, "watch /app", "common prefix first");
    update(&mut s, key(KeyCode::Tab));
    assert_eq!(s.command.as_ref().unwrap().text, "watch /app/");
    update(&mut s, key(KeyCode::Tab));
    assert_eq!(s.command.as_ref().unwrap().text, "watch /apps/");
    update(&mut s, key(KeyCode::Enter));
    assert_eq!(s.events.prefix, b"/apps/");

    // History: ↑ brings the last line back.
    command(&mut s, "pause");
    update(&mut s, ch(':'));
    update(&mut s, key(KeyCode::Up));
    assert_eq!(s.command.as_ref().unwrap().text, "pause");
    update(&mut s, key(KeyCode::Up));
    assert_eq!(s.command.as_ref().unwrap().text, "watch /apps/");
    update(&mut s, key(KeyCode::Down));
    assert_eq!(s.command.as_ref().unwrap().text, "pause");
}

// ---- writes without etcd: conflicts and dialogs ------------------------

use etcdlens::app::msg::WriteOp;
use etcdlens::etcd::types::{Expect, WriteOutcome};

/// A state showing `/cfg` = `{"a":1}` at revision 7, ready to edit.
fn showing_a_value() -> State {
    showing("/cfg", br#"{"a":1}"#)
}

#[test]
fn a_conflicting_save_keeps_the_text_and_overwrite_is_guarded_again() {
    let mut s = showing_a_value();
    update(&mut s, ch('e'));
    assert_eq!(mode(&s), Mode::Editor);
    update(&mut s, key(KeyCode::End));
    update(&mut s, key(KeyCode::Backspace));
    for m in common::fixtures::typed(",\"b\":2}") {
        update(&mut s, m);
    }
    let cmds = update(&mut s, common::fixtures::ctrl('s'));
    let Some(Cmd::Save { expect, value, .. }) = cmds.first() else {
        panic!("{cmds:?}")
    };
    assert_eq!(*expect, Expect::ModRevision(7));
    assert_eq!(value, br#"{"a":1,"b":2}"#);

    // Someone else wrote at rev 9 meanwhile.
    let mut theirs = record("/cfg", br#"{"a":5}"#).record;
    theirs.mod_revision = 9;
    update(
        &mut s,
        Msg::WriteDone {
            op: WriteOp::Save,
            key: b"/cfg".to_vec(),
            result: Ok(WriteOutcome::Conflict {
                current: Some(theirs),
            }),
            journal: Ok(()),
        },
    );
    assert!(s.editor.is_none());
    let c = s.conflict.as_ref().expect("the conflict view");
    assert_eq!(c.mine, r#"{"a":1,"b":2}"#, "your text is kept");
    assert_eq!(c.reason(), "it changed at rev 9 since you opened it");
    let m = s.message.as_ref().unwrap();
    assert!(m.text.contains(&c.reason()), "{}", m.text);
    assert_eq!(mode(&s), Mode::Conflict);

    // `o` writes your text again, guarded on what is there now.
    let cmds = update(&mut s, ch('o'));
    let Some(Cmd::Save {
        expect,
        value,
        prev,
        ..
    }) = cmds.first()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(*expect, Expect::ModRevision(9));
    assert_eq!(value, br#"{"a":1,"b":2}"#);
    assert_eq!(prev.as_deref(), Some(&br#"{"a":5}"#[..]), "journaled");
}

#[test]
fn a_new_key_dialog_validates_before_anything_is_sent() {
    let mut s = showing_a_value();
    update(&mut s, ch('n'));
    assert!(s.prompt.is_some());
    // The key field starts at the selected key's directory: "/".
    assert!(update(&mut s, key(KeyCode::Enter)).is_empty());
    let err = s.prompt.as_ref().unwrap().error.clone().unwrap();
    assert!(err.contains("give the key a name"), "{err}");
    for m in common::fixtures::typed("new") {
        update(&mut s, m);
    }
    update(&mut s, key(KeyCode::Tab));
    for m in common::fixtures::typed("soon") {
        update(&mut s, m);
    }
    assert!(update(&mut s, key(KeyCode::Enter)).is_empty());
    let err = s.prompt.as_ref().unwrap().error.clone().unwrap();
    assert!(err.contains("TTL must be a whole number"), "{err}");
    update(&mut s, key(KeyCode::Esc));
    assert!(s.prompt.is_none());
    assert!(s.editor.is_none(), "nothing opened, nothing sent");
}

#[test]
fn ctrl_c_with_unsaved_text_asks_and_twice_quits() {
    let mut s = showing_a_value();
    update(&mut s, ch('e'));
    update(&mut s, ch('x'));
    assert!(update(&mut s, common::fixtures::ctrl('c')).is_empty());
    assert!(!s.quit);
    assert!(s.confirm.as_ref().unwrap().question.contains("quit"));
    // Any other answer keeps the editor and its text.
    update(&mut s, ch('n'));
    assert!(s.editor.as_ref().unwrap().modified());
    update(&mut s, common::fixtures::ctrl('c'));
    assert_eq!(update(&mut s, common::fixtures::ctrl('c')), vec![Cmd::Quit]);
}

fn mode(s: &State) -> Mode {
    etcdlens::app::layer::mode(s)
}

/// No action falls through: each is taken by the screen, a feature or the
/// focused pane.
#[test]
fn every_action_is_taken_by_someone() {
    for action in Action::all() {
        let mut s = showing_a_value();
        let mut cmds = Vec::new();
        assert!(
            etcdlens::app::update::run_action(&mut s, action, &mut cmds),
            "{} fell through",
            action.name()
        );
    }
}

// ---- robustness (issue 16) ----------------------------------------------

use common::fixtures::ctrl;

/// A state showing key `k` (selected, value loaded).
fn showing(k: &str, value: &[u8]) -> State {
    let mut s = new_state();
    let (_, g, _, _) = list_cmd(&start(&mut s));
    let cmds = update(&mut s, listed(ROOT, g, page(&[k], None)));
    let (req, _) = fetch_cmd(&cmds).unwrap();
    update(
        &mut s,
        Msg::Value {
            req,
            result: Ok(Some(record(k, value))),
            revision: 1,
        },
    );
    s
}

/// Issue 16.8: Ctrl-c in the editor with unsaved text asks first, like Esc.
#[test]
fn ctrl_c_with_unsaved_text_in_the_editor_asks_before_quitting() {
    let mut s = showing("/k", b"hello");
    update(&mut s, ch('e'));
    assert!(s.editor.is_some());
    // Unchanged text: Ctrl-c quits at once.
    let mut unchanged = showing("/k", b"hello");
    update(&mut unchanged, ch('e'));
    assert_eq!(update(&mut unchanged, ctrl('c')), vec![Cmd::Quit]);

    update(&mut s, ch('!'));
    assert!(update(&mut s, ctrl('c')).is_empty(), "not quitting yet");
    assert!(!s.quit);
    let q = &s.confirm.as_ref().expect("a question").question;
    assert!(q.contains("discard your changes"), "{q}");
    // Anything but y keeps the text.
    assert!(update(&mut s, ch('n')).is_empty());
    assert!(!s.quit);
    assert!(s.editor.as_ref().unwrap().text().contains('!'));
    // y quits.
    update(&mut s, ctrl('c'));
    assert_eq!(update(&mut s, ch('y')), vec![Cmd::Quit]);
    assert!(s.quit);
}

/// Issue 16.3: the text area cannot show more than 65,535 screen rows
/// (16-bit viewport): such a value is not opened inline; E is offered.
#[test]
fn a_value_with_more_rows_than_the_editor_can_show_is_not_opened_inline() {
    let text: String = (0..70_000).map(|i| format!("row{i:06}\n")).collect();
    let mut s = showing("/many", text.as_bytes());
    update(&mut s, ch('e'));
    assert!(s.editor.is_none(), "not opened inline");
    let m = s.message.as_ref().expect("a message");
    assert!(m.text.contains("E edits it in $EDITOR"), "{}", m.text);
    // A long line wraps, within the limit: opened.
    let mut s = showing("/long", "x".repeat(200_000).as_bytes());
    update(&mut s, ch('e'));
    assert!(s.editor.is_some());
}

/// Issue 16.10: F3 on JSON nested too deeply says so, not "not valid JSON".
#[test]
fn reformatting_json_too_deep_says_it_is_too_deep() {
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    let mut s = showing("/deep", deep.as_bytes());
    update(&mut s, ch('e'));
    assert!(s.editor.is_some());
    update(&mut s, key(KeyCode::F(3)));
    let m = &s.message.as_ref().expect("a message").text;
    assert!(m.contains("too deep"), "{m}");
    assert!(!m.contains("not valid JSON"), "{m}");
}

/// Issue 16.10: the "not UTF-8" refusal is about the key it names: it goes
/// when the selection moves to another key.
#[test]
fn a_message_about_a_key_goes_when_the_selection_moves_on() {
    let mut s = new_state();
    let (_, g, _, _) = list_cmd(&start(&mut s));
    let cmds = update(&mut s, listed(ROOT, g, page(&["/a", "/b"], None)));
    let (req, _) = fetch_cmd(&cmds).unwrap();
    update(
        &mut s,
        Msg::Value {
            req,
            result: Ok(Some(record("/a", b"\xff\xfe\x00binary"))),
            revision: 1,
        },
    );
    update(&mut s, ch('e'));
    let m = &s.message.as_ref().expect("a message").text;
    assert!(m.contains("not UTF-8"), "{m}");
    update(&mut s, ch('j'));
    assert!(
        s.message
            .as_ref()
            .is_none_or(|m| !m.text.contains("not UTF-8")),
        "{:?}",
        s.message
    );
}

/// Issue 16.10: the request-size limit is etcd's default unless raised
/// (`--max-request-bytes`), and the refusal says how to raise it.
#[test]
fn the_request_limit_is_the_default_and_can_be_raised() {
    let big = "x".repeat(2 * 1024 * 1024);
    let mut s = showing("/k", b"small");
    update(&mut s, ch('e'));
    s.editor.as_mut().unwrap().paste(&big);
    let cmds = update(&mut s, ctrl('s'));
    assert!(cmds.is_empty(), "not sent");
    let m = &s.message.as_ref().unwrap().text;
    assert!(m.contains("--max-request-bytes"), "{m}");
    // The server allows 16 MiB: raised, it is sent.
    let mut s = showing("/k", b"small");
    s.max_request_bytes = 16 * 1024 * 1024;
    update(&mut s, ch('e'));
    s.editor.as_mut().unwrap().paste(&big);
    let cmds = update(&mut s, ctrl('s'));
    assert!(
        matches!(cmds.as_slice(), [Cmd::Save { .. }]),
        "{:?}",
        s.message
    );
}

fn batch(children: &[&str], counts: &[(&str, u64)]) -> ChildPage {
    let mut p = page(children, None);
    p.partial = true;
    p.counts = counts
        .iter()
        .map(|(d, n)| (d.as_bytes().to_vec(), *n))
        .collect();
    p
}

fn row_names(s: &State) -> Vec<String> {
    s.tree
        .rows
        .iter()
        .map(|r| {
            if r.more {
                "…".to_string()
            } else {
                String::from_utf8_lossy(s.tree.node(r.node).name()).into_owned()
            }
        })
        .collect()
}

#[test]
fn batches_show_rows_in_order_while_the_listing_goes_on() {
    let mut s = new_state();
    let (_, g, _, _) = list_cmd(&start(&mut s));
    // Found concurrently: later ranges may answer first.
    update(
        &mut s,
        listed(ROOT, g, batch(&["/c", "/d/"], &[("/d/", 7)])),
    );
    assert_eq!(row_names(&s), ["c", "d/", "…"]);
    assert_eq!(
        s.tree.dir(ROOT).unwrap().in_flight,
        Some(g),
        "still listing"
    );
    // Before the user moves, the selection stays on the top row.
    update(&mut s, listed(ROOT, g, batch(&["/b"], &[])));
    assert_eq!(row_names(&s), ["b", "c", "d/", "…"]);
    assert_eq!(s.selected, 0);
    // Once moved, it stays on its row as rows appear above it.
    update(&mut s, ch('j'));
    update(&mut s, ch('j'));
    update(&mut s, listed(ROOT, g, batch(&["/a/"], &[])));
    assert_eq!(row_names(&s), ["a/", "b", "c", "d/", "…"]);
    let d = s.tree.rows[3].node;
    assert_eq!(s.tree.dir(d).unwrap().keys, Some(7));
    assert_eq!(
        s.tree.node(s.tree.rows[s.selected].node).full.as_ref(),
        b"/d/"
    );
    // The user opens a directory while the rest loads.
    let cmds = update(&mut s, ch('l'));
    let (dir, _, prefix, _) = list_cmd(&cmds);
    assert_eq!((dir, prefix.as_slice()), (d, &b"/d/"[..]));
    // The lister is told the directory's size (a small one is one read).
    let told = cmds.iter().find_map(|c| match c {
        Cmd::ListChildren { request, .. } => Some(request.keys),
        _ => None,
    });
    assert_eq!(told, Some(Some(7)));
    // A count learned later for a directory found earlier.
    update(&mut s, listed(ROOT, g, batch(&[], &[("/a/", 3)])));
    let a = s.tree.rows[0].node;
    assert_eq!(s.tree.dir(a).unwrap().keys, Some(3));
    // The last message ends the page.
    let mut last = page(&["/e"], None);
    last.counts = vec![(b"/d/".to_vec(), 8)];
    update(&mut s, listed(ROOT, g, last));
    assert_eq!(s.tree.dir(ROOT).unwrap().listing, Listing::Complete);
    assert_eq!(s.tree.dir(ROOT).unwrap().in_flight, None);
    assert_eq!(s.tree.dir(d).unwrap().keys, Some(8));
    assert_eq!(
        s.tree.node(s.tree.rows[s.selected].node).full.as_ref(),
        b"/d/"
    );
}

#[test]
fn closing_a_directory_cancels_its_listing() {
    let mut s = new_state();
    let (_, g, _, _) = list_cmd(&start(&mut s));
    update(&mut s, listed(ROOT, g, page(&["/a/", "/b/"], None)));
    let cmds = update(&mut s, ch('l'));
    let (a, ga, _, _) = list_cmd(&cmds);
    update(&mut s, listed(a, ga, batch(&["/a/x"], &[])));
    // `h` on the open directory closes it: its reads are cancelled.
    let cmds = update(&mut s, ch('h'));
    assert!(
        cmds.contains(&Cmd::CancelList {
            dir: a,
            generation: ga
        }),
        "{cmds:?}"
    );
    assert_eq!(s.tree.dir(a).unwrap().in_flight, None);
    // Late answers of the cancelled request change nothing.
    update(&mut s, listed(a, ga, page(&["/a/y"], None)));
    assert_eq!(s.tree.dir(a).unwrap().children.len(), 1);
    assert_eq!(s.tree.dir(a).unwrap().listing, Listing::NotLoaded);
    // Opening it again lists it again.
    let cmds = update(&mut s, ch('l'));
    let (dir, g2, _, cursor) = list_cmd(&cmds);
    assert_eq!((dir, cursor), (a, None));
    assert_ne!(g2, ga);
    update(&mut s, listed(a, g2, page(&["/a/x", "/a/y"], None)));
    assert_eq!(s.tree.dir(a).unwrap().children.len(), 2);
}

#[test]
fn enter_in_the_value_pane_opens_the_shown_keys_lease() {
    use etcdlens::etcd::leases::LeaseInfo;
    let mut s = new_state();
    let cmds = start(&mut s);
    let (_, generation, _, _) = list_cmd(&cmds);
    update(
        &mut s,
        listed(ROOT, generation, page(&["/a", "/b", "/c"], None)),
    );
    let show = |s: &mut State, k: &str, lease: i64| {
        let (req, _) = fetch_cmd(&update(s, ch('j'))).expect("fetch");
        update(
            s,
            Msg::Value {
                req,
                result: Ok(Some(loaded(k.as_bytes(), b"v", 7, lease))),
                revision: 50,
            },
        );
        update(s, key(KeyCode::Tab));
        assert_eq!(s.focus, Pane::Value);
    };
    // A key without a lease: said, nothing asked.
    show(&mut s, "/b", 0);
    assert!(update(&mut s, key(KeyCode::Enter)).is_empty());
    assert!(s.leases.is_none());
    assert_eq!(s.message.as_ref().unwrap().text, "this key has no lease");

    update(&mut s, key(KeyCode::Tab));
    update(&mut s, key(KeyCode::Tab));
    update(&mut s, key(KeyCode::Tab));
    assert_eq!(s.focus, Pane::Keys);
    show(&mut s, "/c", 0x1234);
    let cmds = update(&mut s, key(KeyCode::Enter));
    assert_eq!(cmds, [Cmd::ListLeases]);
    assert_eq!(s.focus, Pane::Keys);
    // The list arrives sorted by keys held; the key's lease is selected.
    let lease = |id: i64, keys: u64| LeaseInfo {
        id,
        granted: 60,
        ttl: 50,
        keys,
    };
    update(
        &mut s,
        Msg::Leases(Ok(vec![lease(0x1, 9), lease(0x1234, 1), lease(0x2, 5)])),
    );
    let v = s.leases.as_ref().expect("the leases list");
    assert_eq!(v.selected_id(), Some(0x1234));
    // Enter there: its keys.
    assert_eq!(
        update(&mut s, key(KeyCode::Enter)),
        [Cmd::LeaseKeys { id: 0x1234 }]
    );
    // A refresh keeps it selected; a lease gone meanwhile is said.
    update(
        &mut s,
        Msg::Leases(Ok(vec![lease(0x1234, 1), lease(0x1, 9)])),
    );
    assert_eq!(s.leases.as_ref().unwrap().selected_id(), Some(0x1234));
    s.leases = None;
    s.focus = Pane::Value;
    assert_eq!(update(&mut s, key(KeyCode::Enter)), [Cmd::ListLeases]);
    update(&mut s, Msg::Leases(Ok(vec![lease(0x1, 9)])));
    assert_eq!(
        s.message.as_ref().unwrap().text,
        "lease 1234 no longer exists"
    );
}

/// A paste arrives with the terminal's line breaks (CR, as Enter sends):
/// in the editor they are line breaks, not CRs inside one line.
#[test]
fn a_pasted_text_keeps_its_lines_in_the_editor() {
    let mut s = showing("/k", b"");
    update(&mut s, ch('e'));
    update(
        &mut s,
        Msg::Input(crossterm::event::Event::Paste("a: 1\rb: 2\r\nc: 3".into())),
    );
    let editor = s.editor.as_ref().unwrap();
    assert_eq!(editor.textarea.lines(), ["a: 1", "b: 2", "c: 3"]);
}

/// Issue 22.17: the results of a prefix delete, find's delete-all and an
/// export stay until a key is pressed; any key dismisses them and still
/// does what it does.
#[test]
fn results_of_long_operations_stay_until_a_key() {
    use etcdlens::app::msg::PrefixDeleted;
    use etcdlens::etcd::bulk::DeletedUnchanged;
    use etcdlens::transfer::export::Exported;
    let results = [
        Msg::PrefixDeleted {
            prefix: b"/big/".to_vec(),
            result: Ok(PrefixDeleted {
                deleted: 50_192,
                revision: 9,
                journaled: false,
                journal: Ok(()),
            }),
        },
        Msg::FoundDeleted {
            id: 1,
            result: DeletedUnchanged {
                deleted: vec![(b"/a".to_vec(), 9, None)],
                skipped: vec![],
                error: None,
            },
            journal: Ok(()),
        },
        Msg::Exported {
            file: "/tmp/x.jsonl".into(),
            result: Ok(Exported {
                keys: 3,
                bytes: 30,
                revision: 9,
                skipped: None,
            }),
        },
        Msg::Exported {
            file: "/tmp/x.jsonl".into(),
            result: Err("disk full".into()),
        },
    ];
    for msg in results {
        let mut s = common::fixtures::listed_root(&["/app/", "/key"]);
        update(&mut s, msg);
        let text = s.message.as_ref().expect("a result").text.clone();
        let later = s.now + Duration::from_secs(600);
        update(&mut s, Msg::Tick(later));
        assert_eq!(s.message.as_ref().map(|m| &m.text), Some(&text));
        // Any key dismisses it and still moves.
        let before = s.selected;
        update(&mut s, ch('j'));
        assert!(s.message.is_none(), "{text}");
        assert_eq!(s.selected, before + 1);
    }
}

/// Issue 22.17: `D` on more than 10,000 keys says in the question itself
/// that they are too many to journal (it used to say so only afterwards).
#[test]
fn the_delete_prefix_question_says_when_u_cannot_restore() {
    for (count, said) in [(50_192, true), (10_000, false)] {
        let mut s = common::fixtures::listed_root(&["/app/", "/key"]);
        let cmds = update(&mut s, ch('D'));
        assert!(matches!(&cmds[..], [Cmd::CountPrefix { .. }]), "{cmds:?}");
        update(
            &mut s,
            Msg::PrefixCount {
                prefix: b"/app/".to_vec(),
                count: Ok(count),
            },
        );
        // The dialog's text as one line (it wraps inside the dialog).
        let screen = common::fixtures::screen(&s)
            .replace(['│', '┃'], " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(
            screen.contains("Over 10,000 keys: too many to journal, u cannot restore them."),
            said,
            "{screen}"
        );
    }
}
