//! What one etcd charges for the parts of a listing, measured one request
//! at a time (no concurrency), median of `--runs`:
//!
//! - `read`: a keys-only range read of an empty range (the fixed cost of
//!   one request: round trip, gRPC, etcd's read path);
//! - `walk`: a count-only read of the whole prefix, per key (etcd walks
//!   every key of a range to count it);
//! - `returned`: a keys-only read that sends back N keys, less a
//!   count-only read of the same N keys, per key sent back;
//! - `stream`: opening a `RangeStream` over one key and taking its chunk
//!   (etcd 3.7; "none" before);
//! - `in txn`: a read-only transaction of 32 empty keys-only reads, per
//!   read (what the lister pays for a read it sends with others).
//!
//! From those, the least a listing of the prefix's children can cost when
//! every child needs at least one read (`children x read + keys x walk`),
//! beside one walk (`etcdctl get --prefix P --keys-only --limit 1` costs
//! about `read + keys x walk` plus etcdctl's start-up).
//!
//! ```text
//! cargo run --release --example bench_costs -- --endpoints 127.0.0.1:2379 --prefix /registry/events/
//! ```

use std::time::{Duration, Instant};

use clap::Parser;
use etcd_client::{Client, GetOptions};

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, value_delimiter = ',', default_value = "127.0.0.1:2379")]
    endpoints: Vec<String>,
    #[arg(long, default_value = "/registry/events/")]
    prefix: String,
    /// Keys sent back by the `returned` read.
    #[arg(long, default_value_t = 10_000)]
    keys: i64,
    #[arg(long, default_value_t = 15)]
    runs: usize,
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e6
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let client = Client::connect(&args.endpoints, None).await?;
    let mut kv = client.kv_client().max_decoding_message_size(64 << 20);
    let prefix = args.prefix.as_bytes().to_vec();
    let end = etcdlens::etcd::lister::prefix_end(&prefix).unwrap_or_else(|| vec![0]);
    let version = client
        .maintenance_client()
        .status()
        .await
        .map(|s| s.version().to_string())
        .unwrap_or_else(|_| "?".into());
    let first = kv
        .get(
            prefix.clone(),
            Some(GetOptions::new().with_range(end.clone()).with_count_only()),
        )
        .await?;
    let total = first.count();
    let revision = first.header().map_or(0, |h| h.revision());
    let pinned = || {
        GetOptions::new()
            .with_serializable()
            .with_revision(revision)
    };
    // The key after which exactly `keys` keys of the prefix lie, for the
    // `returned` reads.
    let page = kv
        .get(
            prefix.clone(),
            Some(
                pinned()
                    .with_range(end.clone())
                    .with_keys_only()
                    .with_limit(args.keys + 1),
            ),
        )
        .await?;
    let n = page.kvs().len() as i64 - 1;
    let upto = page
        .kvs()
        .last()
        .map(|k| k.key().to_vec())
        .unwrap_or(end.clone());

    // The four reads timed each run: (key, options).
    let reads = [
        (
            b"\x01empty".to_vec(),
            pinned().with_range("\u{1}empty\u{0}").with_keys_only(),
        ),
        (
            prefix.clone(),
            pinned().with_range(end.clone()).with_count_only(),
        ),
        (
            prefix.clone(),
            pinned().with_range(upto.clone()).with_keys_only(),
        ),
        (
            prefix.clone(),
            pinned().with_range(upto.clone()).with_count_only(),
        ),
    ];
    let txn = etcd_client::Txn::new().and_then(
        (0..32)
            .map(|i| {
                etcd_client::TxnOp::get(
                    format!("\u{1}empty{i}"),
                    Some(
                        pinned()
                            .with_range(format!("\u{1}empty{i}\u{0}"))
                            .with_keys_only(),
                    ),
                )
            })
            .collect::<Vec<_>>(),
    );
    let mut in_txn = Vec::new();
    let mut times: [Vec<Duration>; 4] = Default::default();
    let mut stream = Vec::new();
    let mut streams = true;
    for _ in 0..args.runs {
        for ((key, opts), times) in reads.iter().zip(times.iter_mut()) {
            let t = Instant::now();
            kv.get(key.clone(), Some(opts.clone())).await?;
            times.push(t.elapsed());
        }
        let t = Instant::now();
        kv.txn(txn.clone()).await?;
        in_txn.push(t.elapsed() / 32);
        if streams {
            let t = Instant::now();
            let opts = pinned()
                .with_range([prefix.as_slice(), &[0]].concat())
                .with_keys_only();
            match kv.get_stream(prefix.clone(), Some(opts)).await {
                Ok(mut s) => {
                    while s.message().await?.is_some() {}
                    stream.push(t.elapsed());
                }
                Err(_) => streams = false,
            }
        }
    }
    let [read, walk, ret, cnt] = times;
    let read = median(read);
    let in_txn = median(in_txn);
    let walk_all = median(walk);
    let walk = (walk_all - read) / total.max(1) as f64;
    let returned = (median(ret) - median(cnt)) / n.max(1) as f64;
    let stream = if stream.is_empty() {
        "none".to_string()
    } else {
        format!("{:.0} µs", median(stream))
    };
    let children = {
        let delimiter = b"/";
        let mut list = client.kv_client();
        let page = etcdlens::etcd::lister::list_children(
            &mut list,
            &prefix,
            delimiter,
            etcdlens::etcd::lister::PageSpec {
                want: 100_000,
                ..Default::default()
            },
        )
        .await?;
        page.children.len()
    };
    let floor = children as f64 * read + total as f64 * walk;
    println!(
        "etcd {version}: read {read:.0} µs ({in_txn:.0} µs in a transaction of 32); walk {walk:.3} µs/key ({total} keys: {:.1} ms); returned {returned:.3} µs/key; stream {stream}",
        walk_all / 1000.0
    );
    println!(
        "{}: {children} children; least listing (children x read + keys x walk) {:.1} ms = {:.2} x one walk",
        args.prefix,
        floor / 1000.0,
        floor / walk_all
    );
    Ok(())
}
