//! Loads the benchmark data set into an etcd cluster (used by
//! `benches/bench.sh`):
//!
//! - a deep tree `/bench/appNN/svcNNN/instNNNNN/config` (by default 20 apps ×
//!   50 services × 1000 instances = 1,000,000 keys) with small JSON values;
//! - a wide directory `/wide/item-NNNNNN` (by default 100,000 direct
//!   children);
//! - with `--k8s N`, a Kubernetes-shaped keyspace of N keys:
//!   `/registry/<resource>/<namespace>/<name>` and cluster-scoped
//!   `/registry/<resource>/<name>`, 45 resource directories of very
//!   different sizes (events, pods and replicasets hold most keys), values
//!   of a few hundred bytes starting with `k8s\0` like the API server's
//!   protobuf encoding.
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
    /// Keys of the Kubernetes-shaped keyspace under /registry/ (0: none).
    #[arg(long, default_value_t = 0)]
    k8s: usize,
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

/// Resource directories of the Kubernetes-shaped keyspace: name, share of
/// the keys (per mille), namespaced.
const K8S_RESOURCES: &[(&str, u32, bool)] = &[
    ("apiextensions.k8s.io/customresourcedefinitions", 1, false),
    ("apiregistration.k8s.io/apiservices", 1, false),
    ("certificatesigningrequests", 1, false),
    ("clusterrolebindings", 2, false),
    ("clusterroles", 2, false),
    ("configmaps", 40, true),
    ("controllerrevisions", 10, true),
    ("cronjobs", 2, true),
    ("csidrivers", 1, false),
    ("csinodes", 3, false),
    ("daemonsets", 2, true),
    ("deployments", 25, true),
    ("endpointslices", 30, true),
    ("events", 300, true),
    ("flowschemas", 1, false),
    ("horizontalpodautoscalers", 3, true),
    ("ingress", 3, true),
    ("ingressclasses", 1, false),
    ("jobs", 5, true),
    ("leases", 8, true),
    ("limitranges", 1, true),
    ("masterleases", 1, false),
    ("minions", 3, false),
    ("mutatingwebhookconfigurations", 1, false),
    ("namespaces", 2, false),
    ("networkpolicies", 3, true),
    ("persistentvolumeclaims", 10, true),
    ("persistentvolumes", 8, false),
    ("poddisruptionbudgets", 3, true),
    ("pods", 250, true),
    ("podtemplates", 1, true),
    ("priorityclasses", 1, false),
    ("prioritylevelconfigurations", 1, false),
    ("ranges", 1, false),
    ("replicasets", 150, true),
    ("resourcequotas", 2, true),
    ("rolebindings", 15, true),
    ("roles", 8, true),
    ("runtimeclasses", 1, false),
    ("secrets", 45, true),
    ("serviceaccounts", 20, true),
    ("services/endpoints", 12, true),
    ("services/specs", 12, true),
    ("statefulsets", 3, true),
    ("storageclasses", 1, false),
    ("validatingwebhookconfigurations", 1, false),
    ("volumeattachments", 3, false),
];

/// A deterministic pseudo-random number generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn word(&mut self, len: usize) -> String {
        const ALPHA: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        (0..len)
            .map(|_| ALPHA[(self.next() % ALPHA.len() as u64) as usize] as char)
            .collect()
    }
}

/// The Kubernetes-shaped keyspace: about `total` keys (shares rounded).
fn k8s_keys(total: usize) -> impl Iterator<Item = Kv> {
    let weight: u32 = K8S_RESOURCES.iter().map(|r| r.1).sum();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // A few system namespaces, then many tenant ones of skewed sizes.
    let mut namespaces: Vec<String> = [
        "default",
        "kube-node-lease",
        "kube-public",
        "kube-system",
        "monitoring",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for i in 0..400 {
        namespaces.push(format!("team-{}-{i:03}", rng.word(4)));
    }
    K8S_RESOURCES
        .iter()
        .flat_map(move |&(resource, share, namespaced)| {
            let n = ((total as u64 * share as u64) / weight as u64).max(1) as usize;
            let mut rng =
                Rng(0x2545_f491_4f6c_dd1d ^ (resource.len() as u64 * 7919 + share as u64));
            let namespaces = namespaces.clone();
            (0..n).map(move |i| {
                let name = format!("{}-{}-{}", rng.word(6), rng.word(10), rng.word(5));
                let key = if namespaced {
                    // Skewed: low-numbered namespaces hold more.
                    let r = rng.next() % 1000;
                    let ns =
                        &namespaces[((r * r) / 1000 * namespaces.len() as u64 / 1000) as usize];
                    format!("/registry/{resource}/{ns}/{name}-{i}")
                } else {
                    format!("/registry/{resource}/{name}-{i}")
                };
                let mut value = String::from("k8s\0");
                value.push_str(&format!("\n\u{1a}v1\u{12}{resource}\u{1a}{name}"));
                while value.len() < 300 {
                    value.push_str(&rng.word(16));
                }
                (key, value)
            })
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

    if args.k8s > 0 {
        let t = Instant::now();
        let n = load(&client, k8s_keys(args.k8s), args.batch, args.in_flight).await?;
        let s = t.elapsed().as_secs_f64();
        println!(
            "loaded {n} keys under /registry/ in {s:.1}s ({:.0} keys/s)",
            n as f64 / s
        );
    }

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
