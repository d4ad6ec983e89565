//! Writing an export: the keys under a prefix at one revision, streamed
//! into a file or stdout as they are read (the CLI's `export` and the
//! TUI's `:export` share it).

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::format::{Format, Writer};
use crate::etcd::export::PinnedReader;
use crate::etcd::permitted;

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub keys: u64,
    /// Key and value bytes.
    pub bytes: u64,
    pub revision: i64,
    /// What was left out: the parts the user may not read.
    pub skipped: Option<String>,
}

/// Streams the keys under `prefix` into `out`; `progress(keys, bytes)`
/// after each page.
pub async fn write_export(
    client: &crate::etcd::Connection,
    prefix: &[u8],
    out: impl Write,
    format: Format,
    mut progress: impl FnMut(u64, u64),
) -> Result<Exported, String> {
    let mut reader = PinnedReader::new(&client.client, prefix);
    let mut writer = Writer::new(std::io::BufWriter::with_capacity(1 << 20, out), format);
    let io = |e: std::io::Error| format!("cannot write the export: {e}");
    let mut started = false;
    let mut skipped = None;
    loop {
        let page = match reader.next_page().await {
            Ok(Some(page)) => page,
            Ok(None) => break,
            // Refused as a whole: the parts the user may read, if any.
            Err(e) if e.is_permission_denied() && !started && skipped.is_none() => {
                let want = permitted::KeyRange::prefix(prefix);
                match permitted::parts(client, &want).await {
                    Ok(Some(p)) if !p.readable.is_empty() && !p.whole() => {
                        skipped = p.skipped();
                        reader = PinnedReader::ranges(&client.client, &p.readable);
                        continue;
                    }
                    _ => return Err(crate::etcd::describe_error(&e)),
                }
            }
            Err(e) => return Err(crate::etcd::describe_error(&e)),
        };
        if !started {
            writer
                .start(reader.origin().unwrap_or_default(), prefix)
                .map_err(io)?;
            started = true;
        }
        writer.page(&page).map_err(io)?;
        progress(reader.keys, reader.bytes);
    }
    let keys = writer.finish().map_err(io)?;
    Ok(Exported {
        keys,
        bytes: reader.bytes,
        revision: reader.origin().map_or(0, |o| o.revision),
        skipped,
    })
}

/// Exports into the file at `path`: written under a temporary name beside
/// it (0600: values may be secrets) and renamed once complete, so a failed
/// export never leaves a file that looks whole.
pub async fn export_file(
    client: &crate::etcd::Connection,
    prefix: &[u8],
    path: &Path,
    format: Format,
    progress: impl FnMut(u64, u64),
) -> Result<Exported, String> {
    let tmp = partial_path(path);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    let result = write_export(client, prefix, file, format, progress).await;
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    let done = result?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot rename {} to {}: {e}", tmp.display(), path.display())
    })?;
    Ok(done)
}

fn partial_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.etcdlens-partial"))
}
