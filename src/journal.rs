//! The undo journal: before-images of every write etcdlens makes, so `u`
//! can put back the value it overwrote. One JSON line per write in
//! `$XDG_DATA_HOME/etcdlens/journal.jsonl` (or `~/.local/share/…`;
//! `ETCDLENS_JOURNAL` overrides the path). Only keys etcdlens wrote are
//! recorded; the file is kept to the newest `MAX_ENTRIES` lines and
//! `MAX_BYTES`, and is private (0600).

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use base64::Engine;
use serde::{Deserialize, Serialize};

pub const MAX_ENTRIES: usize = 1000;
pub const MAX_BYTES: u64 = 16 * 1024 * 1024;
/// Values larger than this are not journaled (the entry says so).
pub const MAX_VALUE: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Unix seconds.
    pub at: u64,
    /// Key, base64.
    pub key: String,
    /// The value before the write, base64; `None`: the key did not exist.
    pub prev: Option<String>,
    /// The previous value was too large to keep.
    #[serde(default)]
    pub prev_dropped: bool,
    /// The key's lease before the write (0: none).
    #[serde(default)]
    pub prev_lease: i64,
    /// The revision the write created: `u` applies only while the key is
    /// still at it.
    pub revision: i64,
    /// The context (config.toml) whose cluster was written: `u` uses the
    /// entry only there. `None` (no context, or older entries): anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

impl Entry {
    pub fn new(key: &[u8], prev: Option<&[u8]>, prev_lease: i64, revision: i64) -> Entry {
        let b64 = base64::engine::general_purpose::STANDARD;
        let dropped = prev.is_some_and(|p| p.len() > MAX_VALUE);
        Entry {
            at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            key: b64.encode(key),
            prev: prev.filter(|_| !dropped).map(|p| b64.encode(p)),
            prev_dropped: dropped,
            prev_lease,
            revision,
            context: None,
        }
    }

    pub fn key_bytes(&self) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.key)
            .unwrap_or_default()
    }

    pub fn prev_bytes(&self) -> Option<Vec<u8>> {
        let p = self.prev.as_ref()?;
        base64::engine::general_purpose::STANDARD.decode(p).ok()
    }
}

pub struct Journal {
    pub path: PathBuf,
    /// The context the writes go to: entries are stamped with it, and
    /// only its own (and unstamped) entries are found.
    pub context: Option<String>,
}

impl Journal {
    /// The journal at its usual place.
    pub fn open_default() -> Option<Journal> {
        if let Some(p) = std::env::var_os("ETCDLENS_JOURNAL") {
            return Some(Journal {
                path: p.into(),
                context: None,
            });
        }
        let base = std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
        Some(Journal {
            path: base.join("etcdlens").join("journal.jsonl"),
            context: None,
        })
    }

    /// The same journal, for writes to `context`'s cluster.
    pub fn in_context(self, context: Option<String>) -> Journal {
        Journal { context, ..self }
    }

    pub fn append(&self, entries: &[Entry]) -> std::io::Result<()> {
        let _lock = self.lock()?;
        self.append_unlocked(entries)?;
        self.trim_unlocked()
    }

    /// Holds the journal's lock file (an exclusive `flock`) until dropped:
    /// two etcdlens processes appending and trimming at once must not
    /// drop each other's lines.
    fn lock(&self) -> std::io::Result<std::fs::File> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(self.path.with_extension("jsonl.lock"))?;
        f.lock()?;
        Ok(f)
    }

    /// Appends without keeping the file within its bounds: for many writes
    /// in a row (an import), followed by [`Journal::trim`].
    pub fn append_untrimmed(&self, entries: &[Entry]) -> std::io::Result<()> {
        let _lock = self.lock()?;
        self.append_unlocked(entries)
    }

    fn append_unlocked(&self, entries: &[Entry]) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&self.path)?;
        make_private(&file, &self.path)?;
        let mut out = std::io::BufWriter::new(file);
        for e in entries {
            let stamped;
            let e = match (&e.context, &self.context) {
                (None, Some(ctx)) => {
                    stamped = Entry {
                        context: Some(ctx.clone()),
                        ..e.clone()
                    };
                    &stamped
                }
                _ => e,
            };
            serde_json::to_writer(&mut out, e).map_err(std::io::Error::other)?;
            out.write_all(b"\n")?;
        }
        out.flush()
    }

    pub fn entries(&self) -> Vec<Entry> {
        let Ok(text) = std::fs::read_to_string(&self.path) else {
            return Vec::new();
        };
        text.lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// The newest entry for `key` written in this journal's context (or
    /// without one).
    pub fn last_for(&self, key: &[u8]) -> Option<Entry> {
        self.entries()
            .into_iter()
            .rev()
            .find(|e| e.key_bytes() == key && (e.context.is_none() || e.context == self.context))
    }

    /// Keeps the newest entries within the bounds.
    pub fn trim(&self) -> std::io::Result<()> {
        let _lock = self.lock()?;
        self.trim_unlocked()
    }

    fn trim_unlocked(&self) -> std::io::Result<()> {
        let size = std::fs::metadata(&self.path)?.len();
        let entries = self.entries();
        if entries.len() <= MAX_ENTRIES && size <= MAX_BYTES {
            return Ok(());
        }
        let mut keep: Vec<String> = Vec::new();
        let mut bytes = 0u64;
        for e in entries.iter().rev().take(MAX_ENTRIES) {
            let line = serde_json::to_string(e).map_err(std::io::Error::other)?;
            bytes += line.len() as u64 + 1;
            if bytes > MAX_BYTES / 2 {
                break;
            }
            keep.push(line);
        }
        keep.reverse();
        // A name of this process's own (the lock already keeps others out).
        let tmp = self
            .path
            .with_extension(format!("jsonl.{}.tmp", std::process::id()));
        {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)?;
            make_private(&f, &tmp)?;
            for l in keep {
                writeln!(f, "{l}")?;
            }
        }
        std::fs::rename(tmp, &self.path)
    }
}

/// The journal holds before-images (possibly secrets): an existing file
/// readable or writable by others is set to 0600 before anything is
/// written to it, or refused when that is not possible.
pub(crate) fn make_private(file: &std::fs::File, path: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other(format!(
            "{} is not a regular file",
            path.display()
        )));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 == 0 {
        return Ok(());
    }
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(|e| {
            std::io::Error::other(format!(
                "{} is mode {mode:o} (not private) and cannot be set to 600: {e}; nothing written to it",
                path.display()
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 16.5: a journal that exists with a wider mode is made private
    /// before anything is written to it.
    #[test]
    fn an_existing_journal_is_made_private_before_writing() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        std::fs::write(&path, "").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let j = Journal {
            path: path.clone(),
            context: None,
        };
        j.append(&[Entry::new(b"/secret", Some(b"hunter2"), 0, 5)])
            .unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    /// Two writers (two etcdlens processes) appending and trimming one
    /// journal at once lose none of the newest lines (issue 22.15: the trim
    /// used to rename a fixed temporary file over lines just appended).
    #[test]
    fn two_writers_trimming_at_once_lose_no_recent_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let writers: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|who| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let j = Journal {
                        path,
                        context: None,
                    };
                    for i in 0..600 {
                        let key = format!("/{who}/{i:04}");
                        j.append(&[Entry::new(key.as_bytes(), Some(b"v"), 0, 1)])
                            .unwrap();
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        let j = Journal {
            path,
            context: None,
        };
        let entries = j.entries();
        assert!(entries.len() <= MAX_ENTRIES, "{}", entries.len());
        for who in ["a", "b"] {
            for i in 500..600 {
                let key = format!("/{who}/{i:04}");
                assert!(j.last_for(key.as_bytes()).is_some(), "{key} lost");
            }
        }
        let stray: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(stray.is_empty(), "{stray:?}");
    }

    /// An entry written in a context is `u`'s only there; one without a
    /// context (older files, sessions without contexts) anywhere.
    #[test]
    fn entries_are_found_in_their_own_context() {
        let dir = tempfile::tempdir().unwrap();
        let plain = Journal {
            path: dir.path().join("j.jsonl"),
            context: None,
        };
        let prod = || {
            Journal {
                path: plain.path.clone(),
                context: None,
            }
            .in_context(Some("prod".into()))
        };
        plain
            .append(&[Entry::new(b"/k", Some(b"any"), 0, 1)])
            .unwrap();
        prod()
            .append(&[Entry::new(b"/k", Some(b"prod"), 0, 2)])
            .unwrap();
        assert_eq!(prod().last_for(b"/k").unwrap().revision, 2);
        assert_eq!(plain.last_for(b"/k").unwrap().revision, 1);
        let staging = prod().in_context(Some("staging".into()));
        assert_eq!(staging.last_for(b"/k").unwrap().revision, 1);
        prod()
            .append(&[Entry::new(b"/only-prod", None, 0, 3)])
            .unwrap();
        assert!(staging.last_for(b"/only-prod").is_none());
    }

    #[test]
    fn append_find_and_bound() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal {
            path: dir.path().join("j.jsonl"),
            context: None,
        };
        j.append(&[Entry::new(b"/a", Some(b"old"), 0, 5)]).unwrap();
        j.append(&[Entry::new(b"/b\xff", None, 0, 6)]).unwrap();
        j.append(&[Entry::new(b"/a", Some(b"older?"), 7, 8)])
            .unwrap();
        let last = j.last_for(b"/a").unwrap();
        assert_eq!(
            (last.prev_bytes().unwrap(), last.revision, last.prev_lease),
            (b"older?".to_vec(), 8, 7)
        );
        assert_eq!(j.last_for(b"/b\xff").unwrap().prev_bytes(), None);
        assert!(j.last_for(b"/c").is_none());
        for i in 0..MAX_ENTRIES + 10 {
            j.append(&[Entry::new(b"/x", Some(b"v"), 0, i as i64)])
                .unwrap();
        }
        assert!(j.entries().len() <= MAX_ENTRIES);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&j.path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let big = vec![0u8; MAX_VALUE + 1];
        let e = Entry::new(b"/big", Some(&big), 0, 1);
        assert!(e.prev_dropped && e.prev.is_none());
    }
}
