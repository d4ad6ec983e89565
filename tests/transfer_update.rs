//! `:export FILE` as plain transitions: message in, state and commands out.

mod common;

use common::fixtures::{ch, key, listed_root};
use crossterm::event::KeyCode;
use etcdlens::app::{update, Cmd, Msg, State};
use etcdlens::transfer::export::Exported;

fn listed_state() -> State {
    listed_root(&["/app/", "/key"])
}

fn command(s: &mut State, line: &str) -> Vec<Cmd> {
    let mut cmds = update(s, ch(':'));
    for c in line.chars() {
        cmds.extend(update(s, ch(c)));
    }
    cmds.extend(update(s, key(KeyCode::Enter)));
    cmds
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
