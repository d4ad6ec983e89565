//! Runs a find (and a usage scan, `:du`): reads the subtree with `etcd::scan` (keys only unless the
//! query searches values), matches each key with `app::find::Query`, and
//! reports matches and progress as they come. Dropping the future (the
//! task is aborted on `Esc`) drops the reads in flight and makes no more.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::app::find::{FindBatch, Hit, Query};
use crate::app::usage::UsageBatch;
use crate::etcd::permitted::ReadableScanner;
use crate::etcd::scan::ScanStats;
use crate::etcd::{describe_error, Connection, Reports};

/// Reports at most this often while nothing matches (progress only).
const QUIET: Duration = Duration::from_millis(50);

/// Scans `prefix` for `query`, sending a [`FindBatch`] per page with
/// matches (and at least every [`QUIET`] otherwise), then a last one with
/// `done`. Returns the scan's counters.
pub async fn find<M: Send>(
    conn: Connection,
    prefix: Vec<u8>,
    query: Query,
    reports: Reports<FindBatch, M>,
) -> ScanStats {
    let mut scanner = ReadableScanner::new(&conn, &prefix, query.values);
    let mut last = Instant::now();
    while let Some(page) = scanner.next().await {
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                let batch = batch(scanner.stats(), Vec::new(), Some(Err(describe_error(&e))));
                reports.send(batch).await;
                return scanner.stats();
            }
        };
        let hits: Vec<Hit> = page
            .kvs
            .into_iter()
            .filter(|kv| query.matches(&kv.key[prefix.len().min(kv.key.len())..], &kv.value))
            .map(|kv| Hit {
                key: kv.key,
                mod_revision: kv.mod_revision,
            })
            .collect();
        if hits.is_empty() && last.elapsed() < QUIET {
            continue;
        }
        last = Instant::now();
        if !reports.send(batch(scanner.stats(), hits, None)).await {
            return scanner.stats();
        }
    }
    let mut last = batch(scanner.stats(), Vec::new(), Some(Ok(())));
    last.skipped = scanner.skipped();
    reports.send(last).await;
    scanner.stats()
}

/// [`find`] for a query as typed (`update` parsed it before sending it:
/// one that does not parse finds nothing).
pub async fn find_typed<M: Send>(
    conn: Connection,
    prefix: Vec<u8>,
    query: String,
    reports: Reports<FindBatch, M>,
) -> ScanStats {
    match Query::parse(&query) {
        Ok(query) => find(conn, prefix, query, reports).await,
        Err(_) => ScanStats::default(),
    }
}

fn batch(stats: ScanStats, hits: Vec<Hit>, done: Option<Result<(), String>>) -> FindBatch {
    FindBatch {
        hits,
        scanned: stats.scanned,
        total: stats.total,
        revision: stats.revision,
        done,
        skipped: None,
    }
}

/// Counts keys and value bytes per child of `prefix` (a directory ends at
/// the first `delimiter` after the prefix): the database status first,
/// then a [`UsageBatch`] per page (its children's counts to add), then a
/// last one with `done`. Returns the scan's counters.
pub async fn usage<M: Send>(
    conn: Connection,
    prefix: Vec<u8>,
    delimiter: Vec<u8>,
    reports: Reports<UsageBatch, M>,
) -> ScanStats {
    let db = crate::etcd::usage::db_status(&mut conn.client.clone()).await;
    let first = UsageBatch {
        db: Some(db),
        ..UsageBatch::default()
    };
    if !reports.send(first).await {
        return ScanStats::default();
    }
    let mut scanner = ReadableScanner::new(&conn, &prefix, true);
    let mut adds: HashMap<Vec<u8>, (u64, u64)> = HashMap::new();
    let mut last = Instant::now();
    while let Some(page) = scanner.next().await {
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                let mut b = usage_batch(scanner.stats(), &mut adds);
                b.done = Some(Err(describe_error(&e)));
                reports.send(b).await;
                return scanner.stats();
            }
        };
        for kv in &page.kvs {
            let child = child_of(&kv.key, prefix.len(), &delimiter);
            let e = adds.entry(child.to_vec()).or_default();
            e.0 += 1;
            e.1 += kv.value.len() as u64;
        }
        if last.elapsed() < QUIET {
            continue;
        }
        last = Instant::now();
        if !reports.send(usage_batch(scanner.stats(), &mut adds)).await {
            return scanner.stats();
        }
    }
    let mut b = usage_batch(scanner.stats(), &mut adds);
    b.done = Some(Ok(()));
    b.skipped = scanner.skipped();
    reports.send(b).await;
    scanner.stats()
}

/// The child of the directory (`key[..dir_len]`) that `key` belongs to.
fn child_of<'k>(key: &'k [u8], dir_len: usize, delimiter: &[u8]) -> &'k [u8] {
    let rest = &key[dir_len.min(key.len())..];
    match rest
        .windows(delimiter.len().max(1))
        .position(|w| w == delimiter)
    {
        Some(i) if !delimiter.is_empty() => &key[..dir_len + i + delimiter.len()],
        _ => key,
    }
}

fn usage_batch(stats: ScanStats, adds: &mut HashMap<Vec<u8>, (u64, u64)>) -> UsageBatch {
    UsageBatch {
        adds: adds.drain().map(|(k, (n, b))| (k, n, b)).collect(),
        scanned: stats.scanned,
        total: stats.total,
        revision: stats.revision,
        db: None,
        done: None,
        skipped: None,
    }
}
