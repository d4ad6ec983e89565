//! The Leader pane's model: followed elections, who leads, who is next,
//! and the last changes of leader.

use std::collections::VecDeque;
use std::time::Instant;

use crate::etcd::types::{Candidate, ElectionSnapshot};

pub mod update;

/// Changes of leader kept per election.
pub const HISTORY: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderChange {
    pub at: Instant,
    pub revision: i64,
    /// Proposals (values) of the old and new leader; `None`: no leader.
    pub from: Option<Vec<u8>>,
    pub to: Option<Vec<u8>>,
}

#[derive(Debug)]
pub struct ElectionView {
    pub name: Vec<u8>,
    pub snapshot: Option<ElectionSnapshot>,
    /// When the snapshot arrived (TTLs count down from there).
    pub received_at: Instant,
    pub error: Option<String>,
    /// The current leader's key, the revision at which it was seen taking
    /// over (`None` when it already led at the first look), and when.
    pub leader: Option<(Vec<u8>, Option<i64>, Instant)>,
    pub history: VecDeque<LeaderChange>,
    /// Seen holding only lock keys (stays a lock once free).
    pub lock: bool,
}

impl ElectionView {
    pub fn new(name: Vec<u8>, now: Instant) -> ElectionView {
        ElectionView {
            name,
            snapshot: None,
            received_at: now,
            error: None,
            leader: None,
            history: VecDeque::new(),
            lock: false,
        }
    }

    /// Whether it is a lock (Go's `concurrency.Mutex`): every key's value
    /// is empty. The leader is then the holder, the others wait.
    pub fn is_lock(&self) -> bool {
        self.lock
            || self.snapshot.as_ref().is_some_and(|s| {
                !s.candidates.is_empty() && s.candidates.iter().all(|c| c.value.is_empty())
            })
    }

    /// The leading candidate (see `order`).
    pub fn leader(&self) -> Option<&Candidate> {
        self.snapshot
            .as_ref()?
            .candidates
            .first()
            .filter(|c| !expired(c))
    }

    /// The other keys, in the order they would take over (keys whose lease
    /// is known to be gone last).
    pub fn waiting(&self) -> &[Candidate] {
        let all = self
            .snapshot
            .as_ref()
            .map_or(&[][..], |s| &s.candidates[..]);
        match self.leader() {
            Some(_) => &all[1..],
            None => all,
        }
    }

    pub fn prefix_len(&self) -> usize {
        self.name.len() + 1
    }
}

/// A key whose lease is known to have expired: etcd is about to delete it,
/// it cannot lead.
pub fn expired(c: &Candidate) -> bool {
    c.ttl.is_some_and(|t| t < 0)
}

/// Orders candidates as Go's election decides: lowest create revision
/// first; ties (keys created in one transaction) go to the smaller key;
/// keys with an expired lease go last.
pub fn order(candidates: &mut [Candidate]) {
    candidates.sort_by(|a, b| {
        (expired(a), a.create_revision, &a.key).cmp(&(expired(b), b.create_revision, &b.key))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(key: &str, rev: i64) -> Candidate {
        Candidate {
            key: key.as_bytes().to_vec(),
            value: key.as_bytes().to_vec(),
            create_revision: rev,
            lease: 1,
            ttl: None,
        }
    }

    #[test]
    fn lowest_create_revision_leads_and_ties_go_to_the_smaller_key() {
        let mut v = vec![c("/e/3", 9), c("/e/2", 5), c("/e/1", 5), c("/e/0", 7)];
        order(&mut v);
        let keys: Vec<&[u8]> = v.iter().map(|c| c.key.as_slice()).collect();
        assert_eq!(keys, [b"/e/1".as_slice(), b"/e/2", b"/e/0", b"/e/3"]);
    }

    #[test]
    fn an_expired_lease_cannot_lead() {
        let mut first = c("/e/1", 3);
        first.ttl = Some(-1);
        let mut v = vec![first, c("/e/2", 4)];
        order(&mut v);
        assert_eq!(v[0].key, b"/e/2");
        let mut view = ElectionView::new(b"/e".to_vec(), Instant::now());
        view.snapshot = Some(ElectionSnapshot {
            candidates: v,
            revision: 9,
        });
        assert_eq!(view.leader().unwrap().key, b"/e/2");
        assert_eq!(view.waiting().len(), 1);
        // Only expired keys: no leader, all shown as waiting.
        let mut only = c("/e/1", 3);
        only.ttl = Some(-1);
        view.snapshot = Some(ElectionSnapshot {
            candidates: vec![only],
            revision: 9,
        });
        assert!(view.leader().is_none());
        assert_eq!(view.waiting().len(), 1);
    }
}
