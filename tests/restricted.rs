//! A user who may read one prefix only (etcd RBAC): the time machine, the
//! changes view and the cluster view's compaction point probe inside what
//! the user may read (issue 22.7), and a root listing the user may not
//! read says so (issue 22.8).

use crate::common;

use std::time::Duration;

use common::{put_rev, Etcd, Headless};
use etcdlens::etcd::revision::RevisionSpec;
use etcdlens::etcd::{connect, ConnSettings};

/// alice may read `/app/` only; some history there; auth on.
async fn alice_on(etcd: &Etcd) -> (etcd_client::Client, i64) {
    let mut c = etcd.client().await;
    let first = put_rev(&mut c, "/app/config", "v1").await;
    put_rev(&mut c, "/app/config", "v2").await;
    put_rev(&mut c, "/app/flags/x", "on").await;
    put_rev(&mut c, "/secret/token", "s").await;
    common::alice_reads_app(&mut c).await;
    (c, first)
}

fn alice(etcd: &Etcd) -> ConnSettings {
    ConnSettings {
        endpoints: etcd.endpoints(),
        user: Some(("alice".into(), "alicepw".into())),
        dial_timeout: Duration::from_secs(5),
        command_timeout: Duration::from_secs(5),
        ..ConnSettings::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rev_changes_and_the_compaction_point_work_for_a_user_limited_to_a_prefix() {
    let etcd = Etcd::single().await;
    let (_root, first) = alice_on(&etcd).await;
    let conn = connect(&alice(&etcd)).await.expect("alice connects");
    let mut client = conn.client.clone();
    // The library: probed at the prefix alice may read.
    let (rev, _) = etcdlens::etcd::revision::check(&mut client, b"/app/", RevisionSpec::At(first))
        .await
        .expect(":rev inside the user's prefix");
    assert_eq!(rev, first);
    assert_eq!(
        etcdlens::etcd::revision::oldest_revision(&mut client, b"/app/").await,
        Ok(1)
    );
    // Through the app: :rev, :changes, the cluster view.
    let mut app = Headless::start(conn.clone(), b"/app/", 100);
    app.until_listed(10).await;
    app.command(&format!("rev {first}"));
    app.until(10, ":rev", move |s| s.tree.at == Some(first))
        .await;
    app.command("rev now");
    app.until(10, "back to now", |s| s.tree.at.is_none()).await;
    app.command(&format!("changes {} now", first - 1));
    app.until(10, "changes read", |s| {
        s.changes
            .as_ref()
            .is_some_and(|v| v.result.is_some() || v.error.is_some())
    })
    .await;
    let view = app.state.changes.as_ref().unwrap();
    assert_eq!(view.error, None);
    assert_eq!(view.rows().len(), 2, "config and flags/x changed");
    let info = etcdlens::etcd::cluster::collect(&conn, b"/app/")
        .await
        .unwrap();
    assert_eq!(info.oldest_revision, Ok(1));
}

/// The whole keyspace is not readable by alice: the root's row says so,
/// the status line says what to do (`--prefix`), no watch is started (it
/// would be refused), and `:du` / `:export` on the root say the same
/// instead of a misleading line.
#[tokio::test(flavor = "multi_thread")]
async fn a_root_the_user_may_not_read_says_so_and_suggests_a_prefix() {
    use crossterm::event::KeyCode;
    use etcdlens::app::watch::ROOT_REFUSED;
    let etcd = Etcd::single().await;
    alice_on(&etcd).await;
    let conn = connect(&alice(&etcd)).await.expect("alice connects");
    let mut app = Headless::start(conn, b"", 100);
    app.until(10, "the root refused", |s| s.watch.refused.is_some())
        .await;
    assert!(app.state.watch.status.is_none(), "no watch started");
    assert_eq!(
        app.state.message.as_ref().map(|m| m.text.as_str()),
        Some(ROOT_REFUSED)
    );
    let screen = common::fixtures::screen(&app.state);
    assert!(
        screen.contains("no watch: the root is not readable by this user"),
        "{screen}"
    );
    assert!(!screen.contains("starting the watch"), "{screen}");
    // :du and :export on the root.
    app.state.message = None;
    app.press(KeyCode::Char('U'));
    assert_eq!(
        app.state.message.as_ref().map(|m| m.text.as_str()),
        Some(ROOT_REFUSED)
    );
    app.state.message = None;
    app.command("export /tmp/etcdlens-never-written.jsonl");
    assert_eq!(
        app.state.message.as_ref().map(|m| m.text.as_str()),
        Some(ROOT_REFUSED)
    );
    assert!(!std::path::Path::new("/tmp/etcdlens-never-written.jsonl").exists());
}
