//! Reads for the Kubernetes resource table: the keys under a prefix page by
//! page (keys only), and the values of a run of consecutive keys (the rows
//! on screen) in one range read.

use super::lister::prefix_end;

/// Keys read per page of the resources view (keys only).
pub const PAGE_KEYS: i64 = 500;

/// Up to `limit` keys under `prefix` after `after` (from the start when
/// `None`), in order, and whether more follow. Keys only. (etcd walks the
/// rest of the range to count it, whatever the limit.)
pub async fn list_keys(
    client: &mut etcd_client::Client,
    prefix: &[u8],
    after: Option<&[u8]>,
    limit: i64,
) -> Result<(Vec<Vec<u8>>, bool), crate::etcd::Error> {
    let start = match after {
        Some(k) => [k, &[0]].concat(),
        None => prefix.to_vec(),
    };
    let end = prefix_end(prefix).unwrap_or_else(|| vec![0]);
    let resp = super::retry_read(|| {
        let mut c = client.clone();
        let opts = etcd_client::GetOptions::new()
            .with_range(end.clone())
            .with_keys_only()
            .with_limit(limit);
        let start = start.clone();
        async move { c.get(start, Some(opts)).await }
    })
    .await?;
    let keys = resp.kvs().iter().map(|kv| kv.key().to_vec()).collect();
    Ok((keys, resp.more()))
}

/// The keys and values from `first` to `last` (both included).
pub async fn read_run(
    client: &mut etcd_client::Client,
    first: &[u8],
    last: &[u8],
) -> Result<Vec<(Vec<u8>, Vec<u8>)>, crate::etcd::Error> {
    let end = [last, &[0]].concat();
    let resp = super::retry_read(|| {
        let mut c = client
            .kv_client()
            .max_decoding_message_size(super::connect::MAX_RESPONSE_BYTES);
        let opts = etcd_client::GetOptions::new().with_range(end.clone());
        let first = first.to_vec();
        async move { c.get(first, Some(opts)).await }
    })
    .await?;
    Ok(resp
        .kvs()
        .iter()
        .map(|kv| (kv.key().to_vec(), kv.value().to_vec()))
        .collect())
}
