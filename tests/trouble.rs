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
    assert!(
        screen.contains("no answer within the command timeout (1s)"),
        "{screen}"
    );
    assert!(
        text.contains("no answer within the command timeout (1s)"),
        "{text}"
    );
    assert!(!text.to_lowercase().contains("timeout expired"), "{text}");
}
