//! Guarded writes: every write is one transaction that applies only if the
//! key is still what the user saw (its `mod_revision`, or absent for a new
//! key). When the guard fails nothing is written and the current value is
//! returned, so the user can review it.

use etcd_client::{
    Client, Compare, CompareOp, DeleteOptions, GetOptions, PutOptions, Txn, TxnOp, TxnOpResponse,
};

use super::types::{Expect, ValueRecord, WriteOutcome};

pub(crate) fn guard(key: &[u8], expect: Expect) -> Compare {
    match expect {
        Expect::ModRevision(rev) => Compare::mod_revision(key.to_vec(), CompareOp::Equal, rev),
        Expect::Absent => Compare::create_revision(key.to_vec(), CompareOp::Equal, 0),
    }
}

/// Puts `value` if the guard holds. `lease`: keep the key on this lease
/// (0: none); `ttl`: grant a new lease of that many seconds instead.
pub async fn put(
    client: &mut Client,
    key: &[u8],
    value: &[u8],
    expect: Expect,
    lease: i64,
    ttl: Option<i64>,
) -> Result<WriteOutcome, crate::etcd::Error> {
    let lease = match ttl {
        Some(ttl) => client.lease_grant(ttl, None).await?.id(),
        None => lease,
    };
    let opts = (lease != 0).then(|| PutOptions::new().with_lease(lease));
    let txn = Txn::new()
        .when(vec![guard(key, expect)])
        .and_then(vec![TxnOp::put(key.to_vec(), value.to_vec(), opts)])
        .or_else(vec![TxnOp::get(key.to_vec(), None)]);
    // Resent only when it surely never reached a server: a write that may
    // have applied is never sent twice.
    let resp = super::retry_unsent(|| {
        let (mut c, txn) = (client.clone(), txn.clone());
        async move { c.txn(txn).await }
    })
    .await?;
    let outcome = outcome(&resp);
    if ttl.is_some() && !matches!(outcome, WriteOutcome::Done { .. }) {
        // The lease we granted holds nothing: give it back.
        let _ = client.lease_revoke(lease).await;
    }
    Ok(outcome)
}

/// Deletes `key` if the guard holds.
pub async fn delete(
    client: &mut Client,
    key: &[u8],
    expect: Expect,
) -> Result<WriteOutcome, crate::etcd::Error> {
    let txn = Txn::new()
        .when(vec![guard(key, expect)])
        .and_then(vec![TxnOp::delete(key.to_vec(), None)])
        .or_else(vec![TxnOp::get(key.to_vec(), None)]);
    let resp = super::retry_unsent(|| {
        let (mut c, txn) = (client.clone(), txn.clone());
        async move { c.txn(txn).await }
    })
    .await?;
    Ok(outcome(&resp))
}

/// Number of keys under `prefix` (one count-only read).
pub async fn count_prefix(
    client: &mut Client,
    prefix: &[u8],
) -> Result<(i64, i64), crate::etcd::Error> {
    let resp = super::retry_read(|| {
        let mut c = client.clone();
        let opts = GetOptions::new().with_prefix().with_count_only();
        async move { c.get(prefix.to_vec(), Some(opts)).await }
    })
    .await?;
    Ok((
        resp.count(),
        resp.header().map(|h| h.revision()).unwrap_or(0),
    ))
}

/// Deletes every key under `prefix` in one range delete: one revision, all
/// or nothing, however many keys. Returns (deleted, revision, previous
/// key-values for the journal — only when there were at most `keep_prev`).
pub async fn delete_prefix(
    client: &mut Client,
    prefix: &[u8],
    keep_prev: i64,
) -> Result<(i64, i64, Vec<ValueRecord>), crate::etcd::Error> {
    // Ask for the previous values only when few enough to journal.
    let (count, _) = count_prefix(client, prefix).await?;
    let mut opts = DeleteOptions::new().with_prefix();
    if count <= keep_prev {
        opts = opts.with_prev_key();
    }
    let resp = super::retry_unsent(|| {
        let (mut c, opts) = (client.clone(), opts.clone());
        async move { c.delete(prefix.to_vec(), Some(opts)).await }
    })
    .await?;
    let revision = resp.header().map(|h| h.revision()).unwrap_or(0);
    let prev = resp.prev_kvs().iter().map(super::record).collect();
    Ok((resp.deleted(), revision, prev))
}

fn outcome(resp: &etcd_client::TxnResponse) -> WriteOutcome {
    let revision = resp.header().map(|h| h.revision()).unwrap_or(0);
    if resp.succeeded() {
        return WriteOutcome::Done { revision };
    }
    let current = resp.op_responses().into_iter().find_map(|op| match op {
        TxnOpResponse::Get(get) => Some(get.kvs().first().map(super::record)),
        _ => None,
    });
    WriteOutcome::Conflict {
        current: current.flatten(),
    }
}

/// Revokes `lease`: every key on it is deleted (a leader steps down).
pub async fn revoke_lease(client: &mut Client, lease: i64) -> Result<(), crate::etcd::Error> {
    super::retry_unsent(|| {
        let mut c = client.clone();
        async move { c.lease_revoke(lease).await.map(|_| ()) }
    })
    .await
}
