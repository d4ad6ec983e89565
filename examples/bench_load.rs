//! Loads the benchmark data set into an etcd cluster (used by
//! `benches/bench.sh`):
//!
//! - a deep tree `/bench/appNN/svcNNN/instNNNNN/config` (by default 20 apps ×
//!   50 services × 1000 instances = 1,000,000 keys) with small JSON values;
//! - a wide directory `/wide/item-NNNNNN` (by default 100,000 direct
//!   children).
//!
//! Puts are batched in transactions of `--batch` operations (etcd's default
//! `--max-txn-ops` is 128) with `--in-flight` transactions at once.
//!
//! ```text
//! cargo run --release --example bench_load -- --endpoints 127.0.0.1:2379
//! ```

use std::time::Instant;

use clap::Parser;
use etcd_client::{Client, ConnectOptions, Txn, TxnOp};
use futures::stream::{self, StreamExt, TryStreamExt};

#[derive(Debug, Parser)]
#[command(about = "Load the etcdlens benchmark data set into etcd")]
struct Args {
    /// Comma-separated etcd endpoints.
    #[arg(long, value_delimiter = ',', default_value = "127.0.0.1:2379")]
    endpoints: Vec<String>,
    /// Apps under /bench/.
    #[arg(long, default_value_t = 20)]
    apps: usize,
    /// Services per app.
    #[arg(long, default_value_t = 50)]
    services: usize,
    /// Instances per service.
    #[arg(long, default_value_t = 1000)]
    instances: usize,
    /// Direct children of /wide/.
    #[arg(long, default_value_t = 100_000)]
    wide: usize,
    /// Operations per transaction.
    #[arg(long, default_value_t = 128)]
    batch: usize,
    /// Transactions in flight.
    #[arg(long, default_value_t = 16)]
    in_flight: usize,
}

type Kv = (String, String);

fn deep_keys(args: &Args) -> impl Iterator<Item = Kv> + '_ {
    (0..args.apps).flat_map(move |a| {
        (0..args.services).flat_map(move |s| {
            (0..args.instances).map(move |i| {
                let key = format!("/bench/app{a:02}/svc{s:03}/inst{i:05}/config");
                let value = format!(
                    r#"{{"app":"app{a:02}","service":"svc{s:03}","instance":{i},"port":{},"enabled":true}}"#,
                    8000 + i % 1000
                );
                (key, value)
            })
        })
    })
}

fn wide_keys(n: usize) -> impl Iterator<Item = Kv> {
    (0..n).map(|i| {
        (
            format!("/wide/item-{i:06}"),
            format!(r#"{{"item":{i},"weight":{}}}"#, i % 97),
        )
    })
}

/// Puts every pair, `batch` per transaction, `in_flight` transactions at a
/// time. Returns the number of keys written.
async fn load(
    client: &Client,
    pairs: impl Iterator<Item = Kv>,
    batch: usize,
    in_flight: usize,
) -> Result<usize, etcd_client::Error> {
    let mut pairs = pairs.peekable();
    let batches = std::iter::from_fn(move || {
        pairs.peek()?;
        Some(pairs.by_ref().take(batch).collect::<Vec<Kv>>())
    });
    stream::iter(batches)
        .map(|chunk| {
            let mut kv = client.kv_client();
            async move {
                let n = chunk.len();
                let ops: Vec<TxnOp> = chunk
                    .into_iter()
                    .map(|(k, v)| TxnOp::put(k, v, None))
                    .collect();
                kv.txn(Txn::new().and_then(ops)).await?;
                Ok::<usize, etcd_client::Error>(n)
            }
        })
        .buffer_unordered(in_flight)
        .try_fold(0, |total, n| async move { Ok(total + n) })
        .await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let client = Client::connect(
        &args.endpoints,
        Some(ConnectOptions::new().with_connect_timeout(std::time::Duration::from_secs(5))),
    )
    .await?;

    let t = Instant::now();
    let deep = load(&client, deep_keys(&args), args.batch, args.in_flight).await?;
    let deep_s = t.elapsed().as_secs_f64();
    println!(
        "loaded {deep} keys under /bench/ in {deep_s:.1}s ({:.0} keys/s)",
        deep as f64 / deep_s
    );

    let t = Instant::now();
    let wide = load(&client, wide_keys(args.wide), args.batch, args.in_flight).await?;
    let wide_s = t.elapsed().as_secs_f64();
    println!(
        "loaded {wide} keys under /wide/ in {wide_s:.1}s ({:.0} keys/s)",
        wide as f64 / wide_s
    );
    Ok(())
}
