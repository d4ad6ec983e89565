//! Hot prefixes (`:top`) on real etcd: an exact write pattern gives
//! exactly those counts, from the Events pane's watch and from a watch of
//! the view's own.

use crate::common;

use std::time::Duration;

use common::{Etcd, Headless};
use etcd_client::{Client, TxnOp};
use etcdlens::app::top::{Column, Source};
use etcdlens::app::{Msg, State};
use futures::StreamExt;

/// `n` puts of 10-byte values under `dir`, then `deletes` of them, in
/// transactions of 128 operations.
async fn write(client: &mut Client, dir: &str, n: usize, deletes: usize) {
    let puts: Vec<TxnOp> = (0..n)
        .map(|i| TxnOp::put(format!("{dir}{i:06}"), format!("{i:010}"), None))
        .collect();
    etcdlens::etcd::seed::put_batched(client, puts)
        .await
        .expect("put");
    let dels: Vec<TxnOp> = (0..deletes)
        .map(|i| TxnOp::delete(format!("{dir}{i:06}"), None))
        .collect();
    etcdlens::etcd::seed::put_batched(client, dels)
        .await
        .expect("delete");
}

/// The tree on `/` with `/a/x/` and `/a/y/` (one key each) listed and the
/// Events pane's watch following `/`; `/a/` selected.
async fn browsing(etcd: &Etcd) -> Headless {
    let mut c = etcd.client().await;
    c.put("/a/x/seed", "s", None).await.unwrap();
    c.put("/a/y/seed", "s", None).await.unwrap();
    let mut h = Headless::start(etcd.connection().await, b"/", 100);
    h.until_listed(15).await;
    h.until(15, "the Events pane's watch", |s| {
        matches!(
            s.watch.status,
            Some(etcdlens::etcd::types::WatchStatus::Watching { .. })
        )
    })
    .await;
    h.select(b"/a/");
    h
}

fn totals(s: &State) -> Vec<(String, u64, u64, u64)> {
    let v = s.top.as_ref().expect("top open");
    v.counter
        .rows(0, Duration::from_secs(1), Column::Dir)
        .iter()
        .map(|r| {
            (
                String::from_utf8_lossy(&r.dir).into_owned(),
                r.total.writes,
                r.total.deletes,
                r.total.bytes,
            )
        })
        .collect()
}

fn counted(s: &State) -> u64 {
    s.top.as_ref().map_or(0, |v| v.counter.events)
}

const WANTED: u64 = 3000 + 1000 + 250;

fn assert_exact(s: &State) {
    assert_eq!(
        totals(s),
        [
            ("/a/x/".to_string(), 3000, 0, 30_000),
            ("/a/y/".to_string(), 1000, 250, 10_000),
        ]
    );
    let v = s.top.as_ref().unwrap();
    assert_eq!(v.warning(), None, "the watch kept up");
    // The rows shown: all of it within the 5 min window.
    let x = &v.rows[v.rows.iter().position(|r| r.dir == b"/a/x/").unwrap()];
    let counted = s
        .now
        .saturating_duration_since(v.started)
        .as_secs_f64()
        .max(1.0);
    let five_min = x.rates[0][2] * counted.min(300.0);
    assert!((five_min - 3000.0).abs() < 1e-6, "{five_min}");
}

#[tokio::test(flavor = "multi_thread")]
async fn exact_counts_from_the_events_pane_watch() {
    let etcd = Etcd::single().await;
    let mut h = browsing(&etcd).await;
    h.command("top");
    assert_eq!(h.state.top.as_ref().unwrap().source, Source::EventsPane);
    assert_eq!(h.state.top.as_ref().unwrap().counter.prefix, b"/a/");
    let mut c = etcd.client().await;
    write(&mut c, "/a/x/", 3000, 0).await;
    write(&mut c, "/a/y/", 1000, 250).await;
    c.put("/b/elsewhere", "not counted", None).await.unwrap();
    h.until(30, "every event counted", |s| {
        counted(s) >= WANTED && s.events.total > WANTED
    })
    .await;
    h.apply(Msg::Tick(std::time::Instant::now()));
    assert_eq!(counted(&h.state), WANTED);
    assert_exact(&h.state);
}

#[tokio::test(flavor = "multi_thread")]
async fn exact_counts_from_a_watch_of_its_own() {
    let etcd = Etcd::single().await;
    let mut h = browsing(&etcd).await;
    h.command("watch /b/");
    h.command("top");
    assert!(matches!(
        h.state.top.as_ref().unwrap().source,
        Source::Own(_)
    ));
    h.until(15, "top's own watch", |s| {
        s.top
            .as_ref()
            .is_some_and(|v| v.health.watching_from.is_some())
    })
    .await;
    let mut c = etcd.client().await;
    write(&mut c, "/a/x/", 3000, 0).await;
    write(&mut c, "/a/y/", 1000, 250).await;
    h.until(30, "every event counted", |s| counted(s) >= WANTED)
        .await;
    // Nothing more comes.
    tokio::time::sleep(Duration::from_millis(500)).await;
    while let Some(msg) = h.next_msg(Duration::from_millis(100)).await {
        h.apply(msg);
    }
    h.apply(Msg::Tick(std::time::Instant::now()));
    assert_eq!(counted(&h.state), WANTED);
    assert_exact(&h.state);
    // The Events pane (on /b/) saw none of them.
    assert_eq!(h.state.events.total, 0);
}

/// A watch that catches up says so: the Events pane's watch started again
/// from an old revision gets etcd's catching-up batches (events older than
/// the revision they come with) and `:top`'s title says it is behind, until
/// it has caught up; every event is still counted once.
#[tokio::test(flavor = "multi_thread")]
async fn a_catching_up_watch_is_said_behind_and_counts_everything() {
    let etcd = Etcd::single().await;
    let mut h = browsing(&etcd).await;
    h.command("top");
    let from = common::revision(&mut etcd.client().await).await + 1;
    // More than etcd's 1,000 revisions per catching-up batch.
    let client = etcd.client().await;
    futures::stream::iter((0..2500).map(|i| {
        let mut c = client.clone();
        async move { c.put(format!("/a/x/{i:05}"), "v", None).await.unwrap() }
    }))
    .buffer_unordered(16)
    .collect::<Vec<_>>()
    .await;
    // Counting starts afresh, then the pane's watch restarts from `from`.
    h.press(crossterm::event::KeyCode::Esc);
    let mut cmds = Vec::new();
    etcdlens::app::watch::update::start_watch(&mut h.state, b"/".to_vec(), Some(from), &mut cmds);
    etcdlens::app::top::update::open(&mut h.state, b"/a/".to_vec(), 1, &mut cmds);
    for c in cmds {
        h.send(c);
    }
    let behind = std::cell::Cell::new(false);
    h.until(30, "every event counted", |s| {
        let v = s.top.as_ref().unwrap();
        if v.warning().is_some_and(|w| w.contains("watch behind by")) {
            behind.set(true);
        }
        v.counter.events >= 2500
    })
    .await;
    assert!(behind.get(), "the catching-up batches were said behind");
    let v = h.state.top.as_ref().unwrap();
    assert_eq!(v.counter.events, 2500);
    assert_eq!(v.warning(), None, "caught up: nothing said");
}
