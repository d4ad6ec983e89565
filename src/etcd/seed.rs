//! Writing keys unguarded, many at a time: the demo's sample data and its
//! background writer (and the tests' fixtures). Not for the user's edits,
//! which are guarded (`write`, `bulk`).

use std::collections::BTreeMap;

use etcd_client::{Client, PutOptions, Txn, TxnOp};

use super::{Connection, Error};

/// etcd's limit of operations per transaction.
pub const TXN_OPS: usize = 128;

/// One key to write (with a lease of `ttl` seconds when given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub key: Vec<u8>,
    pub value: Vec<u8>,
    pub ttl: Option<i64>,
}

/// Writes the items; keys with a TTL share one lease per TTL.
pub async fn load(conn: &Connection, items: Vec<Item>) -> Result<(), Error> {
    let mut client = conn.client.clone();
    let mut leases = BTreeMap::new();
    for ttl in items.iter().filter_map(|i| i.ttl) {
        if let std::collections::btree_map::Entry::Vacant(v) = leases.entry(ttl) {
            v.insert(client.lease_grant(ttl, None).await?.id());
        }
    }
    let ops: Vec<TxnOp> = items
        .into_iter()
        .map(|item| {
            let opts = item
                .ttl
                .map(|ttl| PutOptions::new().with_lease(leases[&ttl]));
            TxnOp::put(item.key, item.value, opts)
        })
        .collect();
    put_batched(&mut client, ops).await
}

/// Runs the operations in transactions of at most `TXN_OPS`.
pub async fn put_batched(client: &mut Client, mut ops: Vec<TxnOp>) -> Result<(), Error> {
    while !ops.is_empty() {
        let rest = ops.split_off(ops.len().min(TXN_OPS));
        client.txn(Txn::new().and_then(ops)).await?;
        ops = rest;
    }
    Ok(())
}

/// Puts `value` at `key`, whatever is there.
pub async fn put(conn: &Connection, key: &[u8], value: &[u8]) -> Result<(), Error> {
    conn.client.clone().put(key, value, None).await?;
    Ok(())
}

/// Deletes `key`, whatever is there.
pub async fn delete(conn: &Connection, key: &[u8]) -> Result<(), Error> {
    conn.client.clone().delete(key, None).await?;
    Ok(())
}
