//! The time machine's benchmark driver (benches/history.sh runs it beside
//! etcdctl): loads a key with many revisions or a prefix with many changes,
//! and times etcdlens's own functions on them — `H` (a key's history, the
//! function the view calls) and `:changes` (likewise) — printing
//! `key=value` lines.
//!
//! ```text
//! bench_history load-key --endpoints E --key /hist/k --revisions 10000
//! bench_history history --endpoints E --key /hist/k
//! bench_history load-changes --endpoints E --prefix /chg/ --revisions 500000 --keys 10000
//! bench_history changes --endpoints E --prefix /chg/ --from A
//! ```

use std::time::Instant;

use clap::{Parser, Subcommand};
use etcd_client::Client;
use futures::stream::{self, StreamExt};

use etcdlens::etcd::changes::{self, ChangesUpdate};
use etcdlens::etcd::history::key_history;
use etcdlens::etcd::revision::RevisionSpec;

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, value_delimiter = ',', default_value = "127.0.0.1:2379")]
    endpoints: Vec<String>,
    /// Read this snapshot file instead (served in-process as `etcdlens
    /// open` serves it); the time to read the file is printed too.
    #[arg(long)]
    snapshot: Option<std::path::PathBuf>,
    #[command(subcommand)]
    what: What,
}

#[derive(Debug, Subcommand)]
enum What {
    /// Writes `revisions` values of `key`, each followed by a write of
    /// another key (so the key's revisions are spread out).
    LoadKey {
        #[arg(long)]
        key: String,
        #[arg(long, default_value_t = 10_000)]
        revisions: u64,
    },
    /// Times the history of `key` (one read, one watch).
    History {
        #[arg(long)]
        key: String,
    },
    /// Writes `revisions` changes under `prefix` over `keys` keys (one op
    /// in ten a delete), 64 writes in flight, topped up with puts to make
    /// the revisions exact, then a last key `<prefix>zz-end` (the sentinel
    /// etcdctl's run waits for).
    LoadChanges {
        #[arg(long)]
        prefix: String,
        #[arg(long, default_value_t = 500_000)]
        revisions: u64,
        #[arg(long, default_value_t = 10_000)]
        keys: u64,
        /// Value size in bytes.
        #[arg(long, default_value_t = 100)]
        value: usize,
    },
    /// Times `:changes` under `prefix` from revision `from` to now.
    Changes {
        #[arg(long)]
        prefix: String,
        #[arg(long)]
        from: i64,
    },
}

fn rss_kb(field: &str) -> u64 {
    etcdlens::bench_probe::rss_kb(field).unwrap_or(0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let endpoints = match &args.snapshot {
        Some(file) => {
            let t = Instant::now();
            let store = etcdlens::etcd::offline::Store::open(file)?;
            let addr = etcdlens::etcd::offline::serve(store).await?;
            eprintln!("open_ms={:.0}", t.elapsed().as_secs_f64() * 1000.0);
            vec![format!("http://{addr}")]
        }
        None => args.endpoints.clone(),
    };
    let mut client = Client::connect(&endpoints, None).await?;
    match args.what {
        What::LoadKey { key, revisions } => {
            let t = Instant::now();
            for i in 0..revisions {
                client
                    .put(
                        key.as_str(),
                        format!("{{\"n\":{i},\"pad\":\"{:0>60}\"}}", i),
                        None,
                    )
                    .await?;
                client
                    .put(format!("{key}-noise"), format!("{i}"), None)
                    .await?;
            }
            let rev = revision(&mut client).await?;
            println!(
                "loaded_revisions={revisions} revision={rev} load_ms={:.0}",
                t.elapsed().as_secs_f64() * 1000.0
            );
        }
        What::History { key } => {
            let t = Instant::now();
            let h = key_history(&mut client, key.as_bytes()).await?;
            println!(
                "history_ms={:.1} revisions={} compacted={:?} exact={}",
                t.elapsed().as_secs_f64() * 1000.0,
                h.events.len(),
                h.compacted,
                h.exact
            );
        }
        What::LoadChanges {
            prefix,
            revisions,
            keys,
            value,
        } => {
            let t = Instant::now();
            let start = revision(&mut client).await?;
            let pad = "x".repeat(value);
            stream::iter(0..revisions)
                .map(|i| {
                    let mut c = client.clone();
                    let pad = pad.clone();
                    let prefix = prefix.clone();
                    async move {
                        // A spread over the keys; every tenth op deletes
                        // the key the previous round wrote.
                        let k = format!("{prefix}k{:06}", (i * 7919) % keys);
                        if i % 10 == 9 {
                            c.delete(k, None).await.map(|_| ())
                        } else {
                            c.put(k, format!("{i}{pad}"), None).await.map(|_| ())
                        }
                    }
                })
                .buffer_unordered(64)
                .collect::<Vec<_>>()
                .await
                .into_iter()
                .collect::<Result<Vec<()>, _>>()?;
            // Deletes of keys already gone make no revision: top up.
            let mut at = revision(&mut client).await?;
            while (at - start) < revisions as i64 {
                client
                    .put(
                        format!("{prefix}k{:06}", at % keys as i64),
                        pad.as_str(),
                        None,
                    )
                    .await?;
                at += 1;
            }
            client.put(format!("{prefix}zz-end"), "end", None).await?;
            let end = revision(&mut client).await?;
            println!(
                "from={start} to={end} load_ms={:.0}",
                t.elapsed().as_secs_f64() * 1000.0
            );
        }
        What::Changes { prefix, from } => {
            let rss_before = rss_kb("VmRSS:");
            let (tx, mut rx) = tokio::sync::mpsc::channel(64);
            let reports = etcdlens::etcd::Reports::new(tx, |u: ChangesUpdate| u);
            let t = Instant::now();
            let mut c = client.clone();
            let p = prefix.clone();
            tokio::spawn(async move {
                changes::read(
                    &mut c,
                    p.as_bytes(),
                    RevisionSpec::At(from),
                    RevisionSpec::Now,
                    reports,
                )
                .await
            });
            let mut progress = 0;
            let mut first_progress_ms = None;
            let done = loop {
                match rx.recv().await {
                    Some(ChangesUpdate::Progress { .. }) => {
                        progress += 1;
                        first_progress_ms.get_or_insert(t.elapsed().as_secs_f64() * 1000.0);
                    }
                    Some(ChangesUpdate::Range { .. }) => {}
                    Some(ChangesUpdate::Done(c)) => break c,
                    Some(ChangesUpdate::Failed(e)) => return Err(format!("{e:?}").into()),
                    None => return Err("no answer".into()),
                }
            };
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            let deleted = done
                .keys
                .iter()
                .filter(|k| changes::ChangeKind::Deleted == k.kind())
                .count();
            println!(
                "changes_ms={ms:.1} events={} keys={} deleted={deleted} exact={} progress_reports={progress} first_progress_ms={:.0} rss_before_kb={rss_before} peak_rss_kb={} rss_growth_kb={}",
                done.events,
                done.keys.len(),
                done.exact,
                first_progress_ms.unwrap_or(0.0),
                rss_kb("VmHWM:"),
                rss_kb("VmHWM:").saturating_sub(rss_before)
            );
        }
    }
    Ok(())
}

async fn revision(client: &mut Client) -> Result<i64, etcd_client::Error> {
    Ok(client
        .get("\0", None)
        .await?
        .header()
        .map(|h| h.revision())
        .unwrap_or(0))
}
