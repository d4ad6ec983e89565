//! Leases on a real etcd, through the real tasks and `update`: leases
//! holding 0, 1 and 1,000 keys, their keys as a virtual directory, revoke
//! (and its refusal in --read-only), keep-alive once, a lease that expires
//! while shown.

use crate::common;

use std::time::{Duration, Instant};

use common::{Etcd, Headless};
use crossterm::event::KeyCode;
use etcd_client::PutOptions;
use etcdlens::app::Msg;

async fn put_on(client: &mut etcd_client::Client, lease: i64, keys: impl Iterator<Item = String>) {
    let ops: Vec<etcd_client::TxnOp> = keys
        .map(|k| etcd_client::TxnOp::put(k, "v", Some(PutOptions::new().with_lease(lease))))
        .collect();
    etcdlens::etcd::seed::put_batched(client, ops)
        .await
        .unwrap();
}

/// `T`, then waits for the list.
async fn open_leases(h: &mut Headless) {
    h.press(KeyCode::Char('T'));
    h.until(10, "the leases", |s| {
        s.leases.as_ref().is_some_and(|v| !v.loading)
    })
    .await;
}

fn shown(h: &Headless) -> Vec<(i64, u64)> {
    h.state
        .leases
        .as_ref()
        .map(|v| v.rows.iter().map(|r| (r.info.id, r.info.keys)).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn leases_with_0_1_and_1000_keys_revoke_and_keep_alive() {
    let etcd = Etcd::single().await;
    let mut client = etcd.client().await;
    let empty = client.lease_grant(600, None).await.unwrap().id();
    let one = client.lease_grant(600, None).await.unwrap().id();
    let many = client.lease_grant(30, None).await.unwrap().id();
    put_on(&mut client, one, std::iter::once("/one/k".to_string())).await;
    put_on(
        &mut client,
        many,
        (0..1000).map(|i| format!("/many/k{i:04}")),
    )
    .await;

    let mut h = Headless::start(etcd.connection().await, b"/", 100);
    h.until(10, "the tree", |s| !s.tree.rows.is_empty()).await;
    open_leases(&mut h).await;
    // Most keys first.
    assert_eq!(shown(&h), [(many, 1000), (one, 1), (empty, 0)]);
    let text = common::fixtures::screen(&h.state);
    assert!(text.contains(&format!("{many:x}")), "{text}");
    assert!(text.contains("1,000"), "{text}");

    // Keep-alive once: the TTL is the granted one again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    h.press(KeyCode::Char('k'));
    h.until(10, "the keep-alive", |s| {
        s.message
            .as_ref()
            .is_some_and(|m| m.text.contains("kept alive"))
    })
    .await;
    let row = &h.state.leases.as_ref().unwrap().rows[0];
    assert_eq!((row.info.id, row.info.ttl), (many, 30));

    // Enter: the 1,000 keys as a virtual directory in the Keys pane.
    h.press(KeyCode::Enter);
    h.until(10, "the lease's keys", |s| s.find.is_some()).await;
    let v = h.state.find.as_ref().unwrap();
    assert_eq!(v.hits.len(), 1000);
    assert_eq!(v.hits[0].key, b"/many/k0000");
    assert!(h.state.leases.is_none());
    h.press(KeyCode::Esc);
    assert!(h.state.find.is_none());

    // Revoke the one-key lease: it says one key goes, asks, then both go.
    open_leases(&mut h).await;
    h.press(KeyCode::Down);
    h.press(KeyCode::Char('x'));
    let confirm = h.state.confirm.clone().expect("a question");
    assert!(
        confirm.question.contains("1 key will be deleted"),
        "{}",
        confirm.question
    );
    assert_eq!(confirm.etcdctl, format!("etcdctl lease revoke {one:x}"));
    h.press(KeyCode::Char('y'));
    h.until(10, "the list without it", |s| {
        s.leases
            .as_ref()
            .is_some_and(|v| !v.loading && v.rows.len() == 2)
    })
    .await;
    assert_eq!(shown(&h), [(many, 1000), (empty, 0)]);
    assert_eq!(client.get("/one/k", None).await.unwrap().count(), 0);

    // Read-only: refused before anything is sent.
    h.state.read_only = true;
    h.press(KeyCode::Char('x'));
    assert!(h.state.confirm.is_none());
    assert!(h.state.message.as_ref().unwrap().text.contains("read-only"));
    h.press(KeyCode::Char('k'));
    assert!(h.state.message.as_ref().unwrap().text.contains("read-only"));
}

#[tokio::test]
async fn a_lease_that_expires_while_shown_counts_down_then_goes() {
    let etcd = Etcd::single().await;
    let mut client = etcd.client().await;
    let short = client.lease_grant(2, None).await.unwrap().id();
    let long = client.lease_grant(600, None).await.unwrap().id();
    put_on(&mut client, short, std::iter::once("/s/k".to_string())).await;
    let mut h = Headless::start(etcd.connection().await, b"/", 100);
    h.until(10, "the tree", |s| !s.tree.rows.is_empty()).await;
    open_leases(&mut h).await;
    assert_eq!(shown(&h), [(short, 1), (long, 0)]);
    // The clock goes on (as the 1 s tick does): the row counts down to
    // "expired", then the refresh drops it.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut saw_expired = false;
    while shown(&h).len() == 2 {
        assert!(
            Instant::now() < deadline,
            "the lease never went: {:?}",
            shown(&h)
        );
        h.apply(Msg::Tick(Instant::now()));
        let now = h.state.now;
        let v = h.state.leases.as_ref().unwrap();
        if v.rows
            .iter()
            .any(|r| r.info.id == short && r.remaining(now) == 0)
        {
            saw_expired = true;
            assert!(common::fixtures::screen(&h.state).contains("expired"));
        }
        while let Some(m) = h.next_msg(Duration::from_millis(200)).await {
            h.apply(m);
        }
    }
    assert!(saw_expired, "the countdown reached 0 before the row went");
    assert_eq!(shown(&h), [(long, 0)]);
}
