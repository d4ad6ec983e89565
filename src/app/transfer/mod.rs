//! Transfers started from the TUI: `:export FILE` on the selected
//! directory, its progress and its result; `:import FILE`, `:copy DEST`
//! and `:move DEST` through a plan shown before anything is written.

pub mod update;

use crate::transfer::{Change, Plan, Summary, Transfer};
use crate::value_doc::DiffTag;

/// The export running now (one at a time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportJob {
    pub prefix: Vec<u8>,
    pub file: String,
    /// Keys and bytes written so far.
    pub keys: u64,
    pub bytes: u64,
}

impl ExportJob {
    /// The status line while it runs.
    pub fn progress_line(&self) -> String {
        format!(
            "exporting {} to {}: {} keys ({:.1} MiB)…",
            crate::escape::escape_bytes(&self.prefix),
            crate::escape::escape_str(&self.file),
            self.keys,
            self.bytes as f64 / 1048576.0
        )
    }
}

/// A planned key's line diff, target now → source (or why it could not be
/// read).
pub type KeyDiff = Result<Vec<(DiffTag, String)>, String>;

/// `:import`, `:copy` or `:move`: the plan being made, shown, applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanView {
    pub transfer: Transfer,
    /// What was asked, as the title says it (`copy /app/ → /backup/`).
    pub what: String,
    /// Source keys planned so far (while `plan` is `None`).
    pub planned: u64,
    pub plan: Option<Plan>,
    /// Indexes in `plan.entries` of the keys that change (a move: every
    /// key, its source is deleted) — the list shown.
    pub changed: Vec<usize>,
    pub selected: usize,
    pub offset: usize,
    /// Keys done while applying.
    pub applying: Option<u64>,
    /// The result of applying (the view stays to show it).
    pub summary: Option<Summary>,
    pub error: Option<String>,
    /// The opened key's diff, target now → what the plan writes (`None`
    /// while it is read).
    pub diff: Option<(Vec<u8>, Option<KeyDiff>)>,
}

impl PlanView {
    pub fn new(transfer: Transfer, what: String) -> PlanView {
        PlanView {
            transfer,
            what,
            planned: 0,
            plan: None,
            changed: Vec::new(),
            selected: 0,
            offset: 0,
            applying: None,
            summary: None,
            error: None,
            diff: None,
        }
    }

    pub fn set_plan(&mut self, plan: Plan) {
        self.changed = plan
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.change != Change::Unchanged || self.transfer.moving)
            .map(|(i, _)| i)
            .collect();
        self.plan = Some(plan);
    }

    /// Whether applying would write anything.
    pub fn has_work(&self) -> bool {
        self.plan
            .as_ref()
            .is_some_and(|p| p.created + p.updated + p.deleted > 0)
    }
}
