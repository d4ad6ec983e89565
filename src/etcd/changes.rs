//! What changed under a prefix between two revisions A and B (`:changes`),
//! and putting deleted keys back (undelete).
//!
//! One watch stream on the prefix, without previous values (etcd 3.4
//! serves those about ten times slower), from A+1 to B. etcd sends a
//! catching-up watcher at most 1,000 revisions per sync round (every
//! 100 ms), reading every revision from the oldest watcher's on, for all
//! catching-up watchers at once: so the range is cut into segments of
//! 1,000 revisions (at most 16), one watcher each on the same stream, and
//! comes in a sixteenth of the rounds and reads. Per key only its counts,
//! whether it existed at A (its first event says so: a put that creates
//! the key, or not), whether it exists at B and its last revision are
//! kept, never values (per segment, merged in order at the end). A
//! deleted key's last value is read when it is restored: at the revision
//! just before its delete.
//!
//! Where a segment ends: at its first event past its end, at an event on
//! its last revision (etcd never splits a revision between batches), or
//! when etcd sends a catching-up batch of fewer than 1,000 revisions (it
//! marks the watcher synced after a shorter one, at the response's
//! revision). A segment with nothing at all under the prefix from its
//! start on gets nothing more from etcd: the end is then judged by a quiet
//! stream and said so (`Changes::exact`).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use etcd_client::{Client, Compare, CompareOp, GetOptions, Txn, TxnOp, TxnOpResponse};

use super::revision::{probe_read, RevisionError, RevisionSpec};
use super::segments::{self, BATCH_REVISIONS};
use super::{describe_error, retry_unsent, Reports};

/// Keys followed at most (beyond: stop and ask for a narrower prefix).
pub const MAX_KEYS: usize = 2_000_000;
/// The range is read by one watcher per this many revisions (at most
/// `MAX_SEGMENTS`).
const SEGMENT_SPAN: i64 = 1000;
const MAX_SEGMENTS: i64 = 16;
/// Operations per transaction.
pub const TXN_OPS: usize = 128;
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

/// One key's changes between A and B.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyChange {
    pub key: Vec<u8>,
    pub puts: u32,
    pub deletes: u32,
    /// The key existed at A.
    pub existed: bool,
    /// The key exists at B.
    pub exists: bool,
    /// Its last event's revision (a deleted key's delete: its last value
    /// is at the revision before).
    pub last_revision: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Created,
    Changed,
    Deleted,
    /// Created, then deleted again.
    Transient,
}

impl KeyChange {
    pub fn kind(&self) -> ChangeKind {
        match (self.existed, self.exists) {
            (false, true) => ChangeKind::Created,
            (true, true) => ChangeKind::Changed,
            (true, false) => ChangeKind::Deleted,
            (false, false) => ChangeKind::Transient,
        }
    }

    /// Events on the key between A and B.
    pub fn times(&self) -> u32 {
        self.puts + self.deletes
    }
}

/// Every key changed under `prefix` in revisions `from`+1 ..= `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    pub prefix: Vec<u8>,
    pub from: i64,
    pub to: i64,
    /// In key order.
    pub keys: Vec<KeyChange>,
    pub events: u64,
    /// False when the end was judged by a quiet stream.
    pub exact: bool,
}

/// What reading the changes reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangesUpdate {
    /// The revisions it reads: `from`+1 ..= `to`.
    Range {
        from: i64,
        to: i64,
    },
    /// Read up to revision `reached`: so many events, keys.
    Progress {
        reached: i64,
        events: u64,
        keys: usize,
    },
    Done(Changes),
    Failed(RevisionError),
}

/// Per key while reading (no key: it is the map's).
#[derive(Clone, Copy)]
struct Acc {
    puts: u32,
    deletes: u32,
    existed: bool,
    exists: bool,
    last: i64,
}

/// Reads the changes under `prefix` between `from` and `to`, reporting as
/// it goes; ends with `Done` or `Failed`.
pub async fn read<M: Send>(
    client: &mut Client,
    prefix: &[u8],
    from: RevisionSpec,
    to: RevisionSpec,
    reports: Reports<ChangesUpdate, M>,
) {
    let update = match read_inner(client, prefix, from, to, &reports).await {
        Ok(Some(c)) => ChangesUpdate::Done(c),
        Ok(None) => return, // nobody listens any more
        Err(e) => ChangesUpdate::Failed(e),
    };
    reports.send(update).await;
}

fn resolve(spec: RevisionSpec, current: i64) -> i64 {
    match spec {
        RevisionSpec::At(r) => r,
        RevisionSpec::Ago(n) => current - n,
        RevisionSpec::Now => current,
    }
}

async fn read_inner<M: Send>(
    client: &mut Client,
    prefix: &[u8],
    from: RevisionSpec,
    to: RevisionSpec,
    reports: &Reports<ChangesUpdate, M>,
) -> Result<Option<Changes>, RevisionError> {
    let other = |e: &crate::etcd::Error| RevisionError::Other(describe_error(e));
    let current = probe_read(client, prefix, 0).await.map_err(|e| other(&e))?;
    // Before the first revision: from the beginning.
    let a = resolve(from, current).max(0);
    let b = resolve(to, current);
    if b > current {
        return Err(RevisionError::Future {
            revision: b,
            current,
        });
    }
    if a >= b {
        return Err(RevisionError::Other(format!(
            "nothing between rev {a} and rev {b}: the first must be older"
        )));
    }
    if !reports.send(ChangesUpdate::Range { from: a, to: b }).await {
        return Ok(None);
    }
    // One watcher per segment of the range, all on one stream: etcd serves
    // every catching-up watcher from one read per 100 ms round, at most
    // 1,000 revisions each, so K segments come K times faster for the
    // same reads (and each round reads less).
    let span = b - a;
    let bounds = segments::bounds(a + 1, b, SEGMENT_SPAN, MAX_SEGMENTS);
    let k = bounds.len() - 1;
    let (mut requests, mut responses) = segments::open(client, prefix, true, &bounds[..k])
        .await
        .map_err(|e| other(&e))?;
    // Watch ids in the order created (etcd answers creations in order).
    let mut ids: Vec<i64> = Vec::new();
    // Per segment: its keys (merged in order at the end), the revision it
    // reached, whether it is over.
    let mut segments: Vec<HashMap<Box<[u8]>, Acc>> = vec![HashMap::new(); k];
    let mut reached: Vec<i64> = bounds[..k].iter().map(|s| s - 1).collect();
    let mut done = vec![false; k];
    let (mut events, mut keys) = (0u64, 0usize);
    let mut exact = true;
    let mut last_report = Instant::now();
    // How long etcd may take for its next batch: its first one reads
    // every revision from A on (generous: only a range with no change at
    // all under the prefix waits it out).
    let mut quiet = Duration::from_secs(5)
        + Duration::from_micros((span as u64).saturating_mul(20)).min(Duration::from_secs(120));
    let mut last_batch = Instant::now();
    let mut longest_gap = Duration::ZERO;
    while !done.iter().all(|d| *d) {
        let resp = match tokio::time::timeout(quiet, responses.message()).await {
            Err(_) => {
                // Silence: what is left had nothing more to send.
                exact = false;
                break;
            }
            Ok(Ok(Some(r))) => r,
            Ok(Ok(None)) => return Err(RevisionError::Other("the watch stream ended".into())),
            Ok(Err(e)) => return Err(other(&e.into())),
        };
        if resp.compact_revision() > 0 {
            return Err(RevisionError::Compacted {
                revision: a,
                oldest: resp.compact_revision(),
            });
        }
        if resp.created() {
            ids.push(resp.watch_id());
        }
        let Some(i) = ids.iter().position(|&id| id == resp.watch_id()) else {
            continue;
        };
        if done[i] || resp.events().is_empty() {
            continue; // a cancellation, or events past its end
        }
        if resp.canceled() {
            return Err(RevisionError::Other(format!(
                "watch canceled: {}",
                resp.cancel_reason()
            )));
        }
        let gap = last_batch.elapsed();
        last_batch = Instant::now();
        longest_gap = longest_gap.max(gap);
        quiet = Duration::from_secs(1).max(longest_gap * 3);
        let end = bounds[i + 1];
        let map = &mut segments[i];
        let (mut revisions, mut previous) = (0usize, 0i64);
        for ev in resp.events() {
            let Some(kv) = ev.kv() else { continue };
            let rev = kv.mod_revision();
            if rev >= end {
                done[i] = true;
                break;
            }
            if rev != previous {
                revisions += 1;
                previous = rev;
            }
            events += 1;
            reached[i] = rev;
            let put = ev.event_type() == etcd_client::EventType::Put;
            match map.get_mut(kv.key()) {
                Some(acc) => {
                    acc.puts += u32::from(put);
                    acc.deletes += u32::from(!put);
                    acc.exists = put;
                    acc.last = rev;
                }
                None => {
                    keys += 1;
                    if keys > MAX_KEYS {
                        return Err(RevisionError::Other(format!(
                            "more than {MAX_KEYS} keys changed: choose a narrower prefix or range"
                        )));
                    }
                    map.insert(
                        kv.key().into(),
                        Acc {
                            puts: u32::from(put),
                            deletes: u32::from(!put),
                            // A put that creates the key: it did not exist
                            // at the segment's start.
                            existed: !put || kv.create_revision() != rev,
                            exists: put,
                            last: rev,
                        },
                    );
                }
            }
        }
        // A short catching-up batch: etcd marked the watcher synced at the
        // response's revision.
        let at = resp.header().map(|h| h.revision()).unwrap_or(0);
        done[i] |= revisions < BATCH_REVISIONS && at >= end - 1;
        // etcd never splits a revision's events between batches.
        done[i] |= previous == end - 1;
        if done[i] {
            reached[i] = end - 1;
            let _ = requests.cancel(resp.watch_id()).await;
        }
        if last_report.elapsed() >= PROGRESS_EVERY {
            last_report = Instant::now();
            // Revisions covered, as one revision reached from A.
            let covered: i64 = (0..k).map(|i| reached[i] + 1 - bounds[i]).sum();
            let progress = ChangesUpdate::Progress {
                reached: a + covered,
                events,
                keys,
            };
            if !reports.send(progress).await {
                return Ok(None);
            }
        }
    }
    // Segments in order: a key's first segment says whether it existed at
    // A, its last whether it exists at B.
    let mut merged: HashMap<Box<[u8]>, Acc> = HashMap::new();
    for map in segments {
        for (key, later) in map {
            match merged.get_mut(&key) {
                Some(acc) => {
                    acc.puts += later.puts;
                    acc.deletes += later.deletes;
                    acc.exists = later.exists;
                    acc.last = later.last;
                }
                None => {
                    merged.insert(key, later);
                }
            }
        }
    }
    let mut out: Vec<KeyChange> = merged
        .into_iter()
        .map(|(key, acc)| KeyChange {
            key: key.into_vec(),
            puts: acc.puts,
            deletes: acc.deletes,
            existed: acc.existed,
            exists: acc.exists,
            last_revision: acc.last,
        })
        .collect();
    out.sort_unstable_by(|x, y| x.key.cmp(&y.key));
    Ok(Some(Changes {
        prefix: prefix.to_vec(),
        from: a,
        to: b,
        keys: out,
        events,
        exact,
    }))
}

/// What an undelete did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undeleted {
    /// Keys put back, with the revision of the transaction that did it.
    pub restored: Vec<(Vec<u8>, i64)>,
    /// Keys that exist again (created meanwhile): left alone.
    pub skipped: Vec<Vec<u8>>,
    /// Why it stopped before the end (what was restored stays restored).
    pub error: Option<String>,
}

/// Puts deleted keys back with their last values: `(key, revision of its
/// delete)`. The values are read at the revision before each delete;
/// each key is written only if it is still absent (create revision 0), in
/// transactions of at most 128 operations and `max_request_bytes`.
pub async fn undelete(
    client: &mut Client,
    items: &[(Vec<u8>, i64)],
    max_request_bytes: usize,
) -> Undeleted {
    let mut done = Undeleted {
        restored: Vec::new(),
        skipped: Vec::new(),
        error: None,
    };
    if let Err(e) = undelete_into(client, items, max_request_bytes, &mut done).await {
        done.error = Some(e);
    }
    done
}

async fn undelete_into(
    client: &mut Client,
    items: &[(Vec<u8>, i64)],
    max_request_bytes: usize,
    done: &mut Undeleted,
) -> Result<(), String> {
    // Room for keys and the transaction's framing.
    let budget = max_request_bytes.saturating_sub(64 * 1024).max(1);
    for chunk in items.chunks(TXN_OPS) {
        let values = values_before(client, chunk).await?;
        let mut batch: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        let mut bytes = 0;
        for (key, value) in values {
            if !batch.is_empty() && bytes + key.len() + value.len() > budget {
                put_absent(client, std::mem::take(&mut batch), done).await?;
                bytes = 0;
            }
            bytes += key.len() + value.len();
            batch.push((key, value));
        }
        if !batch.is_empty() {
            put_absent(client, batch, done).await?;
        }
    }
    Ok(())
}

/// Each key's value at the revision before its delete (one read-only
/// transaction of ≤ 128 reads).
async fn values_before(
    client: &mut Client,
    chunk: &[(Vec<u8>, i64)],
) -> Result<Vec<(Vec<u8>, Vec<u8>)>, String> {
    let ops: Vec<TxnOp> = chunk
        .iter()
        .map(|(k, rev)| TxnOp::get(k.clone(), Some(GetOptions::new().with_revision(rev - 1))))
        .collect();
    let resp = retry_unsent(|| {
        let (mut c, txn) = (client.clone(), Txn::new().and_then(ops.clone()));
        async move { c.txn(txn).await }
    })
    .await
    .map_err(|e| describe_error(&e))?;
    let mut out = Vec::new();
    for ((key, rev), op) in chunk.iter().zip(resp.op_responses()) {
        let TxnOpResponse::Get(get) = op else {
            continue;
        };
        match get.kvs().first() {
            Some(kv) => out.push((key.clone(), kv.value().to_vec())),
            None => {
                return Err(format!(
                    "{} has no value at rev {} (not deleted there)",
                    crate::escape::escape_bytes(key),
                    rev - 1
                ))
            }
        }
    }
    Ok(out)
}

/// Puts `batch` where every key is still absent; keys that exist are
/// skipped and the rest written again.
async fn put_absent(
    client: &mut Client,
    mut batch: Vec<(Vec<u8>, Vec<u8>)>,
    done: &mut Undeleted,
) -> Result<(), String> {
    // Each round either writes or drops the keys that exist; a key created
    // and deleted again between rounds only costs one more round.
    for _ in 0..16 {
        if batch.is_empty() {
            return Ok(());
        }
        let compares: Vec<Compare> = batch
            .iter()
            .map(|(k, _)| Compare::create_revision(k.clone(), CompareOp::Equal, 0))
            .collect();
        let puts: Vec<TxnOp> = batch
            .iter()
            .map(|(k, v)| TxnOp::put(k.clone(), v.clone(), None))
            .collect();
        let gets: Vec<TxnOp> = batch
            .iter()
            .map(|(k, _)| {
                TxnOp::get(
                    k.clone(),
                    Some(GetOptions::new().with_keys_only().with_count_only()),
                )
            })
            .collect();
        let txn = Txn::new().when(compares).and_then(puts).or_else(gets);
        let resp = retry_unsent(|| {
            let (mut c, txn) = (client.clone(), txn.clone());
            async move { c.txn(txn).await }
        })
        .await
        .map_err(|e| super::describe_write_error(&e))?;
        if resp.succeeded() {
            let revision = resp.header().map(|h| h.revision()).unwrap_or(0);
            done.restored
                .extend(batch.into_iter().map(|(k, _)| (k, revision)));
            return Ok(());
        }
        let exists: Vec<bool> = resp
            .op_responses()
            .iter()
            .map(|op| matches!(op, TxnOpResponse::Get(g) if g.count() > 0))
            .collect();
        let mut keep = Vec::new();
        for ((k, v), e) in batch.into_iter().zip(exists) {
            if e {
                done.skipped.push(k);
            } else {
                keep.push((k, v));
            }
        }
        batch = keep;
    }
    Err("keys kept being created and deleted meanwhile: stopped".into())
}
