//! The fleet on real etcd: three contexts — a 3-member cluster, a single
//! member and a dead endpoint — through `etcdlens fleet` and `:fleet` in
//! tmux (`Enter` switches).

use crate::common;

use std::time::Duration;

use common::tmux::Tmux;
use common::{lens_with_config, Etcd};

const BIN: &str = env!("CARGO_BIN_EXE_etcdlens");

/// config.toml with contexts alpha (3 members), beta (1) and dead.
fn config(dir: &std::path::Path, alpha: &Etcd, beta: &Etcd) -> std::path::PathBuf {
    let dead = etcdlens::demo::cluster::free_ports(1).unwrap()[0];
    let quoted = |e: &Etcd| {
        e.endpoints()
            .iter()
            .map(|u| format!("{u:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "default_context = \"alpha\"\n\
             [contexts.alpha]\nendpoints = [{}]\n\
             [contexts.beta]\nendpoints = [{}]\n\
             [contexts.dead]\nendpoints = [\"127.0.0.1:{dead}\"]\ndial_timeout = \"1s\"\n",
            quoted(alpha),
            quoted(beta)
        ),
    )
    .unwrap();
    path
}

/// The name of the member leading `etcd`, as etcd says.
async fn leader_name(etcd: &Etcd) -> String {
    let mut c = etcd.client().await;
    let leader = c.status().await.unwrap().leader();
    let members = c.member_list().await.unwrap();
    members
        .members()
        .iter()
        .find(|m| m.id() == leader)
        .map(|m| m.name().to_string())
        .expect("the leader is a member")
}

fn version() -> String {
    let (a, b, c) = common::etcd_version();
    format!("{a}.{b}.{c}")
}

/// The cells of the table line of context `name`.
fn row<'a>(out: &'a str, name: &str) -> Vec<&'a str> {
    out.lines()
        .map(|l| l.trim_start_matches(['┃', '│', '●', ' ']))
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no row {name} in\n{out}"))
        .split_whitespace()
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn fleet_prints_every_context_in_one_table() {
    let (alpha, beta) = tokio::join!(Etcd::members(3), Etcd::single());
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &alpha, &beta);
    // Writes on alpha while it probes: revisions per second above 0.
    let mut c = alpha.client().await;
    let writer = tokio::spawn(async move {
        for i in 0.. {
            let _ = c.put(format!("/w/{}", i % 10), "v", None).await;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    let (code, out, err) =
        tokio::task::spawn_blocking(move || lens_with_config(&config, &[], &["fleet"]))
            .await
            .unwrap();
    writer.abort();
    assert_eq!(code, Some(0), "{out}\n{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        [
            "context",
            "reachable",
            "version",
            "members",
            "leader",
            "db",
            "size",
            "quota",
            "alarms",
            "rev/s",
            "read"
        ]
    );
    let v = version();
    let a = row(&out, "alpha");
    assert_eq!(&a[1..4], ["yes", v.as_str(), "3/3"], "{out}");
    assert_eq!(a[4], leader_name(&alpha).await, "{out}");
    // db size and read latency are two words each: "24.0 KiB", "1.9 ms".
    assert_eq!(a[8], "none", "{out}");
    // etcd reports its quota from 3.6 on (the default 2 GiB here).
    if common::etcd_version() >= (3, 6, 0) {
        assert!(a[7].ends_with('%'), "{out}");
    } else {
        assert_eq!(a[7], "n/a", "{out}");
    }
    let rate: f64 = a[9].parse().unwrap_or_else(|_| panic!("rev/s in {out}"));
    assert!(rate > 0.0, "{out}");
    assert!(a[11] == "ms" && a[10].parse::<f64>().is_ok(), "{out}");
    let b = row(&out, "beta");
    assert_eq!(&b[1..4], ["yes", v.as_str(), "1/1"], "{out}");
    assert_eq!(b[9], "0.0", "nothing written on beta: {out}");
    assert_eq!(b[8], "none", "{out}");
    let d = row(&out, "dead");
    assert_eq!(d[1], "no", "{out}");
    assert!(out.contains("cannot connect to 127.0.0.1:"), "{out}");
}

/// Without contexts there is nothing to probe: one line, exit 2.
#[test]
fn fleet_without_contexts_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "theme = \"dark\"\n").unwrap();
    let (code, out, err) = lens_with_config(&config, &[], &["fleet"]);
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(out.is_empty(), "{out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no contexts in config.toml"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn fleet_view_in_tmux_and_enter_switches() {
    let (alpha, beta) = tokio::join!(Etcd::members(3), Etcd::single());
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &alpha, &beta);
    let mut c = beta.client().await;
    c.put("/only-on-beta", "b", None).await.unwrap();
    let tmux = Tmux::start(&format!("ETCDLENS_CONFIG={} {BIN}", config.display()));
    tmux.wait_for("ctx alpha");
    tmux.send(&[":", "fleet", "Enter"]);
    tmux.wait_for("Fleet (3 contexts");
    // Every context answered: two rows say yes, one no.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let screen = loop {
        let screen = tmux.screen();
        let answered = ["alpha", "beta", "dead"].iter().all(|n| {
            screen.lines().any(|l| {
                l.contains(&format!(" {n} ")) && (l.contains(" yes ") || l.contains(" no "))
            })
        });
        if answered {
            break screen;
        }
        assert!(std::time::Instant::now() < deadline, "{screen}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let v = version();
    assert_eq!(
        &row(&screen, "alpha")[1..4],
        ["yes", v.as_str(), "3/3"],
        "{screen}"
    );
    assert_eq!(
        &row(&screen, "beta")[1..4],
        ["yes", v.as_str(), "1/1"],
        "{screen}"
    );
    assert_eq!(row(&screen, "dead")[1], "no", "{screen}");
    // Asked again: revisions per second once two answers came.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    assert_eq!(row(&screen, "alpha")[9], "…", "one answer so far: {screen}");
    while row(&tmux.screen(), "alpha")[9] == "…" {
        assert!(std::time::Instant::now() < deadline, "{}", tmux.screen());
        std::thread::sleep(Duration::from_millis(200));
    }
    // beta is the second row: Enter switches to it.
    tmux.send(&["j", "Enter"]);
    tmux.wait_for("ctx beta");
    tmux.wait_for("only-on-beta");
    tmux.send(&["q"]);
    tmux.wait_for("EXIT=0");
}
