//! Writes: the inline editor and the conflict view. Every
//! write is a guarded transaction (see `etcd::write`), refused up front in
//! `--read-only` mode, and shown as the equivalent etcdctl command first.

pub mod editor;
pub mod update;

use crate::etcd::types::ValueRecord;
use crate::value_doc::{line_diff, DiffTag};
use editor::EditContext;

/// A save that did not apply: the user's text beside what is there now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub ctx: EditContext,
    pub mine: String,
    /// The key now (`None`: deleted meanwhile).
    pub current: Option<ValueRecord>,
    pub saving: bool,
    /// current → mine, prepared when `current` is set (not per frame).
    pub diff: Vec<(DiffTag, String)>,
}

/// Why a guarded write did not apply, in the words of every message that
/// says so: `creating` when the write was a create.
pub fn conflict_reason(current: Option<&ValueRecord>, creating: bool) -> String {
    match current {
        Some(r) if creating => format!(
            "the key already exists (created at rev {})",
            r.create_revision
        ),
        Some(r) => format!("it changed at rev {} since you opened it", r.mod_revision),
        None => "it was deleted since you opened it".to_string(),
    }
}

impl Conflict {
    /// Why the save did not apply.
    pub fn reason(&self) -> String {
        conflict_reason(self.current.as_ref(), self.ctx.prev.is_none())
    }

    pub fn new(ctx: EditContext, mine: String, current: Option<ValueRecord>) -> Conflict {
        let mut c = Conflict {
            ctx,
            mine,
            current: None,
            saving: false,
            diff: Vec::new(),
        };
        c.set_current(current);
        c
    }

    pub fn set_current(&mut self, current: Option<ValueRecord>) {
        let now = current
            .as_ref()
            .map(|r| r.value.as_slice())
            .unwrap_or_default();
        // A Kubernetes object edited as YAML: against the current object's
        // YAML.
        let now_yaml = self
            .ctx
            .kube
            .as_ref()
            .and_then(|_| crate::value_doc::kube_text(now, crate::value_doc::KubeStyle::Yaml));
        let now = now_yaml.as_deref().map(str::as_bytes).unwrap_or(now);
        self.diff = line_diff(now, self.mine.as_bytes());
        self.current = current;
        self.saving = false;
    }
}
