//! A member's Prometheus `/metrics`: fetched over HTTP (hyper's pooled
//! client), read with the `prometheus-parse` crate, and reduced to the
//! figures the metrics view charts ([`Sample`]). etcd's metric names moved
//! between releases (3.4 still serves `etcd_debugging_mvcc_db_total_size_in_bytes`
//! beside `etcd_mvcc_db_total_size_in_bytes`); each figure lists the names
//! it is read from, newest first ([`names`]). Knows nothing of the UI.

use std::collections::BTreeMap;
use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use prometheus_parse::{Scrape, Value};

/// How long one member's `/metrics` may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(3);
/// etcd's `/metrics` is about 150 KiB; anything past this is not it.
const MAX_BODY: usize = 8 << 20;

/// The names each figure is read from, newest first: the first one a
/// member serves is used.
pub mod names {
    pub const DB_SIZE: &[&str] = &[
        "etcd_mvcc_db_total_size_in_bytes",
        "etcd_debugging_mvcc_db_total_size_in_bytes",
    ];
    pub const DB_IN_USE: &[&str] = &["etcd_mvcc_db_total_size_in_use_in_bytes"];
    pub const QUOTA: &[&str] = &["etcd_server_quota_backend_bytes"];
    pub const WAL_FSYNC: &[&str] = &["etcd_disk_wal_fsync_duration_seconds"];
    pub const BACKEND_COMMIT: &[&str] = &["etcd_disk_backend_commit_duration_seconds"];
    pub const PEER_RTT: &[&str] = &["etcd_network_peer_round_trip_time_seconds"];
    pub const COMMITTED: &[&str] = &["etcd_server_proposals_committed_total"];
    pub const APPLIED: &[&str] = &["etcd_server_proposals_applied_total"];
    pub const PENDING: &[&str] = &["etcd_server_proposals_pending"];
    pub const FAILED: &[&str] = &["etcd_server_proposals_failed_total"];
    pub const LEADER_CHANGES: &[&str] = &["etcd_server_leader_changes_seen_total"];
    pub const HAS_LEADER: &[&str] = &["etcd_server_has_leader"];
    pub const WATCH_STREAMS: &[&str] = &["etcd_debugging_mvcc_watch_stream_total"];
    pub const WATCHERS: &[&str] = &["etcd_debugging_mvcc_watcher_total"];
    pub const GRPC_HANDLED: &[&str] = &["grpc_server_handled_total"];
    pub const RSS: &[&str] = &["process_resident_memory_bytes"];
    pub const CPU: &[&str] = &["process_cpu_seconds_total"];

    /// Every name read: the only families parsed (a tenth of etcd's
    /// ~1,500 lines; the sampler's cost is mostly parsing).
    pub const ALL: &[&[&str]] = &[
        DB_SIZE,
        DB_IN_USE,
        QUOTA,
        WAL_FSYNC,
        BACKEND_COMMIT,
        PEER_RTT,
        COMMITTED,
        APPLIED,
        PENDING,
        FAILED,
        LEADER_CHANGES,
        HAS_LEADER,
        WATCH_STREAMS,
        WATCHERS,
        GRPC_HANDLED,
        RSS,
        CPU,
    ];
}

/// The gRPC codes the etcd mixin's `etcdHighNumberOfFailedGRPCRequests`
/// counts as failures (a `NotFound` or a `Canceled` watch is not one).
pub const FAILED_CODES: &[&str] = &[
    "Unknown",
    "FailedPrecondition",
    "ResourceExhausted",
    "Internal",
    "Unavailable",
    "DataLoss",
    "DeadlineExceeded",
];

/// A histogram's cumulative buckets: (upper bound, count), bounds rising,
/// the last `+Inf`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram(pub Vec<(f64, f64)>);

/// One scrape of one member, reduced to what the view charts. Counters are
/// cumulative as etcd serves them; `None`: the member does not serve it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    pub db_size: Option<f64>,
    pub db_in_use: Option<f64>,
    pub quota: Option<f64>,
    pub wal_fsync: Option<Histogram>,
    pub backend_commit: Option<Histogram>,
    /// Every peer's round trips added together.
    pub peer_rtt: Option<Histogram>,
    pub proposals_committed: Option<f64>,
    pub proposals_applied: Option<f64>,
    pub proposals_pending: Option<f64>,
    pub proposals_failed: Option<f64>,
    pub leader_changes: Option<f64>,
    pub has_leader: Option<f64>,
    /// Requests handled, by gRPC method (every code).
    pub grpc_handled: BTreeMap<String, f64>,
    /// Requests handled with one of [`FAILED_CODES`].
    pub grpc_failed: f64,
    pub watch_streams: Option<f64>,
    pub watchers: Option<f64>,
    pub resident_bytes: Option<f64>,
    pub cpu_seconds: Option<f64>,
}

/// Reads a `/metrics` text. Fails only when no line is a sample.
pub fn parse(text: &str) -> Result<Sample, String> {
    let lines = text
        .lines()
        .filter(|l| wanted(l))
        .map(|l| Ok(l.to_string()));
    let scrape =
        Scrape::parse(lines).map_err(|e| format!("not the Prometheus text format: {e}"))?;
    if scrape.samples.is_empty() {
        return Err("no metrics in the answer".into());
    }
    let samples = &scrape.samples;
    // The first name served; scalars added over their label sets.
    let scalar = |names: &[&str]| -> Option<f64> {
        let name = names
            .iter()
            .find(|n| samples.iter().any(|s| s.metric == **n))?;
        Some(
            samples
                .iter()
                .filter(|s| s.metric == *name)
                .filter_map(|s| match s.value {
                    Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => Some(v),
                    _ => None,
                })
                .sum(),
        )
    };
    let histogram = |names: &[&str]| -> Option<Histogram> {
        let name = names
            .iter()
            .find(|n| samples.iter().any(|s| s.metric == **n))?;
        let mut sum: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
        for s in samples.iter().filter(|s| s.metric == *name) {
            if let Value::Histogram(buckets) = &s.value {
                for b in buckets {
                    // Bounds ordered as numbers (total_cmp through bits).
                    let e = sum
                        .entry(order_key(b.less_than))
                        .or_insert((b.less_than, 0.0));
                    e.1 += b.count;
                }
            }
        }
        Some(Histogram(sum.into_values().collect()))
    };
    let mut out = Sample {
        db_size: scalar(names::DB_SIZE),
        db_in_use: scalar(names::DB_IN_USE),
        quota: scalar(names::QUOTA),
        wal_fsync: histogram(names::WAL_FSYNC),
        backend_commit: histogram(names::BACKEND_COMMIT),
        peer_rtt: histogram(names::PEER_RTT),
        proposals_committed: scalar(names::COMMITTED),
        proposals_applied: scalar(names::APPLIED),
        proposals_pending: scalar(names::PENDING),
        proposals_failed: scalar(names::FAILED),
        leader_changes: scalar(names::LEADER_CHANGES),
        has_leader: scalar(names::HAS_LEADER),
        watch_streams: scalar(names::WATCH_STREAMS),
        watchers: scalar(names::WATCHERS),
        resident_bytes: scalar(names::RSS),
        cpu_seconds: scalar(names::CPU),
        ..Sample::default()
    };
    for s in samples
        .iter()
        .filter(|s| names::GRPC_HANDLED.contains(&s.metric.as_str()))
    {
        let (Value::Counter(v) | Value::Untyped(v)) = s.value else {
            continue;
        };
        let method = s.labels.get("grpc_method").unwrap_or("?").to_string();
        *out.grpc_handled.entry(method).or_default() += v;
        if s.labels
            .get("grpc_code")
            .is_some_and(|c| FAILED_CODES.contains(&c))
        {
            out.grpc_failed += v;
        }
    }
    Ok(out)
}

/// Whether a line belongs to a family the view reads: its sample lines
/// (a histogram's `_bucket`, `_sum`, `_count` too) and its `# TYPE` line.
fn wanted(line: &str) -> bool {
    let name = match line.strip_prefix("# TYPE ") {
        Some(rest) => rest.split(' ').next().unwrap_or_default(),
        None if line.starts_with('#') => return false,
        None => line.split(['{', ' ']).next().unwrap_or_default(),
    };
    let family = ["_bucket", "_sum", "_count"]
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .unwrap_or(name);
    names::ALL
        .iter()
        .any(|names| names.contains(&name) || names.contains(&family))
}

/// A key that orders non-negative floats (and `+Inf`) as numbers.
fn order_key(x: f64) -> u64 {
    let bits = x.to_bits();
    if x.is_sign_negative() {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// Where a client URL serves its metrics: `URL/metrics`, unless the URL
/// already names a path (a context's `metrics_urls` may); `http://` when
/// it names no scheme (`host:port`, as endpoints may be written).
pub fn metrics_url(url: &str) -> String {
    let url = url.trim_end_matches('/');
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    if rest.contains('/') {
        format!("{scheme}://{rest}")
    } else {
        format!("{scheme}://{rest}/metrics")
    }
}

/// The HTTP client the sampler keeps (its connections are reused).
#[derive(Clone)]
pub struct Fetcher {
    client: Client<HttpConnector, Empty<Bytes>>,
}

impl Default for Fetcher {
    fn default() -> Fetcher {
        Fetcher {
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }
}

impl Fetcher {
    /// One member's metrics, read: or why not, in one line.
    pub async fn sample(&self, url: &str) -> Result<Sample, String> {
        if url.starts_with("https://") {
            return Err("https metrics endpoints are not supported yet: set metrics_urls to an http:// --listen-metrics-urls address".into());
        }
        parse(&self.text(url).await?)
    }

    /// The `/metrics` text as served (within [`FETCH_TIMEOUT`]).
    pub async fn text(&self, url: &str) -> Result<String, String> {
        tokio::time::timeout(FETCH_TIMEOUT, self.get(url))
            .await
            .map_err(|_| format!("no answer within {} s", FETCH_TIMEOUT.as_secs()))?
    }

    async fn get(&self, url: &str) -> Result<String, String> {
        let uri: hyper::Uri = url.parse().map_err(|e| format!("bad URL {url}: {e}"))?;
        let answer = self.client.get(uri).await.map_err(|e| one_line(&e))?;
        if !answer.status().is_success() {
            return Err(format!("HTTP {}", answer.status()));
        }
        let body = Limited::new(answer.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|e| format!("reading the answer: {e}"))?
            .to_bytes();
        String::from_utf8(body.to_vec()).map_err(|_| "the answer is not UTF-8".to_string())
    }
}

/// An error and its causes on one line (hyper's own says only "client
/// error (Connect)").
fn one_line(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_url_appends_the_path_unless_one_is_named() {
        assert_eq!(metrics_url("http://a:2379"), "http://a:2379/metrics");
        assert_eq!(metrics_url("http://a:2379/"), "http://a:2379/metrics");
        assert_eq!(metrics_url("a:2379"), "http://a:2379/metrics");
        assert_eq!(
            metrics_url("http://a:2381/metrics"),
            "http://a:2381/metrics"
        );
    }

    #[test]
    fn a_figure_is_read_from_the_first_name_served() {
        // Before etcd 3.4 only the debugging name; 3.4 serves both.
        let old = "# TYPE etcd_debugging_mvcc_db_total_size_in_bytes gauge\n\
            etcd_debugging_mvcc_db_total_size_in_bytes 100\n";
        assert_eq!(parse(old).unwrap().db_size, Some(100.0));
        let both = format!(
            "{old}# TYPE etcd_mvcc_db_total_size_in_bytes gauge\netcd_mvcc_db_total_size_in_bytes 200\n"
        );
        assert_eq!(parse(&both).unwrap().db_size, Some(200.0));
    }

    #[test]
    fn histograms_add_over_label_sets_and_keep_bounds_in_order() {
        let text = "# TYPE h histogram\n\
            h_bucket{To=\"a\",le=\"0.5\"} 1\nh_bucket{To=\"a\",le=\"1\"} 2\nh_bucket{To=\"a\",le=\"+Inf\"} 2\nh_sum{To=\"a\"} 1\nh_count{To=\"a\"} 2\n\
            h_bucket{To=\"b\",le=\"0.5\"} 3\nh_bucket{To=\"b\",le=\"1\"} 3\nh_bucket{To=\"b\",le=\"+Inf\"} 4\nh_sum{To=\"b\"} 1\nh_count{To=\"b\"} 4\n";
        let text = text
            .replace("h_", "etcd_network_peer_round_trip_time_seconds_")
            .replace("TYPE h ", "TYPE etcd_network_peer_round_trip_time_seconds ");
        let sample = parse(&text).unwrap();
        assert_eq!(
            sample.peer_rtt,
            Some(Histogram(vec![
                (0.5, 4.0),
                (1.0, 5.0),
                (f64::INFINITY, 6.0)
            ]))
        );
    }
}
