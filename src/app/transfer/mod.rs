//! Transfers started from the TUI: `:export FILE` on the selected
//! directory, its progress and its result.

pub mod update;

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
