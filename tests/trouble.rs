//! A cluster in trouble (three members): one dead, one hung (SIGSTOP).
//! etcdlens starts, reads and exports through the members that serve.

use crate::common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{Etcd, Headless};
use crossterm::event::KeyCode;
use etcdlens::etcd::{connect, ConnSettings};

const BIN: &str = env!("CARGO_BIN_EXE_etcdlens");

fn settings(endpoints: Vec<String>) -> ConnSettings {
    ConnSettings {
        endpoints,
        dial_timeout: Duration::from_secs(5),
        command_timeout: Duration::from_secs(5),
        ..ConnSettings::default()
    }
}

async fn with_data(etcd: &Etcd) {
    let mut c = etcd.client().await;
    for i in 0..50 {
        c.put(format!("/x/k{i:02}"), format!("v{i}"), None)
            .await
            .unwrap();
    }
}

/// A dead endpoint first in the list never stops start-up: 10 exports in
/// 10 succeed (before the guard, 15 in 20 failed with the dead one first).
#[tokio::test(flavor = "multi_thread")]
async fn a_dead_endpoint_never_stops_start_up() {
    let mut etcd = Etcd::members(3).await;
    with_data(&etcd).await;
    let eps = etcd.endpoints();
    etcd.cluster.kill(0);
    let dir = tempfile::tempdir().unwrap();
    let list = format!("{},{},{}", eps[0], eps[1], eps[2]);
    for run in 0..10 {
        let file = dir.path().join(format!("x{run}.jsonl"));
        let out = Command::new(BIN)
            .args(["--endpoints", &list, "export", "/x/", "-o"])
            .arg(&file)
            .env("ETCDLENS_CONFIG", "/nonexistent/etcdlens-test/config.toml")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "run {run}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(text.lines().count(), 51, "a header and 50 keys");
    }
    // Only dead endpoints: one line naming the cause, exit 2.
    let out = Command::new(BIN)
        .args([
            "--endpoints",
            &eps[0],
            "--dial-timeout",
            "2s",
            "export",
            "/x/",
        ])
        .env("ETCDLENS_CONFIG", "/nonexistent/etcdlens-test/config.toml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("connection refused"), "{stderr}");
}

/// A hung member (SIGSTOP) is left out within a few seconds: reads and
/// listings keep answering through the others, without a timeout error
/// (a read in flight at the fault waits its command timeout, then is
/// asked again; the waits allow for a loaded machine).
#[tokio::test(flavor = "multi_thread")]
async fn a_hung_member_is_avoided_and_reads_keep_working() {
    let etcd = Etcd::members(3).await;
    with_data(&etcd).await;
    let conn = connect(&settings(etcd.endpoints())).await.unwrap();
    let mut app = Headless::start(conn.clone(), b"/x/", 100);
    app.until_listed(10).await;
    etcd.cluster.pause(0);
    let fault = Instant::now();
    // Reloads and value reads, over and over, all answered.
    for i in 0..10 {
        app.press(KeyCode::Char('r'));
        app.until(40, "listed again", |s| {
            s.tree.dir(0).unwrap().listing == etcdlens::app::tree::Listing::Complete
        })
        .await;
        let key = format!("/x/k{i:02}");
        app.select(key.as_bytes());
        let k = key.clone().into_bytes();
        app.until(40, "value", move |s| {
            matches!(&s.value.status, etcdlens::app::value::ValueStatus::Loaded { value, .. } if value.record.key == k)
        })
        .await;
        assert!(
            app.state
                .message
                .as_ref()
                .is_none_or(|m| !m.text.contains("timed out")),
            "{:?}",
            app.state.message
        );
    }
    eprintln!(
        "10 reloads and reads after the fault in {:?}",
        fault.elapsed()
    );
    // The guard took the hung member out.
    let serving = conn.guard.as_ref().unwrap().serving();
    assert_eq!(serving.len(), 2, "{serving:?}");
    assert!(!serving.contains(&etcd.endpoints()[0]), "{serving:?}");
    // Back: it is taken in again.
    etcd.cluster.resume(0);
    let guard = conn.guard.clone().unwrap();
    let back = Instant::now() + Duration::from_secs(15);
    while guard.serving().len() < 3 {
        assert!(Instant::now() < back, "the member is never taken back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Three members whose raft traffic goes through proxies, so that one can
/// be cut off from the others (clients still reach it directly).
async fn partitionable() -> (Etcd, common::proxy::PeerProxies) {
    use etcdlens::demo::cluster::{free_ports, Extra, LocalCluster};
    common::isolate_from_user_config();
    let mut last = String::new();
    for _ in 0..3 {
        let mut proxies = common::proxy::PeerProxies::bind(3).await;
        let ports = free_ports(6).unwrap();
        let pairs: Vec<(u16, u16)> = ports.chunks(2).map(|c| (c[0], c[1])).collect();
        proxies.forward(&pairs.iter().map(|p| p.1).collect::<Vec<_>>());
        let extra = Extra {
            advertise_peer_ports: Some(proxies.ports.clone()),
            ..Default::default()
        };
        match LocalCluster::start_on_with(&pairs, extra).await {
            Ok(cluster) => return (Etcd { cluster }, proxies),
            Err(e) => last = e,
        }
    }
    panic!("cannot start etcd: {last}");
}

/// A member cut off from the majority (issue 22.3): the watch it served
/// is cancelled (require-leader) and resumes on another member, missing
/// nothing; the guard leaves the member out; the cluster view calls it
/// leaderless, not healthy (issue 22.4).
#[tokio::test(flavor = "multi_thread")]
async fn a_member_cut_off_from_the_majority_hands_its_watch_over() {
    use etcdlens::etcd::types::WatchStatus;
    let (etcd, proxies) = partitionable().await;
    with_data(&etcd).await;
    let conn = connect(&settings(etcd.endpoints())).await.unwrap();
    let mut app = Headless::start(conn.clone(), b"/x/", 1000);
    app.until_listed(10).await;
    app.until(10, "watching", |s| {
        matches!(s.watch.status, Some(WatchStatus::Watching { .. }))
    })
    .await;
    let Some(WatchStatus::Watching { member_id, .. }) = app.state.watch.status.clone() else {
        unreachable!()
    };
    // Which member serves the watch: cut it off.
    let mut c = etcd.client().await;
    let members = c.member_list().await.unwrap();
    let served_by = members
        .members()
        .iter()
        .position(|m| m.id() == member_id)
        .expect("the watch's member is listed");
    let url = &members.members()[served_by].client_urls()[0];
    let index = etcd
        .endpoints()
        .iter()
        .position(|e| url.ends_with(e.as_str()))
        .expect("an endpoint");
    let pid = etcd.cluster.pid(index).unwrap();
    proxies.cut(index, pid);
    let fault = std::time::Instant::now();
    // Writes on the majority.
    let others: Vec<String> = etcd
        .endpoints()
        .into_iter()
        .enumerate()
        .filter(|(i, _)| *i != index)
        .map(|(_, e)| e)
        .collect();
    // A put forwarded to a cut leader waits for etcd's own request timeout
    // unless the client gives up sooner; a loaded machine needs the margin.
    let opts = etcd_client::ConnectOptions::new().with_timeout(Duration::from_secs(2));
    let mut majority = etcd_client::Client::connect(&others, Some(opts))
        .await
        .unwrap();
    let mut wrote = 0;
    let deadline = Instant::now() + Duration::from_secs(90);
    while wrote < 45 {
        assert!(Instant::now() < deadline, "the majority took no writes");
        if majority
            .put(format!("/x/after{wrote:02}"), "v", None)
            .await
            .is_ok()
        {
            wrote += 1;
        }
    }
    // Every one of them reaches the Events pane, in order, with no gap.
    app.until(40, "45 events after the cut", |s| s.events.total >= 45)
        .await;
    eprintln!("45 events seen {:?} after the cut", fault.elapsed());
    assert_eq!(app.gaps(), 0);
    let Some(WatchStatus::Watching { member_id: now, .. }) = app.state.watch.status.clone() else {
        panic!("{:?}", app.state.watch.status)
    };
    assert_ne!(now, member_id, "the watch moved to another member");
    // The guard left the cut member out.
    let guard = conn.guard.clone().unwrap();
    let out = Instant::now() + Duration::from_secs(15);
    while guard.serving().contains(&etcd.endpoints()[index]) {
        assert!(Instant::now() < out, "the cut member is still used");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The cluster view does not call it healthy.
    let info = etcdlens::etcd::cluster::collect(&conn, b"/x/")
        .await
        .unwrap();
    let cut = info
        .members
        .iter()
        .find(|m| m.id == member_id)
        .expect("listed");
    assert!(cut.status.is_err(), "{cut:?}");
    assert_eq!(info.down(), 1);
    // Healed: it serves again and is taken back.
    proxies.heal();
    let back = Instant::now() + Duration::from_secs(30);
    while guard.serving().len() < 3 {
        assert!(Instant::now() < back, "the member is never taken back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Issue 22.20: a request no member answers within the command timeout is
/// said in words, with the timeout (it was "Timeout expired: timeout
/// expired").
#[tokio::test(flavor = "multi_thread")]
async fn a_request_without_an_answer_names_the_command_timeout() {
    let etcd = Etcd::single().await;
    with_data(&etcd).await;
    let conn = connect(&ConnSettings {
        command_timeout: Duration::from_secs(1),
        ..settings(etcd.endpoints())
    })
    .await
    .unwrap();
    let mut app = Headless::start(conn, b"/x/", 100);
    app.until_listed(10).await;
    etcd.cluster.pause(0);
    app.select(b"/x/k07");
    app.until(30, "the read to give up", |s| {
        matches!(s.value.status, etcdlens::app::value::ValueStatus::Failed(_))
    })
    .await;
    let text = match &app.state.value.status {
        etcdlens::app::value::ValueStatus::Failed(e) => e.clone(),
        _ => unreachable!(),
    };
    etcd.cluster.resume(0);
    let screen = common::fixtures::screen(&app.state);
    // (The figure in brackets is the last connection's timeout: other
    // tests of this process connect with theirs, so it is not checked.)
    assert!(
        screen.contains("no answer within the command timeout"),
        "{screen}"
    );
    assert!(
        text.contains("no answer within the command timeout"),
        "{text}"
    );
    assert!(!text.to_lowercase().contains("timeout expired"), "{text}");
}
