//! Reading a long revision range with one watcher per segment, all on one
//! stream (a key's history, `:changes`).
//!
//! etcd serves a catching-up watcher at most `BATCH_REVISIONS` revisions
//! per sync round (every 100 ms), and all catching-up watchers of a round
//! from one read of the revisions from the oldest one's on: K watchers,
//! each from the start of its own segment, bring the range in a K-th of the
//! rounds for the same reads (and later rounds read less).

use etcd_client::{Client, WatchOptions, WatchResponseStream};

/// Revisions etcd sends at most in one catching-up batch; a shorter batch
/// means it marked the watcher synced.
pub(super) const BATCH_REVISIONS: usize = 1000;

/// Cuts revisions `first..=last` into segments of about `span` revisions
/// (at most `max`): their starts, then `last + 1`.
pub(super) fn bounds(first: i64, last: i64, span: i64, max: i64) -> Vec<i64> {
    let len = (last - first + 1).max(1);
    let k = ((len + span - 1) / span).clamp(1, max);
    (0..=k).map(|i| first + len * i / k).collect()
}

/// One stream watching `key` (everything under it when `prefix`) from each
/// start in `starts`, without previous values. etcd answers the creations
/// in order: the n-th `created` response is the n-th start's watcher.
pub(super) async fn open(
    client: &Client,
    key: &[u8],
    prefix: bool,
    starts: &[i64],
) -> Result<(etcd_client::WatchRequestSender, WatchResponseStream), crate::etcd::Error> {
    let opts = |s: i64| {
        let o = WatchOptions::new().with_start_revision(s);
        Some(if prefix { o.with_prefix() } else { o })
    };
    let mut watch_client = client
        .watch_client()
        .max_decoding_message_size(super::connect::MAX_RESPONSE_BYTES);
    let (mut requests, responses) = watch_client
        .watch(key.to_vec(), opts(starts[0]))
        .await?
        .split();
    for &s in &starts[1..] {
        requests.watch(key.to_vec(), opts(s)).await?;
    }
    Ok((requests, responses))
}

#[cfg(test)]
mod tests {
    #[test]
    fn segments_cover_the_range_once() {
        assert_eq!(super::bounds(1, 10, 1000, 16), vec![1, 11]);
        assert_eq!(super::bounds(1, 3000, 1000, 16), vec![1, 1001, 2001, 3001]);
        let b = super::bounds(5, 100_000, 1000, 16);
        assert_eq!((b.len(), b[0], b[16]), (17, 5, 100_001));
        assert!(b.windows(2).all(|w| w[0] < w[1]));
    }
}
