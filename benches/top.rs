//! Cost of the hot-prefix counter (`:top`) on the watch benchmark's storm
//! shape: 500,000 put events over 10,000 keys under `/storm/` (here in 100
//! directories, `/storm/dNN/kNNNN`, 100-byte values), in batches of 128
//! events as etcd sends a transaction's events.
//!
//! Three figures, each the best of 5 runs:
//! - the counter alone (`HotPrefixes::record` for every event);
//! - `update` with the batches as `Msg::WatchEvents` (the Events pane's
//!   log, the tree's pending events) without `:top`, then with `:top` open
//!   on `/storm/` counting them: the difference is what `:top` adds to the
//!   UI task's work per event.
//!
//! Run with `cargo bench --bench top` (EVENTS=500000 to change the count).

use std::time::{Duration, Instant};

use etcdlens::app::top::HotPrefixes;
use etcdlens::app::{update, Msg, State};
use etcdlens::etcd::types::{EventKind, WatchEvent};

const BATCH: usize = 128;

fn events(n: usize) -> Vec<WatchEvent> {
    (0..n)
        .map(|i| {
            let k = i % 10_000;
            WatchEvent {
                kind: EventKind::Put,
                key: format!("/storm/d{:02}/k{k:04}", k % 100).into_bytes(),
                value: vec![b'v'; 100],
                prev_value: None,
                mod_revision: 2 + (i / BATCH) as i64,
                create_revision: 2,
                version: 1,
                lease: 0,
            }
        })
        .collect()
}

fn best(runs: usize, mut f: impl FnMut() -> Duration) -> Duration {
    (0..runs).map(|_| f()).min().unwrap_or_default()
}

/// A state on `/storm/` watching `/storm/` (the benchmark's `--watch`),
/// with `:top` open on it or not.
fn state(top: bool) -> State {
    let now = Instant::now();
    let mut s = State::new(b"/storm/", b"/", "127.0.0.1:2379".into(), now);
    s.size = (160, 45);
    s.watch.started = true;
    s.watch.epoch = 1;
    if top {
        let mut cmds = Vec::new();
        etcdlens::app::top::update::open(&mut s, b"/storm/".to_vec(), 1, &mut cmds);
        assert!(cmds.is_empty(), "counted from the Events pane's watch");
    }
    s
}

fn through_update(evs: &[WatchEvent], top: bool) -> Duration {
    let mut s = state(top);
    let batches: Vec<Vec<WatchEvent>> = evs.chunks(BATCH).map(|c| c.to_vec()).collect();
    let start = Instant::now();
    for (i, batch) in batches.into_iter().enumerate() {
        let revision = batch.last().map(|e| e.mod_revision).unwrap_or(0);
        update(
            &mut s,
            Msg::WatchEvents {
                epoch: 1,
                events: batch,
                revision,
                at: Instant::now(),
            },
        );
        // A frame every 64 batches (the loop draws at most every 16 ms).
        if i % 64 == 63 {
            update(&mut s, Msg::Frame);
        }
    }
    update(&mut s, Msg::Tick(Instant::now()));
    let took = start.elapsed();
    if top {
        let v = s.top.as_ref().unwrap();
        assert_eq!(v.counter.events, evs.len() as u64);
        assert_eq!(v.rows.len(), 100);
    }
    took
}

fn per_second(n: usize, d: Duration) -> String {
    format!(
        "{:.0} events/s ({:.1} ms)",
        n as f64 / d.as_secs_f64(),
        d.as_secs_f64() * 1e3
    )
}

fn main() {
    let n: usize = std::env::var("EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500_000);
    let evs = events(n);
    let counter = best(5, || {
        let mut c = HotPrefixes::new(b"/storm/", b"/", 1);
        let start = Instant::now();
        for (i, e) in evs.iter().enumerate() {
            c.record((i / 50_000) as u64, e.kind, &e.key, e.value.len());
        }
        let took = start.elapsed();
        assert_eq!(c.events, n as u64);
        took
    });
    // Alternated, so that both see the same machine.
    let (mut without, mut with) = (Duration::MAX, Duration::MAX);
    for _ in 0..5 {
        without = without.min(through_update(&evs, false));
        with = with.min(through_update(&evs, true));
    }
    println!("{n} events, batches of {BATCH}");
    println!("counter alone:            {}", per_second(n, counter));
    println!("update without :top:      {}", per_second(n, without));
    println!("update with :top open:    {}", per_second(n, with));
    let extra = with.saturating_sub(without);
    println!(
        ":top's share of update:   {:.1} ns/event",
        extra.as_secs_f64() * 1e9 / n as f64
    );
}
