//! The time machine's transitions as plain functions (no terminal, no
//! etcd): `:rev` and `:changes`.

mod common;

use std::time::Instant;

use common::fixtures::{ch, key, loaded, page, page_at};
use crossterm::event::KeyCode;
use etcdlens::app::tree::update::start;
use etcdlens::app::tree::ROOT;
use etcdlens::app::{update, Cmd, Msg, State};
use etcdlens::etcd::revision::{RevisionError, RevisionSpec};
use etcdlens::etcd::types::{EventKind, WatchEvent};

fn new_state() -> State {
    let mut s = State::new(b"/", b"/", "127.0.0.1:2379".into(), Instant::now());
    s.size = (160, 45);
    s
}

fn command(s: &mut State, line: &str) -> Vec<Cmd> {
    let mut cmds = update(s, ch(':'));
    for c in line.chars() {
        cmds.extend(update(s, ch(c)));
    }
    cmds.extend(update(s, key(KeyCode::Enter)));
    cmds
}

/// The root listing request in `cmds`: (generation, revision).
fn root_listing(cmds: &[Cmd]) -> Option<(u64, i64)> {
    cmds.iter().find_map(|c| match c {
        Cmd::ListChildren { dir: ROOT, request } => Some((request.generation, request.revision)),
        _ => None,
    })
}

/// A state listing `/a/`, `/b`, `/c` with `/b` selected.
fn browsing() -> State {
    let mut s = new_state();
    let (g, _) = root_listing(&start(&mut s)).unwrap();
    update(
        &mut s,
        Msg::Listed {
            dir: ROOT,
            generation: g,
            result: Ok(page(&["/a/", "/b", "/c"], None)),
        },
    );
    update(&mut s, ch('j'));
    s
}

fn message(s: &State) -> String {
    s.message.as_ref().map(|m| m.text.clone()).unwrap_or_default()
}

#[test]
fn rev_lists_and_reads_at_the_revision_and_refuses_writes() {
    let mut s = browsing();
    let cmds = command(&mut s, "rev 30");
    assert_eq!(
        cmds,
        vec![Cmd::CheckRevision {
            spec: RevisionSpec::At(30)
        }]
    );
    assert_eq!(s.tree.at, None, "nothing changes before etcd answers");
    let cmds = update(
        &mut s,
        Msg::RevisionChecked {
            spec: RevisionSpec::At(30),
            result: Ok((30, 42)),
        },
    );
    assert_eq!(s.tree.at, Some(30));
    let (g, revision) = root_listing(&cmds).expect("the root is listed again");
    assert_eq!(revision, 30, "at the revision asked for");
    update(
        &mut s,
        Msg::Listed {
            dir: ROOT,
            generation: g,
            result: Ok(page_at(&[b"/b", b"/old"], None, 30)),
        },
    );
    // The shown key's value is read again, at rev 30.
    let cmds = update(&mut s, Msg::Frame);
    let fetched: Vec<&Cmd> = cmds
        .iter()
        .filter(|c| matches!(c, Cmd::FetchValueAt { .. } | Cmd::FetchValue { .. }))
        .collect();
    assert!(
        matches!(fetched[..], [Cmd::FetchValueAt { revision: 30, .. }]),
        "{fetched:?}"
    );
    let screen = common::fixtures::screen(&s);
    assert!(screen.contains("Keys / @ rev 30"), "{screen}");
    assert!(screen.contains("@ rev 30: the past, read-only"), "{screen}");

    // A live event does not move the past.
    let rows = s.tree.rows.len();
    let epoch = s.watch.epoch;
    update(
        &mut s,
        Msg::WatchEvents {
            epoch,
            events: vec![WatchEvent {
                kind: EventKind::Put,
                key: b"/new".to_vec(),
                value: b"x".to_vec(),
                prev_value: None,
                mod_revision: 43,
                create_revision: 43,
                version: 1,
                lease: 0,
            }],
            revision: 43,
            at: Instant::now(),
        },
    );
    assert_eq!(s.tree.rows.len(), rows);
    assert_eq!(s.revision, 43, "the status bar still knows now");

    // Writes are refused with one line, nothing sent.
    s.value.status = etcdlens::app::value::ValueStatus::Loaded {
        value: Box::new(loaded(b"/b", b"v", 20, 0)),
        fetched_at: Instant::now(),
    };
    for k in ['e', 'd', 'n', 'D', 'u'] {
        let cmds = update(&mut s, ch(k));
        assert!(cmds.is_empty(), "{k}: {cmds:?}");
        assert!(s.editor.is_none() && s.prompt.is_none() && s.confirm.is_none());
        assert!(
            message(&s).starts_with("at rev 30 (the past, read-only)"),
            "{k}: {}",
            message(&s)
        );
    }

    // Back to now: listed again at the current revision.
    command(&mut s, "rev now");
    let cmds = update(
        &mut s,
        Msg::RevisionChecked {
            spec: RevisionSpec::Now,
            result: Ok((43, 43)),
        },
    );
    assert_eq!(s.tree.at, None);
    assert_eq!(root_listing(&cmds).map(|(_, r)| r), Some(0));
    assert_eq!(message(&s), "back to now (rev 43)");
}

#[test]
fn a_compacted_revision_is_one_line_and_changes_nothing() {
    let mut s = browsing();
    let cmds = command(&mut s, "rev -100");
    assert_eq!(
        cmds,
        vec![Cmd::CheckRevision {
            spec: RevisionSpec::Ago(100)
        }]
    );
    let rows = s.tree.rows.len();
    let cmds = update(
        &mut s,
        Msg::RevisionChecked {
            spec: RevisionSpec::Ago(100),
            result: Err(RevisionError::Compacted {
                revision: 2,
                oldest: 12,
            }),
        },
    );
    assert!(cmds.is_empty());
    assert_eq!(s.tree.at, None);
    assert_eq!(s.tree.rows.len(), rows);
    assert_eq!(
        message(&s),
        "revision 2 is compacted; the oldest available is 12"
    );
    command(&mut s, "rev soon");
    assert!(message(&s).contains("not a revision: soon"));
    command(&mut s, "rev");
    assert!(message(&s).contains(":rev needs N"));
}
