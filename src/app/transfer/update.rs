//! `:export FILE`: exports the selected directory (the tree's root when
//! nothing is selected) in the background, progress in the status bar.

use super::ExportJob;
use crate::app::msg::Cmd;
use crate::app::State;
use crate::escape::{escape_bytes, escape_str};
use crate::transfer::export::Exported;

pub fn export(state: &mut State, file: String, cmds: &mut Vec<Cmd>) {
    if let Some(job) = &state.export {
        let line = format!("one export at a time: {}", job.progress_line());
        return state.info(line);
    }
    let prefix = match state.selected_row() {
        None => state.tree.node(crate::app::tree::ROOT).full.to_vec(),
        Some(row) => {
            let node = state.tree.node(row.node);
            if row.more || !node.is_dir() {
                return state.info("select a directory to export everything under it");
            }
            node.full.to_vec()
        }
    };
    let job = ExportJob {
        prefix: prefix.clone(),
        file: file.clone(),
        keys: 0,
        bytes: 0,
    };
    state.info(job.progress_line());
    state.export = Some(job);
    cmds.push(Cmd::Export { prefix, file });
}

pub fn on_progress(state: &mut State, keys: u64, bytes: u64) {
    if let Some(job) = state.export.as_mut() {
        job.keys = keys;
        job.bytes = bytes;
        let line = job.progress_line();
        state.info(line);
    }
}

pub fn on_exported(state: &mut State, file: String, result: Result<Exported, String>) {
    let prefix = state.export.take().map(|j| j.prefix).unwrap_or_default();
    match result {
        Ok(done) => state.info(format!(
            "exported {} keys under {} at revision {} to {}",
            done.keys,
            escape_bytes(&prefix),
            done.revision,
            escape_str(&file)
        )),
        Err(e) => state.error(format!(
            "export of {} to {} failed: {e} (no file written)",
            escape_bytes(&prefix),
            escape_str(&file)
        )),
    }
}
