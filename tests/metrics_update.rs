//! The metrics view without etcd: each release's captured `/metrics`
//! (`tests/fixtures/metrics/`, written by `tests/metrics.rs`) parsed; rates,
//! quantiles and the mixin's alert rules as plain functions; opening,
//! sampling on the clock and `:metrics SECS` through `update`; snapshots at
//! 160×45 and 80×24 without colour.

use std::time::Duration;

use crate::common;
use common::fixtures::{ch, cluster_info, command, listed_root, member_status, screen_sized};
use etcdlens::app::metrics::{alerts, quantile, Point, Series, Severity, Target};
use etcdlens::app::{update, Cmd, Msg, State};
use etcdlens::etcd::metrics::{parse, Histogram, Sample};

/// Every release of the test matrix.
const RELEASES: [&str; 4] = ["3.4.23", "3.5.30", "3.6.16", "3.7.3"];

fn fixture(version: &str) -> Sample {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/fixtures/metrics/etcd-{version}.txt"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (captured by tests/metrics.rs on {version})",
            path.display()
        )
    });
    parse(&text).unwrap()
}

#[test]
fn every_releases_metrics_give_every_figure() {
    for v in RELEASES {
        let s = fixture(v);
        common::assert_every_figure(&s);
        // The captures were taken after 20 puts and with a watch open.
        assert!(s.grpc_handled["Put"] >= 20.0, "{v}: {:?}", s.grpc_handled);
        assert!(
            s.watchers.unwrap() >= 1.0 && s.watch_streams.unwrap() >= 1.0,
            "{v}"
        );
        assert!(s.proposals_committed.unwrap() >= 20.0, "{v}");
    }
}

#[test]
fn text_that_is_not_metrics_is_refused_in_one_line() {
    let e = parse("<html>not found</html>\n").unwrap_err();
    assert!(!e.contains('\n'), "{e}");
    assert!(parse("").is_err());
}

/// A sample `dt` seconds of a steady load after `s`: `puts` puts, fsyncs
/// all in the 2–4 ms bucket.
fn later(s: &Sample, puts: f64) -> Sample {
    let mut n = s.clone();
    for c in [&mut n.proposals_committed, &mut n.proposals_applied] {
        *c = c.map(|v| v + puts);
    }
    *n.grpc_handled.entry("Put".into()).or_default() += puts;
    *n.grpc_handled.entry("Range".into()).or_default() += puts / 2.0;
    n.cpu_seconds = n.cpu_seconds.map(|v| v + 0.5);
    let bump = |h: &mut Option<Histogram>, from: f64| {
        if let Some(h) = h {
            for (bound, count) in &mut h.0 {
                if *bound >= from {
                    *count += puts;
                }
            }
        }
    };
    bump(&mut n.wal_fsync, 0.004);
    bump(&mut n.backend_commit, 0.008);
    n.db_size = n.db_size.map(|v| v + puts * 1024.0);
    n
}

#[test]
fn a_point_gives_rates_and_quantiles_over_the_interval() {
    let a = fixture("3.7.3");
    let b = later(&a, 100.0);
    let p = Point::between(Some(&(10.0, a.clone())), 15.0, &b);
    assert_eq!(p.committed_rate, Some(20.0));
    assert_eq!(p.applied_rate, Some(20.0));
    assert_eq!(p.grpc_rate, Some(30.0));
    assert_eq!(p.grpc_failed_rate, Some(0.0));
    assert_eq!(p.cpu, Some(0.1));
    // Every fsync of the interval in (2 ms, 4 ms]: p50 half way through it.
    let p50 = p.fsync_p50.unwrap();
    assert!((p50 - 0.003).abs() < 1e-9, "{p50}");
    assert!(p.fsync_p99.unwrap() > 0.0039 && p.fsync_p99.unwrap() <= 0.004);
    assert!(p.commit_p99.unwrap() > 0.004 && p.commit_p99.unwrap() <= 0.008);
    // No interval yet: gauges only.
    let first = Point::between(None, 0.0, &a);
    assert_eq!((first.committed_rate, first.fsync_p99), (None, None));
    assert_eq!(first.db_size, a.db_size);
    // A restart (counters back to small): no rate rather than a negative one.
    let restarted = Point::between(Some(&(15.0, b)), 20.0, &a);
    assert_eq!(restarted.committed_rate, None);
}

#[test]
fn quantiles_are_prometheus_histogram_quantile_over_the_difference() {
    let h = |b: &[(f64, f64)]| Histogram(b.to_vec());
    let before = h(&[(0.1, 5.0), (0.2, 5.0), (f64::INFINITY, 5.0)]);
    let after = h(&[(0.1, 5.0), (0.2, 9.0), (f64::INFINITY, 10.0)]);
    // 5 new: 4 in (0.1, 0.2], 1 above: p50 at rank 2.5 of 4 in the bucket.
    let p50 = quantile(0.5, Some(&before), &after).unwrap();
    assert!((p50 - (0.1 + 0.1 * 2.5 / 4.0)).abs() < 1e-12);
    // In the +Inf bucket: the highest finite bound.
    assert_eq!(quantile(0.99, Some(&before), &after), Some(0.2));
}

fn series(points: Vec<Point>) -> Series {
    Series {
        points: points.into(),
        ..Series::default()
    }
}

fn rules(points: Vec<Point>) -> Vec<(&'static str, Severity)> {
    alerts(&series(points), Duration::from_secs(900))
        .into_iter()
        .map(|a| (a.rule, a.severity))
        .collect()
}

#[test]
fn the_mixins_alert_rules_at_their_thresholds() {
    let at = |t: f64, f: fn(&mut Point)| {
        let mut p = Point {
            t,
            has_leader: Some(1.0),
            ..Point::default()
        };
        f(&mut p);
        p
    };
    assert!(rules(vec![at(0.0, |_| {})]).is_empty());
    assert_eq!(
        rules(vec![at(0.0, |p| p.has_leader = Some(0.0))]),
        [("etcdNoLeader", Severity::Critical)]
    );
    // Fsync p99: > 0.5 s warning, > 1 s critical.
    assert!(rules(vec![at(0.0, |p| p.fsync_p99 = Some(0.5))]).is_empty());
    assert_eq!(
        rules(vec![at(0.0, |p| p.fsync_p99 = Some(0.6))]),
        [("etcdHighFsyncDurations", Severity::Warning)]
    );
    assert_eq!(
        rules(vec![at(0.0, |p| p.fsync_p99 = Some(1.2))]),
        [("etcdHighFsyncDurations", Severity::Critical)]
    );
    assert_eq!(
        rules(vec![at(0.0, |p| p.commit_p99 = Some(0.3))]),
        [("etcdHighCommitDurations", Severity::Warning)]
    );
    assert_eq!(
        rules(vec![at(0.0, |p| p.rtt_p99 = Some(0.2))]),
        [("etcdMemberCommunicationSlow", Severity::Warning)]
    );
    // Failed gRPC: > 1 % warning, > 5 % critical.
    let grpc = |failed: f64| {
        let mut p = at(0.0, |_| {});
        p.grpc_rate = Some(100.0);
        p.grpc_failed_rate = Some(failed);
        rules(vec![p])
    };
    assert!(grpc(1.0).is_empty());
    assert_eq!(
        grpc(2.0),
        [("etcdHighNumberOfFailedGRPCRequests", Severity::Warning)]
    );
    assert_eq!(
        grpc(6.0),
        [("etcdHighNumberOfFailedGRPCRequests", Severity::Critical)]
    );
    // Leader changes: increase over 15 min >= 4; older points do not count.
    let changes = |pairs: &[(f64, f64)]| {
        rules(
            pairs
                .iter()
                .map(|(t, n)| {
                    let mut p = at(*t, |_| {});
                    p.leader_changes = Some(*n);
                    p
                })
                .collect(),
        )
    };
    assert!(changes(&[(0.0, 1.0), (60.0, 4.0)]).is_empty());
    assert_eq!(
        changes(&[(0.0, 1.0), (60.0, 5.0)]),
        [("etcdHighNumberOfLeaderChanges", Severity::Warning)]
    );
    assert!(changes(&[(0.0, 1.0), (100.0, 2.0), (1000.0, 5.0)]).is_empty());
    // Quota: > 95 % critical; growth reaching the quota within 4 h.
    let db = |pairs: &[(f64, f64)], quota: f64| {
        rules(
            pairs
                .iter()
                .map(|(t, size)| {
                    let mut p = at(*t, |_| {});
                    p.db_size = Some(*size);
                    p.quota = Some(quota);
                    p
                })
                .collect(),
        )
    };
    assert_eq!(
        db(&[(0.0, 96.0)], 100.0),
        [("etcdBackendQuotaLowSpace", Severity::Critical)]
    );
    let mib = (1u64 << 20) as f64;
    // 1 MiB a minute, 147 MiB under a 2 GiB quota: 4 h is 240 MiB more.
    assert_eq!(
        db(&[(0.0, 1900.0 * mib), (60.0, 1901.0 * mib)], 2048.0 * mib),
        [("etcdExcessiveDatabaseGrowth", Severity::Warning)]
    );
    assert!(db(&[(0.0, 100.0 * mib), (60.0, 101.0 * mib)], 2048.0 * mib).is_empty());
    // Failed proposals: more than 5 a second over the window.
    let failed = |n: f64| {
        rules(vec![
            {
                let mut p = at(0.0, |_| {});
                p.proposals_failed = Some(0.0);
                p
            },
            {
                let mut p = at(10.0, |_| {});
                p.proposals_failed = Some(n);
                p
            },
        ])
    };
    assert!(failed(50.0).is_empty());
    assert_eq!(
        failed(60.0),
        [("etcdHighNumberOfFailedProposals", Severity::Warning)]
    );
}

/// The view opened on a listed tree with three members known.
fn opened() -> (State, Vec<Cmd>) {
    let mut s = listed_root(&["/app/", "/config"]);
    s.cluster.info = Some(cluster_info(member_status("3.7.3", 20, 10, 2048)));
    let cmds = update(&mut s, ch('I'));
    (s, cmds)
}

fn sampled_urls(cmds: &[Cmd]) -> Vec<String> {
    cmds.iter()
        .find_map(|c| match c {
            Cmd::SampleMetrics { urls } => Some(urls.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

#[test]
fn opening_samples_every_member_and_the_clock_samples_again() {
    let (mut s, cmds) = opened();
    assert_eq!(
        etcdlens::app::layer::layer(&s),
        etcdlens::app::layer::Layer::Metrics
    );
    assert_eq!(
        sampled_urls(&cmds),
        [
            "http://127.0.0.1:2379/metrics",
            "http://127.0.0.1:22379/metrics",
            "http://127.0.0.1:32379/metrics"
        ]
    );
    let t0 = s.now;
    // An answer awaited: the clock does not ask again.
    assert!(sampled_urls(&update(&mut s, Msg::Tick(t0 + Duration::from_secs(6)))).is_empty());
    update(
        &mut s,
        Msg::MetricsSampled(vec![
            (
                "http://127.0.0.1:2379/metrics".into(),
                t0,
                Ok(fixture("3.7.3")),
            ),
            (
                "http://127.0.0.1:22379/metrics".into(),
                t0,
                Ok(fixture("3.6.16")),
            ),
            (
                "http://127.0.0.1:32379/metrics".into(),
                t0,
                Err("connection refused".into()),
            ),
        ]),
    );
    assert_eq!(s.metrics.members[0].points.len(), 1);
    assert_eq!(
        s.metrics.members[2].error.as_deref(),
        Some("connection refused")
    );
    // Closed, sampling goes on for the session.
    update(&mut s, ch('I'));
    assert!(s.metrics_view.is_none());
    let cmds = update(&mut s, Msg::Tick(t0 + Duration::from_secs(6)));
    assert_eq!(sampled_urls(&cmds).len(), 3);
    // :metrics 2 — every 2 s; nonsense refused.
    update(&mut s, Msg::MetricsSampled(vec![]));
    command(&mut s, "metrics 2");
    assert_eq!(s.metrics.every, Duration::from_secs(2));
    assert!(s.metrics_view.is_some());
    command(&mut s, "metrics 0");
    assert_eq!(s.metrics.every, Duration::from_secs(2));
    assert!(s.message.as_ref().unwrap().error);
}

#[test]
fn a_contexts_metrics_urls_are_read_instead_of_the_members() {
    let mut s = listed_root(&["/app/"]);
    s.metrics_urls = vec![
        "10.0.0.1:2381".into(),
        "https://10.0.0.2:2381/metrics".into(),
    ];
    let cmds = update(&mut s, ch('I'));
    assert_eq!(
        sampled_urls(&cmds),
        [
            "http://10.0.0.1:2381/metrics",
            "https://10.0.0.2:2381/metrics"
        ]
    );
    assert_eq!(
        s.metrics.members[0].target,
        Target {
            name: "10.0.0.1:2381".into(),
            url: "http://10.0.0.1:2381/metrics".into(),
        }
    );
}

/// Three members over two minutes: infra1 steady, infra2 near its quota
/// with a leader change, infra3 not answering.
fn charted() -> State {
    let (mut s, _) = opened();
    s.theme = etcdlens::ui::theme::Theme::NoColor;
    let t0 = s.now;
    let mut a = fixture("3.7.3");
    let mut b = fixture("3.6.16");
    b.quota = Some(64.0 * (1u64 << 20) as f64);
    b.db_size = Some(62.0 * (1u64 << 20) as f64);
    for i in 0..25u64 {
        let at = t0 + Duration::from_secs(5 * i);
        s.metrics.in_flight = true;
        update(
            &mut s,
            Msg::MetricsSampled(vec![
                ("http://127.0.0.1:2379/metrics".into(), at, Ok(a.clone())),
                ("http://127.0.0.1:22379/metrics".into(), at, Ok(b.clone())),
                (
                    "http://127.0.0.1:32379/metrics".into(),
                    at,
                    Err("client error (Connect): tcp connect error: Connection refused".into()),
                ),
            ]),
        );
        a = later(&a, (50 + 10 * (i % 5)) as f64);
        b = later(&b, 20.0);
        if i == 12 {
            b.leader_changes = b.leader_changes.map(|v| v + 1.0);
        }
    }
    s
}

#[test]
fn snapshots_at_160x45_and_80x24() {
    let mut s = charted();
    insta::assert_snapshot!("metrics_160x45", screen_sized(&s, 160, 45));
    s.size = (80, 24);
    insta::assert_snapshot!("metrics_80x24", screen_sized(&s, 80, 24));
    // The second member: its alert and its leader change.
    s.size = (160, 45);
    update(
        &mut s,
        common::fixtures::key(crossterm::event::KeyCode::Down),
    );
    let screen = screen_sized(&s, 160, 45);
    assert!(screen.contains("etcdBackendQuotaLowSpace"), "{screen}");
    insta::assert_snapshot!("metrics_second_member_160x45", screen);
    // The third: why it did not answer, in one line.
    update(
        &mut s,
        common::fixtures::key(crossterm::event::KeyCode::Down),
    );
    let screen = screen_sized(&s, 160, 45);
    assert_eq!(screen.matches("did not answer").count(), 1, "{screen}");
    // At 80×24 the charts scroll.
    s.size = (80, 24);
    update(&mut s, common::fixtures::key(crossterm::event::KeyCode::Up));
    update(&mut s, common::fixtures::key(crossterm::event::KeyCode::Up));
    update(
        &mut s,
        common::fixtures::key(crossterm::event::KeyCode::PageDown),
    );
    insta::assert_snapshot!("metrics_80x24_scrolled", screen_sized(&s, 80, 24));
    // PgDn stops at the last chart: one PgUp from there scrolls back.
    let page = |s: &mut State, code| update(s, common::fixtures::key(code));
    for _ in 0..20 {
        page(&mut s, crossterm::event::KeyCode::PageDown);
    }
    let bottom = s.metrics_view.as_ref().unwrap().scroll;
    assert!(screen_sized(&s, 80, 24).contains(" CPU "));
    page(&mut s, crossterm::event::KeyCode::PageUp);
    assert_eq!(s.metrics_view.as_ref().unwrap().scroll, bottom - 1);
}
