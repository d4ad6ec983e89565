//! A snapshot file or a member's `member/snap/db`, read without etcd
//! (issue 27): every revision the file holds, indexed in memory by key,
//! answering etcd's reads — ranges at any revision the file holds, the
//! events of a watch replayed from a revision, leases as stored.
//!
//! [`serve`] puts it behind etcd's own gRPC API on a loopback port, so the
//! whole browser (and every feature of `etcd/`) reads a file exactly as a
//! cluster: the interface between the two is etcd's API itself, not a
//! trait each feature would have to go through. Writes are refused there.

mod serve;

pub use serve::serve;

use std::collections::BTreeMap;

use std::path::{Path, PathBuf};

use etcd_client::proto::{PbEvent, PbKeyValue, PbRangeResponse, PbResponseHeader};
use prost::Message;

use super::bbolt::{BoltError, Db, Entry};

/// One revision of a key as the file stores it.
#[derive(Debug, Clone, Copy)]
struct Rev {
    main: i64,
    sub: i64,
    /// A deletion (its revision key ends with `t`).
    tombstone: bool,
    /// Where its stored `mvccpb.KeyValue` is in [`Store::arena`].
    at: usize,
    len: u32,
}

/// A key: where its bytes are in the arena, and its revisions (a run of
/// [`Store::revs`], oldest first).
#[derive(Debug, Clone, Copy)]
struct Key {
    at: usize,
    len: u32,
    first: u32,
    revs: u32,
}

/// A file's keyspace: every key with the revisions the file holds. The
/// stored key-values sit one after the other in one arena; keys (sorted)
/// and revisions point into it, so the memory is about the data's size.
pub struct Store {
    pub path: PathBuf,
    /// The last revision written (the `key` bucket's last main revision).
    pub revision: i64,
    /// The compaction point (`meta`'s `finishedCompactRev`; 0: none).
    pub compacted: i64,
    /// Bytes of the file in use.
    pub size: u64,
    arena: Vec<u8>,
    /// In key order.
    keys: Vec<Key>,
    revs: Vec<Rev>,
    /// Lease id → TTL as granted.
    leases: BTreeMap<i64, i64>,
}

/// Why a range is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    Compacted,
    Future,
}

impl ReadError {
    /// etcd's words for it (the client classifies them).
    pub fn words(&self) -> &'static str {
        match self {
            ReadError::Compacted => "etcdserver: mvcc: required revision has been compacted",
            ReadError::Future => "etcdserver: mvcc: required revision is a future revision",
        }
    }
}

/// What a range asks for (the fields of etcd's `RangeRequest` it uses).
#[derive(Debug, Clone, Default)]
pub struct RangeAsk {
    pub key: Vec<u8>,
    pub range_end: Vec<u8>,
    pub revision: i64,
    pub limit: i64,
    pub keys_only: bool,
    pub count_only: bool,
    /// etcd's `SortOrder` (0 none, 1 ascend, 2 descend) and
    /// `SortTarget` (0 key, 1 version, 2 create, 3 mod, 4 value).
    pub sort_order: i32,
    pub sort_target: i32,
    pub min_mod_revision: i64,
    pub max_mod_revision: i64,
    pub min_create_revision: i64,
    pub max_create_revision: i64,
}

impl Store {
    /// Reads `path` whole into memory. The file is only read.
    pub fn open(path: &Path) -> Result<Store, BoltError> {
        // A member's db that its etcd has open is changing under us:
        // refused. A shared lock, held while the file is read, keeps an
        // etcd from opening it meanwhile.
        let lock = std::fs::File::open(path)?;
        use std::os::fd::AsRawFd;
        // SAFETY: flock on a descriptor we own; released when `lock` drops.
        if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_SH | libc::LOCK_NB) } != 0 {
            return Err(BoltError::InUse);
        }
        let db = Db::open(path)?;
        let key = db.bucket(b"key")?.ok_or_else(|| {
            BoltError::Corrupt(
                "no `key` bucket: not an etcd backend (a bbolt file of something else?)".into(),
            )
        })?;
        // Revisions in the file's order (by revision), each with its key's
        // place in the arena; then sorted by key, stably: each key's run
        // stays oldest first.
        // Sized from the file at once: what it stores cannot be more than
        // it, and growing by doubling held the old copy and the new one at
        // the peak (1.67 × the file with mimalloc, whose big reallocations
        // copy). Pages reserved and never written take no memory.
        // (The file's length on disk, not what its meta page claims.)
        let size = usize::try_from(lock.metadata()?.len()).unwrap_or(0);
        let mut arena: Vec<u8> = Vec::with_capacity(size);
        let mut found: Vec<(usize, u32, Rev)> = Vec::with_capacity(size / 64);
        let mut revision = 0;
        db.for_each(&key, &mut |k, e| {
            let Entry::Value(v) = e else {
                return Err(BoltError::Corrupt("a bucket inside `key`".into()));
            };
            let (main, sub, tombstone) = parse_rev(k).ok_or_else(|| {
                BoltError::Corrupt(format!("a revision key of {} bytes", k.len()))
            })?;
            let user = super::snapshot::user_key(v)
                .ok_or_else(|| BoltError::Corrupt(format!("revision {main}: not a key-value")))?;
            let at = arena.len();
            let key_at = at + (user.as_ptr() as usize - v.as_ptr() as usize);
            arena.extend_from_slice(v);
            revision = revision.max(main);
            let rev = Rev {
                main,
                sub,
                tombstone,
                at,
                len: v.len() as u32,
            };
            found.push((key_at, user.len() as u32, rev));
            Ok(())
        })?;
        let bytes = |at: usize, len: u32| &arena[at..at + len as usize];
        found.sort_by(|a, b| bytes(a.0, a.1).cmp(bytes(b.0, b.1)));
        let mut keys: Vec<Key> = Vec::with_capacity(found.len());
        let mut revs = Vec::with_capacity(found.len());
        for (at, len, rev) in found {
            match keys.last_mut() {
                Some(k) if bytes(k.at, k.len) == bytes(at, len) => k.revs += 1,
                _ => keys.push(Key {
                    at,
                    len,
                    first: revs.len() as u32,
                    revs: 1,
                }),
            }
            revs.push(rev);
        }
        let mut compacted = 0;
        if let Some(meta) = db.bucket(b"meta")? {
            db.for_each(&meta, &mut |k, e| {
                if let (b"finishedCompactRev", Entry::Value(v)) = (k, e) {
                    if let Some(b) = v.get(..8) {
                        compacted = i64::from_be_bytes(b.try_into().expect("8 bytes"));
                    }
                }
                Ok(())
            })?;
        }
        let mut leases = BTreeMap::new();
        if let Some(bucket) = db.bucket(b"lease")? {
            db.for_each(&bucket, &mut |_, e| {
                if let Entry::Value(v) = e {
                    let l = StoredLease::decode(v).map_err(|e| {
                        BoltError::Corrupt(format!("a lease that does not decode ({e})"))
                    })?;
                    leases.insert(l.id, l.ttl);
                }
                Ok(())
            })?;
        }
        drop(lock);
        // Revisions come in order from the bucket: each key's list is sorted.
        Ok(Store {
            path: path.to_path_buf(),
            revision,
            compacted,
            size: db.size(),
            arena,
            keys,
            revs,
            leases,
        })
    }

    /// Keys whose latest revision is not a deletion.
    pub fn live_keys(&self) -> usize {
        self.keys
            .iter()
            .filter(|k| self.revs_of(k).last().is_some_and(|r| !r.tombstone))
            .count()
    }

    fn key_bytes(&self, k: &Key) -> &[u8] {
        &self.arena[k.at..k.at + k.len as usize]
    }

    fn revs_of(&self, k: &Key) -> &[Rev] {
        &self.revs[k.first as usize..(k.first + k.revs) as usize]
    }

    /// A revision's key-value, decoded.
    fn decode(&self, r: &Rev) -> PbKeyValue {
        PbKeyValue::decode(&self.arena[r.at..r.at + r.len as usize])
            .expect("its key was read at open")
    }

    fn header(&self) -> PbResponseHeader {
        PbResponseHeader {
            revision: self.revision,
            ..PbResponseHeader::default()
        }
    }

    /// The revision a read at `asked` reads (0 or less: the latest).
    fn at(&self, asked: i64) -> Result<i64, ReadError> {
        let rev = if asked <= 0 { self.revision } else { asked };
        if rev > self.revision {
            Err(ReadError::Future)
        } else if rev < self.compacted {
            Err(ReadError::Compacted)
        } else {
            Ok(rev)
        }
    }

    /// The keys from `key` to `range_end` as etcd reads them: `range_end`
    /// empty is the key alone, `"\0"` every key from `key`. Each with its
    /// revisions.
    fn span(&self, key: &[u8], range_end: &[u8]) -> impl Iterator<Item = &[Rev]> + '_ {
        let lo = self.keys.partition_point(|k| self.key_bytes(k) < key);
        let hi = if range_end.is_empty() {
            lo + usize::from(self.keys.get(lo).is_some_and(|k| self.key_bytes(k) == key))
        } else if range_end == [0] {
            self.keys.len()
        } else {
            self.keys
                .partition_point(|k| self.key_bytes(k) < range_end)
                .max(lo)
        };
        self.keys[lo..hi].iter().map(|k| self.revs_of(k))
    }

    /// A key's revision live at `rev`: the latest at or before it, unless a
    /// deletion.
    fn live_at(revs: &[Rev], rev: i64) -> Option<&Rev> {
        let i = revs.partition_point(|r| r.main <= rev);
        revs[..i].last().filter(|r| !r.tombstone)
    }

    /// etcd's `Range`. Only the keys returned are decoded, unless a sort
    /// or a revision filter needs every key of the range (as in etcd).
    pub fn range(&self, ask: &RangeAsk) -> Result<PbRangeResponse, ReadError> {
        let rev = self.at(ask.revision)?;
        let decode = |r: &Rev| self.decode(r);
        // etcd: a sort target other than the key with no order ascends.
        let order = match (ask.sort_order, ask.sort_target) {
            (0, 0) => 0,
            (0, _) => 1,
            (o, _) => o,
        };
        let filtered = ask.min_mod_revision != 0
            || ask.max_mod_revision != 0
            || ask.min_create_revision != 0
            || ask.max_create_revision != 0;
        let live = self
            .span(&ask.key, &ask.range_end)
            .filter_map(|revs| Self::live_at(revs, rev));
        let limit = if ask.limit > 0 {
            ask.limit as usize
        } else {
            usize::MAX
        };
        let (mut kvs, count) = if order == 0 && !filtered {
            let mut kvs = Vec::new();
            let mut count = 0usize;
            for r in live {
                if !ask.count_only && kvs.len() < limit {
                    kvs.push(decode(r));
                }
                count += 1;
            }
            (kvs, count)
        } else {
            let mut kvs: Vec<PbKeyValue> = live
                .map(decode)
                .filter(|kv| {
                    (ask.min_mod_revision == 0 || kv.mod_revision >= ask.min_mod_revision)
                        && (ask.max_mod_revision == 0 || kv.mod_revision <= ask.max_mod_revision)
                        && (ask.min_create_revision == 0
                            || kv.create_revision >= ask.min_create_revision)
                        && (ask.max_create_revision == 0
                            || kv.create_revision <= ask.max_create_revision)
                })
                .collect();
            if order != 0 {
                kvs.sort_by(|a, b| {
                    let by = match ask.sort_target {
                        1 => a.version.cmp(&b.version),
                        2 => a.create_revision.cmp(&b.create_revision),
                        3 => a.mod_revision.cmp(&b.mod_revision),
                        4 => a.value.cmp(&b.value),
                        _ => a.key.cmp(&b.key),
                    };
                    if order == 2 {
                        by.reverse()
                    } else {
                        by
                    }
                });
            }
            let count = kvs.len();
            if ask.count_only {
                kvs.clear();
            }
            kvs.truncate(limit);
            (kvs, count)
        };
        if ask.keys_only {
            for kv in &mut kvs {
                kv.value.clear();
            }
        }
        Ok(PbRangeResponse {
            header: Some(self.header()),
            more: ask.limit > 0 && count as i64 > ask.limit,
            kvs,
            count: count as i64,
        })
    }

    /// The events on `key`..`range_end` from revision `from` on, in
    /// revision order, as a watch from `from` replays them (`prev_kv`:
    /// each with the key's previous value). `Err(Compacted)` when `from`
    /// is below the compaction point.
    pub fn events(
        &self,
        key: &[u8],
        range_end: &[u8],
        from: i64,
        prev_kv: bool,
    ) -> Result<Vec<PbEvent>, ReadError> {
        if from > 0 && from < self.compacted {
            return Err(ReadError::Compacted);
        }
        let mut found: Vec<((i64, i64), PbEvent)> = Vec::new();
        for revs in self.span(key, range_end) {
            let first = revs.partition_point(|r| r.main < from);
            for i in first..revs.len() {
                let r = &revs[i];
                let mut kv = self.decode(r);
                if r.tombstone {
                    // As etcd sends it: the deletion's revision patched in.
                    kv.mod_revision = r.main;
                }
                let prev = if prev_kv && i > 0 && !revs[i - 1].tombstone {
                    Some(self.decode(&revs[i - 1]))
                } else {
                    None
                };
                found.push((
                    (r.main, r.sub),
                    PbEvent {
                        r#type: i32::from(r.tombstone),
                        kv: Some(kv),
                        prev_kv: prev,
                    },
                ));
            }
        }
        found.sort_by_key(|(rev, _)| *rev);
        Ok(found.into_iter().map(|(_, e)| e).collect())
    }

    /// Lease ids, in order.
    pub fn lease_ids(&self) -> Vec<i64> {
        self.leases.keys().copied().collect()
    }

    /// A lease's TTL as granted (nothing counts down in a file) and the
    /// keys attached to it now; `None`: no such lease.
    pub fn lease(&self, id: i64) -> Option<(i64, Vec<Vec<u8>>)> {
        let ttl = *self.leases.get(&id)?;
        let keys = self
            .keys
            .iter()
            .filter_map(|k| {
                let r = Self::live_at(self.revs_of(k), self.revision)?;
                let kv = self.decode(r);
                (kv.lease == id).then_some(kv.key)
            })
            .collect();
        Some((ttl, keys))
    }
}

/// A revision key: 8 bytes of main revision, `_`, 8 bytes of sub
/// revision, and `t` for a deletion.
fn parse_rev(k: &[u8]) -> Option<(i64, i64, bool)> {
    if k.len() < 17 || k[8] != b'_' {
        return None;
    }
    let main = i64::from_be_bytes(k[..8].try_into().ok()?);
    let sub = i64::from_be_bytes(k[9..17].try_into().ok()?);
    Some((main, sub, k.get(17) == Some(&b't')))
}

/// A stored `leasepb.Lease` (the fields read).
#[derive(Clone, PartialEq, prost::Message)]
struct StoredLease {
    #[prost(int64, tag = "1")]
    id: i64,
    #[prost(int64, tag = "2")]
    ttl: i64,
}
