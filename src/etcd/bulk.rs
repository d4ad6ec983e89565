//! Many keys at once, for import, copy and move: reading a batch of keys
//! in one transaction, and writing a batch in one guarded transaction;
//! for find's "delete all": deleting keys unchanged since a scan.
//!
//! A batch write applies only if every key in it is still as the plan saw
//! it (its `mod_revision`, or absent) and, for a move, every source key is
//! still at the revision that was copied. When one guard fails the batch
//! is sent again key by key, each key with its own guards in its own
//! transaction, so only the changed keys are skipped. A move puts the copy
//! and deletes the source in the same transaction: a source is never
//! deleted unless its copy landed, and an interrupted move leaves every
//! key at its source or at its destination.

use etcd_client::{
    Compare, CompareOp, DeleteOptions, KvClient, PutOptions, Txn, TxnOp, TxnResponse,
};

use super::types::{Expect, ValueRecord};

/// At most this many operations (and compares) in one transaction (etcd's
/// default `--max-txn-ops`).
pub const MAX_TXN_OPS: usize = 128;

/// One key of a batch write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkWrite {
    pub key: Vec<u8>,
    pub value: Vec<u8>,
    /// The target as the plan saw it.
    pub expect: Expect,
    /// False when the target already holds the value (a move still deletes
    /// the source).
    pub put: bool,
    /// A move: the source key and the revision it was copied at; deleted
    /// with the put, only while still at that revision.
    pub source: Option<(Vec<u8>, i64)>,
}

impl BulkWrite {
    /// Operations this write takes in a transaction.
    pub fn ops(&self) -> usize {
        usize::from(self.put) + usize::from(self.source.is_some())
    }
}

/// How one key of a batch ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkOutcome {
    /// Written at `revision`; `prev`: the target's value and lease before
    /// (for the journal); `source_prev`: the deleted source's value.
    Applied {
        revision: i64,
        prev: Option<(Vec<u8>, i64)>,
        source_prev: Option<Vec<u8>>,
    },
    /// A guard failed: the target or the source changed since the plan.
    Changed,
    /// The transaction holding it failed (`error`); `maybe_applied`: it
    /// may have reached the server and applied all the same (a timeout, a
    /// connection lost after sending), else it surely did not.
    Failed { error: String, maybe_applied: bool },
}

/// Key-by-key transactions of one batch in flight at once (after its
/// guard failed).
const SINGLES_IN_FLIGHT: usize = 8;

/// The current state of each key (`None`: absent), in one transaction of
/// gets (at most `MAX_TXN_OPS` keys), and the revision it was read at.
pub async fn get_many(
    kv: &KvClient,
    keys: &[Vec<u8>],
) -> Result<(Vec<Option<ValueRecord>>, i64), crate::etcd::Error> {
    let ops: Vec<TxnOp> = keys.iter().map(|k| TxnOp::get(k.clone(), None)).collect();
    let txn = Txn::new().and_then(ops);
    let resp = super::retry_read(|| {
        let (mut kv, txn) = (kv.clone(), txn.clone());
        async move { kv.txn(txn).await }
    })
    .await?;
    let revision = resp.header().map_or(0, |h| h.revision());
    let found = resp
        .op_responses()
        .into_iter()
        .map(|op| match op {
            etcd_client::TxnOpResponse::Get(g) => g.kvs().first().map(super::record),
            _ => None,
        })
        .collect();
    Ok((found, revision))
}

fn compares(w: &BulkWrite) -> Vec<Compare> {
    let mut c = vec![super::write::guard(&w.key, w.expect)];
    if let Some((src, rev)) = &w.source {
        c.push(Compare::mod_revision(src.clone(), CompareOp::Equal, *rev));
    }
    c
}

fn ops(w: &BulkWrite) -> Vec<TxnOp> {
    let mut ops = Vec::new();
    if w.put {
        ops.push(TxnOp::put(
            w.key.clone(),
            w.value.clone(),
            Some(PutOptions::new().with_prev_key()),
        ));
    }
    if let Some((src, _)) = &w.source {
        ops.push(TxnOp::delete(
            src.clone(),
            Some(DeleteOptions::new().with_prev_key()),
        ));
    }
    ops
}

/// Applies `batch` (at most `MAX_TXN_OPS` operations in all) as one guarded
/// transaction, or key by key when a guard fails; one outcome per key, in
/// order. A transaction that may have reached the server is never sent
/// twice; one that failed makes its keys `Failed`.
pub async fn apply(kv: &KvClient, batch: &[BulkWrite]) -> Vec<BulkOutcome> {
    let failed = |e: &super::Error| BulkOutcome::Failed {
        error: super::describe_error(e),
        maybe_applied: !e.surely_not_applied(),
    };
    match all_or_each(kv, batch, compares, ops).await {
        Ok(Applied::All(resp)) => outcomes(batch, &resp),
        Ok(Applied::Each(each)) => batch
            .iter()
            .zip(each)
            .map(|(w, resp)| match resp {
                Ok(Some(resp)) => outcomes(std::slice::from_ref(w), &resp).remove(0),
                Ok(None) => BulkOutcome::Changed,
                Err(e) => failed(&e),
            })
            .collect(),
        Err(e) => batch.iter().map(|_| failed(&e)).collect(),
    }
}

/// How a batch applied: all in one transaction, or item by item (`None`:
/// that item's guard failed; an error: its transaction failed).
enum Applied {
    All(TxnResponse),
    Each(Vec<Result<Option<TxnResponse>, crate::etcd::Error>>),
}

/// The batch in one transaction of its items' guards and operations; when
/// a guard fails, each item again in its own transaction (at most
/// `SINGLES_IN_FLIGHT` at once), every one of them sent even when another
/// fails, so what applied is known key by key.
async fn all_or_each<T: Sync>(
    kv: &KvClient,
    batch: &[T],
    compares: impl Fn(&T) -> Vec<Compare> + Sync,
    ops: impl Fn(&T) -> Vec<TxnOp> + Sync,
) -> Result<Applied, crate::etcd::Error> {
    let send = |txn: Txn| {
        super::retry_unsent(move || {
            let (mut kv, txn) = (kv.clone(), txn.clone());
            async move { kv.txn(txn).await }
        })
    };
    let txn = Txn::new()
        .when(batch.iter().flat_map(&compares).collect::<Vec<_>>())
        .and_then(batch.iter().flat_map(&ops).collect::<Vec<_>>());
    let resp = send(txn).await?;
    if resp.succeeded() {
        return Ok(Applied::All(resp));
    }
    use futures::stream::{FuturesOrdered, StreamExt};
    // Boxed: a stream of borrowing futures is not `Send` for every lifetime.
    let mut singles = batch.iter().map(|w| {
        let txn = Txn::new().when(compares(w)).and_then(ops(w));
        let single: futures::future::BoxFuture<'_, _> = Box::pin(async move {
            let resp = send(txn).await?;
            Ok::<_, crate::etcd::Error>(resp.succeeded().then_some(resp))
        });
        single
    });
    let mut running = FuturesOrdered::new();
    let mut each = Vec::with_capacity(batch.len());
    loop {
        while running.len() < SINGLES_IN_FLIGHT {
            match singles.next() {
                Some(f) => running.push_back(f),
                None => break,
            }
        }
        match running.next().await {
            Some(r) => each.push(r),
            None => break,
        }
    }
    Ok(Applied::Each(each))
}

/// A deleted key's value and lease before its delete (when asked for).
pub type Before = Option<(Vec<u8>, i64)>;

/// What deleting keys unchanged since a scan did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeletedUnchanged {
    /// Keys deleted, each with the revision of its delete and (when asked
    /// for) its value and lease before.
    pub deleted: Vec<(Vec<u8>, i64, Before)>,
    /// Keys that changed (or vanished) since: left alone.
    pub skipped: Vec<Vec<u8>>,
    /// Why it stopped before the end (what was deleted stays deleted).
    pub error: Option<String>,
}

/// Deletes each `(key, mod_revision)` only while the key is still at that
/// revision, in transactions of at most `MAX_TXN_OPS` keys; a batch whose
/// guard fails is sent again key by key, so only the changed keys are
/// skipped. `prev`: return each deleted key's value and lease.
pub async fn delete_unchanged(
    kv: &KvClient,
    keys: &[(Vec<u8>, i64)],
    prev: bool,
) -> DeletedUnchanged {
    let mut done = DeletedUnchanged::default();
    let guard = |(k, rev): &(Vec<u8>, i64)| vec![super::write::guard(k, Expect::ModRevision(*rev))];
    let del = |(k, _): &(Vec<u8>, i64)| {
        vec![TxnOp::delete(
            k.clone(),
            prev.then(|| DeleteOptions::new().with_prev_key()),
        )]
    };
    for batch in keys.chunks(MAX_TXN_OPS) {
        let each: Vec<Result<Option<TxnResponse>, crate::etcd::Error>> =
            match all_or_each(kv, batch, guard, del).await {
                Ok(Applied::All(resp)) => {
                    let revision = resp.header().map_or(0, |h| h.revision());
                    let prevs = deleted_prevs(&resp);
                    for (i, (k, _)) in batch.iter().enumerate() {
                        let p = prevs.get(i).cloned().flatten();
                        done.deleted.push((k.clone(), revision, p));
                    }
                    continue;
                }
                Ok(Applied::Each(each)) => each,
                Err(e) => {
                    done.error = Some(super::describe_write_error(&e));
                    return done;
                }
            };
        for ((k, _), resp) in batch.iter().zip(each) {
            match resp {
                Ok(Some(resp)) => {
                    let revision = resp.header().map_or(0, |h| h.revision());
                    let p = deleted_prevs(&resp).pop().flatten();
                    done.deleted.push((k.clone(), revision, p));
                }
                Ok(None) => done.skipped.push(k.clone()),
                Err(e) => {
                    done.error
                        .get_or_insert_with(|| super::describe_write_error(&e));
                }
            }
        }
        if done.error.is_some() {
            return done;
        }
    }
    done
}

/// The previous value and lease of each delete in a transaction's answer.
fn deleted_prevs(resp: &TxnResponse) -> Vec<Before> {
    resp.op_responses()
        .into_iter()
        .map(|op| match op {
            etcd_client::TxnOpResponse::Delete(d) => d
                .prev_kvs()
                .first()
                .map(|kv| (kv.value().to_vec(), kv.lease())),
            _ => None,
        })
        .collect()
}

fn outcomes(batch: &[BulkWrite], resp: &etcd_client::TxnResponse) -> Vec<BulkOutcome> {
    let revision = resp.header().map_or(0, |h| h.revision());
    let mut responses = resp.op_responses().into_iter();
    batch
        .iter()
        .map(|w| {
            let mut prev = None;
            let mut source_prev = None;
            if w.put {
                if let Some(etcd_client::TxnOpResponse::Put(p)) = responses.next() {
                    prev = p.prev_key().map(|kv| (kv.value().to_vec(), kv.lease()));
                }
            }
            if w.source.is_some() {
                if let Some(etcd_client::TxnOpResponse::Delete(d)) = responses.next() {
                    source_prev = d.prev_kvs().first().map(|kv| kv.value().to_vec());
                }
            }
            BulkOutcome::Applied {
                revision,
                prev,
                source_prev,
            }
        })
        .collect()
}
