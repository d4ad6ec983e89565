//! `:export FILE`, `:copy`, `:move` and `:import` as plain transitions:
//! message in, state and commands out; the plan view as a snapshot.

use crate::common;

use common::fixtures::{ch, command, key, listed_root};
use crossterm::event::KeyCode;
use etcdlens::app::{update, Cmd, Msg, State};
use etcdlens::etcd::types::Expect;
use etcdlens::transfer::export::Exported;
use etcdlens::transfer::{Change, Plan, PlanEntry, Source, Summary, Transfer};
use etcdlens::value_doc::DiffTag;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn listed_state() -> State {
    listed_root(&["/app/", "/key"])
}

fn message(s: &State) -> (bool, String) {
    let m = s.message.as_ref().expect("a message");
    (m.error, m.text.clone())
}

#[test]
fn export_runs_on_the_selected_directory_with_progress() {
    let mut s = listed_state();
    let cmds = command(&mut s, "export /tmp/app.jsonl");
    assert_eq!(
        cmds,
        vec![Cmd::Export {
            prefix: b"/app/".to_vec(),
            file: "/tmp/app.jsonl".into()
        }]
    );
    assert_eq!(
        message(&s),
        (
            false,
            "exporting /app/ to /tmp/app.jsonl: 0 keys (0.0 MiB)…".into()
        )
    );
    update(
        &mut s,
        Msg::ExportProgress {
            keys: 1500,
            bytes: 3 << 20,
        },
    );
    assert_eq!(
        message(&s).1,
        "exporting /app/ to /tmp/app.jsonl: 1500 keys (3.0 MiB)…"
    );
    // One at a time.
    assert!(command(&mut s, "export /tmp/other").is_empty());
    assert!(message(&s)
        .1
        .starts_with("one export at a time: exporting /app/"));
    update(
        &mut s,
        Msg::Exported {
            file: "/tmp/app.jsonl".into(),
            result: Ok(Exported {
                keys: 2000,
                bytes: 4 << 20,
                revision: 77,
                skipped: None,
            }),
        },
    );
    assert_eq!(
        message(&s),
        (
            false,
            "exported 2000 keys under /app/ at revision 77 to /tmp/app.jsonl".into()
        )
    );
    assert!(s.export.is_none());
    // Late progress of a finished export changes nothing.
    update(&mut s, Msg::ExportProgress { keys: 1, bytes: 1 });
    assert!(message(&s).1.starts_with("exported 2000 keys"));
}

#[test]
fn export_failures_and_bad_commands_say_why() {
    let mut s = listed_state();
    command(&mut s, "export /nope/x.jsonl");
    update(
        &mut s,
        Msg::Exported {
            file: "/nope/x.jsonl".into(),
            result: Err(
                "cannot write /nope/.x.jsonl.etcdlens-partial: No such file or directory".into(),
            ),
        },
    );
    let (error, text) = message(&s);
    assert!(
        error && text.starts_with("export of /app/ to /nope/x.jsonl failed: cannot write"),
        "{text}"
    );
    assert!(s.export.is_none(), "another export may start");

    assert!(command(&mut s, "export").is_empty());
    assert_eq!(
        message(&s),
        (
            true,
            ":export needs a FILE (e.g. :export /tmp/app.jsonl)".into()
        )
    );

    // A key is not a directory.
    update(&mut s, ch('j'));
    assert!(command(&mut s, "export /tmp/k").is_empty());
    assert_eq!(
        message(&s).1,
        "select a directory to export everything under it"
    );
}

fn copy_app(moving: bool) -> Transfer {
    Transfer {
        source: Source::Prefix(b"/app/".to_vec()),
        to: Some(b"/backup/".to_vec()),
        moving,
        to_context: None,
    }
}

fn entry(target: &str, change: Change, expect: Expect) -> PlanEntry {
    PlanEntry {
        target: target.as_bytes().to_vec(),
        change,
        expect,
        source_revision: 10,
    }
}

/// /app/a created, /app/b updated, /app/c unchanged.
fn three_key_plan(moving: bool) -> Plan {
    Plan {
        entries: vec![
            entry("/backup/a", Change::Create, Expect::Absent),
            entry("/backup/b", Change::Update, Expect::ModRevision(7)),
            entry("/backup/c", Change::Unchanged, Expect::ModRevision(8)),
        ],
        created: 1,
        updated: 1,
        unchanged: 1,
        deleted: if moving { 3 } else { 0 },
        leased: 0,
        from_prefix: b"/app/".to_vec(),
        to_prefix: b"/backup/".to_vec(),
        source_revision: 12,
        ..Plan::default()
    }
}

fn type_text(s: &mut State, text: &str) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    for c in text.chars() {
        cmds.extend(update(s, ch(c)));
    }
    cmds.extend(update(s, key(KeyCode::Enter)));
    cmds
}

#[test]
fn copy_plans_shows_asks_yes_applies_and_sums_up() {
    let mut s = listed_state();
    let cmds = command(&mut s, "copy /backup/");
    assert_eq!(
        cmds,
        vec![Cmd::Plan {
            transfer: copy_app(false),
            options: Default::default(),
        }]
    );
    assert_eq!(message(&s).1, "planning copy /app/ → /backup/…");
    update(
        &mut s,
        Msg::Planning {
            transfer: copy_app(false),
            keys: 2,
        },
    );
    assert_eq!(s.plan.as_ref().unwrap().planned, 2);
    // Before the plan is ready, `a` says so and asks nothing.
    update(&mut s, ch('a'));
    assert!(s.prompt.is_none());
    assert_eq!(
        message(&s).1,
        "copy /app/ → /backup/: the plan is not ready yet"
    );
    update(
        &mut s,
        Msg::Planned {
            transfer: copy_app(false),
            result: Ok(three_key_plan(false)),
        },
    );
    assert_eq!(
        message(&s).1,
        "plan: copy /app/ → /backup/: 1 created, 1 updated, 1 unchanged · a applies (type yes), Esc closes"
    );
    let view = s.plan.as_ref().unwrap();
    // The list holds the keys that change, not the unchanged one.
    assert_eq!(view.changed, vec![0, 1]);
    // Moving keys move in the list (and stop at its end), not in the tree.
    let tree_row = s.selected_row().unwrap().node;
    update(&mut s, ch('j'));
    update(&mut s, ch('j'));
    assert_eq!(s.plan.as_ref().unwrap().selected, 1);
    assert_eq!(s.selected_row().unwrap().node, tree_row);
    // Enter reads the selected key's values for its diff.
    let cmds = update(&mut s, key(KeyCode::Enter));
    assert_eq!(
        cmds,
        vec![Cmd::PlanKey {
            source: Source::Prefix(b"/app/".to_vec()),
            plan: three_key_plan(false).origin(),
            target: b"/backup/b".to_vec(),
            to_context: None,
        }]
    );
    update(
        &mut s,
        Msg::PlanKey {
            target: b"/backup/b".to_vec(),
            result: Ok((Some(b"x\ny".to_vec()), b"x\nz".to_vec())),
        },
    );
    let (shown, diff) = s.plan.as_ref().unwrap().diff.clone().unwrap();
    assert_eq!(shown, b"/backup/b");
    assert_eq!(
        diff,
        Some(Ok(vec![
            (DiffTag::Same, "x".into()),
            (DiffTag::Old, "y".into()),
            (DiffTag::New, "z".into())
        ]))
    );
    // Esc closes the diff first, the plan stays.
    update(&mut s, key(KeyCode::Esc));
    assert!(s.plan.as_ref().unwrap().diff.is_none());

    // `a` asks for yes; anything else is refused and writes nothing.
    assert!(update(&mut s, ch('a')).is_empty());
    assert!(s.prompt.is_some());
    assert!(type_text(&mut s, "y").is_empty());
    assert_eq!(
        s.prompt.as_ref().unwrap().error.as_deref(),
        Some("type yes (or Esc to cancel)")
    );
    update(&mut s, key(KeyCode::Backspace));
    let cmds = type_text(&mut s, "yes");
    assert_eq!(
        cmds,
        vec![Cmd::ApplyPlan {
            transfer: copy_app(false),
            plan: Box::new(three_key_plan(false)),
            max_request_bytes: s.max_request_bytes,
        }]
    );
    assert!(s.prompt.is_none());
    update(&mut s, Msg::Applying { keys: 2 });
    assert_eq!(message(&s).1, "applying copy /app/ → /backup/: 2 of 3 keys");
    // Esc does not close it while applying.
    update(&mut s, key(KeyCode::Esc));
    assert!(s.plan.is_some());
    update(
        &mut s,
        Msg::Applied(Ok(Summary {
            applied: 1,
            deleted: 0,
            skipped: vec![b"/backup/b".to_vec()],
            ..Summary::default()
        })),
    );
    assert_eq!(
        message(&s),
        (
            false,
            "copy /app/ → /backup/: 1 applied, 1 skipped because they changed since the plan"
                .into()
        )
    );
    // The summary stays until a key (issue 22.17), past any timeout.
    let later = s.now + std::time::Duration::from_secs(600);
    update(&mut s, Msg::Tick(later));
    assert!(message(&s).1.ends_with("changed since the plan"));
    // Applied once: `a` does not ask again.
    update(&mut s, ch('a'));
    assert!(s.prompt.is_none());
    update(&mut s, key(KeyCode::Esc));
    assert!(s.plan.is_none(), "Esc closes it");
}

#[test]
fn move_and_import_plan_and_failures_say_why() {
    let mut s = listed_state();
    let cmds = command(&mut s, "move /backup/");
    assert_eq!(
        cmds,
        vec![Cmd::Plan {
            transfer: copy_app(true),
            options: Default::default(),
        }]
    );
    update(
        &mut s,
        Msg::Planned {
            transfer: copy_app(true),
            result: Ok(three_key_plan(true)),
        },
    );
    // A move lists every key: each source is deleted, even the unchanged.
    assert_eq!(s.plan.as_ref().unwrap().changed, vec![0, 1, 2]);
    // Esc in the yes prompt cancels; nothing sent.
    update(&mut s, ch('a'));
    assert!(update(&mut s, key(KeyCode::Esc)).is_empty());
    assert!(s.prompt.is_none() && s.plan.is_some());
    update(&mut s, key(KeyCode::Esc));
    assert!(s.plan.is_none());

    let cmds = command(&mut s, "import /tmp/app.jsonl");
    let import = Transfer {
        source: Source::File("/tmp/app.jsonl".into()),
        to: None,
        moving: false,
        to_context: None,
    };
    assert_eq!(
        cmds,
        vec![Cmd::Plan {
            transfer: import.clone(),
            options: Default::default(),
        }]
    );
    update(
        &mut s,
        Msg::Planned {
            transfer: import,
            result: Err("cannot read /tmp/app.jsonl: No such file or directory".into()),
        },
    );
    assert_eq!(
        message(&s),
        (
            true,
            "cannot plan import /tmp/app.jsonl: cannot read /tmp/app.jsonl: No such file or directory"
                .into()
        )
    );
    update(&mut s, key(KeyCode::Esc));

    assert!(command(&mut s, "move").is_empty());
    assert_eq!(
        message(&s),
        (
            true,
            ":move needs a DEST prefix (e.g. :move /backup/)".into()
        )
    );
    // `:copy` alone is still the clipboard's action, not a transfer.
    command(&mut s, "copy");
    assert_eq!(message(&s), (false, "no value to copy".into()));
    assert!(s.plan.is_none());
    // A key is not a directory.
    update(&mut s, ch('j'));
    assert!(command(&mut s, "move /x/").is_empty());
    assert_eq!(
        message(&s).1,
        "select a directory to move everything under it"
    );
}

#[test]
fn read_only_refuses_transfers_before_anything_is_read() {
    let mut s = listed_state();
    s.read_only = true;
    for line in ["copy /backup/", "move /backup/", "import /tmp/a.jsonl"] {
        assert!(command(&mut s, line).is_empty(), "{line}");
        let (error, text) = message(&s);
        assert!(error && text.starts_with("read-only: "), "{text}");
        assert!(s.plan.is_none());
    }
}

#[test]
fn plan_view_snapshot() {
    let mut s = listed_state();
    s.size = (120, 20);
    command(&mut s, "move /backup/");
    update(
        &mut s,
        Msg::Planned {
            transfer: copy_app(true),
            result: Ok(three_key_plan(true)),
        },
    );
    update(&mut s, ch('j'));
    update(&mut s, key(KeyCode::Enter));
    update(
        &mut s,
        Msg::PlanKey {
            target: b"/backup/b".to_vec(),
            result: Ok((
                Some(b"{\n  \"port\": 1\n}".to_vec()),
                b"{\n  \"port\": 2\n}".to_vec(),
            )),
        },
    );
    let mut t = Terminal::new(TestBackend::new(120, 20)).unwrap();
    t.draw(|f| etcdlens::ui::draw(f, &s)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut screen = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            screen.push_str(buf[(x, y)].symbol());
        }
        screen.push('\n');
    }
    insta::assert_snapshot!(screen);
}

/// Issue 22.20: a plan's warning (a destination without the delimiter)
/// is on the status line, in the plan view and in the yes prompt, which
/// confirms it; `:import -` (standard input: the terminal here) is
/// refused.
#[test]
fn a_plan_warning_is_shown_and_confirmed_and_import_dash_is_refused() {
    let mut s = listed_state();
    assert!(command(&mut s, "import -").is_empty());
    let (error, text) = message(&s);
    assert!(
        error && text.starts_with("import - reads standard input"),
        "{text}"
    );
    assert!(s.plan.is_none());

    let cmds = command(&mut s, "move /xx");
    let [Cmd::Plan { transfer, options }] = &cmds[..] else {
        panic!("{cmds:?}")
    };
    assert_eq!(options.delimiter, b"/");
    let warning =
        "the destination /xx does not end with / as the source /app/ does: keys will be /xxa, …";
    let mut plan = three_key_plan(true);
    plan.warnings = vec![warning.into()];
    update(
        &mut s,
        Msg::Planned {
            transfer: transfer.clone(),
            result: Ok(plan),
        },
    );
    let (error, text) = message(&s);
    assert!(error, "{text}");
    assert!(
        text.ends_with(&format!(
            " · warning: {warning} · a applies it anyway (type yes), Esc closes"
        )),
        "{text}"
    );
    let mut term = Terminal::new(TestBackend::new(160, 45)).unwrap();
    term.draw(|f| etcdlens::ui::draw(f, &s)).unwrap();
    let screen: String = term
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(screen.contains(&format!("warning: {warning}")), "{screen}");
    update(&mut s, ch('a'));
    let prompt = s.prompt.as_ref().expect("the yes prompt");
    assert!(
        prompt.fields[0]
            .0
            .contains(&format!("(warning: {warning})? type yes")),
        "{:?}",
        prompt.fields
    );
}
