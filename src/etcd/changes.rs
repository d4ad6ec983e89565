//! What changed under a prefix between two revisions A and B (`:changes`),
//! and putting deleted keys back (undelete).
//!
//! One watch of the prefix from A+1, without previous values (etcd 3.4
//! serves those about ten times slower), read until B; per key only its
//! counts, whether it existed at A (its first event says so: a put that
//! creates the key, or not) and its last revision are kept, never values.
//! A deleted key's last value is read when it is restored: at the revision
//! just before its delete.
//!
//! Where the events up to B end: at the first event past B, or when etcd
//! sends a catching-up batch of fewer than 1,000 revisions (it sends at
//! most 1,000 per batch and marks the watcher synced after a shorter one,
//! whose header revision — etcd's revision then — is past B). When nothing
//! at all happened under the prefix after A, or the last batch held
//! exactly 1,000 revisions, etcd sends nothing more: the end is judged by
//! a quiet stream and said so (`Changes::exact`).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use etcd_client::{Client, Compare, CompareOp, GetOptions, Txn, TxnOp, TxnOpResponse, WatchOptions};

use super::revision::{probe_read, RevisionError, RevisionSpec};
use super::{describe_error, retry_unsent, Reports};

/// Keys followed at most (beyond: stop and ask for a narrower prefix).
pub const MAX_KEYS: usize = 2_000_000;
/// etcd sends at most this many revisions in one catching-up batch.
const BATCH_REVISIONS: usize = 1000;
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
    Range { from: i64, to: i64 },
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
    let other = |e: &etcd_client::Error| RevisionError::Other(describe_error(e));
    let current = probe_read(client, 0).await.map_err(|e| other(&e))?;
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
    let opts = WatchOptions::new()
        .with_prefix()
        .with_start_revision(a + 1);
    let mut watch_client = client
        .watch_client()
        .max_decoding_message_size(super::connect::MAX_RESPONSE_BYTES);
    let (_requests, mut responses) = watch_client
        .watch(prefix.to_vec(), Some(opts))
        .await
        .map_err(|e| other(&e))?
        .split();
    let mut keys: HashMap<Box<[u8]>, Acc> = HashMap::new();
    let mut events = 0u64;
    let mut reached = a;
    let mut exact = true;
    let mut last_report = Instant::now();
    // How long etcd may take for its next batch: its first one reads
    // every revision from A on (generous: only a range with no change at
    // all under the prefix waits it out).
    let mut quiet = Duration::from_secs(5)
        + Duration::from_micros(((b - a) as u64).saturating_mul(20)).min(Duration::from_secs(120));
    let mut last_batch = Instant::now();
    let mut longest_gap = Duration::ZERO;
    'read: loop {
        let resp = match tokio::time::timeout(quiet, responses.message()).await {
            Err(_) => {
                exact = false;
                break;
            }
            Ok(Ok(Some(r))) => r,
            Ok(Ok(None)) => return Err(RevisionError::Other("the watch stream ended".into())),
            Ok(Err(e)) => return Err(other(&e)),
        };
        if resp.compact_revision() > 0 {
            return Err(RevisionError::Compacted {
                revision: a,
                oldest: resp.compact_revision(),
            });
        }
        if resp.canceled() {
            return Err(RevisionError::Other(format!(
                "watch canceled: {}",
                resp.cancel_reason()
            )));
        }
        if resp.events().is_empty() {
            continue;
        }
        let gap = last_batch.elapsed();
        last_batch = Instant::now();
        longest_gap = longest_gap.max(gap);
        quiet = Duration::from_secs(1).max(longest_gap * 3);
        let mut revisions = 0usize;
        let mut prev_rev = 0;
        for ev in resp.events() {
            let Some(kv) = ev.kv() else { continue };
            let rev = kv.mod_revision();
            if rev > b {
                break 'read;
            }
            if rev != prev_rev {
                revisions += 1;
                prev_rev = rev;
            }
            events += 1;
            reached = rev;
            let put = ev.event_type() == etcd_client::EventType::Put;
            match keys.get_mut(kv.key()) {
                Some(acc) => {
                    acc.puts += u32::from(put);
                    acc.deletes += u32::from(!put);
                    acc.exists = put;
                    acc.last = rev;
                }
                None => {
                    if keys.len() >= MAX_KEYS {
                        return Err(RevisionError::Other(format!(
                            "more than {MAX_KEYS} keys changed: choose a narrower prefix or range"
                        )));
                    }
                    keys.insert(
                        kv.key().into(),
                        Acc {
                            puts: u32::from(put),
                            deletes: u32::from(!put),
                            // A put that creates the key: it did not exist at A.
                            existed: !put || kv.create_revision() != rev,
                            exists: put,
                            last: rev,
                        },
                    );
                }
            }
        }
        if reached >= b {
            break;
        }
        // A short catching-up batch: etcd marked the watch synced at the
        // response's revision, which is past B.
        let at = resp.header().map(|h| h.revision()).unwrap_or(0);
        if revisions < BATCH_REVISIONS && at >= b {
            break;
        }
        if last_report.elapsed() >= PROGRESS_EVERY {
            last_report = Instant::now();
            let progress = ChangesUpdate::Progress {
                reached,
                events,
                keys: keys.len(),
            };
            if !reports.send(progress).await {
                return Ok(None);
            }
        }
    }
    let mut out: Vec<KeyChange> = keys
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
        .map_err(|e| describe_error(&e))?;
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
