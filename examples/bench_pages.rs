//! Pages through every key under a prefix as the resource table (`K`) does,
//! 500 keys a page: with etcdlens's `list_keys` (a `RangeStream` per page on
//! etcd 3.7, one range read before it) and with one range read per page
//! (`list_keys_unary`: etcd walks the rest of the directory for each page
//! to count it). Prints the median of RUNS for each, after a warm-up.
//!
//! ```text
//! cargo run --release --example bench_pages -- --endpoints 127.0.0.1:2379 --prefix /registry/events/
//! ```

use std::time::{Duration, Instant};

use clap::Parser;
use etcdlens::etcd::resources::{list_keys, list_keys_unary, KeyPage, PAGE_KEYS};

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, value_delimiter = ',', default_value = "127.0.0.1:2379")]
    endpoints: Vec<String>,
    #[arg(long, default_value = "/registry/events/")]
    prefix: String,
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

/// Every page under the prefix: (keys, pages, whether streamed, time).
async fn all_pages(
    client: &mut etcd_client::Client,
    prefix: &[u8],
    unary: bool,
) -> Result<(usize, usize, bool, Duration), Box<dyn std::error::Error>> {
    let start = Instant::now();
    let (mut keys, mut pages, mut streamed) = (0, 0, false);
    let mut after: Option<Vec<u8>> = None;
    loop {
        let page: KeyPage = if unary {
            list_keys_unary(client, prefix, after.as_deref(), PAGE_KEYS).await?
        } else {
            list_keys(client, prefix, after.as_deref(), PAGE_KEYS).await?
        };
        keys += page.keys.len();
        pages += 1;
        streamed |= page.streamed;
        if !page.more {
            return Ok((keys, pages, streamed, start.elapsed()));
        }
        after = page.keys.last().cloned();
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let mut client = etcd_client::Client::connect(args.endpoints.clone(), None).await?;
    let prefix = args.prefix.as_bytes();
    for unary in [false, true] {
        let mut times = Vec::new();
        let mut shape = (0, 0, false);
        for i in 0..=args.runs {
            let (keys, pages, streamed, t) = all_pages(&mut client, prefix, unary).await?;
            shape = (keys, pages, streamed);
            if i > 0 {
                times.push(t);
            }
        }
        times.sort();
        let median = times[times.len() / 2].as_secs_f64() * 1000.0;
        let how = match (unary, shape.2) {
            (true, _) => "unary",
            (false, true) => "list_keys (streamed)",
            (false, false) => "list_keys (no stream: unary)",
        };
        println!(
            "pages {how}: {} keys in {} pages, {median:.1} ms",
            shape.0, shape.1
        );
    }
    Ok(())
}
