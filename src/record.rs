//! `--record FILE`: every watch event appended as one JSON line, for replay
//! or diffing later. Bytes that are not UTF-8 are written as base64 under a
//! `*_base64` field instead.
//!
//! ```text
//! {"revision":12,"type":"PUT","key":"/a","value":"1","prev_value":null}
//! {"type":"GAP","from":13,"to":40}
//! ```
//!
//! A Kubernetes value (`k8s\0…`) that decodes gets an `object` field next
//! to the raw value: the object as JSON with its field names.
//!
//! `prev_value` comes from the values seen since recording started; it is
//! null for a key's first update when its earlier value was never seen.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use base64::Engine;
use serde_json::{Map, Value};

use crate::etcd::types::{EventKind, WatchEvent};

pub struct Recorder {
    out: BufWriter<File>,
    /// The first write error, kept so it is reported once.
    pub error: Option<String>,
    /// `error` was handed out by [`Recorder::new_error`].
    reported: bool,
    path: std::path::PathBuf,
    /// Last value seen per key, for `prev_value` (the watch does not ask
    /// etcd for previous values). Forgotten past `LAST_KEYS` keys: then
    /// `prev_value` is null until the key is seen again.
    last: HashMap<Vec<u8>, Vec<u8>>,
}

const LAST_KEYS: usize = 100_000;

impl Recorder {
    pub fn open(path: &Path) -> std::io::Result<Recorder> {
        use std::os::unix::fs::OpenOptionsExt;
        // Every value goes in: private, as the journal and exports are.
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        // A pipe or a device (`/dev/stdout`) is the user's to choose.
        if file.metadata()?.is_file() {
            crate::journal::make_private(&file, path)?;
        }
        Ok(Recorder {
            out: BufWriter::new(file),
            error: None,
            reported: false,
            path: path.to_path_buf(),
            last: HashMap::new(),
        })
    }

    pub fn events(&mut self, events: &[WatchEvent]) {
        for ev in events {
            let created = ev.kind == EventKind::Put && ev.create_revision == ev.mod_revision;
            let line = if ev.prev_value.is_some() || created {
                event_line(ev)
            } else {
                let mut with_prev = ev.clone();
                with_prev.prev_value = self.last.get(&ev.key).cloned();
                event_line(&with_prev)
            };
            self.write(&line);
            if self.last.len() >= LAST_KEYS {
                self.last.clear();
            }
            match ev.kind {
                EventKind::Put => {
                    self.last.insert(ev.key.clone(), ev.value.clone());
                }
                EventKind::Delete => {
                    self.last.remove(&ev.key);
                }
            }
        }
        self.flush();
    }

    /// The first write error, once, as (what failed, why): the status bar
    /// keeps it.
    pub fn new_error(&mut self) -> Option<(String, String)> {
        if self.reported {
            return None;
        }
        let error = self.error.clone()?;
        self.reported = true;
        Some((format!("record {}", self.path.display()), error))
    }

    pub fn gap(&mut self, from: i64, to: i64) {
        self.write(&format!("{{\"type\":\"GAP\",\"from\":{from},\"to\":{to}}}"));
        self.flush();
    }

    fn write(&mut self, line: &str) {
        if self.error.is_some() {
            return;
        }
        if let Err(e) = writeln!(self.out, "{line}") {
            self.error = Some(e.to_string());
        }
    }

    fn flush(&mut self) {
        if let Err(e) = self.out.flush() {
            self.error.get_or_insert(e.to_string());
        }
    }
}

/// One event as a JSON line.
pub fn event_line(ev: &WatchEvent) -> String {
    let mut obj = Map::new();
    obj.insert("revision".into(), ev.mod_revision.into());
    let kind = match ev.kind {
        EventKind::Put => "PUT",
        EventKind::Delete => "DELETE",
    };
    obj.insert("type".into(), kind.into());
    put_bytes(&mut obj, "key", Some(&ev.key));
    match ev.kind {
        EventKind::Put => put_bytes(&mut obj, "value", Some(&ev.value)),
        EventKind::Delete => put_bytes(&mut obj, "value", None),
    }
    // A Kubernetes object also as JSON with its field names.
    if let Some(object) = (ev.kind == EventKind::Put)
        .then(|| crate::k8s::object_json(&ev.value))
        .flatten()
    {
        obj.insert("object".into(), object);
    }
    put_bytes(&mut obj, "prev_value", ev.prev_value.as_deref());
    if ev.kind == EventKind::Put {
        obj.insert("create_revision".into(), ev.create_revision.into());
        obj.insert("version".into(), ev.version.into());
        if ev.lease != 0 {
            obj.insert("lease".into(), format!("{:x}", ev.lease).into());
        }
    }
    Value::Object(obj).to_string()
}

fn put_bytes(obj: &mut Map<String, Value>, field: &str, bytes: Option<&[u8]>) {
    match bytes.map(std::str::from_utf8) {
        None => {
            obj.insert(field.into(), Value::Null);
        }
        Some(Ok(s)) => {
            obj.insert(field.into(), s.into());
        }
        Some(Err(_)) => {
            let b64 = base64::engine::general_purpose::STANDARD.encode(bytes.unwrap_or_default());
            obj.insert(format!("{field}_base64"), b64.into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 22.13: the record holds every value: 0600, as the journal.
    #[test]
    fn the_record_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        drop(Recorder::open(&path).unwrap());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // An existing one made with a wider mode is narrowed first.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        drop(Recorder::open(&path).unwrap());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn lines_are_json_with_base64_for_binary() {
        let ev = WatchEvent {
            kind: EventKind::Put,
            key: b"/k\xff".to_vec(),
            value: b"v\n".to_vec(),
            prev_value: None,
            mod_revision: 9,
            create_revision: 9,
            version: 1,
            lease: 0,
        };
        assert_eq!(
            event_line(&ev),
            r#"{"revision":9,"type":"PUT","key_base64":"L2v/","value":"v\n","prev_value":null,"create_revision":9,"version":1}"#
        );
    }
}
