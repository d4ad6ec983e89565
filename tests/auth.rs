//! etcd with authentication enabled: root and a user limited to one prefix.

use crate::common;

use std::process::Command;
use std::time::Duration;

use common::{Etcd, Headless};
use etcdlens::app::tree::Listing;
use etcdlens::etcd::{connect, ConnSettings};

const BIN: &str = env!("CARGO_BIN_EXE_etcdlens");

/// Data, a root user, and alice who may read /app/ only; then auth on.
async fn etcd_with_auth() -> Etcd {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    c.put("/app/config", "{\"a\":1}", None).await.unwrap();
    c.put("/app/flags/x", "on", None).await.unwrap();
    c.put("/secret/token", "s3cr3t", None).await.unwrap();
    common::alice_reads_app(&mut c).await;
    etcd
}

fn settings(etcd: &Etcd, user: &str, password: &str) -> ConnSettings {
    ConnSettings {
        endpoints: etcd.endpoints(),
        user: Some((user.into(), password.into())),
        dial_timeout: Duration::from_secs(5),
        command_timeout: Duration::from_secs(5),
        ..ConnSettings::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn root_logs_in_and_a_wrong_password_is_one_clear_line_and_exit_2() {
    let etcd = etcd_with_auth().await;
    let conn = connect(&settings(&etcd, "root", "rootpw"))
        .await
        .expect("root connects");
    let mut c = conn.client.clone();
    assert!(c.get("/secret/token", None).await.is_ok());

    let out = Command::new(BIN)
        .args(["--endpoints", &etcd.endpoints()[0], "--user", "root:wrong"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("authentication failed"), "{stderr}");
    assert!(
        !stderr.contains("wrong"),
        "the password is not echoed: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_limited_user_browses_what_it_may_read_and_sees_denials_in_place() {
    let etcd = etcd_with_auth().await;
    let conn = connect(&settings(&etcd, "alice", "alicepw"))
        .await
        .expect("alice connects");
    // The permitted prefix lists and reads.
    let mut app = Headless::start(conn.clone(), b"/app/", 100);
    app.until(10, "listed", |s| {
        s.tree.dir(0).unwrap().listing == Listing::Complete
    })
    .await;
    let mut keys = app.keys();
    keys.sort();
    assert_eq!(keys, ["/app/config"]);
    // The whole keyspace is refused as a whole: what alice may read of it
    // is listed, the rest is not there.
    let mut app = Headless::start(conn, b"", 100);
    app.until(10, "/app/ listed", |s| {
        s.tree
            .rows
            .iter()
            .any(|r| s.tree.node(r.node).full.as_ref() == b"/app/")
    })
    .await;
    assert!(app.state.tree.dir(0).unwrap().partly_denied);
    assert!(!app
        .state
        .tree
        .nodes_iter()
        .any(|(_, n)| n.full.starts_with(b"/secret")));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_password_prompt_does_not_echo() {
    let etcd = etcd_with_auth().await;
    let tmux = common::tmux::Tmux::start(&format!(
        "{BIN} --endpoints {} --user root --prefix /app/",
        etcd.endpoints()[0]
    ));
    tmux.wait_for("Password for root:");
    tmux.send(&["rootpw", "Enter"]);
    let screen = tmux.wait_for("config");
    assert!(!screen.contains("rootpw"), "{screen}");
    tmux.send(&["q"]);
    let screen = tmux.wait_for("EXIT=0");
    assert!(!screen.contains("rootpw"), "{screen}");
}

/// Simple tokens that expire after 2 s: a session longer than that keeps
/// working because the client logs in again by itself.
#[tokio::test(flavor = "multi_thread")]
async fn expired_tokens_are_renewed() {
    let etcd = Etcd {
        cluster: etcdlens::demo::cluster::LocalCluster::start_with(
            1,
            etcdlens::demo::cluster::Extra {
                args: vec![
                    "--auth-token".into(),
                    "simple".into(),
                    "--auth-token-ttl".into(),
                    "2".into(),
                ],
                https: false,
                ..Default::default()
            },
        )
        .await
        .unwrap(),
    };
    let mut c = etcd.client().await;
    c.put("/app/config", "1", None).await.unwrap();
    c.user_add("root", "rootpw", None).await.unwrap();
    c.user_grant_role("root", "root").await.unwrap();
    c.auth_enable().await.unwrap();
    let conn = connect(&settings(&etcd, "root", "rootpw")).await.unwrap();
    let mut client = conn.client.clone();
    assert!(client.get("/app/config", None).await.is_ok());
    tokio::time::sleep(Duration::from_secs(4)).await;
    let after = client.get("/app/config", None).await;
    assert!(after.is_ok(), "after the token expired: {after:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_log_file_names_the_user_never_the_password() {
    let etcd = etcd_with_auth().await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("etcdlens.log");
    // No terminal here: it connects, logs, then stops with one line.
    let out = Command::new(BIN)
        .args([
            "--endpoints",
            &etcd.endpoints()[0],
            "--user",
            "root:rootpw",
            "--log-file",
        ])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("connecting") && text.contains("root"),
        "{text}"
    );
    assert!(!text.contains("rootpw"), "{text}");
}

/// The cluster view tells a user without the root role what it may use
/// on the connected version; every claim is tried as that user here, on
/// each release of the matrix.
#[tokio::test(flavor = "multi_thread")]
async fn the_cluster_view_says_what_needs_root_and_etcd_agrees() {
    use etcd_client::{AlarmAction, AlarmType};
    // Three members: a leader can be moved.
    let etcd = Etcd::members(3).await;
    let mut c = etcd.client().await;
    c.put("/app/config", "1", None).await.unwrap();
    c.put("/app/config", "2", None).await.unwrap();
    common::alice_reads_app(&mut c).await;
    let mut root = connect(&settings(&etcd, "root", "rootpw"))
        .await
        .expect("root connects")
        .client;
    let leader = root.status().await.unwrap().leader();
    let members = root.member_list().await.unwrap();
    let at_leader = members.members().iter().find(|m| m.id() == leader).unwrap();
    let follower = members
        .members()
        .iter()
        .find(|m| m.id() != leader)
        .unwrap()
        .id();
    // Alice at the leader (etcd moves leadership from there only).
    let conn = connect(&ConnSettings {
        endpoints: at_leader.client_urls().to_vec(),
        ..settings(&etcd, "alice", "alicepw")
    })
    .await
    .expect("alice connects");
    let info = etcdlens::etcd::cluster::collect(&conn, b"/app/")
        .await
        .unwrap();
    assert_eq!(info.user.as_deref(), Some("alice"));
    let (any, root) = etcdlens::etcd::cluster::access_without_root(info.version());
    let mut c = conn.client.clone();
    let mut checked = Vec::new();
    for what in any.iter().chain(&root) {
        let allowed = match *what {
            "members" => c.member_list().await.is_ok(),
            "alarms" => c
                .alarm(AlarmAction::Get, AlarmType::None, None)
                .await
                .is_ok(),
            "alarm disarm" => c
                .alarm(AlarmAction::Deactivate, AlarmType::Nospace, None)
                .await
                .is_ok(),
            "status (version, leader, sizes)" => c.status().await.is_ok(),
            "compaction" => c.compact(2, None).await.is_ok(),
            "hash check" => c.hash_kv(0).await.is_ok(),
            "defragmentation" => c.defragment().await.is_ok(),
            "snapshot" => match c.snapshot().await {
                Ok(mut s) => s.message().await.is_ok(),
                Err(_) => false,
            },
            "move leader" => c.move_leader(follower).await.is_ok(),
            "member changes" => c
                .member_add(
                    ["http://127.0.0.1:1"],
                    Some(etcd_client::MemberAddOptions::new().with_is_learner()),
                )
                .await
                .is_ok(),
            "users and roles" => c.user_list().await.is_ok(),
            other => panic!("no check for {other}"),
        };
        assert_eq!(
            allowed,
            any.contains(what),
            "{what} on {:?}: etcd {}",
            info.version(),
            if allowed { "allowed it" } else { "refused it" }
        );
        checked.push(*what);
    }
    assert_eq!(checked.len(), 11);
    // The view says it.
    let mut app = Headless::start(conn, b"/app/", 100);
    app.until_listed(10).await;
    app.press(crossterm::event::KeyCode::Char('C'));
    app.until_ticking(20, "the cluster", |s| s.cluster.info.is_some())
        .await;
    let screen = common::fixtures::screen(&app.state);
    assert!(screen.contains("logged in as alice on "), "{screen}");
    assert!(screen.contains("users and roles"), "{screen}");
    assert!(screen.contains("the root role is needed for"), "{screen}");
}

/// Passwords typed in the TUI (the login prompt, then a new user's in
/// `:auth`, each asked twice) appear in no file etcdlens writes — the
/// journal, the audit log, the record, the log file — nor in the
/// process's arguments or environment.
#[tokio::test(flavor = "multi_thread")]
async fn typed_passwords_reach_no_file_nor_the_process_arguments() {
    const NEW_PW: &str = "Tr0ub4dor-xyzzy";
    let etcd = etcd_with_auth().await;
    let dir = tempfile::tempdir().unwrap();
    let (journal, log, record) = (
        dir.path().join("journal.jsonl"),
        dir.path().join("etcdlens.log"),
        dir.path().join("record.jsonl"),
    );
    let tmux = common::tmux::Tmux::start(&format!(
        "ETCDLENS_JOURNAL={} {BIN} --endpoints {} --user root --prefix /app/ --log-file {} --record {}",
        journal.display(),
        etcd.endpoints()[0],
        log.display(),
        record.display()
    ));
    tmux.wait_for("Password for root:");
    tmux.send(&["rootpw", "Enter"]);
    tmux.wait_for("config");
    // A watch event for the record.
    let mut root = connect(&settings(&etcd, "root", "rootpw"))
        .await
        .unwrap()
        .client;
    root.put("/app/config", "2", None).await.unwrap();
    tmux.send(&["A"]);
    tmux.wait_for("2 users");
    tmux.send(&["a"]);
    tmux.send(&["erin", "Tab", NEW_PW, "Tab", NEW_PW]);
    let screen = tmux.wait_for(&"•".repeat(NEW_PW.len()));
    assert!(!screen.contains(NEW_PW), "{screen}");
    tmux.send(&["Enter"]);
    tmux.wait_for("user erin added");
    let pid = tmux.app_pid();
    for what in ["cmdline", "environ"] {
        let text = String::from_utf8_lossy(&std::fs::read(format!("/proc/{pid}/{what}")).unwrap())
            .into_owned();
        for pw in [NEW_PW, "rootpw"] {
            assert!(!text.contains(pw), "{what} holds a password: {text}");
        }
    }
    tmux.send(&["Escape", "q"]);
    tmux.wait_for("EXIT=0");
    // erin logs in with what was typed.
    assert!(connect(&settings(&etcd, "erin", NEW_PW)).await.is_ok());
    // The journal holds key writes only: none were made, it may be absent.
    let audit = dir.path().join("audit.jsonl");
    for path in [&journal, &log, &record, &audit] {
        let Ok(text) = std::fs::read_to_string(path) else {
            assert_eq!(path, &journal, "{} not written", path.display());
            continue;
        };
        assert!(!text.is_empty(), "{} is empty", path.display());
        for pw in [NEW_PW, "rootpw"] {
            assert!(!text.contains(pw), "{} holds a password", path.display());
        }
    }
    assert!(std::fs::read_to_string(&audit).unwrap().contains("erin"));
}
