//! Revisions: the oldest one etcd still holds (its compaction point) and
//! whether a revision can be read.
//!
//! etcd does not say its compaction point in any status reply. Two cheap
//! requests find it: a read of one key at revision 1 (it fails when
//! anything was compacted), then a watch of one key from revision 1, which
//! etcd cancels at once, naming the compaction revision. Neither walks any
//! history.

use std::time::Duration;

use etcd_client::{Client, GetOptions, WatchOptions};

use super::{describe_error, retry_read};

/// How long the cancelling answer to the probe watch may take (etcd sends
/// it from its next watcher sync, every 100 ms).
const PROBE_WAIT: Duration = Duration::from_secs(5);

/// Why a revision cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevisionError {
    /// `revision` is compacted away; `oldest` is the oldest one held.
    Compacted {
        revision: i64,
        oldest: i64,
    },
    /// `revision` is not written yet; `current` is the newest.
    Future {
        revision: i64,
        current: i64,
    },
    Other(String),
}

/// Which revision to go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevisionSpec {
    At(i64),
    /// This many revisions before the current one.
    Ago(i64),
    Now,
}

/// Whether etcd's error says the revision was compacted.
pub fn is_compacted(e: &crate::etcd::Error) -> bool {
    e.is_compacted()
}

fn is_future(e: &crate::etcd::Error) -> bool {
    e.is_future_revision()
}

/// The key the probes read: one the user may read (the prefix browsed; a
/// user limited to a prefix is refused a read of any other key), or `\0`
/// for the whole keyspace.
fn probe_key(prefix: &[u8]) -> Vec<u8> {
    if prefix.is_empty() {
        vec![0]
    } else {
        prefix.to_vec()
    }
}

/// A read of one key (`prefix`'s, see [`probe_key`]) at `revision` (0:
/// now): the cluster revision it saw.
pub(super) async fn probe_read(
    client: &mut Client,
    prefix: &[u8],
    revision: i64,
) -> Result<i64, crate::etcd::Error> {
    let key = probe_key(prefix);
    let resp = retry_read(|| {
        let mut c = client.clone();
        let mut opts = GetOptions::new().with_keys_only().with_count_only();
        if revision > 0 {
            opts = opts.with_revision(revision);
        }
        let key = key.clone();
        async move { c.get(key, Some(opts)).await }
    })
    .await?;
    Ok(resp.header().map(|h| h.revision()).unwrap_or(0))
}

/// The oldest revision etcd still holds: 1 when nothing was compacted, else
/// the compaction revision (readable; everything before it is gone).
/// `prefix`: one the user may read (see [`probe_key`]).
pub async fn oldest_revision(client: &mut Client, prefix: &[u8]) -> Result<i64, String> {
    match probe_read(client, prefix, 1).await {
        Ok(_) => return Ok(1),
        Err(e) if is_compacted(&e) => {}
        Err(e) => return Err(describe_error(&e)),
    }
    // Revision 1 is compacted, so a watch from it is cancelled at once
    // with the compaction revision (nothing is replayed).
    let opts = WatchOptions::new().with_start_revision(1);
    let (_requests, mut responses) = client
        .watch_client()
        .watch(probe_key(prefix), Some(opts))
        .await
        .map_err(|e| describe_error(&e))?
        .split();
    let wait = async {
        loop {
            match responses.message().await {
                Ok(Some(r)) if r.compact_revision() > 0 => return Ok(r.compact_revision()),
                Ok(Some(r)) if r.canceled() => {
                    return Err(format!("watch canceled: {}", r.cancel_reason()))
                }
                Ok(Some(_)) => continue,
                Ok(None) => return Err("the watch stream ended".to_string()),
                Err(e) => return Err(describe_error(&e)),
            }
        }
    };
    tokio::time::timeout(PROBE_WAIT, wait)
        .await
        .unwrap_or_else(|_| Err("no compaction revision within 5 s".into()))
}

/// Resolves `spec` against the current revision and checks that etcd can
/// still read it (probing `prefix`, which the user may read). Returns
/// (the revision, the current revision).
pub async fn check(
    client: &mut Client,
    prefix: &[u8],
    spec: RevisionSpec,
) -> Result<(i64, i64), RevisionError> {
    let current = probe_read(client, prefix, 0)
        .await
        .map_err(|e| RevisionError::Other(describe_error(&e)))?;
    let revision = match spec {
        RevisionSpec::Now => return Ok((current, current)),
        RevisionSpec::At(r) => r,
        RevisionSpec::Ago(n) => current - n,
    };
    if revision < 1 {
        return Err(RevisionError::Other(format!(
            "revision {revision} does not exist: revisions start at 1 (now {current})"
        )));
    }
    match probe_read(client, prefix, revision).await {
        Ok(_) => Ok((revision, current)),
        Err(e) if is_compacted(&e) => match oldest_revision(client, prefix).await {
            Ok(oldest) => Err(RevisionError::Compacted { revision, oldest }),
            Err(e) => Err(RevisionError::Other(e)),
        },
        Err(e) if is_future(&e) => Err(RevisionError::Future { revision, current }),
        Err(e) => Err(RevisionError::Other(describe_error(&e))),
    }
}
