//! The time machine on real etcd: the tree at a past revision (`:rev`),
//! what changed under a prefix (`:changes`) and undelete.

mod common;

use common::{Etcd, Headless};
use crossterm::event::KeyCode;
use etcd_client::Client;
use etcdlens::app::tree::{Listing, ROOT};
use etcdlens::app::value::ValueStatus;

async fn put(c: &mut Client, k: &str, v: &str) -> i64 {
    c.put(k, v, None)
        .await
        .unwrap()
        .header()
        .unwrap()
        .revision()
}

async fn del(c: &mut Client, k: &str) -> i64 {
    c.delete(k, None)
        .await
        .unwrap()
        .header()
        .unwrap()
        .revision()
}

fn command(app: &mut Headless, line: &str) {
    app.press(KeyCode::Char(':'));
    app.type_str(line);
    app.press(KeyCode::Enter);
}

fn dir_id(app: &Headless, full: &[u8]) -> u32 {
    let t = &app.state.tree;
    t.nodes_iter()
        .find(|(_, n)| n.full.as_ref() == full)
        .map(|(id, _)| id)
        .expect("directory loaded")
}

fn message(s: &etcdlens::app::State) -> String {
    s.message.as_ref().map(|m| m.text.clone()).unwrap_or_default()
}

/// Every directory of the tree listed to its end.
fn all_listed(s: &etcdlens::app::State) -> bool {
    s.tree
        .nodes_iter()
        .filter_map(|(_, n)| n.dir.as_deref())
        .filter(|d| d.expanded)
        .all(|d| d.listing == Listing::Complete)
}

/// `:rev N` shows the keys that existed at N (a reference kept while
/// writing), their values then and exact counts; writes are refused; a
/// compacted revision is one line and changes nothing; `:rev now` comes
/// back.
#[tokio::test(flavor = "multi_thread")]
async fn the_tree_at_a_revision_is_the_keyset_then() {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    put(&mut c, "/t/a", "a").await;
    put(&mut c, "/t/b", "old b").await;
    for i in 0..50 {
        put(&mut c, &format!("/t/d/{i:02}"), "d").await;
    }
    let then = put(&mut c, "/t/e/x", "x").await;
    let reference: Vec<&str> = vec!["/t/a", "/t/b", "/t/e/x"];
    // Afterwards: deletes, creates, an update.
    del(&mut c, "/t/a").await;
    put(&mut c, "/t/new", "n").await;
    for i in 0..10 {
        del(&mut c, &format!("/t/d/{i:02}")).await;
    }
    put(&mut c, "/t/d/zz", "z").await;
    put(&mut c, "/t/b", "new b").await;

    let mut app = Headless::start(etcd.connection().await, b"/t/", 100);
    app.until(10, "listed", |s| all_listed(s) && s.tree.rows.len() >= 4)
        .await;
    assert!(app.keys().contains(&"/t/new".to_string()));

    command(&mut app, &format!("rev {then}"));
    app.until(10, "at the revision", |s| s.tree.at == Some(then) && all_listed(s))
        .await;
    // Open /t/e/ to see its key; /t/d/ keeps its count.
    app.select(b"/t/e/");
    app.press(KeyCode::Char('l'));
    app.until(10, "e listed", all_listed).await;
    assert_eq!(app.keys(), reference, "the keys that existed at rev {then}");
    let d = dir_id(&app, b"/t/d/");
    assert_eq!(app.state.tree.dir(d).unwrap().keys, Some(50), "count then");
    let screen = common::fixtures::screen(&app.state);
    assert!(screen.contains(&format!("Keys /t/ @ rev {then}")), "{screen}");
    // The value as it was.
    app.select(b"/t/b");
    app.until(10, "value", |s| matches!(s.value.status, ValueStatus::Loaded { .. }))
        .await;
    match &app.state.value.status {
        ValueStatus::Loaded { value, .. } => assert_eq!(value.record.value, b"old b"),
        other => panic!("{other:?}"),
    }
    // Writes refused.
    app.press(KeyCode::Char('e'));
    assert!(app.state.editor.is_none());
    assert!(message(&app.state).contains("the past, read-only"));
    // Live writes do not move the past.
    put(&mut c, "/t/later", "l").await;
    app.until(10, "event seen", |s| s.events.total >= 1).await;
    assert_eq!(app.keys(), reference);

    // Compacted: one line, nothing changes.
    let now = put(&mut c, "/t/z", "z").await;
    c.compact(now, None).await.unwrap();
    command(&mut app, &format!("rev {}", then - 1));
    app.until(10, "refused", |s| message(s).contains("compacted"))
        .await;
    assert_eq!(
        message(&app.state),
        format!("revision {} is compacted; the oldest available is {now}", then - 1)
    );
    assert_eq!(app.state.tree.at, Some(then));
    assert_eq!(app.keys(), reference);

    // Back to now.
    command(&mut app, "rev now");
    app.until(10, "now", |s| s.tree.at.is_none() && all_listed(s))
        .await;
    let keys = app.keys();
    assert!(keys.contains(&"/t/later".to_string()), "{keys:?}");
    assert!(!keys.contains(&"/t/a".to_string()), "{keys:?}");
    let d = dir_id(&app, b"/t/d/");
    assert_eq!(app.state.tree.dir(d).unwrap().keys, Some(41));
    assert_ne!(app.state.tree.dir(ROOT).unwrap().listing, Listing::NotLoaded);
}
