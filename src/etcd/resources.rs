//! Reads for the Kubernetes resource table: the keys under a prefix page by
//! page (keys only; from a `RangeStream` on etcd 3.7, which does not walk
//! the rest of the directory for every page), and the values of a run of
//! consecutive keys (the rows on screen) in one range read.

use super::lister::prefix_end;

/// Keys read per page of the resources view (keys only).
pub const PAGE_KEYS: i64 = 500;

/// A page of keys: in order, whether more follow, and whether etcd's
/// `RangeStream` served it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPage {
    pub keys: Vec<Vec<u8>>,
    pub more: bool,
    pub streamed: bool,
}

/// Up to `limit` keys under `prefix` after `after` (from the start when
/// `None`), keys only: from a `RangeStream` where etcd has one (3.7), else
/// by one range read.
pub async fn list_keys(
    client: &mut etcd_client::Client,
    prefix: &[u8],
    after: Option<&[u8]>,
    limit: i64,
) -> Result<KeyPage, crate::etcd::Error> {
    let (start, end) = page_range(prefix, after);
    if let Some((keys, more)) = streamed_page(client, &start, &end, limit).await {
        return Ok(KeyPage {
            keys,
            more,
            streamed: true,
        });
    }
    list_keys_unary(client, prefix, after, limit).await
}

/// Like [`list_keys`], always by one range read with a limit (etcd walks
/// every key from the cursor to the range's end to count them, whatever
/// the limit: paging a directory this way walks it again for every page).
pub async fn list_keys_unary(
    client: &mut etcd_client::Client,
    prefix: &[u8],
    after: Option<&[u8]>,
    limit: i64,
) -> Result<KeyPage, crate::etcd::Error> {
    let (start, end) = page_range(prefix, after);
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
    Ok(KeyPage {
        keys: resp.kvs().iter().map(|kv| kv.key().to_vec()).collect(),
        more: resp.more(),
        streamed: false,
    })
}

/// Where a page starts (just after `after`) and the prefix's range end.
fn page_range(prefix: &[u8], after: Option<&[u8]>) -> (Vec<u8>, Vec<u8>) {
    let start = match after {
        Some(k) => [k, &[0]].concat(),
        None => prefix.to_vec(),
    };
    (start, prefix_end(prefix).unwrap_or_else(|| vec![0]))
}

/// A page read from a `RangeStream` (etcd 3.7) dropped once it has given
/// one key more than the page: etcd reads a stream's chunks (10 keys, then
/// twice as many each time) without counting the rest of the range, so a
/// page costs about its own keys. `None` when no stream can be had (etcd
/// before 3.7 answers `Unimplemented`) or it fails on the way: the caller
/// reads the page by one range read, which also words any error.
async fn streamed_page(
    client: &etcd_client::Client,
    start: &[u8],
    end: &[u8],
    limit: i64,
) -> Option<(Vec<Vec<u8>>, bool)> {
    let limit = usize::try_from(limit).ok().filter(|&l| l > 0)?;
    let mut kv = client.kv_client();
    let opts = etcd_client::GetOptions::new()
        .with_range(end.to_vec())
        .with_keys_only();
    let failed = |e: etcd_client::Error| super::stream::failed(&e.into());
    let mut stream = kv
        .get_stream(start.to_vec(), Some(opts))
        .await
        .map_err(failed)
        .ok()?;
    let mut keys = Vec::with_capacity(limit + 1);
    while keys.len() <= limit {
        match stream.message().await.map_err(failed).ok()? {
            Some(chunk) => keys.extend(chunk.kvs().iter().map(|kv| kv.key().to_vec())),
            None => break,
        }
    }
    // Dropping the stream cancels it: etcd stops at its next chunk.
    drop(stream);
    let more = keys.len() > limit;
    keys.truncate(limit);
    Some((keys, more))
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
