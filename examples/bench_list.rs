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
    if args.empty_reads > 0 && args.txn > 0 {
        use etcd_client::{Txn, TxnOp};
        use futures::stream::{self, StreamExt};
        let t = Instant::now();
        let per = args.txn;
        stream::iter(0..args.empty_reads.div_ceil(per))
            .map(|i| {
                let mut kv = kv.clone();
                async move {
                    let ops: Vec<TxnOp> = (0..per)
                        .map(|j| {
                            let key = format!("/nothing/{i}/{j}/");
                            let opts = GetOptions::new()
                                .with_range(format!("/nothing/{i}/{j}/z"))
                                .with_keys_only()
                                .with_limit(256)
                                .with_serializable();
                            TxnOp::get(key, Some(opts))
                        })
                        .collect();
                    kv.txn(Txn::new().and_then(ops)).await.unwrap();
                }
            })
            .buffer_unordered(args.concurrency)
            .collect::<Vec<_>>()
            .await;
        println!(
            "{} empty reads in transactions of {per} in {:.1} ms",
            args.empty_reads,
            t.elapsed().as_secs_f64() * 1000.0
        );
        return Ok(());
    }
    if args.empty_reads > 0 {
        use futures::stream::{self, StreamExt};
        let t = Instant::now();
        let ser = args.serializable;
        stream::iter(0..args.empty_reads)
            .map(|i| {
                let mut kv = kv.clone();
                async move {
                    let mut o = GetOptions::new()
                        .with_range(format!("/nothing/{i}/z"))
                        .with_keys_only()
                        .with_limit(256);
                    if ser {
                        o = o.with_serializable();
                    }
                    kv.get(format!("/nothing/{i}/"), Some(o)).await.unwrap();
                }
            })
            .buffer_unordered(16)
            .collect::<Vec<_>>()
            .await;
        println!(
            "{} empty reads in {:.1} ms",
            args.empty_reads,
            t.elapsed().as_secs_f64() * 1000.0
        );
        return Ok(());
    }
    let total = kv
        .get(
            args.prefix.as_bytes(),
            Some(GetOptions::new().with_prefix().with_count_only()),
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
