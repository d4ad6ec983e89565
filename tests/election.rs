//! Elections against real etcd, with `etcdctl elect` (Go's
//! concurrency.Election) as a real peer of `etcdlens campaign`.

use crate::common;

use std::process::Command;
use std::time::Duration;

use common::proc::Proc;
use common::{Etcd, Headless};

const BIN: &str = env!("CARGO_BIN_EXE_etcdlens");
const ELECTION: &str = "/testelection";

fn etcdctl_elect(ep: &str, proposal: &str) -> Proc {
    Proc::spawn(common::etcdctl().args(["--endpoints", ep, "elect", ELECTION, proposal]))
}

fn etcdlens_campaign(ep: &str, proposal: &str, ttl: &str) -> Proc {
    Proc::spawn(Command::new(BIN).args([
        "--endpoints",
        ep,
        "campaign",
        ELECTION,
        proposal,
        "--ttl",
        ttl,
    ]))
}

/// The leader's proposal according to `etcdctl elect -l` (Go's Observe).
fn etcdctl_leader(ep: &str) -> String {
    let p = Proc::spawn(common::etcdctl().args(["--endpoints", ep, "elect", "-l", ELECTION]));
    // It prints the leader key, then its proposal.
    let key = p
        .lines
        .recv_timeout(Duration::from_secs(10))
        .expect("leader key");
    assert!(key.starts_with(ELECTION), "{key}");
    p.lines
        .recv_timeout(Duration::from_secs(10))
        .expect("proposal")
}

fn leader_of(app: &Headless) -> Option<String> {
    let view = app.state.elections.first()?;
    view.leader()
        .map(|c| String::from_utf8_lossy(&c.value).into_owned())
}

fn waiting_of(app: &Headless) -> Vec<String> {
    app.state.elections[0]
        .waiting()
        .iter()
        .map(|c| String::from_utf8_lossy(&c.value).into_owned())
        .collect()
}

fn follow(app: &mut Headless) {
    let mut cmds = Vec::new();
    etcdlens::app::elections::update::follow(
        &mut app.state,
        ELECTION.as_bytes().to_vec(),
        &mut cmds,
    );
    for c in cmds {
        app.send(c);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn etcdctl_leads_then_etcdlens_takes_over() {
    let etcd = Etcd::single().await;
    let ep = etcd.endpoints()[0].clone();
    let node1 = etcdctl_elect(&ep, "node1");
    node1.wait_line("node1", 10);
    let node2 = etcdlens_campaign(&ep, "node2", "2");
    let mut app = Headless::start(etcd.connection().await, b"/", 1000);
    follow(&mut app);
    app.until(10, "node1 leads, node2 waits", |s| {
        s.elections[0].leader().is_some_and(|c| c.value == b"node1")
            && s.elections[0].waiting().len() == 1
    })
    .await;
    assert_eq!(waiting_of(&app), ["node2"]);
    assert_eq!(etcdctl_leader(&ep), "node1", "pane and etcdctl agree");
    // etcdctl elect resigns (closes its session) on SIGTERM.
    node1.signal("-TERM");
    node2.wait_line("leader: node2", 10);
    app.until(10, "node2 leads", |s| {
        s.elections[0].leader().is_some_and(|c| c.value == b"node2")
    })
    .await;
    assert_eq!(etcdctl_leader(&ep), "node2");
    let view = &app.state.elections[0];
    assert_eq!(view.history.len(), 1);
    // The change is a row of its own in the Events log.
    let (first, end) = app.state.events.seq_range();
    let leader_rows: Vec<_> = (first..end)
        .filter_map(|i| match app.state.events.get(i) {
            Some(etcdlens::app::watch::log::LogEntry::Leader { from, to, .. }) => {
                Some((from.clone(), to.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        leader_rows,
        [(Some(b"node1".to_vec()), Some(b"node2".to_vec()))]
    );
    assert_eq!(leader_of(&app).as_deref(), Some("node2"));
}

#[tokio::test(flavor = "multi_thread")]
async fn etcdlens_leads_then_etcdctl_takes_over_when_its_lease_expires() {
    let etcd = Etcd::single().await;
    let ep = etcd.endpoints()[0].clone();
    let node1 = etcdlens_campaign(&ep, "node1", "2");
    node1.wait_line("leader: node1", 10);
    let node2 = etcdctl_elect(&ep, "node2");
    let mut app = Headless::start(etcd.connection().await, b"/", 1000);
    follow(&mut app);
    app.until(10, "node1 leads", |s| {
        s.elections[0].leader().is_some_and(|c| c.value == b"node1")
            && s.elections[0].waiting().len() == 1
    })
    .await;
    assert_eq!(etcdctl_leader(&ep), "node1");
    // SIGKILL: no resign, no revoke; the 2 s lease must run out.
    node1.signal("-KILL");
    let took = node2.wait_line("node2", 30);
    // Well under etcdctl's own 60 s session TTL: it was our lease expiring.
    assert!(took < Duration::from_secs(20), "takeover took {took:?}");
    app.until(10, "node2 leads", |s| {
        s.elections[0].leader().is_some_and(|c| c.value == b"node2")
    })
    .await;
    assert_eq!(etcdctl_leader(&ep), "node2");
}

#[tokio::test(flavor = "multi_thread")]
async fn campaign_resigns_on_sigterm_and_the_next_etcdlens_candidate_leads() {
    let etcd = Etcd::single().await;
    let ep = etcd.endpoints()[0].clone();
    let node1 = etcdlens_campaign(&ep, "node1", "60");
    node1.wait_line("leader: node1", 10);
    let node2 = etcdlens_campaign(&ep, "node2", "60");
    let mut app = Headless::start(etcd.connection().await, b"/", 1000);
    follow(&mut app);
    app.until(10, "two candidates", |s| {
        s.elections[0].waiting().len() == 1
    })
    .await;
    node1.signal("-TERM");
    // With a 60 s lease, only a resign makes this quick.
    node2.wait_line("leader: node2", 10);
    let mut node1 = node1;
    let status = node1.child.wait().unwrap();
    assert!(
        status.success(),
        "campaign exits 0 after resigning: {status:?}"
    );
    app.until(10, "node2 alone", |s| {
        s.elections[0].leader().is_some_and(|c| c.value == b"node2")
            && s.elections[0].waiting().is_empty()
    })
    .await;
}
