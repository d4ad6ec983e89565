//! The Kubernetes resource table (`K`, `:k8s`): every key under a
//! `/registry/` directory as a row (NAMESPACE, NAME, KIND, AGE, SIZE, and
//! PHASE/NODE for pods, READY for deployments), keys listed page by page,
//! values read only for the rows on screen.

pub mod update;

use crate::k8s::TableRow;

/// Values read for rows on screen: (key, value) of the keys that exist,
/// and the wall clock (seconds since the epoch) when read.
pub type ReadValues = (Vec<(Vec<u8>, Vec<u8>)>, i64);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub key: Vec<u8>,
    /// Read when the row was on screen: (value size, what it is; `None`
    /// for a value that is not a Kubernetes one), or the key was gone.
    pub value: Option<Loaded>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded {
    Value {
        size: usize,
        row: Option<TableRow>,
        /// Wall-clock seconds when it was read (ages count from then).
        read_at: i64,
    },
    Gone,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceView {
    pub dir: Vec<u8>,
    pub rows: Vec<Row>,
    /// More keys to list after the last row.
    pub more: bool,
    /// A page is being listed.
    pub listing: bool,
    /// Values of rows `first..=last` are being read.
    pub reading: Option<(usize, usize)>,
    pub selected: usize,
    pub offset: usize,
    pub error: Option<String>,
}

impl ResourceView {
    pub fn new(dir: Vec<u8>) -> ResourceView {
        ResourceView {
            dir,
            rows: Vec::new(),
            more: true,
            listing: true,
            reading: None,
            selected: 0,
            offset: 0,
            error: None,
        }
    }

    /// The rows on screen with `height` rows for them, clamped.
    pub fn window(&self, height: usize) -> std::ops::Range<usize> {
        let start = self.offset.min(self.rows.len());
        start..(start + height).min(self.rows.len())
    }

    /// The first run of rows on screen whose values are not read yet.
    pub fn unread_run(&self, height: usize) -> Option<(usize, usize)> {
        let w = self.window(height);
        let first = w.clone().find(|&i| self.rows[i].value.is_none())?;
        let last = w.rev().find(|&i| self.rows[i].value.is_none())?;
        Some((first, last))
    }
}

/// `kubectl get`'s AGE: `45s`, `12m`, `5h`, `3d`, `2y`.
pub fn age(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        0..120 => format!("{secs}s"),
        120..10_800 => format!("{}m", secs / 60),
        10_800..172_800 => format!("{}h", secs / 3600),
        172_800..63_072_000 => format!("{}d", secs / 86_400),
        _ => format!("{}y", secs / 31_536_000),
    }
}
