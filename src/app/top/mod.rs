//! Hot prefixes (`:top`): which directories at a chosen depth below a
//! prefix are written the most, counted from watch events in per-second
//! buckets and shown over 10 s, 1 min and 5 min.
//!
//! [`HotPrefixes`] is the counter, pure: events in (`record`), rows out
//! (`rows`, sorted by a [`Column`]). [`TopView`] is the view: the counter,
//! where its events come from ([`Source`]), what the watch said about
//! falling behind ([`Health`]), the selection.

pub mod update;

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::etcd::types::{EventKind, WatchEvent, WatchStatus};

/// The windows, in seconds, every rate is given over.
pub const WINDOWS: [u64; 3] = [10, 60, 300];
/// Seconds of buckets kept (the longest window).
const KEEP: u64 = 300;

/// What happened under one directory in one second (or in total).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub writes: u64,
    pub deletes: u64,
    /// Bytes of the values put.
    pub bytes: u64,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.writes += other.writes;
        self.deletes += other.deletes;
        self.bytes += other.bytes;
    }

    fn of(kind: EventKind, value_len: usize) -> Counts {
        match kind {
            EventKind::Put => Counts {
                writes: 1,
                deletes: 0,
                bytes: value_len as u64,
            },
            EventKind::Delete => Counts {
                writes: 0,
                deletes: 1,
                bytes: 0,
            },
        }
    }
}

/// One directory's buckets: (second, counts) for the seconds it had
/// events, oldest first, at most [`KEEP`] seconds back.
#[derive(Debug)]
struct Series {
    dir: Vec<u8>,
    seconds: VecDeque<(u64, Counts)>,
    total: Counts,
}

/// The columns of the table, in order: the directory, writes/s, deletes/s
/// and bytes/s over each window, then the totals since counting began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Dir,
    /// writes/s, deletes/s or bytes/s (`Metric`) over `WINDOWS[w]`.
    Rate(Metric, usize),
    TotalWrites,
    TotalDeletes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Writes,
    Deletes,
    Bytes,
}

impl Metric {
    fn of(self, c: &Counts) -> u64 {
        match self {
            Metric::Writes => c.writes,
            Metric::Deletes => c.deletes,
            Metric::Bytes => c.bytes,
        }
    }
}

/// Every column, in the table's order.
pub const COLUMNS: [Column; 12] = [
    Column::Dir,
    Column::Rate(Metric::Writes, 0),
    Column::Rate(Metric::Writes, 1),
    Column::Rate(Metric::Writes, 2),
    Column::Rate(Metric::Deletes, 0),
    Column::Rate(Metric::Deletes, 1),
    Column::Rate(Metric::Deletes, 2),
    Column::Rate(Metric::Bytes, 0),
    Column::Rate(Metric::Bytes, 1),
    Column::Rate(Metric::Bytes, 2),
    Column::TotalWrites,
    Column::TotalDeletes,
];

impl Column {
    /// Its heading, e.g. `writes/s 10s`.
    pub fn heading(self) -> String {
        match self {
            Column::Dir => "directory".into(),
            Column::Rate(m, w) => {
                let what = match m {
                    Metric::Writes => "writes/s",
                    Metric::Deletes => "deletes/s",
                    Metric::Bytes => "bytes/s",
                };
                format!("{what} {}", window_name(w))
            }
            Column::TotalWrites => "writes".into(),
            Column::TotalDeletes => "deletes".into(),
        }
    }
}

/// `10s`, `1m`, `5m`.
pub fn window_name(w: usize) -> String {
    match WINDOWS[w] {
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub dir: Vec<u8>,
    /// Per second over each window: `rates[metric][window]`, metrics in
    /// the order writes, deletes, bytes.
    pub rates: [[f64; 3]; 3],
    /// Since counting began.
    pub total: Counts,
}

impl Row {
    /// The value sorted on (the directory sorts by name).
    fn value(&self, column: Column) -> f64 {
        match column {
            Column::Dir => 0.0,
            Column::Rate(m, w) => self.rates[m as usize][w],
            Column::TotalWrites => self.total.writes as f64,
            Column::TotalDeletes => self.total.deletes as f64,
        }
    }
}

/// The counter: events under `prefix` by their directory `depth` levels
/// below it (a key with fewer levels counts under its own directory).
#[derive(Debug)]
pub struct HotPrefixes {
    pub prefix: Vec<u8>,
    delimiter: Vec<u8>,
    pub depth: usize,
    index: HashMap<Vec<u8>, usize>,
    series: Vec<Series>,
    /// Events counted (under the prefix).
    pub events: u64,
}

impl HotPrefixes {
    pub fn new(prefix: &[u8], delimiter: &[u8], depth: usize) -> HotPrefixes {
        HotPrefixes {
            prefix: prefix.to_vec(),
            delimiter: delimiter.to_vec(),
            depth: depth.max(1),
            index: HashMap::new(),
            series: Vec::new(),
            events: 0,
        }
    }

    /// The length of `key`'s directory at the counter's depth, or `None`
    /// when the key is not under the prefix.
    pub fn dir_len(&self, key: &[u8]) -> Option<usize> {
        let rest = key.strip_prefix(self.prefix.as_slice())?;
        let d = self.delimiter.as_slice();
        let mut end = 0;
        for _ in 0..self.depth {
            match find(&rest[end..], d) {
                Some(at) => end += at + d.len(),
                None => break,
            }
        }
        Some(self.prefix.len() + end)
    }

    /// Counts one event at `second` (seconds since counting began).
    pub fn record(&mut self, second: u64, kind: EventKind, key: &[u8], value_len: usize) {
        let Some(len) = self.dir_len(key) else {
            return;
        };
        let dir = &key[..len];
        let i = match self.index.get(dir) {
            Some(&i) => i,
            None => {
                self.series.push(Series {
                    dir: dir.to_vec(),
                    seconds: VecDeque::new(),
                    total: Counts::default(),
                });
                self.index.insert(dir.to_vec(), self.series.len() - 1);
                self.series.len() - 1
            }
        };
        let s = &mut self.series[i];
        let c = Counts::of(kind, value_len);
        match s.seconds.back_mut() {
            Some((t, counts)) if *t >= second => counts.add(c),
            _ => {
                s.seconds.push_back((second, c));
                while s.seconds.front().is_some_and(|(t, _)| t + KEEP <= second) {
                    s.seconds.pop_front();
                }
            }
        }
        s.total.add(c);
        self.events += 1;
    }

    /// The rows at `now` (seconds since counting began; `elapsed`: how
    /// long it has counted, so a window longer than that is divided by
    /// the time counted), sorted by `column` (the most first; the
    /// directory by name).
    pub fn rows(&self, now: u64, elapsed: Duration, column: Column) -> Vec<Row> {
        let counted = elapsed.as_secs_f64().max(1.0);
        let mut rows: Vec<Row> = self
            .series
            .iter()
            .map(|s| {
                let mut rates = [[0.0; 3]; 3];
                for (w, &window) in WINDOWS.iter().enumerate() {
                    let mut sum = Counts::default();
                    for (_, c) in s.seconds.iter().rev().take_while(|(t, _)| t + window > now) {
                        sum.add(*c);
                    }
                    let span = (window as f64).min(counted);
                    for m in [Metric::Writes, Metric::Deletes, Metric::Bytes] {
                        rates[m as usize][w] = m.of(&sum) as f64 / span;
                    }
                }
                Row {
                    dir: s.dir.clone(),
                    rates,
                    total: s.total,
                }
            })
            .collect();
        match column {
            Column::Dir => rows.sort_by(|a, b| a.dir.cmp(&b.dir)),
            c => rows.sort_by(|a, b| {
                b.value(c)
                    .total_cmp(&a.value(c))
                    .then_with(|| a.dir.cmp(&b.dir))
            }),
        }
        rows
    }
}

/// The first place `needle` occurs in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    match needle {
        [] => None,
        [b] => hay.iter().position(|c| c == b),
        _ => hay.windows(needle.len()).position(|w| w == needle),
    }
}

/// Where the view's events come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The Events pane's watch covers the prefix: its events are counted.
    EventsPane,
    /// A watch of the view's own (its epoch).
    Own(u64),
}

/// What the watch said about keeping up: the title says it, so the rates
/// are never silently low.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Health {
    /// The revision the watch (re)started from, once it said so.
    pub watching_from: Option<i64>,
    /// Revisions the last batch of events was behind the cluster's
    /// revision (etcd sends a catching-up watcher older events).
    pub behind: i64,
    /// The watch broke and is reconnecting (its events come late).
    pub reconnecting: Option<String>,
    /// Revisions compacted before the watch could resume: never counted.
    /// (from, to, second it happened).
    pub missed: Option<(i64, i64, u64)>,
}

/// The `:top` view.
#[derive(Debug)]
pub struct TopView {
    pub counter: HotPrefixes,
    pub source: Source,
    pub health: Health,
    /// When counting began (second 0).
    pub started: Instant,
    pub sort: Column,
    pub selected: usize,
    pub offset: usize,
    /// The rows as last computed (on opening, each tick, each sort).
    pub rows: Vec<Row>,
}

impl TopView {
    pub fn new(
        prefix: &[u8],
        delimiter: &[u8],
        depth: usize,
        source: Source,
        now: Instant,
    ) -> Self {
        TopView {
            counter: HotPrefixes::new(prefix, delimiter, depth),
            source,
            health: Health::default(),
            started: now,
            sort: Column::Rate(Metric::Writes, 0),
            selected: 0,
            offset: 0,
            rows: Vec::new(),
        }
    }

    /// Seconds since counting began at `at`.
    pub fn second(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.started).as_secs()
    }

    /// Counts a batch of events that arrived at `at`; `revision` is the
    /// cluster's revision the batch came with (behind it: catching up).
    pub fn feed(&mut self, events: &[WatchEvent], revision: i64, at: Instant) {
        let second = self.second(at);
        for ev in events {
            self.counter
                .record(second, ev.kind, &ev.key, ev.value.len());
        }
        if let Some(last) = events.last() {
            self.health.behind = (revision - last.revision()).max(0);
            self.health.reconnecting = None;
        }
    }

    pub fn on_status(&mut self, status: &WatchStatus) {
        match status {
            WatchStatus::Watching { from, .. } => {
                self.health.watching_from = Some(*from);
                self.health.reconnecting = None;
            }
            WatchStatus::Reconnecting { error, .. } => {
                self.health.reconnecting = Some(error.clone())
            }
        }
    }

    pub fn on_gap(&mut self, from: i64, to: i64, at: Instant) {
        self.health.missed = Some((from, to, self.second(at)));
    }

    /// Computes the rows again at `now`, keeping the selected directory
    /// selected.
    pub fn refresh(&mut self, now: Instant) {
        let keep = self.rows.get(self.selected).map(|r| r.dir.clone());
        self.rows = self.counter.rows(
            self.second(now),
            now.saturating_duration_since(self.started),
            self.sort,
        );
        if let Some(dir) = keep {
            if let Some(i) = self.rows.iter().position(|r| r.dir == dir) {
                self.selected = i;
            }
        }
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
        let second = self.second(now);
        if let Some((_, _, when)) = self.health.missed {
            if when + KEEP <= second {
                self.health.missed = None;
            }
        }
    }

    /// What the title says about the watch, when it is not keeping up.
    pub fn warning(&self) -> Option<String> {
        let h = &self.health;
        let mut parts = Vec::new();
        if let Some(e) = &h.reconnecting {
            parts.push(format!(
                "watch reconnecting ({}): events come late",
                crate::escape::escape_str(e)
            ));
        }
        if h.behind > 0 {
            parts.push(format!(
                "watch behind by {} revisions: counts late",
                h.behind
            ));
        }
        if let Some((from, to, _)) = h.missed {
            parts.push(format!(
                "revisions {from}..{to} compacted before the watch resumed: not counted"
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// Whether a watch on `watched` sees every key under `prefix`.
pub fn covers(watched: &[u8], prefix: &[u8]) -> bool {
    prefix.starts_with(watched)
}
