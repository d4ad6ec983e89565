//! Runs etcdlens's find (the same scan and matcher as `F`/`:find`) over a
//! prefix and prints what it cost: matches, keys scanned, range reads,
//! keys etcd walked (sum of the replies' `count`) and its ratio to the
//! keys under the prefix, time to the first match, total time, and the
//! growth of the resident set. With `--du`, runs `:du`'s scan instead
//! (every value read, keys and bytes per child; `matches` is the number of
//! children).
//!
//! ```text
//! cargo run --release --example bench_find -- --endpoints 127.0.0.1:2379 --prefix /bench/ --query inst00042
//! cargo run --release --example bench_find -- --endpoints 127.0.0.1:2379 --prefix /registry/ --du
//! ```

use std::time::Instant;

use clap::Parser;
use tokio::sync::mpsc;

use etcdlens::app::find::{FindBatch, Query};

use etcdlens::etcd::scan::ScanStats;
use etcdlens::etcd::{Connection, Reports};

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, value_delimiter = ',', default_value = "127.0.0.1:2379")]
    endpoints: Vec<String>,
    #[arg(long, default_value = "/")]
    prefix: String,
    /// As typed after `:find` (`text`, `re:…`, `~…`, `v:…`).
    #[arg(long, default_value = "")]
    query: String,
    /// Run `:du`'s scan instead of a find.
    #[arg(long)]
    du: bool,
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let settings = etcdlens::etcd::ConnSettings {
        endpoints: args.endpoints.clone(),
        dial_timeout: std::time::Duration::from_secs(5),
        ..Default::default()
    };
    let conn = etcdlens::etcd::connect(&settings).await?;
    if args.du {
        return du(conn, &args.prefix).await;
    }
    let query = Query::parse(&args.query)?;
    let rss0 = rss_kb();
    let t0 = Instant::now();
    let (tx, mut rx) = mpsc::channel::<FindBatch>(1024);
    let reports = Reports::new(tx, |b| b);
    let scan = tokio::spawn(etcdlens::search::find(
        conn,
        args.prefix.clone().into_bytes(),
        query,
        reports,
    ));
    let mut first_match_ms = None;
    let mut matches = 0u64;
    while let Some(batch) = rx.recv().await {
        if !batch.hits.is_empty() && first_match_ms.is_none() {
            first_match_ms = Some(t0.elapsed().as_secs_f64() * 1e3);
        }
        matches += batch.hits.len() as u64;
        if let Some(Err(e)) = batch.done {
            return Err(e.into());
        }
    }
    let stats = scan.await?;
    println!("matches={matches}");
    report(stats, first_match_ms, t0, rss0);
    Ok(())
}

async fn du(conn: Connection, prefix: &str) -> Result<(), Box<dyn std::error::Error>> {
    use etcdlens::app::usage::UsageBatch;
    let rss0 = rss_kb();
    let t0 = Instant::now();
    let (tx, mut rx) = mpsc::channel::<UsageBatch>(1024);
    let scan = tokio::spawn(etcdlens::search::usage(
        conn,
        prefix.as_bytes().to_vec(),
        b"/".to_vec(),
        Reports::new(tx, |b| b),
    ));
    let mut children = std::collections::HashSet::new();
    let mut bytes = 0u64;
    let mut first_ms = None;
    while let Some(b) = rx.recv().await {
        if !b.adds.is_empty() && first_ms.is_none() {
            first_ms = Some(t0.elapsed().as_secs_f64() * 1e3);
        }
        for (k, _, n) in b.adds {
            children.insert(k);
            bytes += n;
        }
        if let Some(Err(e)) = b.done {
            return Err(e.into());
        }
    }
    let stats = scan.await?;
    println!("matches={}", children.len());
    println!("value_bytes={bytes}");
    report(stats, first_ms, t0, rss0);
    Ok(())
}

/// The figures the bench script reads.
fn report(stats: ScanStats, first_ms: Option<f64>, t0: Instant, rss0: u64) {
    let ms = t0.elapsed().as_secs_f64() * 1e3;
    println!("scanned={}", stats.scanned);
    println!("total={}", stats.total);
    println!("reads={}", stats.reads);
    println!("work={}", stats.work);
    println!(
        "work_ratio={:.2}",
        stats.work as f64 / stats.total.max(1) as f64
    );
    println!("first_match_ms={:.1}", first_ms.unwrap_or(f64::NAN));
    println!("ms={ms:.1}");
    println!("rss_growth_kb={}", rss_kb().saturating_sub(rss0));
}
