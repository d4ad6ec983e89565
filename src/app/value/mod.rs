//! The Value pane's model: the selected key's value as fetched, and where
//! it is scrolled to.

pub mod update;

use std::time::Instant;

use crate::etcd::types::{EventKind, ValueRecord};
use crate::value_doc::{Document, KubeStyle};

/// A fetched value with its document ready to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedValue {
    pub record: ValueRecord,
    pub doc: Document,
}

#[derive(Debug)]
pub enum ValueStatus {
    /// Nothing selected yet, or a directory is selected.
    Empty,
    Loading,
    Loaded {
        value: Box<LoadedValue>,
        fetched_at: Instant,
    },
    /// The key does not exist (any more).
    Missing,
    Failed(String),
}

#[derive(Debug)]
pub struct ValueView {
    pub key: Option<Vec<u8>>,
    pub req: u64,
    pub status: ValueStatus,
    /// First document line shown.
    pub scroll: usize,
    /// The last watch event that touched this key while it was shown.
    pub changed: Option<(i64, EventKind)>,
    /// How decoded Kubernetes objects are written (`J` toggles).
    pub kube_style: KubeStyle,
}
