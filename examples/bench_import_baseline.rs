//! The baseline of the import benchmark (`benches/transfer.sh`): reads an
//! etcdlens export file with the same reader `import` uses and writes its
//! keys under `--to` in transactions of `--batch` puts with no guard, no
//! plan and no journal, `--in-flight` transactions at once.
//!
//! ```text
//! cargo run --release --example bench_import_baseline -- --endpoints 127.0.0.1:2379 --file x.jsonl --to /copy/
//! ```

use std::time::Instant;

use clap::Parser;
use etcd_client::{Client, Txn, TxnOp};
use futures::stream::{self, StreamExt, TryStreamExt};

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, value_delimiter = ',', default_value = "127.0.0.1:2379")]
    endpoints: Vec<String>,
    #[arg(long)]
    file: std::path::PathBuf,
    #[arg(long)]
    to: String,
    #[arg(long, default_value_t = 128)]
    batch: usize,
    #[arg(long, default_value_t = 4)]
    in_flight: usize,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let client = Client::connect(&args.endpoints, None).await?;
    let t = Instant::now();
    let file = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&args.file)?);
    let mut reader = etcdlens::transfer::format::Reader::new(file)?;
    let from = reader.header.prefix_bytes()?;
    let to = args.to.into_bytes();
    let batch = args.batch;
    // Batches are read from the file as they are needed.
    let batches = stream::poll_fn(move |_| {
        let mut ops = Vec::with_capacity(batch);
        while ops.len() < batch {
            match reader.next_record() {
                Ok(Some(r)) => {
                    let mut key = to.clone();
                    key.extend_from_slice(&r.key[from.len()..]);
                    ops.push(TxnOp::put(key, r.value, None));
                }
                Ok(None) => break,
                Err(e) => panic!("{e}"),
            }
        }
        std::task::Poll::Ready((!ops.is_empty()).then_some(ops))
    });
    let n = batches
        .map(|ops| {
            let mut c = client.clone();
            async move {
                let n = ops.len();
                c.txn(Txn::new().and_then(ops)).await.map(|_| n)
            }
        })
        .buffer_unordered(args.in_flight)
        .try_fold(0usize, |a, n| async move { Ok(a + n) })
        .await?;
    println!(
        "baseline wrote {n} keys in {:.2}s",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
