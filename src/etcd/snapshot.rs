//! Snapshots (backups): [`save`] streams one member's backend over the
//! Maintenance `Snapshot` call into a file, written whole or not at all;
//! [`status`] reads a snapshot file (or a member's `member/snap/db`) as
//! `etcdutl snapshot status` does.
//!
//! The file written is exactly what `etcdctl snapshot save` writes
//! (client/v3/snapshot `SaveWithVersion`): every byte of the stream,
//! including the sha256 of the database etcd appends as its last 32 bytes,
//! so `etcdutl snapshot restore` finds and checks that hash as it does for
//! etcdctl's files. etcdctl only checks that the stream's length leaves
//! room for a hash (`len % 512 == 32`); this also checks the hash itself.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use etcd_client::ConnectOptions;
use sha2::{Digest, Sha256};

use super::bbolt::{BoltError, Db, Entry};
use super::connect::{dial, Connection};
use super::Error;

/// The length of the hash etcd appends to the stream.
const SHA_LEN: usize = 32;

/// A member to take a snapshot from, as the user names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The URL dialled (an `--endpoints` entry or a member's client URL).
    pub url: String,
    /// The member's revision when it was asked before the stream.
    pub revision: i64,
    /// The member's etcd version.
    pub version: String,
}

/// What [`save`] wrote.
#[derive(Debug, Clone)]
pub struct Saved {
    /// Bytes written (the database and the 32 bytes of its sha256).
    pub bytes: u64,
    /// The sha256 of the database, as the stream ended with it and as
    /// checked.
    pub sha256: [u8; SHA_LEN],
    /// Partial files of earlier saves that were killed, removed first.
    pub removed: Vec<PathBuf>,
}

fn member_options(conn: &Connection) -> ConnectOptions {
    let mut opts = ConnectOptions::new().with_connect_timeout(conn.settings.dial_timeout);
    if let Some((user, password)) = &conn.settings.user {
        opts = opts
            .with_user(user.clone(), password.clone())
            .with_auto_token_refresh(true);
    }
    opts
}

/// A client of the member at `url` alone (through the connection's
/// tunnel, with its TLS and login).
async fn member_client(conn: &Connection, url: &str) -> Result<etcd_client::Client, Error> {
    let urls = [url.to_string()];
    let tls = conn.settings.wants_tls();
    dial(
        &urls,
        &conn.settings,
        tls,
        member_options(conn),
        conn.tunnel.as_ref(),
    )
    .await
    .map_err(|e| Error::from(e.into_client()))
}

/// Asks the member at `url` for its status within the command timeout.
async fn ask(conn: &Connection, url: &str) -> Result<Member, Error> {
    let attempt = async {
        let mut c = member_client(conn, url).await?;
        let s = c.status().await.map_err(Error::from)?;
        Ok(Member {
            url: url.to_string(),
            revision: s.header().map(|h| h.revision()).unwrap_or(0),
            version: s.version().to_string(),
        })
    };
    tokio::time::timeout(conn.command_timeout, attempt)
        .await
        .unwrap_or_else(|_| Err(Error::Timeout(super::no_answer_words())))
}

/// `host:port` of an endpoint or URL (its scheme and path dropped).
fn authority(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest)
}

/// The member to take the snapshot from: `wanted`, which must be one of the
/// cluster's client URLs (`host:port` also matches), or else the first of
/// the connection's endpoints that answers. `Refused` when `wanted` is no
/// member's; the member's own error when it does not answer.
pub async fn choose_member(conn: &Connection, wanted: Option<&str>) -> Result<Member, Error> {
    match wanted {
        Some(w) => {
            let list = super::retry_read(|| {
                let mut c = conn.client.clone();
                async move { c.member_list().await }
            })
            .await?;
            let urls: Vec<String> = list
                .members()
                .iter()
                .flat_map(|m| m.client_urls().iter().cloned())
                .collect();
            let Some(url) = urls
                .iter()
                .find(|u| u.as_str() == w || authority(u) == authority(w))
            else {
                return Err(Error::Refused(format!(
                    "{w} is not a client URL of this cluster's members ({})",
                    urls.join(", ")
                )));
            };
            ask(conn, url)
                .await
                .map_err(|e| with_message(e, |m| format!("{url} does not answer: {m}")))
        }
        None => {
            let mut last = None;
            for e in &conn.endpoints {
                match ask(conn, e).await {
                    Ok(m) => return Ok(m),
                    Err(err) => last = Some(err),
                }
            }
            Err(last.unwrap_or_else(|| Error::Other("no endpoint".into())))
        }
    }
}

/// The same error with its line rewritten.
fn with_message(e: Error, f: impl FnOnce(&str) -> String) -> Error {
    let m = f(e.message());
    match e {
        Error::Unsent(_) => Error::Unsent(m),
        Error::Tls(_) => Error::Tls(m),
        Error::Auth(_) => Error::Auth(m),
        Error::PermissionDenied(_) => Error::PermissionDenied(m),
        Error::Compacted(_) => Error::Compacted(m),
        Error::FutureRevision(_) => Error::FutureRevision(m),
        Error::TooLarge(_) => Error::TooLarge(m),
        Error::Timeout(_) => Error::Timeout(m),
        Error::NoLeader(_) => Error::NoLeader(m),
        Error::Unavailable(_) => Error::Unavailable(m),
        Error::Refused(_) => Error::Refused(m),
        Error::Learner(_) => Error::Learner(m),
        Error::Other(_) => Error::Other(m),
    }
}

fn file_error(what: &str, path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Other(format!("cannot {what} {}: {e}", path.display()))
}

/// Streams the snapshot of `member` into `path`: into a temporary file
/// beside it (mode 0600 from its creation), checked (length and sha256),
/// synced, then renamed to `path` — over an existing file only when
/// `force` (else an existing `path` fails it). On any failure nothing is
/// left: neither the temporary file nor anything under `path`.
/// `progress(received, total)` is called after each chunk (`total` as
/// the member announced it, 0 when unknown).
pub async fn save(
    conn: &Connection,
    member: &Member,
    path: &Path,
    force: bool,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<Saved, Error> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| Error::Other(format!("{} names no file", path.display())))?;
    if !force && path.exists() {
        return Err(Error::Other(format!(
            "{} exists (--force replaces it)",
            path.display()
        )));
    }
    let prefix = format!(".{}.", name.to_string_lossy());
    let removed = remove_stale_parts(&dir, &prefix);
    // tempfile creates it with mode 0600 and removes it when dropped
    // unless persisted; locked while this save writes it, so another
    // save's sweep leaves it alone.
    let temp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".part")
        .tempfile_in(&dir)
        .map_err(|e| file_error("create a file in", &dir, e))?;
    temp.as_file()
        .lock()
        .map_err(|e| file_error("lock", temp.path(), e))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, temp.as_file());

    let client = member_client(conn, &member.url).await?;
    let mut stream = client
        .maintenance_client()
        .snapshot()
        .await
        .map_err(Error::from)?;
    let mut hasher = Sha256::new();
    // The last bytes seen, not yet hashed: the stream's last 32 are the
    // hash itself.
    let mut tail: Vec<u8> = Vec::with_capacity(2 * SHA_LEN);
    let mut received: u64 = 0;
    let mut total: u64 = 0;
    while let Some(msg) = stream.message().await.map_err(Error::from)? {
        let blob = msg.blob();
        out.write_all(blob)
            .map_err(|e| file_error("write", temp.path(), e))?;
        received += blob.len() as u64;
        if total == 0 || msg.remaining_bytes() == 0 {
            total = received + msg.remaining_bytes();
        }
        if blob.len() >= SHA_LEN {
            hasher.update(&tail);
            let (body, last) = blob.split_at(blob.len() - SHA_LEN);
            hasher.update(body);
            tail.clear();
            tail.extend_from_slice(last);
        } else {
            tail.extend_from_slice(blob);
            if tail.len() > SHA_LEN {
                let extra = tail.len() - SHA_LEN;
                hasher.update(&tail[..extra]);
                tail.drain(..extra);
            }
        }
        progress(received, total);
    }
    if received % 512 != SHA_LEN as u64 || tail.len() != SHA_LEN {
        return Err(Error::Other(format!(
            "the snapshot stream ended after {received} bytes without its sha256 (incomplete)"
        )));
    }
    let sha: [u8; SHA_LEN] = tail[..].try_into().expect("32 bytes");
    let computed: [u8; SHA_LEN] = hasher.finalize().into();
    if sha != computed {
        return Err(Error::Other(format!(
            "the snapshot's sha256 does not match its data (stream says {}, data is {}): nothing saved",
            hex(&sha),
            hex(&computed)
        )));
    }
    out.flush()
        .map_err(|e| file_error("write", temp.path(), e))?;
    drop(out);
    temp.as_file()
        .sync_all()
        .map_err(|e| file_error("sync", temp.path(), e))?;
    let persisted = if force {
        temp.persist(path)
    } else {
        temp.persist_noclobber(path)
    };
    persisted.map_err(|e| file_error("rename the snapshot to", path, e.error))?;
    // The rename itself, durable.
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(Saved {
        bytes: received,
        sha256: sha,
        removed,
    })
}

/// Removes the temporary files (`.NAME.*.part` in `dir`) of saves that
/// were killed before they finished — those no running save holds locked
/// — and returns them.
fn remove_stale_parts(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(prefix) && name.ends_with(".part")) {
            continue;
        }
        let path = entry.path();
        let Ok(file) = std::fs::OpenOptions::new().write(true).open(&path) else {
            continue;
        };
        // Held by a save still running: not ours to remove.
        if file.try_lock().is_ok() && std::fs::remove_file(&path).is_ok() {
            removed.push(path);
        }
    }
    removed
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What `etcdutl snapshot status` says of a file, computed the same way.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Status {
    /// CRC-32C over every top-level bucket's name, then each of its keys
    /// and values, in order.
    pub hash: u32,
    /// The main revision of the `key` bucket's last key.
    pub revision: i64,
    /// Live keys: the user keys whose latest revision is not a deletion
    /// (what `etcdutl snapshot status` ≥ 3.6 prints as total keys).
    #[serde(rename = "totalKey")]
    pub total_key: u64,
    /// Entries of all top-level buckets, every revision of every key
    /// included (what etcdutl / etcdctl ≤ 3.5 print as total keys).
    pub entries: u64,
    /// Pages in use × page size (bbolt's `Tx.Size`).
    #[serde(rename = "totalSize")]
    pub total_size: u64,
    /// The storage version (`meta` bucket, `storageVersion`; etcd ≥ 3.6),
    /// empty when absent.
    pub version: String,
}

/// Reads `path` (a snapshot file or a member's `member/snap/db`) as
/// `etcdutl snapshot status` does.
pub fn status(path: &Path) -> Result<Status, BoltError> {
    let db = Db::open(path)?;
    let mut crc = Crc32c::new();
    let mut st = Status {
        hash: 0,
        revision: 0,
        total_key: 0,
        entries: 0,
        total_size: db.size(),
        version: String::new(),
    };
    let mut buckets = Vec::new();
    db.for_each(&db.root(), &mut |name, e| {
        match e {
            Entry::Bucket(b) => buckets.push((name.to_vec(), b)),
            Entry::Value(_) => {
                return Err(BoltError::Corrupt(format!(
                    "a value at the top level ({})",
                    String::from_utf8_lossy(name)
                )))
            }
        }
        Ok(())
    })?;
    let mut live = std::collections::HashSet::new();
    for (name, bucket) in &buckets {
        crc.update(name);
        let is_key = name == b"key";
        let is_meta = name == b"meta";
        db.for_each(bucket, &mut |k, e| {
            crc.update(k);
            if let Entry::Value(v) = e {
                crc.update(v);
                if is_meta && k == b"storageVersion" {
                    st.version = String::from_utf8_lossy(v).into_owned();
                }
            }
            if is_key {
                let main = k.get(..8).ok_or_else(|| {
                    BoltError::Corrupt(format!("a revision key of {} bytes", k.len()))
                })?;
                st.revision = i64::from_be_bytes(main.try_into().unwrap());
                if let Entry::Value(v) = e {
                    let key = user_key(v).ok_or_else(|| {
                        BoltError::Corrupt(format!("revision {}: not a key-value", st.revision))
                    })?;
                    // A deletion's revision key is marked with a 't'.
                    if k.len() == 18 && k[17] == b't' {
                        live.remove(key);
                    } else {
                        live.insert(key.to_vec());
                    }
                }
            }
            st.entries += 1;
            Ok(())
        })?;
    }
    st.total_key = live.len() as u64;
    st.hash = crc.finish();
    Ok(st)
}

/// The user key of an mvccpb.KeyValue (protobuf field 1), read without a
/// protobuf library: the fields are walked until it.
pub(super) fn user_key(mut b: &[u8]) -> Option<&[u8]> {
    fn varint(b: &mut &[u8]) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = b.split_first()?;
            *b = rest;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    while !b.is_empty() {
        let tag = varint(&mut b)?;
        match tag & 7 {
            0 => {
                varint(&mut b)?;
            }
            1 => b = b.get(8..)?,
            5 => b = b.get(4..)?,
            2 => {
                let len = varint(&mut b)? as usize;
                let field = b.get(..len)?;
                if tag >> 3 == 1 {
                    return Some(field);
                }
                b = &b[len..];
            }
            _ => return None,
        }
    }
    // A KeyValue whose key is empty has no field 1.
    Some(&[])
}

/// CRC-32C (Castagnoli), as Go's `crc32.MakeTable(crc32.Castagnoli)`.
struct Crc32c {
    table: [[u32; 256]; 8],
    crc: u32,
}

impl Crc32c {
    fn new() -> Crc32c {
        let mut table = [[0u32; 256]; 8];
        for i in 0..256u32 {
            let mut c = i;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    (c >> 1) ^ 0x82F6_3B78
                } else {
                    c >> 1
                };
            }
            table[0][i as usize] = c;
        }
        for i in 0..256 {
            for t in 1..8 {
                let prev = table[t - 1][i];
                table[t][i] = (prev >> 8) ^ table[0][(prev & 0xff) as usize];
            }
        }
        Crc32c { table, crc: !0 }
    }

    /// Slicing-by-8.
    fn update(&mut self, data: &[u8]) {
        let t = &self.table;
        let mut c = self.crc;
        let mut chunks = data.chunks_exact(8);
        for ch in &mut chunks {
            let lo = c ^ u32::from_le_bytes([ch[0], ch[1], ch[2], ch[3]]);
            c = t[7][(lo & 0xff) as usize]
                ^ t[6][((lo >> 8) & 0xff) as usize]
                ^ t[5][((lo >> 16) & 0xff) as usize]
                ^ t[4][(lo >> 24) as usize]
                ^ t[3][ch[4] as usize]
                ^ t[2][ch[5] as usize]
                ^ t[1][ch[6] as usize]
                ^ t[0][ch[7] as usize];
        }
        for b in chunks.remainder() {
            c = (c >> 8) ^ t[0][((c ^ u32::from(*b)) & 0xff) as usize];
        }
        self.crc = c;
    }

    fn finish(&self) -> u32 {
        !self.crc
    }
}

/// How long `save`'s callers may wait between progress lines.
pub const PROGRESS_EVERY: Duration = Duration::from_millis(250);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_check_value() {
        // The standard check value of CRC-32C.
        let mut c = Crc32c::new();
        c.update(b"123456789");
        assert_eq!(c.finish(), 0xE306_9283);
        let mut c = Crc32c::new();
        c.update(b"1234");
        c.update(b"56789");
        assert_eq!(c.finish(), 0xE306_9283);
    }

    #[test]
    fn user_key_of_a_key_value() {
        // key "ab" (field 1), create_revision 5 (field 2), value "x" (field 5).
        let kv = [0x0a, 2, b'a', b'b', 0x10, 5, 0x2a, 1, b'x'];
        assert_eq!(user_key(&kv), Some(&b"ab"[..]));
        let later = [0x10, 5, 0x0a, 1, b'z'];
        assert_eq!(user_key(&later), Some(&b"z"[..]));
        assert_eq!(user_key(&[0x0a, 9, b'a']), None);
    }

    #[test]
    fn authority_of_urls() {
        assert_eq!(authority("http://127.0.0.1:2379"), "127.0.0.1:2379");
        assert_eq!(authority("127.0.0.1:2379"), "127.0.0.1:2379");
        assert_eq!(authority("https://a:1/x"), "a:1");
    }
}
