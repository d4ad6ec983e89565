//! Find as plain transitions: `F` and `:find` start a find on the selected
//! directory, batches fill the virtual directory, `Esc` stops then closes,
//! results are browsed, shown, edited, deleted and copied like keys.
//! No terminal, no etcd.

use crate::common;

use std::time::Instant;

use common::fixtures::{ch, key, loaded, page, screen, typed};
use crossterm::event::KeyCode;
use etcdlens::app::find::{FindBatch, Hit, Progress};
use etcdlens::app::msg::WriteOp;
use etcdlens::app::tree::ROOT;
use etcdlens::app::value::ValueStatus;
use etcdlens::app::{update, Cmd, Msg, Pane, State};
use etcdlens::etcd::bulk::DeletedUnchanged;
use etcdlens::etcd::types::WriteOutcome;

/// A tree `/` holding `/app/` (selected) and `/top`.
fn browsing() -> State {
    let mut s = State::new(b"/", b"/", "127.0.0.1:2379".into(), Instant::now());
    s.size = (160, 45);
    let g = s.tree.begin_load(ROOT).unwrap().generation;
    s.tree.apply_page(ROOT, g, page(&["/app/", "/top"], None));
    s.tree.rebuild_rows();
    s
}

fn run(s: &mut State, msgs: Vec<Msg>) -> Vec<Cmd> {
    msgs.into_iter().flat_map(|m| update(s, m)).collect()
}

/// Starts `:find QUERY` from the `F` key; returns the find's id.
fn find(s: &mut State, query: &str) -> u64 {
    let mut msgs = vec![ch('F')];
    msgs.extend(typed(query));
    msgs.push(key(KeyCode::Enter));
    let cmds = run(s, msgs);
    cmds.iter()
        .find_map(|c| match c {
            Cmd::Find {
                id,
                prefix,
                query: q,
            } => {
                assert_eq!(prefix, b"/app/", "the selected directory");
                assert_eq!(q, query);
                Some(*id)
            }
            _ => None,
        })
        .expect("a Find command")
}

fn batch(keys: &[&str], scanned: u64, done: bool) -> FindBatch {
    FindBatch {
        hits: keys
            .iter()
            .map(|k| Hit {
                key: k.as_bytes().to_vec(),
                mod_revision: 5,
            })
            .collect(),
        scanned,
        total: 1000,
        revision: 77,
        done: done.then_some(Ok(())),
        skipped: None,
    }
}

#[test]
fn f_finds_in_the_selected_directory_and_batches_fill_the_results() {
    let mut s = browsing();
    let id = find(&mut s, "pay");
    let v = s.find.as_ref().expect("results shown");
    assert_eq!(
        (v.progress.clone(), v.matches, s.focus),
        (Progress::Running, 0, Pane::Keys)
    );
    // Batches arrive out of key order; the rows are in key order.
    update(
        &mut s,
        Msg::Found {
            id,
            batch: batch(&["/app/z/payment", "/app/a/pay"], 400, false),
        },
    );
    update(
        &mut s,
        Msg::Found {
            id,
            batch: batch(&["/app/m/pay"], 1000, true),
        },
    );
    let v = s.find.as_ref().unwrap();
    let keys: Vec<&[u8]> = v.hits.iter().map(|h| h.key.as_slice()).collect();
    assert_eq!(keys, [&b"/app/a/pay"[..], b"/app/m/pay", b"/app/z/payment"]);
    assert_eq!(
        (v.matches, v.scanned, v.total, v.progress.clone()),
        (3, 1000, 1000, Progress::Done)
    );
    let text = screen(&s);
    assert!(text.contains("find: \"pay\" (3)"), "{text}");
    assert!(
        text.contains("scanned 1,000 / 1,000 keys  3 matches"),
        "{text}"
    );
    // A batch of another (older) find is dropped.
    update(
        &mut s,
        Msg::Found {
            id: id + 100,
            batch: batch(&["/app/x"], 1, false),
        },
    );
    assert_eq!(s.find.as_ref().unwrap().matches, 3);
}

#[test]
fn results_are_shown_edited_deleted_and_copied_like_keys() {
    let mut s = browsing();
    let id = find(&mut s, "pay");
    update(
        &mut s,
        Msg::Found {
            id,
            batch: batch(&["/app/a/pay", "/app/b/pay"], 9, true),
        },
    );
    // Down onto the first result: its value is fetched.
    let cmds = update(&mut s, ch('j'));
    let req = cmds
        .iter()
        .find_map(|c| match c {
            Cmd::FetchValue { req, key } if key == b"/app/a/pay" => Some(*req),
            _ => None,
        })
        .expect("the result's value is fetched");
    update(
        &mut s,
        Msg::Value {
            req,
            result: Ok(Some(loaded(b"/app/a/pay", b"{\"a\":1}", 9, 0))),
            revision: 9,
        },
    );
    // A listing page of the tree meanwhile does not take the value away.
    let app = s.tree.rows[0].node;
    let g = s.tree.begin_load(app).unwrap().generation;
    update(
        &mut s,
        Msg::Listed {
            dir: app,
            generation: g,
            result: Ok(page(&["/app/k"], None)),
        },
    );
    assert!(matches!(s.value.status, ValueStatus::Loaded { .. }));
    // `e` edits it (the write path of any key).
    update(&mut s, ch('e'));
    assert_eq!(
        s.editor.as_ref().map(|e| e.ctx.key.clone()),
        Some(b"/app/a/pay".to_vec())
    );
    update(&mut s, key(KeyCode::Esc));
    assert!(s.editor.is_none());
    // `d` asks, then deletes it guarded on the shown revision; the row goes.
    update(&mut s, ch('d'));
    let cmds = update(&mut s, ch('y'));
    assert!(cmds
        .iter()
        .any(|c| matches!(c, Cmd::Delete { key, .. } if key == b"/app/a/pay")));
    update(
        &mut s,
        Msg::WriteDone {
            op: WriteOp::Delete,
            key: b"/app/a/pay".to_vec(),
            result: Ok(WriteOutcome::Done { revision: 10 }),
            journal: Ok(()),
        },
    );
    assert_eq!(s.find.as_ref().unwrap().hits.len(), 1);
    // `y` on a result copies its name; on the directory's row every name.
    update(&mut s, ch('j'));
    let cmds = update(&mut s, ch('y'));
    assert!(
        cmds.contains(&Cmd::Copy(b"/app/b/pay".to_vec())),
        "{cmds:?}"
    );
    update(&mut s, ch('g'));
    let cmds = update(&mut s, ch('y'));
    assert!(
        cmds.contains(&Cmd::Copy(b"/app/b/pay\n".to_vec())),
        "{cmds:?}"
    );
    // Enter on a result goes to its value.
    update(&mut s, ch('j'));
    update(&mut s, key(KeyCode::Enter));
    assert_eq!(s.focus, Pane::Value);
}

#[test]
fn esc_stops_a_running_find_then_closes_the_results() {
    let mut s = browsing();
    let id = find(&mut s, "re:^a.*z$");
    update(
        &mut s,
        Msg::Found {
            id,
            batch: batch(&["/app/abz"], 10, false),
        },
    );
    let cmds = update(&mut s, key(KeyCode::Esc));
    assert_eq!(cmds, vec![Cmd::CancelFind { id }]);
    assert_eq!(s.find.as_ref().unwrap().progress, Progress::Cancelled);
    // What the stopped scan had in flight is dropped.
    update(
        &mut s,
        Msg::Found {
            id,
            batch: batch(&["/app/az"], 20, false),
        },
    );
    assert_eq!(s.find.as_ref().unwrap().matches, 1);
    assert!(screen(&s).contains("stopped"));
    let cmds = update(&mut s, key(KeyCode::Esc));
    assert!(s.find.is_none() && cmds.is_empty());
    assert!(screen(&s).contains("app/"), "the tree is back");
}

#[test]
fn a_bad_query_is_said_and_nothing_runs() {
    let mut s = browsing();
    let mut msgs = vec![key(KeyCode::Char(':'))];
    msgs.extend(typed("find re:(unclosed"));
    msgs.push(key(KeyCode::Enter));
    let cmds = run(&mut s, msgs);
    assert!(cmds.iter().all(|c| !matches!(c, Cmd::Find { .. })));
    assert!(s.find.is_none());
    let m = s.message.as_ref().expect("a message");
    assert!(
        m.error && m.text.contains("not a regular expression"),
        "{}",
        m.text
    );
    // A new query over shown results searches the same directory.
    let id = find(&mut s, "x");
    update(
        &mut s,
        Msg::Found {
            id,
            batch: batch(&[], 1, true),
        },
    );
    update(&mut s, ch('j'));
    let cmds = run(&mut s, {
        let mut m = vec![key(KeyCode::Char(':'))];
        m.extend(typed("find y"));
        m.push(key(KeyCode::Enter));
        m
    });
    assert!(cmds
        .iter()
        .any(|c| matches!(c, Cmd::Find { prefix, .. } if prefix == b"/app/")));
}

#[test]
fn d_on_the_results_row_deletes_every_result_after_yes() {
    let mut s = browsing();
    let id = find(&mut s, "pay");
    // Not while the scan runs.
    run(
        &mut s,
        vec![Msg::Found {
            id,
            batch: batch(&["/app/pay1"], 10, false),
        }],
    );
    assert!(run(&mut s, vec![ch('D')]).is_empty());
    assert!(s.prompt.is_none());
    assert!(s.message.as_ref().unwrap().text.contains("still running"));
    run(
        &mut s,
        vec![Msg::Found {
            id,
            batch: batch(&["/app/pay2", "/app/x/pay3"], 1000, true),
        }],
    );
    // On a result, D says what it does instead.
    run(&mut s, vec![ch('j')]);
    assert!(run(&mut s, vec![ch('D')])
        .iter()
        .all(|c| !matches!(c, Cmd::DeleteFound { .. })));
    assert!(s.prompt.is_none());
    run(&mut s, vec![ch('k')]);

    // In --read-only: refused, nothing asked.
    s.read_only = true;
    assert!(run(&mut s, vec![ch('D')]).is_empty());
    assert!(s.prompt.is_none());
    assert_eq!(
        s.message.as_ref().unwrap().text,
        "read-only: deleting the find's results refused; nothing was sent"
    );
    s.read_only = false;

    // The question, then anything but `yes` sends nothing.
    assert!(run(&mut s, vec![ch('D')]).is_empty());
    let screen_text = screen(&s);
    assert!(
        screen_text.contains("delete 3 keys found for \"pay\" under /app/?"),
        "{screen_text}"
    );
    assert!(
        screen_text.contains("etcdctl txn -i: mod(\"/app/pay1\") = \"5\" → del /app/pay1"),
        "{screen_text}"
    );
    let mut msgs = typed("no");
    msgs.push(key(KeyCode::Enter));
    assert!(run(&mut s, msgs).is_empty());
    assert!(s.prompt.is_some(), "still asking");
    let mut msgs = vec![key(KeyCode::Backspace), key(KeyCode::Backspace)];
    msgs.extend(typed("yes"));
    msgs.push(key(KeyCode::Enter));
    let cmds = run(&mut s, msgs);
    let keys: Vec<(Vec<u8>, i64)> = ["/app/pay1", "/app/pay2", "/app/x/pay3"]
        .iter()
        .map(|k| (k.as_bytes().to_vec(), 5))
        .collect();
    assert_eq!(
        cmds,
        [Cmd::DeleteFound {
            id,
            keys,
            journal: true
        }]
    );
    assert!(s.prompt.is_none());

    // The answer: deleted rows go, the changed one stays, the summary.
    let cmds = run(
        &mut s,
        vec![Msg::FoundDeleted {
            id,
            result: DeletedUnchanged {
                deleted: vec![
                    (b"/app/pay1".to_vec(), 90, Some((b"v".to_vec(), 0))),
                    (b"/app/x/pay3".to_vec(), 91, Some((b"w".to_vec(), 0))),
                ],
                skipped: vec![b"/app/pay2".to_vec()],
                error: None,
            },
            journal: Ok(()),
        }],
    );
    assert!(cmds.is_empty());
    let v = s.find.as_ref().unwrap();
    let left: Vec<&[u8]> = v.hits.iter().map(|h| h.key.as_slice()).collect();
    assert_eq!(left, [&b"/app/pay2"[..]]);
    assert_eq!(v.matches, 1, "the count on the results' row follows");
    assert_eq!(
        s.message.as_ref().unwrap().text,
        "2 deleted, 1 skipped (changed since the search)"
    );
}

#[test]
fn d_on_a_leases_keys_is_refused_they_have_no_scan_revision() {
    use etcdlens::etcd::leases::LeaseInfo;
    let mut s = browsing();
    let info = LeaseInfo {
        id: 0x1234,
        granted: 60,
        ttl: 50,
        keys: 2,
    };
    run(
        &mut s,
        vec![Msg::LeaseKeys {
            id: 0x1234,
            result: Ok(Some((info, vec![b"/app/a".to_vec(), b"/app/b".to_vec()]))),
        }],
    );
    assert_eq!(s.find.as_ref().map(|v| v.hits.len()), Some(2));
    assert!(run(&mut s, vec![ch('D')]).is_empty());
    assert!(s.prompt.is_none());
    assert!(s
        .message
        .as_ref()
        .unwrap()
        .text
        .contains("x in :leases revokes it"));
}
