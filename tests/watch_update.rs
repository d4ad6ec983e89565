//! Watch messages through `update`, without a terminal or etcd.

use crate::common;

use std::time::Instant;

use common::fixtures::page_at;
use etcdlens::app::tree::update::start;
use etcdlens::app::tree::ROOT;
use etcdlens::app::value::ValueStatus;
use etcdlens::app::watch::log::LogEntry;
use etcdlens::app::{update, Cmd, Msg, State};
use etcdlens::etcd::types::{ChildPage, EventKind, WatchEvent};

fn page(children: &[&str], revision: i64) -> ChildPage {
    let names: Vec<&[u8]> = children.iter().map(|c| c.as_bytes()).collect();
    page_at(&names, None, revision)
}

fn put(key: &str, rev: i64) -> WatchEvent {
    WatchEvent {
        kind: EventKind::Put,
        key: key.as_bytes().to_vec(),
        value: b"v".to_vec(),
        prev_value: None,
        mod_revision: rev,
        create_revision: rev,
        version: 1,
        lease: 0,
    }
}

fn del(key: &str, rev: i64) -> WatchEvent {
    WatchEvent {
        kind: EventKind::Delete,
        value: Vec::new(),
        ..put(key, rev)
    }
}

fn events(epoch: u64, evs: Vec<WatchEvent>) -> Msg {
    let revision = evs.last().map_or(0, |e| e.mod_revision);
    Msg::WatchEvents {
        epoch,
        events: evs,
        revision,
        at: Instant::now(),
    }
}

fn names(s: &State) -> Vec<String> {
    s.tree
        .rows
        .iter()
        .map(|r| String::from_utf8_lossy(&s.tree.node(r.node).full).into_owned())
        .collect()
}

/// A state with the root `/` listed at revision 10 and the watch started.
fn listed(children: &[&str]) -> (State, Vec<Cmd>) {
    let mut s = State::new(b"/", b"/", "e".into(), Instant::now());
    s.size = (160, 45);
    let cmds = start(&mut s);
    let Some(Cmd::ListChildren { request, .. }) = cmds.first().cloned() else {
        panic!()
    };
    let generation = request.generation;
    let cmds = update(
        &mut s,
        Msg::Listed {
            dir: ROOT,
            generation,
            result: Ok(page(children, 10)),
        },
    );
    (s, cmds)
}

#[test]
fn the_watch_starts_after_the_first_listing_from_its_revision() {
    let (s, cmds) = listed(&["/a", "/b"]);
    assert!(cmds.contains(&Cmd::Watch {
        epoch: 1,
        prefix: b"/".to_vec(),
        start_revision: Some(11),
    }));
    assert_eq!(s.watch.epoch, 1);
}

#[test]
fn tree_changes_are_coalesced_until_the_frame() {
    let (mut s, _) = listed(&["/a", "/d/"]);
    update(
        &mut s,
        events(
            1,
            vec![put("/b", 11), put("/c", 12), del("/a", 13), put("/b", 14)],
        ),
    );
    assert_eq!(names(&s), ["/a", "/d/"], "rows unchanged before the frame");
    assert_eq!(s.pending_tree.len(), 4);
    update(&mut s, Msg::Frame);
    assert_eq!(names(&s), ["/b", "/c", "/d/"]);
    assert_eq!(s.events.total, 4);
    assert_eq!(s.revision, 14);
}

#[test]
fn stale_epochs_are_ignored() {
    let (mut s, _) = listed(&["/a"]);
    update(&mut s, events(7, vec![put("/x", 11)]));
    assert_eq!(s.events.total, 0);
    update(&mut s, Msg::Frame);
    assert_eq!(names(&s), ["/a"]);
}

#[test]
fn deletes_under_a_closed_directory_probe_it() {
    // (Two children, so /d/ does not open by itself.)
    let (mut s, _) = listed(&["/d/", "/e"]);
    let d = s.tree.rows[0].node;
    update(&mut s, events(1, vec![del("/d/x", 11)]));
    let cmds = update(&mut s, Msg::Frame);
    assert!(cmds.contains(&Cmd::ProbeDir {
        dir: d,
        full: b"/d/".to_vec()
    }));
    update(
        &mut s,
        Msg::DirProbed {
            dir: d,
            full: b"/d/".to_vec(),
            empty: true,
        },
    );
    assert_eq!(names(&s), ["/e"]);
}

#[test]
fn the_shown_value_refreshes_and_says_so() {
    let (mut s, _) = listed(&["/a", "/b"]);
    // Select /a (a key row) and get its value.
    let cmds = update(&mut s, Msg::Frame);
    assert!(cmds.is_empty());
    let cmds = update(
        &mut s,
        Msg::Input(crossterm::event::Event::Key(
            crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('g')),
        )),
    );
    let _ = cmds;
    assert_eq!(s.value.key.as_deref(), Some(&b"/a"[..]));
    update(&mut s, events(1, vec![put("/a", 11)]));
    let cmds = update(&mut s, Msg::Frame);
    assert!(cmds
        .iter()
        .any(|c| matches!(c, Cmd::FetchValue { key, .. } if key == b"/a")));
    assert_eq!(s.value.changed, Some((11, EventKind::Put)));
    update(&mut s, events(1, vec![del("/a", 12)]));
    update(&mut s, Msg::Frame);
    assert!(matches!(s.value.status, ValueStatus::Missing));
    assert_eq!(s.value.changed, Some((12, EventKind::Delete)));
}

#[test]
fn a_gap_is_logged_once_and_the_tree_is_listed_again() {
    let (mut s, _) = listed(&["/a", "/d/"]);
    // Open /d/.
    update(
        &mut s,
        Msg::Input(crossterm::event::Event::Key(
            crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('j')),
        )),
    );
    update(
        &mut s,
        Msg::Input(crossterm::event::Event::Key(
            crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('l')),
        )),
    );
    let cmds = update(
        &mut s,
        Msg::WatchGap {
            epoch: 1,
            from: 11,
            to: 40,
            compacted: 30,
        },
    );
    assert!(cmds
        .iter()
        .any(|c| matches!(c, Cmd::ListChildren { dir: 0, .. })));
    assert!(matches!(
        s.events.get(0),
        Some(LogEntry::Gap { from: 11, to: 40 })
    ));
    assert!(s.tree.will_reopen(b"/d/"));
    let Some(Cmd::ListChildren { request, .. }) = cmds
        .into_iter()
        .find(|c| matches!(c, Cmd::ListChildren { .. }))
    else {
        panic!()
    };
    let generation = request.generation;
    // The re-listing opens /d/ again.
    let cmds = update(
        &mut s,
        Msg::Listed {
            dir: ROOT,
            generation,
            result: Ok(page(&["/d/", "/e"], 41)),
        },
    );
    assert!(cmds
        .iter()
        .any(|c| matches!(c, Cmd::ListChildren { request, .. } if request.prefix == b"/d/")));
}

#[test]
fn late_pages_do_not_resurrect_deleted_keys() {
    let (mut s, _) = listed(&["/d/", "/e"]);
    let d = s.tree.rows[0].node;
    // Open /d/; its listing is in flight...
    update(
        &mut s,
        Msg::Input(crossterm::event::Event::Key(
            crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('l')),
        )),
    );
    let generation = s.tree.dir(d).unwrap().in_flight.unwrap();
    // ...while /d/x is deleted at 12; the page was read at 11.
    update(&mut s, events(1, vec![del("/d/x", 12)]));
    update(&mut s, Msg::Frame);
    update(
        &mut s,
        Msg::Listed {
            dir: d,
            generation,
            result: Ok(page(&["/d/x", "/d/y"], 11)),
        },
    );
    update(&mut s, Msg::Frame);
    assert_eq!(names(&s), ["/d/", "/d/y", "/e"]);
}

#[test]
fn pause_freezes_and_counts() {
    let (mut s, _) = listed(&["/a"]);
    update(&mut s, events(1, vec![put("/a", 11)]));
    update(
        &mut s,
        Msg::Input(crossterm::event::Event::Key(
            crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('p')),
        )),
    );
    update(&mut s, events(1, vec![put("/a", 12), put("/a", 13)]));
    assert_eq!(s.events.bottom(), Some(0));
    assert_eq!(s.events.unseen, 2);
    update(
        &mut s,
        Msg::Input(crossterm::event::Event::Key(
            crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('p')),
        )),
    );
    assert_eq!(s.events.bottom(), Some(2));
}

#[test]
fn a_change_below_a_closed_directory_drops_its_stale_seed() {
    let mut s = State::new(b"/", b"/", "e".into(), Instant::now());
    s.size = (160, 45);
    let cmds = start(&mut s);
    let Some(Cmd::ListChildren { request, .. }) = cmds.first().cloned() else {
        panic!()
    };
    let mut p = page(&["/d/", "/e"], 10);
    p.seeds = vec![(b"/d/".to_vec(), vec![b"/d/old".to_vec()])];
    update(
        &mut s,
        Msg::Listed {
            dir: ROOT,
            generation: request.generation,
            result: Ok(p),
        },
    );
    let d = s.tree.rows[0].node;
    assert_eq!(s.tree.dir(d).unwrap().seed.len(), 1);
    update(&mut s, events(1, vec![del("/d/old", 11)]));
    update(&mut s, Msg::Frame);
    assert!(s.tree.dir(d).unwrap().seed.is_empty(), "stale seed dropped");
    // Opening it now reads from etcd instead of trusting the old keys.
    let cmds = update(
        &mut s,
        Msg::Input(crossterm::event::Event::Key(
            crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('l')),
        )),
    );
    assert!(cmds.iter().any(|c| matches!(c, Cmd::ListChildren { request, .. } if request.prefix == b"/d/" && request.seed.is_empty())));
}
