//! Fetching one key's value and metadata.

use etcd_client::KvClient;

use super::types::ValueRecord;

/// Fetches `key` (as it was at revision `at`; 0: now); `Ok(None)` when it
/// does not exist. Returns the cluster revision of the read too.
pub async fn fetch_value(
    client: &mut etcd_client::Client,
    key: &[u8],
    at: i64,
) -> Result<(Option<ValueRecord>, i64), crate::etcd::Error> {
    let kv: KvClient = client
        .kv_client()
        .max_decoding_message_size(super::connect::MAX_RESPONSE_BYTES);
    let opts = (at > 0).then(|| etcd_client::GetOptions::new().with_revision(at));
    let resp = super::retry_read(|| {
        let (mut kv, opts) = (kv.clone(), opts.clone());
        async move { kv.get(key.to_vec(), opts).await }
    })
    .await?;
    let revision = resp.header().map(|h| h.revision()).unwrap_or(0);
    let Some(found) = resp.kvs().first() else {
        return Ok((None, revision));
    };
    let mut record = super::record(found);
    // A lease's TTL now says nothing about the key at a past revision.
    if record.lease != 0 && at == 0 {
        // A failure here only loses the TTL, not the value.
        record.lease_ttl = client
            .lease_time_to_live(record.lease, None)
            .await
            .ok()
            .map(|r| r.ttl());
    }
    Ok((Some(record), revision))
}

/// `key`'s value as it was at `revision` (0: now; `None`: it did not exist
/// then).
pub async fn fetch_at(
    client: &mut etcd_client::Client,
    key: &[u8],
    revision: i64,
) -> Result<Option<Vec<u8>>, crate::etcd::Error> {
    let kv: KvClient = client
        .kv_client()
        .max_decoding_message_size(super::connect::MAX_RESPONSE_BYTES);
    let resp = super::retry_read(|| {
        let mut kv = kv.clone();
        let opts = etcd_client::GetOptions::new().with_revision(revision);
        async move { kv.get(key.to_vec(), Some(opts)).await }
    })
    .await?;
    Ok(resp.kvs().first().map(|kv| kv.value().to_vec()))
}

/// Whether any key is left under `prefix` (a keys-only read of one key).
pub async fn any_under(
    client: &mut etcd_client::Client,
    prefix: &[u8],
) -> Result<bool, crate::etcd::Error> {
    let resp = super::retry_read(|| {
        let mut c = client.clone();
        let opts = etcd_client::GetOptions::new()
            .with_prefix()
            .with_keys_only()
            .with_limit(1);
        async move { c.get(prefix.to_vec(), Some(opts)).await }
    })
    .await?;
    Ok(!resp.kvs().is_empty())
}
