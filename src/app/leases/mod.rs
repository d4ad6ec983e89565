//! Leases (`:leases`): every lease with its granted TTL, the TTL left
//! (counting down between refreshes) and how many keys it holds, the
//! biggest first.

pub mod update;

use std::time::{Duration, Instant};

use crate::etcd::leases::LeaseInfo;

/// A shown list is asked again this often (and when a lease runs out).
pub const REFRESH: Duration = Duration::from_secs(10);

/// One lease and when etcd told its TTL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRow {
    pub info: LeaseInfo,
    pub at: Instant,
}

impl LeaseRow {
    /// Seconds left now (0 once it ran out).
    pub fn remaining(&self, now: Instant) -> i64 {
        let gone = now.saturating_duration_since(self.at).as_secs() as i64;
        (self.info.ttl - gone).max(0)
    }
}

#[derive(Debug)]
pub struct LeasesView {
    /// Sorted by attached keys (most first), then id.
    pub rows: Vec<LeaseRow>,
    /// A request is in flight.
    pub loading: bool,
    pub error: Option<String>,
    /// When the list was last asked for.
    pub asked: Instant,
    pub selected: usize,
    pub offset: usize,
    /// The lease to select when the list arrives (opened from a key's
    /// Value pane).
    pub want: Option<i64>,
}

impl LeasesView {
    pub fn loading(now: Instant) -> LeasesView {
        LeasesView {
            rows: Vec::new(),
            loading: true,
            error: None,
            asked: now,
            selected: 0,
            offset: 0,
            want: None,
        }
    }

    /// Takes a fresh list; the selection stays on the same lease (or goes
    /// to the one wanted).
    pub fn set(&mut self, mut leases: Vec<LeaseInfo>, now: Instant) {
        let keep = self.want.take().or(self.selected_id());
        leases.sort_by(|a, b| b.keys.cmp(&a.keys).then(a.id.cmp(&b.id)));
        self.rows = leases
            .into_iter()
            .map(|info| LeaseRow { info, at: now })
            .collect();
        self.selected = keep
            .and_then(|id| self.rows.iter().position(|r| r.info.id == id))
            .unwrap_or(self.selected)
            .min(self.rows.len().saturating_sub(1));
        self.loading = false;
        self.error = None;
    }

    pub fn selected_row(&self) -> Option<&LeaseRow> {
        self.rows.get(self.selected)
    }

    pub fn selected_id(&self) -> Option<i64> {
        self.selected_row().map(|r| r.info.id)
    }

    /// Whether it is time to ask again: a lease ran out, or [`REFRESH`].
    pub fn due(&self, now: Instant) -> bool {
        !self.loading
            && (now.saturating_duration_since(self.asked) >= REFRESH
                || self.rows.iter().any(|r| r.remaining(now) == 0)
                    && now.saturating_duration_since(self.asked) >= Duration::from_secs(1))
    }
}

/// A lease id as etcdctl writes it (hex).
pub fn hex(id: i64) -> String {
    format!("{id:x}")
}
