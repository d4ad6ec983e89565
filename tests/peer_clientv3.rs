//! The Go clientv3 tutorial etcdlens was born from, as a real peer:
//! tests/peers/clientv3 built against the clientv3 of the release under test
//! (`scripts/build-peer.sh VERSION`, handed over as `ETCDLENS_PEER`; make
//! test does it for every release). It writes what etcdlens shows, watches
//! what etcdlens saves, and campaigns with a 1 s session TTL beside
//! `etcdlens campaign`.
//!
//! Without `ETCDLENS_PEER` each test prints a skip line and passes, except
//! under `CI=true`, where that is a failure.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::proc::Proc;
use common::tmux::Tmux;
use common::Etcd;

const BIN: &str = env!("CARGO_BIN_EXE_etcdlens");
const ELECTION: &str = "/testelection";

/// The peer binary, or None (after a skip line) when it is not given.
fn peer() -> Option<PathBuf> {
    match std::env::var_os("ETCDLENS_PEER") {
        Some(p) if !p.is_empty() => {
            let p = PathBuf::from(p);
            assert!(p.is_file(), "ETCDLENS_PEER={} is not a file", p.display());
            Some(p)
        }
        _ if std::env::var("CI").as_deref() == Ok("true") => panic!(
            "ETCDLENS_PEER is not set: under CI=true the Go clientv3 peer must be tested \
             (scripts/build-peer.sh VERSION builds it and prints its path)"
        ),
        _ => {
            eprintln!(
                "skipped: ETCDLENS_PEER is not set (scripts/build-peer.sh VERSION builds the Go clientv3 peer)"
            );
            None
        }
    }
}

/// Runs the peer to the end; returns its stdout lines.
fn run(peer: &Path, ep: &str, args: &[&str]) -> Vec<String> {
    let cmd = args[0];
    let out = Command::new(peer)
        .arg(cmd)
        .args(["--endpoints", ep])
        .args(&args[1..])
        .output()
        .expect("the peer runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "peer {args:?}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout.lines().map(str::to_string).collect()
}

fn put(peer: &Path, ep: &str, key: &str, value: &str) {
    let lines = run(peer, ep, &["put", key, value]);
    assert!(lines[0].starts_with("OK "), "{lines:?}");
}

fn spawn(peer: &Path, ep: &str, args: &[&str]) -> Proc {
    Proc::spawn(
        Command::new(peer)
            .arg(args[0])
            .args(["--endpoints", ep])
            .args(&args[1..]),
    )
}

fn campaign(peer: &Path, ep: &str, node: &str) -> Proc {
    spawn(
        peer,
        ep,
        &[
            "campaign",
            "--election",
            ELECTION,
            "--node",
            node,
            "--ttl",
            "1",
        ],
    )
}

/// Waits for a line starting with `prefix`; returns it.
fn wait_prefix(p: &Proc, prefix: &str, secs: u64) -> String {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match p.lines.recv_timeout(left) {
            Ok(line) if line.starts_with(prefix) => return line,
            Ok(line) => seen.push(line),
            Err(_) => panic!("no line starting with {prefix:?} within {secs}s; saw {seen:?}"),
        }
    }
}

fn etcdlens_campaign(ep: &str, proposal: &str) -> Proc {
    Proc::spawn(Command::new(BIN).args([
        "--endpoints",
        ep,
        "campaign",
        ELECTION,
        proposal,
        "--ttl",
        "1",
    ]))
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_and_value_panes_show_what_the_peer_writes() {
    let Some(peer) = peer() else { return };
    let etcd = Etcd::single().await;
    let ep = etcd.endpoints()[0].clone();
    assert!(
        run(&peer, &ep, &["version"])[0].starts_with("CLIENTV3 v3."),
        "the peer says its clientv3"
    );
    put(&peer, &ep, "/app/config", r#"{"name":"go","port":8080}"#);
    put(&peer, &ep, "/app/flags/beta", "on");
    let tmux = Tmux::start(&format!("{BIN} --endpoints {ep} --prefix /app/"));
    // Rows: config, flags/; config is selected and shown.
    tmux.wait_for("flags/");
    let screen = tmux.wait_for("\"port\": 8080");
    assert!(screen.contains("Value /app/config"), "{screen}");
    assert!(screen.contains("\"name\": \"go\""), "{screen}");
    // A key the peer writes while etcdlens runs comes in by the watch.
    put(&peer, &ep, "/app/fresh", "from-go");
    let screen = tmux.wait_for("+ /app/fresh  from-go");
    assert!(screen.contains("  fresh"), "new key in the tree:\n{screen}");
    // Rows: config, flags/, fresh: show the new key's value.
    tmux.send(&["j", "j"]);
    tmux.wait_for("Value /app/fresh");
    tmux.send(&["q"]);
    tmux.wait_for("EXIT=0");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_peer_watch_sees_a_save_made_in_etcdlens() {
    let Some(peer) = peer() else { return };
    let etcd = Etcd::single().await;
    let ep = etcd.endpoints()[0].clone();
    put(&peer, &ep, "/app/config", r#"{"name":"go","port":8080}"#);
    let watch = spawn(&peer, &ep, &["watch", "/app/"]);
    watch.wait_line("READY", 10);
    let journal = tempfile::tempdir().unwrap();
    let tmux = Tmux::start(&format!(
        "ETCDLENS_JOURNAL={}/j.jsonl {BIN} --endpoints {ep} --prefix /app/",
        journal.path().display()
    ));
    tmux.wait_for("\"port\": 8080");
    tmux.send(&["e"]);
    tmux.wait_for("Edit /app/config");
    tmux.send(&["End", "BSpace", ",\"retries\":3}"]);
    tmux.wait_for("valid JSON");
    tmux.send(&["C-s"]);
    tmux.wait_for("saved /app/config at rev");
    let want = r#"PUT /app/config {"name":"go","port":8080,"retries":3}"#;
    watch.wait_line(want, 10);
    // And the tutorial's GET reads it back.
    let got = run(&peer, &ep, &["get", "/app/config"]);
    assert_eq!(
        got,
        [
            r#"KV /app/config {"name":"go","port":8080,"retries":3}"#,
            "COUNT 1"
        ]
    );
    tmux.send(&["q"]);
    tmux.wait_for("EXIT=0");
}

#[tokio::test(flavor = "multi_thread")]
async fn leader_pane_shows_the_peer_then_the_next_candidate_within_its_ttl() {
    let Some(peer) = peer() else { return };
    let etcd = Etcd::single().await;
    let ep = etcd.endpoints()[0].clone();
    let node1 = campaign(&peer, &ep, "node1");
    node1.wait_line("LEADER node1", 10);
    let node2 = campaign(&peer, &ep, "node2");
    wait_prefix(&node2, "CAMPAIGN node2 ", 10);
    let tmux = Tmux::start(&format!("{BIN} --endpoints {ep} --election {ELECTION}"));
    tmux.wait_for("/testelection leader node1");
    tmux.wait_for("1. node2");
    // SIGKILL: no resign; the 1 s session lease has to run out.
    node1.signal("-KILL");
    let took = node2.wait_line("LEADER node2", 10);
    assert!(
        took < Duration::from_secs(5),
        "node2 took {took:?} to lead after node1's 1 s lease"
    );
    let screen = tmux.wait_for("/testelection leader node2");
    assert!(
        screen.contains("LEADER  /testelection node1 → node2"),
        "{screen}"
    );
    tmux.send(&["q"]);
    tmux.wait_for("EXIT=0");
}

#[tokio::test(flavor = "multi_thread")]
async fn etcdlens_campaign_and_the_go_program_compete_for_one_election() {
    let Some(peer) = peer() else { return };
    let etcd = Etcd::single().await;
    let ep = etcd.endpoints()[0].clone();
    let observe = spawn(&peer, &ep, &["observe", "--election", ELECTION]);
    // etcdlens leads, the Go program waits behind it.
    let lens = etcdlens_campaign(&ep, "lens");
    lens.wait_line("leader: lens", 10);
    let go = campaign(&peer, &ep, "go");
    wait_prefix(&go, "CAMPAIGN go ", 10);
    observe.wait_line("LEADER lens", 10);
    let tmux = Tmux::start(&format!("{BIN} --endpoints {ep} --election {ELECTION}"));
    tmux.wait_for("/testelection leader lens");
    tmux.wait_for("1. go");
    // etcdlens resigns on SIGTERM: the Go program leads at once.
    lens.signal("-TERM");
    let took = go.wait_line("LEADER go", 10);
    assert!(took < Duration::from_secs(3), "after a resign: {took:?}");
    observe.wait_line("LEADER go", 10);
    tmux.wait_for("/testelection leader go");
    // Another etcdlens waits behind the Go program, and leads once the Go
    // program is killed and its 1 s lease runs out.
    let lens2 = etcdlens_campaign(&ep, "lens2");
    tmux.wait_for("1. lens2");
    go.signal("-KILL");
    let took = lens2.wait_line("leader: lens2", 10);
    assert!(took < Duration::from_secs(5), "after a kill: {took:?}");
    observe.wait_line("LEADER lens2", 10);
    tmux.wait_for("/testelection leader lens2");
    tmux.send(&["q"]);
    tmux.wait_for("EXIT=0");
}
