//! Find (`F`, `:find`): every key under a directory whose name (or, with
//! `v:`, whose value as shown) matches a query, as a virtual directory in
//! the Keys pane.
//!
//! Queries: `payment` (substring; ignores case unless it has upper case),
//! `re:pay(ment)?s` (regular expression), `~pmt` (fuzzy: the letters in
//! order), each optionally after `v:` (values too: a key matches when its
//! name or its value does). Names are matched without the searched
//! directory's prefix (what the rows show). Values are matched as the Value
//! pane shows them: JSON pretty-printed, Kubernetes objects decoded, binary
//! values as their hex dump.
//!
//! The same virtual directory lists a lease's keys (`:leases`, Enter):
//! [`Source`] says which it is, and the rules that differ (a lease's keys
//! have no revision to guard a delete on, no query to highlight) are on it.

pub mod update;

use std::time::{Duration, Instant};

use regex::bytes::{Regex, RegexBuilder};

use crate::value_doc::Document;

/// Matches kept for the virtual directory (more are counted, not kept).
pub const MAX_KEPT: usize = 100_000;

/// How a name (or value) is matched.
#[derive(Debug, Clone)]
pub enum Pattern {
    /// A substring (or a literal regex) — both are one `Regex`.
    Regex(Regex),
    /// The needle's characters in order (lower-cased; matched ignoring case).
    Fuzzy(Vec<u8>),
}

/// A parsed query.
#[derive(Debug, Clone)]
pub struct Query {
    /// As typed.
    pub text: String,
    pub pattern: Pattern,
    /// Values are searched too.
    pub values: bool,
    /// The pattern may match across JSON whitespace or escapes: values
    /// that do not match raw are matched again as shown.
    loose: bool,
}

impl Query {
    /// Reads `[v:](re:PATTERN | ~TEXT | TEXT)`.
    pub fn parse(text: &str) -> Result<Query, String> {
        let (values, rest) = match text.strip_prefix("v:") {
            Some(r) => (true, r),
            None => (false, text),
        };
        if rest.is_empty() {
            return Err("type something to find".into());
        }
        let (pattern, loose) = if let Some(re) = rest.strip_prefix("re:") {
            let built = RegexBuilder::new(re)
                .size_limit(1 << 22)
                .build()
                .map_err(|e| format!("not a regular expression: {}", first_line(&e.to_string())))?;
            (Pattern::Regex(built), true)
        } else if let Some(f) = rest.strip_prefix('~') {
            if f.is_empty() {
                return Err("type something after ~".into());
            }
            (Pattern::Fuzzy(f.to_lowercase().into_bytes()), true)
        } else {
            let insensitive = !rest.chars().any(char::is_uppercase);
            let built = RegexBuilder::new(&regex::escape(rest))
                .case_insensitive(insensitive)
                .build()
                .map_err(|e| e.to_string())?;
            let loose = rest.chars().any(|c| c.is_whitespace() || c == '\\');
            (Pattern::Regex(built), loose)
        };
        Ok(Query {
            text: text.to_string(),
            pattern,
            values,
            loose,
        })
    }

    /// Whether a key matches: its name (the key after the searched
    /// directory's prefix) or, when values are searched, its value.
    pub fn matches(&self, name: &[u8], value: &[u8]) -> bool {
        if self.matches_bytes(name) {
            return true;
        }
        if !self.values {
            return false;
        }
        if self.matches_bytes(value) && std::str::from_utf8(value).is_ok() {
            return true;
        }
        if self.needs_shown(value) {
            let shown = Document::build(value).text_lines().join("\n");
            return self.matches_bytes(shown.as_bytes());
        }
        false
    }

    /// Whether the value as the Value pane shows it may differ from its
    /// bytes in a way that matters to this pattern.
    fn needs_shown(&self, value: &[u8]) -> bool {
        if crate::k8s::is_kubernetes(value) || std::str::from_utf8(value).is_err() {
            return true;
        }
        let json = value
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'{' || *b == b'[');
        json && (self.loose || value.contains(&b'\\'))
    }

    fn matches_bytes(&self, hay: &[u8]) -> bool {
        match &self.pattern {
            Pattern::Regex(re) => re.is_match(hay),
            Pattern::Fuzzy(needle) => fuzzy_spans(hay, needle).is_some(),
        }
    }

    /// Byte ranges of `name` to highlight (the first match).
    pub fn spans(&self, name: &[u8]) -> Vec<(usize, usize)> {
        match &self.pattern {
            Pattern::Regex(re) => re
                .find(name)
                .map(|m| vec![(m.start(), m.end())])
                .unwrap_or_default(),
            Pattern::Fuzzy(needle) => fuzzy_spans(name, needle).unwrap_or_default(),
        }
    }
}

fn first_line(s: &str) -> &str {
    s.lines().last().unwrap_or(s).trim()
}

/// Where the needle's bytes occur in order in `hay` (ignoring ASCII
/// case), as one range per byte; `None` when they do not.
fn fuzzy_spans(hay: &[u8], needle: &[u8]) -> Option<Vec<(usize, usize)>> {
    let mut out = Vec::with_capacity(needle.len());
    let mut i = 0;
    for &n in needle {
        let at = hay[i..].iter().position(|&h| h.to_ascii_lowercase() == n)?;
        out.push((i + at, i + at + 1));
        i += at + 1;
    }
    Some(out)
}

/// One key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub key: Vec<u8>,
    /// As the scan saw it (a search). A lease's keys come without one
    /// (0): [`Source::Lease`] never uses it.
    pub mod_revision: i64,
}

/// What the virtual directory lists.
#[derive(Debug, Clone)]
pub enum Source {
    /// A search's matches, each with the `mod_revision` the scan saw.
    Search(Query),
    /// A lease's keys (`:leases`, Enter): names only, nothing to guard a
    /// delete on.
    Lease(i64),
}

impl Source {
    /// What the title quotes: the query as typed, or `lease ID`.
    pub fn label(&self) -> String {
        match self {
            Source::Search(q) => q.text.clone(),
            Source::Lease(id) => format!("lease {id:x}"),
        }
    }

    /// The search's query (a lease's keys have none).
    pub fn query(&self) -> Option<&Query> {
        match self {
            Source::Search(q) => Some(q),
            Source::Lease(_) => None,
        }
    }
}

/// Where a find stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    Running,
    Done,
    /// Stopped by the user (no more reads were made).
    Cancelled,
    Failed(String),
}

/// What a scan reports (a batch of matches and the counters after it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindBatch {
    pub hits: Vec<Hit>,
    pub scanned: u64,
    pub total: u64,
    pub revision: i64,
    /// The last report: the scan ended (or failed).
    pub done: Option<Result<(), String>>,
    /// What the scan left out: the parts the user may not read.
    pub skipped: Option<String>,
}

/// The virtual directory of a find's results.
#[derive(Debug)]
pub struct FindView {
    pub id: u64,
    pub source: Source,
    /// The directory searched (its full prefix; a lease's keys: the
    /// tree's root).
    pub dir: Vec<u8>,
    /// Matches kept, in key order (at most [`MAX_KEPT`]).
    pub hits: Vec<Hit>,
    /// Every match found (may exceed `hits.len()`).
    pub matches: u64,
    pub scanned: u64,
    /// Keys under the directory (0 until the first read answers).
    pub total: u64,
    pub revision: i64,
    pub started: Instant,
    /// When it stopped (done, cancelled or failed).
    pub ended: Option<Instant>,
    pub progress: Progress,
    /// Selected row: 0 is the directory's own row, `i + 1` is `hits[i]`.
    pub selected: usize,
    pub offset: usize,
}

impl FindView {
    /// A search starting (its results come in batches).
    pub fn new(id: u64, query: Query, dir: Vec<u8>, now: Instant) -> FindView {
        FindView::of(id, Source::Search(query), dir, now)
    }

    /// The keys attached to `lease`, all known at once (names under the
    /// tree's root `dir`).
    pub fn lease(id: u64, lease: i64, keys: Vec<Vec<u8>>, dir: Vec<u8>, now: Instant) -> FindView {
        let mut view = FindView::of(id, Source::Lease(lease), dir, now);
        let total = keys.len() as u64;
        view.add(
            FindBatch {
                hits: keys
                    .into_iter()
                    .map(|key| Hit {
                        key,
                        mod_revision: 0,
                    })
                    .collect(),
                scanned: total,
                total,
                revision: 0,
                done: Some(Ok(())),
                skipped: None,
            },
            now,
        );
        view
    }

    fn of(id: u64, source: Source, dir: Vec<u8>, now: Instant) -> FindView {
        FindView {
            id,
            source,
            dir,
            hits: Vec::new(),
            matches: 0,
            scanned: 0,
            total: 0,
            revision: 0,
            started: now,
            ended: None,
            progress: Progress::Running,
            selected: 0,
            offset: 0,
        }
    }

    /// Rows: the directory's own row and one per kept hit.
    pub fn rows(&self) -> usize {
        self.hits.len() + 1
    }

    /// The selected hit's key (`None` on the directory's row).
    pub fn selected_key(&self) -> Option<&[u8]> {
        self.selected
            .checked_sub(1)
            .and_then(|i| self.hits.get(i))
            .map(|h| h.key.as_slice())
    }

    /// A hit's name as shown: the key after the searched directory.
    pub fn name<'k>(&self, key: &'k [u8]) -> &'k [u8] {
        key.strip_prefix(self.dir.as_slice()).unwrap_or(key)
    }

    /// Takes a batch: merges its hits in key order (keeping the first
    /// [`MAX_KEPT`]), the selection stays on the same key.
    pub fn add(&mut self, batch: FindBatch, now: Instant) {
        self.matches += batch.hits.len() as u64;
        self.scanned = self.scanned.max(batch.scanned);
        self.total = self.total.max(batch.total);
        if batch.revision > 0 {
            self.revision = batch.revision;
        }
        if !batch.hits.is_empty() {
            let keep = self.selected_key().map(<[u8]>::to_vec);
            let mut hits = batch.hits;
            hits.sort_by(|a, b| a.key.cmp(&b.key));
            self.hits = merge(std::mem::take(&mut self.hits), hits);
            self.hits.truncate(MAX_KEPT);
            if let Some(k) = keep {
                if let Ok(i) = self.hits.binary_search_by(|h| h.key.as_slice().cmp(&k)) {
                    self.selected = i + 1;
                }
            }
        }
        if let Some(done) = batch.done {
            self.ended = Some(now);
            self.progress = match done {
                Ok(()) => Progress::Done,
                Err(e) => Progress::Failed(e),
            };
        }
    }

    /// Every kept result with the revision a delete is guarded on (each
    /// key deleted only while still at it), or why they cannot be: a
    /// lease's keys have no revision.
    pub fn guarded_keys(&self) -> Result<Vec<(Vec<u8>, i64)>, &'static str> {
        match self.source {
            Source::Search(_) => Ok(self
                .hits
                .iter()
                .map(|h| (h.key.clone(), h.mod_revision))
                .collect()),
            Source::Lease(_) => Err(
                "these keys come from a lease, not a search: x in :leases revokes it (its keys go with it)",
            ),
        }
    }

    /// Time spent so far (or in all, once ended).
    pub fn elapsed(&self, now: Instant) -> Duration {
        self.ended
            .unwrap_or(now)
            .saturating_duration_since(self.started)
    }

    pub fn running(&self) -> bool {
        self.progress == Progress::Running
    }

    /// A key was deleted (by etcdlens or a watch event): drop its row.
    pub fn remove(&mut self, key: &[u8]) {
        if let Ok(i) = self.hits.binary_search_by(|h| h.key.as_slice().cmp(key)) {
            self.hits.remove(i);
            self.matches = self.matches.saturating_sub(1);
            if self.selected > i + 1 {
                self.selected -= 1;
            }
            self.selected = self.selected.min(self.hits.len());
        }
    }
}

/// Merges two sorted lists (a key found twice is kept once).
fn merge(a: Vec<Hit>, b: Vec<Hit>) -> Vec<Hit> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => match x.key.cmp(&y.key) {
                std::cmp::Ordering::Less => out.push(a.next().expect("peeked")),
                std::cmp::Ordering::Greater => out.push(b.next().expect("peeked")),
                std::cmp::Ordering::Equal => {
                    out.push(a.next().expect("peeked"));
                    b.next();
                }
            },
            (Some(_), None) => out.extend(a.by_ref()),
            (None, Some(_)) => out.extend(b.by_ref()),
            (None, None) => return out,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries() {
        let q = Query::parse("pay").unwrap();
        assert!(q.matches(b"a/PAYMENT", b""));
        assert!(!q.matches(b"a/b", b"pay"), "values only with v:");
        let q = Query::parse("Pay").unwrap();
        assert!(!q.matches(b"a/payment", b""), "upper case: case matters");
        let q = Query::parse("re:^a/[0-9]+$").unwrap();
        assert!(q.matches(b"a/12", b"") && !q.matches(b"a/1x", b""));
        assert!(Query::parse("re:(").is_err());
        let q = Query::parse("~pmt").unwrap();
        assert!(q.matches(b"x/payment", b"") && !q.matches(b"x/tmp", b""));
        assert_eq!(q.spans(b"payment"), vec![(0, 1), (3, 4), (6, 7)]);
        let q = Query::parse("v:\"port\": 80").unwrap();
        assert!(
            q.matches(b"k", br#"{"port":80}"#),
            "matched as shown (pretty)"
        );
        let q = Query::parse("v:caf\u{e9}").unwrap();
        assert!(
            q.matches(b"k", br#"{"name":"caf\u00e9"}"#),
            "escapes decoded"
        );
        let q = Query::parse("v:ff 00").unwrap();
        assert!(
            q.matches(b"k", &[0xff, 0x00, 0x41]),
            "binary: as its hex dump"
        );
        assert!(Query::parse("v:").is_err());
    }

    #[test]
    fn merging_keeps_order_and_selection() {
        let hit = |k: &str| Hit {
            key: k.as_bytes().to_vec(),
            mod_revision: 1,
        };
        let mut v = FindView::new(1, Query::parse("a").unwrap(), b"/".to_vec(), Instant::now());
        v.add(
            FindBatch {
                hits: vec![hit("/c"), hit("/a")],
                ..Default::default()
            },
            Instant::now(),
        );
        v.selected = 2; // /c
        v.add(
            FindBatch {
                hits: vec![hit("/b"), hit("/a")],
                ..Default::default()
            },
            Instant::now(),
        );
        let keys: Vec<&[u8]> = v.hits.iter().map(|h| h.key.as_slice()).collect();
        assert_eq!(keys, [&b"/a"[..], b"/b", b"/c"]);
        assert_eq!(v.selected_key(), Some(&b"/c"[..]));
    }

    #[test]
    fn a_lease_s_keys_cannot_be_deleted_as_found() {
        let now = Instant::now();
        let v = FindView::lease(
            1,
            0x1a,
            vec![b"/b".to_vec(), b"/a".to_vec()],
            b"/".to_vec(),
            now,
        );
        assert_eq!(v.source.label(), "lease 1a");
        assert!(v.source.query().is_none(), "nothing to highlight");
        assert_eq!((v.hits.len(), v.matches), (2, 2));
        assert_eq!(v.hits[0].key, b"/a");
        assert_eq!(v.progress, Progress::Done);
        assert!(v.guarded_keys().unwrap_err().contains("x in :leases"));
        let mut v = FindView::new(2, Query::parse("a").unwrap(), b"/".to_vec(), now);
        v.add(
            FindBatch {
                hits: vec![Hit {
                    key: b"/a".to_vec(),
                    mod_revision: 7,
                }],
                ..Default::default()
            },
            now,
        );
        assert_eq!(v.guarded_keys(), Ok(vec![(b"/a".to_vec(), 7)]));
    }
}
