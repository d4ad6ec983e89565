//! Elections as Go's `concurrency.Election` runs them: candidates are keys
//! `<name>/<lease id in hex>` whose value is the proposal; the key with the
//! lowest create revision leads.
//!
//! - `follow` keeps an election's candidate list current (list, then watch,
//!   re-listing after any failure) and asks for lease TTLs every second.
//! - `campaign` campaigns through etcd's own election service (v3election,
//!   the same Go code `etcdctl elect` uses), so etcdlens and Go candidates
//!   queue together.

use std::collections::BTreeMap;
use std::time::Duration;

use etcd_client::{Client, EventType, GetOptions, LeaderKey, ResignOptions, WatchOptions};

use super::types::{Candidate, ElectionSnapshot};
use super::{describe_error, Reports};

/// Keys read per election (an election has a handful of candidates).
const MAX_CANDIDATES: i64 = 1000;
const TTL_REFRESH: Duration = Duration::from_secs(1);
/// Lease TTLs asked for each refresh (the leader and the next in line
/// matter most).
const TTL_LOOKUPS: usize = 10;

/// The prefix of an election's keys.
pub fn prefix(name: &[u8]) -> Vec<u8> {
    let mut p = name.to_vec();
    p.push(b'/');
    p
}

/// Follows election `name` until aborted, sending a snapshot after every
/// change and every TTL refresh.
/// What following an election reports: its candidates now, or why not.
pub type ElectionReport = Result<ElectionSnapshot, String>;

pub async fn follow<M: Send>(client: Client, name: Vec<u8>, msgs: Reports<ElectionReport, M>) {
    let mut backoff = Duration::from_millis(200);
    loop {
        let error = follow_once(client.clone(), &name, &msgs).await;
        let Some(error) = error else { return };
        if !msgs.send(Err(error)).await {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// One list-then-watch pass; `None` when the UI is gone.
async fn follow_once<M: Send>(
    mut client: Client,
    name: &[u8],
    msgs: &Reports<ElectionReport, M>,
) -> Option<String> {
    let prefix = prefix(name);
    let opts = GetOptions::new().with_prefix().with_limit(MAX_CANDIDATES);
    let resp = match client.get(prefix.clone(), Some(opts)).await {
        Ok(r) => r,
        Err(e) => return Some(describe_error(&e)),
    };
    let mut revision = resp.header().map(|h| h.revision()).unwrap_or(0);
    let mut keys: BTreeMap<Vec<u8>, Candidate> = resp
        .kvs()
        .iter()
        .map(|kv| {
            let c = candidate(kv, None);
            (c.key.clone(), c)
        })
        .collect();
    refresh_ttls(&mut client, &mut keys).await;
    if !send(msgs, &keys, revision).await {
        return None;
    }
    let opts = WatchOptions::new()
        .with_prefix()
        .with_start_revision(revision + 1);
    let (_watcher, mut stream) = match client.watch(prefix.clone(), Some(opts)).await {
        Ok(w) => w.split(),
        Err(e) => return Some(describe_error(&e)),
    };
    let mut tick = tokio::time::interval(TTL_REFRESH);
    loop {
        tokio::select! {
            resp = stream.message() => {
                let resp = match resp {
                    Ok(Some(r)) => r,
                    Ok(None) => return Some("the election watch ended".into()),
                    Err(e) => return Some(describe_error(&e)),
                };
                if resp.canceled() {
                    return Some("the election watch was canceled".into());
                }
                for ev in resp.events() {
                    let Some(kv) = ev.kv() else { continue };
                    revision = revision.max(kv.mod_revision());
                    match ev.event_type() {
                        EventType::Put => {
                            let ttl = keys.get(kv.key()).and_then(|c| c.ttl);
                            keys.insert(kv.key().to_vec(), candidate(kv, ttl));
                        }
                        EventType::Delete => {
                            keys.remove(kv.key());
                        }
                    }
                }
                if !resp.events().is_empty() && !send(msgs, &keys, revision).await {
                    return None;
                }
            }
            _ = tick.tick() => {
                refresh_ttls(&mut client, &mut keys).await;
                if !send(msgs, &keys, revision).await {
                    return None;
                }
            }
        }
    }
}

fn candidate(kv: &etcd_client::KeyValue, ttl: Option<i64>) -> Candidate {
    Candidate {
        key: kv.key().to_vec(),
        value: kv.value().to_vec(),
        create_revision: kv.create_revision(),
        lease: kv.lease(),
        ttl,
    }
}

async fn refresh_ttls(client: &mut Client, keys: &mut BTreeMap<Vec<u8>, Candidate>) {
    let mut order: Vec<&mut Candidate> = keys.values_mut().filter(|c| c.lease != 0).collect();
    order.sort_by_key(|c| c.create_revision);
    for c in order.into_iter().take(TTL_LOOKUPS) {
        c.ttl = match client.lease_time_to_live(c.lease, None).await {
            Ok(r) => Some(r.ttl()),
            Err(_) => c.ttl,
        };
    }
}

async fn send<M: Send>(
    msgs: &Reports<ElectionReport, M>,
    keys: &BTreeMap<Vec<u8>, Candidate>,
    revision: i64,
) -> bool {
    let mut candidates: Vec<Candidate> = keys.values().cloned().collect();
    candidates.sort_by_key(|c| c.create_revision);
    msgs.send(Ok(ElectionSnapshot {
        candidates,
        revision,
    }))
    .await
}

/// Whether every key under `prefix` is an election key (hex lease id
/// attached to that lease). Used to offer directories as elections.
pub async fn looks_like_election(client: &mut Client, prefix: &[u8]) -> bool {
    session_keys(client, prefix).await.is_some()
}

/// Whether a directory holds only session keys (`<lease id in hex>` on
/// that lease), as elections and locks do: `Some(true)` when every value
/// is empty (a lock: Go's `concurrency.Mutex`), `Some(false)` for an
/// election, `None` otherwise. Reads at most 50 small keys.
pub async fn session_keys(client: &mut Client, prefix: &[u8]) -> Option<bool> {
    let read = super::retry_read(|| {
        let mut c = client.clone();
        let opts = GetOptions::new().with_prefix().with_limit(50);
        async move { c.get(prefix.to_vec(), Some(opts)).await }
    });
    let resp = read.await.ok()?;
    let kvs = resp.kvs();
    let sessions = !kvs.is_empty()
        && kvs
            .iter()
            .all(|kv| super::types::is_session_key(&kv.key()[prefix.len()..], kv.lease()));
    sessions.then(|| kvs.iter().all(|kv| kv.value().is_empty()))
}

/// What happened to a campaign.
pub type CampaignEnd = super::session::SessionEnd;

/// Campaigns for `name` with `proposal` on a lease of `ttl` seconds kept
/// alive here. `on_elected` runs once elected. Ends when `stop` resolves
/// (then resigns and revokes the lease) or when the lease is lost.
pub async fn campaign<F>(
    client: &mut Client,
    name: &[u8],
    proposal: &[u8],
    ttl: i64,
    on_elected: impl FnOnce(),
    stop: F,
) -> Result<CampaignEnd, super::Error>
where
    F: std::future::Future<Output = ()>,
{
    let (name, proposal) = (name.to_vec(), proposal.to_vec());
    super::session::hold(
        client,
        ttl,
        |mut c, lease| async move {
            let resp = c.campaign(name, proposal, lease).await?;
            resp.leader().cloned().ok_or_else(|| {
                super::Error::Other("the election service answered without a leader key".into())
            })
        },
        |_: &LeaderKey| on_elected(),
        |mut c, leader| async move {
            let _ = c
                .resign(Some(ResignOptions::new().with_leader(leader)))
                .await;
        },
        stop,
    )
    .await
}
