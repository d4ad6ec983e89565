//! Lists one page of a directory with etcdlens's lister and prints what it
//! cost: children, range reads, keys etcd walked (sum of the replies'
//! `count`), the ratio of that to the keys under the directory, and time.
//!
//! ```text
//! cargo run --release --example bench_list -- --endpoints 127.0.0.1:2379 --prefix /registry/
//! ```

use std::time::Instant;

use clap::Parser;
use etcd_client::{Client, GetOptions};

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, value_delimiter = ',', default_value = "127.0.0.1:2379")]
    endpoints: Vec<String>,
    #[arg(long, default_value = "/")]
    prefix: String,
    #[arg(long, default_value = "/")]
    delimiter: String,
    #[arg(long, default_value_t = etcdlens::etcd::lister::DEFAULT_CONCURRENCY)]
    concurrency: usize,
    /// Children per page.
    #[arg(long, default_value_t = 1000)]
    want: usize,
    /// Only time this many empty range reads (16 at a time) and exit.
    #[arg(long, default_value_t = 0)]
    empty_reads: usize,
    /// With --empty-reads: serializable reads.
    #[arg(long)]
    serializable: bool,
    /// With --empty-reads: that many ranges per transaction (0: plain reads).
    #[arg(long, default_value_t = 0)]
    txn: usize,
    /// Print every child with its count.
    #[arg(long)]
    verbose: bool,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    etcdlens::etcd::lister::set_concurrency(args.concurrency);
    let client = Client::connect(&args.endpoints, None).await?;
    let mut kv = client.kv_client();
    if args.empty_reads > 0 {
        use etcd_client::{Txn, TxnOp};
        use futures::stream::{self, StreamExt};
        let t = Instant::now();
        // Reads alone (16 in flight), or `--txn` per transaction (reads in
        // a transaction are always serializable; `--concurrency` in flight).
        let (per, in_flight) = match args.txn {
            0 => (1, 16),
            per => (per, args.concurrency),
        };
        let batched = args.txn > 0;
        let ser = args.serializable || batched;
        let read = move |key: String| {
            let mut o = GetOptions::new()
                .with_range(format!("{key}z"))
                .with_keys_only()
                .with_limit(256);
            if ser {
                o = o.with_serializable();
            }
            (key, o)
        };
        stream::iter(0..args.empty_reads.div_ceil(per))
            .map(|i| {
                let mut kv = kv.clone();
                async move {
                    if per == 1 && !batched {
                        let (key, o) = read(format!("/nothing/{i}/"));
                        kv.get(key, Some(o)).await.unwrap();
                        return;
                    }
                    let ops: Vec<TxnOp> = (0..per)
                        .map(|j| {
                            let (key, o) = read(format!("/nothing/{i}/{j}/"));
                            TxnOp::get(key, Some(o))
                        })
                        .collect();
                    kv.txn(Txn::new().and_then(ops)).await.unwrap();
                }
            })
            .buffer_unordered(in_flight)
            .collect::<Vec<_>>()
            .await;
        let how = match args.txn {
            0 => String::new(),
            per => format!(" in transactions of {per}"),
        };
        println!(
            "{} empty reads{how} in {:.1} ms",
            args.empty_reads,
            t.elapsed().as_secs_f64() * 1000.0
        );
        return Ok(());
    }
    let total = kv
        .get(
            args.prefix.as_bytes(),
            Some(
                GetOptions::new()
                    .with_prefix()
                    .with_count_only()
                    .with_serializable(),
            ),
        )
        .await?
        .count();
    let t = Instant::now();
    etcdlens::etcd::lister::measure_costs(&client, args.prefix.as_bytes()).await;
    let page = etcdlens::etcd::lister::list_children(
        &mut kv,
        args.prefix.as_bytes(),
        args.delimiter.as_bytes(),
        etcdlens::etcd::lister::PageSpec {
            want: args.want,
            ..Default::default()
        },
    )
    .await?;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    if args.verbose {
        for c in &page.children {
            let n = page.counts.iter().find(|(d, _)| d == &c.full).map(|x| x.1);
            println!("  {} {:?}", String::from_utf8_lossy(&c.full), n);
        }
    }
    println!(
        "prefix={} keys={} children={} counted={} reads={} work={} ratio={:.2} returned={} ms={:.1} next={} costs={:?}",
        args.prefix,
        total,
        page.children.len(),
        page.counts.len(),
        page.reads,
        page.work,
        page.work as f64 / total.max(1) as f64,
        etcdlens::etcd::lister::totals().returned,
        ms,
        page.next.is_some(),
        etcdlens::etcd::lister::costs()
    );
    Ok(())
}
