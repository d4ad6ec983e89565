//! Every revision of one key still held by etcd, in one watch request:
//! the key's state at the compaction point (a read at that revision), then
//! a watch of that key alone from the next revision up to now.
//!
//! When the watch is over: for a key that exists, at the event with its
//! current `mod_revision` (exact). For a key deleted now, etcd gives no
//! sign that a catching-up watch has sent everything (progress
//! notifications are not reliable for unsynced watchers before 3.4.24 and
//! 3.5.8, etcd issue #15220): it ends when a progress notification at or
//! past the read's revision arrives after the stream was quiet for
//! `QUIET` — a heuristic, said in `KeyHistory::exact`.

use std::time::Duration;

use etcd_client::{Client, GetOptions, WatchOptions};

use super::segments::{self, BATCH_REVISIONS};
use super::types::{EventKind, ValueRecord, WatchEvent};
use super::{describe_error, record, retry_read};

/// Events kept at most (the oldest beyond are dropped, and said).
pub const MAX_EVENTS: usize = 200_000;
/// Value bytes kept at most over all events (beyond: values dropped).
pub const MAX_BYTES: usize = 256 * 1024 * 1024;
const QUIET: Duration = Duration::from_millis(300);
/// A long history is read by one watcher per this many revisions of the
/// range (at most `MAX_SEGMENTS`), all on one stream (see `segments`).
const SEGMENT_SPAN: i64 = 2000;
const MAX_SEGMENTS: i64 = 16;
const GIVE_UP: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHistory {
    pub key: Vec<u8>,
    /// Oldest first; the first may be the state at the compaction point.
    pub events: Vec<WatchEvent>,
    /// History before this revision is compacted away.
    pub compacted: Option<i64>,
    /// The cluster revision the history reaches.
    pub revision: i64,
    /// The key now (`None`: it does not exist).
    pub current: Option<ValueRecord>,
    /// False when the end was decided by the quiet-stream heuristic.
    pub exact: bool,
    /// Events dropped (memory bounds), oldest first.
    pub dropped: usize,
}

/// The history of `key`.
pub async fn key_history(client: &mut Client, key: &[u8]) -> Result<KeyHistory, String> {
    let now = retry_read(|| {
        let mut c = client.clone();
        async move { c.get(key.to_vec(), None).await }
    })
    .await
    .map_err(|e| describe_error(&e))?;
    let revision = now.header().map(|h| h.revision()).unwrap_or(0);
    let current = now.kvs().first().map(record);
    let mut h = KeyHistory {
        key: key.to_vec(),
        events: Vec::new(),
        compacted: None,
        revision,
        current,
        exact: true,
        dropped: 0,
    };
    // From the first revision; a compacted start tells where history begins.
    let mut start = 1;
    loop {
        match watch_range(client, key, start, &mut h).await? {
            None => return Ok(h),
            Some(compacted) => {
                h.compacted = Some(compacted);
                h.events.clear();
                // The key as it was at the compaction point, if it existed.
                let at = retry_read(|| {
                    let mut c = client.clone();
                    let opts = GetOptions::new().with_revision(compacted);
                    async move { c.get(key.to_vec(), Some(opts)).await }
                })
                .await
                .map_err(|e| describe_error(&e))?;
                if let Some(kv) = at.kvs().first() {
                    let r = record(kv);
                    h.events.push(WatchEvent {
                        kind: EventKind::Put,
                        key: r.key,
                        value: r.value,
                        prev_value: None,
                        mod_revision: r.mod_revision,
                        create_revision: r.create_revision,
                        version: r.version,
                        lease: r.lease,
                    });
                }
                start = compacted + 1;
            }
        }
    }
}

/// Watches `key` from `start`, appending to `h`, until the end (see the
/// module's notes). `Some(c)`: `start` is compacted, history begins at `c`.
async fn watch_range(
    client: &mut Client,
    key: &[u8],
    start: i64,
    h: &mut KeyHistory,
) -> Result<Option<i64>, String> {
    let target = h.current.as_ref().map(|c| c.mod_revision);
    if target.is_some_and(|t| t < start) || start > h.revision {
        return Ok(None); // nothing changed since `start`
    }
    if let Some(t) = target.filter(|t| t - start >= 2 * SEGMENT_SPAN) {
        return watch_segments(client, key, start, t, h).await;
    }
    let opts = WatchOptions::new()
        .with_start_revision(start)
        .with_progress_notify();
    let mut watch_client = client
        .watch_client()
        .max_decoding_message_size(super::connect::MAX_RESPONSE_BYTES);
    let (mut requests, mut responses) = watch_client
        .watch(key.to_vec(), Some(opts))
        .await
        .map_err(|e| describe_error(&e))?
        .split();
    let mut bytes = 0usize;
    let deadline = tokio::time::Instant::now() + GIVE_UP;
    let mut quiet_since = tokio::time::Instant::now();
    let mut asked = false;
    loop {
        let wait = if target.is_none() { QUIET } else { GIVE_UP };
        let next = tokio::time::timeout(wait, responses.message()).await;
        if tokio::time::Instant::now() > deadline {
            return Err("the history did not arrive within 30 s".into());
        }
        let resp = match next {
            Err(_) => {
                // Quiet: ask where the stream is (deleted keys only).
                requests
                    .request_progress()
                    .await
                    .map_err(|e| describe_error(&e))?;
                asked = true;
                continue;
            }
            Ok(Ok(Some(r))) => r,
            Ok(Ok(None)) => return Err("the watch stream ended".into()),
            Ok(Err(e)) => return Err(describe_error(&e)),
        };
        if resp.compact_revision() > 0 {
            return Ok(Some(resp.compact_revision()));
        }
        if resp.canceled() {
            return Err(format!("watch canceled: {}", resp.cancel_reason()));
        }
        if resp.events().is_empty() {
            let at = resp.header().map(|h| h.revision()).unwrap_or(0);
            if !resp.created()
                && asked
                && at >= h.revision
                && quiet_since.elapsed() >= QUIET
                && target.is_none()
            {
                h.exact = false;
                return Ok(None);
            }
            continue;
        }
        quiet_since = tokio::time::Instant::now();
        asked = false;
        for ev in resp.events().iter().filter_map(super::watch::convert) {
            if ev.revision() > h.revision {
                return Ok(None); // past the read: done
            }
            bytes += ev.value.len();
            let done = Some(ev.revision()) == target;
            h.events.push(ev);
            if h.events.len() > MAX_EVENTS || bytes > MAX_BYTES {
                let drop = h.events.len() / 2;
                bytes -= h.events[..drop]
                    .iter()
                    .map(|e| e.value.len())
                    .sum::<usize>();
                h.events.drain(..drop);
                h.dropped += drop;
            }
            if done {
                return Ok(None);
            }
        }
    }
}

/// Watches `key` from `start` to `target` (its current mod revision, so
/// every end is exact) with one watcher per segment of the revision range,
/// all on one stream. etcd serves a catching-up watcher at most 1,000
/// revisions per sync round (every 100 ms), and all catching-up watchers
/// in the same round from one read: segments read in parallel cost the
/// server no more reads and the history comes in a few rounds. A segment
/// ends at its first event at or past the next segment's start, at the
/// target, or at a batch of fewer than 1,000 revisions (etcd marks that
/// watcher synced). `Some(c)`: `start` is compacted, history begins at `c`.
async fn watch_segments(
    client: &mut Client,
    key: &[u8],
    start: i64,
    target: i64,
    h: &mut KeyHistory,
) -> Result<Option<i64>, String> {
    let bounds = segments::bounds(start, target, SEGMENT_SPAN, MAX_SEGMENTS);
    let k = bounds.len() - 1;
    let (mut requests, mut responses) = segments::open(client, key, false, &bounds[..k])
        .await
        .map_err(|e| describe_error(&e))?;
    // Watch ids in the order created: etcd answers creations in order.
    let mut ids: Vec<i64> = Vec::new();
    let mut segments: Vec<Vec<WatchEvent>> = vec![Vec::new(); k];
    let mut done = vec![false; k];
    let (mut events, mut bytes) = (0usize, 0usize);
    let deadline = tokio::time::Instant::now() + GIVE_UP;
    while !done.iter().all(|d| *d) {
        let resp = match tokio::time::timeout_at(deadline, responses.message()).await {
            Err(_) => return Err("the history did not arrive within 30 s".into()),
            Ok(Ok(Some(r))) => r,
            Ok(Ok(None)) => return Err("the watch stream ended".into()),
            Ok(Err(e)) => return Err(describe_error(&e)),
        };
        if resp.compact_revision() > 0 {
            return Ok(Some(resp.compact_revision()));
        }
        if resp.created() {
            ids.push(resp.watch_id());
        }
        let Some(i) = ids.iter().position(|&id| id == resp.watch_id()) else {
            continue;
        };
        if done[i] {
            continue; // its cancellation, or events past its end
        }
        if resp.canceled() {
            return Err(format!("watch canceled: {}", resp.cancel_reason()));
        }
        if resp.events().is_empty() {
            continue;
        }
        let (end, mut revisions, mut previous) = (bounds[i + 1], 0usize, 0i64);
        for ev in resp.events().iter().filter_map(super::watch::convert) {
            if ev.revision() >= end {
                done[i] = true;
                break;
            }
            if ev.revision() != previous {
                revisions += 1;
                previous = ev.revision();
            }
            done[i] |= ev.revision() == target;
            events += 1;
            bytes += ev.value.len();
            segments[i].push(ev);
        }
        done[i] |= revisions < BATCH_REVISIONS;
        if done[i] {
            let _ = requests.cancel(resp.watch_id()).await;
        }
        // Memory bounds: the oldest events go first.
        while events > MAX_EVENTS || bytes > MAX_BYTES {
            let Some(oldest) = segments.iter_mut().find(|s| !s.is_empty()) else {
                break;
            };
            let drop = oldest.len().div_ceil(2);
            bytes -= oldest[..drop].iter().map(|e| e.value.len()).sum::<usize>();
            oldest.drain(..drop);
            events -= drop;
            h.dropped += drop;
        }
    }
    h.events.extend(segments.into_iter().flatten());
    Ok(None)
}
