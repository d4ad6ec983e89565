//! Keeping the loaded part of the tree current from watch events.
//!
//! Only what is loaded changes: a key is inserted when its directory's
//! listing covers it (a later page would bring it otherwise), a directory
//! that was never listed is left alone. Rows are not rebuilt here; the
//! caller rebuilds once per batch.

use super::{Dir, Listing, Node, NodeId, Tree, ROOT};
use crate::etcd::types::EventKind;

/// How many recent events are kept to replay over late pages.
const RECENT: usize = 4096;

/// What a delete asks of the caller.
#[derive(Debug, PartialEq, Eq)]
pub enum Probe {
    None,
    /// This never-listed directory may have become empty: check it.
    Dir(NodeId, Vec<u8>),
}

impl Tree {
    /// Finds the child of `dir` named like `full`, or inserts it in bytewise
    /// order. Returns the child and whether it was inserted.
    pub(super) fn insert_child(
        &mut self,
        dir: NodeId,
        full: &[u8],
        is_dir: bool,
    ) -> (NodeId, bool) {
        let name_start = self.nodes[dir as usize].full.len();
        let name = &full[name_start..];
        let pos = {
            let children = &self.nodes[dir as usize]
                .dir
                .as_deref()
                .expect("dir")
                .children;
            // Pages arrive in order: check the end first.
            match children.last() {
                None => Err(0),
                Some(&last) if self.nodes[last as usize].name() < name => Err(children.len()),
                _ => children.binary_search_by(|&c| self.nodes[c as usize].name().cmp(name)),
            }
        };
        match pos {
            Ok(i) => (
                self.nodes[dir as usize]
                    .dir
                    .as_deref()
                    .expect("dir")
                    .children[i],
                false,
            ),
            Err(i) => {
                let depth = if dir == ROOT {
                    0
                } else {
                    self.nodes[dir as usize].depth + 1
                };
                let node = Node {
                    full: full.into(),
                    name_start: name_start as u32,
                    parent: dir,
                    depth,
                    dir: is_dir.then(Box::<Dir>::default),
                };
                let id = self.alloc(node);
                self.dir_mut(dir).expect("dir").children.insert(i, id);
                (id, true)
            }
        }
    }

    pub(super) fn find_child(&self, dir: NodeId, full: &[u8]) -> Option<(usize, NodeId)> {
        let name = &full[self.nodes[dir as usize].full.len()..];
        let children = &self.dir(dir)?.children;
        let i = children
            .binary_search_by(|&c| self.nodes[c as usize].name().cmp(name))
            .ok()?;
        Some((i, children[i]))
    }

    /// Whether `dir`'s loaded listing covers `key`.
    fn covers(&self, dir: NodeId, key: &[u8]) -> bool {
        match &self.dir(dir).map(|d| &d.listing) {
            Some(Listing::Complete) => true,
            Some(Listing::Partial(cursor)) => key < cursor.as_slice(),
            _ => false,
        }
    }

    /// The child of `dir` that `key` belongs to: (its full path, is_dir).
    fn child_path<'k>(&self, dir: NodeId, key: &'k [u8]) -> (&'k [u8], bool) {
        let start = self.nodes[dir as usize].full.len();
        let rest = &key[start..];
        let d = &self.delimiter;
        match rest.windows(d.len()).position(|w| w == d.as_slice()) {
            Some(i) => (&key[..start + i + d.len()], true),
            None => (key, false),
        }
    }

    /// Applies one event; returns whether the tree's shape changed and what
    /// must be probed.
    /// `delta`: what the event does to the number of keys ([`key_delta`]).
    pub fn apply_event(
        &mut self,
        revision: i64,
        kind: EventKind,
        key: &[u8],
        delta: i64,
    ) -> (bool, Probe) {
        if !key.starts_with(&self.nodes[ROOT as usize].full) {
            return (false, Probe::None);
        }
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back((revision, key.to_vec(), kind, delta));
        self.adjust_counts(revision, key, delta);
        match kind {
            EventKind::Put => (self.put(key), Probe::None),
            EventKind::Delete => self.delete(key),
        }
    }

    fn put(&mut self, key: &[u8]) -> bool {
        let mut dir = ROOT;
        loop {
            if !self.covers(dir, key) {
                self.forget_seed(dir);
                return false;
            }
            let (full, is_dir) = self.child_path(dir, key);
            let (child, inserted) = self.insert_child(dir, full, is_dir);
            if inserted || !is_dir {
                return inserted;
            }
            dir = child;
        }
    }

    fn delete(&mut self, key: &[u8]) -> (bool, Probe) {
        let mut dir = ROOT;
        loop {
            match self.dir(dir).map(|d| &d.listing) {
                Some(Listing::NotLoaded) if dir != ROOT => {
                    self.forget_seed(dir);
                    let full = self.nodes[dir as usize].full.to_vec();
                    return (false, Probe::Dir(dir, full));
                }
                Some(Listing::Complete | Listing::Partial(_)) => {}
                _ => return (false, Probe::None),
            }
            let (full, is_dir) = self.child_path(dir, key);
            let Some((i, child)) = self.find_child(dir, full) else {
                return (false, Probe::None);
            };
            if is_dir {
                dir = child;
                continue;
            }
            self.dir_mut(dir).expect("dir").children.remove(i);
            self.free_subtree(child);
            self.prune_empty(dir);
            return (true, Probe::None);
        }
    }

    /// Keeps the key counts of the directories above `key` exact: each
    /// event is applied once (a prefix delete of N keys is N events of one
    /// revision), to counts listed before it (events at or before a count's
    /// listing revision are in it).
    fn adjust_counts(&mut self, revision: i64, key: &[u8], delta: i64) {
        let mut dir = ROOT;
        loop {
            let (full, is_dir) = self.child_path(dir, key);
            if !is_dir {
                return;
            }
            let Some((_, id)) = self.find_child(dir, full) else {
                return;
            };
            if let Some(d) = self.dir_mut(id) {
                if revision > d.keys_rev {
                    d.keys = d.keys.map(|n| n.saturating_add_signed(delta));
                }
            }
            dir = id;
        }
    }

    /// A change below a never-listed directory makes its seed stale.
    fn forget_seed(&mut self, dir: NodeId) {
        if let Some(d) = self.dir_mut(dir) {
            d.seed = Vec::new();
        }
    }

    /// Removes `dir` and its ancestors while they are known to be empty.
    pub(super) fn prune_empty(&mut self, mut dir: NodeId) {
        while dir != ROOT {
            let d = self.dir(dir).expect("dir");
            if !d.children.is_empty()
                || d.in_flight.is_some()
                || !matches!(d.listing, Listing::Complete)
            {
                return;
            }
            let parent = self.nodes[dir as usize].parent;
            let full = self.nodes[dir as usize].full.to_vec();
            if let Some((i, _)) = self.find_child(parent, &full) {
                self.dir_mut(parent).expect("dir").children.remove(i);
            }
            self.free_subtree(dir);
            dir = parent;
        }
    }

    /// A probe found `dir` (still at `full`) empty: drop it.
    pub fn drop_empty_dir(&mut self, dir: NodeId, full: &[u8]) -> bool {
        match self.nodes.get(dir as usize) {
            Some(n)
                if n.full.as_ref() == full
                    && n.dir.as_deref().is_some_and(|d| {
                        d.listing == Listing::NotLoaded && d.in_flight.is_none()
                    }) => {}
            _ => return false,
        }
        self.dir_mut(dir).expect("dir").listing = Listing::Complete;
        self.prune_empty(dir);
        true
    }

    /// Re-applies events newer than a page's revision that fall in `dir`.
    pub(super) fn replay_recent(&mut self, dir: NodeId, page_revision: i64) {
        let prefix = self.nodes[dir as usize].full.to_vec();
        // Counts are not touched: the page's own counts took these events
        // in (`apply_page`), and the directories above had them live.
        let newer: Vec<(EventKind, Vec<u8>)> = self
            .recent
            .iter()
            .filter(|(rev, key, _, _)| *rev > page_revision && key.starts_with(&prefix))
            .map(|(_, key, kind, _)| (*kind, key.clone()))
            .collect();
        for (kind, key) in newer {
            match kind {
                EventKind::Put => {
                    self.put(&key);
                }
                EventKind::Delete => {
                    self.delete(&key);
                }
            }
        }
    }
}

/// What an event does to the number of keys: a PUT whose create revision
/// is its own revision creates a key (+1), any other PUT updates one (0),
/// and a DELETE removes an existing key (−1; etcd sends none for absent
/// keys).
pub fn key_delta(kind: EventKind, create_revision: i64, mod_revision: i64) -> i64 {
    match kind {
        EventKind::Put if create_revision == mod_revision => 1,
        EventKind::Put => 0,
        EventKind::Delete => -1,
    }
}
