//! Writes a storm of watch events into etcd (used by `benches/storm.sh`).
//!
//! `--events` puts (default 500,000) under `--prefix` (default `/storm/`),
//! `--batch` puts per transaction (etcd's default `--max-txn-ops` is 128)
//! with `--in-flight` transactions at once. Keys cycle over `--keys` distinct
//! keys (`/storm/k00000`, …), values are small JSON documents carrying the
//! sequence number. Every put is one watch event and every transaction one
//! revision, so a watch on the prefix sees exactly `--events` events.
//!
//! The last transaction is sent alone, after every other one has completed:
//! it has the highest revision, so its last put — the only value with
//! `"last":true` — is the last event any watcher of the prefix sees.
//!
//! With `--tail-file F`, a thread polls the end of `F` (e.g. the output of
//! `etcdctl watch`) every `--tail-poll-ms` from the start of the storm on and
//! notes when the `"last":true` value first shows there; after the storm it
//! waits up to `--tail-timeout` seconds for it.
//!
//! Output: `key=value` lines on stdout (times are Unix nanoseconds).
//!
//! ```text
//! cargo run --release --example bench_storm -- --endpoints 127.0.0.1:2379
//! ```

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use etcd_client::{Client, ConnectOptions, Txn, TxnOp};
use futures::stream::{self, StreamExt, TryStreamExt};

/// What the last value contains (and no other does).
const LAST_MARKER: &[u8] = br#""last":true"#;

#[derive(Debug, Parser)]
#[command(about = "Write a storm of watch events into etcd")]
struct Args {
    /// Comma-separated etcd endpoints.
    #[arg(long, value_delimiter = ',', default_value = "127.0.0.1:2379")]
    endpoints: Vec<String>,
    /// Prefix the keys are written under.
    #[arg(long, default_value = "/storm/")]
    prefix: String,
    /// Puts (= watch events) in all.
    #[arg(long, default_value_t = 500_000)]
    events: usize,
    /// Distinct keys the puts cycle over (at least `--batch`: a transaction
    /// may not put the same key twice).
    #[arg(long, default_value_t = 10_000)]
    keys: usize,
    /// Puts per transaction.
    #[arg(long, default_value_t = 128)]
    batch: usize,
    /// Transactions in flight.
    #[arg(long, default_value_t = 32)]
    in_flight: usize,
    /// Watch this file's end for the last event (see above).
    #[arg(long)]
    tail_file: Option<PathBuf>,
    /// Poll interval of `--tail-file`, in milliseconds.
    #[arg(long, default_value_t = 1)]
    tail_poll_ms: u64,
    /// How long to wait for the last event in `--tail-file` after the storm.
    #[arg(long, default_value_t = 120)]
    tail_timeout: u64,
}

fn unix_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

fn key(args: &Args, seq: usize) -> String {
    format!("{}k{:05}", args.prefix, seq % args.keys)
}

fn value(args: &Args, seq: usize) -> String {
    let last = seq + 1 == args.events;
    format!(
        r#"{{"seq":{seq},"of":{},"node":"n{:02}","load":{},"last":{last}}}"#,
        args.events,
        seq % 17,
        seq % 100
    )
}

fn txn(args: &Args, seqs: std::ops::Range<usize>) -> Txn {
    let ops: Vec<TxnOp> = seqs
        .map(|s| TxnOp::put(key(args, s), value(args, s), None))
        .collect();
    Txn::new().and_then(ops)
}

/// Puts `seqs` in transactions of `batch`, `in_flight` at a time. Returns
/// (transactions, highest revision).
async fn put_all(
    client: &Client,
    args: &Args,
    seqs: std::ops::Range<usize>,
) -> Result<(usize, i64), etcd_client::Error> {
    let batch = args.batch;
    let starts = seqs.clone().step_by(batch);
    stream::iter(starts)
        .map(|start| {
            let mut kv = client.kv_client();
            let t = txn(args, start..(start + batch).min(seqs.end));
            async move {
                let resp = kv.txn(t).await?;
                Ok::<i64, etcd_client::Error>(resp.header().map_or(0, |h| h.revision()))
            }
        })
        .buffer_unordered(args.in_flight)
        .try_fold((0, 0), |(n, rev), r| async move { Ok((n + 1, rev.max(r))) })
        .await
}

/// Whether the last `LAST_MARKER.len() + 64` bytes of `file` (`len` bytes
/// long) hold the marker.
fn tail_has_marker(file: &mut File, len: u64, buf: &mut Vec<u8>) -> bool {
    let want = (LAST_MARKER.len() + 64) as u64;
    let from = len.saturating_sub(want);
    buf.clear();
    if file.seek(SeekFrom::Start(from)).is_err() || file.read_to_end(buf).is_err() {
        return false;
    }
    buf.windows(LAST_MARKER.len()).any(|w| w == LAST_MARKER)
}

/// Polls `path` until its end shows the last event or `stop` is set;
/// returns when it was first seen (Unix ns).
fn watch_tail(path: &Path, every: Duration, stop: &AtomicBool) -> Option<u128> {
    let mut file = None;
    let mut buf = Vec::with_capacity(256);
    let mut last_len = u64::MAX;
    while !stop.load(Ordering::Relaxed) {
        if file.is_none() {
            file = File::open(path).ok();
        }
        if let Some(f) = file.as_mut() {
            // Only look again when the file grew.
            let len = f.metadata().map_or(0, |m| m.len());
            if len != last_len {
                last_len = len;
                if tail_has_marker(f, len, &mut buf) {
                    return Some(unix_ns());
                }
            }
        }
        std::thread::sleep(every);
    }
    None
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if args.events == 0 || args.batch == 0 || args.keys < args.batch.min(args.events) {
        return Err("need --events > 0, --batch > 0 and --keys >= --batch".into());
    }
    let client = Client::connect(
        &args.endpoints,
        Some(ConnectOptions::new().with_connect_timeout(Duration::from_secs(5))),
    )
    .await?;
    let before = client
        .kv_client()
        .get(args.prefix.clone(), None)
        .await?
        .header()
        .map_or(0, |h| h.revision());

    let stop = Arc::new(AtomicBool::new(false));
    let tail = args.tail_file.clone().map(|path| {
        let stop = stop.clone();
        let every = Duration::from_millis(args.tail_poll_ms.max(1));
        std::thread::spawn(move || watch_tail(&path, every, &stop))
    });

    // Everything but the last transaction, then the last one alone.
    let last_start = (args.events - 1) / args.batch * args.batch;
    let start_ns = unix_ns();
    let t = Instant::now();
    let (txns, _) = put_all(&client, &args, 0..last_start).await?;
    let (last_txns, last_rev) = put_all(&client, &args, last_start..args.events).await?;
    let end_ns = unix_ns();
    let secs = t.elapsed().as_secs_f64();

    println!("storm_events={}", args.events);
    println!("storm_txns={}", txns + last_txns);
    println!("storm_keys={}", args.keys.min(args.events));
    println!("storm_start_ns={start_ns}");
    println!("storm_end_ns={end_ns}");
    println!("storm_ms={:.1}", secs * 1000.0);
    println!("storm_rate={:.0}", args.events as f64 / secs);
    println!("storm_revision_before={before}");
    println!("storm_last_revision={last_rev}");

    if let Some(handle) = tail {
        let waiter = {
            let stop = stop.clone();
            let timeout = Duration::from_secs(args.tail_timeout);
            std::thread::spawn(move || {
                let t = Instant::now();
                while !stop.load(Ordering::Relaxed) && t.elapsed() < timeout {
                    std::thread::sleep(Duration::from_millis(10));
                }
                stop.store(true, Ordering::Relaxed);
            })
        };
        let seen = handle.join().map_err(|_| "the tail thread panicked")?;
        stop.store(true, Ordering::Relaxed);
        waiter.join().map_err(|_| "the timer thread panicked")?;
        match seen {
            Some(ns) => println!("tail_seen_ns={ns}"),
            None => println!("tail_seen_ns=none"),
        }
    }
    Ok(())
}
