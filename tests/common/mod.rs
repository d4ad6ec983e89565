//! Test harness: real etcd processes on free loopback ports with temporary
//! data directories, killed (and their data removed) on drop. Built on the
//! same `LocalCluster` the demo uses.
#![allow(dead_code)]

pub mod fixtures;
pub mod pki;
pub mod proc;
pub mod proxy;
pub mod sshd;
pub mod tmux;

use std::time::Duration;

use etcd_client::Client;
use etcdlens::demo::cluster::LocalCluster;
use etcdlens::etcd::{connect, ConnSettings, Connection};

/// `etcdctl` of the etcd release under test (beside `$ETCDLENS_ETCD`, else
/// on PATH), speaking API v3.
pub fn etcdctl() -> std::process::Command {
    let bin = etcdlens::demo::cluster::etcdctl_binary().expect("etcdctl is not installed");
    let mut c = std::process::Command::new(bin);
    c.env("ETCDCTL_API", "3");
    c
}

/// The version of the etcd under test (`$ETCDLENS_ETCD`, else `etcd` on
/// PATH), as (major, minor, patch).
pub fn etcd_version() -> (u32, u32, u32) {
    static V: std::sync::OnceLock<(u32, u32, u32)> = std::sync::OnceLock::new();
    *V.get_or_init(|| {
        let bin = etcdlens::demo::cluster::etcd_binary().expect("etcd is not installed");
        let out = std::process::Command::new(bin)
            .arg("--version")
            .output()
            .expect("etcd --version");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let v = text
            .lines()
            .find_map(|l| l.strip_prefix("etcd Version: "))
            .unwrap_or_else(|| panic!("no version in {text:?}"));
        let n: Vec<u32> = v
            .trim()
            .split('.')
            .map(|p| p.parse().unwrap_or(0))
            .collect();
        (n[0], n[1], n.get(2).copied().unwrap_or(0))
    })
}

/// Whether the etcd under test keeps `Status` for the root role (3.5.28–
/// 3.5.31 and 3.6.0–3.6.11).
pub fn status_needs_root() -> bool {
    matches!(etcd_version(), (3, 5, 28..=31) | (3, 6, 0..=11))
}

/// Turns auth on: `root` (password `rootpw`) with the root role, and
/// `user` (password `password`) holding one role, `role`, with `perm`.
pub async fn auth_on_with(
    c: &mut Client,
    role: &str,
    perm: etcd_client::Permission,
    user: &str,
    password: &str,
) {
    c.user_add("root", "rootpw", None).await.unwrap();
    c.user_grant_role("root", "root").await.unwrap();
    c.role_add(role).await.unwrap();
    c.role_grant_permission(role, perm).await.unwrap();
    c.user_add(user, password, None).await.unwrap();
    c.user_grant_role(user, role).await.unwrap();
    c.auth_enable().await.unwrap();
}

/// alice (password `alicepw`) may read `/app/` only; auth on.
pub async fn alice_reads_app(c: &mut Client) {
    let perm = etcd_client::Permission::read("/app/").with_prefix();
    auth_on_with(c, "app-reader", perm, "alice", "alicepw").await;
}

/// One undo journal for the whole test process, away from the user's
/// (tests share it: each looks up only its own keys).
pub fn journal_env() {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let dir = DIR.get_or_init(|| tempfile::tempdir().unwrap());
    std::env::set_var("ETCDLENS_JOURNAL", dir.path().join("journal.jsonl"));
}

/// Puts 1 MiB values (over `slots` keys, so old revisions pile up) until
/// etcd refuses one with NOSPACE; panics if `tries` puts never reach it.
pub async fn fill_to_nospace(c: &mut Client, slots: usize, tries: usize) {
    let value = vec![b'x'; 1 << 20];
    for i in 0..tries {
        match c
            .put(format!("/fill/{:03}", i % slots), value.clone(), None)
            .await
        {
            Ok(_) => {}
            Err(e) if e.to_string().contains("database space exceeded") => return,
            Err(e) => panic!("put {i}: {e}"),
        }
    }
    panic!("{tries} MiB written without NOSPACE");
}

/// Asserts that the audit log (beside the tests' journal) holds an
/// action starting with each of `wanted`.
pub fn assert_audited(wanted: &[&str]) {
    let actions: Vec<String> = etcdlens::audit::Audit::open_default()
        .unwrap()
        .records()
        .into_iter()
        .map(|r| r.action)
        .collect();
    for want in wanted {
        assert!(
            actions.iter().any(|a| a.starts_with(want)),
            "{want}: {actions:?}"
        );
    }
}

/// Whether the view's figures show a NOSPACE alarm.
pub fn nospace_shown(s: &etcdlens::app::State) -> bool {
    s.cluster
        .info
        .as_ref()
        .is_some_and(|i| i.alarms.iter().any(|(_, a)| a == "NOSPACE"))
}

/// Asserts that etcd lists no alarm.
pub async fn assert_no_alarm(c: &mut Client) {
    let alarms = c
        .alarm(
            etcd_client::AlarmAction::Get,
            etcd_client::AlarmType::None,
            None,
        )
        .await
        .unwrap();
    assert!(alarms.alarms().is_empty(), "an alarm is left: {alarms:?}");
}

/// Each member's DB size, by endpoint order, from its own status.
pub async fn db_sizes(etcd: &Etcd) -> Vec<i64> {
    let mut out = Vec::new();
    for ep in etcd.endpoints() {
        let mut c = Client::connect([ep], None).await.expect("connect");
        out.push(c.status().await.expect("status").db_size());
    }
    out
}

/// Tests never read the developer's own config file.
pub fn isolate_from_user_config() {
    std::env::set_var("ETCDLENS_CONFIG", "/nonexistent/etcdlens-test/config.toml");
}

pub struct Etcd {
    pub cluster: LocalCluster,
}

impl Etcd {
    /// A single-member cluster.
    pub async fn single() -> Etcd {
        Self::members(1).await
    }

    pub async fn members(n: usize) -> Etcd {
        isolate_from_user_config();
        let cluster = LocalCluster::start(n)
            .await
            .unwrap_or_else(|e| panic!("cannot start etcd: {e}"));
        Etcd { cluster }
    }

    /// `n` members started with `--quota-backend-bytes` of 16 MiB (to be
    /// filled until NOSPACE: [`fill_to_nospace`]).
    pub async fn small_quota(n: usize) -> Etcd {
        isolate_from_user_config();
        let extra = etcdlens::demo::cluster::Extra {
            args: vec!["--quota-backend-bytes".into(), (16u64 << 20).to_string()],
            ..Default::default()
        };
        let cluster = LocalCluster::start_with(n, extra)
            .await
            .unwrap_or_else(|e| panic!("cannot start etcd: {e}"));
        Etcd { cluster }
    }

    pub fn endpoints(&self) -> Vec<String> {
        self.cluster.endpoints()
    }

    pub async fn client(&self) -> Client {
        Client::connect(self.endpoints(), None)
            .await
            .expect("connect")
    }

    /// A connection made the way etcdlens makes it.
    pub async fn connection(&self) -> Connection {
        connect(&ConnSettings {
            endpoints: self.endpoints(),
            dial_timeout: Duration::from_secs(5),
            command_timeout: Duration::from_secs(5),
            ..ConnSettings::default()
        })
        .await
        .expect("connect")
    }

    /// Writes every key (value = the key) in transactions of 128 puts.
    pub async fn put_keys(&self, keys: &[Vec<u8>]) {
        let mut client = self.client().await;
        let ops = keys
            .iter()
            .map(|k| etcd_client::TxnOp::put(k.clone(), k.clone(), None))
            .collect();
        etcdlens::etcd::seed::put_batched(&mut client, ops)
            .await
            .expect("put");
    }
}

/// The cluster's revision now (a read's header).
pub async fn revision(client: &mut Client) -> i64 {
    client
        .get("x", None)
        .await
        .unwrap()
        .header()
        .unwrap()
        .revision()
}

/// Puts `k` = `v` and returns the revision of the put.
pub async fn put_rev(client: &mut Client, k: &str, v: impl Into<Vec<u8>>) -> i64 {
    client
        .put(k, v, None)
        .await
        .unwrap()
        .header()
        .unwrap()
        .revision()
}

/// Deletes `k` and returns the revision of the delete.
pub async fn del_rev(client: &mut Client, k: &str) -> i64 {
    client
        .delete(k, None)
        .await
        .unwrap()
        .header()
        .unwrap()
        .revision()
}

/// The sum of metric `name`'s samples on `endpoint`'s `/metrics` whose
/// line contains `with` (e.g. a label; "" for all).
pub fn metric(endpoint: &str, name: &str, with: &str) -> f64 {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(endpoint.trim_start_matches("http://")).unwrap();
    write!(s, "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
    let mut body = String::new();
    s.read_to_string(&mut body).unwrap();
    body.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|r| r.starts_with([' ', '{']))
                && l.contains(with)
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Waits until `done()` holds, at most 15 s; panics saying `what`.
pub fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs the binary with `config` as its config file (and `env`), without
/// `ETCDCTL_ENDPOINTS`: (exit code, stdout, stderr).
pub fn lens_with_config(
    config: &std::path::Path,
    env: &[(&str, &std::path::Path)],
    args: &[&str],
) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_etcdlens"))
        .env("ETCDLENS_CONFIG", config)
        .envs(env.iter().copied())
        .env_remove("ETCDCTL_ENDPOINTS")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// etcdlens without a terminal: the real etcd worker and watch task, the
/// real `update`, driven message by message.
pub struct Headless {
    pub state: etcdlens::app::State,
    msgs: tokio::sync::mpsc::Receiver<etcdlens::app::Msg>,
    cmds: tokio::sync::mpsc::Sender<etcdlens::app::Cmd>,
    worker: tokio::task::JoinHandle<()>,
}

impl Headless {
    pub fn start(conn: Connection, prefix: &[u8], log_size: usize) -> Headless {
        use etcdlens::app::watch::log::EventLog;
        use etcdlens::app::{tree::update::start, State};
        let (msg_tx, msgs) = tokio::sync::mpsc::channel(1024);
        let (cmd_tx, cmd_rx) = tokio::sync::mpsc::channel(256);
        let worker = tokio::spawn(etcdlens::tasks::run(
            conn,
            b"/".to_vec(),
            None,
            Default::default(),
            cmd_rx,
            msg_tx,
        ));
        let now = std::time::Instant::now();
        let mut state = State::new(prefix, b"/", "test".into(), now);
        state.size = (160, 45);
        state.events = EventLog::new(prefix.to_vec(), log_size, now);
        let pending = start(&mut state);
        let h = Headless {
            state,
            msgs,
            cmds: cmd_tx,
            worker,
        };
        for c in pending {
            h.cmds.try_send(c).expect("send");
        }
        h
    }

    /// Sends a command to the worker as the UI loop would.
    pub fn send(&self, cmd: etcdlens::app::Cmd) {
        self.cmds.try_send(cmd).expect("send");
    }

    pub fn apply(&mut self, msg: etcdlens::app::Msg) {
        let mut cmds = etcdlens::app::update(&mut self.state, msg);
        cmds.extend(etcdlens::app::update(
            &mut self.state,
            etcdlens::app::Msg::Frame,
        ));
        for c in cmds {
            if c != etcdlens::app::Cmd::Quit {
                self.cmds.try_send(c).expect("send");
            }
        }
    }

    /// The next message, without applying it.
    pub async fn next_msg(&mut self, wait: Duration) -> Option<etcdlens::app::Msg> {
        tokio::time::timeout(wait, self.msgs.recv())
            .await
            .ok()
            .flatten()
    }

    /// Processes messages until `done(state)` holds; panics after `secs`.
    pub async fn until(
        &mut self,
        secs: u64,
        what: &str,
        done: impl Fn(&etcdlens::app::State) -> bool,
    ) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        while !done(&self.state) {
            match tokio::time::timeout_at(deadline, self.msgs.recv()).await {
                Ok(Some(msg)) => self.apply(msg),
                Ok(None) => panic!("worker stopped while waiting for {what}"),
                Err(_) => panic!(
                    "timed out waiting for {what}; watch status {:?}, {} events, value {:?}, message {:?}",
                    self.state.watch.status,
                    self.state.events.total,
                    self.state.value.status,
                    self.state.message
                ),
            }
        }
    }

    /// As [`Headless::until`], with the clock ticking (the UI loop's 1 s
    /// tick, every 500 ms here): what is asked again on the tick (the
    /// cluster's figures) is.
    pub async fn until_ticking(
        &mut self,
        secs: u64,
        what: &str,
        done: impl Fn(&etcdlens::app::State) -> bool,
    ) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        while !done(&self.state) {
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "timed out waiting for {what}; message {:?}",
                    self.state.message
                );
            }
            self.apply(etcdlens::app::Msg::Tick(std::time::Instant::now()));
            let slice = tokio::time::Instant::now() + Duration::from_millis(500);
            while let Ok(Some(msg)) = tokio::time::timeout_at(slice, self.msgs.recv()).await {
                self.apply(msg);
                if done(&self.state) {
                    return;
                }
            }
        }
    }

    /// Processes messages until every open directory is wholly listed
    /// (rows come from concurrent reads in any order until then).
    pub async fn until_listed(&mut self, secs: u64) {
        self.until(secs, "listed", |s| {
            s.tree
                .nodes_iter()
                .filter_map(|(_, n)| n.dir.as_deref())
                .filter(|d| d.expanded)
                .all(|d| d.listing == etcdlens::app::tree::Listing::Complete)
        })
        .await;
    }

    /// A key press, as the terminal would send it.
    pub fn press(&mut self, code: crossterm::event::KeyCode) {
        self.press_mod(code, crossterm::event::KeyModifiers::NONE);
    }

    pub fn press_mod(
        &mut self,
        code: crossterm::event::KeyCode,
        mods: crossterm::event::KeyModifiers,
    ) {
        let ev = crossterm::event::Event::Key(crossterm::event::KeyEvent::new(code, mods));
        self.apply(etcdlens::app::Msg::Input(ev));
    }

    /// Types `line` on the `:` command line and runs it.
    pub fn command(&mut self, line: &str) {
        self.press(crossterm::event::KeyCode::Char(':'));
        self.type_str(line);
        self.press(crossterm::event::KeyCode::Enter);
    }

    pub fn type_str(&mut self, s: &str) {
        for c in s.chars() {
            self.press(crossterm::event::KeyCode::Char(c));
        }
    }

    /// Moves the selection to the key row `full` (must be visible).
    pub fn select(&mut self, full: &[u8]) {
        let t = &self.state.tree;
        let pos = t
            .rows
            .iter()
            .position(|r| !r.more && t.node(r.node).full.as_ref() == full)
            .unwrap_or_else(|| panic!("no row {}", String::from_utf8_lossy(full)));
        for c in etcdlens::app::tree::update::select_row(&mut self.state, pos) {
            self.send(c);
        }
    }

    /// Full keys of the loaded tree's key rows, in display order.
    pub fn keys(&self) -> Vec<String> {
        let t = &self.state.tree;
        t.rows
            .iter()
            .filter(|r| !r.more && !t.node(r.node).is_dir())
            .map(|r| String::from_utf8_lossy(&t.node(r.node).full).into_owned())
            .collect()
    }

    /// Revisions of the event rows held, in order.
    pub fn revisions(&self) -> Vec<i64> {
        use etcdlens::app::watch::log::LogEntry;
        let (first, end) = self.state.events.seq_range();
        (first..end)
            .filter_map(|s| match self.state.events.get(s) {
                Some(LogEntry::Event(e)) => Some(e.revision),
                _ => None,
            })
            .collect()
    }

    pub fn gaps(&self) -> usize {
        use etcdlens::app::watch::log::LogEntry;
        let (first, end) = self.state.events.seq_range();
        (first..end)
            .filter(|&s| matches!(self.state.events.get(s), Some(LogEntry::Gap { .. })))
            .count()
    }
}

impl Drop for Headless {
    fn drop(&mut self) {
        self.worker.abort();
    }
}

/// Every figure the metrics view charts is served (and each histogram has
/// buckets up to `+Inf`): a release's live `/metrics` (`tests/metrics.rs`)
/// and its captured fixture (`tests/metrics_update.rs`).
pub fn assert_every_figure(s: &etcdlens::etcd::metrics::Sample) {
    let scalars = [
        ("db size", s.db_size),
        ("db in use", s.db_in_use),
        ("quota", s.quota),
        ("committed", s.proposals_committed),
        ("applied", s.proposals_applied),
        ("pending", s.proposals_pending),
        ("failed", s.proposals_failed),
        ("leader changes", s.leader_changes),
        ("has leader", s.has_leader),
        ("watch streams", s.watch_streams),
        ("watchers", s.watchers),
        ("resident", s.resident_bytes),
        ("cpu", s.cpu_seconds),
    ];
    for (name, v) in scalars {
        assert!(v.is_some(), "{name} missing");
    }
    for (name, h) in [
        ("wal fsync", &s.wal_fsync),
        ("backend commit", &s.backend_commit),
        ("peer rtt", &s.peer_rtt),
    ] {
        let h = h.as_ref().unwrap_or_else(|| panic!("{name} missing"));
        assert!(h.0.len() > 5, "{name}: {h:?}");
        assert_eq!(h.0.last().unwrap().0, f64::INFINITY, "{name}");
    }
    assert_eq!(s.has_leader, Some(1.0));
    assert!(s.db_size.unwrap() > 0.0 && s.quota.unwrap() > 0.0);
}
