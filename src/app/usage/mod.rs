//! Usage (`:du`): what fills the database under a directory — each child
//! with its key count and value bytes (exact: every value is read, at one
//! revision, in a stream with progress), sorted by size; the database's
//! size, quota and how full it is.

pub mod update;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::app::find::Progress;
use crate::etcd::usage::DbStatus;

/// etcd's default `--quota-backend-bytes` (2 GiB).
pub const DEFAULT_QUOTA: i64 = 2 * 1024 * 1024 * 1024;

/// One child of the directory (a subdirectory or a key directly in it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRow {
    /// Its full path (a directory ends with the delimiter).
    pub full: Vec<u8>,
    pub keys: u64,
    pub bytes: u64,
    /// The key count the tree's listing already knew (shown until the scan
    /// has passed over the child).
    pub known: Option<u64>,
}

/// What a usage scan reports: the children's counts added since the last
/// report and the counters after it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsageBatch {
    /// (child, keys, value bytes) to add.
    pub adds: Vec<(Vec<u8>, u64, u64)>,
    pub scanned: u64,
    pub total: u64,
    pub revision: i64,
    /// The database's status (sent once, first).
    pub db: Option<Result<DbStatus, String>>,
    pub done: Option<Result<(), String>>,
    /// What the scan left out: the parts the user may not read.
    pub skipped: Option<String>,
}

#[derive(Debug)]
pub struct UsageView {
    pub id: u64,
    pub dir: Vec<u8>,
    /// Sorted by value bytes, then keys, biggest first.
    pub rows: Vec<UsageRow>,
    index: HashMap<Vec<u8>, usize>,
    pub keys: u64,
    pub bytes: u64,
    pub scanned: u64,
    pub total: u64,
    pub revision: i64,
    pub db: Option<Result<DbStatus, String>>,
    pub started: Instant,
    pub ended: Option<Instant>,
    pub progress: Progress,
    pub selected: usize,
    pub offset: usize,
}

impl UsageView {
    /// A usage view of `dir`, its rows seeded with the children (and key
    /// counts) the tree already knows.
    pub fn new(id: u64, dir: Vec<u8>, known: Vec<(Vec<u8>, Option<u64>)>, now: Instant) -> Self {
        let mut v = UsageView {
            id,
            dir,
            rows: Vec::new(),
            index: HashMap::new(),
            keys: 0,
            bytes: 0,
            scanned: 0,
            total: 0,
            revision: 0,
            db: None,
            started: now,
            ended: None,
            progress: Progress::Running,
            selected: 0,
            offset: 0,
        };
        for (full, n) in known {
            v.rows.push(UsageRow {
                full,
                keys: 0,
                bytes: 0,
                known: n,
            });
        }
        v.sort();
        v
    }

    pub fn running(&self) -> bool {
        self.progress == Progress::Running
    }

    pub fn elapsed(&self, now: Instant) -> Duration {
        self.ended
            .unwrap_or(now)
            .saturating_duration_since(self.started)
    }

    /// Takes a report; the selection stays on the same child.
    pub fn add(&mut self, batch: UsageBatch, now: Instant) {
        let keep = self.rows.get(self.selected).map(|r| r.full.clone());
        for (full, keys, bytes) in batch.adds {
            self.keys += keys;
            self.bytes += bytes;
            match self.index.get(&full) {
                Some(&i) => {
                    self.rows[i].keys += keys;
                    self.rows[i].bytes += bytes;
                }
                None => {
                    self.rows.push(UsageRow {
                        full,
                        keys,
                        bytes,
                        known: None,
                    });
                }
            }
        }
        self.scanned = self.scanned.max(batch.scanned);
        self.total = self.total.max(batch.total);
        if batch.revision > 0 {
            self.revision = batch.revision;
        }
        if batch.db.is_some() {
            self.db = batch.db;
        }
        if let Some(done) = batch.done {
            self.ended = Some(now);
            self.progress = match done {
                Ok(()) => Progress::Done,
                Err(e) => Progress::Failed(e),
            };
        }
        self.sort();
        if let Some(k) = keep {
            if let Some(&i) = self.index.get(&k) {
                self.selected = i;
            }
        }
    }

    fn sort(&mut self) {
        self.rows.sort_by(|a, b| {
            (b.bytes, b.keys, b.known)
                .cmp(&(a.bytes, a.keys, a.known))
                .then_with(|| a.full.cmp(&b.full))
        });
        self.index = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.full.clone(), i))
            .collect();
    }

    /// How full the database is (0–100), against its quota or etcd's
    /// default one.
    pub fn percent_full(&self) -> Option<(f64, bool)> {
        let db = self.db.as_ref()?.as_ref().ok()?;
        let (quota, known) = if db.quota > 0 {
            (db.quota, true)
        } else {
            (DEFAULT_QUOTA, false)
        };
        Some((db.size as f64 * 100.0 / quota as f64, known))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_add_up_and_sort_by_size() {
        let now = Instant::now();
        let mut v = UsageView::new(
            1,
            b"/r/".to_vec(),
            vec![(b"/r/a/".to_vec(), Some(2)), (b"/r/b/".to_vec(), None)],
            now,
        );
        v.add(
            UsageBatch {
                adds: vec![(b"/r/b/".to_vec(), 1, 100), (b"/r/a/".to_vec(), 1, 10)],
                ..Default::default()
            },
            now,
        );
        v.add(
            UsageBatch {
                adds: vec![(b"/r/a/".to_vec(), 1, 500), (b"/r/k".to_vec(), 1, 1)],
                done: Some(Ok(())),
                ..Default::default()
            },
            now,
        );
        let rows: Vec<(&[u8], u64, u64)> = v
            .rows
            .iter()
            .map(|r| (r.full.as_slice(), r.keys, r.bytes))
            .collect();
        assert_eq!(
            rows,
            [(&b"/r/a/"[..], 2, 510), (b"/r/b/", 1, 100), (b"/r/k", 1, 1)]
        );
        assert_eq!(
            (v.keys, v.bytes, v.progress.clone()),
            (4, 611, Progress::Done)
        );
    }
}
