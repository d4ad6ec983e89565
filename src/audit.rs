//! The audit log: one JSON line per maintenance action taken (a
//! compaction, a defragmentation, a leader move, an alarm disarmed) — its
//! time, the local user, the context, the cluster id, the action and its
//! result. It lives next to the undo journal (`audit.jsonl` in the
//! journal's directory: `$XDG_DATA_HOME/etcdlens/`, or the directory of
//! `ETCDLENS_JOURNAL`) and is private (0600) as the journal is.

use std::io::Write;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub struct Audit {
    pub path: PathBuf,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// RFC 3339, UTC.
    pub time: String,
    /// The local user who ran it.
    pub user: String,
    pub context: Option<String>,
    /// In hex, as etcdctl prints it.
    pub cluster_id: String,
    /// What was done, as its etcdctl equivalent says it.
    pub action: String,
    /// `ok`, or the error.
    pub result: String,
}

impl Audit {
    /// The audit log beside the journal ([`crate::journal::Journal::open_default`]).
    pub fn open_default() -> Option<Audit> {
        let journal = crate::journal::Journal::open_default()?;
        Some(Audit {
            path: journal.path.with_file_name("audit.jsonl"),
        })
    }

    /// Appends one record stamped now, by the local user.
    pub fn append(
        &self,
        context: Option<&str>,
        cluster_id: u64,
        action: &str,
        result: &str,
    ) -> std::io::Result<()> {
        let record = Record {
            time: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            user: local_user(),
            context: context.map(str::to_string),
            cluster_id: format!("{cluster_id:x}"),
            action: action.to_string(),
            result: result.to_string(),
        };
        let file = crate::journal::open_private_append(&self.path)?;
        let mut line = serde_json::to_vec(&record).map_err(std::io::Error::other)?;
        line.push(b'\n');
        // One write: lines of two processes do not interleave.
        (&file).write_all(&line)
    }

    /// [`Audit::append`] off the async threads, in the audit log beside
    /// the journal; a failure (no place for it, a write error) in words.
    pub async fn append_default(
        context: Option<String>,
        cluster_id: u64,
        action: String,
        result: String,
    ) -> Result<(), String> {
        let log = Audit::open_default().ok_or("no place for the audit log (HOME unset)")?;
        tokio::task::spawn_blocking(move || {
            log.append(context.as_deref(), cluster_id, &action, &result)
                .map_err(|e| format!("the audit log could not be written: {e}"))
        })
        .await
        .unwrap_or_else(|e| Err(e.to_string()))
    }

    /// Every record, oldest first (lines that do not parse are left out).
    pub fn records(&self) -> Vec<Record> {
        std::fs::read_to_string(&self.path)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

/// The local user's name (`$USER`, `$LOGNAME`, else `uid N`).
fn local_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| {
            // SAFETY: getuid has no preconditions and cannot fail.
            format!("uid {}", unsafe { libc::getuid() })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn records_are_appended_privately() {
        let dir = tempfile::tempdir().unwrap();
        let audit = Audit {
            path: dir.path().join("etcdlens").join("audit.jsonl"),
        };
        audit
            .append(Some("prod"), 0xabc, "etcdctl alarm disarm", "ok")
            .unwrap();
        audit
            .append(None, 0xabc, "etcdctl compact 5", "boom")
            .unwrap();
        let records = audit.records();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].context.as_deref(), Some("prod"));
        assert_eq!(records[0].cluster_id, "abc");
        assert_eq!(records[1].result, "boom");
        assert!(!records[0].user.is_empty());
        let mode = std::fs::metadata(&audit.path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
