//! Hot prefixes (`:top`) and the fleet (`:fleet`) without etcd: the
//! counter as plain functions (directories at a depth, windows, sorting),
//! the views' transitions, and their snapshots at 160×45 and 80×24 with
//! NO_COLOR.

use crate::common;

use std::time::{Duration, Instant};

use common::fixtures::{ch, command, key, listed_root, screen_sized};
use crossterm::event::KeyCode;
use etcdlens::app::contexts::ContextEntry;
use etcdlens::app::fleet::{FleetRow, FleetView};
use etcdlens::app::top::{Column, HotPrefixes, Metric, Source};
use etcdlens::app::{update, Cmd, Msg, State};
use etcdlens::etcd::fleet::Probe;
use etcdlens::etcd::types::{EventKind, WatchEvent, WatchStatus};
use etcdlens::ui::theme::Theme;

const SEC: Duration = Duration::from_secs(1);

fn event(kind: EventKind, key: &str, value: &[u8], rev: i64) -> WatchEvent {
    WatchEvent {
        kind,
        key: key.as_bytes().to_vec(),
        value: value.to_vec(),
        prev_value: None,
        mod_revision: rev,
        create_revision: rev,
        version: 1,
        lease: 0,
    }
}

fn put(key: &str, value: &[u8], rev: i64) -> WatchEvent {
    event(EventKind::Put, key, value, rev)
}

fn del(key: &str, rev: i64) -> WatchEvent {
    event(EventKind::Delete, key, b"", rev)
}

fn dirs(rows: &[etcdlens::app::top::Row]) -> Vec<String> {
    rows.iter()
        .map(|r| String::from_utf8_lossy(&r.dir).into_owned())
        .collect()
}

#[test]
fn a_key_counts_under_its_directory_at_the_depth() {
    let c = HotPrefixes::new(b"/a/", b"/", 1);
    let dir = |k: &str| c.dir_len(k.as_bytes()).map(|n| k[..n].to_string());
    assert_eq!(dir("/a/x/k1").as_deref(), Some("/a/x/"));
    assert_eq!(dir("/a/x/deep/er/k").as_deref(), Some("/a/x/"));
    // A key right under the prefix counts under the prefix itself.
    assert_eq!(dir("/a/k").as_deref(), Some("/a/"));
    assert_eq!(dir("/b/x/k"), None);
    let c2 = HotPrefixes::new(b"/a/", b"/", 2);
    let dir2 = |k: &str| c2.dir_len(k.as_bytes()).map(|n| k[..n].to_string());
    assert_eq!(dir2("/a/x/deep/er/k").as_deref(), Some("/a/x/deep/"));
    // Fewer levels than the depth: its own directory.
    assert_eq!(dir2("/a/x/k").as_deref(), Some("/a/x/"));
    // A delimiter of several bytes, and the whole keyspace.
    let c3 = HotPrefixes::new(b"", b"::", 1);
    assert_eq!(c3.dir_len(b"ns::pod::a"), Some(4));
}

#[test]
fn exact_counts_and_bytes_per_directory() {
    let mut c = HotPrefixes::new(b"/a/", b"/", 1);
    for i in 0..3000 {
        c.record(i / 1000, EventKind::Put, format!("/a/x/{i}").as_bytes(), 10);
    }
    for i in 0..1000 {
        c.record(2, EventKind::Put, format!("/a/y/{i}").as_bytes(), 3);
    }
    for i in 0..7 {
        c.record(2, EventKind::Delete, format!("/a/y/{i}").as_bytes(), 0);
    }
    c.record(2, EventKind::Put, b"/elsewhere/k", 5);
    assert_eq!(c.events, 4007);
    let rows = c.rows(2, 3 * SEC, Column::TotalWrites);
    assert_eq!(dirs(&rows), ["/a/x/", "/a/y/"]);
    assert_eq!(
        (
            rows[0].total.writes,
            rows[0].total.deletes,
            rows[0].total.bytes
        ),
        (3000, 0, 30_000)
    );
    assert_eq!(
        (
            rows[1].total.writes,
            rows[1].total.deletes,
            rows[1].total.bytes
        ),
        (1000, 7, 3000)
    );
    // Counted for 3 s: every window holds all of it, divided by 3 s.
    let (w, d, b) = (
        Metric::Writes as usize,
        Metric::Deletes as usize,
        Metric::Bytes as usize,
    );
    for window in 0..3 {
        assert_eq!(rows[0].rates[w][window], 1000.0);
        assert_eq!(rows[0].rates[b][window], 10_000.0);
        assert!((rows[1].rates[d][window] - 7.0 / 3.0).abs() < 1e-9);
    }
}

#[test]
fn windows_hold_10_s_1_min_and_5_min() {
    let mut c = HotPrefixes::new(b"/", b"/", 1);
    // One write at each of these seconds.
    for s in [0, 100, 250, 290, 295, 299] {
        c.record(s, EventKind::Put, b"/x/k", 1);
    }
    let rows = c.rows(299, 300 * SEC, Column::Dir);
    let w = rows[0].rates[Metric::Writes as usize];
    // 10 s: 290..=299 → 3; 1 min: 240..=299 → 4; 5 min: 0..=299 → 6.
    assert_eq!(w, [3.0 / 10.0, 4.0 / 60.0, 6.0 / 300.0]);
    // Later, the old seconds leave the windows; the total stays.
    let rows = c.rows(400, 400 * SEC, Column::Dir);
    // 5 min: 101..=400 → 250, 290, 295, 299.
    assert_eq!(
        rows[0].rates[Metric::Writes as usize],
        [0.0, 0.0, 4.0 / 300.0]
    );
    assert_eq!(rows[0].total.writes, 6);
}

#[test]
fn sorted_by_any_column() {
    let mut c = HotPrefixes::new(b"/", b"/", 1);
    let mut add = |dir: &str, second: u64, puts: usize, bytes: usize, dels: usize| {
        for i in 0..puts {
            c.record(
                second,
                EventKind::Put,
                format!("/{dir}/{i}").as_bytes(),
                bytes,
            );
        }
        for i in 0..dels {
            c.record(
                second,
                EventKind::Delete,
                format!("/{dir}/{i}").as_bytes(),
                0,
            );
        }
    };
    add("old", 0, 50, 1, 0); // many writes, long ago
    add("big", 290, 2, 1000, 0); // few writes, big values
    add("now", 295, 10, 1, 5); // recent writes and deletes
    let order = |col| dirs(&c.rows(299, 300 * SEC, col));
    assert_eq!(
        order(Column::Rate(Metric::Writes, 0)),
        ["/now/", "/big/", "/old/"]
    );
    assert_eq!(
        order(Column::Rate(Metric::Writes, 2)),
        ["/old/", "/now/", "/big/"]
    );
    assert_eq!(
        order(Column::Rate(Metric::Bytes, 0)),
        ["/big/", "/now/", "/old/"]
    );
    assert_eq!(
        order(Column::Rate(Metric::Deletes, 1)),
        ["/now/", "/big/", "/old/"]
    );
    assert_eq!(order(Column::TotalWrites), ["/old/", "/now/", "/big/"]);
    assert_eq!(order(Column::Dir), ["/big/", "/now/", "/old/"]);
}

/// A state with `/a/` and `/b/` listed, the Events pane watching `/`.
fn browsing() -> State {
    let mut s = listed_root(&["/a/", "/b/"]);
    s.theme = Theme::NoColor;
    s
}

fn watch_events(s: &mut State, events: Vec<WatchEvent>, revision: i64, at: Instant) {
    let epoch = s.watch.epoch;
    update(
        s,
        Msg::WatchEvents {
            epoch,
            events,
            revision,
            at,
        },
    );
}

#[test]
fn top_counts_the_events_pane_when_its_watch_covers_the_prefix() {
    let mut s = browsing();
    assert!(s.watch.started);
    let cmds = command(&mut s, "top");
    let v = s.top.as_ref().expect("open");
    assert_eq!(v.counter.prefix, b"/a/");
    assert_eq!(v.source, Source::EventsPane);
    assert!(!cmds.iter().any(|c| matches!(c, Cmd::TopWatch { .. })));
    let at = s.now;
    watch_events(
        &mut s,
        vec![
            put("/a/x/1", b"abc", 10),
            put("/a/y/1", b"", 11),
            del("/a/x/1", 12),
            put("/b/z", b"q", 13),
        ],
        13,
        at,
    );
    // The log took them too.
    assert_eq!(s.events.total, 4);
    update(&mut s, Msg::Tick(at + SEC));
    let v = s.top.as_ref().unwrap();
    assert_eq!(v.counter.events, 3);
    assert_eq!(dirs(&v.rows), ["/a/x/", "/a/y/"]);
    assert_eq!((v.rows[0].total.writes, v.rows[0].total.deletes), (1, 1));
    // Esc closes; no watch of its own to stop.
    let cmds = update(&mut s, key(KeyCode::Esc));
    assert!(s.top.is_none());
    assert!(!cmds.contains(&Cmd::StopTopWatch));
}

#[test]
fn top_starts_its_own_watch_when_the_pane_watches_elsewhere() {
    let mut s = browsing();
    command(&mut s, "watch /b/");
    let cmds = command(&mut s, "top");
    let epoch = match cmds.iter().find(|c| matches!(c, Cmd::TopWatch { .. })) {
        Some(Cmd::TopWatch { epoch, prefix }) => {
            assert_eq!(prefix, b"/a/");
            *epoch
        }
        _ => panic!("no watch of its own: {cmds:?}"),
    };
    assert_eq!(s.top.as_ref().unwrap().source, Source::Own(epoch));
    // The pane's events (under /b/) are not counted; its own are.
    let at = s.now;
    watch_events(&mut s, vec![put("/b/k", b"x", 5)], 5, at);
    let own = |update| Msg::TopWatch { epoch, update };
    update(
        &mut s,
        own(etcdlens::etcd::watch::WatchUpdate::Events {
            events: vec![put("/a/q/1", b"xy", 6)],
            revision: 6,
            at,
        }),
    );
    // Another epoch's (a closed view's) are dropped.
    update(
        &mut s,
        Msg::TopWatch {
            epoch: epoch + 100,
            update: etcdlens::etcd::watch::WatchUpdate::Events {
                events: vec![put("/a/q/2", b"xy", 7)],
                revision: 7,
                at,
            },
        },
    );
    assert_eq!(s.top.as_ref().unwrap().counter.events, 1);
    let cmds = update(&mut s, key(KeyCode::Esc));
    assert!(cmds.contains(&Cmd::StopTopWatch));
}

#[test]
fn the_pane_watch_moving_away_gives_top_its_own_watch() {
    let mut s = browsing();
    command(&mut s, "top");
    update(&mut s, key(KeyCode::Esc));
    command(&mut s, "top");
    let cmds = command(&mut s, "watch /b/");
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Cmd::TopWatch { prefix, .. } if prefix == b"/a/")),
        "{cmds:?}"
    );
    assert!(matches!(s.top.as_ref().unwrap().source, Source::Own(_)));
}

#[test]
fn a_watch_behind_or_reconnecting_says_so_in_the_title() {
    let mut s = browsing();
    command(&mut s, "top");
    let at = s.now;
    // A catching-up batch: the cluster is at 5,000, the events at 1,000.
    watch_events(&mut s, vec![put("/a/x/1", b"v", 1000)], 5000, at);
    let title = screen_sized(&s, 160, 45);
    assert!(
        title.contains("watch behind by 4000 revisions: counts late"),
        "{title}"
    );
    // Caught up: the warning goes.
    watch_events(&mut s, vec![put("/a/x/1", b"v", 5001)], 5001, at);
    assert!(!screen_sized(&s, 160, 45).contains("behind"));
    let epoch = s.watch.epoch;
    update(
        &mut s,
        Msg::WatchStatus {
            epoch,
            status: WatchStatus::Reconnecting {
                attempt: 1,
                error: "connection refused".into(),
            },
        },
    );
    assert!(screen_sized(&s, 160, 45).contains("watch reconnecting (connection refused)"));
    update(
        &mut s,
        Msg::WatchGap {
            epoch,
            from: 5002,
            to: 5100,
            compacted: 5050,
        },
    );
    assert!(screen_sized(&s, 200, 45).contains("revisions 5002..5100 compacted"));
}

#[test]
fn sort_keys_and_depth_and_enter_opens_the_directory_in_the_tree() {
    let mut s = browsing();
    command(&mut s, "top");
    let at = s.now;
    watch_events(
        &mut s,
        vec![
            put("/a/x/deep/1", b"v", 2),
            put("/a/y/1", b"vvvv", 3),
            put("/a/y/2", b"", 4),
        ],
        4,
        at,
    );
    update(&mut s, Msg::Tick(at + SEC));
    assert_eq!(dirs(&s.top.as_ref().unwrap().rows), ["/a/y/", "/a/x/"]);
    update(&mut s, ch('s')); // writes/s 1m
    update(&mut s, ch('S'));
    update(&mut s, ch('S')); // the directory
    assert_eq!(s.top.as_ref().unwrap().sort, Column::Dir);
    assert_eq!(dirs(&s.top.as_ref().unwrap().rows), ["/a/x/", "/a/y/"]);
    update(&mut s, ch('+'));
    assert_eq!(s.top.as_ref().unwrap().counter.depth, 2);
    assert_eq!(s.top.as_ref().unwrap().counter.events, 0, "counting afresh");
    update(&mut s, ch('-'));
    watch_events(&mut s, vec![put("/a/x/deep/1", b"v", 5)], 5, at);
    update(&mut s, Msg::Tick(at + SEC));
    // Enter: the tree opens /a/ (listed), then /a/x/ once /a/ is listed.
    let cmds = update(&mut s, key(KeyCode::Enter));
    assert!(s.top.is_none());
    let (dir, generation) = cmds
        .iter()
        .find_map(|c| match c {
            Cmd::ListChildren { dir, request } => Some((*dir, request.generation)),
            _ => None,
        })
        .expect("/a/ listed");
    update(
        &mut s,
        Msg::Listed {
            dir,
            generation,
            result: Ok(common::fixtures::page_at(&[b"/a/x/", b"/a/y/"], None, 5)),
        },
    );
    let row = s.selected_row().expect("a row");
    assert_eq!(&*s.tree.node(row.node).full, b"/a/x/");
}

#[test]
fn top_snapshots_at_160x45_and_80x24() {
    let mut s = browsing();
    command(&mut s, "top");
    let start = s.now;
    {
        let v = s.top.as_mut().unwrap();
        v.started = start;
        // Seconds 1 to 10: 300 writes a second under x/, 100 under y/.
        for i in 0..3000 {
            v.counter.record(
                1 + i / 300,
                EventKind::Put,
                format!("/a/x/{i}").as_bytes(),
                100,
            );
        }
        for i in 0..1000 {
            v.counter.record(
                1 + i / 100,
                EventKind::Put,
                format!("/a/y/{i}").as_bytes(),
                20,
            );
        }
        for i in 0..40 {
            v.counter
                .record(9, EventKind::Delete, format!("/a/y/{i}").as_bytes(), 0);
        }
        v.counter.record(10, EventKind::Put, b"/a/loose", 5);
    }
    // 10.5 s counted: the 10 s window is full, the longer ones are
    // divided by the time counted.
    update(&mut s, Msg::Tick(start + 10 * SEC + SEC / 2));
    s.top.as_mut().unwrap().health.behind = 250;
    s.size = (160, 45);
    insta::assert_snapshot!("top_160x45", screen_sized(&s, 160, 45));
    s.size = (80, 24);
    insta::assert_snapshot!("top_80x24", screen_sized(&s, 80, 24));
}

fn probe(
    version: &str,
    healthy: usize,
    total: usize,
    db: i64,
    quota: i64,
    rev: i64,
    at: Instant,
) -> Probe {
    Probe {
        version: version.into(),
        healthy,
        total,
        leader: Some("infra1".into()),
        db_size: db,
        quota,
        alarms: Vec::new(),
        revision: rev,
        read_latency: Duration::from_micros(1500),
        at,
    }
}

fn with_contexts(names: &[&str]) -> State {
    let mut s = browsing();
    s.contexts = names
        .iter()
        .map(|n| ContextEntry {
            name: n.to_string(),
            endpoints: format!("{n}:2379"),
            user: None,
            prefix: "/".into(),
            read_only: false,
            color: None,
            default: false,
        })
        .collect();
    s
}

#[test]
fn a_fleet_row_gives_revisions_per_second_from_its_last_two_answers() {
    let t = Instant::now();
    let mut row = FleetRow::new("prod");
    row.answered(Ok(probe("3.5.30", 3, 3, 1 << 20, 0, 100, t)));
    assert_eq!(row.rate, None);
    row.answered(Ok(probe("3.5.30", 3, 3, 1 << 20, 0, 150, t + 2 * SEC)));
    assert_eq!(row.rate, Some(25.0));
    row.answered(Err("cannot connect".into()));
    assert_eq!(row.rate, None);
}

#[test]
fn fleet_asks_every_context_refreshes_and_enter_switches() {
    let mut s = with_contexts(&["alpha", "beta", "dead"]);
    let cmds = command(&mut s, "fleet");
    let asked: Vec<&str> = cmds
        .iter()
        .filter_map(|c| match c {
            Cmd::FleetProbe { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(asked, ["alpha", "beta", "dead"]);
    // Not asked again while the answers are awaited, nor before REFRESH.
    let now = s.now;
    let probes = |cmds: Vec<Cmd>| {
        cmds.iter()
            .filter(|c| matches!(c, Cmd::FleetProbe { .. }))
            .count()
    };
    assert_eq!(probes(update(&mut s, Msg::Tick(now + SEC))), 0);
    update(
        &mut s,
        Msg::FleetProbe {
            name: "alpha".into(),
            result: Ok(probe("3.5.30", 1, 1, 1 << 20, 0, 10, now)),
        },
    );
    let cmds = update(&mut s, Msg::Tick(now + etcdlens::app::fleet::REFRESH));
    let asked: Vec<&Cmd> = cmds
        .iter()
        .filter(|c| matches!(c, Cmd::FleetProbe { .. }))
        .collect();
    assert_eq!(
        asked,
        [&Cmd::FleetProbe {
            name: "alpha".into(),
            key: b"/".to_vec()
        }]
    );
    update(&mut s, ch('j'));
    let cmds = update(&mut s, key(KeyCode::Enter));
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Cmd::SwitchContext { name, .. } if name == "beta")),
        "{cmds:?}"
    );
}

#[test]
fn fleet_without_contexts_says_so() {
    let mut s = browsing();
    command(&mut s, "fleet");
    assert!(s.fleet.is_none());
    assert!(s
        .message
        .as_ref()
        .unwrap()
        .text
        .contains("no contexts in config.toml"));
}

#[test]
fn fleet_snapshots_at_160x45_and_80x24() {
    let mut s = with_contexts(&["alpha", "beta", "dead"]);
    s.context = Some(etcdlens::app::contexts::Current {
        name: "alpha".into(),
        color: None,
    });
    let t = s.now;
    let mut v = FleetView::new(["alpha".into(), "beta".into(), "dead".into()]);
    v.rows[0].answered(Ok(probe("3.5.30", 3, 3, 25 << 20, 0, 1000, t)));
    v.rows[0].answered(Ok(probe("3.5.30", 3, 3, 25 << 20, 0, 1500, t + 5 * SEC)));
    let mut nospace = probe("3.6.16", 2, 3, 2000 << 20, 2048 << 20, 77, t);
    nospace.alarms = vec!["NOSPACE".into()];
    nospace.leader = None;
    v.rows[1].answered(Ok(nospace));
    v.rows[2].answered(Err(
        "cannot connect to 127.0.0.1:1: tcp connect error: connection refused".into(),
    ));
    s.fleet = Some(v);
    insta::assert_snapshot!("fleet_160x45", screen_sized(&s, 160, 45));
    s.size = (80, 24);
    insta::assert_snapshot!("fleet_80x24", screen_sized(&s, 80, 24));
}
