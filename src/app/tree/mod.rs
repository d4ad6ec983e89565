//! The Keys pane's model: an arena of nodes (directories and keys) loaded
//! lazily from etcd, plus the flattened list of visible rows.
//!
//! Rows are rebuilt only when the tree's shape changes (a page arrives, a
//! directory opens or closes, the filter changes), never per frame; drawing a
//! frame only reads the rows that fit on screen.

pub mod live;
pub mod update;

use std::collections::{HashSet, VecDeque};

use crate::etcd::types::{looks_like_session_key, ChildPage, EventKind};

pub type NodeId = u32;
pub const ROOT: NodeId = 0;

#[derive(Debug)]
pub struct Node {
    /// Full key (for a key) or full prefix with trailing delimiter (for a
    /// directory). The root holds `--prefix` as given.
    pub full: Box<[u8]>,
    /// Where this node's own segment starts in `full`.
    name_start: u32,
    pub parent: NodeId,
    pub depth: u32,
    /// `Some` for directories.
    pub dir: Option<Box<Dir>>,
}

#[derive(Debug, Default)]
pub struct Dir {
    pub children: Vec<NodeId>,
    pub expanded: bool,
    pub listing: Listing,
    /// Set while a page request is in flight; results carrying another
    /// generation are stale (the directory was reloaded) and dropped.
    pub in_flight: Option<u64>,
    /// The first keys of this directory, seen while its parent was listed
    /// (saves reading them again).
    pub seed: Vec<Vec<u8>>,
    /// Holds only election keys (`<lease id in hex>` on that lease).
    pub election: bool,
    /// Holds only lock keys (election keys with empty values).
    pub lock: bool,
    /// Exact number of keys under this directory, when a listing of its
    /// parent learned it (kept exact by watch events: a create counts up,
    /// a delete down, an update not at all).
    pub keys: Option<u64>,
    /// The revision of the listing `keys` came from: later events are
    /// applied to it, earlier ones are in it.
    pub keys_rev: i64,
    /// The user may read only part of it: its children are what the
    /// user's roles allow (the row says `partly denied`).
    pub partly_denied: bool,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub enum Listing {
    #[default]
    NotLoaded,
    /// Some pages loaded; the next one starts at this key.
    Partial(Vec<u8>),
    Complete,
    Failed(String),
}

impl Listing {
    /// Whether etcd refused the listing for the user's permissions: the
    /// directory's row says `denied` in place (no error row, no line).
    pub fn denied(&self) -> bool {
        matches!(self, Listing::Failed(e) if e.contains("permission denied"))
    }
}

impl Node {
    /// The row label: the last segment, with the trailing delimiter for a
    /// directory (`app00/`).
    pub fn name(&self) -> &[u8] {
        &self.full[self.name_start as usize..]
    }
    pub fn is_dir(&self) -> bool {
        self.dir.is_some()
    }
}

/// What listing the next page of a directory needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadRequest {
    pub prefix: Vec<u8>,
    pub cursor: Option<Vec<u8>>,
    pub seed: Vec<Vec<u8>>,
    pub generation: u64,
    /// Keys under the directory, when known (`Dir::keys`): the lister reads
    /// a directory known to be small in one range, any other one in
    /// ranges split by first byte.
    pub keys: Option<u64>,
    /// Read the directory as it was at this revision (0: now).
    pub revision: i64,
}

/// A visible row: a node, or the "loading… / more" line that ends a
/// directory whose listing is not complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub node: NodeId,
    pub more: bool,
}

#[derive(Debug)]
pub struct Tree {
    nodes: Vec<Node>,
    free: Vec<NodeId>,
    pub rows: Vec<Row>,
    pub delimiter: Vec<u8>,
    /// Lower-cased filter; rows whose name does not contain it are hidden
    /// (directories stay while something below them matches).
    filter: Vec<u8>,
    next_generation: u64,
    /// Number of nodes alive (keys and directories), for the title.
    pub loaded: usize,
    /// The latest watch events (revision, key, kind), replayed over a page
    /// that was listed at an older revision than events already applied.
    /// (revision, key, kind, what it did to the number of keys).
    recent: VecDeque<(i64, Vec<u8>, EventKind, i64)>,
    /// The tree as it was at this past revision (`:rev N`): listed there,
    /// and live events do not change it. `None`: now.
    pub at: Option<i64>,
    /// Directories that were open when the tree had to be listed again:
    /// each opens again when its parent's listing brings it back.
    reopen: HashSet<Vec<u8>>,
    /// The directory `r` is listing again (its "reloading…" goes when the
    /// listing is complete).
    pub reloading: Option<NodeId>,
    /// The directory `:top`'s `Enter` opens the tree down to: selected
    /// once a listing brings its row.
    pub reveal: Option<Vec<u8>>,
}

impl Tree {
    /// Before listing the whole tree again: remember which directories
    /// are open.
    pub fn remember_open(&mut self) {
        self.reopen = self
            .nodes_iter()
            .filter(|(_, n)| n.dir.as_deref().is_some_and(|d| d.expanded))
            .map(|(_, n)| n.full.to_vec())
            .collect();
    }

    /// Whether the directory `full` opens again when a re-list brings it back.
    pub fn will_reopen(&self, full: &[u8]) -> bool {
        self.reopen.contains(full)
    }

    /// Directories to open again after a re-list: `dir`'s children whose
    /// path was open before and that are not listed yet.
    pub fn reopen_children(&self, dir: NodeId) -> Vec<NodeId> {
        if self.reopen.is_empty() {
            return Vec::new();
        }
        let Some(d) = self.dir(dir) else {
            return Vec::new();
        };
        d.children
            .iter()
            .copied()
            .filter(|&c| {
                let n = self.node(c);
                self.reopen.contains(n.full.as_ref())
                    && matches!(
                        n.dir.as_deref().map(|d| &d.listing),
                        Some(Listing::NotLoaded)
                    )
            })
            .collect()
    }

    pub fn new(prefix: &[u8], delimiter: &[u8]) -> Self {
        let root = Node {
            full: prefix.into(),
            name_start: 0,
            parent: ROOT,
            depth: 0,
            dir: Some(Box::new(Dir {
                expanded: true,
                ..Dir::default()
            })),
        };
        Tree {
            nodes: vec![root],
            free: Vec::new(),
            rows: Vec::new(),
            delimiter: delimiter.to_vec(),
            filter: Vec::new(),
            next_generation: 1,
            loaded: 0,
            recent: VecDeque::new(),
            at: None,
            reopen: HashSet::new(),
            reloading: None,
            reveal: None,
        }
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    /// The prefix the session browses (the root node's).
    pub fn root_prefix(&self) -> &[u8] {
        &self.nodes[ROOT as usize].full
    }

    pub fn dir(&self, id: NodeId) -> Option<&Dir> {
        self.nodes.get(id as usize)?.dir.as_deref()
    }

    fn dir_mut(&mut self, id: NodeId) -> Option<&mut Dir> {
        self.nodes.get_mut(id as usize)?.dir.as_deref_mut()
    }

    /// Every live node (for occasional whole-tree passes, not per frame).
    pub fn nodes_iter(&self) -> impl Iterator<Item = (NodeId, &Node)> {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(i, n)| *i == 0 || !n.full.is_empty())
            .map(|(i, n)| (i as NodeId, n))
    }

    pub fn filter(&self) -> &[u8] {
        &self.filter
    }

    /// Marks a page request for `dir` as in flight and returns what the
    /// request needs. `None` when nothing is to be loaded (complete, or
    /// already loading).
    pub fn begin_load(&mut self, dir: NodeId) -> Option<LoadRequest> {
        let generation = self.next_generation;
        let full = self.nodes.get(dir as usize)?.full.to_vec();
        let d = self.dir_mut(dir)?;
        if d.in_flight.is_some() {
            return None;
        }
        let cursor = match &d.listing {
            Listing::NotLoaded | Listing::Failed(_) => None,
            Listing::Partial(c) => Some(c.clone()),
            Listing::Complete => return None,
        };
        d.in_flight = Some(generation);
        let seed = if cursor.is_none() {
            std::mem::take(&mut d.seed)
        } else {
            Vec::new()
        };
        let keys = d.keys;
        self.next_generation += 1;
        Some(LoadRequest {
            prefix: full,
            cursor,
            seed,
            generation,
            keys,
            revision: self.at.unwrap_or(0),
        })
    }

    /// Applies a listing page, or a batch of one (`page.partial`: the
    /// request goes on). Returns false (and changes nothing) when the
    /// answer is stale.
    /// Numbers new listings after `old`'s, so an answer to a listing of
    /// `old` can never pass for one of this tree (a context switch).
    pub fn continue_generations(&mut self, old: &Tree) {
        self.next_generation = self.next_generation.max(old.next_generation);
    }

    pub fn apply_page(&mut self, dir: NodeId, generation: u64, page: ChildPage) -> bool {
        match self.dir(dir) {
            Some(d) if d.in_flight == Some(generation) => {}
            _ => return false,
        }
        let revision = page.revision;
        for child in page.children {
            // Children that live updates already inserted are not doubled.
            self.insert_child(dir, &child.full, child.is_dir);
        }
        for (sub, n) in page.counts {
            // Events after the page's revision are not in the count.
            let mut keys = n;
            for (rev, key, _, delta) in &self.recent {
                if *rev > revision && key.starts_with(&sub) {
                    keys = keys.saturating_add_signed(*delta);
                }
            }
            if let Some((_, id)) = self.find_child(dir, &sub) {
                if let Some(d) = self.dir_mut(id) {
                    d.keys = Some(keys);
                    // Live events newer than the page count from here on.
                    d.keys_rev = revision;
                }
            }
        }
        for (sub, keys) in page.seeds {
            // Changed since the page was read: the seed would be stale.
            let changed = self
                .recent
                .iter()
                .any(|(rev, key, _, _)| *rev > revision && key.starts_with(&sub));
            if changed {
                continue;
            }
            if let Some((_, id)) = self.find_child(dir, &sub) {
                if let Some(d) = self.dir_mut(id) {
                    if d.listing == Listing::NotLoaded && d.in_flight.is_none() {
                        d.seed = keys;
                    }
                }
            }
        }
        if page.partial {
            return true;
        }
        let d = self.dir_mut(dir).expect("checked above");
        d.in_flight = None;
        d.partly_denied = page.partly_denied;
        d.listing = match page.next {
            Some(cursor) => Listing::Partial(cursor),
            None => Listing::Complete,
        };
        self.replay_recent(dir, revision);
        true
    }

    /// Records a failed listing (stale answers are ignored).
    pub fn fail_load(&mut self, dir: NodeId, generation: u64, error: String) -> bool {
        match self.dir_mut(dir) {
            Some(d) if d.in_flight == Some(generation) => {
                d.in_flight = None;
                d.listing = Listing::Failed(error);
                true
            }
            _ => false,
        }
    }

    /// Stops waiting for `dir`'s listing (its reads are cancelled): what it
    /// found stays, the listing stays as it was before the request, so
    /// opening the directory again asks again. Returns the generation that
    /// was in flight.
    pub fn cancel_load(&mut self, dir: NodeId) -> Option<u64> {
        self.dir_mut(dir)?.in_flight.take()
    }

    /// Directories at or below `dir` whose listing is in flight.
    pub fn loading_under(&self, dir: NodeId) -> Vec<(NodeId, u64)> {
        let mut out = Vec::new();
        let mut stack = vec![dir];
        while let Some(id) = stack.pop() {
            if let Some(d) = self.dir(id) {
                if let Some(g) = d.in_flight {
                    out.push((id, g));
                }
                stack.extend(d.children.iter().copied());
            }
        }
        out
    }

    /// Shows the keyspace at revision `at` from now on (`None`: now); the
    /// caller lists it again. Live events kept to correct late pages
    /// belong to another time: dropped.
    pub fn set_revision(&mut self, at: Option<i64>) {
        self.at = at;
        self.recent.clear();
    }

    /// Forgets everything loaded under `dir` so it can be listed again.
    pub fn reset(&mut self, dir: NodeId) {
        let Some(d) = self.dir_mut(dir) else { return };
        let children = std::mem::take(&mut d.children);
        d.listing = Listing::NotLoaded;
        d.in_flight = None;
        d.seed = Vec::new();
        for child in children {
            self.free_subtree(child);
        }
    }

    /// Returns `id` and everything below it to the free list.
    fn free_subtree(&mut self, id: NodeId) {
        let mut stack = vec![id];
        while let Some(id) = stack.pop() {
            if let Some(d) = self.nodes[id as usize].dir.take() {
                stack.extend(d.children);
            }
            self.nodes[id as usize].full = Box::default();
            self.free.push(id);
            self.loaded -= 1;
        }
    }

    /// Marks `dir` (still at `full`) as an election.
    pub fn mark_election(&mut self, dir: NodeId, full: &[u8]) {
        if self
            .nodes
            .get(dir as usize)
            .is_some_and(|n| n.full.as_ref() == full)
        {
            if let Some(d) = self.dir_mut(dir) {
                d.election = true;
            }
        }
    }

    /// Marks `dir` (still at `full`) as a lock (it is followed like an
    /// election).
    pub fn mark_lock(&mut self, dir: NodeId, full: &[u8]) {
        self.mark_election(dir, full);
        if let Some(d) = self.dir_mut(dir).filter(|d| d.election) {
            d.lock = true;
        }
    }

    /// Whether every child of a fully listed `dir` is a key named like a
    /// lease id in hex (what election keys look like).
    pub fn looks_like_election(&self, dir: NodeId) -> bool {
        let Some(d) = self.dir(dir) else { return false };
        d.listing == Listing::Complete
            && !d.children.is_empty()
            && d.children.iter().all(|&c| {
                let n = self.node(c);
                !n.is_dir() && looks_like_session_key(n.name())
            })
    }

    pub fn set_expanded(&mut self, dir: NodeId, expanded: bool) {
        if dir == ROOT {
            return;
        }
        if let Some(d) = self.dir_mut(dir) {
            d.expanded = expanded;
        }
    }

    pub fn set_filter(&mut self, filter: &str) {
        self.filter = filter.to_lowercase().into_bytes();
    }

    fn alloc(&mut self, node: Node) -> NodeId {
        self.loaded += 1;
        match self.free.pop() {
            Some(id) => {
                self.nodes[id as usize] = node;
                id
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as NodeId
            }
        }
    }

    /// Rebuilds the visible rows: every child of an expanded directory,
    /// depth first, with a `more` row ending each incomplete directory.
    pub fn rebuild_rows(&mut self) {
        let mut rows = std::mem::take(&mut self.rows);
        rows.clear();
        // Explicit stack: key depth is bounded only by key length.
        let mut stack: Vec<(NodeId, usize)> = vec![(ROOT, 0)];
        while let Some((dir, next)) = stack.last_mut() {
            let d = self.nodes[*dir as usize].dir.as_deref().expect("dir");
            if let Some(&child) = d.children.get(*next) {
                *next += 1;
                rows.push(Row {
                    node: child,
                    more: false,
                });
                if self.nodes[child as usize]
                    .dir
                    .as_deref()
                    .is_some_and(|c| c.expanded)
                {
                    stack.push((child, 0));
                }
            } else {
                // A denied directory says so on its own row; the root has
                // none, so its error row stays.
                let denied_row = *dir != ROOT && d.listing.denied();
                if d.listing != Listing::Complete && !denied_row {
                    rows.push(Row {
                        node: *dir,
                        more: true,
                    });
                }
                stack.pop();
            }
        }
        if !self.filter.is_empty() {
            self.apply_filter(&mut rows);
        }
        self.rows = rows;
    }

    /// Keeps rows whose name matches the filter, the directories above them
    /// and the `more` rows (their directory is not fully known yet).
    fn apply_filter(&self, rows: &mut Vec<Row>) {
        let depth_of = |r: &Row| self.row_depth(*r);
        let max_depth = rows.iter().map(depth_of).max().unwrap_or(0) as usize;
        // kept_below[d]: a kept row at depth d was seen since the last row
        // at depth < d (walking backwards).
        let mut kept_below = vec![false; max_depth + 2];
        let mut keep = vec![false; rows.len()];
        for (i, row) in rows.iter().enumerate().rev() {
            let d = depth_of(row) as usize;
            let node = &self.nodes[row.node as usize];
            let kept = row.more
                || contains_ignore_case(node.name(), &self.filter)
                || (node.is_dir() && kept_below[d + 1]);
            kept_below[d + 1] = false;
            if kept {
                kept_below[d] = true;
                keep[i] = true;
            }
        }
        let mut i = 0;
        rows.retain(|_| {
            i += 1;
            keep[i - 1]
        });
    }

    /// Indentation level of a row: a `more` row sits with its directory's
    /// children.
    pub fn row_depth(&self, row: Row) -> u32 {
        match (row.more, row.node) {
            (true, ROOT) => 0,
            (true, dir) => self.nodes[dir as usize].depth + 1,
            (false, node) => self.nodes[node as usize].depth,
        }
    }

    /// Index of the row showing `row`, if visible.
    pub fn position(&self, row: Row) -> Option<usize> {
        self.rows.iter().position(|r| *r == row)
    }
}

fn contains_ignore_case(haystack: &[u8], needle_lower: &[u8]) -> bool {
    if needle_lower.len() > haystack.len() {
        return false;
    }
    haystack.windows(needle_lower.len()).any(|w| {
        w.iter()
            .zip(needle_lower)
            .all(|(a, b)| a.to_ascii_lowercase() == *b)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::etcd::types::Child;

    fn page(children: &[(&str, bool)], next: Option<&str>) -> ChildPage {
        ChildPage {
            children: children
                .iter()
                .map(|(f, d)| Child {
                    full: f.as_bytes().to_vec(),
                    is_dir: *d,
                })
                .collect(),
            next: next.map(|n| n.as_bytes().to_vec()),
            revision: 1,
            reads: 1,
            seeds: Vec::new(),
            ..Default::default()
        }
    }

    fn names(t: &Tree) -> Vec<String> {
        t.rows
            .iter()
            .map(|r| {
                let indent = " ".repeat(t.row_depth(*r) as usize);
                if r.more {
                    format!("{indent}…")
                } else {
                    format!("{indent}{}", String::from_utf8_lossy(t.node(r.node).name()))
                }
            })
            .collect()
    }

    #[test]
    fn pages_expand_and_filter() {
        let mut t = Tree::new(b"/", b"/");
        let req = t.begin_load(ROOT).unwrap();
        assert_eq!((req.prefix.as_slice(), req.cursor), (&b"/"[..], None));
        let g = req.generation;
        assert!(t.begin_load(ROOT).is_none(), "one request at a time");
        assert!(t.apply_page(ROOT, g, page(&[("/a", false), ("/a/", true)], Some("/b"))));
        t.rebuild_rows();
        assert_eq!(names(&t), ["a", "a/", "…"]);

        let req = t.begin_load(ROOT).unwrap();
        assert_eq!(req.cursor.as_deref(), Some(&b"/b"[..]));
        let g2 = req.generation;
        assert!(!t.apply_page(ROOT, g, page(&[], None)), "stale generation");
        t.apply_page(ROOT, g2, page(&[("/b", false)], None));
        let a = t.rows[1].node;
        let g3 = t.begin_load(a).unwrap().generation;
        t.apply_page(a, g3, page(&[("/a/x", false), ("/a/yy", false)], None));
        t.set_expanded(a, true);
        t.rebuild_rows();
        assert_eq!(names(&t), ["a", "a/", " x", " yy", "b"]);

        t.set_filter("Y");
        t.rebuild_rows();
        assert_eq!(names(&t), ["a/", " yy"]);
        t.set_filter("");
        t.reset(a);
        t.rebuild_rows();
        assert_eq!(names(&t), ["a", "a/", " …", "b"]);
        assert_eq!(t.loaded, 3);
    }

    #[test]
    fn counts_stay_exact_through_creates_updates_and_prefix_deletes() {
        use super::live::key_delta;
        use crate::etcd::types::EventKind::{Delete, Put};
        let mut t = Tree::new(b"/", b"/");
        let g = t.begin_load(ROOT).unwrap().generation;
        // An event newer than the page arrived before it.
        t.apply_event(11, Delete, b"/c/z", -1);
        let mut p = page(&[("/a/", true), ("/b/", true), ("/c/", true)], None);
        p.revision = 10;
        p.counts = vec![
            (b"/a/".to_vec(), 5),
            (b"/b/".to_vec(), 3),
            (b"/c/".to_vec(), 2),
        ];
        assert!(t.apply_page(ROOT, g, p));
        let id = |t: &Tree, full: &[u8]| t.find_child(ROOT, full).unwrap().1;
        let keys = |t: &Tree, full: &[u8]| t.dir(id(t, full)).unwrap().keys;
        assert_eq!(keys(&t, b"/c/"), Some(1), "the newer delete counted");
        // Late events at or before the count's revision are in it.
        t.apply_event(10, Delete, b"/a/x", -1);
        assert_eq!(keys(&t, b"/a/"), Some(5));
        // A prefix delete: several deletes of one revision, each counted.
        for k in [&b"/a/x"[..], b"/a/y", b"/a/z"] {
            t.apply_event(12, Delete, k, -1);
        }
        assert_eq!(keys(&t, b"/a/"), Some(2));
        // A create counts up; an update changes nothing.
        t.apply_event(13, Put, b"/b/new", 1);
        t.apply_event(14, Put, b"/b/new", 0);
        assert_eq!(keys(&t, b"/b/"), Some(4));
        assert_eq!(key_delta(Put, 13, 13), 1);
        assert_eq!(key_delta(Put, 13, 14), 0);
        assert_eq!(key_delta(Delete, 0, 15), -1);
    }
}
