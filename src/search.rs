//! Runs a find: reads the subtree with `etcd::scan` (keys only unless the
//! query searches values), matches each key with `app::find::Query`, and
//! reports matches and progress as they come. Dropping the future (the
//! task is aborted on `Esc`) drops the reads in flight and makes no more.

use std::time::{Duration, Instant};

use etcd_client::KvClient;

use crate::app::find::{FindBatch, Hit, Query};
use crate::etcd::scan::{ScanStats, Scanner};
use crate::etcd::{describe_error, Reports};

/// Reports at most this often while nothing matches (progress only).
const QUIET: Duration = Duration::from_millis(50);

/// Scans `prefix` for `query`, sending a [`FindBatch`] per page with
/// matches (and at least every [`QUIET`] otherwise), then a last one with
/// `done`. Returns the scan's counters.
pub async fn find<M: Send>(
    kv: KvClient,
    prefix: Vec<u8>,
    query: Query,
    reports: Reports<FindBatch, M>,
) -> ScanStats {
    let mut scanner = Scanner::new(kv, &prefix, query.values);
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
    reports
        .send(batch(scanner.stats(), Vec::new(), Some(Ok(()))))
        .await;
    scanner.stats()
}

fn batch(stats: ScanStats, hits: Vec<Hit>, done: Option<Result<(), String>>) -> FindBatch {
    FindBatch {
        hits,
        scanned: stats.scanned,
        total: stats.total,
        revision: stats.revision,
        done,
    }
}
