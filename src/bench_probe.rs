//! Measurements for the benchmark scripts (`--bench-report FILE`, hidden
//! flags). Off unless asked for; nothing here runs per event.
//!
//! The report (key=value lines, written at exit):
//! - `first_listing_ms`: process start → first frame listing the root;
//! - `first_row_ms`: → first frame showing a row of the tree;
//! - `settled_ms`: → first frame with the auto-opened directories listed;
//! - `events_target_at_ns`: wall clock (Unix ns) of the first frame whose
//!   Events title counts `--bench-events N` events; `events_total`;
//!   `top_events`: the events `:top` counted (`none` when it is closed);
//! - `max_input_latency_ms`, `inputs`: key press → next frame drawn;
//! - `rss_settled_kb`, `peak_rss_kb`;
//! - `list_work`, `list_reads`: keys etcd walked for the listings (sum of
//!   the replies' `count`) and range reads, up to the settled frame;
//!   `list_returned`: keys etcd sent back for them (etcd reads each one
//!   from its store, value included, even for a keys-only read);
//!   `root_children`: rows directly under the root then.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::app::tree::{Listing, ROOT};
use crate::app::State;

#[derive(Default)]
pub struct Probe {
    started: Option<Instant>,
    events_target: Option<u64>,
    first_listing: Option<Duration>,
    first_row: Option<Duration>,
    list_at_settled: crate::etcd::lister::Totals,
    root_children: usize,
    settled: Option<Duration>,
    rss_settled_kb: Option<u64>,
    events_target_at_ns: Option<u128>,
    input_since: Option<Instant>,
    max_input_latency: Duration,
    inputs: u64,
}

impl Probe {
    pub fn new(started: Instant, events_target: Option<u64>) -> Probe {
        Probe {
            started: Some(started),
            events_target,
            ..Probe::default()
        }
    }

    /// A key or other input arrived.
    pub fn on_input(&mut self) {
        self.inputs += 1;
        self.input_since.get_or_insert_with(Instant::now);
    }

    /// A frame was drawn. Returns true once every measurement asked for is
    /// taken (the `--bench-exit` point).
    pub fn after_draw(&mut self, state: &State) -> bool {
        let Some(started) = self.started else {
            return false;
        };
        if let Some(since) = self.input_since.take() {
            self.max_input_latency = self.max_input_latency.max(since.elapsed());
        }
        let root = state.tree.dir(ROOT).expect("root");
        if self.first_listing.is_none() && root.listing != Listing::NotLoaded {
            self.first_listing = Some(started.elapsed());
        }
        let loading = state.tree.rows.iter().any(|r| {
            r.more
                && state
                    .tree
                    .dir(r.node)
                    .is_some_and(|d| d.in_flight.is_some())
        });
        if self.first_row.is_none() && state.tree.rows.iter().any(|r| !r.more) {
            self.first_row = Some(started.elapsed());
        }
        let root_loading = root.in_flight.is_some() || root.listing == Listing::NotLoaded;
        if self.first_listing.is_some() && self.settled.is_none() && !loading && !root_loading {
            self.settled = Some(started.elapsed());
            self.rss_settled_kb = rss_kb("VmRSS:");
            self.list_at_settled = crate::etcd::lister::totals();
            self.root_children = root.children.len();
        }
        if let Some(target) = self.events_target {
            if self.events_target_at_ns.is_none() && state.events.total >= target {
                self.events_target_at_ns = Some(unix_ns());
            }
        }
        self.settled.is_some()
            && (self.events_target.is_none() || self.events_target_at_ns.is_some())
    }

    pub fn first_listing_done(&self) -> bool {
        self.first_listing.is_some()
    }

    pub fn write(&self, path: &Path, state: &State) -> std::io::Result<()> {
        let ms = |d: Option<Duration>| {
            d.map_or("none".into(), |d| {
                format!("{:.1}", d.as_secs_f64() * 1000.0)
            })
        };
        let opt = |v: Option<u128>| v.map_or("none".into(), |v| v.to_string());
        let report = format!(
            "first_listing_ms={}\nfirst_row_ms={}\nlist_work={}\nlist_reads={}\nlist_returned={}\nroot_children={}\nsettled_ms={}\nevents_total={}\ntop_events={}\nevents_target_at_ns={}\nmax_input_latency_ms={}\ninputs={}\nrss_settled_kb={}\npeak_rss_kb={}\nlist_costs={}\n",
            ms(self.first_listing),
            ms(self.first_row),
            self.list_at_settled.work,
            self.list_at_settled.reads,
            self.list_at_settled.returned,
            self.root_children,
            ms(self.settled),
            state.events.total,
            opt(state.top.as_ref().map(|v| u128::from(v.counter.events))),
            opt(self.events_target_at_ns),
            ms(Some(self.max_input_latency)),
            self.inputs,
            opt(self.rss_settled_kb.map(u128::from)),
            opt(rss_kb("VmHWM:").map(u128::from)),
            crate::etcd::lister::costs().map_or("none".into(), |c| format!(
                "read_{:.0}us{}{}{}{}",
                c.read_us,
                if c.in_txn { "_in_txn" } else { "" },
                if c.after_3_4 { "_after_3_4" } else { "" },
                if c.keys_from_index { "_keys_from_index" } else { "" },
                if c.small_pieces() { "_small_pieces" } else { "" }
            )),
        );
        std::fs::write(path, report)
    }
}

fn unix_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// A `/proc/self/status` field in KiB (`VmRSS:`, `VmHWM:`).
pub fn rss_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
