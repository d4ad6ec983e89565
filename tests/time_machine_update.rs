//! The time machine's transitions as plain functions (no terminal, no
//! etcd): `:rev` and `:changes`.

use crate::common;

use std::time::Instant;

use common::fixtures::{ch, command, key, loaded, page, page_at};
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
    s.message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default()
}

#[test]
fn rev_lists_and_reads_at_the_revision_and_refuses_writes() {
    let mut s = browsing();
    let cmds = command(&mut s, "rev 30");
    assert_eq!(
        cmds,
        vec![Cmd::CheckRevision {
            spec: RevisionSpec::At(30),
            prefix: b"/".to_vec(),
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
            message(&s).starts_with("at rev 30 (the past): "),
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
            spec: RevisionSpec::Ago(100),
            prefix: b"/".to_vec(),
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

use etcdlens::app::dialogs::Submit;
use etcdlens::etcd::changes::{Changes, ChangesUpdate, KeyChange, Undeleted};

fn change(key: &str, puts: u32, deletes: u32, existed: bool, exists: bool, last: i64) -> KeyChange {
    KeyChange {
        key: key.as_bytes().to_vec(),
        puts,
        deletes,
        existed,
        exists,
        last_revision: last,
    }
}

/// A state with `:changes` open on `/a/` and read: /a/new created, /a/cfg
/// changed 3 times, /a/gone and /a/old deleted, /a/tmp created and deleted.
fn with_changes() -> (State, u64) {
    let mut s = browsing();
    update(&mut s, ch('g'));
    let cmds = update(&mut s, ch('c'));
    let id = match &cmds[..] {
        [Cmd::Changes {
            id,
            prefix,
            from: RevisionSpec::Ago(1000),
            to: RevisionSpec::Now,
        }] if prefix == b"/a/" => *id,
        other => panic!("{other:?}"),
    };
    update(
        &mut s,
        Msg::Changes {
            id,
            update: ChangesUpdate::Range {
                from: 100,
                to: 1100,
            },
        },
    );
    update(
        &mut s,
        Msg::Changes {
            id,
            update: ChangesUpdate::Progress {
                reached: 600,
                events: 4_321,
                keys: 17,
            },
        },
    );
    let screen = common::fixtures::screen(&s);
    assert!(
        screen.contains(
            "reading revisions 101…1100 (one watch): at rev 600 (50%) · 4,321 events · 17 keys"
        ),
        "{screen}"
    );
    update(
        &mut s,
        Msg::Changes {
            id,
            update: ChangesUpdate::Done(Changes {
                prefix: b"/a/".to_vec(),
                from: 100,
                to: 1100,
                keys: vec![
                    change("/a/cfg", 3, 0, true, true, 900),
                    change("/a/gone", 0, 1, true, false, 700),
                    change("/a/new", 1, 0, false, true, 300),
                    change("/a/old", 2, 1, true, false, 1000),
                    change("/a/tmp", 1, 1, false, false, 500),
                ],
                events: 11,
                exact: true,
            }),
        },
    );
    (s, id)
}

#[test]
fn changes_open_read_move_and_show_a_history() {
    let (mut s, id) = with_changes();
    let view = s.changes.as_ref().unwrap();
    assert_eq!(view.summary, [1, 1, 2, 1]);
    assert_eq!(etcdlens::app::layer::mode(&s), etcdlens::app::Mode::Changes);
    // A late answer of another reading is dropped.
    update(
        &mut s,
        Msg::Changes {
            id: id + 100,
            update: ChangesUpdate::Failed(RevisionError::Other("stale".into())),
        },
    );
    assert!(s.changes.as_ref().unwrap().error.is_none());
    update(&mut s, ch('j'));
    let cmds = update(&mut s, key(KeyCode::Enter));
    assert_eq!(
        cmds,
        vec![Cmd::History {
            key: b"/a/gone".to_vec()
        }]
    );
    assert!(s.history.is_some());
    update(&mut s, key(KeyCode::Esc));
    assert!(
        s.history.is_none() && s.changes.is_some(),
        "Esc closes the history first"
    );
    let cmds = update(&mut s, key(KeyCode::Esc));
    assert!(s.changes.is_none());
    assert_eq!(cmds, vec![Cmd::StopChanges]);
    // A range that cannot be read: one line in the view.
    command(&mut s, "changes 5 now");
    let id = s.changes.as_ref().unwrap().id;
    update(
        &mut s,
        Msg::Changes {
            id,
            update: ChangesUpdate::Failed(RevisionError::Compacted {
                revision: 5,
                oldest: 80,
            }),
        },
    );
    let screen = common::fixtures::screen(&s);
    assert!(
        screen.contains(
            "cannot read the changes: revision 5 is compacted; the oldest available is 80"
        ),
        "{screen}"
    );
}

#[test]
fn undelete_one_or_all_asks_first_and_reports() {
    let (mut s, _) = with_changes();
    // A key that exists: nothing to put back.
    let cmds = update(&mut s, ch('U'));
    assert!(cmds.is_empty() && s.confirm.is_none());
    assert!(message(&s).contains("nothing to put back"));
    // The deleted /a/gone: a question with the etcdctl line.
    update(&mut s, ch('j'));
    update(&mut s, ch('U'));
    let q = s.confirm.clone().expect("asks first");
    assert!(q.question.contains("put /a/gone back"), "{}", q.question);
    assert_eq!(q.etcdctl, "etcdctl put /a/gone <value at rev 699>");
    let cmds = update(&mut s, ch('y'));
    assert_eq!(
        cmds,
        vec![Cmd::Undelete {
            prefix: b"/a/".to_vec(),
            items: vec![(b"/a/gone".to_vec(), 700)],
            max_request_bytes: s.max_request_bytes,
        }]
    );
    update(
        &mut s,
        Msg::Undeleted {
            prefix: b"/a/".to_vec(),
            result: Undeleted {
                restored: vec![(b"/a/gone".to_vec(), 1200)],
                skipped: vec![],
                error: None,
            },
            journal: Ok(()),
        },
    );
    assert_eq!(message(&s), "1 restored");
    // All: the two left (the created-and-deleted one too), type yes.
    update(&mut s, ch('A'));
    let p = s.prompt.clone().expect("a dialog");
    assert_eq!(p.fields[0].0, "restore 2 keys under /a/? type yes");
    let Submit::Yes { cmds, .. } = &p.submit else {
        panic!("{:?}", p.submit)
    };
    let [Cmd::Undelete { items, .. }] = &cmds[..] else {
        panic!("{cmds:?}")
    };
    assert_eq!(
        items,
        &vec![(b"/a/old".to_vec(), 1000), (b"/a/tmp".to_vec(), 500)]
    );
    for c in "no".chars() {
        update(&mut s, ch(c));
    }
    assert!(update(&mut s, key(KeyCode::Enter)).is_empty());
    assert!(s.prompt.as_ref().unwrap().error.is_some());
    update(&mut s, key(KeyCode::Backspace));
    update(&mut s, key(KeyCode::Backspace));
    for c in "yes".chars() {
        update(&mut s, ch(c));
    }
    let cmds = update(&mut s, key(KeyCode::Enter));
    assert!(matches!(&cmds[..], [Cmd::Undelete { items, .. }] if items.len() == 2));
    update(
        &mut s,
        Msg::Undeleted {
            prefix: b"/a/".to_vec(),
            result: Undeleted {
                restored: vec![(b"/a/tmp".to_vec(), 1201)],
                skipped: vec![b"/a/old".to_vec()],
                error: None,
            },
            journal: Ok(()),
        },
    );
    assert_eq!(message(&s), "1 restored, 1 skipped: created meanwhile");
    insta::assert_snapshot!(common::fixtures::screen(&s));
    // Read-only: refused, nothing asked.
    s.read_only = true;
    update(&mut s, ch('A'));
    assert!(s.prompt.is_none() && message(&s).starts_with("read-only"));
}

/// Issue 22.17: an undelete's summary stays until a key (not 6 s), a
/// transient message does not push it out, and Esc dismisses it without
/// closing the changes view under it.
#[test]
fn the_undelete_summary_stays_until_a_key() {
    let (mut s, _) = with_changes();
    update(
        &mut s,
        Msg::Undeleted {
            prefix: b"/a/".to_vec(),
            result: Undeleted {
                restored: (0..50_192)
                    .map(|i| (format!("/a/k{i}").into_bytes(), 2000))
                    .collect(),
                skipped: vec![],
                error: None,
            },
            journal: Ok(()),
        },
    );
    assert_eq!(message(&s), "50,192 restored");
    let later = s.now + std::time::Duration::from_secs(600);
    update(&mut s, Msg::Tick(later));
    assert_eq!(message(&s), "50,192 restored", "still there");
    s.info("something transient");
    assert_eq!(message(&s), "50,192 restored", "not pushed out");
    let screen = common::fixtures::screen(&s);
    assert!(
        screen.contains("│ 50,192 restored · any key dismisses"),
        "{screen}"
    );
    update(&mut s, key(KeyCode::Esc));
    assert_eq!(message(&s), "", "dismissed");
    assert!(s.changes.is_some(), "Esc only dismissed the summary");
    // An ordinary message still goes by itself.
    s.info("transient");
    update(&mut s, Msg::Tick(later + std::time::Duration::from_secs(7)));
    assert_eq!(message(&s), "");
}
