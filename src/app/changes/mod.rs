//! What changed under a directory between two revisions (`:changes A B`):
//! one row per key — created, changed, deleted — with how many times; the
//! keys deleted meanwhile can be put back (undelete).

pub mod update;

use std::collections::BTreeSet;

use super::past::parse_spec;
use crate::etcd::changes::{ChangeKind, Changes, KeyChange};
use crate::etcd::revision::RevisionSpec;

/// `:changes` without A: this many revisions back.
pub const DEFAULT_SPAN: i64 = 1000;

#[derive(Debug)]
pub struct ChangesView {
    /// Names the reading in flight (its answers carry it).
    pub id: u64,
    pub prefix: Vec<u8>,
    /// The revisions read: (A, B), once resolved.
    pub range: Option<(i64, i64)>,
    /// While reading: (revision reached, events, keys).
    pub progress: Option<(i64, u64, usize)>,
    pub result: Option<Changes>,
    pub error: Option<String>,
    /// Counts of created, changed, deleted and transient keys.
    pub summary: [usize; 4],
    pub selected: usize,
    pub offset: usize,
    /// Keys put back since (shown so on their rows).
    pub restored: BTreeSet<Vec<u8>>,
}

impl ChangesView {
    pub fn reading(id: u64, prefix: Vec<u8>) -> ChangesView {
        ChangesView {
            id,
            prefix,
            range: None,
            progress: None,
            result: None,
            error: None,
            summary: [0; 4],
            selected: 0,
            offset: 0,
            restored: BTreeSet::new(),
        }
    }

    pub fn rows(&self) -> &[KeyChange] {
        self.result.as_ref().map_or(&[], |c| c.keys.as_slice())
    }

    pub fn selected_row(&self) -> Option<&KeyChange> {
        self.rows().get(self.selected)
    }

    /// Keys whose last event is a delete and that were not put back: what
    /// undelete can restore, as (key, revision of the delete).
    pub fn deleted(&self) -> Vec<(Vec<u8>, i64)> {
        self.rows()
            .iter()
            .filter(|k| can_restore(k) && !self.restored.contains(&k.key))
            .map(|k| (k.key.clone(), k.last_revision))
            .collect()
    }

    pub fn set_result(&mut self, changes: Changes) {
        self.summary = [0; 4];
        for k in &changes.keys {
            let i = match k.kind() {
                ChangeKind::Created => 0,
                ChangeKind::Changed => 1,
                ChangeKind::Deleted => 2,
                ChangeKind::Transient => 3,
            };
            self.summary[i] += 1;
        }
        self.range = Some((changes.from, changes.to));
        self.progress = None;
        self.result = Some(changes);
        self.selected = 0;
        self.offset = 0;
    }
}

/// Whether undelete applies to the key: its last event is a delete.
pub fn can_restore(k: &KeyChange) -> bool {
    !k.exists && k.deletes > 0
}

/// `:changes` arguments: A, B and a prefix (`None`: the selected
/// directory).
pub type Range = (RevisionSpec, RevisionSpec, Option<Vec<u8>>);

/// Reads `:changes` arguments: `[A [B [PREFIX]]]`, A and B each `N`, `-N`
/// (N revisions ago) or `now`; A defaults to 1,000 revisions ago, B to
/// now, PREFIX to the selected directory.
pub fn parse_range(args: &str) -> Result<Range, String> {
    let mut words = args.split_whitespace();
    let from = match words.next() {
        Some(w) => parse_spec(w)?,
        None => RevisionSpec::Ago(DEFAULT_SPAN),
    };
    let to = match words.next() {
        Some(w) => parse_spec(w)?,
        None => RevisionSpec::Now,
    };
    let prefix = words.next().map(|p| p.as_bytes().to_vec());
    if words.next().is_some() {
        return Err(":changes takes A B PREFIX at most".into());
    }
    Ok((from, to, prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_typed() {
        assert_eq!(
            parse_range(""),
            Ok((RevisionSpec::Ago(1000), RevisionSpec::Now, None))
        );
        assert_eq!(
            parse_range("120 -5"),
            Ok((RevisionSpec::At(120), RevisionSpec::Ago(5), None))
        );
        assert_eq!(
            parse_range("1 now /a/"),
            Ok((
                RevisionSpec::At(1),
                RevisionSpec::Now,
                Some(b"/a/".to_vec())
            ))
        );
        assert!(parse_range("1 2 /a/ more").is_err());
        assert!(parse_range("x").is_err());
    }
}
