//! `etcdlens lock` against a real etcd with `etcdctl lock` (Go's
//! concurrency.Mutex) as the peer, both ways: each waits in the queue while
//! the other holds, and takes the lock when the other is killed.

use crate::common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::proc::Proc;
use common::Etcd;
use etcd_client::GetOptions;

const BIN: &str = env!("CARGO_BIN_EXE_etcdlens");
const LOCK: &str = "/testlock";

/// A locker process (its stdout lines collected).
struct Locker(Proc);

impl Locker {
    fn start(cmd: &mut Command) -> Locker {
        Locker(Proc::spawn(cmd))
    }

    fn etcdctl(ep: &str) -> Locker {
        Self::start(common::etcdctl().args(["--endpoints", ep, "lock", LOCK]))
    }

    fn etcdlens(ep: &str) -> Locker {
        Self::start(Command::new(BIN).args(["--endpoints", ep, "lock", LOCK]))
    }

    /// The first line that says it holds the lock (`locked`, or etcdctl's
    /// key name).
    fn wait_locked(&self) -> String {
        let line = self
            .0
            .lines
            .recv_timeout(Duration::from_secs(20))
            .expect("never locked");
        assert!(
            line == "locked" || line.starts_with(&format!("{LOCK}/")),
            "{line}"
        );
        line
    }

    fn has_said_anything(&self) -> bool {
        self.0.lines.try_recv().is_ok()
    }

    fn terminate(&mut self) {
        self.0.signal("-TERM");
        let status = self.0.child.wait().unwrap();
        assert!(status.success() || status.code().is_none(), "{status:?}");
    }
}

/// Keys under the lock, oldest (the holder) first.
async fn queue(client: &mut etcd_client::Client) -> Vec<(i64, i64)> {
    let r = client
        .get(format!("{LOCK}/"), Some(GetOptions::new().with_prefix()))
        .await
        .unwrap();
    let mut q: Vec<(i64, i64)> = r
        .kvs()
        .iter()
        .map(|kv| (kv.create_revision(), kv.lease()))
        .collect();
    q.sort();
    q
}

async fn until_queued(client: &mut etcd_client::Client, n: usize) -> Vec<(i64, i64)> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let q = queue(client).await;
        if q.len() == n {
            return q;
        }
        assert!(Instant::now() < deadline, "queue {q:?}, wanted {n}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn etcdctl_holds_etcdlens_waits_then_takes_it() {
    let etcd = Etcd::single().await;
    let ep = etcd.endpoints()[0].clone();
    let mut client = etcd.client().await;
    let mut holder = Locker::etcdctl(&ep);
    holder.wait_locked();
    let waiter = Locker::etcdlens(&ep);
    let q = until_queued(&mut client, 2).await;
    // The key is named after its lease, like Go's.
    let keys = client
        .get(format!("{LOCK}/"), Some(GetOptions::new().with_prefix()))
        .await
        .unwrap();
    for kv in keys.kvs() {
        assert_eq!(kv.key_str().unwrap(), format!("{LOCK}/{:x}", kv.lease()));
        assert!(kv.value().is_empty());
    }
    assert!(!waiter.has_said_anything(), "etcdlens must wait: {q:?}");
    holder.terminate();
    assert_eq!(waiter.wait_locked(), "locked");
    assert_eq!(
        until_queued(&mut client, 1).await[0],
        q[1],
        "the waiter holds it now"
    );
}

#[tokio::test]
async fn etcdlens_holds_etcdctl_waits_then_takes_it_and_release_cleans_up() {
    let etcd = Etcd::single().await;
    let ep = etcd.endpoints()[0].clone();
    let mut client = etcd.client().await;
    let mut holder = Locker::etcdlens(&ep);
    assert_eq!(holder.wait_locked(), "locked");
    let q = until_queued(&mut client, 1).await;
    let mut waiter = Locker::etcdctl(&ep);
    let q2 = until_queued(&mut client, 2).await;
    assert_eq!(q2[0], q[0], "etcdlens still holds it");
    assert!(!waiter.has_said_anything(), "etcdctl must wait");
    holder.terminate();
    waiter.wait_locked();
    assert_eq!(until_queued(&mut client, 1).await[0], q2[1]);
    // etcdlens released its key and revoked its lease.
    let leases = client.leases().await.unwrap();
    assert!(leases.leases().iter().all(|l| l.id() != q[0].1));
    waiter.terminate();
    until_queued(&mut client, 0).await;
}

#[tokio::test]
async fn a_lock_directory_is_marked_and_shown_with_holder_and_waiters() {
    use crossterm::event::KeyCode;
    let etcd = Etcd::single().await;
    let ep = etcd.endpoints()[0].clone();
    let mut client = etcd.client().await;
    let holder = Locker::etcdctl(&ep);
    holder.wait_locked();
    let _waiter = Locker::etcdlens(&ep);
    let q = until_queued(&mut client, 2).await;
    let mut h = common::Headless::start(etcd.connection().await, b"/", 100);
    h.until(20, "the lock marked", |s| {
        s.tree.nodes_iter().any(|(_, n)| {
            n.full.as_ref() == b"/testlock/" && n.dir.as_deref().is_some_and(|d| d.lock)
        })
    })
    .await;
    let text = common::fixtures::screen(&h.state);
    assert!(
        text.contains("testlock/") && text.contains("⚑ lock (L to follow)"),
        "{text}"
    );
    h.select(b"/testlock/");
    h.press(KeyCode::Char('L'));
    h.until(20, "the lock followed", |s| {
        s.elections
            .first()
            .is_some_and(|e| e.is_lock() && e.waiting().len() == 1)
    })
    .await;
    let view = &h.state.elections[0];
    assert_eq!(
        view.leader().map(|c| c.lease),
        Some(q[0].1),
        "the holder: lowest create revision"
    );
    assert_eq!(view.waiting()[0].lease, q[1].1);
    let text = common::fixtures::screen(&h.state);
    assert!(
        text.contains(&format!("⚑ lock held by lease {:x}", q[0].1)),
        "{text}"
    );
    assert!(
        text.contains(&format!("waits: lease {:x}", q[1].1)),
        "{text}"
    );
    assert!(text.contains("held for"), "{text}");
}
