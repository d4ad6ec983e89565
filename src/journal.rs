//! The undo journal: before-images of every write etcdlens makes, so `u`
//! can put back the value it overwrote. One JSON line per write in
//! `$XDG_DATA_HOME/etcdlens/journal.jsonl` (or `~/.local/share/…`;
//! `ETCDLENS_JOURNAL` overrides the path). Only keys etcdlens wrote are
//! recorded; the file is kept to the newest `MAX_ENTRIES` lines and
//! `MAX_BYTES`, and is private (0600).
//!
//! An import, copy or move also writes a [`Marker`] line when it starts
//! writing and another when it ends (however it ends), and stamps its
//! entries with its id: a start without its end is an operation that was
//! interrupted (`kill -9`, a crash, a lost terminal), which the next start
//! of etcdlens names ([`Journal::interrupted`]). Older etcdlens versions
//! skip marker lines (they have no `key`).

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use base64::Engine;
use serde::{Deserialize, Serialize};

pub const MAX_ENTRIES: usize = 1000;
pub const MAX_BYTES: u64 = 16 * 1024 * 1024;
/// Values larger than this are not journaled (the entry says so).
pub const MAX_VALUE: usize = 1024 * 1024;
/// A bulk delete (a prefix, find's results) journals its deleted values
/// only when it deletes at most this many keys: a prefix delete of more
/// keys is not read back (nor undoable).
pub const MAX_BULK_KEYS: i64 = 10_000;
/// Operation markers a trim keeps (besides each context's newest).
const KEPT_MARKERS: usize = 64;

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
    /// The operation (import, copy) that made the write: its marker's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<String>,
}

/// Whether an operation's marker says it started or ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mark {
    Started,
    Finished,
}

/// The start or the end of an import, copy or move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    pub marker: Mark,
    /// Unix seconds.
    pub at: u64,
    /// The operation's id: its start, its end and its entries carry it.
    pub op: String,
    /// `import`, `copy` or `move`.
    pub what: String,
    /// An import's file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Source and destination prefixes, base64.
    pub from: String,
    pub to: String,
    /// The context whose cluster is written (`None`: no context).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// Keys in the plan.
    #[serde(default)]
    pub keys: u64,
    /// The process, and when it started (`/proc`'s clock ticks since
    /// boot), to tell an operation still running from an interrupted one.
    pub pid: u32,
    #[serde(default)]
    pub pid_start: u64,
    /// The operation's entries a trim dropped (they still count as
    /// journaled).
    #[serde(default)]
    pub trimmed: u64,
}

impl Marker {
    /// A start marker for an operation of this process, with a new id.
    pub fn start(what: &str, file: Option<String>, from: &[u8], to: &[u8], keys: u64) -> Marker {
        let b64 = base64::engine::general_purpose::STANDARD;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let pid = std::process::id();
        Marker {
            marker: Mark::Started,
            at: now.as_secs(),
            op: format!("{pid}-{}", now.as_nanos()),
            what: what.into(),
            file,
            from: b64.encode(from),
            to: b64.encode(to),
            context: None,
            keys,
            pid,
            pid_start: process_start(pid).unwrap_or(0),
            trimmed: 0,
        }
    }

    /// The end marker of this operation.
    pub fn finish(&self) -> Marker {
        Marker {
            marker: Mark::Finished,
            at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            ..self.clone()
        }
    }

    fn prefix(b64: &str) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap_or_default()
    }

    /// Whether the process that wrote it still runs (it is not
    /// interrupted, only not finished yet).
    fn still_running(&self) -> bool {
        self.pid_start != 0 && process_start(self.pid) == Some(self.pid_start)
    }
}

/// When process `pid` started (clock ticks since boot, `/proc/PID/stat`'s
/// 22nd field), `None` when it does not exist.
fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// An operation that started and never ended, and its journaled writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interrupted {
    pub marker: Marker,
    /// Writes of it in the journal (those a trim dropped included).
    pub journaled: u64,
}

impl Interrupted {
    /// The one line said at start-up: what, when, where, how far, and how
    /// to check or finish it.
    pub fn line(&self) -> String {
        use crate::escape::{escape_bytes, escape_str, shell_word};
        let m = &self.marker;
        let (from, to) = (Marker::prefix(&m.from), Marker::prefix(&m.to));
        let when = humantime::format_rfc3339_seconds(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(m.at),
        );
        let word = |b: &[u8]| shell_word(b).unwrap_or_else(|| escape_bytes(b));
        let ctx = m
            .context
            .as_ref()
            .map(|c| format!(" --context {}", word(c.as_bytes())))
            .unwrap_or_default();
        let (what, command) = match (m.what.as_str(), &m.file) {
            ("import", Some(file)) if file == "-" => (
                "import of stdin".to_string(),
                format!("etcdlens{ctx} import - --to {}", word(&to)),
            ),
            ("import", Some(file)) => (
                format!("import of {}", escape_str(file)),
                format!(
                    "etcdlens{ctx} import {} --to {}",
                    word(file.as_bytes()),
                    word(&to)
                ),
            ),
            (verb, _) => (
                format!("{verb} of {}", escape_bytes(&from)),
                format!("etcdlens{ctx} {verb} {} {}", word(&from), word(&to)),
            ),
        };
        let head = format!(
            "interrupted: the {what} → {} started {when} (pid {}) never finished",
            escape_bytes(&to),
            m.pid
        );
        if m.what == "move" {
            format!(
                "{head}; each of its {} keys is at its source or its destination (moves are not journaled); `{command} --dry-run` shows what is left, without --dry-run it finishes",
                m.keys
            )
        } else {
            format!(
                "{head}; {} of its {} keys were written and journaled; `{command} --dry-run` shows what is left, without --dry-run it finishes; u on a key puts back what it overwrote",
                self.journaled, m.keys
            )
        }
    }
}

/// One line of the journal file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
enum JournalLine {
    Marker(Marker),
    Entry(Entry),
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
            op: None,
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
        let file = open_private_append(&self.path)?;
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
        self.lines()
            .into_iter()
            .filter_map(|(_, l)| match l {
                JournalLine::Entry(e) => Some(e),
                JournalLine::Marker(_) => None,
            })
            .collect()
    }

    /// Every line that parses, with its text.
    fn lines(&self) -> Vec<(String, JournalLine)> {
        let Ok(text) = std::fs::read_to_string(&self.path) else {
            return Vec::new();
        };
        text.lines()
            .filter_map(|l| Some((l.to_string(), serde_json::from_str(l).ok()?)))
            .collect()
    }

    /// Appends an operation's start or end marker, stamped with this
    /// journal's context.
    pub fn mark(&self, marker: &Marker) -> std::io::Result<()> {
        let _lock = self.lock()?;
        let file = open_private_append(&self.path)?;
        let marker = Marker {
            context: marker.context.clone().or(self.context.clone()),
            ..marker.clone()
        };
        let mut line = serde_json::to_vec(&marker).map_err(std::io::Error::other)?;
        line.push(b'\n');
        (&file).write_all(&line)
    }

    /// The operation this context's newest marker started, when it never
    /// ended and the process that ran it is gone.
    pub fn interrupted(&self) -> Option<Interrupted> {
        let lines = self.lines();
        let marker = lines.iter().rev().find_map(|(_, l)| match l {
            JournalLine::Marker(m) if m.context == self.context => Some(m),
            _ => None,
        })?;
        if marker.marker != Mark::Started || marker.still_running() {
            return None;
        }
        let op = Some(&marker.op);
        let written = lines
            .iter()
            .filter(|(_, l)| matches!(l, JournalLine::Entry(e) if e.op.as_ref() == op))
            .count() as u64;
        Some(Interrupted {
            marker: marker.clone(),
            journaled: written + marker.trimmed,
        })
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
        let lines = self.lines();
        let is_entry = |l: &JournalLine| matches!(l, JournalLine::Entry(_));
        let entries = lines.iter().filter(|(_, l)| is_entry(l)).count();
        if entries <= MAX_ENTRIES && size <= MAX_BYTES {
            return Ok(());
        }
        // The newest entries within the bounds; the newest markers, and
        // each context's newest (what `interrupted` reads).
        let mut keep = vec![false; lines.len()];
        let (mut kept, mut markers, mut bytes) = (0, 0, 0u64);
        let mut contexts = std::collections::HashSet::new();
        for (i, (text, line)) in lines.iter().enumerate().rev() {
            match line {
                JournalLine::Entry(_) => {
                    bytes += text.len() as u64 + 1;
                    if kept < MAX_ENTRIES && bytes <= MAX_BYTES / 2 {
                        kept += 1;
                        keep[i] = true;
                    }
                }
                JournalLine::Marker(m) => {
                    keep[i] = contexts.insert(m.context.clone()) || markers < KEPT_MARKERS;
                    markers += 1;
                }
            }
        }
        // Entries of an operation dropped now still count as journaled.
        let mut dropped: std::collections::HashMap<&str, u64> = Default::default();
        for ((_, line), &k) in lines.iter().zip(&keep) {
            if let (JournalLine::Entry(Entry { op: Some(op), .. }), false) = (line, k) {
                *dropped.entry(op).or_default() += 1;
            }
        }
        let mut out: Vec<String> = Vec::new();
        for ((text, line), &k) in lines.iter().zip(&keep) {
            if !k {
                continue;
            }
            match line {
                JournalLine::Marker(m) if m.marker == Mark::Started => {
                    let trimmed = m.trimmed + dropped.get(m.op.as_str()).copied().unwrap_or(0);
                    let m = Marker {
                        trimmed,
                        ..m.clone()
                    };
                    out.push(serde_json::to_string(&m).map_err(std::io::Error::other)?);
                }
                _ => out.push(text.clone()),
            }
        }
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
            let mut w = std::io::BufWriter::new(&mut f);
            for l in out {
                writeln!(w, "{l}")?;
            }
            w.flush()?;
        }
        std::fs::rename(tmp, &self.path)
    }
}

/// The journal holds before-images (possibly secrets): an existing file
/// readable or writable by others is set to 0600 before anything is
/// written to it, or refused when that is not possible.
/// Opens `path` for appending, made (with its directory) when missing:
/// mode 0600 from creation, and made private if others could read it
/// (the journal, the audit log).
pub(crate) fn open_private_append(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    make_private(&file, path)?;
    Ok(file)
}

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

    /// Issue 22.11: an operation's start marker outlives the trims its own
    /// entries cause, and keeps counting the entries they drop; another
    /// context, a finished operation, or one whose process still runs is
    /// not named.
    #[test]
    fn an_unfinished_operation_is_found_after_trims() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal {
            path: dir.path().join("j.jsonl"),
            context: None,
        }
        .in_context(Some("prod".into()));
        let running = Marker::start("import", Some("f.jsonl".into()), b"/a/", b"/b/", 5000);
        // The same operation, as a process that is gone would have left it.
        let gone = Marker {
            pid_start: 1,
            ..running.clone()
        };
        j.mark(&gone).unwrap();
        for chunk in 0..30 {
            let entries: Vec<Entry> = (0..100)
                .map(|i| Entry {
                    op: Some(gone.op.clone()),
                    ..Entry::new(format!("/b/{chunk}/{i}").as_bytes(), None, 0, 9)
                })
                .collect();
            j.append(&entries).unwrap();
        }
        assert!(j.entries().len() <= MAX_ENTRIES);
        let left = j.interrupted().unwrap();
        assert_eq!((left.journaled, left.marker.keys), (3000, 5000));
        assert_eq!(left.marker.context.as_deref(), Some("prod"));
        let line = left.line();
        assert!(
            line.starts_with("interrupted: the import of f.jsonl → /b/ started "),
            "{line}"
        );
        assert!(line.contains("3000 of its 5000 keys"), "{line}");
        assert!(
            line.contains("`etcdlens --context prod import f.jsonl --to /b/ --dry-run`"),
            "{line}"
        );
        let staging = Journal {
            path: j.path.clone(),
            context: Some("staging".into()),
        };
        assert!(staging.interrupted().is_none());
        j.mark(&gone.finish()).unwrap();
        assert!(j.interrupted().is_none());
        j.mark(&running).unwrap();
        assert!(j.interrupted().is_none(), "its process still runs");
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
