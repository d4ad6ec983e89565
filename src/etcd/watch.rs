//! The watch task: follows a prefix from a revision on, forever.
//!
//! etcd-client's watch stream neither reconnects nor resumes by itself, so
//! this task does: it tracks the last revision it has seen and, when the
//! stream breaks or goes silent, opens a new one from that revision + 1
//! (through the balanced channel, so another endpoint when one is down),
//! with exponential backoff. A silent stream is probed with progress
//! requests, so a dead connection is noticed within a few seconds. When the
//! resume revision has been compacted, the missed range is reported as a
//! gap and watching carries on from the current revision.

use std::time::{Duration, Instant};

use super::types::{EventKind, WatchEvent, WatchStatus};
use super::{describe_error, Reports};
use crate::record::Recorder;
use etcd_client::{Client, EventType, GetOptions, WatchOptions};

/// Ask for progress after this much silence...
const PROBE_AFTER: Duration = Duration::from_secs(2);
/// ...and give the stream up when nothing at all arrived for this long. A
/// watch far behind can wait many seconds for etcd's next batch, and
/// dropping it then would restart that work: a killed member closes the
/// connection at once anyway, and HTTP/2 keep-alive (10 s + 5 s) catches
/// a silent one.
const DEAD_AFTER: Duration = Duration::from_secs(15);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// What a watch reports.
#[derive(Debug)]
pub enum WatchUpdate {
    /// Connected (from a revision, to a member) or reconnecting.
    Status(WatchStatus),
    /// Everything up to `revision` was delivered.
    Progress { revision: i64 },
    Events {
        events: Vec<WatchEvent>,
        /// Cluster revision of the response.
        revision: i64,
        at: Instant,
    },
    /// Revisions `from..=to` were compacted before the watch could resume.
    Gap { from: i64, to: i64, compacted: i64 },
    /// Writing the `--record` file failed (reported once).
    RecordFailed { what: String, error: String },
}

pub struct WatchSpec {
    /// Names the watch in logs (the UI's epoch).
    pub epoch: u64,
    pub prefix: Vec<u8>,
    /// First revision to deliver.
    pub start_revision: i64,
}

enum Ended {
    /// The start revision was compacted away (etcd's compact revision).
    Compacted(i64),
    Failed(String),
    /// The UI is gone.
    Closed,
}

pub async fn run<M: Send>(
    client: Client,
    spec: WatchSpec,
    msgs: Reports<WatchUpdate, M>,
    mut recorder: Option<Recorder>,
) {
    let epoch = spec.epoch;
    let mut next = spec.start_revision;
    let mut attempt = 0u32;
    loop {
        let mut client = client.clone();
        match watch_once(
            &mut client,
            &spec.prefix,
            epoch,
            &mut next,
            &msgs,
            &mut recorder,
            &mut attempt,
        )
        .await
        {
            Ended::Closed => return,
            Ended::Compacted(compacted) => {
                // History before `compacted` is gone: continue from now,
                // and let the UI re-list what it shows.
                let now = match current_revision(&mut client, &spec.prefix).await {
                    Ok(rev) => rev,
                    Err(e) => {
                        if !report_failure(&msgs, epoch, &mut attempt, e).await {
                            return;
                        }
                        continue;
                    }
                };
                let from = next;
                next = now + 1;
                tracing::warn!(
                    epoch,
                    from,
                    to = now,
                    compacted,
                    "watch history compacted: revisions missed"
                );
                if let Some(r) = &mut recorder {
                    r.gap(from, now);
                    if let Some((what, error)) = r.new_error() {
                        msgs.send(WatchUpdate::RecordFailed { what, error }).await;
                    }
                }
                let gap = WatchUpdate::Gap {
                    from,
                    to: now,
                    compacted,
                };
                if !msgs.send(gap).await {
                    return;
                }
            }
            Ended::Failed(error) => {
                if !report_failure(&msgs, epoch, &mut attempt, error).await {
                    return;
                }
            }
        }
    }
}

/// Reports the failure and waits out the backoff; false when the UI is gone.
async fn report_failure<M: Send>(
    msgs: &Reports<WatchUpdate, M>,
    epoch: u64,
    attempt: &mut u32,
    error: String,
) -> bool {
    *attempt += 1;
    tracing::warn!(epoch, attempt = *attempt, %error, "watch broke; reconnecting");
    let status = WatchStatus::Reconnecting {
        attempt: *attempt,
        error,
    };
    if !msgs.send(WatchUpdate::Status(status)).await {
        return false;
    }
    let backoff = Duration::from_millis(100 * 2u64.saturating_pow(*attempt - 1)).min(MAX_BACKOFF);
    tokio::time::sleep(backoff).await;
    true
}

/// The cluster's current revision, from a cheap read.
pub async fn current_revision(client: &mut Client, prefix: &[u8]) -> Result<i64, String> {
    let key = if prefix.is_empty() {
        vec![0]
    } else {
        prefix.to_vec()
    };
    let resp = client
        .get(key, Some(GetOptions::new().with_keys_only().with_limit(1)))
        .await
        .map_err(|e| describe_error(&e))?;
    Ok(resp.header().map(|h| h.revision()).unwrap_or(0))
}

async fn watch_once<M: Send>(
    client: &mut Client,
    prefix: &[u8],
    epoch: u64,
    next: &mut i64,
    msgs: &Reports<WatchUpdate, M>,
    recorder: &mut Option<Recorder>,
    attempt: &mut u32,
) -> Ended {
    let opts = WatchOptions::new()
        .with_prefix()
        .with_progress_notify()
        .with_start_revision(*next);
    // One response carries many revisions' events (with previous values)
    // when the watch catches up: far over tonic's 4 MiB default, which would
    // fail the stream again at every resume.
    let mut watch_client = client
        .watch_client()
        .max_decoding_message_size(super::connect::MAX_RESPONSE_BYTES);
    let stream =
        match tokio::time::timeout(DEAD_AFTER, watch_client.watch(prefix.to_vec(), Some(opts)))
            .await
        {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return Ended::Failed(describe_error(&e)),
            Err(_) => return Ended::Failed("no answer to the watch request".into()),
        };
    let (mut requests, mut responses) = stream.split();
    let mut last_heard = Instant::now();
    let mut probed = false;
    let mut probe = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            resp = responses.message() => {
                let resp = match resp {
                    Ok(Some(r)) => r,
                    Ok(None) => return Ended::Failed("the watch stream ended".into()),
                    Err(e) => return Ended::Failed(describe_error(&e)),
                };
                last_heard = Instant::now();
                probed = false;
                if resp.compact_revision() > 0 {
                    return Ended::Compacted(resp.compact_revision());
                }
                if resp.canceled() {
                    let reason = resp.cancel_reason();
                    return Ended::Failed(if reason.is_empty() { "watch canceled by the server".into() } else { reason.to_string() });
                }
                if !resp.events().is_empty() {
                    // Back off afresh only once the stream really delivers.
                    *attempt = 0;
                }
                if resp.created() {
                    // Reconnected: the next failure backs off afresh.
                    *attempt = 0;
                    tracing::info!(epoch, from = *next, member = resp.header().map(|h| h.member_id()).unwrap_or(0), "watching");
                    let member_id = resp.header().map(|h| h.member_id()).unwrap_or(0);
                    let status = WatchStatus::Watching { from: *next, member_id };
                    if !msgs.send(WatchUpdate::Status(status)).await {
                        return Ended::Closed;
                    }
                }
                let revision = resp.header().map(|h| h.revision()).unwrap_or(0);
                let events: Vec<WatchEvent> = resp.events().iter().filter_map(convert).collect();
                // Only events move the resume point. A progress notification
                // would too in principle, but etcd before 3.4.24 may answer a
                // progress request with the current revision while this
                // watcher still catches up (etcd issue #15220): trusting it
                // could skip events on the next resume.
                if let Some(last) = events.last() {
                    *next = last.revision() + 1;
                }
                if events.is_empty() {
                    if !msgs.send(WatchUpdate::Progress { revision }).await {
                        return Ended::Closed;
                    }
                    continue;
                }
                if let Some(r) = recorder.as_mut() {
                    r.events(&events);
                    if let Some((what, error)) = r.new_error() {
                        msgs.send(WatchUpdate::RecordFailed { what, error }).await;
                    }
                }
                let update = WatchUpdate::Events { events, revision, at: Instant::now() };
                if !msgs.send(update).await {
                    return Ended::Closed;
                }
            }
            _ = probe.tick() => {
                let silent = last_heard.elapsed();
                if silent > DEAD_AFTER {
                    return Ended::Failed(format!("no answer from the cluster for {}s", silent.as_secs()));
                }
                if silent > PROBE_AFTER && !probed {
                    probed = true;
                    if let Err(e) = requests.request_progress().await {
                        return Ended::Failed(describe_error(&e));
                    }
                    // etcd 3.5.30 leaves a progress request unanswered while
                    // the watch starts past the cluster's revision (nothing
                    // written since): the cluster's revision says whether
                    // anything could have been missed at all.
                    let read = tokio::time::timeout(PROBE_AFTER, current_revision(client, prefix)).await;
                    if let Ok(Ok(rev)) = read {
                        if rev < *next {
                            last_heard = Instant::now();
                            probed = false;
                        }
                    }
                }
            }
        }
    }
}

pub(super) fn convert(ev: &etcd_client::Event) -> Option<WatchEvent> {
    let kv = ev.kv()?;
    Some(WatchEvent {
        kind: match ev.event_type() {
            EventType::Put => EventKind::Put,
            EventType::Delete => EventKind::Delete,
        },
        key: kv.key().to_vec(),
        value: kv.value().to_vec(),
        prev_value: ev.prev_kv().map(|p| p.value().to_vec()),
        mod_revision: kv.mod_revision(),
        create_revision: kv.create_revision(),
        version: kv.version(),
        lease: kv.lease(),
    })
}
