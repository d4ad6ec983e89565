//! Leases: every lease with its TTLs and how many keys it holds, one
//! lease's keys, one keep-alive.

use etcd_client::{Client, LeaseTimeToLiveOptions};
use futures::stream::{self, StreamExt};

/// Leases asked about at once.
const CONCURRENCY: usize = 16;

/// One lease as etcd reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseInfo {
    pub id: i64,
    /// The TTL it was granted (seconds).
    pub granted: i64,
    /// Seconds left when asked.
    pub ttl: i64,
    /// Keys attached to it.
    pub keys: u64,
}

/// Every live lease (one that expires between the list and its own
/// question is left out).
pub async fn list(client: &mut Client) -> Result<Vec<LeaseInfo>, crate::etcd::Error> {
    let ids: Vec<i64> = super::retry_read(|| {
        let mut c = client.clone();
        async move { c.leases().await }
    })
    .await?
    .leases()
    .iter()
    .map(|l| l.id())
    .collect();
    let asks = ids.into_iter().map(|id| {
        let mut c = client.clone();
        async move { info(&mut c, id).await.map(|i| i.map(|(info, _)| info)) }
    });
    let answers: Vec<_> = stream::iter(asks)
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut out = Vec::new();
    for a in answers {
        if let Some(info) = a? {
            out.push(info);
        }
    }
    Ok(out)
}

/// A lease and the keys attached to it.
pub type LeaseKeys = (LeaseInfo, Vec<Vec<u8>>);

/// One lease and its keys; `None` when it does not exist (any more).
pub async fn info(client: &mut Client, id: i64) -> Result<Option<LeaseKeys>, crate::etcd::Error> {
    let r = super::retry_read(|| {
        let mut c = client.clone();
        async move {
            c.lease_time_to_live(id, Some(LeaseTimeToLiveOptions::new().with_keys()))
                .await
        }
    })
    .await?;
    if r.ttl() < 0 {
        return Ok(None);
    }
    let keys: Vec<Vec<u8>> = r.keys().to_vec();
    Ok(Some((
        LeaseInfo {
            id,
            granted: r.granted_ttl(),
            ttl: r.ttl(),
            keys: keys.len() as u64,
        },
        keys,
    )))
}

/// Refreshes the lease now (two keep-alives on one stream: the one that
/// opens it and one whose answer tells the TTL); returns its new TTL (0: it
/// no longer exists).
pub async fn keep_alive_once(client: &mut Client, id: i64) -> Result<i64, crate::etcd::Error> {
    // Opening the stream sends a keep-alive and reads its answer (which
    // etcd-client keeps to itself); one more tells the TTL it set.
    let (mut keeper, mut stream) = match client.lease_keep_alive(id).await {
        Ok(pair) => pair,
        Err(etcd_client::Error::LeaseKeepAliveError(_)) => return Ok(0),
        Err(e) => return Err(e.into()),
    };
    keeper.keep_alive().await?;
    Ok(stream.message().await?.map(|r| r.ttl()).unwrap_or(0))
}
