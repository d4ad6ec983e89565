//! The history of one key (`H`, `:history`): every revision etcd still
//! holds, newest first, with the compaction point as a row of its own; one
//! revision's value, or the diff of two marked ones.

pub mod update;

use crate::etcd::history::KeyHistory;
use crate::etcd::types::{EventKind, WatchEvent};
use crate::value_doc::{line_diff, DiffTag, Document};

#[derive(Debug)]
pub struct HistoryView {
    pub key: Vec<u8>,
    /// `None` while it is read.
    pub history: Option<KeyHistory>,
    pub error: Option<String>,
    /// Selected row (0: the newest revision).
    pub selected: usize,
    /// First row shown.
    pub offset: usize,
    /// A row marked with `mark`: the detail shows its diff with the
    /// selected one.
    pub marked: Option<usize>,
    /// What the lower half shows, prepared when the selection changes.
    pub detail: Detail,
}

#[derive(Debug)]
pub enum Detail {
    Nothing,
    Value(Box<Document>),
    /// (older revision, newer revision, the diff from older to newer).
    Diff(i64, i64, Vec<(DiffTag, String)>),
}

/// One row of the list.
pub enum Row<'a> {
    Event(&'a WatchEvent),
    /// `— older history compacted at rev N —`
    Compacted(i64),
}

impl HistoryView {
    pub fn loading(key: Vec<u8>) -> HistoryView {
        HistoryView {
            key,
            history: None,
            error: None,
            selected: 0,
            offset: 0,
            marked: None,
            detail: Detail::Nothing,
        }
    }

    /// Rows, newest first; the compaction marker last.
    pub fn rows(&self) -> Vec<Row<'_>> {
        let Some(h) = &self.history else {
            return Vec::new();
        };
        let mut rows: Vec<Row> = h.events.iter().rev().map(Row::Event).collect();
        if let Some(c) = h.compacted {
            rows.push(Row::Compacted(c));
        }
        rows
    }

    pub fn len(&self) -> usize {
        self.history
            .as_ref()
            .map_or(0, |h| h.events.len() + usize::from(h.compacted.is_some()))
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The event on row `i`, if it is one.
    pub fn event(&self, i: usize) -> Option<&WatchEvent> {
        let h = self.history.as_ref()?;
        h.events.len().checked_sub(i + 1).map(|j| &h.events[j])
    }

    /// Prepares the detail for the selection (and the mark).
    pub fn refresh_detail(&mut self) {
        let selected = self.event(self.selected);
        let marked = self.marked.and_then(|m| self.event(m));
        self.detail = match (selected, marked) {
            (Some(a), Some(b)) if a.revision() != b.revision() => {
                let (old, new) = if a.revision() < b.revision() {
                    (a, b)
                } else {
                    (b, a)
                };
                Detail::Diff(
                    old.revision(),
                    new.revision(),
                    line_diff(&old.value, &new.value),
                )
            }
            (Some(ev), _) if ev.kind == EventKind::Put => {
                Detail::Value(Box::new(Document::build(&ev.value)))
            }
            _ => Detail::Nothing,
        };
    }
}
