//! Fetching one key's value and metadata.

use etcd_client::KvClient;

use super::types::ValueRecord;

/// Fetches `key`; `Ok(None)` when it does not exist. Returns the cluster
/// revision of the read too.
pub async fn fetch_value(
    client: &mut etcd_client::Client,
    key: &[u8],
) -> Result<(Option<ValueRecord>, i64), etcd_client::Error> {
    let kv: KvClient = client
        .kv_client()
        .max_decoding_message_size(super::connect::MAX_RESPONSE_BYTES);
    let resp = super::retry_unsent(|| {
        let mut kv = kv.clone();
        async move { kv.get(key.to_vec(), None).await }
    })
    .await?;
    let revision = resp.header().map(|h| h.revision()).unwrap_or(0);
    let Some(found) = resp.kvs().first() else {
        return Ok((None, revision));
    };
    let mut record = super::record(found);
    if record.lease != 0 {
        // A failure here only loses the TTL, not the value.
        record.lease_ttl = client
            .lease_time_to_live(record.lease, None)
            .await
            .ok()
            .map(|r| r.ttl());
    }
    Ok((Some(record), revision))
}
