//! The metrics view's model (`I`, `:metrics`): every member's `/metrics`
//! sampled every few seconds for the session, a bounded window of
//! [`Point`]s per member (rates and histogram quantiles over the last
//! interval: the difference of two cumulative samples), and the etcd
//! mixin's alert rules on them ([`alerts`]). Pure: the sampling is
//! `Cmd::SampleMetrics`'s (`tasks/metrics.rs`).

pub mod update;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::etcd::metrics::{Histogram, Sample};

/// How often the members are sampled unless `:metrics SECS` says.
pub const DEFAULT_EVERY: Duration = Duration::from_secs(5);
/// How much of the session the charts keep.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Where one member's metrics are read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    /// The member's name (or the URL's host for a context's `metrics_urls`).
    pub name: String,
    pub url: String,
}

/// The session's samples (`State::metrics`): sampling starts when the view
/// first opens and goes on, closed or not, until the session ends.
#[derive(Debug)]
pub struct Metrics {
    pub every: Duration,
    pub window: Duration,
    /// The time axis's zero: the first sample asked.
    pub started: Option<Instant>,
    pub asked_at: Option<Instant>,
    pub in_flight: bool,
    pub members: Vec<Series>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            every: DEFAULT_EVERY,
            window: WINDOW,
            started: None,
            asked_at: None,
            in_flight: false,
            members: Vec::new(),
        }
    }
}

/// The view itself (`State::metrics_view`): whose charts are shown.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MetricsView {
    pub selected: usize,
    /// The first chart shown, when they do not all fit.
    pub scroll: usize,
}

/// One member's samples.
#[derive(Debug, Default)]
pub struct Series {
    pub target: Target,
    /// Oldest first, within the window.
    pub points: VecDeque<Point>,
    /// The last sample read (seconds on the axis, the sample), the base of
    /// the next point's rates.
    pub last: Option<(f64, Sample)>,
    /// Why the last sample failed (cleared by the next answer).
    pub error: Option<String>,
    /// Requests per second by gRPC method over the last interval, most
    /// first.
    pub methods: Vec<(String, f64)>,
}

/// One sample as charted: gauges as read, counters as rates and histograms
/// as quantiles over the interval since the previous sample.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Point {
    /// Seconds since the session's first sample.
    pub t: f64,
    pub db_size: Option<f64>,
    pub db_in_use: Option<f64>,
    pub quota: Option<f64>,
    pub fsync_p50: Option<f64>,
    pub fsync_p99: Option<f64>,
    pub commit_p50: Option<f64>,
    pub commit_p99: Option<f64>,
    pub committed_rate: Option<f64>,
    pub applied_rate: Option<f64>,
    pub pending: Option<f64>,
    pub failed_rate: Option<f64>,
    pub grpc_rate: Option<f64>,
    pub grpc_failed_rate: Option<f64>,
    pub watch_streams: Option<f64>,
    pub watchers: Option<f64>,
    pub rtt_p50: Option<f64>,
    pub rtt_p99: Option<f64>,
    pub resident_bytes: Option<f64>,
    /// CPU used, in cores (1.0: one core busy).
    pub cpu: Option<f64>,
    pub has_leader: Option<f64>,
    /// Cumulative counters, for the rules over the window.
    pub leader_changes: Option<f64>,
    pub proposals_failed: Option<f64>,
    pub proposals_committed: Option<f64>,
    /// The leader changed since the previous point.
    pub leader_changed: bool,
}

impl Point {
    /// The point of `now` (read `t` seconds into the session), with rates
    /// and quantiles against `prev` when there is one.
    pub fn between(prev: Option<&(f64, Sample)>, t: f64, now: &Sample) -> Point {
        let dt = prev.map(|(pt, _)| t - pt).filter(|dt| *dt > 0.0);
        let before = prev.map(|(_, s)| s);
        let rate = |f: fn(&Sample) -> Option<f64>| -> Option<f64> {
            let (b, dt) = (before?, dt?);
            let d = f(now)? - f(b)?;
            // A counter going back: the member restarted.
            (d >= 0.0).then_some(d / dt)
        };
        let q =
            |f: fn(&Sample) -> Option<&Histogram>, q: f64| quantile(q, before.and_then(f), f(now)?);
        let changes = |s: &Sample| s.leader_changes;
        Point {
            t,
            db_size: now.db_size,
            db_in_use: now.db_in_use,
            quota: now.quota,
            fsync_p50: q(|s| s.wal_fsync.as_ref(), 0.5),
            fsync_p99: q(|s| s.wal_fsync.as_ref(), 0.99),
            commit_p50: q(|s| s.backend_commit.as_ref(), 0.5),
            commit_p99: q(|s| s.backend_commit.as_ref(), 0.99),
            committed_rate: rate(|s| s.proposals_committed),
            applied_rate: rate(|s| s.proposals_applied),
            pending: now.proposals_pending,
            failed_rate: rate(|s| s.proposals_failed),
            grpc_rate: rate(|s| Some(s.grpc_handled.values().sum())),
            grpc_failed_rate: rate(|s| Some(s.grpc_failed)),
            watch_streams: now.watch_streams,
            watchers: now.watchers,
            rtt_p50: q(|s| s.peer_rtt.as_ref(), 0.5),
            rtt_p99: q(|s| s.peer_rtt.as_ref(), 0.99),
            resident_bytes: now.resident_bytes,
            cpu: rate(|s| s.cpu_seconds),
            has_leader: now.has_leader,
            leader_changes: now.leader_changes,
            proposals_failed: now.proposals_failed,
            proposals_committed: now.proposals_committed,
            leader_changed: before
                .and_then(changes)
                .zip(changes(now))
                .is_some_and(|(b, n)| n > b),
        }
    }
}

/// Requests per second by method between two samples, most first.
pub fn method_rates(prev: &(f64, Sample), t: f64, now: &Sample) -> Vec<(String, f64)> {
    let dt = t - prev.0;
    if dt <= 0.0 {
        return Vec::new();
    }
    let mut rates: Vec<(String, f64)> = now
        .grpc_handled
        .iter()
        .map(|(m, n)| {
            let before = prev.1.grpc_handled.get(m).copied().unwrap_or(0.0);
            (m.clone(), ((n - before) / dt).max(0.0))
        })
        .filter(|(_, r)| *r > 0.0)
        .collect();
    rates.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    rates
}

/// Prometheus's `histogram_quantile` over the observations between two
/// cumulative histograms (`prev` none: no interval yet, no answer); none
/// when nothing was observed in between. Linear within a bucket; in the
/// `+Inf` bucket, the highest finite bound.
pub fn quantile(q: f64, prev: Option<&Histogram>, now: &Histogram) -> Option<f64> {
    let prev = prev?;
    let count = |h: &Histogram, bound: f64| {
        h.0.iter()
            .find(|(b, _)| *b == bound)
            .map_or(0.0, |(_, c)| *c)
    };
    let diff: Vec<(f64, f64)> = now
        .0
        .iter()
        .map(|(b, c)| (*b, (c - count(prev, *b)).max(0.0)))
        .collect();
    let total = diff.last()?.1;
    if total <= 0.0 {
        return None;
    }
    let rank = q * total;
    let (mut lower, mut below) = (0.0, 0.0);
    for (bound, cum) in &diff {
        if *cum >= rank {
            if bound.is_infinite() {
                return Some(lower);
            }
            let inside = cum - below;
            if inside <= 0.0 {
                return Some(*bound);
            }
            return Some(lower + (bound - lower) * (rank - below) / inside);
        }
        lower = *bound;
        below = *cum;
    }
    Some(lower)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Critical,
}

/// An etcd-mixin alert rule met by a member's samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// The rule's name as the mixin spells it.
    pub rule: &'static str,
    pub severity: Severity,
    /// What was seen against the threshold.
    pub detail: String,
}

/// The etcd mixin's alert rules (`contrib/mixin/mixin.libsonnet`) that a
/// member's own samples can decide, evaluated on its latest point (the
/// mixin's `for:` durations are not waited for) with the mixin's ranges
/// shortened to the window held (`[15m]`, `[4h]`) or to the last interval
/// (`rate(…[5m])`). Worst first.
pub fn alerts(series: &Series, window: Duration) -> Vec<Alert> {
    let Some(last) = series.points.back() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut alert = |rule, severity, detail: String| {
        out.push(Alert {
            rule,
            severity,
            detail,
        })
    };
    if last.has_leader == Some(0.0) {
        alert("etcdNoLeader", Severity::Critical, "has no leader".into());
    }
    // increase(etcd_server_leader_changes_seen_total[15m]) >= 4
    let span = window.min(Duration::from_secs(15 * 60)).as_secs_f64();
    let since = |f: fn(&Point) -> Option<f64>| -> Option<(f64, f64)> {
        let first = series
            .points
            .iter()
            .find(|p| p.t >= last.t - span && f(p).is_some())?;
        Some((f(last)? - f(first)?, last.t - first.t))
    };
    if let Some((n, _)) = since(|p| p.leader_changes).filter(|(n, _)| *n >= 4.0) {
        alert(
            "etcdHighNumberOfLeaderChanges",
            Severity::Warning,
            format!(
                "{n:.0} leader changes in the last {} min (≥ 4)",
                span as u64 / 60
            ),
        );
    }
    // rate(etcd_server_proposals_failed_total[15m]) > 5
    if let Some((n, dt)) = since(|p| p.proposals_failed).filter(|(_, dt)| *dt > 0.0) {
        if n / dt > 5.0 {
            alert(
                "etcdHighNumberOfFailedProposals",
                Severity::Warning,
                format!("{:.1} failed proposals/s (> 5)", n / dt),
            );
        }
    }
    // 100 * failed / handled > 1 (warning), > 5 (critical)
    if let (Some(failed), Some(all)) = (last.grpc_failed_rate, last.grpc_rate) {
        let pct = if all > 0.0 { 100.0 * failed / all } else { 0.0 };
        if pct > 1.0 {
            let sev = if pct > 5.0 {
                Severity::Critical
            } else {
                Severity::Warning
            };
            alert(
                "etcdHighNumberOfFailedGRPCRequests",
                sev,
                format!(
                    "{pct:.1} % of gRPC requests failed (> {})",
                    if pct > 5.0 { 5 } else { 1 }
                ),
            );
        }
    }
    // histogram_quantile(0.99, peer round trip) > 0.15
    if let Some(p) = last.rtt_p99.filter(|p| *p > 0.15) {
        alert(
            "etcdMemberCommunicationSlow",
            Severity::Warning,
            format!("peer round trip p99 {} (> 150 ms)", millis(p)),
        );
    }
    // histogram_quantile(0.99, wal fsync) > 0.5 (warning), > 1 (critical)
    if let Some(p) = last.fsync_p99.filter(|p| *p > 0.5) {
        let (sev, limit) = if p > 1.0 {
            (Severity::Critical, "1 s")
        } else {
            (Severity::Warning, "500 ms")
        };
        alert(
            "etcdHighFsyncDurations",
            sev,
            format!("WAL fsync p99 {} (> {limit})", millis(p)),
        );
    }
    // histogram_quantile(0.99, backend commit) > 0.25
    if let Some(p) = last.commit_p99.filter(|p| *p > 0.25) {
        alert(
            "etcdHighCommitDurations",
            Severity::Warning,
            format!("backend commit p99 {} (> 250 ms)", millis(p)),
        );
    }
    // db size / quota * 100 > 95
    if let (Some(size), Some(quota)) = (last.db_size, last.quota.filter(|q| *q > 0.0)) {
        let pct = 100.0 * size / quota;
        if pct > 95.0 {
            alert(
                "etcdBackendQuotaLowSpace",
                Severity::Critical,
                format!("DB at {pct:.0} % of its quota (> 95 %)"),
            );
        }
        // predict_linear(db size[4h], 4h) > quota, over the window held.
        if let Some(slope) = slope(series.points.iter().filter_map(|p| Some((p.t, p.db_size?)))) {
            let predicted = size + slope * 4.0 * 3600.0;
            if predicted > quota {
                alert(
                    "etcdExcessiveDatabaseGrowth",
                    Severity::Warning,
                    format!(
                        "at {:.1} MiB/min the DB passes its quota within 4 h",
                        slope * 60.0 / (1 << 20) as f64
                    ),
                );
            }
        }
    }
    out.sort_by_key(|a| std::cmp::Reverse(a.severity));
    out
}

/// The least-squares slope of `(t, y)` (Prometheus's `predict_linear`
/// uses the same fit); none under two points over some time.
pub fn slope(points: impl Iterator<Item = (f64, f64)>) -> Option<f64> {
    let pts: Vec<(f64, f64)> = points.collect();
    let n = pts.len() as f64;
    if pts.len() < 2 {
        return None;
    }
    let (mt, my) = pts
        .iter()
        .fold((0.0, 0.0), |(a, b), (t, y)| (a + t / n, b + y / n));
    let (num, den) = pts.iter().fold((0.0, 0.0), |(num, den), (t, y)| {
        (num + (t - mt) * (y - my), den + (t - mt) * (t - mt))
    });
    (den > 0.0).then(|| num / den)
}

/// Seconds as milliseconds for a line.
pub fn millis(seconds: f64) -> String {
    let ms = seconds * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

impl Metrics {
    /// Sampling has started (the view was opened once this session).
    pub fn running(&self) -> bool {
        self.started.is_some()
    }

    /// Seconds on the time axis for `at`.
    pub fn seconds(&self, at: Instant) -> f64 {
        self.started
            .map_or(0.0, |s| at.saturating_duration_since(s).as_secs_f64())
    }

    /// Follows the member list: new targets get an empty series, gone ones
    /// are dropped, kept ones keep their samples (matched by URL).
    pub fn set_targets(&mut self, targets: Vec<Target>) {
        let mut old = std::mem::take(&mut self.members);
        self.members = targets
            .into_iter()
            .map(
                |target| match old.iter().position(|s| s.target.url == target.url) {
                    Some(i) => {
                        let mut s = old.swap_remove(i);
                        s.target = target;
                        s
                    }
                    None => Series {
                        target,
                        ..Series::default()
                    },
                },
            )
            .collect();
    }

    /// A member's answer, read `at`: a new point (rates against its last
    /// sample), points older than the window dropped; or the error kept.
    pub fn record(&mut self, url: &str, at: Instant, answer: Result<Sample, String>) {
        let t = self.seconds(at);
        let window = self.window.as_secs_f64();
        let Some(series) = self.members.iter_mut().find(|s| s.target.url == url) else {
            return;
        };
        match answer {
            Ok(sample) => {
                let point = Point::between(series.last.as_ref(), t, &sample);
                if let Some(prev) = &series.last {
                    series.methods = method_rates(prev, t, &sample);
                }
                series.points.push_back(point);
                while series.points.front().is_some_and(|p| p.t < t - window) {
                    series.points.pop_front();
                }
                series.last = Some((t, sample));
                series.error = None;
            }
            Err(e) => series.error = Some(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(b: &[(f64, f64)]) -> Histogram {
        Histogram(b.to_vec())
    }

    #[test]
    fn quantile_interpolates_within_the_bucket_of_the_interval() {
        let before = h(&[
            (0.001, 10.0),
            (0.002, 10.0),
            (0.004, 10.0),
            (f64::INFINITY, 10.0),
        ]);
        // 100 observations in the interval: 50 under 1 ms, 50 in 2–4 ms.
        let now = h(&[
            (0.001, 60.0),
            (0.002, 60.0),
            (0.004, 110.0),
            (f64::INFINITY, 110.0),
        ]);
        assert_eq!(quantile(0.5, Some(&before), &now), Some(0.001));
        let p99 = quantile(0.99, Some(&before), &now).unwrap();
        assert!((p99 - (0.002 + 0.002 * 49.0 / 50.0)).abs() < 1e-12, "{p99}");
        assert_eq!(quantile(0.5, None, &now), None);
        assert_eq!(quantile(0.5, Some(&now), &now), None);
    }
}
