//! The metrics view on real etcd: this release's `/metrics` captured as a
//! fixture (`tests/fixtures/metrics/etcd-VERSION.txt`, read by
//! `metrics_update.rs`) with every charted figure found; the sampler's
//! charts against a known write load on a 3-member cluster; a member
//! without `/metrics` said in one line.

use std::time::{Duration, Instant};

use crate::common::{self, Etcd, Headless};
use etcdlens::etcd::metrics::{metrics_url, parse, Fetcher, Sample};

/// Where this release's capture goes.
fn fixture_path() -> std::path::PathBuf {
    let (a, b, c) = common::etcd_version();
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/metrics")
        .join(format!("etcd-{a}.{b}.{c}.txt"))
}

/// Captured from member 0 of a 3-member cluster (so the peer round trip is
/// served) after puts and with a watch open; written when missing or under
/// `ETCDLENS_UPDATE_FIXTURES=1`.
#[tokio::test(flavor = "multi_thread")]
async fn this_releases_metrics_hold_every_charted_figure() {
    let etcd = Etcd::members(3).await;
    // Member 0 alone: its own watchers and Put requests.
    let mut c = etcd_client::Client::connect([&etcd.endpoints()[0]], None)
        .await
        .unwrap();
    for i in 0..20 {
        c.put(format!("/fx/{i}"), "v", None).await.unwrap();
    }
    let _watch = c.watch("/fx/", None).await.unwrap();
    // The peers' round trips are measured every few seconds.
    let url = metrics_url(&etcd.endpoints()[0]);
    let fetcher = Fetcher::default();
    let deadline = Instant::now() + Duration::from_secs(30);
    let text = loop {
        let text = fetcher.text(&url).await.unwrap();
        let s = parse(&text).unwrap();
        if s.peer_rtt
            .as_ref()
            .is_some_and(|h| h.0.last().is_some_and(|b| b.1 > 0.0))
            && s.watchers.unwrap_or(0.0) >= 1.0
        {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "no peer round trip or watcher served"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let s = parse(&text).unwrap();
    common::assert_every_figure(&s);
    assert!(
        s.grpc_handled.get("Put").copied().unwrap_or(0.0) >= 1.0,
        "{s:?}"
    );
    let path = fixture_path();
    if !path.exists() || std::env::var_os("ETCDLENS_UPDATE_FIXTURES").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
    }
}

/// N puts: each member's committed-proposals chart, integrated over the
/// points after the puts began, advances by N (waited for: a follower's
/// commit index follows the leader's) (etcd's own background
/// proposals — the alarm list the cluster view asks for goes through raft
/// — allowed for: at most 3 more), and the members' `Put` counters
/// together by exactly N.
#[tokio::test(flavor = "multi_thread")]
async fn the_charts_follow_a_known_write_load() {
    const N: f64 = 150.0;
    let etcd = Etcd::members(3).await;
    let mut app = Headless::start(etcd.connection().await, b"", 100);
    app.until_listed(10).await;
    app.command("metrics 1");
    assert_eq!(
        etcdlens::app::layer::layer(&app.state),
        etcdlens::app::layer::Layer::Metrics
    );
    app.until_ticking(30, "every member sampled twice", |s| {
        s.metrics.members.len() == 3 && s.metrics.members.iter().all(|m| m.points.len() >= 2)
    })
    .await;
    let base: Vec<(f64, Sample)> = app
        .state
        .metrics
        .members
        .iter()
        .map(|m| m.last.clone().unwrap())
        .collect();
    let mut c = etcd.client().await;
    for i in 0..N as usize {
        c.put(format!("/load/{i:04}"), "v", None).await.unwrap();
    }
    // A follower learns that the last entries are committed with the
    // leader's next message: wait until every member's samples show the
    // puts (or time out, and fail).
    let committed = |s: &Sample| s.proposals_committed.unwrap_or(0.0);
    let before: Vec<f64> = base.iter().map(|(_, s)| committed(s)).collect();
    app.until_ticking(30, "every member's samples showing the puts", |s| {
        s.metrics.members.iter().zip(&before).all(|(m, b)| {
            m.last
                .as_ref()
                .is_some_and(|(_, now)| committed(now) - b >= N)
        })
    })
    .await;
    let mut puts = 0.0;
    for (m, (t0, before)) in app.state.metrics.members.iter().zip(&base) {
        let (_, now) = m.last.as_ref().unwrap();
        let counted = now.proposals_committed.unwrap() - before.proposals_committed.unwrap();
        // The chart's rates times their intervals give the counter back.
        let mut charted = 0.0;
        let mut prev_t = *t0;
        for p in m.points.iter().filter(|p| p.t > *t0) {
            charted += p.committed_rate.unwrap() * (p.t - prev_t);
            prev_t = p.t;
        }
        assert!(
            (charted - counted).abs() < 1e-6,
            "{}: charted {charted}, counter {counted}",
            m.target.name
        );
        assert!(
            (N..=N + 3.0).contains(&counted),
            "{}: {counted} proposals committed for {N} puts",
            m.target.name
        );
        let put = |s: &Sample| s.grpc_handled.get("Put").copied().unwrap_or(0.0);
        puts += put(now) - put(before);
        assert!(m.error.is_none(), "{:?}", m.error);
    }
    assert_eq!(puts, N, "Put requests handled by the members together");
}

/// A `/metrics` that does not answer (a context's `metrics_urls` naming a
/// closed port): one line in the view, not an error per sample.
#[tokio::test(flavor = "multi_thread")]
async fn a_metrics_url_that_does_not_answer_is_one_line() {
    let etcd = Etcd::single().await;
    let mut app = Headless::start(etcd.connection().await, b"", 100);
    app.until_listed(10).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    app.state.metrics_urls = vec![url.clone()];
    app.command("metrics 1");
    app.until_ticking(15, "the sample failed twice", |s| {
        s.metrics.members.len() == 1 && s.metrics.members[0].error.is_some()
    })
    .await;
    let asked = app.state.metrics.asked_at;
    app.until_ticking(15, "asked again", |s| s.metrics.asked_at != asked)
        .await;
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 45)).unwrap();
    t.draw(|f| etcdlens::ui::draw(f, &app.state)).unwrap();
    let screen: String = t
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert_eq!(
        screen.matches("no member answers at /metrics").count(),
        1,
        "{screen}"
    );
    assert!(screen.contains("metrics_urls"), "{screen}");
    assert!(
        app.state.message.as_ref().is_none_or(|m| !m.error),
        "{:?}",
        app.state.message
    );
}
