//! Directory counts stay exact while the keyspace changes (issue 22.16):
//! a create counts up, an update not at all, a delete down, and a prefix
//! delete of N keys (N events of one revision) counts down by N.

use crate::common;

use common::{Etcd, Headless};
use etcdlens::app::tree::ROOT;

fn count(app: &Headless, full: &[u8]) -> Option<u64> {
    let t = &app.state.tree;
    let root = t.dir(ROOT)?;
    root.children
        .iter()
        .find(|&&c| &*t.node(c).full == full)
        .and_then(|&c| t.dir(c)?.keys)
}

#[tokio::test(flavor = "multi_thread")]
async fn counts_follow_creates_updates_and_prefix_deletes() {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    let keys: Vec<Vec<u8>> = (0..300)
        .map(|i| format!("/c/sessions/s{i:03}").into_bytes())
        .chain((0..4).map(|i| format!("/c/features/f{i}").into_bytes()))
        .collect();
    etcd.put_keys(&keys).await;
    let mut app = Headless::start(etcd.connection().await, b"/c/", 1000);
    app.until_listed(10).await;
    assert_eq!(count(&app, b"/c/sessions/"), Some(300));
    assert_eq!(count(&app, b"/c/features/"), Some(4));
    // Creates and updates, as the demo's writer does.
    c.put("/c/sessions/new1", "x", None).await.unwrap();
    c.put("/c/sessions/new2", "x", None).await.unwrap();
    c.put("/c/features/f0", "updated", None).await.unwrap();
    c.put("/c/features/f0", "again", None).await.unwrap();
    // A prefix delete of 100 keys in one revision.
    c.delete(
        "/c/sessions/s1",
        Some(etcd_client::DeleteOptions::new().with_prefix()),
    )
    .await
    .unwrap();
    app.until(10, "every event", |s| s.events.total >= 104)
        .await;
    app.until(10, "applied", |s| s.pending_tree.is_empty())
        .await;
    assert_eq!(count(&app, b"/c/sessions/"), Some(202), "300 + 2 - 100");
    assert_eq!(
        count(&app, b"/c/features/"),
        Some(4),
        "updates count nothing"
    );
}
