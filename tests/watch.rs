//! The live watch against real etcd: order, failover, compaction, and the
//! tree kept current — through the real worker, watch task and `update`.

use crate::common;

use std::time::Duration;

use common::{Etcd, Headless};
use etcd_client::{Client, CompactionOptions};
use etcdlens::app::tree::Listing;
use etcdlens::etcd::types::WatchStatus;

fn watching(h: &etcdlens::app::State) -> bool {
    matches!(h.watch.status, Some(WatchStatus::Watching { .. }))
}

/// Puts until it succeeds (a member may be down or an election running).
async fn put_retry(c: &mut Client, key: String, value: String) -> i64 {
    for _ in 0..200 {
        match c.put(key.clone(), value.clone(), None).await {
            Ok(r) => return r.header().unwrap().revision(),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    panic!("cannot write {key}");
}

async fn delete_retry(c: &mut Client, key: &str) {
    for _ in 0..200 {
        if c.delete(key, None).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("cannot delete {key}");
}

fn assert_contiguous(revs: &[i64]) {
    for w in revs.windows(2) {
        assert_eq!(
            w[1],
            w[0] + 1,
            "revision gap or disorder between {} and {}",
            w[0],
            w[1]
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn events_arrive_in_order_across_a_member_restart() {
    let mut etcd = Etcd::single().await;
    let mut app = Headless::start(etcd.connection().await, b"/w/", 100_000);
    app.until(10, "watch", watching).await;
    let mut c = etcd.client().await;
    for i in 0..200 {
        put_retry(&mut c, format!("/w/a{i:03}"), i.to_string()).await;
    }
    app.until(10, "first 200 events", |s| s.events.total == 200)
        .await;
    etcd.cluster.kill(0);
    app.until(10, "reconnecting", |s| {
        matches!(s.watch.status, Some(WatchStatus::Reconnecting { .. }))
    })
    .await;
    etcd.cluster.restart(0).await.unwrap();
    let mut c = etcd.client().await;
    for i in 0..200 {
        put_retry(&mut c, format!("/w/b{i:03}"), i.to_string()).await;
    }
    app.until(20, "all 400 events", |s| s.events.total == 400)
        .await;
    let revs = app.revisions();
    assert_eq!(revs.len(), 400);
    assert_contiguous(&revs);
    assert_eq!(app.gaps(), 0);
}

/// The harness index of the member serving the app's watch.
async fn member_in_use(etcd: &Etcd, app: &Headless) -> usize {
    let Some(WatchStatus::Watching { member_id, .. }) = app.state.watch.status.clone() else {
        panic!("not watching")
    };
    let members = etcd.client().await.member_list().await.unwrap();
    let used = members
        .members()
        .iter()
        .find(|m| m.id() == member_id)
        .expect("member")
        .name()
        .to_string();
    etcd.cluster
        .members
        .iter()
        .position(|m| m.name == used)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn killing_the_member_in_use_loses_no_event() {
    let mut etcd = Etcd::members(3).await;
    let mut app = Headless::start(etcd.connection().await, b"/f/", 100_000);
    app.until(10, "watch", watching).await;
    let index = member_in_use(&etcd, &app).await;
    let used = etcd.cluster.members[index].name.clone();

    // A writer on the other members, while the one in use dies.
    let others: Vec<String> = etcd
        .cluster
        .members
        .iter()
        .filter(|m| m.name != used)
        .map(|m| m.endpoint())
        .collect();
    let writer = tokio::spawn(async move {
        let mut c = Client::connect(others, None).await.unwrap();
        let mut last = 0;
        for i in 0..3000 {
            last = put_retry(&mut c, format!("/f/k{:04}", i % 500), i.to_string()).await;
        }
        last
    });
    app.until(20, "some events", |s| s.events.total >= 500)
        .await;
    etcd.cluster.kill(index);
    let last = writer.await.unwrap();
    app.until(30, "every event up to the writer's last revision", |s| {
        s.revision >= last && s.events.total >= 3000
    })
    .await;
    let revs = app.revisions();
    assert_contiguous(&revs);
    assert_eq!(*revs.last().unwrap(), last);
    // Every put is one revision: nothing was lost, nothing doubled.
    assert_eq!(app.state.events.total as usize, revs.len());
    assert!(revs.len() >= 3000, "{} events", revs.len());
    assert_eq!(app.gaps(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn compaction_during_an_outage_gives_one_gap_and_a_correct_tree() {
    let mut etcd = Etcd::members(3).await;
    // etcdlens talks to member 0 only, so its outage is ours.
    let settings = etcdlens::etcd::ConnSettings {
        endpoints: vec![etcd.cluster.members[0].endpoint()],
        dial_timeout: Duration::from_secs(5),
        command_timeout: Duration::from_secs(5),
        ..Default::default()
    };
    let conn = etcdlens::etcd::connect(&settings).await.unwrap();
    let mut c = etcd.client().await;
    for k in ["/c/keep", "/c/gone", "/c/dir/x"] {
        put_retry(&mut c, k.into(), "1".into()).await;
    }
    let mut app = Headless::start(conn, b"/c/", 1000);
    app.until(10, "watch", watching).await;
    app.until(10, "root listed", |s| {
        s.tree.dir(0).unwrap().listing == Listing::Complete
    })
    .await;
    put_retry(&mut c, "/c/before".into(), "1".into()).await;
    app.until(10, "one event", |s| s.events.total == 1).await;

    etcd.cluster.kill(0);
    let others: Vec<String> = etcd.cluster.members[1..]
        .iter()
        .map(|m| m.endpoint())
        .collect();
    let mut c = Client::connect(others, None).await.unwrap();
    delete_retry(&mut c, "/c/gone").await;
    put_retry(&mut c, "/c/new".into(), "1".into()).await;
    let rev = put_retry(&mut c, "/c/keep".into(), "2".into()).await;
    let mut compacted = false;
    for _ in 0..100 {
        if c.compact(rev, Some(CompactionOptions::new().with_physical()))
            .await
            .is_ok()
        {
            compacted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(compacted);
    etcd.cluster.restart(0).await.unwrap();

    app.until(30, "the gap", |s| s.events.total >= 1 && gaps(s) == 1)
        .await;
    app.until(10, "the tree listed again", |s| {
        s.tree.dir(0).unwrap().listing == Listing::Complete
    })
    .await;
    // Keys written after the outage are watched normally again.
    put_retry(&mut c, "/c/after".into(), "1".into()).await;
    app.until(10, "event after the gap", |s| s.events.total == 2)
        .await;
    let mut keys = app.keys();
    keys.sort();
    assert_eq!(keys, ["/c/after", "/c/before", "/c/keep", "/c/new"]);
    assert_eq!(app.gaps(), 1);
}

fn gaps(s: &etcdlens::app::State) -> usize {
    use etcdlens::app::watch::log::LogEntry;
    let (first, end) = s.events.seq_range();
    (first..end)
        .filter(|&i| matches!(s.events.get(i), Some(LogEntry::Gap { .. })))
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn tree_follows_puts_and_deletes() {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    put_retry(&mut c, "/t/a".into(), "1".into()).await;
    let mut app = Headless::start(etcd.connection().await, b"/t/", 1000);
    app.until(10, "watch", watching).await;
    app.until(10, "listed", |s| s.tree.rows.len() == 1).await;
    put_retry(&mut c, "/t/b".into(), "1".into()).await;
    put_retry(&mut c, "/t/sub/x".into(), "1".into()).await;
    app.until(10, "new rows", |s| s.tree.rows.len() == 3).await;
    delete_retry(&mut c, "/t/a").await;
    delete_retry(&mut c, "/t/sub/x").await;
    // The never-opened directory sub/ is probed and goes too.
    app.until(10, "rows gone", |s| s.tree.rows.len() == 1).await;
    assert_eq!(app.keys(), ["/t/b"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn after_kill_9_of_the_member_in_use_browsing_saving_and_the_cluster_view_go_on() {
    use etcdlens::app::{Cmd, Msg};
    use etcdlens::etcd::types::{Expect, WriteOutcome};
    let mut etcd = Etcd::members(3).await;
    let mut c = etcd.client().await;
    put_retry(&mut c, "/fo/a".into(), "1".into()).await;
    put_retry(&mut c, "/fo/b".into(), "1".into()).await;
    let mut app = Headless::start(etcd.connection().await, b"/fo/", 10_000);
    app.until(10, "watch", watching).await;
    let index = member_in_use(&etcd, &app).await;
    let used = etcd.cluster.members[index].name.clone();
    etcd.cluster.kill(index);
    // The watch moves on, gap-free.
    let others: Vec<String> = etcd
        .cluster
        .members
        .iter()
        .filter(|m| m.name != used)
        .map(|m| m.endpoint())
        .collect();
    let mut c = Client::connect(others, None).await.unwrap();
    let last = put_retry(&mut c, "/fo/c".into(), "after".into()).await;
    app.until(30, "the event after the kill", |s| {
        s.revision >= last && s.events.total >= 1
    })
    .await;
    // Browsing: the tree follows, and a value is read from a live member.
    app.until(20, "c in the tree", |s| s.tree.rows.len() == 3)
        .await;
    app.select(b"/fo/b");
    app.until(20, "value read", |s| {
        matches!(&s.value.status, etcdlens::app::value::ValueStatus::Loaded { value, .. } if value.record.key == b"/fo/b")
    })
    .await;
    // Saving: a guarded save through the worker.
    let cur = c.get("/fo/a", None).await.unwrap().kvs()[0].mod_revision();
    app.send(Cmd::Save {
        op: etcdlens::app::msg::WriteOp::Save,
        key: b"/fo/a".to_vec(),
        value: b"2".to_vec(),
        expect: Expect::ModRevision(cur),
        lease: 0,
        ttl: None,
        prev: Some(b"1".to_vec()),
    });
    let mut saved = false;
    let mut down = 0;
    app.send(Cmd::ClusterStatus { prefix: Vec::new() });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while (!saved || down == 0) && tokio::time::Instant::now() < deadline {
        let Some(msg) = app.next_msg(Duration::from_secs(5)).await else {
            continue;
        };
        match &msg {
            Msg::WriteDone {
                result: Ok(WriteOutcome::Done { .. }),
                ..
            } => saved = true,
            Msg::WriteDone { result, .. } => panic!("save: {result:?}"),
            Msg::Cluster(Ok(info)) => {
                down = info.down();
                if down == 0 {
                    app.send(Cmd::ClusterStatus { prefix: Vec::new() });
                }
            }
            Msg::Cluster(Err(_)) => app.send(Cmd::ClusterStatus { prefix: Vec::new() }),
            _ => {}
        }
        app.apply(msg);
    }
    assert!(saved, "saved after the kill");
    assert_eq!(down, 1, "the cluster view shows the dead member");
    let info = app.state.cluster.info.clone().unwrap();
    let dead = info.members.iter().find(|m| m.status.is_err()).unwrap();
    assert_eq!(dead.name, used);
    assert_eq!(app.gaps(), 0);
}

/// Catching up over a backlog: etcd batches many revisions into one watch
/// response (here ~10 MiB with previous values), over tonic's 4 MiB default.
#[tokio::test(flavor = "multi_thread")]
async fn a_watch_catches_up_over_responses_larger_than_4_mib() {
    use etcdlens::etcd::watch::{run, WatchSpec, WatchUpdate};
    use etcdlens::etcd::Reports;
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    let start = c.get("x", None).await.unwrap().header().unwrap().revision() + 1;
    let value = "v".repeat(4096);
    for round in 0..2 {
        let ops: Vec<etcd_client::TxnOp> = (0..1280)
            .map(|i| {
                etcd_client::TxnOp::put(format!("/big/k{i:04}"), format!("{round}{value}"), None)
            })
            .collect();
        etcdlens::etcd::seed::put_batched(&mut c, ops)
            .await
            .unwrap();
    }
    // 2,560 events, each with its value and (for the second round) the
    // previous one: about 15 MiB to replay.
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let spec = WatchSpec {
        epoch: 1,
        prefix: b"/big/".to_vec(),
        start_revision: start,
    };
    let task = tokio::spawn(run(
        etcd.client().await,
        spec,
        Reports::new(tx, |u| u),
        None,
    ));
    let mut events = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while events < 2560 {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(WatchUpdate::Events { events: e, .. })) => events += e.len(),
            Ok(Some(WatchUpdate::Status(WatchStatus::Reconnecting { error, .. }))) => {
                panic!("the watch broke: {error}")
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => panic!("only {events} events"),
        }
    }
    task.abort();
    assert_eq!(events, 2560);
}

/// The watch does not ask etcd for previous values (on etcd 3.4 that makes
/// it ~10x slower); an update whose previous value is not in the log gets it
/// read at revision - 1 when selected.
#[tokio::test(flavor = "multi_thread")]
async fn selecting_an_update_reads_its_previous_value() {
    use crossterm::event::KeyCode;
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    put_retry(&mut c, "/pv/k".into(), "before".into()).await;
    let mut app = Headless::start(etcd.connection().await, b"/pv/", 100);
    app.until(10, "watch", watching).await;
    put_retry(&mut c, "/pv/k".into(), "after".into()).await;
    app.until(10, "the update", |s| s.events.total == 1).await;
    let row = |app: &Headless| match app.state.events.get(0) {
        Some(etcdlens::app::watch::log::LogEntry::Event(e)) => e.clone(),
        other => panic!("{other:?}"),
    };
    assert!(row(&app).wants_prev());
    app.state.focus = etcdlens::app::Pane::Events;
    app.press(KeyCode::Char('g'));
    app.until(10, "the previous value", |s| {
        matches!(s.events.get(0), Some(etcdlens::app::watch::log::LogEntry::Event(e)) if !e.prev_unknown)
    })
    .await;
    assert_eq!(row(&app).prev_value.as_deref(), Some(&b"before"[..]));
    assert!(row(&app).value_changed());
}
